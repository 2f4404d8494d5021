"""Finance and disclosure rules: expected values by hand from the seed figures in programmes.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cnkit import CnkitError
from cnkit.calculate import finance as f

ROOT = Path(__file__).resolve().parents[1]


def _rows():
    with open(ROOT / "datasets" / "finance" / "programmes.csv", encoding="utf-8") as fh:
        return {(r["programme"], r["item"]): float(r["value"]) for r in csv.DictReader(fh)}


V = _rows()


def test_programme_file_has_sources_and_seed_values():
    with open(ROOT / "datasets" / "finance" / "programmes.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            assert r["source"].strip() and r["unit"].strip() and r["fiscal_year"].strip(), r
    # the seed's figures (Kyoto handbook p.31, FACTS.md)
    assert (V["kyoto_zcf", "spt_commercial"], V["kyoto_zcf", "spt_industrial"], V["kyoto_zcf", "spt_transport"]) == (0.06, 0.04, 0.02)
    assert V["conventional_sll", "minimum_loan"] == 50_000_000


def test_average_reduction_is_not_compounded():
    # base 1000; years at 970, 955, 950 → rates 3 %, 4.5 %, 5 % → mean 4.1667 %
    assert f.average_reduction_rate(1000, {2023: 970, 2024: 955, 2025: 950}) == pytest.approx((0.03 + 0.045 + 0.05) / 3)


@pytest.mark.parametrize("sector,last,ok", [("産業", 950, True), ("業務", 950, False), ("運輸", 990, False), ("運輸", 975, True)])
def test_zero_carbon_framework_spt_by_sector(sector, last, ok):
    yearly = {2023: 1000 - (1000 - last) / 2, 2024: last, 2025: last}
    v = f.zero_carbon_framework(sector, 1000, yearly, has_site_in_kyoto=True)
    assert v.ok is ok
    expected_rate = sum((1000 - x) / 1000 for x in yearly.values()) / 3
    assert v.figures["average_reduction_rate"] == pytest.approx(expected_rate)
    if not ok:
        assert any("SPT" in r and sector in r for r in v.reasons)


def test_zero_carbon_framework_needs_a_site_in_kyoto():
    v = f.zero_carbon_framework("産業", 1000, {2025: 900}, has_site_in_kyoto=False)
    assert not v.ok and any("京都府内" in r for r in v.reasons)


def test_zero_carbon_framework_rejects_unknown_sector_and_bad_numbers():
    with pytest.raises(CnkitError, match="部門「製造」"):
        f.zero_carbon_framework("製造", 1000, {2025: 900}, has_site_in_kyoto=True)
    with pytest.raises(CnkitError, match="0 です"):
        f.average_reduction_rate(0, {2025: 1})
    with pytest.raises(CnkitError, match="1つも"):
        f.average_reduction_rate(10, {})
    with pytest.raises(CnkitError, match="2025年度の排出量"):
        f.average_reduction_rate(10, {2025: "abc"})


def test_sll_fees_from_the_seed():
    fees = f.sll_fee_comparison()
    assert fees["zcf_fee"] == 0 and fees["zcf_minimum_loan"] == 0
    assert (fees["sll_fee_low"], fees["sll_fee_high"]) == (2_000_000, 3_000_000)


def test_interest_saved_equal_principal_and_bullet():
    # 30,000,000 yen, 5 years, −0.2 %pt: balances 30, 24, 18, 12, 6 million → 90 million × 0.002
    assert f.interest_saved(30_000_000, 5, 0.002) == pytest.approx(90_000_000 * 0.002)
    assert f.interest_saved(30_000_000, 5, 0.002, repayment="bullet") == pytest.approx(30_000_000 * 0.002 * 5)
    assert f.interest_saved(30_000_000, 5, 0.0) == 0


@pytest.mark.parametrize("kwargs,match", [
    ({"principal": -1, "years": 5, "step_down": 0.001}, "融資額"),
    ({"principal": 1e6, "years": 0, "step_down": 0.001}, "融資期間"),
    ({"principal": 1e6, "years": 5, "step_down": 0.2}, "大きすぎ"),
    ({"principal": 1e6, "years": 5, "step_down": 0.001, "repayment": "annuity"}, "返済方法"),
])
def test_interest_saved_rejects_bad_input(kwargs, match):
    with pytest.raises(CnkitError, match=match):
        f.interest_saved(**kwargs)


def test_kyoto_specified_business_each_threshold():
    assert not f.kyoto_specified_business(1499.9).ok
    assert f.kyoto_specified_business(1500).ok
    assert f.kyoto_specified_business(10, trucks=100).ok
    assert not f.kyoto_specified_business(10, trucks=99, buses=99, taxis=149, rail_cars=149, non_energy_ghg_t=2999).ok
    assert f.kyoto_specified_business(10, taxis=150).ok
    assert f.kyoto_specified_business(10, non_energy_ghg_t=3000).ok
    assert "該当しません" in str(f.kyoto_specified_business(261, trucks=2))


def test_sbt_sme_route():
    fx = V["fx", "eur_jpy"]
    small = dict(employees=48, turnover_yen=1.5e9, assets_yen=1.2e9)
    assert f.sbt_sme_eligibility(560, **small).ok
    v = f.sbt_sme_eligibility(10_000, **small)
    assert not v.ok and any("10,000" in r for r in v.reasons)
    assert not f.sbt_sme_eligibility(560, financial_or_oil_gas=True, **small).ok
    # 3 of 4: big staff and turnover but small assets, no FLAG → only 2 met
    v = f.sbt_sme_eligibility(560, employees=300, turnover_yen=60e6 * fx, assets_yen=1e6 * fx)
    assert not v.ok and "2 つしか" in v.reasons[0]
    # exactly 3 met
    assert f.sbt_sme_eligibility(560, employees=300, turnover_yen=40e6 * fx, assets_yen=1e6 * fx).ok


def test_re_action():
    assert f.re_action_eligibility(640_000).ok
    assert not f.re_action_eligibility(50_000_000).ok
    assert not f.re_action_eligibility(1_000, power_business_revenue_share=0.5).ok
    with pytest.raises(CnkitError, match="割合"):
        f.re_action_eligibility(1_000, power_business_revenue_share=50)


def test_sbt_path_is_linear():
    path = f.sbt_target_path(560, 2025, 2030)
    rate = V["sbt_sme", "linear_reduction_rate"]
    assert path[2025] == 560 and path[2030] == pytest.approx(560 * (1 - 5 * rate))
    diffs = {round(path[y] - path[y + 1], 9) for y in range(2025, 2030)}
    assert len(diffs) == 1


# --- notebook 08 additions: SPT level, guarantee fee, Kawasaki benefit, cases, eligibility table --------
def test_spt_limit_is_the_average_emissions_bound():
    # 産業 4 %: base 420 → mean emissions must be ≤ 420 × 0.96 = 403.2
    assert f.spt_emissions_limit("産業", 420) == pytest.approx(403.2)
    assert f.spt_emissions_limit("業務", 1000) == pytest.approx(940)
    # meeting the SPT ⇔ the period's mean emissions ≤ the limit (years make up for each other)
    for yearly in ({2023: 410, 2024: 400, 2025: 399.6}, {2023: 418, 2024: 410, 2025: 392}, {2023: 380, 2024: 420, 2025: 410}):
        mean = sum(yearly.values()) / 3
        ok = f.zero_carbon_framework("産業", 420, yearly, has_site_in_kyoto=True).ok
        assert ok is (mean <= 403.2 + 1e-9), yearly
    with pytest.raises(CnkitError, match="部門「商業」"):
        f.spt_emissions_limit("商業", 100)


def test_case_c_sha_misses_the_spt_despite_a_big_last_year():
    y = f.borrower_emissions("c_sha")
    base = (y[2020] + y[2021] + y[2022]) / 3
    assert base == pytest.approx(420)
    # rates 2/420, 10/420, 28/420 → mean 40/1260 ≈ 3.17 % < 4 %; the last year alone is 6.7 %
    rate = f.average_reduction_rate(base, {fy: y[fy] for fy in (2023, 2024, 2025)})
    assert rate == pytest.approx(40 / 1260)
    assert (base - y[2025]) / base > V["kyoto_zcf", "spt_industrial"]
    assert not f.zero_carbon_framework("産業", base, {fy: y[fy] for fy in (2023, 2024, 2025)}, has_site_in_kyoto=True).ok
    with pytest.raises(CnkitError, match="z_sha"):
        f.borrower_emissions("z_sha")


def test_case_c_sha_loan():
    c = f.borrower_cases().loc["c_sha"]
    # 30 million over 5 years, −0.1 %pt: balances 30, 24, 18, 12, 6 million → 90 million × 0.001 = 90,000 yen
    assert f.interest_saved(float(c["loan_yen"]), int(c["installments"]), float(c["step_down"])) == pytest.approx(90_000)
    assert c["loan_yen"] < V["conventional_sll", "minimum_loan"]


def test_guarantee_fee_formula():
    # 20,000,000 × 1.15 % × 84/12 × 0.55 (25 or more instalments) = 885,500 yen
    assert f.guarantee_fee(20_000_000, 0.0115, 84, installments=84) == pytest.approx(885_500)
    # bullet: 20,000,000 × 1.15 % × 84/12 = 1,610,000
    assert f.guarantee_fee(20_000_000, 0.0115, 84) == pytest.approx(1_610_000)
    base = 1_000_000 * 0.01 * 12 / 12
    for n, coef in ((1, 0.70), (6, 0.70), (7, 0.65), (12, 0.65), (13, 0.60), (24, 0.60), (25, 0.55), (120, 0.55)):
        assert f.guarantee_fee(1_000_000, 0.01, 12, installments=n) == pytest.approx(base * coef), n


@pytest.mark.parametrize("args,kwargs,match", [
    ((-1, 0.01, 12), {}, "融資額"),
    ((1e6, 0.19, 12), {}, "大きすぎ"),
    ((1e6, 0.01, 0), {}, "保証期間"),
    ((1e6, 0.01, 12.5), {}, "保証期間"),
    ((1e6, 0.01, 12), {"installments": True}, "返済の回数"),
    ((1e6, "1%", 12), {}, "保証料率"),
])
def test_guarantee_fee_rejects_bad_input(args, kwargs, match):
    with pytest.raises(CnkitError, match=match):
        f.guarantee_fee(*args, **kwargs)


def test_guarantee_rates_in_the_data_are_the_nine_category_range():
    assert V["credit_guarantee", "fee_rate_lowest"] <= V["credit_guarantee", "course_fee_rate"] <= V["credit_guarantee", "fee_rate_highest"]
    assert (V["credit_guarantee", "fee_rate_lowest"], V["credit_guarantee", "fee_rate_highest"]) == (0.0045, 0.019)


def test_guarantee_coefficients_cover_every_count_once():
    with open(ROOT / "datasets" / "finance" / "guarantee_fee_coefficients.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["source"].strip() and r["unit"].strip() for r in rows)
    edges = [(int(r["installments_min"]), int(r["installments_max"]) if r["installments_max"] else None) for r in rows]
    assert edges[0][0] == 1 and edges[-1][1] is None
    for (lo1, hi1), (lo2, _) in zip(edges, edges[1:]):
        assert lo2 == hi1 + 1


def test_kawasaki_guarantee_fee_subsidy():
    assert f.kawasaki_guarantee_fee_subsidy(885_500, certified=True) == pytest.approx(885_500)  # 100 %
    assert f.kawasaki_guarantee_fee_subsidy(885_500, certified=False) == 0
    with pytest.raises(CnkitError, match="True か False"):
        f.kawasaki_guarantee_fee_subsidy(1_000, certified="はい")


def test_eligibility_table_for_d_sha():
    d = f.borrower_cases().loc["d_sha"]
    t = f.eligibility_table(d).set_index("制度")["該当・参加可"]
    # 260 staff (≥ 250) and 9.6 bn yen = 60 M€ (≥ 50 M€) fail; assets 20 M€ and no FLAG pass → 2 of 4
    assert list(t.values) == [False, True, True, True]
    reasons = f.eligibility_table(d).set_index("制度")["理由"]
    assert "2 つしか" in reasons.iloc[0] and "トラック" in reasons.iloc[2]


def test_eligibility_table_outside_kyoto_and_overrides():
    case = {"prefecture": "神奈川県", "employees": 48, "turnover_yen": 1.5e9, "assets_yen": 1.2e9, "trucks": 2}
    t = f.eligibility_table(case, scope12_t=560, annual_kwh=640_000, crude_kl=2_000).set_index("制度")
    assert list(t["該当・参加可"]) == [True, True, False, True]  # Kyoto's ordinance does not apply outside Kyoto
    assert "京都府内に事業所がない" in t["理由"].iloc[2]
    with pytest.raises(CnkitError, match="scope12_t"):
        f.eligibility_table(case, annual_kwh=1, crude_kl=1)


def test_case_files_have_sources():
    for name in ("borrower_cases.csv", "borrower_emissions.csv"):
        with open(ROOT / "datasets" / "finance" / name, encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                assert r["source"].strip() and r["is_assumption"] == "true", (name, r)
