"""cnkit.calculate.economics: payback, NPV, IRR (against numpy-financial), annualised cost and MAC."""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cnkit
from cnkit.calculate import economics as ec

ROOT = Path(cnkit.__file__).resolve().parent.parent

SERIES = [
    [-1000, 300, 400, 500],
    [-2_790_000] + [990_602] * 12,                      # A社の LED 化に近い形
    [-16_800_000] + [1_055_697] * 15,                   # 空調の更新（補助金なし: IRR はマイナス）
    [-10_300_000] + [1_055_697] * 15,                   # 同じ空調を補助金 650万円で
    [-500, 0, 0, 200, 200, 200, 200],                   # 数年たってから効果が出る
    [-100, 20, 40, 60, 30],                              # 年ごとに効果が違う
    [-1_200_000, 444_787, 444_787, 444_787, 444_787, 444_787, 444_787, 444_787, 444_787, 444_787, 444_787],
]


def _csv_value(item: str) -> float:
    with open(ROOT / "datasets" / "finance" / "economics.csv", encoding="utf-8") as f:
        return float(next(r for r in csv.DictReader(f) if r["item"] == item)["value"])


# ------------------------------------------------------------------------------------------
# NPV and IRR against numpy-financial
@pytest.mark.parametrize("rate", [0.0, 0.03, 0.1, -0.05])
@pytest.mark.parametrize("series", SERIES, ids=[f"series{i}" for i in range(len(SERIES))])
def test_npv_matches_numpy_financial(series, rate):
    import numpy_financial as npf

    assert ec.npv(rate, series) == pytest.approx(npf.npv(rate, series), rel=1e-12, abs=1e-6)


@pytest.mark.parametrize("series", SERIES, ids=[f"series{i}" for i in range(len(SERIES))])
def test_irr_matches_numpy_financial(series):
    import numpy_financial as npf

    got, want = ec.irr(series), npf.irr(series)
    assert got == pytest.approx(want, abs=1e-8)
    assert ec.npv(got, series) == pytest.approx(0, abs=1e-3 * max(abs(v) for v in series))


def test_irr_sign_of_the_examples():
    assert ec.irr(SERIES[2]) < 0 < ec.irr(SERIES[3])        # 補助金で IRR がプラスに変わる
    assert ec.irr([-100, 110]) == pytest.approx(0.10, abs=1e-9)   # 1年後に110: 10%
    assert ec.irr([-100, 0, 121]) == pytest.approx(0.10, abs=1e-9)  # 2年後に121: 10%/年


def test_project_npv_by_hand():
    # 投資100万円、年30万円の削減、5年、割引率5%: 年金現価係数 (1 − 1.05^−5) / 0.05 = 4.329477
    annuity = (1 - 1.05 ** -5) / 0.05
    assert ec.project_npv(1_000_000, 300_000, 5, 0.05) == pytest.approx(-1_000_000 + 300_000 * annuity)
    assert ec.project_npv(1_000_000, 300_000, 5, 0.05) == pytest.approx(298_843.1, abs=0.1)
    # 補助金40万円は0年目の支出をそのまま減らす
    assert ec.project_npv(1_000_000, 300_000, 5, 0.05, subsidy=400_000) \
        == pytest.approx(ec.project_npv(1_000_000, 300_000, 5, 0.05) + 400_000)
    # 運転費用は毎年の削減額を減らす
    assert ec.project_npv(1_000_000, 300_000, 5, 0.05, running_cost=50_000) \
        == pytest.approx(-1_000_000 + 250_000 * annuity)
    # 割引率 0 なら単純な合計
    assert ec.project_npv(1_000_000, 300_000, 5, 0) == pytest.approx(500_000)


def test_default_rate_comes_from_the_data():
    assert ec.discount_rate() == _csv_value("discount_rate")
    assert ec.project_npv(1_000_000, 300_000, 5) == pytest.approx(ec.project_npv(1_000_000, 300_000, 5, ec.discount_rate()))
    a = ec.economics_assumptions()
    assert {"discount_rate", "payback_guideline_years", "subsidy_total_max_share_of_cost"} <= set(a.index)
    assert a["source"].str.len().min() > 10


def test_cashflows_and_table():
    assert ec.project_cashflows(1_000_000, 300_000, 3, subsidy=200_000, running_cost=20_000) == \
        [-800_000, 280_000, 280_000, 280_000]
    t = ec.cashflow_table(1_000_000, 300_000, 4, 0.1)
    assert list(t.index) == [0, 1, 2, 3, 4]
    assert list(t["cumulative_yen"]) == [-1_000_000, -700_000, -400_000, -100_000, 200_000]
    assert t["discount_factor"].iloc[2] == pytest.approx(1 / 1.21)
    assert t["cumulative_pv_yen"].iloc[-1] == pytest.approx(ec.project_npv(1_000_000, 300_000, 4, 0.1))
    assert ec.discount_factors(0.1, 2) == pytest.approx([1, 1 / 1.1, 1 / 1.21])


