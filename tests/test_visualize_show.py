"""cnkit.show.visualize (notebook 03): every chart renders with Japanese text and units, no missing
glyph, something drawn, the numbers of the calculate layer, and flow labels that never overlap."""

from __future__ import annotations

import io
import itertools
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import PathPatch, Rectangle  # noqa: E402

import cnkit  # noqa: E402
from cnkit.calculate.flow import UNEXPLAINED_USE, energy_flow  # noqa: E402
from cnkit.calculate.pareto import pareto_table  # noqa: E402
from cnkit.calculate.reconcile import equipment_estimates, reconcile  # noqa: E402
from cnkit.show.base import ENERGY_COLORS, PALETTE  # noqa: E402
from cnkit.show.visualize import (  # noqa: E402
    co2_area_chart,
    energy_flow_chart,
    pareto_chart,
    reconciliation_chart,
    spread,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
UNIT = re.compile(r"（[^（）]*(t-CO2|kWh|GJ|千m³|kL|%)[^（）]*）")


@pytest.fixture(scope="module")
def a_sha():
    a = cnkit.load_company("a_sha")
    em = cnkit.emissions(a.bills().table, a.suppliers, factor_fy=2025)
    em25 = em[em["fiscal_year"] == 2025]
    est = equipment_estimates(a.equipment(), a.suppliers, emissions_fy=2025)
    return em25, est


def render(fig: Figure) -> None:
    """PNG; any warning (e.g. 'Glyph ... missing from font') fails; the image is not blank."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=72)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    img = mpimg.imread(io.BytesIO(data))
    assert img.shape[0] > 200 and img.shape[1] > 300
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 20


def check_texts(fig: Figure, *, ylabel: bool = True) -> None:
    ax = fig.axes[0]
    texts = [ax.get_title(), ax.get_xlabel()] + ([ax.get_ylabel()] if ylabel else [])
    for text in texts:
        assert text.strip() and JAPANESE.search(text), texts
    assert UNIT.search(ax.get_xlabel()) or UNIT.search(ax.get_ylabel()), texts


def drawn(fig: Figure) -> int:
    return sum(len(ax.patches) + len(ax.lines) for ax in fig.axes)


def make(fn, *args, **kwargs) -> Figure:
    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = fn(*args, **kwargs)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before  # nothing left open in pyplot
    return fig


def text_boxes(fig: Figure):
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes for t in ax.texts if t.get_text().strip()]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts], fig.bbox


def assert_no_overlap(fig: Figure) -> None:
    boxes, figbox = text_boxes(fig)
    assert boxes
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), f"labels overlap: {ta!r} and {tb!r}"
    for t, box in boxes:
        assert box.x0 >= figbox.x0 - 1 and box.x1 <= figbox.x1 + 1 and box.y0 >= figbox.y0 - 1 \
            and box.y1 <= figbox.y1 + 1, f"label outside the figure: {t!r}"


# ---------------------------------------------------------------------------------------------
def test_spread_keeps_order_and_gaps():
    ys = spread([0.5, 0.51, 0.52, 0.1], 0.05, 0.0, 1.0)
    order = sorted(range(4), key=lambda i: -ys[i])
    assert order == [2, 1, 0, 3]
    s = sorted(ys)
    assert all(b - a >= 0.05 - 1e-12 for a, b in zip(s, s[1:]))
    squeezed = spread([0.02, 0.01, 0.0], 0.1, 0.0, 1.0)  # pushed up from the bottom
    assert min(squeezed) == pytest.approx(0.0) and max(squeezed) == pytest.approx(0.2)


@pytest.mark.parametrize("measure, unit", [("gj", "GJ"), ("co2_t", "t-CO2")])
def test_energy_flow_chart(a_sha, measure, unit):
    em25, est = a_sha
    links = energy_flow(em25, est, measure)
    fig = make(energy_flow_chart, links)
    render(fig)
    check_texts(fig, ylabel=False)
    ax = fig.axes[0]
    assert unit in ax.get_title() and unit in ax.get_xlabel()
    bands = [p for p in ax.patches if isinstance(p, PathPatch)]
    nodes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bands) == len(links)
    n_nodes = links.loc[links["stage"] == 1, "source"].nunique() + links["target"].nunique()
    assert len(nodes) == n_nodes
    labels = [t.get_text() for t in ax.texts]
    for name in [*em25["energy_ja"].unique(), *em25["site"].unique(), *est["process"].unique(), UNEXPLAINED_USE]:
        assert any(t.startswith(name) for t in labels), name
    # band colour = the energy's colour
    assert {mcolors.to_hex(p.get_facecolor()[:3]) for p in bands} <= {c.lower() for c in ENERGY_COLORS.values()}
    assert_no_overlap(fig)


def test_energy_flow_chart_labels_never_overlap_with_many_small_uses():
    # one big use and 24 tiny ones: the labels must be moved apart
    rows = [{"stage": 1, "source": "電力", "target": "工場", "energy": "electricity", "energy_ja": "電力", "value": 1000.0},
            {"stage": 1, "source": "LPG", "target": "工場", "energy": "lpg", "energy_ja": "LPG", "value": 1.0},
            {"stage": 1, "source": "灯油", "target": "事務所", "energy": "kerosene", "energy_ja": "灯油", "value": 0.5},
            {"stage": 2, "source": "工場", "target": "大きな設備", "energy": "electricity", "energy_ja": "電力", "value": 976.0},
            {"stage": 2, "source": "工場", "target": "LPGの設備", "energy": "lpg", "energy_ja": "LPG", "value": 1.0},
            {"stage": 2, "source": "事務所", "target": "暖房", "energy": "kerosene", "energy_ja": "灯油", "value": 0.5}]
    rows += [{"stage": 2, "source": "工場", "target": f"小さな設備{i:02d}", "energy": "electricity", "energy_ja": "電力",
              "value": 1.0} for i in range(24)]
    links = pd.DataFrame(rows)
    fig = make(energy_flow_chart, links, "gj", title="小さな項目が多いエネルギーフロー（GJ）")
    render(fig)
    assert_no_overlap(fig)


def test_energy_flow_chart_bad_input():
    with pytest.raises(cnkit.CnkitError):
        energy_flow_chart(pd.DataFrame({"x": [1]}), "gj")
    links = pd.DataFrame([{"stage": 1, "source": "電力", "target": "工場", "energy": "electricity",
                           "energy_ja": "電力", "value": 1.0}])
    with pytest.raises(cnkit.CnkitError, match="measure"):
        energy_flow_chart(links, "kwh")


def test_pareto_chart_by_process(a_sha):
    _, est = a_sha
    table = pareto_table(est.groupby("process")["co2_t"].sum())
    fig = make(pareto_chart, table, "A社 設備・工程別のCO2（推計）", item_label="設備・工程")
    render(fig)
    check_texts(fig)
    ax, ax2 = fig.axes[0], fig.axes[1]
    assert ax2.get_ylabel() == "累積比率（%）"
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(table["value"].tolist())  # sorted, largest first
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.index)
    vital = mcolors.to_hex(PALETTE[0])
    colours = [mcolors.to_hex(p.get_facecolor()[:3]) for p in ax.patches]
    assert colours == [vital if v else "#bbbbbb" for v in table["vital_few"]]
    cum, threshold = ax2.lines[0], ax2.lines[1]
    assert list(cum.get_ydata()) == pytest.approx((table["cumulative_share"] * 100).tolist())
    assert threshold.get_linestyle() == "--" and list(threshold.get_ydata()) == pytest.approx([80, 80])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("7項目" in t for t in legend)


def test_pareto_chart_by_site_and_energy_from_a_series(a_sha):
    em25, _ = a_sha
    s = em25.groupby(["site", "energy_ja"])["co2_t"].sum()
    fig = make(pareto_chart, s, "拠点×エネルギー別のCO2", item_label="拠点・エネルギー", threshold=0.5)
    render(fig)
    check_texts(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[0] == "本社工場\n電力"
    assert list(fig.axes[1].lines[1].get_ydata()) == pytest.approx([50, 50])


def test_pareto_chart_single_item():
    fig = make(pareto_chart, pd.Series({"ボイラー": 12.0}), "1項目だけのパレート図")
    render(fig)
    assert len(fig.axes[0].patches) == 1


@pytest.mark.parametrize("levers", [{}, {"less": {"電力": 0.2}}, {"lower": {"電力": 0.5}},
                                    {"less": {"A重油": 0.3}, "lower": {"電力": 0.5}}])
def test_co2_area_chart(a_sha, levers):
    em25, _ = a_sha
    fig = make(co2_area_chart, em25, **levers)
    render(fig)
    check_texts(fig)
    ax = fig.axes[0]
    assert "GJ" in ax.get_xlabel() and "t-CO2/GJ" in ax.get_ylabel()
    rects = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]
    co2 = em25.groupby("energy_ja")["co2_t"].sum()
    filled = [r for r in rects if mcolors.to_hex(r.get_facecolor()[:3]) != "#ffffff"]
    areas = sorted(r.get_width() * r.get_height() for r in filled)
    if not levers:
        assert areas == pytest.approx(sorted(co2.tolist()))  # area = CO2
    else:
        from cnkit.calculate.area import co2_area

        after = co2_area(em25, **levers)["co2_after"]
        assert areas == pytest.approx(sorted(after.tolist()))
        outlines = [r for r in rects if mcolors.to_hex(r.get_facecolor()[:3]) == "#ffffff"]
        assert sorted(r.get_width() * r.get_height() for r in outlines) == pytest.approx(sorted(co2.tolist()))
    assert_no_overlap(fig)


@pytest.mark.parametrize("by_site", [False, True])
def test_reconciliation_chart(a_sha, by_site):
    em25, est = a_sha
    rec = reconcile(em25, est, by_site=by_site)
    fig = make(reconciliation_chart, rec)
    render(fig)
    check_texts(fig)
    ax = fig.axes[0]
    n = len(rec)
    widths = [p.get_width() for p in ax.patches]
    explained, unexplained = widths[:n], widths[n:2 * n]
    assert [e + u for e, u in zip(explained, unexplained)] == pytest.approx([100] * n)
    assert sorted(unexplained) == pytest.approx(sorted((rec["unexplained_share"] * 100).tolist()))
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith(f"未把握 {rec['unexplained_share'].iloc[0]:.1%}") for t in texts)
    assert_no_overlap(fig)


def test_reconciliation_chart_when_the_list_estimates_more():
    rec = pd.DataFrame({"energy": ["city_gas"], "unit": ["千m³"], "billed": [0.8], "estimated": [1.0], "gap": [-0.2],
                        "unexplained_share": [-0.25]}, index=pd.Index(["都市ガス"], name="energy_ja"))
    fig = make(reconciliation_chart, rec)
    render(fig)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("推計が 25.0% 多い" in t for t in texts)
    assert sum(p.get_width() for p in fig.axes[0].patches) == pytest.approx(100 + 25)
