"""Roadmap (notebook 07): the yearly model by hand on a toy plan, the interaction order, targets and the
first year each is met, the Excel workbook and the summary opened and read back, the builder widget, charts.

Expected values are worked out here by hand from the factor, price and target files (read with csv),
never copied from the functions' output.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import cnkit  # noqa: E402
from cnkit import CnkitError  # noqa: E402
from cnkit.calculate import roadmap as r  # noqa: E402
from cnkit.calculate.measures import Measure, j_credit, renewable_menu  # noqa: E402
from cnkit.interact import roadmap as ir  # noqa: E402
from cnkit.report import roadmap as report  # noqa: E402
from cnkit.show import roadmap as sr  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def _csv(*parts) -> list[dict]:
    with open(DATA.joinpath(*parts), encoding="utf-8") as f:
        return list(csv.DictReader(f))


GRID = float(next(x for x in _csv("factors", "electricity_factors.csv")
                  if x["supplier"] == "tepco_ep" and x["emissions_fy"] == "2025")["basic_t_per_kwh"])  # 0.000421
OIL = float(next(x for x in _csv("factors", "fuel_factors.csv")
                 if x["factor_set"] == "revised" and x["energy"] == "a_heavy_oil")["co2_t_per_unit"])  # t-CO2/kL
PRICE = {x["item"]: float(x["value"]) for x in _csv("factors", "prices.csv")}
YEN_KWH = PRICE["electricity_all_in"]                 # 円/kWh
YEN_KL_OIL = PRICE["a_heavy_oil"] * 1000              # 円/L → 円/kL
SBT_RATE = float(next(x for x in _csv("finance", "programmes.csv")
                      if x["programme"] == "sbt_sme" and x["item"] == "linear_reduction_rate")["value"])
NATIONAL = {int(x["target_year"]): float(x["value"]) / 100 for x in _csv("policy", "targets.csv")
            if x["target_id"] in ("japan_2030", "japan_2035", "japan_2040", "japan_2050")}
MEASURES_CSV = {x["measure_id"]: x for x in _csv("companies", "a_sha", "measures.csv")}
PLAN = yaml.safe_load((DATA / "plans" / "a_sha_plan.yml").read_text(encoding="utf-8"))

# ------------------------------------------------------------------------------------------
# a toy plan: 100,000 kWh and 10 kL of A重油 in FY2025; two measures
BASE_USAGE = {"electricity": 100_000.0, "a_heavy_oil": 10.0}
BASE_T = 100_000 * GRID + 10 * OIL
LED = Measure(id="a", name_ja="照明の更新", category="カエル", energy="electricity",
              changes={"electricity": -20_000}, investment_yen=1_000_000, lifetime_years=12)
HP = Measure(id="b", name_ja="ヒートポンプ", category="電化", energy="a_heavy_oil",
             changes={"a_heavy_oil": -4, "electricity": 10_000}, investment_yen=3_000_000,
             running_cost_yen_per_year=50_000, lifetime_years=15)
TOY_SCHEDULE = pd.DataFrame([
    {"measure_id": "a", "construction_fy": 2026, "operation_fy": 2027},
    {"measure_id": "b", "introduce_fy": 2026, "construction_fy": 2027, "operation_fy": 2028},
])
YEARS = (2026, 2027, 2028)


def toy(measures=(LED, HP), schedule=TOY_SCHEDULE, **kw):
    kw.setdefault("targets", [])
    return r.roadmap_from_measures(BASE_USAGE, list(measures), schedule, base_fy=2025, years=YEARS,
                                   supplier="tepco_ep", company_name="テスト社", **kw)


def approx(x, rel=1e-9, abs=1e-6):
    return pytest.approx(x, rel=rel, abs=abs)


# ------------------------------------------------------------------------------------------
# the model by hand
def test_toy_emissions_by_year():
    rm = toy()
    e = rm.yearly["emissions_t"]
    assert list(rm.yearly.index) == [2025, 2026, 2027, 2028]
    assert e[2025] == approx(BASE_T)
    assert e[2026] == approx(BASE_T)                         # LED is being installed: no effect yet
    assert e[2027] == approx(BASE_T - 20_000 * GRID)         # LED runs
    assert e[2028] == approx(BASE_T - 10_000 * GRID - 4 * OIL)  # + heat pump: −4 kL oil, +10,000 kWh
    assert rm.yearly.loc[2028, "scope1_t"] == approx(6 * OIL)
    assert rm.yearly.loc[2028, "scope2_t"] == approx(90_000 * GRID)
    assert rm.yearly.loc[2028, "purchased_kwh"] == approx(90_000)
    assert rm.yearly.loc[2028, "reduction_t"] == approx(10_000 * GRID + 4 * OIL)
    assert rm.yearly.loc[2028, "reduction_rate"] == approx((10_000 * GRID + 4 * OIL) / BASE_T)
    assert (rm.yearly["offset_t"] == 0).all()
    assert rm.yearly["net_emissions_t"].tolist() == approx(e.tolist())


def test_toy_cash_flow_by_year():
    rm = toy()
    y = rm.yearly
    assert y["investment_yen"].tolist() == [0, 1_000_000, 3_000_000, 0]   # paid in the 工事 year
    assert y.loc[2027, "energy_cost_change_yen"] == approx(-20_000 * YEN_KWH)
    assert y.loc[2028, "energy_cost_change_yen"] == approx(-10_000 * YEN_KWH - 4 * YEN_KL_OIL)
    assert y.loc[2028, "running_cost_change_yen"] == approx(50_000)
    flows = [0, -1_000_000, -3_000_000 + 20_000 * YEN_KWH, 10_000 * YEN_KWH + 4 * YEN_KL_OIL - 50_000]
    assert y["net_cash_flow_yen"].tolist() == approx(flows)
    assert y["cumulative_cash_flow_yen"].tolist() == approx(list(np.cumsum(flows)))
    # with the course's prices: 27 円/kWh, 100 円/L
    if (YEN_KWH, YEN_KL_OIL) == (27, 100_000):
        assert y.loc[2028, "cumulative_cash_flow_yen"] == approx(-2_840_000)


def test_subsidy_is_received_in_the_investment_year():
    rm = toy(subsidies={"b": 1_000_000})
    assert rm.yearly.loc[2027, "subsidy_yen"] == 1_000_000
    assert rm.yearly.loc[2027, "net_cash_flow_yen"] == approx(-2_000_000 + 20_000 * YEN_KWH)
    assert rm.measures.loc["b", "subsidy_yen"] == 1_000_000
    assert rm.yearly.loc[2028, "cumulative_cash_flow_yen"] == approx(
        toy().yearly.loc[2028, "cumulative_cash_flow_yen"] + 1_000_000)
    with pytest.raises(CnkitError, match="投資額"):
        toy(subsidies={"a": 2_000_000})
    with pytest.raises(CnkitError, match="zzz"):
        toy(subsidies={"zzz": 1})


def test_measure_table_and_contributions():
    rm = toy()
    m = rm.measures
    assert list(m.index) == ["a", "b"]
    assert m.loc["a", "reduction_t"] == approx(20_000 * GRID)
    assert m.loc["b", "reduction_t"] == approx(4 * OIL - 10_000 * GRID)
    assert m.loc["b", "start_fy"] == 2026 and m.loc["b", "investment_fy"] == 2027
    assert m.loc["b", "energy_cost_change_yen"] == approx(10_000 * YEN_KWH - 4 * YEN_KL_OIL)
    c = rm.contributions
    assert c.loc["a"].tolist() == approx([0, 20_000 * GRID, 20_000 * GRID])
    assert c.loc["b"].tolist() == approx([0, 0, 4 * OIL - 10_000 * GRID])
    assert c.sum().tolist() == approx(rm.yearly.loc[list(YEARS), "reduction_t"].tolist())


def test_phases_and_template():
    rm = toy()
    ph = rm.phases.set_index(["measure_id", "phase"])
    assert ph.loc[("b", "導入"), ["start_fy", "end_fy"]].tolist() == [2026, 2026]
    assert ph.loc[("b", "工事"), ["start_fy", "end_fy"]].tolist() == [2027, 2027]
    assert ph.loc[("b", "運用"), ["start_fy", "end_fy"]].tolist() == [2028, 2028]
    t = rm.template()
    assert list(t.columns[:6]) == ["取組", "分類", "実施年度", "2026年度", "2027年度", "2028年度"]
    assert t.iloc[0][["2026年度", "2027年度", "2028年度"]].tolist() == ["工事", "運用", "運用"]
    assert t.iloc[1][["2026年度", "2027年度", "2028年度"]].tolist() == ["導入", "工事", "運用"]
    assert t.iloc[1]["実施年度"] == 2026
    totals = rm.template_totals()
    assert totals.loc["累積キャッシュフロー（円）", "2028年度"] == approx(rm.yearly.loc[2028, "cumulative_cash_flow_yen"])


# ------------------------------------------------------------------------------------------
# interaction order: energy first, then the factor of the remaining kWh, offsets last
MENU = Measure(id="menu", name_ja="再エネメニュー", category="排出係数の低減", energy="electricity",
               switched_kwh=50_000, switched_factor_t_per_kwh=0.0, running_cost_yen_per_year=100_000)  # 2 円/kWh
CREDIT = Measure(id="credit", name_ja="クレジット", category="オフセット", energy=None, offset_t_co2=1.0,
                 running_cost_yen_per_year=3_000)  # 3,000 円/t
SCHEDULE_4 = pd.concat([TOY_SCHEDULE, pd.DataFrame([{"measure_id": "menu", "operation_fy": 2027},
                                                    {"measure_id": "credit", "operation_fy": 2028}])])


def test_residual_menu_covers_the_kwh_left_after_energy_measures():
    rm = toy([LED, HP, MENU, CREDIT], SCHEDULE_4, residual={"menu", "credit"})
    y = rm.yearly
    # 2027: LED runs, 80,000 kWh left, all on the menu; premium 2 円/kWh
    assert y.loc[2027, "scope2_t"] == approx(0)
    assert y.loc[2027, "emissions_t"] == approx(10 * OIL)
    assert y.loc[2027, "running_cost_change_yen"] == approx(80_000 * 2)
    assert rm.contributions.loc["menu", 2027] == approx(80_000 * GRID)
    # 2028: the heat pump adds 10,000 kWh → 90,000 kWh on the menu (not 100,000 nor 80,000)
    assert y.loc[2028, "scope2_t"] == approx(0)
    assert rm.contributions.loc["menu", 2028] == approx(90_000 * GRID)
    # offsets last, on what is left (Scope 1 of the remaining 6 kL), shown apart from emissions
    assert y.loc[2028, "emissions_t"] == approx(6 * OIL)
    assert y.loc[2028, "offset_t"] == approx(6 * OIL)
    assert y.loc[2028, "net_emissions_t"] == approx(0)
    assert y.loc[2028, "running_cost_change_yen"] == approx(50_000 + 90_000 * 2 + 6 * OIL * 3_000)
    assert rm.contributions.loc["credit"].tolist() == approx([0, 0, 0])  # an offset is not a reduction
    assert rm.measures.loc["credit", "offset_t"] == approx(6 * OIL)


def test_fixed_menu_covers_at_most_its_own_kwh():
    rm = toy([LED, HP, MENU, CREDIT], SCHEDULE_4, residual=set())
    y = rm.yearly
    assert y.loc[2028, "scope2_t"] == approx((90_000 - 50_000) * GRID)
    assert y.loc[2028, "running_cost_change_yen"] == approx(50_000 + 100_000 + 1 * 3_000)
    assert y.loc[2028, "offset_t"] == approx(1.0)
    assert y.loc[2028, "net_emissions_t"] == approx(6 * OIL + 40_000 * GRID - 1)


def test_menu_and_credit_from_the_measure_calculators():
    menu = renewable_menu(50_000, id="menu")
    credit = j_credit(1.0, id="credit")
    rm = toy([LED, HP, menu, credit], SCHEDULE_4, residual={"menu", "credit"})
    assert rm.yearly.loc[2028, "scope2_t"] == approx(0)
    assert rm.yearly.loc[2028, "net_emissions_t"] == approx(0)


def test_certificates_only_on_grid_kwh_not_on_the_menu():
    cert = Measure(id="cert", name_ja="証書", category="オフセット", energy="electricity", offset_kwh=100_000,
                   running_cost_yen_per_year=40_000)  # 0.4 円/kWh
    sched = pd.concat([TOY_SCHEDULE, pd.DataFrame([{"measure_id": "menu", "operation_fy": 2027},
                                                   {"measure_id": "cert", "operation_fy": 2027}])])
    rm = toy([LED, HP, MENU, cert], sched)
    # 2027: 80,000 kWh; 50,000 on the menu; certificates for the other 30,000 only
    assert rm.yearly.loc[2027, "offset_t"] == approx(30_000 * GRID)
    assert rm.yearly.loc[2027, "net_emissions_t"] == approx(10 * OIL)
    assert rm.yearly.loc[2027, "running_cost_change_yen"] == approx(100_000 + 30_000 * 0.4)


def test_savings_larger_than_the_base_are_refused():
    big = Measure(id="big", name_ja="大きすぎる対策", category="カエル", energy="a_heavy_oil", changes={"a_heavy_oil": -20})
    with pytest.raises(CnkitError, match="A重油"):
        toy([big], pd.DataFrame([{"measure_id": "big", "operation_fy": 2026}]))


# ------------------------------------------------------------------------------------------
# targets
def test_first_year_met():
    s = pd.Series({2026: 100.0, 2027: 90.0, 2028: 80.0})
    assert r.first_year_met(s, 90) == 2027          # "at or below"
    assert r.first_year_met(s, 95) == 2027
    assert r.first_year_met(s, 79.9) is None
    assert r.first_year_met({2028: 1.0, 2026: 5.0}, 5.0) == 2026


def test_target_paths_by_hand():
    c = r.company_target(100, 2025, 2030, 0.5)
    assert c.path[2025] == approx(100) and c.path[2026] == approx(90) and c.target_t == approx(50)
    s = r.sbt_target(100, 2025, 2030)
    assert s.target_t == approx(100 * (1 - SBT_RATE * 5))
    assert s.path[2027] == approx(100 * (1 - SBT_RATE * 2))
    n = r.national_target(100, 2025, 2030)
    level_2025 = 1 - NATIONAL[2030] * (2025 - 2013) / (2030 - 2013)   # straight line FY2013 → FY2030
    assert n.target_t == approx(100 * (1 - NATIONAL[2030]) / level_2025)
    assert n.path[2025] == approx(100)
    nat = r.national_path()
    assert nat[2013] == 0 and nat[2030] == approx(NATIONAL[2030]) and nat[2040] == approx(NATIONAL[2040])
    assert nat[2033] == approx(NATIONAL[2030] + (NATIONAL[2035] - NATIONAL[2030]) * 3 / 5)
    with pytest.raises(CnkitError, match="割合"):
        r.company_target(100, 2025, 2030, 50)
    with pytest.raises(CnkitError, match="目標年度"):
        r.company_target(100, 2025, 2025, 0.3)


def test_targets_in_the_toy_roadmap():
    reduction_2028 = (10_000 * GRID + 4 * OIL) / BASE_T
    targets = [r.company_target(BASE_T, 2025, 2028, reduction_2028 * 0.99),   # met in 2028 only
               r.sbt_target(BASE_T, 2025, 2028)]
    rm = toy(targets=targets)
    t = rm.targets
    assert t.loc["company", "first_year_met"] == 2028
    sbt_level = BASE_T * (1 - SBT_RATE * 3)
    want = next((fy for fy in YEARS if rm.yearly.loc[fy, "emissions_t"] <= sbt_level), None)
    assert (None if pd.isna(t.loc["sbt", "first_year_met"]) else t.loc["sbt", "first_year_met"]) == want
    assert t.loc["sbt", "target_t"] == approx(sbt_level)
    assert rm.target_paths.loc[2026, "sbt"] == approx(BASE_T * (1 - SBT_RATE))
    assert bool(rm.on_path.loc[2026, "company"]) == bool(BASE_T <= rm.target_paths.loc[2026, "company"])
    rm2 = toy(targets=[r.company_target(BASE_T, 2025, 2028, 0.9)])
    assert pd.isna(rm2.targets.loc["company", "first_year_met"])
    assert rm2.key_figures()["first_year_met"] == {"company": None}


# ------------------------------------------------------------------------------------------
# schedules
def test_schedule_errors_are_japanese_and_name_the_value():
    ids = ["a", "b"]
    cases = [
        (pd.DataFrame([{"measure_id": "a"}]), "operation_fy"),
        (pd.DataFrame([{"measure_id": "a", "operation_fy": None}]), "運用開始"),
        (pd.DataFrame([{"measure_id": "a", "construction_fy": 2028, "operation_fy": 2027}]), "順番"),
        (pd.DataFrame([{"measure_id": "a", "construction_fy": 2027, "operation_fy": 2027}]), "順番"),
        (pd.DataFrame([{"measure_id": "a", "operation_fy": 2027.5}]), "2027.5"),
        (pd.DataFrame([{"measure_id": "a", "operation_fy": "来年"}]), "来年"),
        (pd.DataFrame([{"measure_id": "zz", "operation_fy": 2027}]), "zz"),
        (pd.DataFrame([{"measure_id": "a", "operation_fy": 2027}, {"measure_id": "a", "operation_fy": 2028}]), "2回"),
        (pd.DataFrame([{"measure_id": "a", "operation_fy": 2025}]), "基準年度"),
        ({"a": 2027}, "DataFrame"),
    ]
    for sched, text in cases:
        with pytest.raises(CnkitError) as info:
            r.check_schedule(sched, ids, base_fy=2025)
        assert text in str(info.value), (sched, str(info.value))
        assert JAPANESE.search(str(info.value))


def test_reschedule_moves_every_phase_and_keeps_selected():
    s = r.reschedule(TOY_SCHEDULE, {"b": 2027})
    b = s.set_index("measure_id").loc["b"]
    assert [b["introduce_fy"], b["construction_fy"], b["operation_fy"]] == [2027, 2028, 2029]
    a = s.set_index("measure_id").loc["a"]
    assert pd.isna(a["introduce_fy"]) and a["operation_fy"] == 2027
    only = r.reschedule(TOY_SCHEDULE, {"b": 2027}, keep=["a"])
    assert list(only["measure_id"]) == ["a"]
    assert len(r.reschedule(TOY_SCHEDULE, keep=[])) == 0
    with pytest.raises(CnkitError, match="zz"):
        r.reschedule(TOY_SCHEDULE, {"zz": 2027})
    with pytest.raises(CnkitError, match="zz"):
        r.reschedule(TOY_SCHEDULE, keep=["zz"])


def test_empty_plan_is_the_base_year_every_year():
    rm = toy(schedule=r.reschedule(TOY_SCHEDULE, keep=[]))
    assert rm.yearly["emissions_t"].tolist() == approx([BASE_T] * 4)
    assert rm.yearly["cumulative_cash_flow_yen"].tolist() == [0, 0, 0, 0]
    assert list(rm.template().columns[:3]) == ["取組", "分類", "実施年度"]


# ------------------------------------------------------------------------------------------
# A社: the plan file, the bills (FY2025, as in 02) and measures.csv
@pytest.fixture(scope="module")
def a_sha():
    return r.build_roadmap("a_sha")


def test_a_sha_plan_file_is_the_default(a_sha):
    assert PLAN["is_assumption"] is True and PLAN["source"]
    want = {e["measure_id"]: e["operation_fy"] for e in PLAN["schedule"]}
    assert a_sha.measures["operation_fy"].astype(int).to_dict() == want
    assert set(want) <= set(MEASURES_CSV)
    assert a_sha.years == tuple(range(PLAN["plan_years"]["first"], PLAN["plan_years"]["last"] + 1))
    assert a_sha.targets.loc["company", "reduction_vs_base"] == approx(PLAN["company_target"]["reduction_vs_base"])


def test_a_sha_base_is_the_bills_of_fy2025(a_sha):
    a = cnkit.load_company("a_sha")
    em = cnkit.emissions(a.bills().table, a.suppliers, factor_fy=2025)
    assert a_sha.base_t == approx(em.loc[em["fiscal_year"] == 2025, "co2_t"].sum(), rel=1e-9)
    assert 530 < a_sha.base_t < 590  # DESIGN §3: ≈ 560 t-CO2


def test_a_sha_trajectory_follows_the_convention(a_sha):
    y = a_sha.yearly
    # every year: the reductions of the measures in operation add up to the yearly reduction
    assert a_sha.contributions.sum().tolist() == approx(y.loc[list(a_sha.years), "reduction_t"].tolist())
    # PV (kW × kWh/kW × self-consumption, measures.csv and rules_of_thumb.csv) starts in its operation year
    rules = {x["rule"]: float(x["value"]) for x in _csv("factors", "rules_of_thumb.csv")}
    pv_kwh = 150 * rules["pv_yield_kwh_per_kw"] * rules["pv_self_consumption_share"]
    assert "kw=150" in MEASURES_CSV["pv"]["inputs"]
    pv_year = int(a_sha.measures.loc["pv", "operation_fy"])
    assert a_sha.contributions.loc["pv", pv_year - 1] == 0
    assert a_sha.contributions.loc["pv", pv_year] == approx(pv_kwh * GRID)
    # the residual menu in FY2030 takes all purchased kWh left → Scope 2 = 0; the credit takes the rest
    assert y.loc[2030, "scope2_t"] == approx(0)
    assert a_sha.contributions.loc["renewable_menu", 2030] == approx(y.loc[2030, "purchased_kwh"] * GRID)
    assert y.loc[2030, "offset_t"] == approx(y.loc[2030, "emissions_t"])
    assert y.loc[2030, "net_emissions_t"] == approx(0)
    # investment: the sum of measures.csv, each in its year
    assert y["investment_yen"].sum() == approx(sum(float(x["investment_yen"] or 0) for k, x in MEASURES_CSV.items()
                                                   if k in a_sha.measures.index))
    assert y.loc[2026, "investment_yen"] == approx(float(MEASURES_CSV["air_leak"]["investment_yen"])
                                                  + float(MEASURES_CSV["led"]["investment_yen"]))


def test_a_sha_first_years_met(a_sha):
    e = a_sha.yearly.loc[list(a_sha.years), "emissions_t"]
    for key, level in [("sbt", a_sha.base_t * (1 - SBT_RATE * 5)),
                       ("company", a_sha.base_t * (1 - PLAN["company_target"]["reduction_vs_base"]))]:
        want = next(fy for fy, v in e.items() if v <= level)
        assert a_sha.targets.loc[key, "first_year_met"] == want
        assert a_sha.targets.loc[key, "target_t"] == approx(level)
    # the story of notebook 07: SBT and the national pace before the company's own target
    assert a_sha.targets.loc["sbt", "first_year_met"] < a_sha.targets.loc["company", "first_year_met"]
    no_menu = r.build_roadmap("a_sha", r.reschedule(r.default_schedule(), keep=[
        i for i in a_sha.measures.index if i != "renewable_menu"]))
    assert pd.isna(no_menu.targets.loc["company", "first_year_met"])


# ------------------------------------------------------------------------------------------
# Excel and summary, opened and read back
def test_excel_toy_contents(tmp_path):
    rm = toy(subsidies={"b": 1_000_000})
    path = report.write_excel(rm, tmp_path / "toy.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["ロードマップ", "年度別の数値", "目標と前提"]
    ws = wb["ロードマップ"]
    head = [c.value for c in ws[4]]
    assert head[:6] == ["取組", "分類", "実施年度", "2026年度", "2027年度", "2028年度"]
    for name in ("排出削減量（t-CO2/年）", "オフセット（t-CO2/年）", "投資額（円）", "補助金（円）",
                 "光熱費・燃料費の増減（円/年）", "その他の費用の増減（円/年）"):
        assert name in head
    col = {name: i + 1 for i, name in enumerate(head)}
    row_b = [c.value for c in ws[6]]
    assert row_b[:6] == ["ヒートポンプ", "電化", 2026, "導入", "工事", "運用"]
    assert ws.cell(6, col["投資額（円）"]).value == 3_000_000
    assert ws.cell(6, col["補助金（円）"]).value == 1_000_000
    assert ws.cell(6, col["排出削減量（t-CO2/年）"]).value == approx(4 * OIL - 10_000 * GRID)
    assert "円" in ws.cell(6, col["投資額（円）"]).number_format
    assert "t-CO2" in ws.cell(6, col["排出削減量（t-CO2/年）"]).number_format
    assert "年度" in ws.cell(6, col["実施年度"]).number_format
    assert ws.cell(6, col["2026年度"]).fill.fgColor.rgb.endswith(report.PHASE_FILLS["導入"])
    labels = {ws.cell(rr, 1).value: rr for rr in range(1, ws.max_row + 1)}
    cum = labels["累積キャッシュフロー（円）"]
    flows = [-1_000_000, -2_000_000 + 20_000 * YEN_KWH, 10_000 * YEN_KWH + 4 * YEN_KL_OIL - 50_000]
    assert [ws.cell(cum, col[f"{fy}年度"]).value for fy in YEARS] == approx(list(np.cumsum(flows)))
    assert "円" in ws.cell(cum, col["2028年度"]).number_format and "△" in ws.cell(cum, col["2028年度"]).number_format
    red = labels["排出削減量（t-CO2）"]
    assert ws.cell(red, col["2028年度"]).value == approx(10_000 * GRID + 4 * OIL)
    assert "計算の約束" in labels

    ws = wb["年度別の数値"]
    head = [c.value for c in ws[1]]
    assert head[0] == "年度" and "排出量（t-CO2、オフセット前）" in head and "累積キャッシュフロー（円）" in head
    col = {name: i + 1 for i, name in enumerate(head)}
    rows = {ws.cell(rr, 1).value: rr for rr in range(2, 6)}
    assert sorted(rows) == [2025, 2026, 2027, 2028]
    assert ws.cell(rows[2028], col["排出量（t-CO2、オフセット前）"]).value == approx(BASE_T - 10_000 * GRID - 4 * OIL)
    assert ws.cell(rows[2027], col["キャッシュフロー（円）"]).value == approx(flows[1])
    assert ws.cell(rows[2027], 1).number_format == report.FY_FORMAT
    assert ws.cell(rows[2027], col["投資額（円）"]).number_format == report.YEN_FORMAT
    assert ws.cell(rows[2027], col["Scope 2（t-CO2）"]).number_format == report.TCO2_FORMAT


def test_excel_a_sha_targets_sheet(tmp_path, a_sha):
    wb = openpyxl.load_workbook(report.write_excel(a_sha, tmp_path / "a.xlsx"))
    ws = wb["目標と前提"]
    assert [c.value for c in ws[1]][:5] == ["目標", "目標年度", "目標の排出量（t-CO2）", "基準年度比の削減率",
                                            "初めて達成する年度"]
    got = {ws.cell(rr, 1).value: ws.cell(rr, 5).value for rr in range(2, 5)}
    for _, t in a_sha.targets.iterrows():
        assert got[t["name_ja"]] == int(t["first_year_met"])
    ws = wb["ロードマップ"]
    names = [ws.cell(rr, 1).value for rr in range(5, 5 + len(a_sha.measures))]
    assert names == [MEASURES_CSV[i]["name_ja"] for i in a_sha.measures.index]


def test_summary_markdown_and_html(tmp_path):
    rm = toy()
    md = report.write_summary(rm, tmp_path / "s.md").read_text(encoding="utf-8")
    assert md.startswith("# テスト社 脱炭素ロードマップの概要（2026〜2028年度）")
    cum = int(round(-1_000_000 - 3_000_000 + 20_000 * YEN_KWH + 10_000 * YEN_KWH + 4 * YEN_KL_OIL - 50_000))
    assert (f"△{-cum:,}円" if cum < 0 else f"{cum:,}円") in md
    assert "| 2026年度 | ヒートポンプ | 電化 | 2028年度 |" in md
    assert "オフセット前" in md and "## 計算の約束と前提" in md
    rm = toy(targets=[r.company_target(BASE_T, 2025, 2028, 0.9)])
    md = report.summary_markdown(rm)
    assert "計画期間内は未達" in md
    fig = sr.trajectory_chart(rm)
    page = report.write_summary(rm, tmp_path / "s.html", figure=fig).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<meta charset='utf-8'>" in page
    assert "<table>" in page and "data:image/png;base64," in page and "計画期間内は未達" in page


def test_export_errors_are_japanese(tmp_path):
    rm = toy()
    for path, text in [(tmp_path / "a.csv", ".xlsx"), (tmp_path / "no" / "a.xlsx", "フォルダ"), ("", "ファイル名")]:
        with pytest.raises(CnkitError, match=re.escape(text)):
            report.write_excel(rm, path)
    with pytest.raises(CnkitError, match="md"):
        report.write_summary(rm, tmp_path / "a.txt")
    with pytest.raises(CnkitError, match="build_roadmap"):
        report.write_excel("roadmap", tmp_path / "a.xlsx")


# ------------------------------------------------------------------------------------------
# charts
def render(fig: Figure) -> None:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=70)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    img = mpimg.imread(io.BytesIO(data))
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 10


@pytest.mark.parametrize("name", ["phase_chart", "trajectory_chart", "cash_flow_chart", "roadmap_chart"])
def test_charts_render_in_japanese(name, a_sha):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = getattr(sr, name)(a_sha)
    render(fig)
    for ax in fig.axes:
        title = ax.get_title() or ax.get_title(loc="left")  # the phase chart's title sits on the left
        for text in (title, ax.get_xlabel(), ax.get_ylabel()):
            assert JAPANESE.search(text), text
    units = " ".join(ax.get_ylabel() + ax.get_xlabel() for ax in fig.axes)
    if name != "phase_chart":
        assert "t-CO2" in units or "万円" in units


def test_chart_values(a_sha):
    fig = sr.trajectory_chart(a_sha)
    line = fig.axes[0].get_lines()[0]
    assert list(line.get_xdata()) == list(a_sha.yearly.index)
    assert list(line.get_ydata()) == approx(a_sha.yearly["emissions_t"].tolist())
    fig = sr.phase_chart(a_sha)
    inside = a_sha.phases[a_sha.phases["start_fy"] <= a_sha.years[-1]]
    assert len(fig.axes[0].patches) == len(inside)
    fig = sr.cash_flow_chart(a_sha)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == approx((a_sha.yearly.loc[list(a_sha.years), "net_cash_flow_yen"] / 10_000).tolist())
    empty = toy(schedule=r.reschedule(TOY_SCHEDULE, keep=[]))
    render(sr.roadmap_chart(empty))


# ------------------------------------------------------------------------------------------
# the builder widget
@pytest.fixture
def builder(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return ir.roadmap_builder("a_sha")


def _shown_t(b) -> float:
    m = re.search(r"2030年度の排出量 ([\d,]+\.\d) t-CO2", b.result.value)
    assert m, b.result.value
    return float(m.group(1).replace(",", ""))


def _shown_cum(b) -> str:
    m = re.search(r"累積キャッシュフロー (△?[\d,]+) 円", b.result.value)
    assert m, b.result.value
    return m.group(1)


def test_builder_shows_the_default_plan(builder, a_sha):
    assert isinstance(builder, ir.RoadmapBuilder) and isinstance(builder, w.VBox)
    assert set(builder.checks) == set(a_sha.measures.index)
    assert all(c.value for c in builder.checks.values())
    assert _shown_t(builder) == round(a_sha.yearly.loc[2030, "emissions_t"], 1)
    cum = round(a_sha.yearly.loc[2030, "cumulative_cash_flow_yen"])
    assert _shown_cum(builder) == (f"△{-cum:,}" if cum < 0 else f"{cum:,}")
    assert f"{int(a_sha.targets.loc['sbt', 'first_year_met'])}年度" in builder.result.value
    assert builder.phase_labels["pv"].value == "導入 2027年度 → 工事 2028年度 → 運用 2029年度"
    assert set(builder.figures) == {"phases", "trajectory", "cash_flow"}
    assert all(isinstance(f, Figure) for f in builder.figures.values())
    assert "⚠" not in builder.result.value


def test_builder_checkbox_switches_a_measure_off(builder, a_sha):
    before = _shown_t(builder)
    builder.checks["renewable_menu"].value = False
    menu_t = a_sha.yearly.loc[2030, "purchased_kwh"] * GRID   # the kWh the menu covered, back on the grid
    assert _shown_t(builder) == pytest.approx(before + menu_t, abs=0.11)
    assert builder.phase_labels["renewable_menu"].value == "（計画に入れない）"
    assert "計画期間内は未達" in builder.result.value       # the company's own target needs the menu
    builder.checks["renewable_menu"].value = True
    assert _shown_t(builder) == before


def test_builder_year_change_moves_the_phases_and_the_money(builder, a_sha):
    figures_before = dict(builder.figures)
    builder.years["pv"].value = 2026
    assert builder.phase_labels["pv"].value == "導入 2026年度 → 工事 2027年度 → 運用 2028年度"
    rm = builder.roadmap
    rules = {x["rule"]: float(x["value"]) for x in _csv("factors", "rules_of_thumb.csv")}
    pv_t = 150 * rules["pv_yield_kwh_per_kw"] * rules["pv_self_consumption_share"] * GRID
    assert rm.yearly.loc[2028, "emissions_t"] == approx(a_sha.yearly.loc[2028, "emissions_t"] - pv_t)
    pv_cost = float(MEASURES_CSV["pv"]["investment_yen"])
    assert rm.yearly.loc[2027, "investment_yen"] == approx(a_sha.yearly.loc[2027, "investment_yen"] + pv_cost)
    # the phases, the emissions and the money all moved: every chart is drawn again
    assert all(builder.figures[k] is not figures_before[k] for k in figures_before)


def test_builder_redraws_only_the_charts_whose_data_changed(builder):
    figures_before = dict(builder.figures)
    builder.reduction.value = 0.6  # a new company target: its line moves, the plan and the money do not
    assert builder.figures["trajectory"] is not figures_before["trajectory"]
    assert builder.figures["phases"] is figures_before["phases"]
    assert builder.figures["cash_flow"] is figures_before["cash_flow"]


def test_builder_subsidies_follow_the_measures(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    b = ir.roadmap_builder("a_sha", subsidies={"pv": 2_000_000})
    assert "補助金の合計 2,000,000 円" in b.result.value
    assert b.roadmap.yearly.loc[2028, "subsidy_yen"] == 2_000_000
    b.years["pv"].value = 2026
    assert b.roadmap.yearly.loc[2027, "subsidy_yen"] == 2_000_000
    b.checks["pv"].value = False
    assert "補助金の合計 0 円" in b.result.value


def test_builder_bad_input_gives_a_japanese_message(builder):
    builder.reduction.value = 50          # a percentage instead of a share
    assert "⚠" in builder.result.value and "割合" in builder.result.value
    assert "Traceback" not in builder.result.value
    builder.reduction.value = 0.5
    assert "⚠" not in builder.result.value


def test_builder_inputs_are_labelled(builder):
    assert all("年度" in d.description for d in builder.years.values())
    assert all(label.startswith("20") and label.endswith("年度") for d in builder.years.values() for label, _ in d.options)
    assert "割合" in builder.reduction.description and "年度" in builder.reduction.description
    assert all(JAPANESE.search(c.description) for c in builder.checks.values())


def test_builder_exports_excel(builder, tmp_path):
    builder.filename.value = str(tmp_path / "a.txt")
    builder.export_button.click()
    assert "⚠" in builder.export_status.value and ".xlsx" in builder.export_status.value
    builder.filename.value = str(tmp_path / "roadmap.xlsx")
    builder.checks["j_credit"].value = False
    builder.export_button.click()
    assert "書き出しました" in builder.export_status.value
    wb = openpyxl.load_workbook(tmp_path / "roadmap.xlsx")
    names = [c.value for c in wb["ロードマップ"]["A"]]
    assert MEASURES_CSV["j_credit"]["name_ja"] not in names and MEASURES_CSV["pv"]["name_ja"] in names


def test_builder_inert_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def boom(*a, **k):
        raise AssertionError("the builder must not compute while grading")

    monkeypatch.setattr(ir, "build_roadmap", boom)
    widget = ir.roadmap_builder("a_sha")
    assert isinstance(widget, w.HTML) and "採点中" in widget.value


def test_excel_bytes_are_reproducible(tmp_path):
    """The course build compares generated files byte for byte: no save time in the workbook."""
    rm = toy()
    a = report.write_excel(rm, tmp_path / "a.xlsx").read_bytes()
    b = report.write_excel(rm, tmp_path / "b.xlsx").read_bytes()
    assert a == b
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert wb.properties.title == "テスト社 排出量削減ロードマップ"


def test_calculate_and_report_import_no_charts_or_widgets():
    import json
    import os
    import subprocess
    import sys

    probe = ("import cnkit.calculate.roadmap as r, cnkit.report.roadmap as rep, sys, json\n"
             "r.build_roadmap('a_sha')\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('matplotlib', 'ipywidgets', 'matplotlib_fontja'))))")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
