"""Money side of a measure: simple payback, NPV, IRR and the marginal abatement cost (MAC).

Part of the *calculate* layer (pure functions; no matplotlib, no ipywidgets). Written for
teaching: each function does one step that a trainee can follow by hand.

Conventions
-----------
- Amounts in yen; an **annual saving** is positive when the measure lowers the yearly costs
  (energy bills minus the measure's own running costs).
- A **cash-flow series** is a list of yearly amounts, the first one at year 0 (the day of the
  investment, not discounted), then year 1, 2, … (end of each year). Money out is negative.
  This is the convention of spreadsheet ``NPV`` with the year-0 amount added, and of
  ``numpy_financial.npv``/``irr``.
- The discount rate is a fraction per year (0.03 = 3 %). Its default is the course's
  assumption in ``datasets/finance/economics.csv`` (row ``discount_rate``).

Formulas
--------
- simple payback [years] = (investment − subsidy) ÷ annual saving. It ignores the time value of
  money and everything after the payback year.
- NPV = Σ_t CF_t ÷ (1 + r)^t, t = 0 … n.
- IRR = the rate r at which NPV = 0, found by **bisection** (:func:`irr`).
- annualised investment = investment × CRF, CRF = r(1 + r)^n ÷ ((1 + r)^n − 1) (capital recovery
  factor; 1/n when r = 0): the equal yearly payment that repays the investment with interest.
- MAC [yen per t-CO2] = (annualised investment − annual saving) ÷ t-CO2 reduced per year.
  Negative = the measure saves money while it cuts CO2.
"""

from __future__ import annotations

import math
import numbers
import pandas as pd

from ..errors import CnkitError
from ..reference import _csv

#: bisection of :func:`irr`: the search interval (fraction per year) and the stopping width
IRR_LOW, IRR_HIGH = -0.99, 10.0
IRR_TOLERANCE = 1e-10
#: grid points used to find where NPV changes sign before bisecting
_IRR_GRID = 400


# ------------------------------------------------------------------------------------------
# data
def economics_value(item: str) -> float:
    """A number from ``datasets/finance/economics.csv`` (discount rate, payback guideline, …)."""
    df = _csv("finance", "economics.csv")
    hit = df[df["item"] == item]
    if hit.empty:
        raise CnkitError(f"finance/economics.csv に「{item}」がありません。")
    return float(hit["value"].iloc[0])


def discount_rate() -> float:
    """The course's default discount rate (fraction per year; an assumption, see economics.csv)."""
    return economics_value("discount_rate")


def economics_assumptions() -> pd.DataFrame:
    """The rows of ``finance/economics.csv`` with unit, date, assumption flag and source."""
    return _csv("finance", "economics.csv").copy().set_index("item", drop=False)


