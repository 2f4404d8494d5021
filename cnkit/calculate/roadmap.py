"""Roadmap: reduction measures scheduled by fiscal year → yearly emissions, reductions, costs and cash flow.

Part of the *calculate* layer (pure functions on pandas objects; no matplotlib, no ipywidgets).

**Schedule.** One row per measure in the plan: ``measure_id`` and the fiscal year in which each phase
starts — ``introduce_fy`` (導入: rules, design, subsidy application), ``construction_fy`` (工事: order and
installation) and ``operation_fy`` (運用: the effect). Only ``operation_fy`` is required; the phases that
are given must start in increasing years. A measure that is not in the schedule is not in the plan.

**Conventions** (:data:`CONVENTION_JA` says the same in Japanese for trainees and clients):

1. A measure counts a full year of effect from its ``operation_fy`` on (no part years); its lifetime is
   not applied inside the plan period (no replacement investment).
2. Interactions, year by year, in this order:

   a. *energy* measures (savings, electrification, self-consumed PV: a :class:`~cnkit.calculate.measures.Measure`
      with ``changes``) are added up as they are; each one's change is its own figure from
      ``measures.csv`` (where a figure already assumes another measure, e.g. the compressor pressure after the
      leak repair, ``basis_ja`` says so);
   b. *factor* measures (a renewable menu: ``switched_kwh``) then apply to the purchased kWh **that remain
      that year**. A measure whose input was ``residual`` in ``measures.csv`` covers all of it; otherwise at
      most its own kWh. Its running cost (the premium) follows the kWh it covers;
   c. *offsets* (certificates, credits) come last, only on what is left, and are kept apart: ``emissions_t``
      is before offsets (targets are judged on it: SBT does not count offsets) and ``net_emissions_t`` after.
3. Money: investment is paid in the year of ``construction_fy`` (or the first phase when there is none);
   a subsidy, when given, is received in the same year. Energy-cost changes use the prices of
   ``prices.csv``; factors and prices stay those of the base year (no forecast).
   Cash flow = − investment + subsidy − energy-cost change − other running-cost change
   (a saving is a positive cash flow); the cumulative cash flow starts at 0 in the base year.

**Targets.** :class:`Target` is a path of allowed t-CO2 per fiscal year. Three are built in: the company's own
(linear from the base year to its target, from ``plans/<company>_plan.yml``), SBT for SMEs (about 4.2 % of
the base per year, linear, from ``finance/programmes.csv`` via :func:`~cnkit.calculate.finance.sbt_target_path`)
and the national path (``policy/targets.csv``: the national milestones vs FY2013 joined by straight
lines and rescaled to the company's base year, i.e. "the same pace as Japan from now on" — the course's
convention). The first year a target is met is the first plan year whose emissions (before offsets) are at
or below the target's level in its target year.
"""

from __future__ import annotations

import copy
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from ..errors import CnkitError
from ..paths import data_path
from .emissions import factor_table
from .finance import sbt_target_path
from .measures import Measure, evaluate_all

#: phase columns of a schedule → Japanese phase names (the roadmap template's 導入 / 工事 / 運用)
PHASES = {"introduce_fy": "導入", "construction_fy": "工事", "operation_fy": "運用"}
PHASE_COLUMNS = tuple(PHASES)
SCHEDULE_COLUMNS = ("measure_id", *PHASE_COLUMNS)
#: the three steps of the interaction convention, in the order they are applied
STEPS = {"energy": "エネルギーの量を変える対策", "factor": "排出係数を下げる対策", "offset": "オフセット（証書・クレジット）"}

CONVENTION_JA = (
    "・対策は「運用」を始めた年度から、1年分の効果を数えます（年度の途中からの効果は数えません）。\n"
    "・同じ年度に複数の対策があるときは、次の順に当てます。"
    "(1) 省エネ・電化・自家消費の太陽光など、エネルギーの量を変える対策を足し合わせる。"
    "(2) その年度に残る買電量に、再エネメニューなど排出係数を下げる対策を当てる。"
    "(3) 証書・クレジット（オフセット）は最後に、残った排出量にだけ当て、排出量とは別に示す。\n"
    "・目標との比較は、オフセット前の排出量（Scope 1＋2）で行います（SBTはオフセットを削減に数えません）。\n"
    "・投資は「工事」の年度（工事がなければ最初の段階の年度）に支払い、補助金も同じ年度に受け取るとします。\n"
    "・キャッシュフロー = −投資額 ＋ 補助金 − 光熱費・燃料費の増減 − その他の費用の増減（節約はプラス）。\n"
    "・排出係数とエネルギー単価は基準年度の値のまま（将来の変化は見込みません）。"
)

_YEAR_MIN, _YEAR_SPAN = 2000, 60  # plausibility of fiscal years (sanity checks, not facts)


