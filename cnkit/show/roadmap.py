"""Charts of a roadmap (notebook 07): phases per measure, emissions against the targets, cash flow.

Each chart takes the :class:`~cnkit.calculate.roadmap.Roadmap` of :func:`~cnkit.calculate.roadmap.build_roadmap`
and draws what it holds (no calculation here). :func:`roadmap_chart` puts the three on one figure.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..errors import CnkitError
from .base import PALETTE, new_figure, thousands

#: one colour per phase (the template's 導入 / 工事 / 運用)
PHASE_COLORS = {"導入": "#56B4E9", "工事": "#E69F00", "運用": "#009E73"}
#: one colour and line style per built-in target
TARGET_STYLES = {"company": ("#D55E00", "--"), "sbt": ("#CC79A7", "-."), "national": ("#555555", ":")}
_YEN_PER_MAN = 10_000  # charts show yen in 万円 (display unit only)


def _need_roadmap(rm) -> None:
    if not all(hasattr(rm, a) for a in ("yearly", "phases", "measures", "targets", "target_paths", "years")):
        raise CnkitError("build_roadmap の結果（ロードマップ）を渡してください。")


def _style(ax) -> None:
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _short(text: str, width: int = 18) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _draw_phases(ax, rm) -> None:
    m = rm.measures
    names = [_short(n) for n in m["name_ja"]]
    years = list(rm.years)
    first, last = years[0], years[-1]
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    for row, mid in enumerate(m.index):
        for p in rm.phases[rm.phases["measure_id"] == mid].itertuples():
            start, end = max(p.start_fy, first), min(p.end_fy, last)
            if end < start:
                continue
            ax.barh(row, end - start + 1, left=start - 0.5, height=0.6, color=PHASE_COLORS[p.phase],
                    edgecolor="#333333", linewidth=0.4)
            ax.text((start + end) / 2, row, p.phase, ha="center", va="center", fontsize=7.5, color="#111111")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(max(len(names), 1) - 0.5, -0.5)
    if not names:
        ax.text((first + last) / 2, 0, "計画に入っている取組はありません", ha="center", va="center", fontsize=10)
    ax.set_xticks(years, [f"{fy}年度" for fy in years])
    ax.set_xlim(first - 0.5, last + 0.5)
    ax.set_title(f"{rm.company_name} 取組の予定（導入・工事・運用）", loc="left")
    ax.set_xlabel("年度（4月〜翌3月）")
    ax.set_ylabel("取組")
    ax.legend(handles=[Patch(color=c, label=p) for p, c in PHASE_COLORS.items()], title="段階", ncols=3,
              loc="lower right", bbox_to_anchor=(1, 1), frameon=False, fontsize=8, title_fontsize=8)


def _draw_trajectory(ax, rm) -> None:
    y = rm.yearly
    x = list(y.index)
    ax.plot(x, y["emissions_t"], color=PALETTE[0], marker="o", linewidth=2.2, label="排出量の見通し（オフセット前）",
            zorder=3)
    for fy, v in y["emissions_t"].items():
        ax.annotate(f"{v:,.0f}", (fy, v), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8,
                    color=PALETTE[0])
    if (y["offset_t"] > 0).any():
        ax.plot(x, y["net_emissions_t"], color="#777777", marker="s", linewidth=1.2, linestyle=(0, (4, 2)),
                label="オフセット後（報告値）", zorder=2)
    for k, (key, t) in enumerate(rm.targets.iterrows()):
        colour, style = TARGET_STYLES.get(key, (PALETTE[(k + 2) % len(PALETTE)], "--"))
        met = t["first_year_met"]
        when = "計画期間内は未達" if pd.isna(met) else f"{int(met)}年度に達成"
        name = t["short_ja"]
        ax.plot(x, rm.target_paths[key], color=colour, linestyle=style, linewidth=1.4,
                label=f"{name}（{int(t['target_fy'])}年度に {t['target_t']:,.0f} t-CO2 → {when}）")
    ax.set_xticks(x, [f"{fy}年度" + ("\n（基準）" if fy == rm.base_fy else "") for fy in x])
    ax.set_ylim(0, max(y["emissions_t"].max(), rm.target_paths.max().max()) * 1.15)
    ax.set_title(f"{rm.company_name} CO2排出量の見通しと目標")
    ax.set_xlabel("年度")
    ax.set_ylabel("CO2排出量（t-CO2/年）")
    ax.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="#dddddd", fontsize=7.5)
    thousands(ax)


def _draw_cash_flow(ax, rm) -> None:
    y = rm.yearly.loc[list(rm.years)]
    x = list(y.index)
    flow = y["net_cash_flow_yen"] / _YEN_PER_MAN
    cumulative = y["cumulative_cash_flow_yen"] / _YEN_PER_MAN
    ax.bar(x, flow, width=0.55, color=[PALETTE[2] if v >= 0 else PALETTE[3] for v in flow],
           edgecolor="#333333", linewidth=0.4)
    ax.plot(x, cumulative, color="#111111", marker="o", linewidth=1.8, label="累積キャッシュフロー")
    for fy, v in cumulative.items():
        ax.annotate(f"{v:,.0f}", (fy, v), xytext=(0, 6 if v >= 0 else -12), textcoords="offset points",
                    ha="center", fontsize=8)
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_xticks(x, [f"{fy}年度" for fy in x])
    ax.set_title(f"{rm.company_name} 年度ごとのキャッシュフローと累積")
    ax.set_xlabel("年度")
    ax.set_ylabel("キャッシュフロー（万円）")
    ax.legend(handles=[Patch(color=PALETTE[2], label="その年度のキャッシュフロー（プラス）"),
                       Patch(color=PALETTE[3], label="その年度のキャッシュフロー（マイナス）"),
                       ax.get_lines()[0]],
              loc="best", frameon=True, framealpha=0.9, edgecolor="#dddddd", fontsize=7.5)
    low = min(flow.min(), cumulative.min(), 0.0)
    high = max(flow.max(), cumulative.max(), 0.0)
    pad = (high - low) * 0.12 or 1.0
    ax.set_ylim(low - pad, high + pad)
    thousands(ax)


def chart_inputs(rm) -> dict[str, tuple]:
    """What each chart below draws from ``rm``, by chart name (keep in step with the ``_draw_*`` functions).

    The roadmap builder compares these before and after a change and redraws only the charts whose
    inputs changed (a new company target moves the target lines, not the phases or the money)."""
    _need_roadmap(rm)
    common = (rm.company_name, tuple(rm.years), rm.base_fy)
    return {
        "phases": (*common, rm.measures["name_ja"], rm.phases),
        "trajectory": (*common, rm.yearly[["emissions_t", "offset_t", "net_emissions_t"]], rm.targets,
                       rm.target_paths),
        "cash_flow": (*common, rm.yearly[["net_cash_flow_yen", "cumulative_cash_flow_yen"]]),
    }


def same_inputs(a: tuple, b: tuple) -> bool:
    """True if two entries of :func:`chart_inputs` hold the same values."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, (pd.DataFrame, pd.Series)):
            if not (type(x) is type(y) and x.equals(y)):
                return False
        elif x != y:
            return False
    return True


