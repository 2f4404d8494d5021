"""cnkit.calculate.subsidies: the seeds' worked examples exactly, each eligibility failure, stacking.

Expected amounts are the seeds' own figures (seed 000 flyer, seed 002 city page) or arithmetic
written out here from the rules in the seeds — never copied from the function's output.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cnkit
from cnkit.calculate import subsidies as sb

ROOT = Path(cnkit.__file__).resolve().parent.parent
RULES = ROOT / "datasets" / "subsidies"

#: a small manufacturer in Kawasaki that meets every condition of the city's eco-subsidy
KAWASAKI_SME = dict(prefecture="神奈川県", city="川崎市", sme=True, crude_oil_kl=260, vehicles=13,
                    kawasaki_certified=True)
#: a food maker with its head office in Kyoto that plans supply-chain reductions
KYOTO_SME = dict(prefecture="京都府", city="南丹市", sme=True, crude_oil_kl=400, vehicles=8, supply_chain_plan=True)


def ev(project: dict, company: dict) -> pd.DataFrame:
    return sb.evaluate_subsidies(project, company)


def amount(res: pd.DataFrame, pid: str) -> int:
    assert res.loc[pid, "eligible"], res.loc[pid, "reasons"]
    return int(res.loc[pid, "amount_yen"])


def reasons(res: pd.DataFrame, pid: str) -> str:
    assert not res.loc[pid, "eligible"]
    assert res.loc[pid, "amount_yen"] == 0
    return "\n".join(res.loc[pid, "reasons"])


# ------------------------------------------------------------------------------------------
# the worked examples of the seeds
def test_flyer_pv_10kw():
    """seed 000: 360万円の10kWの太陽光 → 市 最大130万円（県の補助金を併用して最大210万円）."""
    res = ev(dict(equipment="pv", cost_yen=3_600_000, kw=10), KAWASAKI_SME)
    assert amount(res, "kawasaki_eco") == 1_300_000          # 3,600,000 × 1/3 + 10 kW × 10,000
    assert amount(res, "kanagawa_self_consumption_re") == 800_000
    best = sb.best_combination(res)
    assert best.total_yen == 2_100_000
    assert set(best.programmes) == {"kawasaki_eco", "kanagawa_self_consumption_re"}
    assert best.net_cost_yen == 3_600_000 - 2_100_000
    assert "2,100,000" in str(best)


def test_flyer_office_air_conditioner():
    """seed 000: 120万円の事務所用（80m²）空調 → 市 最大30万円（県の補助金を併用して最大70万円）."""
    res = ev(dict(equipment="air_conditioner", cost_yen=1_200_000), KAWASAKI_SME)
    assert amount(res, "kawasaki_eco") == 300_000            # 1,200,000 × 1/4
    assert amount(res, "kanagawa_sme_energy_saving") == 400_000
    assert sb.best_combination(res).total_yen == 700_000


def test_city_page_pv_15kw_with_battery():
    """seed 002 計算例: 太陽光15kWと蓄電池で600万円 → 200万円（上限）＋ 15kW × 1万円 ＝ 215万円."""
    res = ev(dict(equipment="pv", cost_yen=6_000_000, kw=15, battery_kwh=10, battery_cost_yen=1_500_000), KAWASAKI_SME)
    assert amount(res, "kawasaki_eco") == 2_150_000
    assert "上限とは別枠" in res.loc["kawasaki_eco", "breakdown"]
    # without the battery the same arithmetic holds
    assert amount(ev(dict(equipment="pv", cost_yen=6_000_000, kw=15), KAWASAKI_SME), "kawasaki_eco") == 2_150_000


def test_flyer_ganbaru():
    """seed 000: 10万円の専門家CO2排出量評価 → 最大5万円."""
    res = ev(dict(equipment="market_development", cost_yen=100_000), KAWASAKI_SME)
    assert amount(res, "kawasaki_ganbaru") == 50_000
    assert sb.best_combination(res).total_yen == 50_000
    # cap 200,000; 250,000 for 川崎ものづくりブランド firms
    assert amount(ev(dict(equipment="market_development", cost_yen=600_000), KAWASAKI_SME), "kawasaki_ganbaru") == 200_000
    brand = {**KAWASAKI_SME, "kawasaki_monozukuri_brand": True}
    assert amount(ev(dict(equipment="market_development", cost_yen=600_000), brand), "kawasaki_ganbaru") == 250_000
    assert amount(ev(dict(equipment="market_development", cost_yen=300_000), brand), "kawasaki_ganbaru") == 150_000


def test_flyer_esg_finance():
    """seed 000: 200万円の外部評価サービス → 最大100万円."""
    assert amount(ev(dict(equipment="esg_review", cost_yen=2_000_000), KAWASAKI_SME), "kawasaki_esg_finance") == 1_000_000
    assert amount(ev(dict(equipment="esg_review", cost_yen=3_000_000), KAWASAKI_SME), "kawasaki_esg_finance") == 1_000_000
    assert amount(ev(dict(equipment="esg_review", cost_yen=800_000), KAWASAKI_SME), "kawasaki_esg_finance") == 400_000


def test_each_programme_file_keeps_its_worked_examples():
    """The yml files quote the same examples the tests above reproduce."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in RULES.glob("*.yml")}
    assert "最大130万円" in texts["kawasaki_eco"] and "最大210万円" in texts["kawasaki_eco"]
    assert "最大30万円" in texts["kawasaki_eco"] and "最大70万円" in texts["kawasaki_eco"]
    assert "215万円" in texts["kawasaki_eco"]
    assert "最大5万円" in texts["kawasaki_ganbaru"]
    assert "最大100万円" in texts["kawasaki_esg_finance"]