# ------------------------------------------------------------------------------------------
# validation helpers (Japanese messages naming the parameter and the value)
def _year(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CnkitError(f"{what} に「{value!r}」が入っています。年度は 2027 のような整数で入れてください。")
    v = float(value)
    if math.isnan(v) or not v.is_integer():
        raise CnkitError(f"{what} が {value!r} です。年度は 2027 のような整数で入れてください。")
    v = int(v)
    if not _YEAR_MIN <= v <= _YEAR_MIN + 100:
        raise CnkitError(f"{what} が {v} です。年度は西暦（例: 2027）で入れてください。")
    return v


def _share(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(float(value)):
        raise CnkitError(f"{what} に「{value!r}」が入っています。0〜1 の割合で入れてください（30% → 0.3）。")
    v = float(value)
    if 1 < v <= 100:
        raise CnkitError(f"{what} が {value} です。百分率ではなく 0〜1 の割合で入れてください（30% → 0.3）。")
    if not 0 <= v <= 1:
        raise CnkitError(f"{what} が {value} です。0 以上 1 以下の割合で入れてください。")
    return v


def _yen(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(float(value)):
        raise CnkitError(f"{what} に「{value!r}」が入っています。円の数値を入れてください。")
    if value < 0:
        raise CnkitError(f"{what} が {value:,} です。0 以上の金額（円）を入れてください。")
    return float(value)


# ------------------------------------------------------------------------------------------
# plans (datasets/plans/<company>_plan.yml)
@lru_cache(maxsize=8)
def _read_yaml(path: str, mtime_ns: int) -> dict:
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_plan(company_id: str = "a_sha") -> dict:
    """The default plan of a case company: base year, plan years, the company's target and the schedule.

    Read from ``datasets/plans/<company_id>_plan.yml`` (the course's assumption, with its source)."""
    if not isinstance(company_id, str) or not re.fullmatch(r"[a-z0-9_]+", company_id):
        raise CnkitError(f"会社の id（company_id）に「{company_id!r}」は使えません。\"a_sha\" のように指定してください。")
    try:
        path = data_path("plans", f"{company_id}_plan.yml")
    except CnkitError:
        raise CnkitError(f"会社「{company_id}」の計画のファイル（datasets/plans/{company_id}_plan.yml）がありません。") from None
    plan = copy.deepcopy(_read_yaml(str(path), path.stat().st_mtime_ns))
    where = f"datasets/plans/{path.name}"
    for key in ("company", "base_fiscal_year", "plan_years", "company_target", "schedule", "source"):
        if key not in plan:
            raise CnkitError(f"{where} に「{key}」がありません。")
    base = _year(plan["base_fiscal_year"], f"{where} の base_fiscal_year")
    first = _year(plan["plan_years"]["first"], f"{where} の plan_years.first")
    last = _year(plan["plan_years"]["last"], f"{where} の plan_years.last")
    if not base < first <= last:
        raise CnkitError(f"{where}: 計画の年度（{first}〜{last}）は基準年度 {base} より後で、first ≤ last にしてください。")
    t = plan["company_target"]
    _share(t["reduction_vs_base"], f"{where} の company_target.reduction_vs_base")
    _year(t["target_fiscal_year"], f"{where} の company_target.target_fiscal_year")
    return plan


def default_schedule(plan: dict | str = "a_sha") -> pd.DataFrame:
    """The schedule of a plan (``load_plan``) as a table: measure_id, introduce_fy, construction_fy, operation_fy, note_ja."""
    if isinstance(plan, str):
        plan = load_plan(plan)
    rows = [{c: r.get(c) for c in SCHEDULE_COLUMNS} | {"note_ja": r.get("note_ja", "")} for r in plan["schedule"]]
    return check_schedule(pd.DataFrame(rows), base_fy=int(plan["base_fiscal_year"]))


def check_schedule(schedule: pd.DataFrame, measure_ids: Iterable[str] | None = None, *,
                   base_fy: int | None = None) -> pd.DataFrame:
    """A clean copy of ``schedule`` (nullable integer years), or a CnkitError saying what is wrong.

    ``measure_ids``: the measures that exist (to catch a misspelt id); ``base_fy``: every phase must
    start after the base year."""
    if not isinstance(schedule, pd.DataFrame):
        raise CnkitError("計画（schedule）には表（DataFrame）を渡してください。"
                         f"列は {'、'.join(SCHEDULE_COLUMNS)} です（{type(schedule).__name__} が渡されました）。")
    missing = [c for c in ("measure_id", "operation_fy") if c not in schedule.columns]
    if missing:
        raise CnkitError(f"計画（schedule）に列 {missing} がありません。measure_id と operation_fy（運用開始の年度）は必須です。")
    s = schedule.copy().reset_index(drop=True)
    for c in PHASE_COLUMNS:
        if c not in s.columns:
            s[c] = pd.NA
    if "note_ja" not in s.columns:
        s["note_ja"] = ""
    s["note_ja"] = s["note_ja"].fillna("").astype(str)
    ids = [str(x) for x in s["measure_id"]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CnkitError(f"計画（schedule）で対策 {dup} が2回以上出てきます。1つの対策は1行にしてください。")
    if measure_ids is not None:
        known = list(measure_ids)
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise CnkitError(f"計画（schedule）の対策 {unknown} は対策の一覧にありません。使える対策: {'、'.join(known)}")
    s["measure_id"] = ids
    for c in PHASE_COLUMNS:
        values = []
        for mid, v in zip(ids, s[c]):
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                if c == "operation_fy":
                    raise CnkitError(f"計画（schedule）の対策「{mid}」に運用開始の年度（operation_fy）がありません。")
                values.append(pd.NA)
                continue
            y = _year(v, f"対策「{mid}」の {c}（{PHASES[c]}の年度）")
            if base_fy is not None and y <= base_fy:
                raise CnkitError(f"対策「{mid}」の{PHASES[c]}の年度（{c} = {y}）が基準年度 {base_fy} 以前です。"
                                 f"計画の年度は {base_fy + 1} 以降にしてください。")
            values.append(y)
        s[c] = pd.array(values, dtype="Int64")
    for r in s.itertuples():
        given = [(PHASES[c], getattr(r, c)) for c in PHASE_COLUMNS if not pd.isna(getattr(r, c))]
        years = [y for _, y in given]
        if years != sorted(set(years)) or len(set(years)) != len(years):
            text = "、".join(f"{p} {y}" for p, y in given)
            raise CnkitError(f"対策「{r.measure_id}」の段階の年度（{text}）の順番が合いません。"
                             "導入 → 工事 → 運用 の順に、別々の年度にしてください。")
    return s[[*SCHEDULE_COLUMNS, "note_ja"]]


def start_year(row) -> int:
    """The first phase's year of a schedule row (the template's 実施年度)."""
    return int(min(int(row[c]) for c in PHASE_COLUMNS if not pd.isna(row[c])))


def investment_year(row) -> int:
    """The year a measure's investment is paid: its 工事 year, or its first phase when it has no 工事."""
    return int(row["construction_fy"]) if not pd.isna(row["construction_fy"]) else start_year(row)


def reschedule(schedule: pd.DataFrame, start_years: Mapping[str, int] | None = None,
               keep: Iterable[str] | None = None) -> pd.DataFrame:
    """A new schedule: only the measures in ``keep`` (all by default), each measure of ``start_years``
    moved so that its first phase starts in the given year (its phases keep their spacing).

    ``reschedule(schedule, {"pv": 2026})`` moves the PV (導入 2027 → 2026, 工事 2028 → 2027, 運用 2029 → 2028)."""
    s = check_schedule(schedule)
    ids = list(s["measure_id"])
    if keep is not None:
        keep = list(keep) if not isinstance(keep, str) else [keep]
        unknown = [k for k in keep if k not in ids]
        if unknown:
            raise CnkitError(f"keep の対策 {unknown} は計画にありません。使える対策: {'、'.join(ids)}")
        s = s[s["measure_id"].isin(keep)].reset_index(drop=True)
    for mid, fy in (start_years or {}).items():
        if mid not in ids:
            raise CnkitError(f"start_years の対策「{mid}」は計画にありません。使える対策: {'、'.join(ids)}")
        fy = _year(fy, f"対策「{mid}」の実施年度")
        hit = s.index[s["measure_id"] == mid]
        if not len(hit):  # moved but not kept
            continue
        i = hit[0]
        shift = fy - start_year(s.loc[i])
        for c in PHASE_COLUMNS:
            if not pd.isna(s.at[i, c]):
                s.at[i, c] = int(s.at[i, c]) + shift
    return check_schedule(s)


def phase_table(schedule: pd.DataFrame, last_fy: int) -> pd.DataFrame:
    """One row per phase: measure_id, phase (導入・工事・運用), start_fy, end_fy (運用 runs to ``last_fy``)."""
    s = check_schedule(schedule)
    rows = []
    for _, r in s.iterrows():
        given = [(c, int(r[c])) for c in PHASE_COLUMNS if not pd.isna(r[c])]
        for k, (c, y) in enumerate(given):
            end = given[k + 1][1] - 1 if k + 1 < len(given) else max(last_fy, y)
            rows.append({"measure_id": r["measure_id"], "phase": PHASES[c], "start_fy": y, "end_fy": end})
    return pd.DataFrame(rows, columns=["measure_id", "phase", "start_fy", "end_fy"])


# ------------------------------------------------------------------------------------------
# targets
@dataclass(frozen=True)
class Target:
    """A target as a path of allowed emissions (t-CO2) per fiscal year, from the base year to ``target_fy``."""

    key: str
    name_ja: str
    target_fy: int
    path: Mapping[int, float]
    source_ja: str = ""
    short_ja: str = ""

    def __post_init__(self) -> None:
        if not self.short_ja:
            object.__setattr__(self, "short_ja", self.name_ja)
        if self.target_fy not in self.path:
            raise CnkitError(f"目標「{self.name_ja}」の道筋に目標年度 {self.target_fy} の値がありません。")

    @property
    def target_t(self) -> float:
        """Allowed emissions in the target year (t-CO2)."""
        return float(self.path[self.target_fy])

    def allowed(self, fy: int) -> float:
        """Allowed emissions in ``fy`` (t-CO2); after the target year, the target level; NaN before the path."""
        if fy in self.path:
            return float(self.path[fy])
        return self.target_t if fy > self.target_fy else float("nan")


def _base_t(base_t) -> float:
    if isinstance(base_t, bool) or not isinstance(base_t, numbers.Real) or math.isnan(float(base_t)) or base_t <= 0:
        raise CnkitError(f"基準年度の排出量（base_t）が {base_t!r} です。0 より大きい t-CO2 の値を入れてください。")
    return float(base_t)


def company_target(base_t: float, base_fy: int, target_fy: int, reduction: float,
                   name_ja: str | None = None, source_ja: str = "") -> Target:
    """The company's own target: ``reduction`` (0–1) of the base by ``target_fy``, on a straight line."""
    base = _base_t(base_t)
    r = _share(reduction, "自社目標の削減率（reduction）")
    b, t = _year(base_fy, "基準年度（base_fy）"), _year(target_fy, "目標年度（target_fy）")
    if t <= b:
        raise CnkitError(f"目標年度（target_fy = {t}）は基準年度 {b} より後にしてください。")
    path = {fy: base * (1 - r * (fy - b) / (t - b)) for fy in range(b, t + 1)}
    return Target("company", name_ja or f"自社目標（{t}年度に{b}年度比{r:.0%}削減）", t, path, source_ja, "自社目標")


def sbt_target(base_t: float, base_fy: int, target_fy: int) -> Target:
    """SBT for SMEs (1.5 °C level): about 4.2 % of the base per year, linear (finance/programmes.csv)."""
    from ..reference import programme_value

    base = _base_t(base_t)
    path = sbt_target_path(base, _year(base_fy, "基準年度（base_fy）"), _year(target_fy, "目標年度（target_fy）"))
    rate = programme_value("sbt_sme", "linear_reduction_rate")
    return Target("sbt", f"SBT（中小企業向け）1.5℃水準: 年約{rate:.1%}ずつ直線で削減", int(target_fy), path,
                  "finance/programmes.csv（SBTi 1.5℃水準 約4.2%/年）", "SBT（中小企業向け）")


def national_path() -> pd.Series:
    """Japan's targets as a reduction vs FY2013 (0–1) for every fiscal year, milestones joined by straight lines.

    The milestones (FY2013 = 0, FY2030 0.46, FY2035 0.60, FY2040 0.73, FY2050 1.00) are those of
    ``policy/targets.csv`` as read by :func:`cnkit.calculate.policy.national_path`."""
    from .policy import national_path as milestones

    m = milestones()  # % of the FY2013 emissions, at the milestone years
    s = pd.Series(1 - m.to_numpy(dtype=float) / 100, index=[int(y) for y in m.index])
    full = s.reindex(range(min(s.index), max(s.index) + 1)).interpolate(method="index")
    full.index.name = "fiscal_year"
    return full.rename("reduction_vs_fy2013")


def national_target(base_t: float, base_fy: int, target_fy: int) -> Target:
    """The national path rescaled to the company: allowed(fy) = base × (1 − r(fy)) ÷ (1 − r(base_fy)).

    r is the national reduction vs FY2013 (policy/targets.csv, straight lines between milestones).
    It means "from the base year on, at the same pace as Japan's path" (the course's convention)."""
    base = _base_t(base_t)
    b, t = _year(base_fy, "基準年度（base_fy）"), _year(target_fy, "目標年度（target_fy）")
    r = national_path()
    for fy in (b, t):
        if fy not in r.index:
            raise CnkitError(f"{fy}年度の国の目標の道筋は policy/targets.csv の範囲（{r.index.min()}〜{r.index.max()}年度）の外です。")
    if t <= b:
        raise CnkitError(f"目標年度（target_fy = {t}）は基準年度 {b} より後にしてください。")
    level_b = 1 - float(r[b])
    path = {fy: base * (1 - float(r[fy])) / level_b for fy in range(b, t + 1)}
    goal = float(r[t])
    return Target("national", f"国の目標と同じペース（{t}年度に2013年度比{goal:.0%}削減の道筋）", t, path,
                  "policy/targets.csv（地球温暖化対策計画）。目標の間を直線で結び、基準年度に合わせて縮尺をそろえる（講座の約束）",
                  "国の目標と同じペース")


def first_year_met(trajectory: Mapping[int, float] | pd.Series, level: float) -> int | None:
    """The first fiscal year whose emissions are at or below ``level`` (t-CO2), or None."""
    items = trajectory.items() if hasattr(trajectory, "items") else dict(trajectory).items()
    for fy, v in sorted(items):
        if float(v) <= float(level) + 1e-9:
            return int(fy)
    return None


# ------------------------------------------------------------------------------------------
# the model
@dataclass
class Roadmap:
    """The result of :func:`build_roadmap`: tables by measure, by fiscal year and by target.

    - ``measures``: one row per measure in the plan (index measure_id): name_ja, category, step, phase years,
      start_fy (実施年度), investment_fy, reduction_t and offset_t (t-CO2/year once every measure of the plan
      runs), investment_yen, subsidy_yen, energy_cost_change_yen and running_cost_change_yen (yen/year, + = more cost)
    - ``yearly``: one row per fiscal year (the base year, then the plan years): emissions_t (before offsets),
      scope1_t, scope2_t, reduction_t and reduction_rate (vs the base year), offset_t, net_emissions_t,
      purchased_kwh, investment_yen, subsidy_yen, energy_cost_change_yen, running_cost_change_yen,
      net_cash_flow_yen, cumulative_cash_flow_yen
    - ``contributions``: reduction (t-CO2) of each measure (rows) in each plan year (columns)
    - ``phases``: one row per measure and phase (for the chart)
    - ``targets``: one row per target (index key): name_ja, short_ja, target_fy, target_t, reduction_vs_base, first_year_met
    - ``target_paths``: allowed t-CO2 per fiscal year (rows) and target (columns); ``on_path``: emissions ≤ path
    """

    company_name: str
    base_fy: int
    years: tuple[int, ...]
    base_t: float
    schedule: pd.DataFrame
    measures: pd.DataFrame
    yearly: pd.DataFrame
    contributions: pd.DataFrame
    phases: pd.DataFrame
    targets: pd.DataFrame
    target_paths: pd.DataFrame
    on_path: pd.DataFrame
    target_list: list = field(default_factory=list)
    convention_ja: str = CONVENTION_JA
    source_ja: str = ""

    def key_figures(self) -> dict:
        """The headline figures: base and last-year emissions, reduction rate, totals of investment and subsidy,
        the cumulative cash flow at the end of the plan, and the first year each target is met (None = not met)."""
        last = self.years[-1]
        y = self.yearly
        return {
            "base_fy": self.base_fy, "last_fy": last, "base_t": self.base_t,
            "emissions_last_t": float(y.at[last, "emissions_t"]),
            "net_emissions_last_t": float(y.at[last, "net_emissions_t"]),
            "reduction_rate_last": float(y.at[last, "reduction_rate"]),
            "investment_total_yen": float(y["investment_yen"].sum()),
            "subsidy_total_yen": float(y["subsidy_yen"].sum()),
            "cumulative_cash_flow_last_yen": float(y.at[last, "cumulative_cash_flow_yen"]),
            "first_year_met": {k: (None if pd.isna(v) else int(v)) for k, v in self.targets["first_year_met"].items()},
        }

    def template(self) -> pd.DataFrame:
        """The roadmap template (seed 001) in Japanese: 取組・分類・実施年度, the phase of each plan year, and
        reduction (t-CO2/year), investment, energy-cost change, other running cost, subsidy of each measure."""
        rows = []
        for mid, m in self.measures.iterrows():
            row = {"取組": m["name_ja"], "分類": m["category"], "実施年度": int(m["start_fy"])}
            ph = self.phases[self.phases["measure_id"] == mid]
            for fy in self.years:
                hit = ph[(ph["start_fy"] <= fy) & (fy <= ph["end_fy"])]
                row[f"{fy}年度"] = hit["phase"].iloc[0] if len(hit) else ""
            row["排出削減量（t-CO2/年）"] = m["reduction_t"]
            row["オフセット（t-CO2/年）"] = m["offset_t"]
            row["投資額（円）"] = m["investment_yen"]
            row["光熱費・燃料費の増減（円/年）"] = m["energy_cost_change_yen"]
            row["その他の費用の増減（円/年）"] = m["running_cost_change_yen"]
            row["補助金（円）"] = m["subsidy_yen"]
            rows.append(row)
        columns = ["取組", "分類", "実施年度", *[f"{fy}年度" for fy in self.years], "排出削減量（t-CO2/年）",
                   "オフセット（t-CO2/年）", "投資額（円）", "光熱費・燃料費の増減（円/年）", "その他の費用の増減（円/年）",
                   "補助金（円）"]
        return pd.DataFrame(rows, columns=columns)

    def template_totals(self) -> pd.DataFrame:
        """The template's bottom rows per plan year: reduction, offsets, emissions, cash flow, cumulative cash flow."""
        y = self.yearly.loc[list(self.years)]
        t = pd.DataFrame({
            "排出削減量（t-CO2）": y["reduction_t"],
            "オフセット（t-CO2）": y["offset_t"],
            "排出量（t-CO2、オフセット前）": y["emissions_t"],
            "キャッシュフロー（円）": y["net_cash_flow_yen"],
            "累積キャッシュフロー（円）": y["cumulative_cash_flow_yen"],
        }).T
        t.columns = [f"{fy}年度" for fy in self.years]
        return t


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    """Rounding noise (|x| < 1e-9, e.g. −0.0 t after a 100 % renewable menu) shown as 0."""
    return df.mask(df.abs() < 1e-9, 0.0) + 0.0


def _classify(m: Measure) -> list[str]:
    steps = []
    if any(v != 0 for v in m.changes.values()):
        steps.append("energy")
    if m.switched_kwh or m.switched_factor_t_per_kwh is not None:
        steps.append("factor")
    if m.offset_kwh or m.offset_t_co2 or m.category == "オフセット":
        steps.append("offset")
    return steps or ["energy"]


def _scaled_cost(m: Measure, covered: float, reference: float) -> float:
    if reference > 0:
        return m.running_cost_yen_per_year * covered / reference
    if covered <= 0 or m.running_cost_yen_per_year == 0:
        return 0.0
    raise CnkitError(f"対策「{m.name_ja}」の量が 0 なので、1単位あたりの費用を求められません。対策の一覧の入力を確かめてください。")


class _Engine:
    """Applies the interaction convention to a set of measures in operation (one fiscal year)."""

    def __init__(self, base_usage: Mapping[str, float], measures: Sequence[Measure], evaluated: pd.DataFrame,
                 ft: pd.DataFrame, residual: frozenset):
        self.base_usage = dict(base_usage)
        self.order = [m.id for m in measures]
        self.by_id = {m.id: m for m in measures}
        self.ev = evaluated
        self.grid = float(ft.loc["electricity", "co2_t_per_unit"])
        self.ft = ft
        self.residual = residual
        self.base_scope1 = sum(float(self.base_usage.get(c, 0.0)) * float(ft.loc[c, "co2_t_per_unit"])
                               for c in ft.index if int(ft.loc[c, "scope"]) == 1)
        self.base_scope2 = float(self.base_usage.get("electricity", 0.0)) * self.grid

    def year(self, active: Iterable[str]) -> tuple[pd.DataFrame, dict]:
        active = [i for i in self.order if i in set(active)]
        cols = ["step", "scope1_change_t", "scope2_change_t", "reduction_t", "offset_t", "delta_kwh",
                "energy_cost_change_yen", "running_cost_change_yen"]
        rows = {i: dict.fromkeys(cols, 0.0) for i in active}
        usage = dict(self.base_usage)
        # (a) energy measures, added as they are
        for i in active:
            m, ev = self.by_id[i], self.ev.loc[i]
            steps = _classify(m)
            rows[i]["step"] = steps[-1]
            if "energy" in steps:
                for code, v in m.changes.items():
                    usage[code] = usage.get(code, 0.0) + v
                rows[i].update(scope1_change_t=float(ev["delta_co2_scope1_t"]),
                               scope2_change_t=float(ev["delta_kwh"]) * self.grid,
                               delta_kwh=float(ev["delta_kwh"]),
                               energy_cost_change_yen=float(ev["delta_energy_cost_yen"]))
                if steps == ["energy"]:
                    rows[i]["running_cost_change_yen"] = float(m.running_cost_yen_per_year)
        names = self.ft["energy_ja"]
        for code, v in usage.items():
            if v < -1e-6:
                raise CnkitError(f"{names.get(code, code)}の削減量の合計が、基準年度の使用量を超えています（残り {v:,.3f}）。"
                                 "同じエネルギーを減らす対策が重なっていないか確かめてください。")
        kwh = max(usage.get("electricity", 0.0), 0.0)
        # (b) factor measures, on the purchased kWh that remain this year
        grid_kwh = kwh
        for i in active:
            m = self.by_id[i]
            if "factor" not in _classify(m):
                continue
            covered = grid_kwh if i in self.residual else min(m.switched_kwh, grid_kwh)
            grid_kwh -= covered
            factor = float(m.switched_factor_t_per_kwh or 0.0)
            rows[i]["scope2_change_t"] += covered * (factor - self.grid)
            rows[i]["running_cost_change_yen"] += _scaled_cost(m, covered, m.switched_kwh)
        emissions = self.base_scope1 + self.base_scope2 + sum(r["scope1_change_t"] + r["scope2_change_t"] for r in rows.values())
        # (c) offsets last, only on what is left
        left_t = emissions
        for i in active:
            m = self.by_id[i]
            if "offset" not in _classify(m):
                continue
            if m.offset_kwh or (not m.offset_t_co2 and m.energy == "electricity"):
                covered = grid_kwh if i in self.residual else min(m.offset_kwh, grid_kwh)
                grid_kwh -= covered
                t = min(covered * self.grid, left_t)
                rows[i]["running_cost_change_yen"] += _scaled_cost(m, covered, m.offset_kwh)
            else:
                t = left_t if i in self.residual else min(m.offset_t_co2, left_t)
                rows[i]["running_cost_change_yen"] += _scaled_cost(m, t, m.offset_t_co2)
            left_t -= t
            rows[i]["offset_t"] = t
        table = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
        table["reduction_t"] = -(table["scope1_change_t"] + table["scope2_change_t"])
        num = [c for c in cols if c != "step"]
        table[num] = _clean(table[num].astype(float))
        table.index.name = "measure_id"
        scope1 = self.base_scope1 + float(table["scope1_change_t"].sum())
        scope2 = self.base_scope2 + float(table["scope2_change_t"].sum())
        totals = {"emissions_t": scope1 + scope2, "scope1_t": scope1, "scope2_t": scope2,
                  "offset_t": float(table["offset_t"].sum()), "purchased_kwh": kwh,
                  "energy_cost_change_yen": float(table["energy_cost_change_yen"].sum()),
                  "running_cost_change_yen": float(table["running_cost_change_yen"].sum())}
        return table, totals


YEARLY_COLUMNS = ["emissions_t", "scope1_t", "scope2_t", "reduction_t", "reduction_rate", "offset_t", "net_emissions_t",
                  "purchased_kwh", "investment_yen", "subsidy_yen", "energy_cost_change_yen", "running_cost_change_yen",
                  "net_cash_flow_yen", "cumulative_cash_flow_yen"]


def roadmap_from_measures(base_usage: Mapping[str, float], measures: Sequence[Measure], schedule: pd.DataFrame, *,
                          base_fy: int, years: Iterable[int], supplier: str = "default",
                          electricity_factor: str = "basic", residual: Iterable[str] = (),
                          subsidies: Mapping[str, float] | None = None, targets: Sequence[Target] | None = None,
                          company_name: str = "", source_ja: str = "",
                          evaluated: pd.DataFrame | None = None) -> Roadmap:
    """The roadmap from base-year usage by energy (base units: kWh, 千m³, kL, t), measures and a schedule.

    Factors and prices are those of ``base_fy`` (``supplier``, ``electricity_factor``). ``residual``: ids of
    factor/offset measures that cover everything that remains each year. ``subsidies``: measure_id → yen,
    received in the measure's investment year. ``targets``: by default SBT and the national path.
    ``evaluated``: :func:`~cnkit.calculate.measures.evaluate_all` of these measures with the same factors,
    when already computed (it is then not computed again). See the module docstring for the conventions."""
    base_fy = _year(base_fy, "基準年度（base_fy）")
    years = sorted({_year(y, "計画の年度（years）") for y in years})
    if not years:
        raise CnkitError("計画の年度（years）が1つもありません。")
    if years[0] <= base_fy:
        raise CnkitError(f"計画の年度（years）は基準年度 {base_fy} より後にしてください（最初が {years[0]}）。")
    if not isinstance(base_usage, Mapping) or not base_usage:
        raise CnkitError("基準年度の使用量（base_usage）には「エネルギー → 年間の量」の辞書を渡してください。")
    measures = list(measures)
    for m in measures:
        if not isinstance(m, Measure):
            raise CnkitError(f"対策の一覧に Measure ではないもの（{type(m).__name__}）があります。")
    ids = [m.id for m in measures]
    sched = check_schedule(schedule, ids, base_fy=base_fy)
    planned = [m for m in measures if m.id in set(sched["measure_id"])]
    ft = factor_table(base_fy, supplier, electricity_factor).set_index("energy")
    unknown = sorted(set(base_usage) - set(ft.index))
    if unknown:
        raise CnkitError(f"基準年度の使用量（base_usage）のエネルギー {unknown} は係数の表にありません。使えるもの: {'、'.join(ft.index)}")
    usage = {}
    for code, v in base_usage.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(float(v)) or v < 0:
            raise CnkitError(f"基準年度の使用量（base_usage[{code!r}]）が {v!r} です。0 以上の数値を入れてください。")
        usage[code] = float(v)
    subsidies = dict(subsidies or {})
    for mid, v in subsidies.items():
        if mid not in ids:
            raise CnkitError(f"補助金（subsidies）の対策「{mid}」は対策の一覧にありません。使える対策: {'、'.join(ids)}")
        _yen(v, f"対策「{mid}」の補助金（subsidies）")
        inv = next(m.investment_yen for m in measures if m.id == mid)
        if v > inv:
            raise CnkitError(f"対策「{mid}」の補助金 {v:,.0f} 円が投資額 {inv:,.0f} 円を超えています。")
    ids_planned = [m.id for m in planned]
    if evaluated is not None and set(ids_planned) <= set(evaluated.index):
        evaluated = evaluated.loc[ids_planned]
    else:
        evaluated = evaluate_all(planned, base_fy, supplier, electricity_factor) if planned else None
    engine = _Engine(usage, planned, evaluated, ft, frozenset(residual))
    base_t = engine.base_scope1 + engine.base_scope2
    if base_t <= 0:
        raise CnkitError("基準年度の排出量が 0 です。使用量（base_usage）を確かめてください。")

    s = sched.set_index("measure_id", drop=False)
    by_id = {m.id: m for m in planned}
    # per year
    yearly, contributions = {}, {}
    cumulative = 0.0
    for fy in [base_fy, *years]:
        active = [i for i in s.index if int(s.at[i, "operation_fy"]) <= fy] if fy != base_fy else []
        table, tot = engine.year(active)
        inv = sub = 0.0
        if fy != base_fy:
            for i in s.index:
                if investment_year(s.loc[i]) == fy:
                    inv += by_id[i].investment_yen
                    sub += float(subsidies.get(i, 0.0))
            contributions[fy] = table["reduction_t"].reindex(s.index).fillna(0.0)
        if fy == base_fy:
            tot.update(energy_cost_change_yen=0.0, running_cost_change_yen=0.0)
        flow = -inv + sub - tot["energy_cost_change_yen"] - tot["running_cost_change_yen"]
        cumulative += flow
        yearly[fy] = {**tot, "reduction_t": base_t - tot["emissions_t"],
                      "reduction_rate": (base_t - tot["emissions_t"]) / base_t,
                      "net_emissions_t": tot["emissions_t"] - tot["offset_t"], "investment_yen": inv,
                      "subsidy_yen": sub, "net_cash_flow_yen": flow, "cumulative_cash_flow_yen": cumulative}
    yearly = _clean(pd.DataFrame.from_dict(yearly, orient="index")[YEARLY_COLUMNS])
    yearly.index.name = "fiscal_year"
    contrib = pd.DataFrame(contributions, index=s.index)
    contrib.columns.name = "fiscal_year"

    # per measure, once every measure of the plan runs
    full, _ = engine.year(list(s.index))
    rows = []
    for i in s.index:
        m, r = by_id[i], s.loc[i]
        rows.append({"measure_id": i, "name_ja": m.name_ja, "category": m.category,
                     "step": STEPS[_classify(m)[-1]],
                     **{c: r[c] for c in PHASE_COLUMNS}, "start_fy": start_year(r), "investment_fy": investment_year(r),
                     "reduction_t": float(full.at[i, "reduction_t"]), "offset_t": float(full.at[i, "offset_t"]),
                     "investment_yen": float(m.investment_yen), "subsidy_yen": float(subsidies.get(i, 0.0)),
                     "energy_cost_change_yen": float(full.at[i, "energy_cost_change_yen"]),
                     "running_cost_change_yen": float(full.at[i, "running_cost_change_yen"]),
                     "lifetime_years": m.lifetime_years if m.lifetime_years is not None else float("nan"),
                     "note_ja": r["note_ja"]})
    mtable = pd.DataFrame(rows, columns=["measure_id", "name_ja", "category", "step", *PHASE_COLUMNS, "start_fy",
                                         "investment_fy", "reduction_t", "offset_t", "investment_yen", "subsidy_yen",
                                         "energy_cost_change_yen", "running_cost_change_yen", "lifetime_years",
                                         "note_ja"]).set_index("measure_id")
    for c in PHASE_COLUMNS:
        mtable[c] = mtable[c].astype("Int64")

    # targets
    if targets is None:
        targets = [sbt_target(base_t, base_fy, years[-1]), national_target(base_t, base_fy, years[-1])]
    targets = list(targets)
    keys = [t.key for t in targets if isinstance(t, Target)]
    if len(keys) != len(targets):
        raise CnkitError("目標（targets）には Target（company_target・sbt_target・national_target の結果）の並びを渡してください。")
    if len(set(keys)) != len(keys):
        raise CnkitError(f"目標の key {keys} が重複しています。")
    plan_emissions = yearly.loc[years, "emissions_t"]
    trows, paths = [], {}
    for t in targets:
        paths[t.key] = [t.allowed(fy) for fy in yearly.index]
        trows.append({"key": t.key, "name_ja": t.name_ja, "short_ja": t.short_ja, "target_fy": t.target_fy, "target_t": t.target_t,
                      "reduction_vs_base": 1 - t.target_t / base_t,
                      "first_year_met": first_year_met(plan_emissions, t.target_t), "source_ja": t.source_ja})
    ttable = pd.DataFrame(trows, columns=["key", "name_ja", "short_ja", "target_fy", "target_t", "reduction_vs_base",
                                          "first_year_met", "source_ja"]).set_index("key")
    ttable["first_year_met"] = ttable["first_year_met"].astype("Int64")
    tpaths = pd.DataFrame(paths, index=yearly.index)
    on_path = tpaths.ge(yearly["emissions_t"] - 1e-9, axis=0) & tpaths.notna()
    return Roadmap(company_name, base_fy, tuple(years), base_t, sched, mtable, yearly, contrib,
                   phase_table(sched, years[-1]), ttable, tpaths, on_path, targets, CONVENTION_JA, source_ja)


# ------------------------------------------------------------------------------------------
# a case company (datasets/companies/<id>/ and datasets/plans/<id>_plan.yml)
@lru_cache(maxsize=8)
def _company_case(company_id: str, base_fy: int) -> tuple:
    """Base-year usage from the bills, the candidate measures and the ids written ``residual`` (cached)."""
    from ..reference import load_company
    from .emissions import emissions
    from .measures import _single_supplier, company_measures

    company = load_company(company_id)
    em = emissions(company.bills().table, company.suppliers, factor_fy=base_fy)
    em = em[em["fiscal_year"] == base_fy]
    if em.empty:
        raise CnkitError(f"{company.name} の {base_fy}年度の請求書データがありません。")
    usage = em.groupby("energy")["usage"].sum()
    measures = company_measures(company, emissions_fy=base_fy)
    raw = pd.read_csv(company.folder / "measures.csv", dtype=str, keep_default_na=False)
    residual = frozenset(raw.loc[raw["inputs"].str.contains(r"=\s*residual\b", regex=True), "measure_id"])
    return (company.name, tuple(usage.items()), tuple(measures), residual, _single_supplier(company),
            float(em["co2_t"].sum()))


@lru_cache(maxsize=8)
def _company_evaluated(company_id: str, base_fy: int, electricity_factor: str) -> pd.DataFrame:
    _, _, measures, _, supplier, _ = _company_case(company_id, base_fy)
    return evaluate_all(list(measures), base_fy, supplier, electricity_factor)


def company_inputs(company_id: str = "a_sha", base_fy: int | None = None) -> dict:
    """What :func:`build_roadmap` starts from: base-year usage by energy, the measures, the residual ids, the supplier."""
    plan = load_plan(company_id)
    fy = base_fy or int(plan["base_fiscal_year"])
    name, usage, measures, residual, supplier, base_t = _company_case(company_id, fy)
    return {"company_name": name, "base_usage": dict(usage), "measures": list(measures), "residual": set(residual),
            "supplier": supplier, "base_t": base_t, "base_fy": fy}


def build_roadmap(company: str = "a_sha", schedule: pd.DataFrame | None = None,
                  targets: Sequence[Target] | None = None, *, company_reduction: float | None = None,
                  subsidies: Mapping[str, float] | None = None, electricity_factor: str = "basic") -> Roadmap:
    """The roadmap of a case company (``"a_sha"``): its plan file, bills (base year) and ``measures.csv``.

    ``schedule``: by default the plan's (:func:`default_schedule`); a measure left out is not in the plan.
    ``targets``: by default the company's own (``company_reduction`` or the plan's), SBT and the national path.
    ``subsidies``: measure_id → yen (for example from notebook 06), received in the investment year."""
    if not isinstance(company, str):
        company = getattr(company, "company_id", company)
    plan = load_plan(company)
    base_fy = int(plan["base_fiscal_year"])
    years = list(range(int(plan["plan_years"]["first"]), int(plan["plan_years"]["last"]) + 1))
    case = company_inputs(company, base_fy)
    if schedule is None:
        schedule = default_schedule(plan)
    if targets is None:
        t = plan["company_target"]
        reduction = t["reduction_vs_base"] if company_reduction is None else company_reduction
        name = t["name_ja"] if company_reduction is None else None
        base_t = case["base_t"]
        targets = [company_target(base_t, base_fy, int(t["target_fiscal_year"]), reduction, name, plan["source"]),
                   sbt_target(base_t, base_fy, years[-1]), national_target(base_t, base_fy, years[-1])]
    return roadmap_from_measures(case["base_usage"], case["measures"], schedule, base_fy=base_fy, years=years,
                                 supplier=case["supplier"], electricity_factor=electricity_factor,
                                 residual=case["residual"], subsidies=subsidies, targets=targets,
                                 company_name=case["company_name"], source_ja=plan["source"],
                                 evaluated=_company_evaluated(company, base_fy, electricity_factor))
