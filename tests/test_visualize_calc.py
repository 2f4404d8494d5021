"""cnkit.calculate.pareto / reconcile / flow / area (notebook 03), checked by hand on small data.

Expected values are worked out here from the factor CSVs (read with csv, not with cnkit) and
plain arithmetic; A社 is used only for properties (balance, totals, the story's Pareto).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cnkit
from cnkit import CnkitError
from cnkit.calculate.area import co2_area
from cnkit.calculate.flow import UNEXPLAINED_USE, energy_flow, node_totals
from cnkit.calculate.pareto import PARETO_THRESHOLD, pareto_table, vital_few
from cnkit.calculate.reconcile import equipment_estimates, reconcile

ROOT = Path(cnkit.__file__).resolve().parent.parent
FACTORS = ROOT / "datasets" / "factors"


def _rows(name: str) -> list[dict]:
    with open(FACTORS / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


FUEL = {r["energy"]: (float(r["co2_t_per_unit"]), float(r["heat_gj_per_unit"]))
        for r in _rows("fuel_factors.csv") if r["factor_set"] == "revised"}
TEPCO_2025 = next(float(r["basic_t_per_kwh"]) for r in _rows("electricity_factors.csv")
                  if r["supplier"] == "tepco_ep" and r["emissions_fy"] == "2025")
GJ_PER_KWH = next(float(r["value"]) for r in _rows("energy_conversion.csv")
                  if r["item"] == "electricity_gj_per_mwh") / 1000
NAME_JA = {r["energy"]: r["name_ja"] for r in _rows("energies.csv")}
UNIT = {r["energy"]: r["unit"] for r in _rows("energies.csv")}


def ordered(table: pd.DataFrame) -> list:
    return list(table.index)


# ============================================================================ Pareto
def test_pareto_sorted_with_shares_and_vital_few():
    t = pareto_table(pd.Series({"a": 10.0, "b": 30.0, "c": 60.0}))
    assert ordered(t) == ["c", "b", "a"]
    assert list(t.columns) == ["value", "share", "cumulative_share", "vital_few"]
    assert t["value"].tolist() == [60, 30, 10]
    assert t["share"].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert t["cumulative_share"].tolist() == pytest.approx([0.6, 0.9, 1.0])
    assert t["vital_few"].tolist() == [True, True, False]  # 0.6 < 0.8 ≤ 0.9
    assert PARETO_THRESHOLD == 0.8 and t.attrs["threshold"] == 0.8


def test_pareto_ties_in_label_order_whatever_the_input_order():
    a = pareto_table(pd.Series({"y": 5, "x": 5, "z": 10, "w": 5}))
    b = pareto_table(pd.Series({"w": 5, "z": 10, "x": 5, "y": 5}))
    assert ordered(a) == ordered(b) == ["z", "w", "x", "y"]
    pd.testing.assert_frame_equal(a, b)
    assert a["cumulative_share"].tolist() == pytest.approx([0.4, 0.6, 0.8, 1.0])
    assert a["vital_few"].tolist() == [True, True, True, False]


def test_pareto_zeros_kept_at_the_end_and_never_vital():
    t = pareto_table(pd.Series({"a": 0, "b": 4, "c": 0, "d": 1}))
    assert ordered(t) == ["b", "d", "a", "c"]
    assert t["share"].tolist() == pytest.approx([0.8, 0.2, 0, 0])
    assert t["cumulative_share"].tolist() == pytest.approx([0.8, 1, 1, 1])
    assert t["vital_few"].tolist() == [True, False, False, False]


def test_pareto_single_item():
    t = pareto_table(pd.Series({"only": 7.5}))
    assert ordered(t) == ["only"]
    assert t.loc["only"].tolist() == [7.5, 1.0, 1.0, True]


@pytest.mark.parametrize("values", [{"a": 7, "b": 1, "c": 1, "d": 1}, {"a": 0.7, "b": 0.1, "c": 0.1, "d": 0.1}])
def test_pareto_threshold_exactly_hit_stops_there(values):
    # 0.7 + 0.1 = 0.8 exactly: the run stops at b (floating point gives 0.7999…; still counts)
    t = pareto_table(pd.Series(values))
    assert ordered(t) == ["a", "b", "c", "d"]
    assert t["vital_few"].tolist() == [True, True, False, False]
    assert vital_few(pd.Series(values)) == ["a", "b"]


def test_pareto_other_thresholds():
    s = pd.Series({"a": 10.0, "b": 30.0, "c": 60.0})
    assert vital_few(s, 0.5) == ["c"]
    assert vital_few(s, 0.6) == ["c"]
    assert vital_few(s, 1.0) == ["c", "b", "a"]
    for bad in (0, -0.1, 1.5, True, "0.8"):
        with pytest.raises(CnkitError, match="threshold"):
            pareto_table(s, bad)


def test_pareto_keeps_a_multiindex_and_accepts_a_mapping():
    s = pd.Series({("本社工場", "電力"): 200.0, ("第二工場", "電力"): 50.0, ("本社工場", "A重油"): 130.0})
    s.index.names = ["site", "energy_ja"]
    t = pareto_table(s)
    assert t.index.names == ["site", "energy_ja"]
    assert ordered(t) == [("本社工場", "電力"), ("本社工場", "A重油"), ("第二工場", "電力")]
    assert t["cumulative_share"].tolist() == pytest.approx([200 / 380, 330 / 380, 1.0])
    assert vital_few({"p": 1, "q": 3}) == ["q", "p"]
    one_column = pd.DataFrame({"co2_t": [1.0, 3.0]}, index=["p", "q"])
    assert ordered(pareto_table(one_column)) == ["q", "p"]


def test_pareto_numpy_values():
    t = pareto_table(pd.Series(np.array([1, 3], dtype=np.int64), index=["p", "q"]))
    assert t["value"].tolist() == [3.0, 1.0]


@pytest.mark.parametrize("values, words", [
    ({"a": 3.0, "ボイラー": -2.0}, ["ボイラー", "-2", "負"]),
    ({"a": 3.0, "照明": float("nan")}, ["照明", "NaN"]),
    ({"a": 3.0, "空調": "12"}, ["空調", "数値"]),
    ({"a": 3.0, "b": True}, ["「b」", "数値"]),
    ({"a": 3.0, "b": float("inf")}, ["「b」", "無限大"]),
    ({"a": 0, "b": 0.0}, ["すべて 0"]),
    ({}, ["1つもありません"]),
])
def test_pareto_bad_values_raise_a_japanese_message(values, words):
    with pytest.raises(CnkitError) as info:
        pareto_table(pd.Series(values, dtype=object) if values else pd.Series(dtype=float))
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_pareto_repeated_labels_and_wrong_types_raise():
    with pytest.raises(CnkitError, match="同じラベル"):
        pareto_table(pd.Series([1.0, 2.0], index=["a", "a"]))
    with pytest.raises(CnkitError, match="Series"):
        pareto_table([1, 2, 3])
    with pytest.raises(CnkitError, match="2列"):
        pareto_table(pd.DataFrame({"x": [1.0], "y": [2.0]}))


# ============================================================================ estimates and reconciliation
def tiny_equipment() -> pd.DataFrame:
    rows = [
        # site, equipment, process, energy, rated_kw, fuel_rate, fuel_rate_unit, units, hours, load
        ("S1", "モーター", "動力", "electricity", 10, None, None, 2, 1000, 0.5),       # 10,000 kWh
        ("S1", "ボイラー", "ボイラー", "a_heavy_oil", None, 20, "L/h", 1, 500, 0.5),  # 5,000 L = 5 kL
        ("S1", "ヒーター", "加熱", "city_gas", None, 5, "m³/h", 2, 100, 1.0),          # 1,000 m³ = 1 千m³
        ("S2", "照明", "照明", "electricity", 0.1, None, None, 50, 2000, 1.0),        # 10,000 kWh
        ("S2", "フォークリフト", "運搬", "lpg", None, 2, "kg/h", 1, 250, 1.0),          # 500 kg = 0.5 t
    ]
    cols = ["site", "equipment", "process", "energy", "rated_kw", "fuel_rate", "fuel_rate_unit", "units",
            "hours_per_year", "load_factor"]
    return pd.DataFrame(rows, columns=cols)


def tiny_bills(fiscal_years=(2025,)) -> pd.DataFrame:
    rows = []
    for fy in fiscal_years:
        for site, energy, usage in [("S1", "electricity", 12_500.0), ("S2", "electricity", 10_000.0),
                                    ("S1", "a_heavy_oil", 5.5), ("S1", "city_gas", 0.8), ("S2", "gasoline", 1.0)]:
            rows.append({"site": site, "energy": energy, "energy_ja": NAME_JA[energy], "usage": usage,
                         "unit": UNIT[energy], "fiscal_year": fy, "month": pd.Timestamp(fy, 4, 1)})
    return cnkit.emissions(pd.DataFrame(rows), "tepco_ep", factor_fy=2025)


@pytest.fixture(scope="module")
def est() -> pd.DataFrame:
    return equipment_estimates(tiny_equipment(), "tepco_ep", emissions_fy=2025)


def test_equipment_estimates_by_hand(est):
    assert est["usage"].tolist() == pytest.approx([10_000, 5.0, 1.0, 10_000, 0.5])
    assert est["unit"].tolist() == ["kWh", "kL", "千m³", "kWh", "t"]
    assert est["energy_ja"].tolist() == [NAME_JA[e] for e in est["energy"]]
    want_co2 = [10_000 * TEPCO_2025, 5.0 * FUEL["a_heavy_oil"][0], 1.0 * FUEL["city_gas"][0],
                10_000 * TEPCO_2025, 0.5 * FUEL["lpg"][0]]
    want_gj = [10_000 * GJ_PER_KWH, 5.0 * FUEL["a_heavy_oil"][1], 1.0 * FUEL["city_gas"][1],
               10_000 * GJ_PER_KWH, 0.5 * FUEL["lpg"][1]]
    assert est["co2_t"].tolist() == pytest.approx(want_co2)
    assert est["gj"].tolist() == pytest.approx(want_gj)
    assert est["scope"].tolist() == [2, 1, 1, 2, 1]
    # the input is not changed, and its columns are kept
    assert "usage" not in tiny_equipment().columns
    assert {"equipment", "process", "rated_kw"} <= set(est.columns)


def test_equipment_estimates_accept_unit_spellings():
    eq = tiny_equipment().iloc[[1]].assign(fuel_rate_unit="ℓ/h")
    assert equipment_estimates(eq, emissions_fy=2025)["usage"].iloc[0] == pytest.approx(5.0)
    eq = tiny_equipment().iloc[[1]].assign(fuel_rate=0.02, fuel_rate_unit="kL/h")
    assert equipment_estimates(eq, emissions_fy=2025)["usage"].iloc[0] == pytest.approx(5.0)


@pytest.mark.parametrize("change, words", [
    ({"energy": "steam"}, ["ボイラー", "steam"]),
    ({"hours_per_year": -5}, ["ボイラー", "年間運転時間", "-5"]),
    ({"load_factor": 60}, ["負荷率", "60", "0.6"]),
    ({"fuel_rate_unit": "L"}, ["1時間あたり"]),
    ({"fuel_rate_unit": "kWh/h"}, ["合いません"]),
    ({"fuel_rate_unit": "gal/h"}, ["知らない単位"]),
    ({"fuel_rate": None}, ["燃料消費率", "数値"]),
    ({"units": "二台"}, ["台数", "二台"]),
])
def test_equipment_estimates_bad_rows_raise_a_japanese_message(change, words):
    eq = tiny_equipment()
    for col, v in change.items():
        eq[col] = eq[col].astype(object)
        eq.loc[1, col] = v
    with pytest.raises(CnkitError) as info:
        equipment_estimates(eq, emissions_fy=2025)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_equipment_estimates_bad_tables():
    with pytest.raises(CnkitError, match="fuel_rate_unit"):
        equipment_estimates(tiny_equipment().drop(columns="fuel_rate_unit"), emissions_fy=2025)
    with pytest.raises(CnkitError, match="空"):
        equipment_estimates(tiny_equipment().iloc[:0], emissions_fy=2025)
    with pytest.raises(CnkitError, match="DataFrame"):
        equipment_estimates([1, 2], emissions_fy=2025)


def test_reconcile_per_energy_by_hand(est):
    rec = reconcile(tiny_bills(), est)
    assert list(rec.columns) == ["energy", "unit", "billed", "estimated", "gap", "unexplained_share",
                                 "billed_co2_t", "estimated_co2_t", "gap_co2_t"]
    e = rec.loc["電力"]
    assert (e["billed"], e["estimated"], e["gap"]) == pytest.approx((22_500, 20_000, 2_500))
    assert e["unexplained_share"] == pytest.approx(2_500 / 22_500)
    assert e["gap_co2_t"] == pytest.approx(2_500 * TEPCO_2025)
    oil = rec.loc["A重油"]
    assert (oil["gap"], oil["unexplained_share"]) == pytest.approx((0.5, 0.5 / 5.5))
    gas = rec.loc["都市ガス"]  # the list estimates more than the bills: a negative share
    assert (gas["gap"], gas["unexplained_share"]) == pytest.approx((-0.2, -0.25))
    petrol = rec.loc["ガソリン"]  # billed, not in the list: all unexplained
    assert (petrol["estimated"], petrol["unexplained_share"]) == (0, 1)
    lpg = rec.loc["LPG"]  # in the list, never billed: no share
    assert lpg["billed"] == 0 and lpg["gap"] == pytest.approx(-0.5) and np.isnan(lpg["unexplained_share"])
    assert rec["billed_co2_t"].is_monotonic_decreasing
    assert rec.loc["電力", "unit"] == "kWh" and rec.loc["都市ガス", "unit"] == "千m³"


def test_reconcile_per_site(est):
    rec = reconcile(tiny_bills(), est, by_site=True)
    assert rec.index.names == ["site", "energy_ja"]
    assert rec.loc[("S1", "電力"), "unexplained_share"] == pytest.approx(0.2)
    assert rec.loc[("S2", "電力"), "gap"] == pytest.approx(0)
    assert rec["gap"].sum() == pytest.approx(reconcile(tiny_bills(), est)["gap"].sum())


def test_reconcile_needs_one_fiscal_year(est):
    two = tiny_bills((2024, 2025))
    with pytest.raises(CnkitError, match="複数の年度"):
        reconcile(two, est)
    assert reconcile(two, est, fiscal_year=2025).loc["電力", "billed"] == pytest.approx(22_500)
    with pytest.raises(CnkitError, match="2023年度"):
        reconcile(two, est, fiscal_year=2023)
    with pytest.raises(CnkitError, match="co2_t"):
        reconcile(two.drop(columns="co2_t"), est, fiscal_year=2025)


# ============================================================================ energy flow
def _balanced(links: pd.DataFrame) -> None:
    nodes = node_totals(links)
    sites = nodes.loc[1]
    assert sites["in_flow"].tolist() == pytest.approx(sites["out_flow"].tolist())
    assert nodes.loc[0, "in_flow"].eq(0).all() and nodes.loc[2, "out_flow"].eq(0).all()
    assert nodes.loc[0, "out_flow"].sum() == pytest.approx(nodes.loc[2, "in_flow"].sum())
    assert (links["value"] > 0).all()


def test_energy_flow_by_hand(est):
    links = energy_flow(tiny_bills(), est, "gj")
    _balanced(links)
    assert links.attrs["unit"] == "GJ" and links.attrs["measure"] == "gj"
    v = links.set_index(["stage", "source", "target", "energy"])["value"]
    # stage 1: the bills
    assert v[(1, "電力", "S1", "electricity")] == pytest.approx(12_500 * GJ_PER_KWH)
    assert v[(1, "電力", "S2", "electricity")] == pytest.approx(10_000 * GJ_PER_KWH)
    # S1 electricity: the motor's estimate, the rest unexplained
    assert v[(2, "S1", "動力", "electricity")] == pytest.approx(10_000 * GJ_PER_KWH)
    assert v[(2, "S1", UNEXPLAINED_USE, "electricity")] == pytest.approx(2_500 * GJ_PER_KWH)
    # S2 electricity explained in full: no unexplained link
    assert (2, "S2", UNEXPLAINED_USE, "electricity") not in v.index
    # S1 city gas: estimate 1.0 > bill 0.8 → scaled down to the bill, no unexplained link
    assert v[(2, "S1", "加熱", "city_gas")] == pytest.approx(0.8 * FUEL["city_gas"][1])
    assert (2, "S1", UNEXPLAINED_USE, "city_gas") not in v.index
    # S2 gasoline: no equipment → all unexplained
    assert v[(2, "S2", UNEXPLAINED_USE, "gasoline")] == pytest.approx(1.0 * FUEL["gasoline"][1])
    # LPG has no bill: not drawn, and said so
    assert "lpg" not in set(links["energy"])
    notes = " ".join(links.attrs["notes"])
    assert "S1の都市ガス" in notes and "80.0%" in notes and "S2のLPG" in notes


def test_energy_flow_in_co2_and_bad_measure(est):
    bills = tiny_bills()
    links = energy_flow(bills, est, "co2_t")
    _balanced(links)
    assert links.loc[links["stage"] == 1, "value"].sum() == pytest.approx(bills["co2_t"].sum())
    assert links.attrs["unit"] == "t-CO2"
    with pytest.raises(CnkitError, match="measure"):
        energy_flow(bills, est, "kwh")


def test_energy_flow_balances_for_a_sha():
    a = cnkit.load_company("a_sha")
    em = cnkit.emissions(a.bills().table, a.suppliers, factor_fy=2025)
    em25 = em[em["fiscal_year"] == 2025]
    est = equipment_estimates(a.equipment(), a.suppliers, emissions_fy=2025)
    for measure in ("gj", "co2_t"):
        links = energy_flow(em, est, measure, fiscal_year=2025)
        _balanced(links)
        assert links.loc[links["stage"] == 1, "value"].sum() == pytest.approx(em25[measure].sum())
        uses = links[links["stage"] == 2].groupby("target")["value"].sum()
        # every process of the list appears, plus the unexplained part of a few per cent
        assert set(uses.index) == set(est["process"]) | {UNEXPLAINED_USE}
        assert 0.02 < uses[UNEXPLAINED_USE] / uses.sum() < 0.08
        assert links.attrs["notes"] == []
    # the story of DESIGN §3: the seven largest processes make up about 80 %
    table = pareto_table(est.groupby("process")["co2_t"].sum())
    assert ordered(table)[:7] == ["ボイラー", "熱処理炉", "コンプレッサー", "機械加工", "空調", "社用車", "照明"]
    assert table["vital_few"].sum() == 7
    # the compressors of 本社工場: 37 kW × 2 units × 4,400 h × 0.4
    comp = est[(est["site"] == "本社工場") & (est["process"] == "コンプレッサー")]
    assert comp["usage"].sum() == pytest.approx(37 * 2 * 4400 * 0.4)


# ============================================================================ CO2 as area
def test_co2_area_by_hand():
    bills = tiny_bills()
    t = co2_area(bills)
    e = t.loc["電力"]
    assert e["gj"] == pytest.approx(22_500 * GJ_PER_KWH)
    assert e["intensity_t_per_gj"] == pytest.approx(TEPCO_2025 / GJ_PER_KWH)
    assert e["gj"] * e["intensity_t_per_gj"] == pytest.approx(e["co2_t"]) == pytest.approx(22_500 * TEPCO_2025)
    assert t["co2_t"].is_monotonic_decreasing
    assert (t["co2_saved"] == 0).all()
    both = co2_area(bills, less={"電力": 0.5}, lower={"electricity": 0.5})
    e = both.loc["電力"]
    assert e["gj_after"] == pytest.approx(22_500 * GJ_PER_KWH / 2)
    assert e["co2_after"] == pytest.approx(22_500 * TEPCO_2025 / 4)
    assert e["co2_saved"] == pytest.approx(22_500 * TEPCO_2025 * 3 / 4)
    assert both.loc["A重油", "co2_saved"] == 0


@pytest.mark.parametrize("kwargs, words", [
    ({"less": {"電力": 20}}, ["電力", "0〜1"]),
    ({"lower": {"steam": 0.1}}, ["steam", "電力"]),
    ({"less": {"灯油": 0.1}}, ["灯油"]),  # not used in the tiny bills
])
def test_co2_area_bad_levers(kwargs, words):
    with pytest.raises(CnkitError) as info:
        co2_area(tiny_bills(), **kwargs)
    for w in words:
        assert w in str(info.value)


# ============================================================================ architecture
def test_new_calculate_modules_import_no_charts_or_widgets():
    code = ("import cnkit.calculate.pareto, cnkit.calculate.flow, cnkit.calculate.reconcile, cnkit.calculate.area\n"
            "import sys, json\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'ipywidgets', 'matplotlib_fontja'))))")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_energy_flow_rejects_negative_values(est):
    bills = tiny_bills()
    bills.loc[bills.index[0], "gj"] = -3.0
    with pytest.raises(CnkitError) as info:
        energy_flow(bills, est, "gj")
    assert "S1" in str(info.value) and "-3" in str(info.value) and "負" in str(info.value)
    bad_est = est.copy()
    bad_est.loc[bad_est.index[1], "co2_t"] = -1.5
    with pytest.raises(CnkitError, match="ボイラー.*-1.5"):
        energy_flow(tiny_bills(), bad_est, "co2_t")