# ------------------------------------------------------------------------------------------
# more of Kawasaki's rules
def test_pv_add_on_cap_and_base_cap():
    # 150 kW at 16,950,000: 1/3 = 5,650,000 → cap 2,000,000; add-on 1,500,000 → cap 200,000
    res = ev(dict(equipment="pv", cost_yen=16_950_000, kw=150), KAWASAKI_SME)
    assert amount(res, "kawasaki_eco") == 2_200_000
    # the add-on counts the kW even when the base is below the cap: 3 kW at 900,000 → 300,000 + 30,000
    assert amount(ev(dict(equipment="pv", cost_yen=900_000, kw=3), KAWASAKI_SME), "kawasaki_eco") == 330_000


def test_kawasaki_brand_air_conditioner_add_on():
    # 1,200,000 × 1/4 = 300,000, plus 1,200,000 × 1/20 = 60,000
    brand = dict(equipment="air_conditioner", cost_yen=1_200_000, kawasaki_brand=True)
    assert amount(ev(brand, KAWASAKI_SME), "kawasaki_eco") == 360_000
    # 16,800,000: 1/4 = 4,200,000 → cap 1,500,000; 1/20 = 840,000 → cap 500,000
    big = dict(equipment="air_conditioner", cost_yen=16_800_000, kawasaki_brand=True)
    assert amount(ev(big, KAWASAKI_SME), "kawasaki_eco") == 2_000_000
    assert amount(ev({**big, "kawasaki_brand": False}, KAWASAKI_SME), "kawasaki_eco") == 1_500_000
    # the brand add-on is for air conditioners only
    assert amount(ev(dict(equipment="boiler", cost_yen=1_200_000, kawasaki_brand=True), KAWASAKI_SME),
                  "kawasaki_eco") == 300_000


def test_rates_are_exact_fractions():
    # 1,000,000 × 1/3 = 333,333.33… → rounded down to whole yen
    assert amount(ev(dict(equipment="wind", cost_yen=1_000_000, kw=5), KAWASAKI_SME), "kawasaki_eco") == 333_333


