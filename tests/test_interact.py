"""cnkit.interact: the CO2 calculator widget reads its boxes, calls annual_co2 and shows the result."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import ipywidgets as w
import pytest

import cnkit
from cnkit import interact

ROOT = Path(cnkit.__file__).resolve().parent.parent


def _csv(name):
    with open(ROOT / "datasets" / "factors" / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


FUEL = {r["energy"]: float(r["co2_t_per_unit"]) for r in _csv("fuel_factors.csv") if r["factor_set"] == "revised"}
ELEC = {r["supplier"]: (float(r["basic_t_per_kwh"]), float(r["adjusted_t_per_kwh"]))
        for r in _csv("electricity_factors.csv") if r["emissions_fy"] == "2025"}
NAME_JA = {r["energy"]: r["name_ja"] for r in _csv("energies.csv")}

# A社-like annual totals, in the calculator's units (kWh, m³, L, kg)
A_SHA = {"electricity": 640_000, "city_gas": 40_000, "a_heavy_oil": 48_000, "kerosene": 5_000, "lpg": 2_000,
         "gasoline": 14_000, "diesel": 10_000}
# to base units (kWh, 千m³, kL, t)
TO_BASE = {"electricity": 1, "city_gas": 1e-3, "a_heavy_oil": 1e-3, "kerosene": 1e-3, "lpg": 1e-3,
           "gasoline": 1e-3, "diesel": 1e-3}


def expected_total(usage, electricity_factor: float) -> float:
    total = 0.0
    for e, v in usage.items():
        base = v * TO_BASE[e]
        total += base * (electricity_factor if e == "electricity" else FUEL[e])
    return total


def total_shown(calc) -> str:
    m = re.search(r"合計\s*([\d,]+\.\d)\s*t-CO2", calc.result.value)
    assert m, calc.result.value
    return m.group(1)


@pytest.fixture
def calc():
    return cnkit.interact.co2_calculator(2025, usage=A_SHA, supplier="tepco_ep")


def test_returns_calculator(calc):
    assert isinstance(calc, interact.CO2Calculator)
    assert isinstance(calc, w.VBox)
    assert set(calc.inputs) == set(A_SHA)
    assert calc.supplier.value == "tepco_ep"
    assert calc.factor.value == "basic"
    assert cnkit.co2_calculator is interact.co2_calculator


def test_total_matches_annual_co2(calc):
    want = expected_total(A_SHA, ELEC["tepco_ep"][0])
    res = cnkit.annual_co2({e: (v, interact.CALCULATOR_UNITS[e]) for e, v in A_SHA.items()}, "tepco_ep",
                           emissions_fy=2025)
    assert res["co2_t"].sum() == pytest.approx(want)
    assert total_shown(calc) == f"{want:,.1f}"
    assert 540 < want < 580
    assert "⚠" not in calc.result.value
    for e in A_SHA:
        assert NAME_JA[e] in calc.result.value


def test_changing_a_box_updates_the_total(calc):
    before = float(total_shown(calc).replace(",", ""))
    calc.inputs["electricity"].value = "0"
    after = float(total_shown(calc).replace(",", ""))
    without = {**A_SHA, "electricity": 0}
    assert f"{after:,.1f}" == f"{expected_total(without, ELEC['tepco_ep'][0]):,.1f}"
    assert before - after == pytest.approx(640_000 * ELEC["tepco_ep"][0], abs=0.11)
    assert "Scope 2: 0.0" in calc.result.value
    calc.inputs["electricity"].value = "１，０００，０００"  # full-width, as typed on a Japanese keyboard
    assert total_shown(calc) == f"{expected_total({**A_SHA, 'electricity': 1_000_000}, ELEC['tepco_ep'][0]):,.1f}"


def test_blank_box_counts_as_zero(calc):
    calc.inputs["diesel"].value = ""
    assert total_shown(calc) == f"{expected_total({**A_SHA, 'diesel': 0}, ELEC['tepco_ep'][0]):,.1f}"


def test_location_factor_changes_electricity(calc):
    calc.factor.value = "location"
    national = float(next(r for r in _csv("electricity_factors.csv")
                          if r["supplier"] == "national_average" and r["emissions_fy"] == "2025")["basic_t_per_kwh"])
    assert total_shown(calc) == f"{expected_total(A_SHA, national):,.1f}"
    assert f"{640_000 * national:,.1f}" in calc.result.value
    assert national != ELEC["tepco_ep"][0]


def test_supplier_and_adjusted_factor(calc):
    calc.supplier.value = "tepco_ep_residual"
    calc.factor.value = "adjusted"
    assert total_shown(calc) == f"{expected_total(A_SHA, ELEC['tepco_ep_residual'][1]):,.1f}"
    assert f"{640_000 * 0.000452:,.1f}" in calc.result.value


@pytest.mark.parametrize("energy, text", [("electricity", "abc"), ("electricity", "-5"), ("lpg", "1,2,3"),
                                          ("kerosene", "１２a")])
def test_invalid_entry_shows_japanese_message(calc, energy, text):
    calc.inputs[energy].value = text  # must not raise
    msg = calc.result.value
    assert "⚠" in msg
    assert NAME_JA[energy] in msg
    assert "合計" not in msg
    assert "Traceback" not in msg
    calc.inputs[energy].value = str(A_SHA[energy])  # fixed again → result back
    assert "⚠" not in calc.result.value
    assert total_shown(calc) == f"{expected_total(A_SHA, ELEC['tepco_ep'][0]):,.1f}"


def test_large_prefilled_numbers_are_not_rounded():
    calc = interact.co2_calculator(2025, usage={"electricity": 1_234_567, "diesel": 12_345.5}, supplier="tepco_ep")
    assert "⚠" not in calc.result.value
    assert float(calc.inputs["electricity"].value.replace(",", "")) == 1_234_567
    want = 1_234_567 * ELEC["tepco_ep"][0] + 12.3455 * FUEL["diesel"]
    assert total_shown(calc) == f"{want:,.1f}"


def test_empty_calculator_shows_zero():
    calc = interact.co2_calculator(2025)
    assert all(box.value == "" for box in calc.inputs.values())
    assert total_shown(calc) == "0.0"


def test_every_input_has_a_unit_label(calc):
    rows = [c for c in calc.children if isinstance(c, w.HBox)]
    found = {}
    for row in rows:
        kids = list(row.children)
        for i, kid in enumerate(kids):
            for energy, box in calc.inputs.items():
                if kid is box:
                    assert i + 1 < len(kids), f"no label after the {energy} box"
                    label = kids[i + 1]
                    assert isinstance(label, w.Label)
                    found[energy] = label.value
                    name = kids[i - 1]
                    assert isinstance(name, w.Label) and name.value == NAME_JA[energy]
    assert set(found) == set(calc.inputs)
    units = {"electricity": "kWh", "city_gas": "m³", "a_heavy_oil": "L", "kerosene": "L", "lpg": "kg",
             "gasoline": "L", "diesel": "L"}
    for energy, text in found.items():
        assert text.startswith(units[energy]), (energy, text)


def test_inert_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def boom(*a, **k):
        raise AssertionError("the calculator must not compute while grading")

    monkeypatch.setattr(interact.co2, "annual_co2", boom)
    widget = interact.co2_calculator(2025, usage=A_SHA, supplier="tepco_ep")
    assert isinstance(widget, w.HTML)
    assert not isinstance(widget, interact.CO2Calculator)
    assert "採点中" in widget.value
    assert interact.grading()


def test_not_grading_by_default(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not interact.grading()


@pytest.mark.parametrize("fy, supplier", [(2024, "tepco_ep"), (2025, "no_such_power")])
def test_unknown_supplier_or_year_gives_japanese_error(fy, supplier):
    with pytest.raises(cnkit.CnkitError) as info:
        interact.co2_calculator(fy, usage=A_SHA, supplier=supplier)
    assert supplier in str(info.value) and f"{fy}年度" in str(info.value)
