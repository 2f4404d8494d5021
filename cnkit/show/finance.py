"""Charts for finance and disclosure (notebook 08): the SPT check of a sustainability-linked loan."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.figure import Figure

from ..calculate.finance import ZCF_SECTORS, average_reduction_rate, spt_emissions_limit, zero_carbon_framework
from ..errors import CnkitError
from .base import PALETTE, new_figure, thousands


def spt_chart(sector: str, base_t: float, yearly_t: Mapping[int, float], *, title: str | None = None) -> Figure:
    """Bars of the KPI emissions per year of the period, with the base and the SPT level.

    The SPT level is base × (1 − SPT): the **average** of the bars must be at or below it
    (the years make up for each other). The dotted line is that average.
    """
    if sector not in ZCF_SECTORS:
        raise CnkitError(f"部門「{sector}」はありません。{'・'.join(ZCF_SECTORS)} のどれかを指定してください。")
    if not yearly_t:
        raise CnkitError("年度ごとの排出量が1つもありません。")
    rate = average_reduction_rate(base_t, yearly_t)  # also checks the numbers
    limit = spt_emissions_limit(sector, base_t)
    years = sorted(yearly_t)
    values = [float(yearly_t[y]) for y in years]
    mean = sum(values) / len(values)
    ok = zero_carbon_framework(sector, base_t, yearly_t, has_site_in_kyoto=True).ok
    fig, ax = new_figure(7.0, 4.6)
    labels = [f"{y}年度" for y in years]
    ax.bar(labels, values, color=PALETTE[0], width=0.55, label="排出量（KPI）")
    for x, v in zip(labels, values, strict=True):
        ax.annotate(f"{v:,.0f}\n(▲{(base_t - v) / base_t:.1%})", (x, v), textcoords="offset points", xytext=(0, 3),
                    ha="center", fontsize=8)
    ax.axhline(base_t, color="#555555", linewidth=1.2, label=f"基準 {base_t:,.0f} t-CO2")
    ax.axhline(limit, color=PALETTE[3], linewidth=1.6, linestyle="--",
               label=f"SPT（{sector}部門 ▲{1 - limit / base_t:.0%}）の水準 {limit:,.0f}")
    ax.axhline(mean, color=PALETTE[2] if ok else PALETTE[3], linewidth=1.4, linestyle=":",
               label=f"期間の平均 {mean:,.0f}（平均削減率 {rate:.1%}）")
    low = min(values + [limit]) * 0.85
    ax.set_ylim(low, max(values + [base_t]) * 1.06)
    thousands(ax)
    ax.set_xlabel("年度（計画期間）")
    ax.set_ylabel("排出量（t-CO2/年）")
    ax.set_title(title or f"SPTの判定: 平均削減率 {rate:.1%}（SPT {1 - limit / base_t:.0%}）→ {'達成' if ok else '未達'}")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    return fig