@pytest.mark.parametrize("company, project, words", [
    ({"city": "横浜市"}, {}, ["川崎市内", "横浜市"]),
    ({"sme": False}, {}, ["中小企業者", "学校法人"]),
    ({"kawasaki_certified": False}, {}, ["脱炭素経営アクション推進事業者", "完了届"]),
    ({"crude_oil_kl": 1500}, {}, ["1,500 kL", "原油換算"]),
    ({"crude_oil_kl": 2400.4}, {}, ["2,400 kL"]),
    ({"vehicles": 100}, {}, ["100 台"]),
    ({}, {"contract_before_decision": True}, ["交付決定の前"]),
    ({"crude_oil_kl": None}, {}, ["未入力", "原油換算"]),
])
def test_kawasaki_eco_failure_reasons(company, project, words):
    res = ev({"equipment": "pv", "cost_yen": 3_600_000, "kw": 10, **project}, {**KAWASAKI_SME, **company})
    text = reasons(res, "kawasaki_eco")
    for word in words:
        assert word in text
    assert res.loc["kawasaki_eco", "potential_yen"] == 1_300_000   # what it would be if the condition held
    assert len(res.loc["kawasaki_eco", "reasons"]) == 1               # one reason per failed condition


def test_reasons_list_every_failed_condition():
    company = {**KAWASAKI_SME, "kawasaki_certified": False, "vehicles": 150, "crude_oil_kl": 1_600}
    res = ev(dict(equipment="pv", cost_yen=3_600_000, kw=10, contract_before_decision=True), company)
    assert len(res.loc["kawasaki_eco", "reasons"]) == 4


def test_school_corporation_gets_renewables_but_not_energy_saving():
    school = {**KAWASAKI_SME, "sme": False, "corporation_type": "学校法人"}
    assert amount(ev(dict(equipment="pv", cost_yen=3_600_000, kw=10), school), "kawasaki_eco") == 1_300_000
    text = reasons(ev(dict(equipment="air_conditioner", cost_yen=1_200_000), school), "kawasaki_eco")
    assert "中小企業者だけ" in text


def test_energy_saving_needs_a_replacement():
    res = ev(dict(equipment="air_conditioner", cost_yen=1_200_000, replacement=False), KAWASAKI_SME)
    assert "更新" in reasons(res, "kawasaki_eco")
    assert "更新" in reasons(res, "kanagawa_sme_energy_saving")


def test_lighting_is_not_on_the_kawasaki_flyer():
    res = ev(dict(equipment="lighting", cost_yen=2_790_000), KAWASAKI_SME)
    assert not res.loc["kawasaki_eco", "applicable"]
    assert "対象ではありません" in reasons(res, "kawasaki_eco")
    assert amount(res, "kanagawa_sme_energy_saving") == 930_000      # 2,790,000 × 1/3


def test_outside_kanagawa_only_the_seed_silent_conditions_are_flagged():
    res = ev(dict(equipment="pv", cost_yen=3_600_000, kw=10), {**KAWASAKI_SME, "prefecture": "東京都", "city": "大田区"})
    text = reasons(res, "kanagawa_self_consumption_re")
    assert "神奈川県内" in text and "要綱で確認" in text        # the seed does not state this condition
    assert "要綱で確認" not in reasons(res, "kawasaki_eco")       # seed 002 states it


