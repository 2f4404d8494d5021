"""cnkit.show: every chart renders with Japanese text, units and no missing glyph."""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.font_manager import FontProperties, findfont  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

import cnkit  # noqa: E402
from cnkit import show  # noqa: E402

ROOT = Path(cnkit.__file__).resolve().parent.parent
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
UNIT = re.compile(r"（[^（）]*(t-CO2|kWh|MWh|kL|GJ|千m³)[^（）]*）")


def _energies() -> dict[str, str]:
    with open(ROOT / "datasets" / "factors" / "energies.csv", encoding="utf-8") as f:
        return {r["energy"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def em() -> pd.DataFrame:
    """A small emissions table: two sites, four energies, FY2024 and FY2025 (factors of FY2025)."""
    en = _energies()
    rows = []
    usage = {"electricity": 40_000.0, "city_gas": 3.0, "a_heavy_oil": 4.0, "gasoline": 1.1}
    for fy in (2024, 2025):
        for month in pd.date_range(f"{fy}-04-01", periods=12, freq="MS"):
            season = 1.3 if month.month in (7, 8, 1, 2) else 1.0
            for site in ("本社工場", "倉庫・事務所"):
                for energy, u in usage.items():
                    if site == "倉庫・事務所" and energy != "electricity":
                        continue
                    rows.append({"site": site, "energy": energy, "energy_ja": en[energy]["name_ja"], "month": month,
                                 "fiscal_year": fy, "usage": u * season * (0.95 if fy == 2024 else 1.0),
                                 "unit": en[energy]["unit"]})
    return cnkit.emissions(pd.DataFrame(rows), "tepco_ep", factor_fy=2025)


@pytest.fixture(scope="module")
def calc_result() -> pd.DataFrame:
    return cnkit.annual_co2({"electricity": 640_000, "city_gas": (40_000, "m3"), "a_heavy_oil": (48_000, "L"),
                             "kerosene": 0, "lpg": (2_000, "kg"), "gasoline": 14, "diesel": 10},
                            "tepco_ep", emissions_fy=2025)


def render(fig: Figure) -> bytes:
    """PNG bytes; any warning (e.g. 'Glyph ... missing from font') fails the test."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=80)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000
    img = mpimg.imread(io.BytesIO(data))
    assert img.shape[0] > 100 and img.shape[1] > 100
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 10  # not a blank image
    return data


def check_texts(fig: Figure) -> None:
    ax = fig.axes[0]
    title, xlabel, ylabel = ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    for text in (title, xlabel, ylabel):
        assert text.strip(), (title, xlabel, ylabel)
        assert JAPANESE.search(text), text
    assert UNIT.search(xlabel) or UNIT.search(ylabel), (xlabel, ylabel)
    # every visible text of the figure renders with a Japanese-capable font
    ticks = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    assert any(t for t in ticks)


def bars(fig: Figure) -> int:
    return sum(len(ax.patches) for ax in fig.axes)


CHARTS = {
    "co2_by_energy_chart": lambda em, calc: show.co2_by_energy_chart(em),
    "scope_chart": lambda em, calc: show.scope_chart(em),
    "monthly_chart": lambda em, calc: show.monthly_chart(em, 2025),
    "year_on_year_chart": lambda em, calc: show.year_on_year_chart(em, (2024, 2025)),
    "calculator_chart": lambda em, calc: show.calculator_chart(calc),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_renders_in_japanese(name, em, calc_result):
    open_before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = CHARTS[name](em, calc_result)
    assert isinstance(fig, Figure)
    render(fig)
    check_texts(fig)
    assert bars(fig) >= 1
    assert plt.get_fignums() == open_before  # charts are not left open in pyplot


def test_co2_by_energy_values(em):
    fig = show.co2_by_energy_chart(em)
    ax = fig.axes[0]
    widths = sorted(p.get_width() for p in ax.patches)
    want = sorted(em.groupby("energy_ja")["co2_t"].sum())
    assert widths == pytest.approx(want)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert set(labels) == set(em["energy_ja"])
    # the same energy has the same colour as in ENERGY_COLORS
    for p, label in zip(ax.patches, labels):
        assert matplotlib.colors.to_hex(p.get_facecolor()).lower() == show.ENERGY_COLORS[label].lower()


def test_scope_chart_values(em):
    fig = show.scope_chart(em)
    ax = fig.axes[0]
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == pytest.approx(em["co2_t"].sum())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024年度", "2025年度"]


def test_monthly_chart_twelve_months_april_first(em):
    fig = show.monthly_chart(em, 2025)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    total = sum(p.get_height() for p in ax.patches)
    assert total == pytest.approx(em.loc[em["fiscal_year"] == 2025, "co2_t"].sum())
    assert "2025年度" in ax.get_title()


def test_year_on_year_change_labels(em):
    fig = show.year_on_year_chart(em, (2024, 2025))
    render(fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    # FY2025 is 1/0.95 of FY2024 for every energy: +5.3 %
    assert texts and all(t == "+5.3%" for t in texts if t)


def test_calculator_chart_empty_result_shows_hint():
    res = cnkit.annual_co2({"electricity": 0}, emissions_fy=2025)
    fig = show.calculator_chart(res)
    render(fig)
    ax = fig.axes[0]
    assert any(JAPANESE.search(t.get_text()) for t in ax.texts)
    assert UNIT.search(ax.get_xlabel())


def test_japanese_font_resolves_and_renders_course_symbols():
    assert show.font_name() == "IPAexGothic"
    path = findfont(FontProperties(family=matplotlib.rcParams["font.family"]))
    assert FT2Font(path).family_name == "IPAexGothic"
    assert findfont(FontProperties(family="IPAexGothic")) == path
    fig = Figure(figsize=(6, 2))
    ax = fig.add_subplot()
    text = "①②③ 原油換算 ≥ 1,500 kL・ヤメル・トメル・サゲル（t-CO2）※ 〜 －5％ 「省エネ」 ℃"
    ax.set_title(text)
    ax.set_xlabel("電力（kWh）≤ 上限 → 削減")
    render(fig)


def test_palettes():
    assert len(set(c.lower() for c in show.PALETTE)) == len(show.PALETTE)
    assert len(set(c.lower() for c in show.ENERGY_COLORS.values())) == len(show.ENERGY_COLORS)
    assert len(set(show.SCOPE_COLORS.values())) == len(show.SCOPE_COLORS) == 2
    names = {r["name_ja"] for r in _energies().values()}
    assert names <= set(show.ENERGY_COLORS)
    for c in [*show.PALETTE, *show.ENERGY_COLORS.values(), *show.SCOPE_COLORS.values()]:
        assert matplotlib.colors.is_color_like(c)


def test_monthly_chart_for_a_year_without_data(em):
    with pytest.raises(cnkit.CnkitError) as info:
        show.monthly_chart(em, 2023)
    assert "2023年度" in str(info.value) and "2025" in str(info.value)


def test_png_bytes_draws_the_whole_figure_untrimmed(calc_result):
    """The widgets' PNG: the figure's own size (no tight-bbox trimming), every label inside it."""
    fig = show.calculator_chart(calc_result)
    png = show.base.png_bytes(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(io.BytesIO(png), format="png")
    width, height = fig.get_size_inches() * fig.dpi
    assert image.shape[:2] == (round(height), round(width))
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()  # the layout png_bytes drew is kept on the figure
    drawn = fig.get_tightbbox(renderer)  # inches, everything drawn (labels, title, legend)
    fig_w, fig_h = fig.get_size_inches()
    assert drawn.x0 >= 0 and drawn.y0 >= 0 and drawn.x1 <= fig_w and drawn.y1 <= fig_h, drawn
