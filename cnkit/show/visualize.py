"""Charts of notebook 03 (見える化): energy flow, Pareto, CO2 as area, reconciliation.

All figures are :class:`matplotlib.figure.Figure` objects made with :func:`.base.new_figure`
(no pyplot), with Japanese titles, units in （…）, the Okabe–Ito palette and the energy colours
of :data:`.base.ENERGY_COLORS`. The numbers come from the calculate layer
(:mod:`cnkit.calculate.pareto`, :mod:`~cnkit.calculate.flow`, :mod:`~cnkit.calculate.area`,
:mod:`~cnkit.calculate.reconcile`); these functions only draw.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..calculate.area import co2_area
from ..calculate.flow import FLOW_MEASURES, UNEXPLAINED_USE
from ..calculate.pareto import PARETO_THRESHOLD, pareto_table
from ..errors import CnkitError
from .base import ENERGY_COLORS, PALETTE, new_figure

GREY = "#BBBBBB"
DARK = "#333333"
_LABEL_PT = 9.0
_LINE = 1.3  # line spacing of labels, in font sizes
_TEXT = TextToPath()


def _fmt(v: float) -> str:
    """A value for a label: thousands separators for large values, a few decimals for small ones."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:,.1f}"
    return f"{v:,.2f}"


def _label(key) -> str:
    return "\n".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _text_width_in(text: str, size: float = _LABEL_PT) -> float:
    """Width of one line of text in inches, measured with the chart font (no renderer needed)."""
    prop = FontProperties(size=size)
    widths = [_TEXT.get_text_width_height_descent(line, prop, ismath=False)[0] for line in text.split("\n")]
    return max(widths) / 72.0


def _ink(color: str) -> str:
    """Black or white text, whichever reads better on ``color``."""
    r, g, b = mcolors.to_rgb(color)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def spread(positions: list[float], min_gap: float, low: float, high: float) -> list[float]:
    """Move label positions apart so that neighbours are at least ``min_gap`` apart.

    ``positions`` are wanted places (any order); the result keeps their order, stays within
    [``low``, ``high``] when there is room, and moves each label as little as this simple
    two-pass rule allows (push down from the top, then back up from the bottom).
    """
    order = sorted(range(len(positions)), key=lambda i: -positions[i])  # top first
    ys = [min(positions[i], high) for i in order]
    for k in range(1, len(ys)):
        ys[k] = min(ys[k], ys[k - 1] - min_gap)
    if ys and ys[-1] < low:
        ys[-1] = low
        for k in range(len(ys) - 2, -1, -1):
            ys[k] = max(ys[k], ys[k + 1] + min_gap)
    out = [0.0] * len(positions)
    for k, i in enumerate(order):
        out[i] = ys[k]
    return out


# ---------------------------------------------------------------------------------------------
# energy flow (Sankey-style)
# ---------------------------------------------------------------------------------------------
def _band(x0: float, x1: float, s_top: float, s_bot: float, t_top: float, t_bot: float) -> Path:
    xm = (x0 + x1) / 2
    verts = [(x0, s_top), (xm, s_top), (xm, t_top), (x1, t_top), (x1, t_bot),
             (xm, t_bot), (xm, s_bot), (x0, s_bot), (x0, s_top)]
    codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO,
             Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.CLOSEPOLY]
    return Path(verts, codes)