# ------------------------------------------------------------------------------------------
# Kyoto (the seed has no worked example: arithmetic from its rules)
def test_kyoto_supply_chain_rates_cap_and_floor():
    ac = dict(equipment="air_conditioner", cost_yen=3_000_000)
    assert amount(ev(ac, KYOTO_SME), "kyoto_supply_chain") == 1_000_000                          # 1/3
    assert amount(ev(ac, {**KYOTO_SME, "sbt_certified": True}), "kyoto_supply_chain") == 1_500_000  # 1/2
    assert amount(ev(ac, {**KYOTO_SME, "zcf_loan": True}), "kyoto_supply_chain") == 1_500_000       # 1/2
    big = dict(equipment="boiler", cost_yen=30_000_000)
    assert amount(ev(big, KYOTO_SME), "kyoto_supply_chain") == 8_000_000                         # 10,000,000 → cap
    # floor 500,000: at 1/3 the cost must be at least 1,500,000, at 1/2 at least 1,000,000
    small = dict(equipment="lighting", cost_yen=1_200_000)
    text = reasons(ev(small, KYOTO_SME), "kyoto_supply_chain")
    assert "400,000円" in text and "下限 500,000円" in text and "1,500,000円以上" in text
    assert amount(ev(small, {**KYOTO_SME, "zcf_loan": True}), "kyoto_supply_chain") == 600_000
    assert amount(ev(dict(equipment="lighting", cost_yen=1_500_000), KYOTO_SME), "kyoto_supply_chain") == 500_000
    assert "1,000,000円以上" in reasons(ev(dict(equipment="lighting", cost_yen=900_000), {**KYOTO_SME, "sbt_certified": True}),
                                     "kyoto_supply_chain")


@pytest.mark.parametrize("company, project, word", [
    ({"head_office_prefecture": "大阪府"}, {}, "本店"),
    ({"sme": False}, {}, "中小企業者等"),
    ({"supply_chain_plan": False}, {}, "サプライチェーン"),
    ({}, {"replacement": False}, "更新"),
])
def test_kyoto_supply_chain_failure_reasons(company, project, word):
    res = ev({"equipment": "air_conditioner", "cost_yen": 3_000_000, **project}, {**KYOTO_SME, **company})
    assert word in reasons(res, "kyoto_supply_chain")


def test_kyoto_specified_business_may_have_its_head_office_elsewhere():
    company = {**KYOTO_SME, "head_office_prefecture": "大阪府", "kyoto_specified_business": True}
    assert amount(ev(dict(equipment="air_conditioner", cost_yen=3_000_000), company), "kyoto_supply_chain") == 1_000_000


def test_kyoto_pv():
    pv = dict(equipment="pv", cost_yen=3_560_000, kw=20, self_consumption_share=0.8)
    assert amount(ev(pv, KYOTO_SME), "kyoto_pv_battery") == 1_000_000                  # 20 kW × 50,000
    # duty 2.5 kW on a 300–2,000 m² building: the part beyond it costs 1,000,000 × 17.5/20 = 875,000 < 1,000,000
    duty = dict(equipment="pv", cost_yen=1_000_000, kw=20, obligation_kw=2.5, self_consumption_share=0.8)
    assert amount(ev(duty, KYOTO_SME), "kyoto_pv_battery") == 875_000
    big = dict(equipment="pv", cost_yen=30_000_000, kw=200, self_consumption_share=0.9)
    assert amount(ev(big, KYOTO_SME), "kyoto_pv_battery") == 9_000_000                 # 10,000,000 → cap


@pytest.mark.parametrize("project, words", [
    ({"fit_sale": True}, ["FIT"]),
    ({"self_consumption_share": 0.4}, ["40%", "50%"]),
    ({"self_consumption_share": None}, ["未入力"]),
    ({"obligation_kw": 20}, ["義務量", "20.0 kW"]),
])
def test_kyoto_pv_failure_reasons(project, words):
    pv = {"equipment": "pv", "cost_yen": 3_560_000, "kw": 20, "self_consumption_share": 0.8, **project}
    text = reasons(ev(pv, KYOTO_SME), "kyoto_pv_battery")
    for word in words:
        assert word in text


