"""Charts of CO2 by energy, scope, month and year (notebook 02)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..errors import CnkitError
from .base import PALETTE, SCOPE_COLORS, energy_colors, new_figure, thousands


def co2_by_energy_chart(em: pd.DataFrame, title: str = "エネルギー別のCO2排出量") -> Figure:
    """Horizontal bars of t-CO2 by energy, largest on top, with values."""
    s = em.groupby("energy_ja")["co2_t"].sum().sort_values()
    fig, ax = new_figure(7.5, 0.45 * len(s) + 1.6)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    bars = ax.barh(s.index, s.values, color=energy_colors(s.index), edgecolor="#333333", linewidth=0.5)
    ax.bar_label(bars, labels=[f"{v:,.1f}" for v in s.values], padding=3, fontsize=9)
    ax.set_title(title)
    ax.set_xlabel("CO2排出量（t-CO2）")
    ax.set_ylabel("エネルギー")
    ax.set_xlim(0, s.max() * 1.18 if len(s) and s.max() > 0 else 1)
    thousands(ax, "x")
    return fig


def scope_chart(em: pd.DataFrame, title: str = "Scope別のCO2排出量") -> Figure:
    """One stacked bar per fiscal year: Scope 1 (fuels) and Scope 2 (electricity)."""
    t = em.groupby(["fiscal_year", "scope"])["co2_t"].sum().unstack("scope").fillna(0)
    fig, ax = new_figure(6, 4)
    bottom = pd.Series(0.0, index=t.index)
    labels = [f"{fy}年度" for fy in t.index]
    for scope in sorted(t.columns):
        bars = ax.bar(labels, t[scope], bottom=bottom, color=SCOPE_COLORS.get(scope, "#999999"),
                      label=f"Scope {scope}", width=0.55)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in t[scope]], label_type="center", color="white", fontsize=9)
        bottom += t[scope]
    ax.set_title(title)
    ax.set_xlabel("年度")
    ax.set_ylabel("CO2排出量（t-CO2）")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    thousands(ax)
    return fig


def monthly_chart(em: pd.DataFrame, fiscal_year: int, title: str | None = None) -> Figure:
    """Stacked bars of t-CO2 per month (April → March) by energy for one fiscal year."""
    d = em[em["fiscal_year"] == fiscal_year]
    if d.empty:
        raise CnkitError(f"{fiscal_year}年度のデータがありません（表にある年度: {sorted(set(em['fiscal_year']))}）。")
    t = d.groupby(["month", "energy_ja"])["co2_t"].sum().unstack("energy_ja").fillna(0).sort_index()
    order = t.sum().sort_values(ascending=False).index
    fig, ax = new_figure(8.5, 4.3)
    labels = [f"{m.month}月" for m in t.index]
    bottom = pd.Series(0.0, index=t.index)
    for name, color in zip(order, energy_colors(order)):
        ax.bar(labels, t[name], bottom=bottom, color=color, label=name, width=0.7,
               edgecolor="#333333", linewidth=0.3)
        bottom += t[name]
    ax.set_title(title or f"{fiscal_year}年度 月別のCO2排出量（エネルギー別）")
    ax.set_xlabel("月（4月〜翌3月）")
    ax.set_ylabel("CO2排出量（t-CO2）")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False, title="エネルギー")
    return fig


def year_on_year_chart(em: pd.DataFrame, years: tuple[int, int], title: str = "前年度との比較（エネルギー別）") -> Figure:
    """Grouped bars of t-CO2 by energy for two fiscal years, with the change in %."""
    a, b = years
    t = em[em["fiscal_year"].isin(years)].groupby(["energy_ja", "fiscal_year"])["co2_t"].sum().unstack("fiscal_year")
    t = t.reindex(columns=[a, b]).fillna(0).sort_values(b, ascending=False)
    fig, ax = new_figure(8.5, 4.3)
    x = range(len(t))
    w = 0.38
    ax.bar([i - w / 2 for i in x], t[a], width=w, color="#BBBBBB", edgecolor="#333333", linewidth=0.4, label=f"{a}年度")
    bars = ax.bar([i + w / 2 for i in x], t[b], width=w, color=PALETTE[0], label=f"{b}年度")
    change = [(vb - va) / va * 100 if va else float("nan") for va, vb in zip(t[a], t[b])]
    ax.bar_label(bars, labels=[f"{c:+.1f}%" if c == c else "" for c in change], padding=2, fontsize=8)
    ax.set_xticks(list(x), t.index)
    ax.set_title(title)
    ax.set_xlabel("エネルギー")
    ax.set_ylabel("CO2排出量（t-CO2）")
    ax.legend(frameon=False)
    return fig


def _calculator_bars(result: pd.DataFrame) -> pd.DataFrame:
    return result[result["co2_t"] > 0].sort_values("co2_t")


def calculator_chart(result: pd.DataFrame, title: str = "年間CO2排出量（入力した使用量から）") -> Figure:
    """Bars of t-CO2 by energy for the CO2 calculator, coloured by scope.

    The figure keeps its bars and value labels (``fig.cnkit_bars``) so that
    :func:`update_calculator_chart` can change them in place."""
    d = _calculator_bars(result)
    fig, ax = new_figure(6.5, 0.4 * max(len(d), 1) + 1.6)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    if d.empty:
        ax.text(0.5, 0.5, "使用量を入力すると、ここにグラフが出ます", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
        fig.cnkit_bars = None
    else:
        bars = ax.barh(d["energy_ja"], d["co2_t"], color=[SCOPE_COLORS[s] for s in d["scope"]])
        labels = ax.bar_label(bars, labels=[f"{v:,.1f}" for v in d["co2_t"]], padding=3, fontsize=9)
        ax.set_xlim(0, d["co2_t"].max() * 1.2)
        handles = [Patch(color=c, label=f"Scope {s}") for s, c in SCOPE_COLORS.items()]
        ax.legend(handles=handles, loc="lower right", frameon=False)
        fig.cnkit_bars = (ax, (title, tuple(d["energy_ja"]), tuple(d["scope"])), bars, labels)
    ax.set_title(title)
    ax.set_xlabel("CO2排出量（t-CO2/年）")
    ax.set_ylabel("エネルギー")
    return fig


def update_calculator_chart(fig: Figure, result: pd.DataFrame, title: str = "年間CO2排出量（入力した使用量から）") -> bool:
    """Redraw a :func:`calculator_chart` figure for a new ``result`` in place: the bar lengths, their value
    labels and the x range. Returns False (nothing changed) when the bars themselves differ — another set of
    energies, order or scopes — and the chart must be built anew. The figure then looks exactly as
    ``calculator_chart(result)`` would draw it."""
    parts = getattr(fig, "cnkit_bars", None)
    d = _calculator_bars(result)
    if parts is None or d.empty:
        return False
    ax, key, bars, labels = parts
    if key != (title, tuple(d["energy_ja"]), tuple(d["scope"])):
        return False
    for bar, label, v in zip(bars, labels, d["co2_t"]):
        bar.set_width(v)
        label.xy = (bar.get_bbox().x1, label.xy[1])  # where bar_label puts it: the end of the bar
        label.set_text(f"{v:,.1f}")
    ax.set_xlim(0, d["co2_t"].max() * 1.2)
    return True