# ------------------------------------------------------------------------------------------
# payback
def test_simple_payback():
    assert ec.simple_payback(1_000_000, 250_000) == 4
    assert ec.simple_payback(1_000_000, 250_000, subsidy=400_000) == pytest.approx(2.4)
    assert ec.simple_payback(2_790_000, 990_601.92) == pytest.approx(2_790_000 / 990_601.92)
    assert ec.simple_payback(0, 100_000) == 0
    assert ec.simple_payback(500_000, 100_000, subsidy=500_000) == 0


@pytest.mark.parametrize("saving", [0, -10_000])
def test_zero_or_negative_saving_is_never_paid_back(saving):
    years = ec.simple_payback(1_000_000, saving)
    assert math.isinf(years)
    text = ec.payback_text(years)
    assert "回収できません" in text and "0 以下" in text
    assert "年で回収" in ec.payback_text(2.5)
    assert "投資額がありません" in ec.payback_text(0.0)


# ------------------------------------------------------------------------------------------
# errors in Japanese, naming the parameter and the value
def test_irr_without_sign_change_is_a_japanese_error():
    with pytest.raises(cnkit.CnkitError, match="符号が変わらない"):
        ec.irr([100, 200, 300])
    with pytest.raises(cnkit.CnkitError, match="符号が変わらない"):
        ec.irr([-100, -5, 0])
    with pytest.raises(cnkit.CnkitError, match="符号が変わらない"):
        ec.project_irr(0, 100_000, 5)


def test_irr_with_two_roots_is_refused():
    # −100 + 230/(1+r) − 132/(1+r)² = 0 at r = 10 % and r = 20 %
    with pytest.raises(cnkit.CnkitError, match="複数"):
        ec.irr([-100, 230, -132])
    # a removal cost at the end: NPV is 0 at a positive rate and again near −100 %
    with pytest.raises(cnkit.CnkitError, match="NPV で判断"):
        ec.irr([-100, 50, 50, 50, -20])


@pytest.mark.parametrize("call, words", [
    (lambda: ec.simple_payback("100万", 10), ["investment", "100万"]),
    (lambda: ec.simple_payback(100, 10, subsidy=200), ["補助金", "投資額"]),
    (lambda: ec.simple_payback(-100, 10), ["investment", "-100"]),
    (lambda: ec.project_npv(100, 10, 2.5, 0.03), ["lifetime", "2.5"]),
    (lambda: ec.project_npv(100, 10, 0, 0.03), ["lifetime"]),
    (lambda: ec.npv(3, [-100, 50]), ["百分率", "0.03"]),
    (lambda: ec.npv(-1, [-100, 50]), ["rate"]),
    (lambda: ec.npv(0.03, []), ["空"]),
    (lambda: ec.npv(0.03, "abc"), ["リスト"]),
    (lambda: ec.npv(0.03, [-100, None]), ["1年目", "None"]),
    (lambda: ec.npv(0.03, [-100, float("nan")]), ["1年目"]),
    (lambda: ec.economics_value("no_such_row"), ["no_such_row"]),
])
def test_bad_input_gives_japanese_message(call, words):
    with pytest.raises(cnkit.CnkitError) as err:
        call()
    for word in words:
        assert word in str(err.value)


# ------------------------------------------------------------------------------------------
# annualised cost and MAC
def test_capital_recovery_factor():
    r, n = 0.03, 12
    assert ec.capital_recovery_factor(r, n) == pytest.approx(r * (1 + r) ** n / ((1 + r) ** n - 1))
    assert ec.capital_recovery_factor(0, 10) == pytest.approx(0.1)
    # 年賦の現在価値は投資額に戻る
    annual = ec.annualised_investment(1_000_000, n, r)
    assert ec.npv(r, [0] + [annual] * n) == pytest.approx(1_000_000)
    assert ec.annualised_investment(1_000_000, n, r, subsidy=1_000_000) == 0


def _table():
    return pd.DataFrame({
        "name_ja": ["設定の見直し", "設備の更新", "ボイラーの更新"],
        "investment_yen": [0.0, 100_000.0, 300_000.0],
        "lifetime_years": [float("nan"), 10.0, 10.0],
        "annual_saving_yen": [10_000.0, 4_000.0, 6_000.0],
        "reduction_t": [2.0, 3.0, 5.0],
    }, index=["a", "b", "c"])