def test_kyoto_battery_with_pv():
    # PV part 2,000,000: 10 kW × 50,000 = 500,000; battery min(2,000,000, 10 kWh × 160,000) × 1/3 = 533,333
    pv = dict(equipment="pv", cost_yen=4_000_000, kw=10, battery_kwh=10, battery_cost_yen=2_000_000,
              self_consumption_share=0.7)
    res = ev(pv, KYOTO_SME)
    assert amount(res, "kyoto_pv_battery") == 500_000 + 533_333
    assert "160,000円" in res.loc["kyoto_pv_battery", "breakdown"]
    # 30 kWh at 6,000,000: min(6,000,000, 4,800,000) / 3 = 1,600,000 → cap 1,000,000 (2,000,000 in a disaster role)
    big = dict(equipment="pv", cost_yen=8_000_000, kw=20, battery_kwh=30, battery_cost_yen=6_000_000,
               self_consumption_share=0.7)
    assert amount(ev(big, KYOTO_SME), "kyoto_pv_battery") == 1_000_000 + 1_000_000
    assert amount(ev({**big, "disaster_supply": True}, KYOTO_SME), "kyoto_pv_battery") == 1_000_000 + 1_600_000


# ------------------------------------------------------------------------------------------
# stacking
def test_stacking_rules():
    assert sb.can_stack("kawasaki_eco", "kanagawa_self_consumption_re")
    assert sb.can_stack("kanagawa_sme_energy_saving", "kawasaki_eco")
    assert not sb.can_stack("kanagawa_self_consumption_re", "kanagawa_sme_energy_saving")
    for other in sb.programmes():
        assert not sb.can_stack("kawasaki_ganbaru", other)
        assert not sb.can_stack(other, "kawasaki_ganbaru")
    table = sb.stacking_table()
    assert (table.values == table.values.T).all()           # symmetric
    assert table.loc["川崎市 エコ化支援", "神奈川県 自家消費型再エネ"] == "○"
    assert table.loc["川崎市 がんばる中小企業", "川崎市 エコ化支援"] == "－"


def _results(rows):
    return pd.DataFrame([{"programme": p, "name_ja": sb.programme(p)["name_ja"], "eligible": True, "amount_yen": a}
                         for p, a in rows]).set_index("programme", drop=False)


def test_ganbaru_is_never_combined():
    """がんばる is not combinable with any other subsidy: the larger side wins."""
    combo = sb.best_combination(_results([("kawasaki_ganbaru", 50_000), ("kawasaki_eco", 300_000),
                                          ("kanagawa_sme_energy_saving", 400_000)]), 1_200_000)
    assert combo.programmes == ["kawasaki_eco", "kanagawa_sme_energy_saving"]
    assert combo.total_yen == 700_000
    assert any("がんばる" in n and "併用できない" in n for n in combo.notes)
    alone = sb.best_combination(_results([("kawasaki_ganbaru", 250_000), ("kawasaki_esg_finance", 100_000)]))
    assert alone.programmes == ["kawasaki_ganbaru"] and alone.total_yen == 250_000
    assert alone.net_cost_yen is None


def test_programmes_without_a_stacking_rule_are_not_combined():
    combo = sb.best_combination(_results([("kyoto_pv_battery", 1_000_000), ("kawasaki_eco", 1_300_000)]), 3_600_000)
    assert combo.programmes == ["kawasaki_eco"] and combo.total_yen == 1_300_000


def test_total_never_exceeds_the_cost():
    # 10 kW at 1,000,000: city 333,333 + 100,000; prefecture 800,000 → 1,233,333 > 1,000,000
    res = ev(dict(equipment="pv", cost_yen=1_000_000, kw=10), KAWASAKI_SME)
    combo = sb.best_combination(res)
    assert combo.total_yen == 1_000_000 and combo.net_cost_yen == 0
    assert any("対象経費" in n for n in combo.notes)


def test_nothing_eligible():
    combo = sb.best_combination(ev(dict(equipment="ev", cost_yen=6_000_000), KAWASAKI_SME))
    assert combo.programmes == [] and combo.total_yen == 0 and combo.net_cost_yen == 6_000_000
    assert "ありません" in str(combo)


