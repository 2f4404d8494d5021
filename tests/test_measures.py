"""cnkit.calculate.measures: each calculator by hand arithmetic, edge cases, the fuel → electricity shift.

Expected values are worked out here from the rules of thumb as written in FACTS.md and the factor
files (read with csv, not with cnkit), never copied from the functions' output.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from cnkit import CnkitError
from cnkit.calculate import measures as m

ROOT = Path(__file__).resolve().parents[1]
FACTORS = ROOT / "datasets" / "factors"
A_SHA = ROOT / "datasets" / "companies" / "a_sha"


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


RULES = {r["rule"]: r for r in _csv(FACTORS / "rules_of_thumb.csv")}
FUEL = {r["energy"]: r for r in _csv(FACTORS / "fuel_factors.csv") if r["factor_set"] == "revised"}
ELEC = {r["supplier"]: r for r in _csv(FACTORS / "electricity_factors.csv") if r["emissions_fy"] == "2025"}
PRICE = {r["item"]: float(r["value"]) for r in _csv(FACTORS / "prices.csv")}
GRID = float(ELEC["tepco_ep"]["basic_t_per_kwh"])           # 0.000421 t-CO2/kWh
OIL_CO2, OIL_GJ = float(FUEL["a_heavy_oil"]["co2_t_per_unit"]), float(FUEL["a_heavy_oil"]["heat_gj_per_unit"])
GAS_CO2 = float(FUEL["gasoline"]["co2_t_per_unit"])


def approx(x, rel=1e-9, abs=1e-9):
    return pytest.approx(x, rel=rel, abs=abs)


# ------------------------------------------------------------------------------------------
# the rules file carries FACTS.md's figures
def test_rules_of_thumb_match_facts():
    v = {k: float(r["value"]) for k, r in RULES.items()}
    assert (float(RULES["air_leak_share_before"]["low"]), float(RULES["air_leak_share_before"]["high"])) == (0.20, 0.30)
    assert (float(RULES["air_leak_share_after"]["low"]), float(RULES["air_leak_share_after"]["high"])) == (0.05, 0.10)
    assert v["compressor_pressure_saving_per_01mpa"] == 0.09
    assert (v["lamp_flr40x2_w"], v["lamp_fhf32x2_w"], v["led_40type_x2_w"]) == (98.4, 68.6, 36.8)
    assert v["inverter_affinity_exponent"] == 3 and v["ac_saving_share_2012_to_current"] == 0.43
    assert v["pv_yield_kwh_per_kw"] == 1209 and round(8760 * v["pv_capacity_factor"]) == 1209
    assert (v["pv_cost_yen_per_kw_10_50"], v["pv_cost_yen_per_kw_ge50"]) == (178_000, 113_000)
    assert v["heat_pump_cop"] == 3.5 and v["heat_gj_per_kwh"] == 0.0036
    # FACTS.md: UNVERIFIED or not given → must be labelled an assumption
    for name in ("oil_boiler_efficiency", "heat_pump_cop", "pv_self_consumption_share", "renewable_menu_factor_t_per_kwh",
                 "renewable_menu_premium_yen_per_kwh", "non_fossil_certificate_yen_per_kwh", "j_credit_yen_per_t",
                 "gasoline_car_km_per_l", "ev_kwh_per_km", "ev_price_premium_yen_per_car",
                 "compressor_heat_recoverable_share", "machine_idle_share_of_rated", "led_cost_yen_per_fixture"):
        assert RULES[name]["is_assumption"] == "true", name
    for r in RULES.values():
        assert r["source"].strip() and r["unit"].strip() and r["label_ja"].strip(), r["rule"]
        assert r["is_assumption"] in ("true", "false"), r["rule"]


def test_rule_lookup_and_unknown_rule():
    assert m.rule("heat_pump_cop") == 3.5
    with pytest.raises(CnkitError, match="rules_of_thumb.csv"):
        m.rule("no_such_rule")


# ------------------------------------------------------------------------------------------
# each calculator, by hand
def test_air_leak_repair_defaults_and_explicit():
    meas = m.air_leak_repair(100_000)  # 0.25 → 0.10: 15 % of the compressor kWh
    assert meas.category == "ナオス" and meas.energy == "electricity"
    assert meas.changes == {"electricity": approx(-15_000)}
    assert m.air_leak_repair(100_000, 0.30, 0.05).changes["electricity"] == approx(-25_000)
    assert m.air_leak_repair(0).changes["electricity"] == 0  # zero is allowed


def test_pressure_reduction():
    assert m.compressor_pressure_reduction(100_000).changes["electricity"] == approx(-9_000)  # 0.7 → 0.6
    assert m.compressor_pressure_reduction(100_000, 0.7, 0.65).changes["electricity"] == approx(-4_500)
    assert m.compressor_pressure_reduction(100_000, 0.6, 0.6).changes["electricity"] == approx(0)
    assert m.compressor_pressure_reduction(1, 0.8, 0.6).category == "サゲル"


def test_idle_shutdown():
    meas = m.idle_shutdown(19.8, 500)
    assert meas.category == "トメル" and meas.changes["electricity"] == approx(-9_900)


def test_led_replacement():
    # 100 fixtures × 3,000 h × (98.4 − 36.8) W = 18,480 kWh
    assert m.led_replacement(300_000).changes["electricity"] == approx(-18_480)
    # FHF32 → LED: 68.6 − 36.8 = 31.8 W
    assert m.led_replacement(1_000, old_w=68.6).changes["electricity"] == approx(-31.8)
    assert m.led_replacement(1).category == "カエル"


def test_high_efficiency_ac():
    assert m.high_efficiency_ac(10_000).changes["electricity"] == approx(-4_300)
    assert m.high_efficiency_ac(10_000, saving_share=0.3).changes["electricity"] == approx(-3_000)


def test_inverter_affinity_law():
    # 22 kW × 2,600 h × (0.8 − 0.8³) = 57,200 × 0.288 = 16,473.6 kWh
    assert m.inverter_fan_pump(22, 2600, 0.8, 0.8).changes["electricity"] == approx(-16_473.6)
    # full load, 90 % speed: 1 − 0.729 = 0.271
    assert m.inverter_fan_pump(10, 1000, 1.0, 0.9).changes["electricity"] == approx(-2_710)
    with pytest.raises(CnkitError, match="インバーターで電力は減りません"):
        m.inverter_fan_pump(10, 1000, 0.5, 0.9)  # 0.9³ = 0.729 > 0.5


def test_waste_heat_recovery_saves_fuel():
    # 100,000 kWh × 0.0036 × 0.5 = 180 GJ; ÷ (0.85 × 38.9 GJ/kL) = 5.4437 kL of A重油
    meas = m.waste_heat_recovery(100_000)
    assert meas.category == "ヒロウ" and meas.energy == "a_heavy_oil"
    assert meas.changes == {"a_heavy_oil": approx(-180 / (0.85 * OIL_GJ))}
    res = m.evaluate(meas)
    assert res["delta_co2_scope1_t"].iloc[0] == approx(-180 / (0.85 * OIL_GJ) * OIL_CO2)
    assert res["delta_co2_scope2_t"].iloc[0] == 0


def test_heat_pump_shift_lowers_scope1_raises_scope2():
    # 10 kL A重油 × 38.9 GJ/kL × 0.85 = 330.65 GJ of heat; ÷ 3.5 ÷ 0.0036 = 26,242.06 kWh
    meas = m.heat_pump(10)
    kwh = 10 * OIL_GJ * 0.85 / 3.5 / 0.0036
    assert meas.category == "電化"
    assert meas.changes["a_heavy_oil"] == -10 and meas.changes["electricity"] == approx(kwh)
    r = m.evaluate(meas).iloc[0]
    assert r["delta_co2_scope1_t"] == approx(-10 * OIL_CO2) and r["delta_co2_scope1_t"] < 0
    assert r["delta_co2_scope2_t"] == approx(kwh * GRID) and r["delta_co2_scope2_t"] > 0
    assert r["delta_co2_t"] == approx(-10 * OIL_CO2 + kwh * GRID) and r["delta_co2_t"] < 0  # net: still down
    assert r["delta_kwh"] > 0 and r["delta_a_heavy_oil"] == -10
    # GJ (省エネ法): −389 GJ of fuel + kWh × 8.64 GJ/MWh
    assert r["delta_gj"] == approx(-10 * OIL_GJ + kwh * 8.64 / 1000)
    # yen: −10,000 L × 100 円/L + kWh × 27 円/kWh
    assert r["delta_energy_cost_yen"] == approx(-10_000 * PRICE["a_heavy_oil"] + kwh * PRICE["electricity_all_in"])
    # a poor COP makes the shift increase CO2 (electricity is not automatically cleaner)
    bad = m.evaluate(m.heat_pump(10, cop=1.0)).iloc[0]
    assert bad["delta_co2_t"] > 0


def test_ev_conversion():
    # 1 kL × 1000 × 13 km/L = 13,000 km × 0.16 kWh/km = 2,080 kWh
    meas = m.ev_conversion(1)
    assert meas.changes == {"gasoline": -1, "electricity": approx(2_080)}
    r = m.evaluate(meas).iloc[0]
    assert r["delta_co2_scope1_t"] == approx(-GAS_CO2)
    assert r["delta_co2_scope2_t"] == approx(2_080 * GRID)
    assert r["delta_energy_cost_yen"] == approx(-1000 * PRICE["gasoline"] + 2_080 * PRICE["electricity_all_in"])
    assert m.ev_conversion(1, fuel="diesel").changes["diesel"] == -1


def test_pv_self_consumption():
    # 150 kW × 1,209 kWh/kW × 0.8 = 145,080 kWh bought less
    meas = m.pv_self_consumption(150)
    assert meas.category == "再エネ" and meas.changes["electricity"] == approx(-145_080)
    assert m.pv_self_consumption(10, self_consumption_share=1).changes["electricity"] == approx(-12_090)
    r = m.evaluate(meas).iloc[0]
    assert r["delta_co2_scope2_t"] == approx(-145_080 * GRID)


def test_renewable_menu_changes_factor_not_energy():
    r = m.evaluate(m.renewable_menu(100_000)).iloc[0]
    assert r["delta_kwh"] == 0 and r["delta_gj"] == 0 and r["delta_energy_cost_yen"] == 0
    assert r["delta_co2_scope2_t"] == approx(-100_000 * GRID)       # menu factor 0 (assumption)
    assert r["running_cost_yen"] == approx(100_000 * 2)             # premium 2 円/kWh (assumption)
    half = m.evaluate(m.renewable_menu(100_000, factor_t_per_kwh=0.0002)).iloc[0]
    assert half["delta_co2_scope2_t"] == approx(100_000 * (0.0002 - GRID))


def test_certificates_are_offsets_not_reductions():
    nf = m.evaluate(m.non_fossil_certificate(100_000)).iloc[0]
    assert nf["category"] == "オフセット"
    assert nf["delta_co2_t"] == 0 and nf["delta_kwh"] == 0 and nf["delta_gj"] == 0
    assert nf["delta_co2_offset_t"] == approx(-100_000 * GRID)
    assert nf["delta_co2_net_t"] == approx(-100_000 * GRID)
    assert nf["running_cost_yen"] == approx(100_000 * 0.4)
    jc = m.evaluate(m.j_credit(50)).iloc[0]
    assert jc["delta_co2_t"] == 0 and jc["delta_co2_offset_t"] == -50 and jc["delta_co2_net_t"] == -50
    assert jc["running_cost_yen"] == approx(50 * 3000) and pd.isna(jc["energy"])


def test_evaluate_electricity_saving_in_yen_gj_and_kl():
    r = m.evaluate(m.idle_shutdown(10, 100)).iloc[0]  # 1,000 kWh
    assert r["delta_kwh"] == -1000
    assert r["delta_energy_cost_yen"] == approx(-1000 * PRICE["electricity_all_in"])
    assert r["delta_gj"] == approx(-8.64)
    assert r["delta_crude_kl"] == approx(-8.64 * 0.0258)
    assert r["delta_co2_scope2_t"] == approx(-1000 * GRID) and r["delta_co2_scope1_t"] == 0
    # another electricity factor: the national average (location-based)
    loc = m.evaluate(m.idle_shutdown(10, 100), electricity_factor="location").iloc[0]
    assert loc["delta_co2_scope2_t"] == approx(-1000 * float(ELEC["national_average"]["basic_t_per_kwh"]))


def test_running_cost_and_measure_fields():
    meas = m.led_replacement(1000, investment_yen=15_000, lifetime_years=12, running_cost_yen_per_year=-500,
                             id="led_test", name_ja="テスト")
    r = m.evaluate(meas).iloc[0]
    assert (r["measure_id"], r["name_ja"], r["investment_yen"], r["lifetime_years"]) == ("led_test", "テスト", 15_000, 12)
    assert r["delta_cost_yen"] == approx(r["delta_energy_cost_yen"] - 500)


# ------------------------------------------------------------------------------------------
# bad input: Japanese messages naming the parameter and the value
@pytest.mark.parametrize("call, words", [
    (lambda: m.air_leak_repair(-1), ["compressor_kwh", "-1"]),
    (lambda: m.air_leak_repair(1000, 25, 10), ["leak_share_before", "百分率"]),
    (lambda: m.air_leak_repair(1000, 0.1, 0.2), ["leak_share_after", "0.2"]),
    (lambda: m.air_leak_repair(1e12), ["compressor_kwh", "大きすぎ"]),
    (lambda: m.air_leak_repair("1000"), ["compressor_kwh", "数値"]),
    (lambda: m.air_leak_repair(float("nan")), ["compressor_kwh"]),
    (lambda: m.compressor_pressure_reduction(1000, 0.6, 0.7), ["pressure_after_mpa", "0.7"]),
    (lambda: m.compressor_pressure_reduction(1000, 7, 6), ["pressure_before_mpa", "大きすぎ"]),
    (lambda: m.compressor_pressure_reduction(1000, 0.9, 0.5), ["下げ幅", "適用範囲"]),
    (lambda: m.idle_shutdown(5, 9000), ["hours_per_year", "9,000"]),
    (lambda: m.led_replacement(1000, old_w=20, new_w=36.8), ["new_w", "36.8"]),
    (lambda: m.high_efficiency_ac(1000, saving_share=1.5), ["saving_share", "1.5"]),
    (lambda: m.inverter_fan_pump(10, 1000, 0.8, 0), ["speed_ratio", "0"]),
    (lambda: m.heat_pump(10, cop=0.5), ["cop", "0.5"]),
    (lambda: m.heat_pump(10, cop=30), ["cop", "大きすぎ"]),
    (lambda: m.heat_pump(10, fuel="electricity"), ["fuel", "electricity"]),
    (lambda: m.heat_pump(10, boiler_efficiency=0), ["boiler_efficiency", "0"]),
    (lambda: m.ev_conversion(1, fuel="kerosene"), ["fuel", "kerosene"]),
    (lambda: m.pv_self_consumption(150, self_consumption_share=80), ["self_consumption_share", "百分率"]),
    (lambda: m.renewable_menu(-5), ["kwh", "-5"]),
    (lambda: m.j_credit(-1), ["t_co2", "-1"]),
    (lambda: m.idle_shutdown(1, 1, colour="red"), ["colour"]),
])
def test_bad_input_raises_japanese_message(call, words):
    with pytest.raises(CnkitError) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_category_and_energy_are_validated():
    with pytest.raises(CnkitError, match="区分.*省エネ"):
        m.Measure("x", "x", "省エネ", "electricity")
    with pytest.raises(CnkitError, match="energy.*steam"):
        m.Measure("x", "x", "ナオス", "steam")
    with pytest.raises(CnkitError, match="changes"):
        m.Measure("x", "x", "ナオス", "electricity", changes={"steam": -1})
    with pytest.raises(CnkitError, match="lifetime_years"):
        m.Measure("x", "x", "ナオス", "electricity", lifetime_years=0)
    with pytest.raises(CnkitError, match="switched_factor_t_per_kwh"):
        m.Measure("x", "x", "排出係数の低減", "electricity", switched_kwh=10)
    assert m.led_replacement(1, category="ヤメル").category == "ヤメル"  # a category can be overridden
    assert set(m.SIX_POINTS) <= set(m.CATEGORIES) and len(m.CATEGORIES) == 10
    assert set(m.CATEGORY_MEANINGS) == set(m.CATEGORIES)
    with pytest.raises(CnkitError, match="Measure"):
        m.evaluate({"id": "x"})


def test_evaluate_all_and_savings_table():
    ms = [m.idle_shutdown(10, 100), m.j_credit(5)]
    res = m.evaluate_all(ms)
    assert list(res.index) == ["idle_shutdown", "j_credit"] and list(res.columns) == m.RESULT_COLUMNS
    t = m.savings_table(res)
    assert t.loc["待機時の停止", "削減電力量（kWh/年）"] == 1000
    assert t.loc["J-クレジットの購入", "オフセット（t-CO2/年）"] == 5
    assert (t.select_dtypes("number").map(lambda v: math.copysign(1, v)) > -2).all().all()
    assert m.evaluate_all([]).empty
    with pytest.raises(CnkitError, match="重複"):
        m.evaluate_all([m.idle_shutdown(1, 1), m.idle_shutdown(2, 2)])


# ------------------------------------------------------------------------------------------
# A社's candidate measures: the inputs follow from the equipment list, the bills and the rules
def test_a_sha_measures_file_inputs_follow_from_equipment_and_rules():
    rows = {r["measure_id"]: r for r in _csv(A_SHA / "measures.csv")}
    eq = pd.read_csv(A_SHA / "equipment.csv")
    kwh = eq["rated_kw"] * eq["units"] * eq["hours_per_year"] * eq["load_factor"]

    def inputs(mid):
        return dict(p.split("=") for p in rows[mid]["inputs"].split(";"))

    comp = kwh[eq["process"] == "コンプレッサー"].sum()
    assert float(inputs("air_leak")["compressor_kwh"]) == pytest.approx(comp)
    assert float(inputs("pressure")["compressor_kwh"]) == pytest.approx(comp * (1 - (0.25 - 0.10)), abs=1)
    comp_hq = kwh[(eq["process"] == "コンプレッサー") & (eq["site"] == "本社工場")].sum()
    assert float(inputs("waste_heat")["compressor_kwh"]) == pytest.approx(comp_hq * 0.85 * 0.91, abs=1)
    fl = eq[eq["equipment"].str.contains("FLR40")]
    assert float(inputs("led")["fixture_hours"]) == (fl["units"] * fl["hours_per_year"]).sum()
    assert int(rows["led"]["investment_yen"]) == fl["units"].sum() * 15_000
    ac = eq[(eq["process"] == "空調") & eq["note"].fillna("").str.contains("2012")]
    assert float(inputs("aircon")["ac_kwh"]) == pytest.approx(kwh[ac.index].sum())
    fan = eq[eq["process"] == "塗装ブース排気ファン"].iloc[0]
    assert float(inputs("inverter")["rated_kw"]) == fan["rated_kw"] * fan["units"]
    assert float(inputs("inverter")["current_load"]) == fan["load_factor"]
    mach = eq[eq["equipment"].str.contains("マシニング|NC旋盤")]
    assert float(inputs("idle")["idle_kw"]) == pytest.approx((mach["rated_kw"] * mach["units"]).sum() * 0.15)
    assert int(rows["pv"]["investment_yen"]) == 150 * 113_000
    for r in rows.values():
        assert r["category"] in m.CATEGORIES and r["calculator"] in m.CALCULATORS, r["measure_id"]
        assert r["basis_ja"].strip() and r["cost_basis_ja"].strip() and r["source"].strip()


@pytest.fixture(scope="module")
def a_sha():
    ms = m.company_measures("a_sha")
    return ms, m.evaluate_all(ms)


def test_a_sha_measures_story(a_sha):
    ms, res = a_sha
    assert [x.id for x in ms][:7] == ["air_leak", "pressure", "idle", "led", "aircon", "inverter", "waste_heat"]
    assert {x.category for x in ms[:7]} == {"ナオス", "サゲル", "トメル", "カエル", "ヒロウ"}
    # by hand: leak 159,820 × 0.15; LED 595,600 × 61.6 / 1000; AC 90,930 × 0.43; PV 150 × 1,209 × 0.8
    assert res.loc["air_leak", "delta_kwh"] == pytest.approx(-159_820 * 0.15)
    assert res.loc["led", "delta_kwh"] == pytest.approx(-595_600 * 61.6 / 1000)
    assert res.loc["aircon", "delta_kwh"] == pytest.approx(-90_930 * 0.43)
    assert res.loc["pv", "delta_kwh"] == pytest.approx(-145_080)
    # heat pump: Scope 1 down, Scope 2 up, net down
    hp = res.loc["heat_pump"]
    assert hp["delta_co2_scope1_t"] == pytest.approx(-23.801 * OIL_CO2)
    assert hp["delta_co2_scope2_t"] > 0 and hp["delta_co2_t"] < 0
    # the energy-saving measures of notebook 04 cut roughly 10–15 % of A社's ≈ 560 t
    saved04 = -res.iloc[:7]["delta_co2_t"].sum()
    assert 50 < saved04 < 90
    # the comparison row is out of the plan; offsets come last and only change the net figure
    assert not res.loc["non_fossil", "in_plan"] and res.loc["j_credit", "in_plan"]
    assert ms[-1].category == "オフセット" and res.loc["j_credit", "delta_co2_t"] == 0


def test_a_sha_residuals(a_sha):
    ms, res = a_sha
    import cnkit

    a = cnkit.load_company("a_sha")
    em = cnkit.emissions(a.bills().table, a.suppliers, factor_fy=2025)
    em = em[em["fiscal_year"] == 2025]
    base_kwh, base_t = em.loc[em["energy"] == "electricity", "usage"].sum(), em["co2_t"].sum()
    plan = res[res["in_plan"]]
    before_menu = plan.loc[:"ev"]
    menu = next(x for x in ms if x.id == "renewable_menu")
    assert menu.switched_kwh == pytest.approx(base_kwh + before_menu["delta_kwh"].sum())
    before_credit = plan.loc[:"renewable_menu"]
    credit = next(x for x in ms if x.id == "j_credit")
    assert credit.offset_t_co2 == pytest.approx(base_t + before_credit["delta_co2_net_t"].sum())
    # after everything in the plan, the reported (net) emissions are zero
    assert base_t + plan["delta_co2_net_t"].sum() == pytest.approx(0, abs=1e-6)
    # but the emissions themselves are not
    assert base_t + plan["delta_co2_t"].sum() > 100


def test_measure_records_calculator_and_inputs():
    pv = m.pv_self_consumption(150)
    assert pv.calculator == "pv_self_consumption"
    assert pv.inputs == {"kw": 150, "yield_kwh_per_kw": 1209, "self_consumption_share": 0.8}
    hp = m.heat_pump(10, cop=4)
    assert hp.inputs["cop"] == 4 and hp.inputs["fuel"] == "a_heavy_oil" and hp.inputs["boiler_efficiency"] == 0.85
    assert m.evaluate(pv)["calculator"].iloc[0] == "pv_self_consumption"
    for name, func in m.CALCULATORS.items():
        assert func.__name__ == name


def test_measures_module_imports_no_charts_or_widgets():
    import json
    import subprocess
    import sys

    probe = ("import sys, json\nimport cnkit.calculate.measures\n"
             "print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in "
             "('matplotlib', 'ipywidgets', 'IPython'))))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