def test_mac_table_by_hand():
    mac = ec.mac_table(_table(), rate=0)
    # a: (0 − 10,000) / 2 = −5,000; b: (10,000 − 4,000) / 3 = 2,000; c: (30,000 − 6,000) / 5 = 4,800
    assert list(mac.index) == ["a", "b", "c"]
    assert list(mac["mac_yen_per_t"]) == pytest.approx([-5_000, 2_000, 4_800])
    assert list(mac["annualised_investment_yen"]) == pytest.approx([0, 10_000, 30_000])
    assert list(mac["cumulative_t"]) == pytest.approx([2, 5, 10])
    assert list(mac["start_t"]) == pytest.approx([0, 2, 5])


def test_mac_table_sorts_ascending_and_uses_rate_and_subsidy():
    t = _table()
    t["subsidy_yen"] = [0.0, 0.0, 250_000.0]          # c: annual (300,000 − 250,000) / 10 = 5,000 → −200/t
    mac = ec.mac_table(t, rate=0)
    assert list(mac.index) == ["a", "c", "b"]
    assert mac.loc["c", "mac_yen_per_t"] == pytest.approx((5_000 - 6_000) / 5)
    mac3 = ec.mac_table(_table(), rate=0.03)
    crf = 0.03 * 1.03 ** 10 / (1.03 ** 10 - 1)
    assert mac3.loc["b", "mac_yen_per_t"] == pytest.approx((100_000 * crf - 4_000) / 3)
    assert ec.mac_table(_table()).loc["b", "mac_yen_per_t"] == pytest.approx(
        ec.mac_table(_table(), rate=ec.discount_rate()).loc["b", "mac_yen_per_t"])


@pytest.mark.parametrize("change, word", [
    (lambda t: t.assign(reduction_t=[2.0, 0.0, 5.0]), "設備の更新"),
    (lambda t: t.assign(lifetime_years=[float("nan"), float("nan"), 10.0]), "耐用年数"),
    (lambda t: t.drop(columns=["reduction_t"]), "reduction_t"),
    (lambda t: t.iloc[0:0], "1つも"),
])
def test_mac_table_errors(change, word):
    with pytest.raises(cnkit.CnkitError, match=word):
        ec.mac_table(change(_table()))


def test_measure_economics_and_table_on_a_sha():
    from cnkit.calculate import measures as m

    res = m.evaluate_all(m.company_measures("a_sha"))
    t = ec.measure_economics(res)
    assert list(t.index) == list(res.index)
    assert (t["annual_saving_yen"] == -res["delta_cost_yen"]).all()
    assert (t["reduction_t"] == -res["delta_co2_t"]).all()
    net = ec.measure_economics(res, "delta_co2_net_t")
    assert net.loc["j_credit", "reduction_t"] > 0 == t.loc["j_credit", "reduction_t"]
    plan = t[res["in_plan"] & (res["category"] != "オフセット")]
    mac = ec.mac_table(plan)
    assert mac["mac_yen_per_t"].is_monotonic_increasing
    assert mac["cumulative_t"].iloc[-1] == pytest.approx(plan["reduction_t"].sum())
    led = t.loc["led"]
    crf = ec.capital_recovery_factor(ec.discount_rate(), int(led["lifetime_years"]))
    assert mac.loc["led", "mac_yen_per_t"] == pytest.approx(
        (led["investment_yen"] * crf - led["annual_saving_yen"]) / led["reduction_t"])
    with_sub = plan.assign(subsidy_yen=0.0)
    with_sub.loc["aircon", "subsidy_yen"] = 6_500_000
    e = ec.economics_table(with_sub)
    air = e.loc["aircon"]
    assert air["npv_with_subsidy_yen"] - air["npv_yen"] == pytest.approx(6_500_000)
    assert air["payback_years"] == pytest.approx(air["investment_yen"] / air["annual_saving_yen"])
    assert air["payback_with_subsidy_years"] == pytest.approx((air["investment_yen"] - 6_500_000) / air["annual_saving_yen"])
    assert air["irr"] < 0 < air["irr_with_subsidy"]
    assert math.isnan(e.loc["idle", "npv_yen"])          # 投資なし・耐用年数なし
    assert e.loc["idle", "payback_years"] == 0


def test_calculate_layer_imports_no_charts_or_widgets():
    code = ("import sys; import cnkit.calculate.economics, cnkit.calculate.subsidies; "
            "print(any(m.split('.')[0] in ('matplotlib', 'ipywidgets') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    for name in ("economics.py", "subsidies.py"):
        src = (ROOT / "cnkit" / "calculate" / name).read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(matplotlib|ipywidgets|numpy_financial)", src, re.M), name


def test_measure_results_is_evaluate_all_and_a_copy():
    from cnkit.calculate import measures as m

    first = ec.measure_results("a_sha")
    pd.testing.assert_frame_equal(first, m.evaluate_all(m.company_measures("a_sha")))
    first.loc["led", "investment_yen"] = -1          # changing the copy does not change the next answer
    again = ec.measure_results(cnkit.load_company("a_sha"))
    assert again.loc["led", "investment_yen"] > 0