def test_subsidy_report_payback():
    report = sb.subsidy_report(dict(equipment="pv", cost_yen=3_600_000, kw=10), KAWASAKI_SME, annual_saving_yen=300_000)
    assert report.combination.total_yen == 2_100_000
    assert report.payback_years == pytest.approx(12.0)                      # 3,600,000 / 300,000
    assert report.payback_with_subsidy_years == pytest.approx(5.0)          # 1,500,000 / 300,000
    assert sb.subsidy_report(dict(equipment="pv", cost_yen=3_600_000, kw=10), KAWASAKI_SME).payback_years is None


# ------------------------------------------------------------------------------------------
# the case company
def test_company_facts_of_a_sha():
    facts = sb.company_facts("a_sha")
    assert (facts.prefecture, facts.city, facts.sme) == ("神奈川県", "川崎市", True)
    assert facts.vehicles == 13                     # 8 cars + 2 trucks + 3 forklifts
    assert 200 < facts.crude_oil_kl < 320            # DESIGN §3: ≈ 260 kL
    assert facts.head_office_prefecture == "神奈川県"
    assert not facts.kawasaki_certified              # not yet certified …
    res = ev(dict(equipment="air_conditioner", cost_yen=16_800_000), facts)
    assert "認定" in reasons(res, "kawasaki_eco")
    certified = sb.company_facts("a_sha", crude_oil_kl=facts.crude_oil_kl, kawasaki_certified=True)
    res = ev(dict(equipment="air_conditioner", cost_yen=16_800_000), certified)   # … but will be by the completion report
    assert amount(res, "kawasaki_eco") == 1_500_000 and amount(res, "kanagawa_sme_energy_saving") == 5_000_000
    assert sb.best_combination(res).total_yen == 6_500_000


# ------------------------------------------------------------------------------------------
# bad input → Japanese message naming the parameter and the value
@pytest.mark.parametrize("project, words", [
    (dict(equipment="solar", cost_yen=1), ["equipment", "solar", "pv"]),
    (dict(equipment="pv", cost_yen=-5, kw=1), ["cost_yen", "-5"]),
    (dict(equipment="pv", cost_yen="360万", kw=1), ["cost_yen", "360万"]),
    (dict(equipment="pv", cost_yen=3_600_000), ["kw", "kW"]),
    (dict(equipment="pv", cost_yen=1_000, kw=1, battery_kwh=5, battery_cost_yen=2_000), ["battery_cost_yen", "内数"]),
    (dict(equipment="air_conditioner", cost_yen=1_000, battery_kwh=5), ["蓄電池", "pv"]),
    (dict(equipment="pv", cost_yen=1_000, kw=1, self_consumption_share=80), ["百分率", "0.8"]),
    (dict(equipment="pv", cost_yen=1_000, kw=1, fit_sale="no"), ["fit_sale", "True"]),
    (dict(equipment="pv", cost_yen=1_000, kw=1, color="red"), ["color"]),
    (dict(cost_yen=1_000), ["equipment"]),
])
def test_bad_project(project, words):
    with pytest.raises(cnkit.CnkitError) as err:
        sb.evaluate_subsidies(project, KAWASAKI_SME)
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize("company, words", [
    ({"corporation_type": "株式会社"}, ["corporation_type", "株式会社", "学校法人"]),
    ({"crude_oil_kl": -1}, ["crude_oil_kl", "-1"]),
    ({"vehicles": 2.5}, ["vehicles", "2.5"]),
    ({"sme": "yes"}, ["sme", "True"]),
    ({"employees": 48}, ["employees"]),
])
def test_bad_company(company, words):
    with pytest.raises(cnkit.CnkitError) as err:
        sb.evaluate_subsidies(dict(equipment="pv", cost_yen=1_000, kw=1), {**KAWASAKI_SME, **company})
    for word in words:
        assert word in str(err.value)
    with pytest.raises(cnkit.CnkitError, match="辞書"):
        sb.evaluate_subsidies(dict(equipment="pv", cost_yen=1_000, kw=1), "川崎市")


