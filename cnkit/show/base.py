"""Shared chart style: Japanese font, colour-blind-safe palette, figure helpers.

Charts are built on :class:`matplotlib.figure.Figure` (not pyplot), so a notebook shows a
returned figure once and nothing is left open. The Japanese font is IPAexGothic, bundled
with ``matplotlib-fontja``. Colours follow the Okabe–Ito palette (colour-blind safe).
"""

from __future__ import annotations

import io

import matplotlib

import matplotlib_fontja  # noqa: F401  (registers and selects IPAexGothic)
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

matplotlib.rcParams["axes.unicode_minus"] = False

#: Okabe–Ito palette (colour-blind safe), in a fixed order
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
#: one colour per energy, the same in every chart
ENERGY_COLORS = {
    "電力": "#0072B2",
    "都市ガス": "#009E73",
    "A重油": "#D55E00",
    "灯油": "#E69F00",
    "LPG": "#CC79A7",
    "ガソリン": "#F0E442",
    "軽油": "#56B4E9",
}
SCOPE_COLORS = {1: "#D55E00", 2: "#0072B2"}
_FONT = "IPAexGothic"
# IPAexGothic lacks a few symbols the course uses (≥, ≤); DejaVu Sans (shipped with matplotlib) fills them in
matplotlib.rcParams["font.family"] = [_FONT, "DejaVu Sans"]


def font_name() -> str:
    """The Japanese font family the charts use."""
    return _FONT


def new_figure(width: float = 7.5, height: float = 4.2) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def thousands(ax, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def energy_colors(names) -> list[str]:
    return [ENERGY_COLORS.get(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)]


def relayout(fig: Figure) -> None:
    """Put every axes of ``fig`` back where its grid places it before the layout runs.

    Constrained layout starts from the axes' current positions, so a figure drawn a second time (updated
    in place, see :func:`cnkit.show.emissions.update_calculator_chart`) would come out a
    hundred-thousandth of its width off the same chart built anew; from the grid's positions it is
    laid out exactly the same."""
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        if spec is not None:
            ax._set_position(spec.get_position(fig))


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG, for a widget that redraws its chart on every change.

    Cheaper than the notebook's own display of a figure, which measures the whole figure once
    more for ``bbox_inches="tight"`` (constrained layout already keeps every label inside the
    figure) and compresses harder (level 1 here: a file about 5 % larger): together about 15 %
    of a redraw. The drawing itself — text through the Japanese font — is the rest.
    """
    relayout(fig)  # the same pixels on every drawing of the same figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()
