"""Chart of Japan's climate targets (notebook 01)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from .base import PALETTE, new_figure


def targets_chart(path: pd.Series, aim: tuple[int, float] | None = None,
                  title: str = "日本の温室効果ガス削減目標（2013年度 = 100）") -> Figure:
    """Line of the national path (% of the base year by fiscal year), each point labelled.

    ``path`` is :func:`cnkit.calculate.policy.national_path`; ``aim`` an optional extra point
    (year, % of the base year), e.g. the 50 % reduction Japan aims for in FY2030.
    """
    fig, ax = new_figure(7.5, 4.0)
    years = list(path.index)
    ax.plot(years, path.values, color=PALETTE[0], marker="o", linewidth=2, label="目標")
    for year, value in path.items():
        base = year == years[0]
        if base:
            text = f"{year}年度\n100（基準）"
        elif value <= 0:
            text = f"{year}年度\nネットゼロ"
        else:
            text = f"{year}年度\n{value:.0f}（▲{100 - value:.0f}%）"
        ax.annotate(text, (year, value), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    if aim is not None:
        ax.plot([aim[0]], [aim[1]], marker="o", markerfacecolor="white", color=PALETTE[3], linestyle="none",
                label=f"{aim[0]}年度の挑戦目標（▲{100 - aim[1]:.0f}%）")
    ax.set_ylim(-5, 125)
    ax.set_xlim(years[0] - 2, years[-1] + 3)
    ax.set_title(title)
    ax.set_xlabel("年度")
    ax.set_ylabel("排出量（基準年度 = 100、%）")
    ax.legend(frameon=False, loc="upper right")
    return fig
