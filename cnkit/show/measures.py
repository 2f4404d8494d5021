"""Charts of reduction measures (notebooks 04 and 05): savings per measure, before/after, Scope 1/2 waterfall.

The charts take the result of :func:`cnkit.calculate.measures.evaluate_all` (signed yearly changes,
negative = decrease) and draw reductions as positive lengths.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..errors import CnkitError


def _wrap(text: str, width: int = 8) -> str:
    """Break a Japanese label (no spaces) every ``width`` characters."""
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))
from .base import PALETTE, SCOPE_COLORS, new_figure, thousands

#: one colour per category (the six points share blue-green shades; factor, renewables, offsets stand apart)
CATEGORY_COLORS = {
    "ヤメル": "#56B4E9", "トメル": "#0072B2", "サゲル": "#009E73", "ナオス": "#E69F00",
    "ヒロウ": "#D55E00", "カエル": "#CC79A7", "電化": "#F0E442", "再エネ": "#009E73",
    "排出係数の低減": "#0072B2", "オフセット": "#999999",
}
_OFFSET_COLOR = "#999999"

#: what a savings chart can show: column of evaluate_all → (axis label, sign to make a saving positive)
SAVING_COLUMNS = {
    "delta_co2_t": "CO2削減量（t-CO2/年）",
    "delta_kwh": "削減電力量（kWh/年）",
    "delta_cost_yen": "削減額（円/年）",
    "delta_gj": "削減エネルギー（GJ/年）",
}


def _need(results: pd.DataFrame, columns) -> None:
    if not isinstance(results, pd.DataFrame):
        raise CnkitError("evaluate_all の結果（表）を渡してください。")
    missing = sorted(set(columns) - set(results.columns))
    if missing:
        raise CnkitError(f"表に列 {missing} がありません。evaluate_all の結果を渡してください。")


def savings_chart(results: pd.DataFrame, column: str = "delta_co2_t", title: str = "対策ごとの削減量") -> Figure:
    """Horizontal bars of the saving of each measure (largest on top), coloured by category."""
    if column not in SAVING_COLUMNS:
        raise CnkitError(f"column に「{column}」は使えません。{'、'.join(SAVING_COLUMNS)} のどれかを指定してください。")
    _need(results, ["name_ja", "category", column])
    s = (-results[column] + 0.0).to_numpy()
    order = pd.Series(s, index=range(len(s))).sort_values().index
    names = [results["name_ja"].iloc[i] for i in order]
    cats = [results["category"].iloc[i] for i in order]
    vals = [s[i] for i in order]
    fig, ax = new_figure(8.5, 0.42 * len(vals) + 1.7)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    bars = ax.barh(names, vals, color=[CATEGORY_COLORS.get(c, PALETTE[0]) for c in cats],
                   edgecolor="#333333", linewidth=0.5)
    fmt = "{:,.1f}" if column in ("delta_co2_t", "delta_gj") else "{:,.0f}"
    ax.bar_label(bars, labels=[fmt.format(v) for v in vals], padding=3, fontsize=9)
    ax.set_title(title)
    ax.set_xlabel(SAVING_COLUMNS[column])
    ax.set_ylabel("対策")
    top = max(vals + [0.0])
    low = min(vals + [0.0])
    ax.set_xlim(low * 1.2 if low < 0 else 0, top * 1.22 if top > 0 else 1)
    ax.axvline(0, color="#333333", linewidth=0.8)
    thousands(ax, "x")
    seen = list(dict.fromkeys(cats))
    ax.legend(handles=[Patch(color=CATEGORY_COLORS.get(c, PALETTE[0]), label=c) for c in seen],
              title="区分", loc="lower right", frameon=False, fontsize=8)
    return fig


def before_after_chart(scope1_t: float, scope2_t: float, results: pd.DataFrame,
                       title: str = "対策の前と後のCO2排出量") -> Figure:
    """Stacked Scope 1/2 bars: now, after the measures, and the reported figure after offsets."""
    _need(results, ["delta_co2_scope1_t", "delta_co2_scope2_t", "delta_co2_offset_t"])
    s1 = scope1_t + results["delta_co2_scope1_t"].sum()
    s2 = scope2_t + results["delta_co2_scope2_t"].sum()
    offset = -results["delta_co2_offset_t"].sum()
    labels = ["現在", "対策後", "オフセット後（報告値）"]
    net = s1 + s2 - offset
    fig, ax = new_figure(7, 4.2)
    b1 = ax.bar(labels[:2], [scope1_t, s1], color=SCOPE_COLORS[1], width=0.55, label="Scope 1（燃料）")
    b2 = ax.bar(labels[:2], [scope2_t, s2], bottom=[scope1_t, s1], color=SCOPE_COLORS[2], width=0.55,
                label="Scope 2（電気）")
    for bars in (b1, b2):
        ax.bar_label(bars, labels=[f"{b.get_height():,.0f}" if b.get_height() > 1 else "" for b in bars],
                     label_type="center", color="white", fontsize=9)
    ax.bar(labels[2], max(net, 0), color="#777777", width=0.55, label="報告する排出量（オフセット後）")
    if offset > 0:
        ax.bar(labels[2], s1 + s2 - max(net, 0), bottom=max(net, 0), color="white", edgecolor=_OFFSET_COLOR,
               hatch="//", width=0.55, label="オフセット（相殺した分）")
    totals = [scope1_t + scope2_t, s1 + s2, net]
    for x, t in zip(labels, totals):
        t = 0.0 if abs(t) < 0.5 else t
        ax.annotate(f"計 {t:,.0f}", (x, max(t, 0)), xytext=(0, 4), textcoords="offset points", ha="center", fontsize=9)
    ax.set_title(title)
    ax.set_xlabel("時点")
    ax.set_ylabel("CO2排出量（t-CO2/年）")
    ax.set_ylim(0, max(totals[0], totals[1]) * 1.12 or 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    thousands(ax)
    return fig


def scope_waterfall_chart(scope1_t: float, scope2_t: float, results: pd.DataFrame,
                          title: str = "対策によるScope 1・Scope 2の増減") -> Figure:
    """A waterfall from today's Scope 1 + 2 through each measure's Scope 1 and Scope 2 change.

    A shift from fuel to electricity shows as a Scope 1 step down and a smaller Scope 2 step up;
    offsets appear as a last, hatched step down to the reported (net) figure."""
    _need(results, ["name_ja", "delta_co2_scope1_t", "delta_co2_scope2_t", "delta_co2_offset_t"])
    steps = []  # (label, change, colour, hatch)
    for r in results.itertuples():
        for scope, value in ((1, r.delta_co2_scope1_t), (2, r.delta_co2_scope2_t)):
            if abs(value) > 1e-9:
                steps.append((f"{_wrap(r.name_ja)}\n［Scope {scope}］", value, SCOPE_COLORS[scope], None))
    after = scope1_t + scope2_t + sum(s[1] for s in steps)
    offsets = [(f"{_wrap(r.name_ja)}\n［オフセット］", r.delta_co2_offset_t, _OFFSET_COLOR, "//")
               for r in results.itertuples() if abs(r.delta_co2_offset_t) > 1e-9]
    fig, ax = new_figure(max(6.5, 1.15 * (len(steps) + len(offsets) + 3)), 5.2)
    x = 0
    ax.bar(x, scope1_t, color=SCOPE_COLORS[1], width=0.6)
    ax.bar(x, scope2_t, bottom=scope1_t, color=SCOPE_COLORS[2], width=0.6)
    ax.annotate(f"{scope1_t + scope2_t:,.0f}", (x, scope1_t + scope2_t), xytext=(0, 3),
                textcoords="offset points", ha="center", fontsize=9)
    labels = ["現在"]
    level = scope1_t + scope2_t

    def step(label, value, colour, hatch):
        nonlocal x, level
        x += 1
        bottom = level + min(value, 0)
        ax.bar(x, abs(value), bottom=bottom, color=colour if not hatch else "white", edgecolor=colour,
               hatch=hatch, width=0.6)
        ax.annotate(f"{value:+,.1f}", (x, bottom + abs(value)), xytext=(0, 3), textcoords="offset points",
                    ha="center", fontsize=8)
        ax.plot([x - 0.7, x - 0.3], [level, level], color="#777777", linewidth=0.6)
        level += value
        labels.append(label)

    for s in steps:
        step(*s)
    x += 1
    after1 = scope1_t + results["delta_co2_scope1_t"].sum()
    ax.bar(x, after1, color=SCOPE_COLORS[1], width=0.6)
    ax.bar(x, after - after1, bottom=after1, color=SCOPE_COLORS[2], width=0.6)
    ax.annotate(f"{after:,.0f}", (x, max(after, 0)), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=9)
    labels.append("対策後")
    level = after
    if offsets:
        for s in offsets:
            step(*s)
        x += 1
        ax.bar(x, level, color="white", edgecolor="#555555", hatch="..", width=0.6)
        ax.annotate(f"{level:,.0f}", (x, max(level, 0)), xytext=(0, 3), textcoords="offset points",
                    ha="center", fontsize=9)
        labels.append("報告値\n（オフセット後）")
    ax.set_xticks(range(len(labels)), labels, fontsize=7.5, rotation=0)
    ax.set_title(title)
    ax.set_xlabel("対策（Scope 1 = 燃料、Scope 2 = 電気）")
    ax.set_ylabel("CO2排出量（t-CO2/年）")
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_ylim(0, max(scope1_t + scope2_t, after) * 1.1 or 1)
    ax.legend(handles=[Patch(color=SCOPE_COLORS[1], label="Scope 1（燃料）"),
                       Patch(color=SCOPE_COLORS[2], label="Scope 2（電気）")]
              + ([Patch(facecolor="white", edgecolor=_OFFSET_COLOR, hatch="//", label="オフセット")] if offsets else []),
              loc="upper left", bbox_to_anchor=(1, 1), frameon=False, fontsize=8)
    thousands(ax)
    return fig
