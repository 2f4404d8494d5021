"""「知らせる」: a one-page disclosure summary and a draft plan document, as Markdown text (notebook 08).

Part of the *calculate* layer: pure functions, no matplotlib, no ipywidgets. Two ways in:

- :func:`disclosure_facts_from_roadmap` — from the roadmap of notebook 07
  (:func:`cnkit.calculate.roadmap.build_roadmap`): each measure with its fiscal year, the yearly
  emissions of the plan, and the targets (the company's own, SBT level, national pace) with the
  first year each is met. This is what notebook 08 uses.
- :func:`disclosure_facts` — from the evaluated measures alone
  (:func:`cnkit.calculate.measures.evaluate_all`), when there is no roadmap (no schedule): the
  target is then the SBT-level linear path (:func:`cnkit.calculate.finance.sbt_target_path`, about
  4.2 % of the base a year) and the years are left to fill in unless ``years`` is given.

Both take the base year's emissions from :func:`cnkit.emissions` (Scope 1/2, energies, crude-oil kL,
which electricity factor). A notebook shows the texts with ``IPython.display.Markdown``. The texts
keep what was measured (the bills of the base year) apart from what is planned (estimates from
rules of thumb and assumptions), and offsets (certificates, credits) apart from reductions — the
two things a reader of a disclosure most needs to see separately.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..errors import CnkitError
from ..reference import programme_value
from .finance import sbt_target_path

#: the category of certificates and credits in the measures (they are not reductions)
OFFSET = "オフセット"
#: the category of a cleaner electricity contract (counted with the menu's adjusted factor: market-based)
FACTOR = "排出係数の低減"
#: what the company must fill in itself in the draft plan
FILL_IN = "【記入】"


@dataclass(frozen=True)
class DisclosureFacts:
    """The figures a disclosure needs, gathered by :func:`disclosure_facts` (t-CO2, kL, yen)."""

    company: str
    sector: str
    employees: int | None
    fiscal_year: int
    scope1_t: float
    scope2_t: float
    crude_kl: float
    by_energy: pd.Series          #: t-CO2 by energy (Japanese name), largest first
    electricity_factor: str       #: which electricity factor the figures use
    measures: pd.DataFrame        #: planned reductions: 対策, 区分, 削減見込み_t, 投資額_円, 光熱費の増減_円, 実施年度
    offset_t: float               #: planned certificates and credits (t-CO2/year, ≥ 0)
    target_fy: int
    target_t: float               #: emissions allowed in ``target_fy`` by the main target
    target_name: str = ""         #: what the main target is (Japanese)
    target_met_fy: int | None = None  #: first plan year the main target is met (None: not met or not known)
    other_targets: tuple = ()     #: (name, target_fy, target_t, first_year_met) of other targets
    trajectory: pd.Series | None = None  #: emissions before offsets by fiscal year (from a roadmap)

    @property
    def total_t(self) -> float:
        return self.scope1_t + self.scope2_t

    @property
    def planned_cut_t(self) -> float:
        """Reductions of the planned measures, offsets excluded (t-CO2/year)."""
        return float(self.measures["削減見込み_t"].sum())

    @property
    def after_t(self) -> float:
        """Emissions after the planned reductions, before offsets (t-CO2/year)."""
        return self.total_t - self.planned_cut_t


_EM_COLUMNS = {"fiscal_year", "scope", "energy_ja", "co2_t", "crude_kl"}
_RESULT_COLUMNS = {"name_ja", "category", "delta_co2_t", "delta_co2_offset_t", "investment_yen", "delta_cost_yen", "in_plan"}


def _base_year_figures(em: pd.DataFrame, fiscal_year: int) -> dict:
    if not isinstance(em, pd.DataFrame) or (missing := _EM_COLUMNS - set(em.columns)):
        raise CnkitError("em には cnkit.emissions の結果（列 fiscal_year・scope・energy_ja・co2_t・crude_kl のある表）を渡してください。"
                         + (f" 足りない列: {sorted(missing)}" if isinstance(em, pd.DataFrame) else ""))
    year = em[em["fiscal_year"] == fiscal_year]
    if year.empty:
        raise CnkitError(f"em に {fiscal_year}年度の行がありません（ある年度: {sorted(set(em['fiscal_year']))}）。")
    scope = year.groupby("scope")["co2_t"].sum()
    if "factor_source" in year.columns and (year["scope"] == 2).any():
        factor = "、".join(sorted(set(year.loc[year["scope"] == 2, "factor_source"].astype(str))))
    else:
        factor = "（電気の排出係数の出典が表にありません）"
    return {"scope1_t": float(scope.get(1, 0.0)), "scope2_t": float(scope.get(2, 0.0)),
            "crude_kl": float(year["crude_kl"].sum()), "factor": factor,
            "by_energy": year.groupby("energy_ja")["co2_t"].sum().sort_values(ascending=False)}


def disclosure_facts(em: pd.DataFrame, results: pd.DataFrame, *, company: str, sector: str, fiscal_year: int,
                     target_fy: int, employees: int | None = None,
                     years: Mapping[str, int] | None = None) -> DisclosureFacts:
    """Gather the figures of a disclosure.

    ``em``: the result of :func:`cnkit.emissions` (any fiscal years; ``fiscal_year`` is taken).
    ``results``: the result of :func:`cnkit.calculate.measures.evaluate_all`; the rows with
    ``in_plan`` True are the plan, category オフセット counted as offsets, the others as reductions.
    ``target_fy``: the year of the target on the SBT-level path from ``fiscal_year``.
    ``years``: optional measure id → fiscal year of each measure (from a roadmap).
    """
    if not isinstance(results, pd.DataFrame) or (missing := _RESULT_COLUMNS - set(results.columns)):
        raise CnkitError("results には measures.evaluate_all の結果を渡してください。"
                         + (f" 足りない列: {sorted(missing)}" if isinstance(results, pd.DataFrame) else ""))
    if isinstance(fiscal_year, bool) or not isinstance(fiscal_year, int):
        raise CnkitError(f"fiscal_year（年度）は整数で入れてください（入力: {fiscal_year!r}）。")
    if isinstance(target_fy, bool) or not isinstance(target_fy, int) or target_fy <= fiscal_year:
        raise CnkitError(f"target_fy（目標年度）は基準年度 {fiscal_year} より後の整数にしてください（入力: {target_fy!r}）。")
    base = _base_year_figures(em, fiscal_year)
    plan = results[results["in_plan"].astype(bool)]
    cuts = plan[plan["category"] != OFFSET]
    years = dict(years or {})
    ids = list(cuts["measure_id"]) if "measure_id" in cuts.columns else list(cuts.index)
    measures = pd.DataFrame({
        "対策": list(cuts["name_ja"]),
        "区分": list(cuts["category"]),
        "削減見込み_t": [-float(v) for v in cuts["delta_co2_t"]],
        "投資額_円": [float(v) for v in cuts["investment_yen"]],
        "光熱費の増減_円": [float(v) for v in cuts["delta_cost_yen"]],
        "実施年度": [years.get(i) for i in ids],
    }, index=ids).sort_values("削減見込み_t", ascending=False)
    total = base["scope1_t"] + base["scope2_t"]
    target = sbt_target_path(total, fiscal_year, target_fy)[target_fy]
    return DisclosureFacts(
        company=company, sector=sector, employees=employees, fiscal_year=fiscal_year,
        scope1_t=base["scope1_t"], scope2_t=base["scope2_t"], crude_kl=base["crude_kl"],
        by_energy=base["by_energy"], electricity_factor=base["factor"], measures=measures,
        offset_t=-float(plan["delta_co2_offset_t"].sum()), target_fy=target_fy, target_t=float(target),
        target_name=_sbt_name(),
    )


def _sbt_name() -> str:
    rate = programme_value("sbt_sme", "linear_reduction_rate")
    return f"中小企業版SBTの1.5℃水準（基準年度の排出量の約{rate:.1%}ずつ毎年直線で減らす）"


_ROADMAP_MEASURE_COLUMNS = {"name_ja", "category", "start_fy", "reduction_t", "offset_t", "investment_yen",
                            "energy_cost_change_yen", "running_cost_change_yen"}


def disclosure_facts_from_roadmap(roadmap, em: pd.DataFrame, *, sector: str, employees: int | None = None,
                                  target: str = "company") -> DisclosureFacts:
    """Gather the figures of a disclosure from a roadmap (:func:`cnkit.calculate.roadmap.build_roadmap`).

    ``em``: the result of :func:`cnkit.emissions` with the roadmap's base year (energies, crude-oil kL
    and the electricity factor come from it). ``target``: the key of the main target in
    ``roadmap.targets`` (``"company"``, ``"sbt"`` or ``"national"``); the others are listed too.
    Reductions, offsets, investment and the year of each measure (実施年度 = ``start_fy``) are the
    roadmap's; the emissions after the plan are those of its last year (before offsets).
    """
    for name in ("measures", "yearly", "targets", "base_fy", "years", "company_name"):
        if not hasattr(roadmap, name):
            raise CnkitError("roadmap には build_roadmap の結果（Roadmap）を渡してください。")
    if missing := _ROADMAP_MEASURE_COLUMNS - set(roadmap.measures.columns):
        raise CnkitError(f"ロードマップの対策の表に列 {sorted(missing)} がありません。")
    if target not in roadmap.targets.index:
        raise CnkitError(f"目標「{target}」はロードマップにありません。使えるのは {'、'.join(roadmap.targets.index)} です。")
    base_fy = int(roadmap.base_fy)
    base = _base_year_figures(em, base_fy)
    rm = roadmap.measures
    cuts = rm[rm["category"] != OFFSET]
    measures = pd.DataFrame({
        "対策": cuts["name_ja"], "区分": cuts["category"], "削減見込み_t": cuts["reduction_t"].astype(float),
        "投資額_円": cuts["investment_yen"].astype(float),
        "光熱費の増減_円": (cuts["energy_cost_change_yen"] + cuts["running_cost_change_yen"]).astype(float),
        "実施年度": [int(v) for v in cuts["start_fy"]],
    }, index=cuts.index).sort_values(["実施年度", "削減見込み_t"], ascending=[True, False])
    t = roadmap.targets

    def met(key):
        v = t.at[key, "first_year_met"]
        return None if pd.isna(v) else int(v)

    others = tuple((str(t.at[k, "name_ja"]), int(t.at[k, "target_fy"]), float(t.at[k, "target_t"]), met(k))
                   for k in t.index if k != target)
    trajectory = roadmap.yearly["emissions_t"].astype(float)
    return DisclosureFacts(
        company=roadmap.company_name, sector=sector, employees=employees, fiscal_year=base_fy,
        scope1_t=base["scope1_t"], scope2_t=base["scope2_t"], crude_kl=base["crude_kl"],
        by_energy=base["by_energy"], electricity_factor=base["factor"], measures=measures,
        offset_t=float(rm["offset_t"].sum()), target_fy=int(t.at[target, "target_fy"]),
        target_t=float(t.at[target, "target_t"]), target_name=str(t.at[target, "name_ja"]),
        target_met_fy=met(target), other_targets=others, trajectory=trajectory,
    )


def _t(value: float) -> str:
    return f"{value:,.0f}"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _fy_text(fy: int) -> str:
    return f"{fy}年度（{fy}年4月〜{fy + 1}年3月）"


def _target_line(f: DisclosureFacts) -> str:
    cut = 1 - f.target_t / f.total_t if f.total_t else 0.0
    line = (f"{f.target_fy}年度に Scope 1＋2（オフセット前）を **{_t(f.target_t)} t-CO2 以下**（{f.fiscal_year}年度比 ▲{cut:.0%}）。"
            f"{f.target_name}")
    if f.trajectory is not None:
        line += (f"。計画どおりなら {f.target_met_fy}年度に届く見込みです" if f.target_met_fy
                 else "。計画の期間内には届かない見込みです")
    return line + "。"


def _other_target_lines(f: DisclosureFacts) -> list[str]:
    lines = []
    for name, fy, level, met in f.other_targets:
        when = f"{met}年度に届く見込み" if met else "計画の期間内には届かない見込み"
        lines.append(f"- 参考: {name} — {fy}年度に {_t(level)} t-CO2 以下 → {when}")
    return lines


def _trajectory_rows(f: DisclosureFacts) -> list[str]:
    if f.trajectory is None:
        return []
    years = list(f.trajectory.index)
    head = "| | " + " | ".join(f"{int(y)}年度" for y in years) + " |"
    rule = "|---|" + "---:|" * len(years)
    values = "| 排出量の見込み（t-CO2、オフセット前） | " + " | ".join(_t(v) for v in f.trajectory.values) + " |"
    note = "実施年度は取り組みに着手する年度です。削減の効果は、設備が動き始めた年度から1年分ずつ数えています。"
    return ["", head, rule, values, "", note]


def _measure_rows(f: DisclosureFacts, with_year: bool) -> list[str]:
    head = "| 取り組み | 区分 | 削減見込み（t-CO2/年） | 投資額（万円） |" + (" 実施年度 |" if with_year else "")
    rule = "|---|---|---:|---:|" + ("---|" if with_year else "")
    rows = [head, rule]
    for r in f.measures.itertuples():
        year = "" if not with_year else (f" {int(r.実施年度)}年度 |" if pd.notna(r.実施年度) else f" {FILL_IN} |")
        rows.append(f"| {r.対策} | {r.区分} | {r.削減見込み_t:,.1f} | {r.投資額_円 / 10_000:,.0f} |{year}")
    return rows


def one_page_summary(facts: DisclosureFacts) -> str:
    """A one-page summary of the company's CO2, target and plan, as Markdown (for a website, a report to a bank)."""
    f = facts
    if not isinstance(f, DisclosureFacts):
        raise CnkitError("one_page_summary には disclosure_facts の結果を渡してください。")
    people = f"、従業員{f.employees}人" if f.employees else ""
    top = "、".join(f"{name} {_t(v)} t（{_share(v, f.total_t)}）" for name, v in f.by_energy.head(3).items())
    verdict = ("計画どおりに進めば、目標に届きます。" if f.after_t <= f.target_t
               else f"計画どおりに進めても、目標まで約 {_t(f.after_t - f.target_t)} t-CO2 足りません。追加の対策を検討します。")
    lines = [
        f"## {f.company} 脱炭素の取り組み（{f.fiscal_year}年度）",
        "",
        f"**会社**: {f.company}（{f.sector}{people}）  ",
        f"**対象**: {_fy_text(f.fiscal_year)}の事業活動。Scope 1（燃料の使用）と Scope 2（購入した電気）",
        "",
        "### 1. 排出量の実績",
        "",
        "| 区分 | 排出量（t-CO2） | 割合 |",
        "|---|---:|---:|",
        f"| Scope 1（燃料） | {_t(f.scope1_t)} | {_share(f.scope1_t, f.total_t)} |",
        f"| Scope 2（電気） | {_t(f.scope2_t)} | {_share(f.scope2_t, f.total_t)} |",
        f"| **合計** | **{_t(f.total_t)}** | 100% |",
        "",
        f"排出の多いエネルギー: {top}。エネルギー使用量は原油換算 {_t(f.crude_kl)} kL です。",
        "",
        "### 2. 目標",
        "",
        _target_line(f),
        *([""] + _other_target_lines(f) if f.other_targets else []),
        "",
        "### 3. 主な取り組み（計画）",
        "",
        *_measure_rows(f, with_year=f.measures["実施年度"].notna().any()),
        *_trajectory_rows(f),
        "",
        f"計画の取り組みをすべて行うと、排出量は約 **{_t(f.after_t)} t-CO2/年**（{f.fiscal_year}年度比 ▲{_share(f.planned_cut_t, f.total_t)}）"
        f"になる見込みです。{verdict}",
    ]
    if (f.measures["区分"] == FACTOR).any():
        lines += ["", "再エネ電力メニューへの切り替えの削減見込みは、メニューの調整後排出係数で数えた値（マーケット基準）です。"
                  "電力会社の基礎排出係数で数える値（温対法の基礎排出量）は、これでは減りません。"]
    if f.offset_t > 0:
        lines += ["", f"このほか、減らしきれない排出の埋め合わせ（証書・クレジット）を約 {_t(f.offset_t)} t-CO2/年 予定しています。"
                  "これは排出量の削減とは分けて示します。"]
    lines += [
        "",
        "### 4. 算定の方法",
        "",
        "- 排出量 = エネルギーの使用量（請求書の実績）× 排出係数",
        "- 燃料の排出係数: 温対法の算定省令の値",
        f"- 電気の排出係数: {f.electricity_factor}",
        "- 削減見込みは、設備の一覧と目安・仮定による見積もりです。実績は毎年の請求書で計算し直して公表します",
    ]
    return "\n".join(lines)


