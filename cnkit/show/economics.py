"""Charts of the money side of measures (notebook 06): the MAC chart and cumulative cash flows.

The numbers come from :mod:`cnkit.calculate.economics`; these functions only draw them.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..calculate import economics as ec
from ..errors import CnkitError
from .base import PALETTE, new_figure

#: bar colours of the MAC chart: saves money (negative cost) / costs money
SAVES_COLOR = "#009E73"   # bluish green (Okabe–Ito)
COSTS_COLOR = "#D55E00"   # vermillion (Okabe–Ito)
WITHOUT_COLOR = PALETTE[7]   # black: without subsidy
WITH_COLOR = PALETTE[0]      # blue: with subsidy
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _label(i: int) -> str:
    return _CIRCLED[i] if i < len(_CIRCLED) else f"({i + 1})"


def _yen_axis(ax, axis: str = "y", per: float = 1.0) -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v / per:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def mac_chart(mac: pd.DataFrame, title: str = "限界削減費用（MAC）曲線") -> Figure:
    """Bars of the MAC table (:func:`cnkit.calculate.economics.mac_table`), cheapest first.

    Each bar is as wide as the measure's reduction (t-CO2/year) and as high as its cost per
    t-CO2 (yen); bars below the zero line save money. Bars are numbered ①②…; the legend names them.
    """
    need = {"name_ja", "mac_yen_per_t", "reduction_t", "start_t"}
    if not isinstance(mac, pd.DataFrame) or need - set(mac.columns):
        raise CnkitError("mac_table(...) の結果（表）を渡してください。")
    if mac.empty:
        raise CnkitError("表に対策がありません。")
    fig, ax = new_figure(9.5, 4.8)
    heights = mac["mac_yen_per_t"].to_numpy()
    colors = [SAVES_COLOR if h < 0 else COSTS_COLOR for h in heights]
    ax.bar(mac["start_t"], heights, width=mac["reduction_t"], align="edge", color=colors,
           edgecolor="#333333", linewidth=0.6)
    span = max(heights.max(), 0) - min(heights.min(), 0) or 1.0
    handles = []
    total = float(mac["cumulative_t"].max()) or 1.0
    narrow = 0
    for i, (_, r) in enumerate(mac.iterrows()):
        h = r["mac_yen_per_t"]
        lift = 0.02
        if r["reduction_t"] < 0.03 * total:  # thin bars side by side: alternate the label height
            lift += 0.05 * (narrow % 2)
            narrow += 1
        y = h + (lift * span if h >= 0 else -lift * span)
        ax.text(r["start_t"] + r["reduction_t"] / 2, y, _label(i), ha="center", va="bottom" if h >= 0 else "top",
                fontsize=9)
        handles.append(Patch(color=SAVES_COLOR if h < 0 else COSTS_COLOR,
                             label=f"{_label(i)} {r['name_ja']}（{r['reduction_t']:,.1f} t、{h:,.0f} 円/t）"))
    ax.axhline(0, color="#333333", linewidth=0.9)
    low, high = min(heights.min(), 0), max(heights.max(), 0)
    ax.set_ylim(low - 0.15 * span, high + 0.15 * span)
    ax.set_xlim(0, float(mac["cumulative_t"].max()) * 1.02)
    ax.set_title(title)
    ax.set_xlabel("累積のCO2削減量（t-CO2/年）")
    ax.set_ylabel("削減費用（円/t-CO2）")
    _yen_axis(ax)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8,
              title="対策（削減量、1tあたりの費用）", title_fontsize=8)
    return fig


def cashflow_chart(investment, annual_saving, lifetime, subsidy=0, running_cost=0,
                   title: str = "累積キャッシュフロー（補助金なし・あり）") -> Figure:
    """Cumulative cash flow year by year, without and with the subsidy (not discounted).

    The line crosses zero in the payback year; the dashed vertical lines mark the simple
    payback of each case when it falls within the lifetime.
    """
    without = ec.cashflow_table(investment, annual_saving, lifetime, 0, 0, running_cost)
    with_sub = ec.cashflow_table(investment, annual_saving, lifetime, 0, subsidy, running_cost)
    fig, ax = new_figure(8, 4.4)
    years = list(without.index)
    saving = annual_saving - running_cost
    cases = [("補助金なし", 0, without, WITHOUT_COLOR)] + ([("補助金あり", subsidy, with_sub, WITH_COLOR)] if subsidy else [])
    for label, sub, table, color in cases:
        years_back = ec.simple_payback(investment, saving, sub)
        inside = not math.isinf(years_back) and 0 < years_back <= years[-1]
        text = f"{label}（{years_back:.1f}年で回収）" if inside else (
            f"{label}（耐用年数のうちに回収できない）" if years_back > 0 else f"{label}（回収する投資なし）")
        ax.plot(years, table["cumulative_yen"], marker="o", markersize=3, color=color, label=text)
        if inside:
            ax.plot([years_back], [0], marker="D", markersize=7, color=color, zorder=5)
            ax.annotate(f"{years_back:.1f}年", (years_back, 0), xytext=(-6, 8), textcoords="offset points",
                        ha="right", va="bottom", color=color, fontsize=9)
    ax.axhline(0, color="#333333", linewidth=0.9)
    ax.set_title(title)
    ax.set_xlabel("経過年数（年）")
    ax.set_ylabel("累積キャッシュフロー（万円）")
    _yen_axis(ax, per=10_000)
    ax.legend(frameon=False, loc="lower right")
    return fig
