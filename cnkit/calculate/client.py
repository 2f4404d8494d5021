"""A real client's case, from its bills to the roadmap (calculate layer, used by the client workbench).

The workbench (``apps/client_workbench.ipynb``) only wires widgets to these functions; each step
calls the course's own functions (``emissions``, ``summary``, ``threshold_checks``, ``pareto_table``,
the measure calculators and ``evaluate_all``, ``evaluate_subsidies``/``best_combination``,
``roadmap_from_measures``) and adds no calculation of its own. Candidate measures are those of the
rules of thumb (``datasets/factors/rules_of_thumb.csv``) that need nothing but the bills (and the
PV size the user gives): their basis says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import CnkitError
from ..reference import energies, supplier_choices
from . import measures as m
from . import roadmap as rd
from . import subsidies as sb
from .emissions import emissions, factor_table, summary, threshold_checks
from .pareto import pareto_table

#: last year of the roadmap (the national 2030 target)
LAST_FY = 2030


def supplier_options(emissions_fy: int) -> dict[str, str]:
    """Japanese label → supplier id for the supplier drop-down (one place, so the source can change)."""
    return supplier_choices(emissions_fy)


@dataclass(frozen=True)
class ClientFacts:
    """What the advisor enters about the client on the first step."""

    name: str = "お客さま"
    prefecture: str = ""
    city: str = ""
    sector: str = ""
    employees: int = 0
    capital_yen: float = 0
    supplier: str = "default"
    fiscal_year: int = 2025
    vehicles: int = 0
    pv_kw: float = 0.0

    def __post_init__(self) -> None:
        for name, label in [("employees", "従業員数"), ("capital_yen", "資本金"), ("vehicles", "車両の台数"),
                            ("pv_kw", "太陽光の設備容量")]:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise CnkitError(f"{label}（{name}）が {v!r} です。0 以上の数値を入れてください。")


def fiscal_years(table: pd.DataFrame) -> list[int]:
    """The fiscal years in a bill table, oldest first."""
    return sorted(int(y) for y in pd.unique(table["fiscal_year"]))


def co2(table: pd.DataFrame, facts: ClientFacts) -> dict:
    """Step 2: CO2 of every bill with the factors of ``facts.fiscal_year`` (like for like across years).

    Returns ``em`` (all rows), ``base`` (rows of the fiscal year), tables by energy, site, month and
    scope, the year-on-year totals, the crude-oil kL with the threshold checks, and the factors used."""
    fy = int(facts.fiscal_year)
    if fy not in fiscal_years(table):
        raise CnkitError(f"請求書に {fy}年度 の行がありません（ある年度: {'、'.join(map(str, fiscal_years(table)))}）。")
    em = emissions(table, facts.supplier, factor_fy=fy)
    base = em[em["fiscal_year"] == fy]
    months = base.groupby("month")["co2_t"].sum()
    by_year = em.groupby("fiscal_year")[["co2_t", "crude_kl"]].sum()
    months_count = base.groupby(["site", "energy_ja"])["month"].nunique().rename("月数")
    factors = factor_table(fy, facts.supplier).set_index("energy")
    used = factors.loc[sorted(set(base["energy"]), key=list(energies().index).index)]
    return {
        "em": em, "base": base, "fiscal_year": fy,
        "by_energy": summary(base), "by_site": summary(base, "site"),
        "by_scope": summary(base, "scope"), "by_month": months, "by_year": by_year,
        "months": months_count,
        "total_t": float(base["co2_t"].sum()),
        "scope1_t": float(base.loc[base["scope"] == 1, "co2_t"].sum()),
        "scope2_t": float(base.loc[base["scope"] == 2, "co2_t"].sum()),
        "crude_kl": float(base["crude_kl"].sum()),
        "thresholds": threshold_checks(float(base["crude_kl"].sum()), base.groupby("site")["crude_kl"].sum().to_dict(),
                                       vehicles=int(facts.vehicles)),
        "factors": used[["energy_ja", "unit", "co2_t_per_unit", "gj_per_unit", "factor_source"]],
        "base_usage": base.groupby("energy")["usage"].sum().to_dict(),
    }


def pareto(result: dict) -> pd.DataFrame:
    """Step 3: the Pareto table of the base year's CO2 by site × energy."""
    base = result["base"]
    return pareto_table(base.groupby(base["site"] + "・" + base["energy_ja"])["co2_t"].sum())


def candidate_measures(result: dict, facts: ClientFacts) -> list[m.Measure]:
    """Step 4: the rules-of-thumb measures that fit this client's energies (from the bills alone)."""
    usage = result["base_usage"]
    kwh = float(usage.get("electricity", 0.0))
    out: list[m.Measure] = []
    if kwh > 0:
        share = m.rule("compressor_share_of_factory_electricity")
        out.append(m.air_leak_repair(kwh * share, id="air_leak",
                                     basis_ja=f"工場の電力の {share:.1%} がコンプレッサーとした目安（rules_of_thumb.csv）"))
    if facts.pv_kw > 0:
        cost = m.rule("pv_cost_yen_per_kw_ge50" if facts.pv_kw >= 50 else "pv_cost_yen_per_kw_10_50")
        out.append(m.pv_self_consumption(facts.pv_kw, id="pv", investment_yen=facts.pv_kw * cost))
    for fuel in ("a_heavy_oil", "kerosene", "city_gas", "lpg"):
        if usage.get(fuel, 0) > 0:
            out.append(m.heat_pump(usage[fuel], fuel=fuel, id=f"heat_pump_{fuel}", factor_fy=result["fiscal_year"],
                                   name_ja=f"{energies().at[fuel, 'name_ja']}のボイラーからヒートポンプへ（全量の場合の上限の目安）"))
    if usage.get("gasoline", 0) > 0:
        out.append(m.ev_conversion(usage["gasoline"], id="ev", investment_yen=max(int(facts.vehicles), 1)
                                   * m.rule("ev_price_premium_yen_per_car")))
    if kwh > 0:
        out.append(m.renewable_menu(kwh, id="renewable_menu"))
    return out


