"""cnkit.show.measures and cnkit.interact.measures: charts of measures render in Japanese with no
missing glyph and draw the right lengths; the electrification widget calls the pure functions."""

from __future__ import annotations

import io
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnkit import CnkitError  # noqa: E402
from cnkit.calculate import measures as m  # noqa: E402
from cnkit.show import measures as sm  # noqa: E402

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
UNIT = re.compile(r"（[^（）]*(t-CO2|kWh|円|GJ)[^（）]*）")
S1, S2 = 290.0, 270.0


@pytest.fixture(scope="module")
def results():
    ms = [m.air_leak_repair(100_000, id="leak"), m.led_replacement(300_000, id="led"),
          m.waste_heat_recovery(100_000, id="heat"), m.heat_pump(10, id="hp"),
          m.renewable_menu(200_000, id="menu"), m.j_credit(50, id="credit")]
    return m.evaluate_all(ms)


def render(fig: Figure) -> None:
    """PNG bytes; any warning (e.g. 'Glyph ... missing from font') fails the test."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=80)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    img = mpimg.imread(io.BytesIO(data))
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 10


def texts_ok(fig: Figure) -> None:
    ax = fig.axes[0]
    for text in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()):
        assert text.strip() and JAPANESE.search(text), text
    assert UNIT.search(ax.get_xlabel()) or UNIT.search(ax.get_ylabel())


CHARTS = {
    "savings_co2": lambda r: sm.savings_chart(r),
    "savings_yen": lambda r: sm.savings_chart(r, "delta_cost_yen"),
    "savings_kwh": lambda r: sm.savings_chart(r, "delta_kwh"),
    "before_after": lambda r: sm.before_after_chart(S1, S2, r),
    "waterfall_all": lambda r: sm.scope_waterfall_chart(S1, S2, r),
    "waterfall_shift": lambda r: sm.scope_waterfall_chart(S1, S2, r.loc[["hp"]]),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_renders_in_japanese(name, results):
    open_before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = CHARTS[name](results)
    render(fig)
    texts_ok(fig)
    assert plt.get_fignums() == open_before


def test_savings_chart_lengths(results):
    fig = sm.savings_chart(results)
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    assert widths == pytest.approx(sorted(-results["delta_co2_t"]), abs=1e-9)
    labels = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert labels == set(results["name_ja"])


def test_heat_pump_waterfall_steps(results):
    hp = results.loc["hp"]
    fig = sm.scope_waterfall_chart(S1, S2, results.loc[["hp"]])
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    # today (Scope 1, Scope 2), the Scope 1 step down, the Scope 2 step up, after (Scope 1, Scope 2)
    assert heights[:2] == pytest.approx([S1, S2])
    assert heights[2] == pytest.approx(-hp["delta_co2_scope1_t"]) and heights[3] == pytest.approx(hp["delta_co2_scope2_t"])
    assert heights[4] == pytest.approx(S1 + hp["delta_co2_scope1_t"])
    assert heights[5] == pytest.approx(S2 + hp["delta_co2_scope2_t"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "現在" and labels[-1] == "対策後" and "Scope 1" in labels[1] and "Scope 2" in labels[2]


def test_before_after_totals(results):
    fig = sm.before_after_chart(S1, S2, results)
    notes = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("計")]
    after = S1 + S2 + results["delta_co2_t"].sum()
    net = after + results["delta_co2_offset_t"].sum()
    assert notes == [f"計 {S1 + S2:,.0f}", f"計 {after:,.0f}", f"計 {net:,.0f}"]


def test_chart_input_errors(results):
    with pytest.raises(CnkitError, match="column"):
        sm.savings_chart(results, "co2")
    with pytest.raises(CnkitError, match="evaluate_all"):
        sm.savings_chart(results[["name_ja"]])


# ------------------------------------------------------------------------------------------
def test_electrification_widget_calls_the_pure_functions(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    from cnkit.interact.measures import ElectrificationCalculator, electrification_calculator

    calc = electrification_calculator(10, scope1_t=S1, scope2_t=S2)
    assert isinstance(calc, ElectrificationCalculator)
    want = m.evaluate(m.heat_pump(10)).iloc[0]
    assert f"{want['delta_co2_t']:+,.1f} t-CO2/年" in calc.result.value
    calc.cop.value = 1.0  # a poor COP: the net change turns positive
    bad = m.evaluate(m.heat_pump(10, cop=1.0)).iloc[0]
    assert bad["delta_co2_t"] > 0 and f"{bad['delta_co2_t']:+,.1f}" in calc.result.value
    assert "増えます" in calc.result.value
    calc.amount.value = -5  # a Japanese message instead of a traceback
    assert "fuel_amount" in calc.result.value and "⚠" in calc.result.value


def test_electrification_widget_inert_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    from cnkit.interact.measures import ElectrificationCalculator, electrification_calculator

    assert not isinstance(electrification_calculator(10), ElectrificationCalculator)
    with pytest.raises(CnkitError, match="電力会社"):
        monkeypatch.delenv("NBGRADER_EXECUTION")
        electrification_calculator(10, supplier="nowhere")