def energy_flow_chart(links: pd.DataFrame, measure: str | None = None, title: str | None = None) -> Figure:
    """Sankey-style chart of :func:`cnkit.calculate.flow.energy_flow` links.

    Three columns of nodes — energy sources, sites, uses — with bands whose widths are
    proportional to the value (GJ or t-CO2), coloured by energy. Labels sit outside the outer
    columns (and beside the site nodes) and are moved apart so that no two overlap; a thin line
    joins a moved label to its node.
    """
    need = {"stage", "source", "target", "energy_ja", "value"}
    if not isinstance(links, pd.DataFrame) or not need <= set(links.columns):
        raise CnkitError("energy_flow(...) の結果（リンクの表）を渡してください。")
    measure = measure or links.attrs.get("measure")
    if measure is None:
        raise CnkitError("表から単位がわかりません。measure=\"gj\"（GJ）か measure=\"co2_t\"（t-CO2）を指定してください。")
    if measure not in FLOW_MEASURES:
        raise CnkitError(f"measure は {'、'.join(repr(m) for m in FLOW_MEASURES)} のどちらかです。入力: {measure!r}")
    links = links[links["value"] > 0]
    if links.empty:
        raise CnkitError("リンクの値がすべて 0 です。描く流れがありません。")
    measure_ja, unit = FLOW_MEASURES[measure]
    s1, s2 = links[links["stage"] == 1], links[links["stage"] == 2]

    # nodes per column, largest first (未把握 last); value = flow through the node
    col_values = [s1.groupby("source")["value"].sum(), s1.groupby("target")["value"].sum(),
                  s2.groupby("target")["value"].sum()]
    cols = []
    for c, v in enumerate(col_values):
        v = v.sort_values(ascending=False, kind="stable")
        if c == 2 and UNEXPLAINED_USE in v.index:
            v = pd.concat([v.drop(UNEXPLAINED_USE), v[[UNEXPLAINED_USE]]])
        cols.append(v)
    total = max(float(v.sum()) for v in cols)
    n_max = max(len(v) for v in cols)

    def node_label(name, v, c):
        text = f"{name}  {_fmt(v)}（{v / total:.0%}）"
        return text.replace("  ", "\n") if c == 1 else text

    labels = [[node_label(n, v, c) for n, v in col.items()] for c, col in enumerate(cols)]
    # geometry in inches → figure and axes fractions; the outer label columns get the room they need
    line_in = _LABEL_PT * _LINE / 72
    left_in = max(_text_width_in(t) for t in labels[0]) + 0.25
    right_in = max(_text_width_in(t) for t in labels[2]) + 0.25
    band_in, node_in = 2.7, 0.16
    width_in = left_in + right_in + 2 * band_in + 3 * node_in
    ax_h_in = max(4.6, n_max * line_in * 1.25)
    top_in, bottom_in = 0.85, 0.7
    height_in = ax_h_in + top_in + bottom_in
    fig, ax = new_figure(width_in, height_in)
    fig.set_layout_engine("none")
    ax.set_position([0, bottom_in / height_in, 1, ax_h_in / height_in])
    ax.set_xlim(0, width_in)
    ax.set_ylim(0, 1)
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])
    xs = [left_in, left_in + node_in + band_in, left_in + 2 * (node_in + band_in)]

    gap_min = 0.012
    k = (1 - gap_min * (n_max - 1)) / total  # axes height per unit of value
    spans: list[dict] = []  # per column: node → (top, bottom)
    for col in cols:
        heights = col * k
        free = 1 - float(heights.sum())
        gap = min(free / (len(col) - 1), 0.06) if len(col) > 1 else 0.0
        used = float(heights.sum()) + gap * (len(col) - 1)
        y = 1 - (1 - used) / 2
        span = {}
        for name, h in heights.items():
            span[name] = (y, y - h)
            y -= h + gap
        spans.append(span)

    # bands: at each node, links are stacked in the order of the node at their other end
    pos = [{n: i for i, n in enumerate(col.index)} for col in cols]
    energy_order = {n: i for i, n in enumerate(cols[0].index)}
    for stage, df in ((1, s1), (2, s2)):
        a, b = stage - 1, stage
        out_next = {n: spans[a][n][0] for n in spans[a]}
        in_next = {n: spans[b][n][0] for n in spans[b]}
        out_order = df.assign(_t=df["target"].map(pos[b]), _e=df["energy_ja"].map(energy_order)).sort_values(
            ["_t", "_e"], kind="stable")
        seg_out = {}
        for r in out_order.itertuples():
            h = r.value * k
            seg_out[r.Index] = (out_next[r.source], out_next[r.source] - h)
            out_next[r.source] -= h
        in_order = df.assign(_s=df["source"].map(pos[a]), _e=df["energy_ja"].map(energy_order)).sort_values(
            ["_s", "_e"], kind="stable")
        for r in in_order.itertuples():
            h = r.value * k
            t_top = in_next[r.target]
            in_next[r.target] -= h
            s_top, s_bot = seg_out[r.Index]
            color = ENERGY_COLORS.get(r.energy_ja, GREY)
            ax.add_patch(PathPatch(_band(xs[a] + node_in, xs[b], s_top, s_bot, t_top, t_top - h),
                                   facecolor=color, edgecolor="none", alpha=0.45))

    # nodes
    for c, col in enumerate(cols):
        for name in col.index:
            top, bot = spans[c][name]
            if c == 0:
                face, hatch = ENERGY_COLORS.get(name, GREY), None
            elif c == 2 and name == UNEXPLAINED_USE:
                face, hatch = "#DDDDDD", "///"
            else:
                face, hatch = "#555555" if c == 1 else "#777777", None
            ax.add_patch(Rectangle((xs[c], bot), node_in, top - bot, facecolor=face, edgecolor=DARK,
                                   linewidth=0.5, hatch=hatch))

    # labels: outside the outer columns, beside the site nodes; spread so that none overlap
    gap_y = line_in / ax_h_in
    for c, col in enumerate(cols):
        names = list(col.index)
        centres = [sum(spans[c][n]) / 2 for n in names]
        lines = max(t.count("\n") + 1 for t in labels[c])
        ys = spread(centres, gap_y * lines * 1.05, gap_y * lines / 2, 1 - gap_y * lines / 2)
        for name, text, yc, y in zip(names, labels[c], centres, ys):
            if c == 0:
                x, ha, edge = xs[0] - 0.08, "right", xs[0]
            elif c == 2:
                x, ha, edge = xs[2] + node_in + 0.08, "left", xs[2] + node_in
            else:
                x, ha, edge = xs[1] + node_in + 0.06, "left", xs[1] + node_in
            box = dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85) if c == 1 else None
            ax.text(x, y, text, ha=ha, va="center", fontsize=_LABEL_PT, bbox=box, zorder=5)
            if abs(y - yc) > gap_y * 0.3 and c != 1:
                ax.plot([edge, x - (0.04 if ha == "left" else -0.04)], [yc, y], color="#888888", linewidth=0.5)
    for c, head in enumerate(["エネルギー源", "拠点", "用途（設備・工程）"]):
        ax.text(xs[c] + node_in / 2, 1.015, head, ha="center", va="bottom", fontsize=10, color=DARK,
                clip_on=False)
    ax.set_title(title or f"エネルギーフロー（{measure_ja}、{unit}）", pad=26)
    ax.set_xlabel(f"帯の太さ = {measure_ja}（{unit}）　ラベルの%は合計に対する割合　"
                  f"「{UNEXPLAINED_USE}」= 請求書と設備リストの推計の差", fontsize=9)
    return fig