_PROJECT = {"pv_self_consumption": "pv", "heat_pump": "heat_pump", "ev_conversion": "ev"}


def company_facts(result: dict, facts: ClientFacts) -> sb.CompanyFacts:
    """The subsidy engine's facts about the client (location, size, crude-oil kL, vehicles)."""
    return sb.CompanyFacts(prefecture=facts.prefecture or None, city=facts.city or None, sme=True,
                           crude_oil_kl=result["crude_kl"], vehicles=int(facts.vehicles))


def _covers(row) -> bool:
    """The programme covers this kind of equipment (its reasons are not just "not covered")."""
    return bool(row["eligible"]) or not all("対象ではありません" in r for r in row["reasons"])


def _reason_text(row) -> str:
    if row["eligible"]:
        return f"{row['name_ja']}: 対象になりえます（最大 {float(row['potential_yen']):,.0f} 円）"
    return f"{row['name_ja']}: " + "、".join(row["reasons"])


def measures_table(result: dict, facts: ClientFacts, measures: list[m.Measure]) -> pd.DataFrame:
    """Step 4: each candidate with kWh/fuel, yen and t-CO2 saved, cost, payback and the subsidies it may get."""
    from .economics import simple_payback

    ev = m.evaluate_all(measures, result["fiscal_year"], facts.supplier)
    gj_per_kwh = float(factor_table(result["fiscal_year"], facts.supplier).set_index("energy").at["electricity", "gj_per_unit"])
    cf = company_facts(result, facts)
    rows = []
    for meas in measures:
        r = ev.loc[meas.id]
        subsidy, names, reasons = 0.0, "", ""
        kind = _PROJECT.get(meas.calculator)
        if kind and meas.investment_yen > 0:
            project = sb.Project(kind, cost_yen=meas.investment_yen, kw=float(meas.inputs.get("kw", 0)),
                                 self_consumption_share=meas.inputs.get("self_consumption_share"))
            found = sb.evaluate_subsidies(project, cf)
            best = sb.best_combination(found, meas.investment_yen)
            subsidy = float(best.total_yen)
            names = "、".join(found.loc[list(best.programmes), "name_ja"]) if best.programmes else "なし"
            reasons = " / ".join(_reason_text(row) for _, row in found.iterrows() if _covers(row))
        saving = -float(r["delta_cost_yen"])
        payback = simple_payback(meas.investment_yen, saving, subsidy) if meas.investment_yen > 0 and saving > 0 \
            else float("nan")
        rows.append({"measure_id": meas.id, "対策": meas.name_ja, "区分": meas.category,
                     "電力の増減（kWh/年）": float(r["delta_kwh"]),
                     "燃料の増減（GJ/年）": float(r["delta_gj"] - r["delta_kwh"] * gj_per_kwh),
                     "削減額（円/年）": saving, "CO2削減（t-CO2/年）": -float(r["delta_co2_net_t"]),
                     "投資額（円）": float(meas.investment_yen), "補助金（円）": subsidy,
                     "回収年数（年）": payback, "使える補助金": names, "補助金の判定の理由": reasons,
                     "根拠": meas.basis_ja})
    return pd.DataFrame(rows).set_index("measure_id")


def client_roadmap(result: dict, facts: ClientFacts, measures: list[m.Measure], chosen, table: pd.DataFrame):
    """Step 5: the chosen measures scheduled to FY2030 against SBT and the national path.

    Measures without investment run from the first plan year; the others are built in the first plan
    year and run from the next. The subsidies of step 4 are received in the construction year."""
    chosen = [x for x in measures if x.id in set(chosen)]
    if not chosen:
        raise CnkitError("ロードマップに入れる対策が選ばれていません。「打ち手と補助金」で対策にチェックを入れてください。")
    fy = result["fiscal_year"]
    first = fy + 1
    if first > LAST_FY:
        raise CnkitError(f"基準年度 {fy} の後に {LAST_FY}年度までの計画の年度がありません。")
    rows = []
    for x in chosen:
        build = x.investment_yen > 0 and first + 1 <= LAST_FY
        rows.append({"measure_id": x.id, "introduce_fy": None, "construction_fy": first if build else None,
                     "operation_fy": first + 1 if build else first, "note_ja": ""})
    schedule = pd.DataFrame(rows)
    base_t = result["total_t"]
    targets = [rd.sbt_target(base_t, fy, LAST_FY), rd.national_target(base_t, fy, LAST_FY)]
    return rd.roadmap_from_measures(result["base_usage"], chosen, schedule, base_fy=fy, years=range(first, LAST_FY + 1),
                                    supplier=facts.supplier, residual={"renewable_menu"} & {x.id for x in chosen},
                                    subsidies={x.id: float(table.at[x.id, "補助金（円）"]) for x in chosen}, targets=targets,
                                    company_name=facts.name, source_ja="支援ツールでの試算（講座の目安の値を使う）")
