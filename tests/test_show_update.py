"""Charts updated in place (the chart widgets) look exactly as the same chart built anew: same pixels."""

from __future__ import annotations

import io

import matplotlib.image as mpimg
import numpy as np
import pytest

import cnkit
from cnkit import show
from cnkit.show.base import png_bytes
from cnkit.show.emissions import update_calculator_chart

A_SHA = {"electricity": 640_000, "city_gas": 40_000, "a_heavy_oil": 48_000, "kerosene": 5_000, "lpg": 2_000,
         "gasoline": 14_000, "diesel": 10_000}
UNITS = {"electricity": "kWh", "city_gas": "m3", "a_heavy_oil": "L", "kerosene": "L", "lpg": "kg",
         "gasoline": "L", "diesel": "L"}


def _calc(**usage):
    values = {e: (str(usage.get(e, v)), UNITS[e]) for e, v in A_SHA.items()}
    return cnkit.annual_co2(values, "tepco_ep", emissions_fy=2025)


def _pixels(fig) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png_bytes(fig)), format="png")


@pytest.mark.parametrize("usage", [
    {"electricity": 600_000},  # electricity stays the largest bar: new length, label and x range
    {"electricity": 1_234_567},
    {"city_gas": 41_000, "diesel": 9_000},
])
def test_calculator_chart_updated_in_place_draws_the_same_pixels(usage):
    fig = show.calculator_chart(_calc())
    png_bytes(fig)  # shown once, as the widget does
    new = _calc(**usage)
    assert update_calculator_chart(fig, new)
    want = _pixels(show.calculator_chart(new))
    got = _pixels(fig)
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def test_calculator_chart_with_other_bars_is_not_updated():
    fig = show.calculator_chart(_calc())
    # electricity falls below city gas: the bars change order, so the chart is built anew
    assert not update_calculator_chart(fig, _calc(electricity=1_000))
    assert not update_calculator_chart(fig, _calc(diesel=0))  # one bar fewer
    assert not update_calculator_chart(show.calculator_chart(_calc(**{e: 0 for e in A_SHA})), _calc())


def test_co2_calculator_widget_keeps_its_figure(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    widget = cnkit.interact.co2_calculator(2025, usage=A_SHA, supplier="tepco_ep")
    fig = widget.figure
    widget.inputs["electricity"].value = "600000"
    assert widget.figure is fig
    assert np.array_equal(_pixels(fig), _pixels(show.calculator_chart(widget.compute())))
    widget.inputs["diesel"].value = "0"  # one bar fewer: a new chart
    assert widget.figure is not fig
    assert [t.get_text() for t in widget.figure.axes[0].get_yticklabels()] == \
        list(widget.compute().query("co2_t > 0").sort_values("co2_t")["energy_ja"])