# ------------------------------------------------------------------------------------------
# validation (Japanese messages naming the parameter and the value)
def _number(param: str, label: str, value, *, minimum: float | None = None, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CnkitError(f"{label}（{param}）に「{value!r}」が入っています。数値を入れてください。")
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        raise CnkitError(f"{label}（{param}）が数値になっていません（{value}）。")
    if positive and v <= 0:
        raise CnkitError(f"{label}（{param}）が {value} です。0 より大きい数値を入れてください。")
    if minimum is not None and v < minimum:
        raise CnkitError(f"{label}（{param}）が {value} です。{minimum:g} 以上の数値を入れてください。")
    return v


def _rate(rate) -> float:
    if rate is None:
        return discount_rate()
    r = _number("rate", "割引率", rate)
    if 1 < r <= 100:
        raise CnkitError(f"割引率（rate）が {rate} です。百分率ではなく割合で入れてください（3% → 0.03）。")
    if not -1 < r <= 1:
        raise CnkitError(f"割引率（rate）が {rate} です。-1 より大きく 1 以下の割合で入れてください。")
    return r


def _lifetime(lifetime) -> int:
    n = _number("lifetime", "耐用年数（年）", lifetime, positive=True)
    if n != int(n):
        raise CnkitError(f"耐用年数（lifetime）は年の整数で入れてください（入力: {lifetime}）。")
    if n > 100:
        raise CnkitError(f"耐用年数（lifetime）が {lifetime} 年です。100 年以下にしてください。")
    return int(n)


def _cashflows(cashflows) -> list[float]:
    if isinstance(cashflows, (str, bytes, dict)) or not hasattr(cashflows, "__iter__"):
        raise CnkitError(f"キャッシュフロー（cashflows）は数値の並び（リスト）で渡してください（入力: {cashflows!r}）。")
    values = list(cashflows)
    if not values:
        raise CnkitError("キャッシュフロー（cashflows）が空です。0年目（投資）から順に金額を並べてください。")
    return [_number(f"cashflows[{i}]", f"{i}年目のキャッシュフロー", v) for i, v in enumerate(values)]


def _net_investment(investment, subsidy) -> tuple[float, float]:
    inv = _number("investment", "投資額（円）", investment, minimum=0)
    sub = _number("subsidy", "補助金（円）", subsidy, minimum=0)
    if sub > inv:
        raise CnkitError(f"補助金（subsidy = {sub:,.0f} 円）が投資額（investment = {inv:,.0f} 円）を超えています。"
                         "補助金は対象経費の一部です。数値を確かめてください。")
    return inv, sub


# ------------------------------------------------------------------------------------------
# payback
def simple_payback(investment, annual_saving, subsidy=0) -> float:
    """Simple payback in years: (investment − subsidy) ÷ annual saving.

    Returns ``math.inf`` when the annual saving is 0 or negative (the investment is never paid
    back; :func:`payback_text` says so in Japanese), and 0 when nothing is left to pay back.
    """
    inv, sub = _net_investment(investment, subsidy)
    saving = _number("annual_saving", "年間の削減額（円/年）", annual_saving)
    net = inv - sub
    if net == 0:
        return 0.0
    if saving <= 0:
        return math.inf
    return net / saving


def payback_text(years: float) -> str:
    """A Japanese sentence for a payback result (``math.inf`` → never paid back)."""
    if years is None or (isinstance(years, float) and math.isinf(years)):
        return "回収できません（年間の削減額が 0 以下のため、投資額を取り戻せません）。"
    if years == 0:
        return "回収する投資額がありません（投資 0 円、または補助金で全額まかなえます）。"
    return f"約 {years:.1f} 年で回収できます。"


# ------------------------------------------------------------------------------------------
# cash flows, NPV
def project_cashflows(investment, annual_saving, lifetime, subsidy=0, running_cost=0) -> list[float]:
    """Yearly cash flows of a measure: year 0 = −(investment − subsidy); years 1…lifetime = saving − running cost."""
    inv, sub = _net_investment(investment, subsidy)
    saving = _number("annual_saving", "年間の削減額（円/年）", annual_saving)
    running = _number("running_cost", "年間の運転費用（円/年）", running_cost)
    n = _lifetime(lifetime)
    return [-(inv - sub)] + [saving - running] * n


def discount_factors(rate, years) -> list[float]:
    """1 ÷ (1 + rate)^t for t = 0 … years (what one yen in year t is worth today)."""
    r = _rate(rate)
    n = _lifetime(years) if years else 0
    return [1 / (1 + r) ** t for t in range(n + 1)]


def npv(rate, cashflows) -> float:
    """Net present value: Σ CF_t ÷ (1 + rate)^t, the first amount at t = 0 (not discounted)."""
    r = _rate(rate)
    return sum(cf / (1 + r) ** t for t, cf in enumerate(_cashflows(cashflows)))


def project_npv(investment, annual_saving, lifetime, rate=None, subsidy=0, running_cost=0) -> float:
    """NPV (yen) of a measure over its lifetime; ``rate`` defaults to the course's discount rate."""
    return npv(_rate(rate), project_cashflows(investment, annual_saving, lifetime, subsidy, running_cost))


def cashflow_table(investment, annual_saving, lifetime, rate=None, subsidy=0, running_cost=0) -> pd.DataFrame:
    """Year by year: cash flow, cumulative cash flow, discount factor, present value and cumulative PV (yen)."""
    r = _rate(rate)
    cfs = project_cashflows(investment, annual_saving, lifetime, subsidy, running_cost)
    df = pd.DataFrame({"year": range(len(cfs)), "cashflow_yen": cfs})
    df["cumulative_yen"] = df["cashflow_yen"].cumsum()
    df["discount_factor"] = [1 / (1 + r) ** t for t in df["year"]]
    df["present_value_yen"] = df["cashflow_yen"] * df["discount_factor"]
    df["cumulative_pv_yen"] = df["present_value_yen"].cumsum()
    return df.set_index("year")


# ------------------------------------------------------------------------------------------
# IRR by bisection
def irr(cashflows) -> float:
    """Internal rate of return: the discount rate at which the NPV of ``cashflows`` is 0.

    Written for teaching, by **bisection**:

    1. NPV(r) is computed on a grid of rates between −99 % and 1,000 % a year to find an
       interval [low, high] where NPV changes sign (for "invest first, earn later" it falls as
       r rises: positive at low rates, negative at high rates).
    2. The interval is halved again and again, keeping the half where the sign changes, until it
       is narrower than 1e-10. Its middle is the IRR.

    Raises :class:`CnkitError` (Japanese) when the cash flows never change sign (all money in or
    all money out: no IRR), or when NPV crosses 0 more than once (several IRRs: use NPV instead).
    """
    cfs = _cashflows(cashflows)
    signs = {math.copysign(1, v) for v in cfs if v != 0}
    if len(signs) < 2:
        raise CnkitError("キャッシュフローの符号が変わらない（全部プラス、または全部マイナス）ため、"
                         "IRR（内部収益率）はありません。投資（マイナス）と削減額（プラス）の両方を入れてください。")

    def f(r: float) -> float:
        return sum(cf / (1 + r) ** t for t, cf in enumerate(cfs))

    step = (IRR_HIGH - IRR_LOW) / _IRR_GRID
    grid = [IRR_LOW + i * step for i in range(_IRR_GRID + 1)]
    values = [f(r) for r in grid]
    brackets = [(grid[i], grid[i + 1]) for i in range(_IRR_GRID)
                if values[i] == 0 or values[i] * values[i + 1] < 0]
    if values[-1] == 0:
        brackets.append((grid[-1], grid[-1]))
    if not brackets:
        raise CnkitError(f"NPV が 0 になる割引率が {IRR_LOW:.0%}〜{IRR_HIGH:.0%} の間にありません。"
                         "投資額に比べて削減額が小さすぎないか確かめてください。")
    if len(brackets) > 1:
        raise CnkitError("NPV が 0 になる割引率が複数あります（途中でキャッシュフローの符号が何度も変わるため）。"
                         "IRR は1つに決まらないので、NPV で判断してください。")
    low, high = brackets[0]
    f_low = f(low)
    if f_low == 0:
        return low
    while high - low > IRR_TOLERANCE:
        mid = (low + high) / 2
        f_mid = f(mid)
        if f_mid == 0:
            return mid
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return (low + high) / 2


def project_irr(investment, annual_saving, lifetime, subsidy=0, running_cost=0) -> float:
    """IRR (fraction per year) of a measure's cash flows (see :func:`irr`)."""
    return irr(project_cashflows(investment, annual_saving, lifetime, subsidy, running_cost))


# ------------------------------------------------------------------------------------------
# annualised cost and MAC
def capital_recovery_factor(rate, lifetime) -> float:
    """CRF = r(1 + r)^n ÷ ((1 + r)^n − 1); 1/n when r = 0."""
    r = _rate(rate)
    n = _lifetime(lifetime)
    if r == 0:
        return 1 / n
    return r * (1 + r) ** n / ((1 + r) ** n - 1)


def annualised_investment(investment, lifetime, rate=None, subsidy=0) -> float:
    """The equal yearly amount (yen/year) that repays (investment − subsidy) over the lifetime at ``rate``."""
    inv, sub = _net_investment(investment, subsidy)
    if inv - sub == 0:
        return 0.0
    return (inv - sub) * capital_recovery_factor(rate, lifetime)


_RESULTS_CACHE: dict[tuple, pd.DataFrame] = {}


def measure_results(company="a_sha") -> pd.DataFrame:
    """``evaluate_all(company_measures(company))`` for a case company (its id or ``load_company(...)``).

    Kept in memory while the company's files and the factor files are unchanged, so that checks
    which need the measures again do not recompute them. Returns a copy.
    """
    from ..paths import data_path
    from ..reference import load_company
    from .measures import company_measures, evaluate_all

    if isinstance(company, str):
        company = load_company(company)
    files = sorted(company.folder.iterdir()) + sorted(data_path("factors").iterdir())
    key = (str(company.folder), tuple((str(f), f.stat().st_mtime_ns) for f in files if f.is_file()))
    if key not in _RESULTS_CACHE:
        _RESULTS_CACHE.clear()
        _RESULTS_CACHE[key] = evaluate_all(company_measures(company))
    return _RESULTS_CACHE[key].copy()


def measure_economics(results: pd.DataFrame, co2_column: str = "delta_co2_t") -> pd.DataFrame:
    """The money table of measures from :func:`cnkit.calculate.measures.evaluate_all`.

    One row per measure (same index): ``name_ja``, ``category``, ``investment_yen``,
    ``subsidy_yen`` (0 here), ``lifetime_years``, ``annual_saving_yen`` (= −``delta_cost_yen``:
    energy bills saved minus the running costs of the measure) and ``reduction_t`` (= −``co2_column``,
    t-CO2 per year; ``delta_co2_net_t`` counts certificates and credits too).
    """
    need = {"name_ja", "investment_yen", "lifetime_years", "delta_cost_yen", co2_column}
    if not isinstance(results, pd.DataFrame) or need - set(results.columns):
        missing = sorted(need - set(getattr(results, "columns", [])))
        raise CnkitError(f"表に列 {missing} がありません。measures.evaluate_all(...) の結果を渡してください。")
    out = pd.DataFrame({
        "name_ja": results["name_ja"],
        "category": results["category"] if "category" in results.columns else "",
        "investment_yen": results["investment_yen"].astype(float),
        "subsidy_yen": 0.0,
        "lifetime_years": results["lifetime_years"].astype(float),
        "annual_saving_yen": -results["delta_cost_yen"].astype(float) + 0.0,
        "reduction_t": -results[co2_column].astype(float) + 0.0,
    }, index=results.index)
    return out


def mac_table(table: pd.DataFrame, rate=None) -> pd.DataFrame:
    """Marginal abatement cost of each measure, cheapest first, with the cumulative reduction.

    ``table`` has the columns of :func:`measure_economics` (``subsidy_yen`` optional). Adds
    ``annualised_investment_yen``, ``mac_yen_per_t`` = (annualised investment − annual saving) ÷
    reduction, ``cumulative_t`` (the right edge of each bar of the MAC chart) and ``start_t``
    (its left edge). A measure without investment needs no lifetime. Every reduction must be > 0.
    """
    need = {"name_ja", "investment_yen", "lifetime_years", "annual_saving_yen", "reduction_t"}
    if not isinstance(table, pd.DataFrame) or need - set(table.columns):
        missing = sorted(need - set(getattr(table, "columns", [])))
        raise CnkitError(f"表に列 {missing} がありません。measure_economics(...) の結果を渡してください。")
    if table.empty:
        raise CnkitError("対策が1つもありません。")
    r = _rate(rate)
    rows = []
    for idx, row in table.iterrows():
        name = row["name_ja"]
        reduction = _number("reduction_t", f"「{name}」のCO2削減量（t-CO2/年）", row["reduction_t"])
        if reduction <= 0:
            raise CnkitError(f"「{name}」のCO2削減量が {reduction:g} t-CO2/年です。限界削減費用は削減量が 0 より大きい対策だけで"
                             "計算します（増える対策・オフセットは表から外してください）。")
        investment = _number("investment_yen", f"「{name}」の投資額", row["investment_yen"], minimum=0)
        subsidy = row.get("subsidy_yen", 0.0)
        subsidy = 0.0 if pd.isna(subsidy) else subsidy
        if investment - subsidy == 0:
            annual = 0.0
        else:
            life = row["lifetime_years"]
            if pd.isna(life):
                raise CnkitError(f"「{name}」は投資があるのに耐用年数（lifetime_years）がありません。")
            annual = annualised_investment(investment, life, r, subsidy)
        saving = _number("annual_saving_yen", f"「{name}」の年間の削減額", row["annual_saving_yen"])
        rows.append({"measure_id": idx, "name_ja": name, "investment_yen": investment, "subsidy_yen": float(subsidy),
                     "lifetime_years": row["lifetime_years"], "annualised_investment_yen": annual,
                     "annual_saving_yen": saving, "reduction_t": reduction,
                     "mac_yen_per_t": (annual - saving) / reduction})
    out = pd.DataFrame(rows).sort_values("mac_yen_per_t", kind="stable").set_index("measure_id")
    out["cumulative_t"] = out["reduction_t"].cumsum()
    out["start_t"] = out["cumulative_t"] - out["reduction_t"]
    return out


def economics_table(table: pd.DataFrame, rate=None) -> pd.DataFrame:
    """Payback, NPV and IRR of each measure with and without its subsidy (``subsidy_yen``).

    Columns added: ``payback_years``, ``payback_with_subsidy_years``, ``npv_yen``,
    ``npv_with_subsidy_yen``, ``irr``, ``irr_with_subsidy`` (NaN where there is no IRR, e.g. no
    investment). Measures without a lifetime get NaN for NPV and IRR.
    """
    r = _rate(rate)
    out = table.copy()
    if "subsidy_yen" not in out.columns:
        out["subsidy_yen"] = 0.0
    cols = {k: [] for k in ("payback_years", "payback_with_subsidy_years", "npv_yen", "npv_with_subsidy_yen",
                            "irr", "irr_with_subsidy")}
    for _, row in out.iterrows():
        inv, sub, saving, life = row["investment_yen"], row["subsidy_yen"], row["annual_saving_yen"], row["lifetime_years"]
        cols["payback_years"].append(simple_payback(inv, saving))
        cols["payback_with_subsidy_years"].append(simple_payback(inv, saving, sub))
        for suffix, s in (("", 0.0), ("_with_subsidy", sub)):
            if pd.isna(life):
                cols[f"npv{suffix}_yen"].append(float("nan"))
                cols[f"irr{suffix}"].append(float("nan"))
                continue
            cols[f"npv{suffix}_yen"].append(project_npv(inv, saving, life, r, s))
            try:
                cols[f"irr{suffix}"].append(project_irr(inv, saving, life, s))
            except CnkitError:
                cols[f"irr{suffix}"].append(float("nan"))
    for k, v in cols.items():
        out[k] = v
    return out