# ---------------------------------------------------------------------------------------------
# Pareto
# ---------------------------------------------------------------------------------------------
def pareto_chart(table, title: str = "パレート図", *, value_label: str = "CO2排出量", unit: str = "t-CO2",
                 item_label: str = "項目", threshold: float | None = None) -> Figure:
    """Pareto chart of a :func:`cnkit.calculate.pareto.pareto_table` (or of a Series of values).

    Bars largest first — the vital few in blue, the rest grey — and the cumulative share as a
    line on a second axis (0–100 %), with the threshold (80 %) as a dashed line.
    """
    if isinstance(table, pd.Series):
        table = pareto_table(table, threshold or PARETO_THRESHOLD)
    if not isinstance(table, pd.DataFrame) or not {"value", "cumulative_share", "vital_few"} <= set(table.columns):
        raise CnkitError("pareto_table(...) の結果か、ラベル付きの数値の Series を渡してください。")
    threshold = threshold or table.attrs.get("threshold", PARETO_THRESHOLD)
    n = len(table)
    labels = [_label(k) for k in table.index]
    multiline = any("\n" in t for t in labels)
    rotate = not multiline and n > 6
    fig, ax = new_figure(max(7.5, 0.62 * n + 2.2), 4.8 if rotate else 4.4)
    x = list(range(n))
    colors = [PALETTE[0] if v else GREY for v in table["vital_few"]]
    ax.bar(x, table["value"], color=colors, edgecolor=DARK, linewidth=0.4, width=0.75)
    ax.set_xticks(x, labels, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor" if rotate else "default", fontsize=9)
    ax.set_ylim(0, float(table["value"].max()) * 1.15)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(item_label)
    ax.set_ylabel(f"{value_label}（{unit}）")
    ax.set_title(title)
    ax2 = ax.twinx()
    ax2.spines["top"].set_visible(False)
    cum = table["cumulative_share"] * 100
    ax2.plot(x, cum, color=PALETTE[3], marker="o", markersize=4, linewidth=1.6)
    ax2.axhline(threshold * 100, color=DARK, linestyle="--", linewidth=1.0)
    ax2.text(n - 0.5, threshold * 100 + 1.5, f"{threshold:.0%}", ha="right", va="bottom", fontsize=9, color=DARK)
    ax2.set_ylim(0, 105)
    # value labels at the foot of each bar, where the cumulative line (≥ the first share) seldom passes;
    # a bar too short for its label gets it on top (short bars are on the right, where the line is high)
    ytop = ax.get_ylim()[1]
    for xi, v, c in zip(x, table["value"], colors):
        if v >= 0.09 * ytop:
            ax.text(xi, ytop * 0.012, _fmt(v), ha="center", va="bottom", fontsize=8, color=_ink(c))
        else:
            ax.text(xi, v + ytop * 0.012, _fmt(v), ha="center", va="bottom", fontsize=8, color=DARK)
    ax2.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax2.set_ylabel("累積比率（%）")
    n_vital = int(table["vital_few"].sum())
    handles = [Patch(facecolor=PALETTE[0], edgecolor=DARK, label=f"重点項目（累積{threshold:.0%}までの{n_vital}項目）"),
               Patch(facecolor=GREY, edgecolor=DARK, label="その他"),
               Line2D([], [], color=PALETTE[3], marker="o", markersize=4, label="累積比率（右の目盛）"),
               Line2D([], [], color=DARK, linestyle="--", label=f"{threshold:.0%} の線")]
    ax.legend(handles=handles, loc="center right", frameon=True, framealpha=0.9, edgecolor="none", fontsize=9)
    return fig


# ---------------------------------------------------------------------------------------------
# CO2 as area
# ---------------------------------------------------------------------------------------------
def co2_area_chart(em: pd.DataFrame, *, less=None, lower=None, fiscal_year: int | None = None,
                   title: str | None = None) -> Figure:
    """Rectangles side by side, one per energy: width = energy used (GJ), height = CO2 per GJ
    (t-CO2/GJ), so the area is the CO2 (t-CO2).

    With ``less`` (energy → fraction of use avoided) or ``lower`` (energy → fraction by which the
    CO2 per GJ falls) the chart shows each lever's effect: the rectangle before as a dashed
    outline with the part that disappears hatched, the rectangle after filled.
    """
    t = co2_area(em, less=less, lower=lower, fiscal_year=fiscal_year)
    levers = bool(less) or bool(lower)
    fig, ax = new_figure(9.0, 5.0)
    total_gj = float(t["gj"].sum())
    narrow_frac = 0.07  # rectangles narrower than this share of the width get their label above
    x = 0.0
    above: list[tuple[float, float, str]] = []
    for name, r in t.iterrows():
        color = ENERGY_COLORS.get(name, GREY)
        if levers:
            ax.add_patch(Rectangle((x, 0), r["gj"], r["intensity_t_per_gj"], facecolor="white", edgecolor=color,
                                   linewidth=1.2, linestyle="--", hatch="///", alpha=0.9))
            ax.add_patch(Rectangle((x, 0), r["gj_after"], r["intensity_after"], facecolor=color, edgecolor=DARK,
                                   linewidth=0.6))
        else:
            ax.add_patch(Rectangle((x, 0), r["gj"], r["intensity_t_per_gj"], facecolor=color, edgecolor=DARK,
                                   linewidth=0.6))
        co2 = f"{_fmt(r['co2_t'])} t" if not levers or r["co2_saved"] == 0 else \
            f"{_fmt(r['co2_t'])}→{_fmt(r['co2_after'])} t"
        if r["gj"] / total_gj >= narrow_frac:
            inside = r["intensity_after"] if levers else r["intensity_t_per_gj"]
            width = r["gj_after"] if levers else r["gj"]
            ax.text(x + width / 2, inside / 2, f"{name}\n{co2}", ha="center", va="center", fontsize=9,
                    color=_ink(color), zorder=5)
        else:
            above.append((x + r["gj"] / 2, r["intensity_t_per_gj"], f"{name} {co2}"))
        x += r["gj"]
    top = float(t["intensity_t_per_gj"].max())
    ax.set_xlim(0, total_gj * 1.02)
    ax.set_ylim(0, top * 1.75)
    if above:  # narrow rectangles: vertical labels above them, moved apart sideways
        width_in = 9.0 - 1.3  # about the axes width
        gap = (_LABEL_PT * _LINE / 72) / width_in * total_gj * 1.02
        xs = spread([-p for p, _, _ in above], gap, -total_gj * 1.02 + gap / 2, -gap / 2)
        for (xc, h, text), xl in zip(above, xs):
            xl = -xl
            ax.plot([xc, xl], [h + top * 0.02, h + top * 0.08], color="#888888", linewidth=0.5)
            ax.text(xl, h + top * 0.09, text, rotation=90, ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("エネルギー使用量（GJ）= 幅")
    ax.set_ylabel("CO2原単位（t-CO2/GJ）= 高さ")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    total = float(t["co2_t"].sum())
    note = f"面積 = CO2排出量（t-CO2）　合計 {total:,.0f} t-CO2"
    if levers:
        note += f" → {float(t['co2_after'].sum()):,.0f} t-CO2"
    ax.text(0.99, 0.97, note, transform=ax.transAxes, ha="right", va="top", fontsize=10,
            bbox=dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor=GREY))
    if levers:
        handles = [Patch(facecolor="white", edgecolor=DARK, linestyle="--", label="対策前（点線の枠）"),
                   Patch(facecolor="white", edgecolor=DARK, hatch="///", label="減る部分（斜線）"),
                   Patch(facecolor=PALETTE[0], edgecolor=DARK, label="対策後（塗りつぶし）")]
        ax.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.9, edgecolor="none", fontsize=9)
    ax.set_title(title or "CO2を面積で考える（幅 = 使用量、高さ = 原単位、面積 = CO2）")
    return fig


