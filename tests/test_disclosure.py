"""cnkit.calculate.disclosure: the one-page summary and the draft plan. Expected values by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import cnkit
from cnkit import CnkitError
from cnkit.calculate import disclosure as d
from cnkit.reference import programme_value

RATE = programme_value("sbt_sme", "linear_reduction_rate")


@pytest.fixture()
def em() -> pd.DataFrame:
    rows = [
        {"fiscal_year": 2025, "scope": 1, "energy_ja": "都市ガス", "co2_t": 100.0, "crude_kl": 20.0, "factor_source": "算定省令"},
        {"fiscal_year": 2025, "scope": 2, "energy_ja": "電力", "co2_t": 150.0, "crude_kl": 25.0, "factor_source": "係数X 2024年度実績"},
        {"fiscal_year": 2025, "scope": 2, "energy_ja": "電力", "co2_t": 50.0, "crude_kl": 5.0, "factor_source": "係数X 2024年度実績"},
        {"fiscal_year": 2024, "scope": 1, "energy_ja": "都市ガス", "co2_t": 999.0, "crude_kl": 99.0, "factor_source": "算定省令"},
    ]
    return pd.DataFrame(rows)


def _results(rows) -> pd.DataFrame:
    cols = ["measure_id", "name_ja", "category", "delta_co2_t", "delta_co2_offset_t", "investment_yen", "delta_cost_yen", "in_plan"]
    return pd.DataFrame(rows, columns=cols).set_index("measure_id", drop=False)


@pytest.fixture()
def results() -> pd.DataFrame:
    return _results([
        ("led", "LED化", "カエル", -30.0, 0.0, 1_000_000, -200_000, True),
        ("menu", "再エネメニュー", "排出係数の低減", -100.0, 0.0, 0, 50_000, True),
        ("credit", "クレジット", "オフセット", 0.0, -170.0, 0, 500_000, True),
        ("big", "計画外の対策", "カエル", -50.0, 0.0, 9_000_000, 0, False),
    ])


def test_facts_by_hand(em, results):
    f = d.disclosure_facts(em, results, company="X社", sector="製造業", fiscal_year=2025, target_fy=2030, employees=10)
    assert (f.scope1_t, f.scope2_t, f.total_t, f.crude_kl) == (100, 200, 300, 50)  # FY2024 row left out
    assert list(f.by_energy.index) == ["電力", "都市ガス"] and f.by_energy["電力"] == 200
    assert f.target_t == pytest.approx(300 * (1 - 5 * RATE))  # 5 years on the linear path: 237 t at 4.2 %
    assert f.planned_cut_t == pytest.approx(130)  # LED 30 + menu 100; the offset and the unplanned measure are out
    assert f.after_t == pytest.approx(170)
    assert f.offset_t == pytest.approx(170)
    assert list(f.measures["対策"]) == ["再エネメニュー", "LED化"]  # largest first
    assert f.electricity_factor == "係数X 2024年度実績"


def test_summary_text(em, results):
    f = d.disclosure_facts(em, results, company="X社", sector="製造業", fiscal_year=2025, target_fy=2030)
    text = d.one_page_summary(f)
    assert text.startswith("## X社")
    for piece in ("| **合計** | **300** |", "2030年度", f"{300 * (1 - 5 * RATE):,.0f} t-CO2 以下", "約 **170 t-CO2/年**",
                  "目標に届きます", "マーケット基準", "埋め合わせ", "係数X 2024年度実績", "見込み"):
        assert piece in text, piece
    assert "計画外の対策" not in text


def test_summary_says_when_the_plan_falls_short(em):
    res = _results([("led", "LED化", "カエル", -30.0, 0.0, 1_000_000, -200_000, True)])
    f = d.disclosure_facts(em, res, company="X社", sector="製造業", fiscal_year=2025, target_fy=2030)
    text = d.one_page_summary(f)
    short = 270 - 300 * (1 - 5 * RATE)  # 270 after the LEDs against 237.0
    assert f"約 {short:,.0f} t-CO2 足りません" in text
    assert "マーケット基準" not in text and "埋め合わせ" not in text


def test_plan_draft_marks_what_to_fill_in_and_takes_years(em, results):
    f = d.disclosure_facts(em, results, company="X社", sector="製造業", fiscal_year=2025, target_fy=2030)
    text = d.plan_draft(f)
    assert text.count(d.FILL_IN) >= 6 and "2026年度〜2030年度" in text and "約 100 万円" in text
    f2 = d.disclosure_facts(em, results, company="X社", sector="製造業", fiscal_year=2025, target_fy=2030,
                            years={"led": 2027})
    assert "| 2027年度 |" in d.plan_draft(f2)
    assert "| 2027年度 |" in d.one_page_summary(f2)  # a year column once a year is known


@pytest.mark.parametrize("kwargs,match", [
    ({"target_fy": 2025}, "目標年度"),
    ({"fiscal_year": 2023}, "2023年度の行がありません"),
    ({"fiscal_year": "2025"}, "整数"),
])
def test_bad_input(em, results, kwargs, match):
    args = dict(company="X社", sector="製造業", fiscal_year=2025, target_fy=2030) | kwargs
    with pytest.raises(CnkitError, match=match):
        d.disclosure_facts(em, results, **args)


def test_wrong_tables(em, results):
    with pytest.raises(CnkitError, match="cnkit.emissions"):
        d.disclosure_facts(em.drop(columns=["scope"]), results, company="X", sector="Y", fiscal_year=2025, target_fy=2030)
    with pytest.raises(CnkitError, match="evaluate_all"):
        d.disclosure_facts(em, [1, 2], company="X", sector="Y", fiscal_year=2025, target_fy=2030)
    with pytest.raises(CnkitError, match="disclosure_facts"):
        d.one_page_summary("text")


def test_a_sha_summary_matches_its_bills():
    from cnkit.calculate import measures as m

    a = cnkit.load_company("a_sha")
    em = cnkit.emissions(a.bills().table, a.suppliers, factor_fy=2025)
    res = m.evaluate_all(m.company_measures(a))
    f = d.disclosure_facts(em, res, company=a.name, sector=a.profile["sector"], fiscal_year=2025, target_fy=2030,
                           employees=a.profile["employees"])
    em25 = em[em["fiscal_year"] == 2025]
    assert f.total_t == pytest.approx(em25["co2_t"].sum())
    assert 530 <= f.total_t <= 590  # DESIGN §3: about 560 t-CO2
    plan = res[res["in_plan"] & (res["category"] != "オフセット")]
    assert f.planned_cut_t == pytest.approx(-plan["delta_co2_t"].sum())
    assert "東京電力エナジーパートナー" in d.one_page_summary(f)


# --- from a roadmap (notebook 07's build_roadmap) -------------------------------------------------------------
def _fake_roadmap():
    from types import SimpleNamespace

    measures = pd.DataFrame({
        "name_ja": ["LED化", "太陽光", "クレジット"], "category": ["カエル", "再エネ", "オフセット"],
        "start_fy": [2026, 2027, 2028], "reduction_t": [30.0, 60.0, 0.0], "offset_t": [0.0, 0.0, 210.0],
        "investment_yen": [1_000_000.0, 9_000_000.0, 0.0], "energy_cost_change_yen": [-100_000.0, -500_000.0, 0.0],
        "running_cost_change_yen": [0.0, 0.0, 600_000.0],
    }, index=pd.Index(["led", "pv", "credit"], name="measure_id"))
    yearly = pd.DataFrame({"emissions_t": [300.0, 270.0, 270.0, 210.0]}, index=pd.Index([2025, 2026, 2027, 2028]))
    targets = pd.DataFrame({"name_ja": ["自社目標（半分）", "SBT水準"], "target_fy": [2028, 2028], "target_t": [150.0, 262.2],
                            "first_year_met": [float("nan"), 2028.0]}, index=pd.Index(["company", "sbt"], name="key"))
    return SimpleNamespace(measures=measures, yearly=yearly, targets=targets, base_fy=2025, years=(2026, 2027, 2028),
                           company_name="X社")


def test_facts_from_a_roadmap_by_hand(em):
    f = d.disclosure_facts_from_roadmap(_fake_roadmap(), em, sector="製造業")
    assert f.company == "X社" and f.total_t == 300
    assert f.planned_cut_t == pytest.approx(90) and f.after_t == pytest.approx(210)  # = the roadmap's last year
    assert f.offset_t == pytest.approx(210)
    assert (f.target_fy, f.target_t, f.target_met_fy) == (2028, 150, None)
    assert f.other_targets == (("SBT水準", 2028, 262.2, 2028),)
    assert list(f.measures["実施年度"]) == [2026, 2027]  # by year; the credit is not a reduction
    assert list(f.measures["光熱費の増減_円"]) == [-100_000, -500_000]
    text = d.one_page_summary(f)
    for piece in ("150 t-CO2 以下", "計画の期間内には届かない見込み", "SBT水準 — 2028年度に 262 t-CO2 以下 → 2028年度に届く見込み",
                  "| 2025年度 | 2026年度 | 2027年度 | 2028年度 |", "| 300 | 270 | 270 | 210 |", "| 2027年度 |",
                  "約 60 t-CO2 足りません"):  # 210 after the plan against 150
        assert piece in text, piece
    f2 = d.disclosure_facts_from_roadmap(_fake_roadmap(), em, sector="製造業", target="sbt")
    assert "2028年度に届く見込みです" in d.one_page_summary(f2)
    with pytest.raises(CnkitError, match="national"):
        d.disclosure_facts_from_roadmap(_fake_roadmap(), em, sector="製造業", target="national")
    with pytest.raises(CnkitError, match="build_roadmap"):
        d.disclosure_facts_from_roadmap("roadmap", em, sector="製造業")


def test_a_sha_roadmap_disclosure():
    from cnkit.calculate import roadmap as rmap

    a = cnkit.load_company("a_sha")
    em = cnkit.emissions(a.bills().table, a.suppliers, factor_fy=2025)
    rm = rmap.build_roadmap("a_sha")
    f = d.disclosure_facts_from_roadmap(rm, em, sector=a.profile["sector"], employees=a.profile["employees"])
    assert f.total_t == pytest.approx(rm.base_t)  # the bills of the base year, both ways
    assert f.after_t == pytest.approx(rm.yearly["emissions_t"].iloc[-1])
    plan = rmap.load_plan("a_sha")["company_target"]
    assert f.target_t == pytest.approx(f.total_t * (1 - plan["reduction_vs_base"]))
    assert len(f.measures) == len(rm.measures) - (rm.measures["category"] == "オフセット").sum()
    assert f"{f.target_fy}年度" in d.plan_draft(f) and d.FILL_IN in d.plan_draft(f)