def plan_draft(facts: DisclosureFacts) -> str:
    """A draft plan document (削減計画書の下書き) in Markdown: the figures filled in, the rest marked 【記入】.

    A draft to discuss with the company and to copy into the official form of a programme
    (e.g. Kawasaki's plan document for certification); not the official form itself.
    """
    f = facts
    if not isinstance(f, DisclosureFacts):
        raise CnkitError("plan_draft には disclosure_facts の結果を渡してください。")
    invest = f.measures["投資額_円"].sum()
    lines = [
        f"## 脱炭素化の取り組み計画書（下書き） — {f.company}",
        "",
        f"作成日: {FILL_IN}　作成者: {FILL_IN}　計画期間: {f.fiscal_year + 1}年度〜{f.target_fy}年度",
        "",
        "### 1. 事業者の概要",
        f"- 事業者名: {f.company}　業種: {f.sector}" + (f"　従業員数: {f.employees}人" if f.employees else ""),
        f"- 事業所: {FILL_IN}（所在地と主な設備）",
        "",
        f"### 2. 基準年度（{f.fiscal_year}年度）の排出量",
        f"- Scope 1: {_t(f.scope1_t)} t-CO2、Scope 2: {_t(f.scope2_t)} t-CO2、合計 {_t(f.total_t)} t-CO2",
        f"- エネルギー使用量: 原油換算 {_t(f.crude_kl)} kL",
        f"- 電気の排出係数: {f.electricity_factor}",
        "",
        "### 3. 削減目標",
        f"- {_target_line(f)}",
        *[line.replace("- 参考: ", "- 参考の目標: ") for line in _other_target_lines(f)],
        f"- 長期の目標: {FILL_IN}（例: 2050年度までに排出実質ゼロ）",
        "",
        "### 4. 削減対策と実施時期",
        *_measure_rows(f, with_year=True),
        "",
        f"- 投資額の合計: 約 {invest / 10_000:,.0f} 万円（補助金・融資の活用: {FILL_IN}）",
        f"- 対策後の見込み: 約 {_t(f.after_t)} t-CO2/年",
    ]
    if f.offset_t > 0:
        lines.append(f"- 残る排出の埋め合わせ（証書・クレジット）: 約 {_t(f.offset_t)} t-CO2/年（削減とは分けて記載）")
    lines += [
        "",
        "### 5. 推進体制",
        f"- 責任者: {FILL_IN}　担当者: {FILL_IN}",
        f"- 社内への周知・教育: {FILL_IN}",
        "",
        "### 6. 進み具合の確認と公表",
        "- 毎月の請求書で使用量を記録し、年度ごとに排出量を計算し直す",
        f"- 公表の方法: {FILL_IN}（例: 自社のホームページ、取引先への回答、金融機関への報告）",
    ]
    return "\n".join(lines)