# ---------------------------------------------------------------------------------------------
# reconciliation
# ---------------------------------------------------------------------------------------------
def reconciliation_chart(rec: pd.DataFrame, title: str = "設備リストの推計と請求書の突き合わせ") -> Figure:
    """Horizontal bars, one per energy (or site × energy) of :func:`cnkit.calculate.reconcile.reconcile`:
    the share of the bill explained by the equipment list and the unexplained share (in %),
    with the amounts in the energy's unit."""
    need = {"billed", "estimated", "gap", "unexplained_share", "unit"}
    if not isinstance(rec, pd.DataFrame) or not need <= set(rec.columns):
        raise CnkitError("reconcile(...) の結果を渡してください。")
    d = rec[rec["billed"] > 0].iloc[::-1]  # largest on top
    if d.empty:
        raise CnkitError("請求書の使用量が 0 より大きい行がありません。")
    fig, ax = new_figure(9.0, max(3.2, 0.5 * len(d) + 2.0))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    y = list(range(len(d)))
    explained = (d[["estimated", "billed"]].min(axis=1) / d["billed"] * 100).clip(lower=0)
    unexplained = (d["gap"].clip(lower=0) / d["billed"] * 100)
    over = ((-d["gap"]).clip(lower=0) / d["billed"] * 100)
    ax.barh(y, explained, color=PALETTE[0], edgecolor=DARK, linewidth=0.4, height=0.6)
    ax.barh(y, unexplained, left=explained, color=PALETTE[1], edgecolor=DARK, linewidth=0.4, height=0.6)
    if (over > 0).any():
        ax.barh(y, over, left=100, color="white", edgecolor=PALETTE[5], hatch="///", linewidth=0.8, height=0.6)
    for yi, (_, r), ex, un, ov in zip(y, d.iterrows(), explained, unexplained, over):
        share = r["unexplained_share"]
        text = (f"未把握 {share:.1%}" if share >= 0 else f"推計が {-share:.1%} 多い") + \
            f"（請求 {_fmt(r['billed'])} {r['unit']}、推計 {_fmt(r['estimated'])} {r['unit']}）"
        ax.text(max(100, ex + un + ov) + 1.5, yi, text, va="center", fontsize=9)
    ax.axvline(100, color=DARK, linewidth=0.8)
    ax.set_yticks(y, [_label(k).replace("\n", " ") for k in d.index])
    ax.set_xlim(0, 185)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_xlabel("請求書の使用量に対する割合（%）")
    ax.set_ylabel("拠点・エネルギー" if isinstance(d.index, pd.MultiIndex) else "エネルギー")
    ax.set_title(title)
    handles = [Patch(facecolor=PALETTE[0], edgecolor=DARK, label="設備リストで説明できる分"),
               Patch(facecolor=PALETTE[1], edgecolor=DARK, label="未把握（差分）")]
    if (over > 0).any():
        handles.append(Patch(facecolor="white", edgecolor=PALETTE[5], hatch="///", label="推計が請求書を上回る分"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=9)
    return fig