def phase_chart(rm) -> Figure:
    """Gantt-like chart: one row per measure, the years of its 導入 / 工事 / 運用 phases."""
    _need_roadmap(rm)
    fig, ax = new_figure(9, 0.38 * max(len(rm.measures), 1) + 1.6)
    _draw_phases(ax, rm)
    return fig


def trajectory_chart(rm) -> Figure:
    """Emissions per fiscal year (before and after offsets) with each target's path and the year it is met."""
    _need_roadmap(rm)
    fig, ax = new_figure(9, 4.4)
    _draw_trajectory(ax, rm)
    return fig


def cash_flow_chart(rm) -> Figure:
    """Net cash flow per plan year (bars) and the cumulative cash flow (line), in 万円."""
    _need_roadmap(rm)
    fig, ax = new_figure(9, 3.8)
    _draw_cash_flow(ax, rm)
    return fig


#: the three charts by name, top to bottom (the keys of :func:`chart_inputs`)
CHARTS = {"phases": phase_chart, "trajectory": trajectory_chart, "cash_flow": cash_flow_chart}


def roadmap_chart(rm) -> Figure:
    """The three roadmap charts on one figure: phases, emissions against targets, cash flow."""
    _need_roadmap(rm)
    top = 0.32 * max(len(rm.measures), 1) + 1.4
    fig, ax = new_figure(10, top + 4.0 + 3.4)
    grid = fig.add_gridspec(3, 1, height_ratios=[top, 4.0, 3.4])
    ax.set_subplotspec(grid[0])
    ax2, ax3 = fig.add_subplot(grid[1]), fig.add_subplot(grid[2])
    for a in (ax2, ax3):
        _style(a)
    _draw_phases(ax, rm)
    _draw_trajectory(ax2, rm)
    _draw_cash_flow(ax3, rm)
    return fig