# ------------------------------------------------------------------------------------------
# the rule files themselves
def _files():
    return sorted(RULES.glob("*.yml"))


def test_one_file_per_programme_with_source_year_and_conditions():
    ids = [p.stem for p in _files()]
    assert ids == sorted(["kawasaki_eco", "kanagawa_self_consumption_re", "kanagawa_sme_energy_saving",
                          "kawasaki_ganbaru", "kawasaki_esg_finance", "kyoto_supply_chain", "kyoto_pv_battery"])
    catalogue = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    for path in _files():
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert d["id"] == path.stem
        assert isinstance(d["fiscal_year"], int) and 2024 <= d["fiscal_year"] <= 2026
        assert d["region"]["prefecture"] in {"神奈川県", "京都府"}
        for s in d["sources"]:
            assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", s["seed"]), s
            assert len(s["section"]) > 5
        assert d["conditions"], path.name
        for c in d["conditions"]:
            assert c["text_ja"] and c["fail_ja"] and c["basis_ja"] and isinstance(c["confirmed"], bool)
        assert d["eligible_costs"]["excluded_ja"], path.name
        assert d["stacking"]["basis_ja"]
        for m in d["menus"]:
            assert "rate" in m or "per_kw_yen" in m
            if "rate" in m:
                assert re.fullmatch(r"\d+/\d+", m["rate"]), m["rate"]
        assert f"`subsidies/{path.name}`" in catalogue
    assert "`subsidies/equipment_types.csv`" in catalogue
    assert "`finance/economics.csv`" in catalogue


def test_seed_figures_in_the_files():
    """The numbers of the seeds, as the files hold them."""
    k = sb.programme("kawasaki_eco")
    menus = {m["id"]: m for m in k["menus"]}
    assert float(menus["renewable"]["rate"]) == pytest.approx(1 / 3) and menus["renewable"]["cap_yen"] == 2_000_000
    assert menus["renewable"]["addons"][0]["per_kw_yen"] == 10_000 and menus["renewable"]["addons"][0]["cap_yen"] == 200_000
    assert float(menus["energy_saving"]["rate"]) == pytest.approx(1 / 4) and menus["energy_saving"]["cap_yen"] == 1_500_000
    assert float(menus["energy_saving"]["addons"][0]["rate"]) == pytest.approx(1 / 20)
    assert menus["energy_saving"]["addons"][0]["cap_yen"] == 500_000
    assert sb.menu_table("kanagawa_self_consumption_re").loc["per_kw", "per_kw_yen"] == 80_000
    assert sb.menu_table("kanagawa_sme_energy_saving").loc["replacement", "cap_yen"] == 5_000_000
    ky = sb.menu_table("kyoto_supply_chain").loc["equipment_update"]
    assert (ky["rate"], ky["cap_yen"], ky["floor_yen"]) == (pytest.approx(1 / 3), 8_000_000, 500_000)
    pv = sb.menu_table("kyoto_pv_battery")
    assert (pv.loc["pv", "per_kw_yen"], pv.loc["pv", "cap_yen"], pv.loc["battery", "cap_yen"]) == (50_000, 9_000_000, 1_000_000)
    addons = sb.addon_table("kawasaki_eco")
    assert addons.loc["pv_per_kw", "outside_cap"] and addons.loc["pv_per_kw", "per_kw_yen"] == 10_000


def test_kawasaki_thresholds_agree_with_thresholds_csv():
    with open(ROOT / "datasets" / "factors" / "thresholds.csv", encoding="utf-8") as f:
        th = {r["threshold"]: float(r["value"]) for r in csv.DictReader(f)}
    cond = {c["id"]: c for c in sb.programme("kawasaki_eco")["conditions"]}
    assert cond["energy_below_1500kl"]["value"] == th["kawasaki_eco_subsidy_energy"]
    assert cond["vehicles_below_100"]["value"] == th["kawasaki_eco_subsidy_vehicles"]


def test_tables_for_the_notebook():
    t = sb.programme_table()
    assert len(t) == 7 and t["source"].str.contains("seed|\\d{3}_", regex=True).all()
    assert "他の補助金と併用できない" in t.loc["kawasaki_ganbaru", "stacks_with_ja"]
    c = sb.conditions_table("kawasaki_eco")
    assert {"text_ja", "confirmed", "basis_ja"} <= set(c.columns) and c["confirmed"].all()
    types = sb.equipment_types()
    assert {"pv", "air_conditioner", "lighting", "market_development", "esg_review"} <= set(types.index)
    used = {e for p in sb.programmes().values() for m in p["menus"] for e in m["equipment"]}
    assert used <= set(types.index)


def test_broken_rule_file_gives_japanese_message(tmp_path, monkeypatch):
    import shutil

    data = tmp_path / "datasets"
    shutil.copytree(ROOT / "datasets" / "factors", data / "factors")
    shutil.copytree(RULES, data / "subsidies")
    text = (data / "subsidies" / "kawasaki_eco.yml").read_text(encoding="utf-8")
    (data / "subsidies" / "kawasaki_eco.yml").write_text(text.replace("stacks_with: [kanagawa_self_consumption_re, ",
                                                                     "stacks_with: ["), encoding="utf-8")
    monkeypatch.setenv("CNKIT_DATASETS", str(data))
    sb._load.cache_clear()
    try:
        with pytest.raises(cnkit.CnkitError, match="両方のファイル"):
            sb.programmes()
        (data / "subsidies" / "kawasaki_eco.yml").write_text(text.replace('rate: "1/3"', 'rate: "one third"'),
                                                             encoding="utf-8")
        sb._load.cache_clear()
        with pytest.raises(cnkit.CnkitError, match="one third"):
            sb.programmes()
    finally:
        monkeypatch.delenv("CNKIT_DATASETS")
        sb._load.cache_clear()


def test_subsidy_table_per_measure():
    facts = sb.CompanyFacts(**KAWASAKI_SME)
    t = sb.subsidy_table({"led": dict(equipment="lighting", cost_yen=2_790_000),
                          "aircon": sb.Project(equipment="air_conditioner", cost_yen=16_800_000),
                          "ev": dict(equipment="ev", cost_yen=6_000_000)}, facts)
    assert list(t.index) == ["led", "aircon", "ev"]
    assert t.loc["led", "subsidy_yen"] == 930_000                  # 2,790,000 × 1/3 (県のみ: 市の対象に照明はない)
    assert t.loc["aircon", "subsidy_yen"] == 1_500_000 + 5_000_000  # both at their caps
    assert t.loc["aircon", "net_cost_yen"] == 16_800_000 - 6_500_000
    assert t.loc["ev", "subsidy_yen"] == 0 and t.loc["ev", "programmes_ja"] == "なし"
    assert "対象がありません" in t.loc["ev", "note_ja"]
    with pytest.raises(cnkit.CnkitError, match="辞書"):
        sb.subsidy_table([], facts)


def test_numpy_numbers_in_a_project_are_accepted():
    """Sizes read from a CSV arrive as numpy scalars; the rules must treat them like Python numbers."""
    import numpy as np

    p = sb.Project("pv", cost_yen=np.float64(11_300_000), kw=np.float64(100), self_consumption_share=0.8)
    facts = sb.CompanyFacts(prefecture="京都府", sme=True)
    assert sb.evaluate_subsidies(p, facts).loc["kyoto_pv_battery", "amount_yen"] == 5_000_000
