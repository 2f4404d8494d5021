"""cnkit.show.economics (MAC chart, cumulative cash flow) and cnkit.interact.subsidy (the calculator widget)."""

from __future__ import annotations

import io
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import cnkit  # noqa: E402
from cnkit.calculate import economics as ec  # noqa: E402
from cnkit.calculate import subsidies as sb  # noqa: E402
from cnkit.interact import subsidy as si  # noqa: E402
from cnkit.show import economics as se  # noqa: E402

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
UNIT = re.compile(r"（[^（）]*(円|t-CO2|年)[^（）]*）")


def render(fig: Figure) -> None:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # e.g. "Glyph ... missing from font" fails
        fig.savefig(buf, format="png", dpi=80)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(data))
    assert img.shape[0] > 100 and img.shape[1] > 100
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 10


def texts(fig: Figure) -> None:
    ax = fig.axes[0]
    for text in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()):
        assert JAPANESE.search(text), text
        assert UNIT.search(text) or text == ax.get_title(), text


@pytest.fixture(scope="module")
def mac() -> pd.DataFrame:
    t = pd.DataFrame({
        "name_ja": ["待機時の停止", "LED化", "空調の更新", "太陽光発電"],
        "investment_yen": [0.0, 2_790_000.0, 16_800_000.0, 16_950_000.0],
        "lifetime_years": [float("nan"), 12.0, 15.0, 20.0],
        "annual_saving_yen": [267_300.0, 990_602.0, 1_055_697.0, 3_917_160.0],
        "reduction_t": [4.2, 15.4, 16.5, 61.1],
    }, index=["idle", "led", "aircon", "pv"])
    return ec.mac_table(t, rate=0.03)


def test_mac_chart(mac):
    open_before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = se.mac_chart(mac, title="A社の限界削減費用曲線")
    render(fig)
    texts(fig)
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    assert len(bars) == len(mac)
    # bars: left edge = cumulative start, width = reduction, height = cost per t, cheapest first
    for bar, (_, r) in zip(bars, mac.iterrows()):
        assert bar.get_x() == pytest.approx(r["start_t"])
        assert bar.get_width() == pytest.approx(r["reduction_t"])
        assert bar.get_height() == pytest.approx(r["mac_yen_per_t"])
    heights = [b.get_height() for b in bars]
    assert heights == sorted(heights) and heights[0] < 0 < heights[-1]
    colours = {tuple(b.get_facecolor()[:3]) for b in bars}
    assert len(colours) == 2                                      # saves money / costs money
    assert any(line.get_ydata()[0] == 0 for line in ax.get_lines())   # zero line
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("①") and "待機時の停止" in legend[0] and "円/t" in legend[0]
    assert "t-CO2" in ax.get_xlabel() and "円/t-CO2" in ax.get_ylabel()
    assert plt.get_fignums() == open_before


def test_cashflow_chart():
    fig = se.cashflow_chart(16_800_000, 1_055_697, 15, subsidy=6_500_000, title="空調の更新 累積キャッシュフロー")
    render(fig)
    texts(fig)
    ax = fig.axes[0]
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) == 16]
    assert len(curves) == 2
    without, with_sub = (line.get_ydata() for line in curves)
    assert without[0] == -16_800_000 and with_sub[0] == -10_300_000
    assert without[-1] == pytest.approx(-16_800_000 + 15 * 1_055_697)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "回収できない" in labels[0]                               # 15.9 years > 15-year life
    assert f"{10_300_000 / 1_055_697:.1f}年" in labels[1]
    only = se.cashflow_chart(2_790_000, 990_602, 12)
    assert len([line for line in only.axes[0].get_lines() if len(line.get_xdata()) == 13]) == 1


def test_chart_errors():
    with pytest.raises(cnkit.CnkitError):
        se.mac_chart("not a table")
    with pytest.raises(cnkit.CnkitError, match="lifetime"):
        se.cashflow_chart(1_000, 100, 0)


# ------------------------------------------------------------------------------------------
# the subsidy calculator widget
FLYER = dict(cost_yen=3_600_000, kw=10, crude_oil_kl=260, vehicles=13)


def plain(html_text: str) -> str:
    return re.sub(r"<[^>]+>", " ", html_text)


def test_flyer_pv_example_in_the_widget():
    calc = si.subsidy_calculator("神奈川県川崎市", "pv", **FLYER)
    shown = plain(calc.result.value)
    assert "⚠" not in shown
    assert "1,300,000 円" in shown                 # Kawasaki
    assert "併用した合計: 2,100,000 円" in shown      # with Kanagawa
    assert "1,500,000 円" in shown                 # net cost


def test_widget_reacts_to_its_boxes():
    calc = si.subsidy_calculator("神奈川県川崎市", "pv")
    assert "対象経費" in calc.result.value and "⚠" in calc.result.value   # no cost yet: a message, no table
    calc.cost.value = "３，６００，０００"                              # full-width, as typed in Japanese
    calc.kw.value = "10"
    calc.crude_kl.value = "260"
    calc.vehicles.value = "13"
    assert "併用した合計: 2,100,000 円" in plain(calc.result.value)
    calc.saving.value = "300000"
    shown = plain(calc.result.value)
    assert "補助金なし 12.0 年" in shown and "補助金あり 5.0 年" in shown
    calc.certified.value = False
    shown = plain(calc.result.value)
    assert "脱炭素経営アクション推進事業者" in shown and "併用した合計: 800,000 円" in shown
    calc.certified.value = True
    calc.region.value = ("神奈川県", "神奈川県の川崎市以外")
    assert "川崎市内" in plain(calc.result.value)
    calc.region.value = ("神奈川県", "川崎市")
    calc.equipment.value = "air_conditioner"
    calc.cost.value = "1,200,000"
    calc.kw.value = ""
    assert "併用した合計: 700,000 円" in plain(calc.result.value)


@pytest.mark.parametrize("box, text, words", [
    ("cost", "abc", ["対象経費", "abc"]),
    ("cost", "-5", ["cost_yen", "-5"]),
    ("kw", "十", ["出力", "十"]),
    ("self_consumption", "80", ["百分率"]),
    ("vehicles", "2.5", ["vehicles"]),
    ("saving", "1,2,3", ["年間の削減額"]),
])
def test_bad_input_shows_a_japanese_message(box, text, words):
    calc = si.subsidy_calculator("神奈川県川崎市", "pv", **FLYER)
    before = getattr(calc, box).value
    getattr(calc, box).value = text                 # must not raise
    msg = calc.result.value
    assert "⚠" in msg and "Traceback" not in msg and "併用した合計" not in msg
    for word in words:
        assert word in msg
    getattr(calc, box).value = before               # fixed again → the result is back
    assert "併用した合計: 2,100,000 円" in plain(calc.result.value)


def test_every_number_box_is_labelled_with_its_unit():
    calc = si.subsidy_calculator("神奈川県川崎市", "pv", **FLYER)
    rows = {}

    def walk(widget):
        children = getattr(widget, "children", ())
        labels = [c.value for c in children if isinstance(c, si.w.Label)]
        for c in children:
            if isinstance(c, si.w.Text):
                rows[c.model_id] = labels
            walk(c)
    walk(calc)
    units = {"cost": "円", "kw": "kW", "battery_kwh": "kWh", "battery_cost": "円", "crude_kl": "kL",
             "vehicles": "台", "saving": "円/年", "self_consumption": "0〜1"}
    for name, unit in units.items():
        labels = " ".join(rows[getattr(calc, name).model_id])
        assert unit in labels, (name, labels)


def test_widget_holds_no_arithmetic(monkeypatch):
    """The widget shows what subsidy_report returns (here a stub) — it computes nothing itself."""
    real = sb.subsidy_report(dict(equipment="pv", cost_yen=3_600_000, kw=10), sb.CompanyFacts(
        prefecture="神奈川県", city="川崎市", sme=True, crude_oil_kl=260, vehicles=13, kawasaki_certified=True))
    fake_combo = sb.Combination(["kawasaki_eco"], ["川崎市 市内事業者エコ化支援補助金"], {"kawasaki_eco": 123_456},
                                123_456, 3_600_000, 7_654_321, [])
    calls = []

    def stub(project, company, saving):
        calls.append((project, company, saving))
        return sb.SubsidyReport(real.results, fake_combo, 9.87, 6.54)
    monkeypatch.setattr(si.sb, "subsidy_report", stub)
    calc = si.subsidy_calculator("神奈川県川崎市", "pv", annual_saving_yen=300_000, **FLYER)
    shown = plain(calc.result.value)
    assert "123,456 円" in shown and "7,654,321 円" in shown and "9.9 年" in shown and "6.5 年" in shown
    project, company, saving = calls[-1]
    assert (project.equipment, project.cost_yen, project.kw, saving) == ("pv", 3_600_000, 10, 300_000)
    assert (company.city, company.crude_oil_kl, company.vehicles) == ("川崎市", 260, 13)


def test_inert_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    widget = si.subsidy_calculator("神奈川県川崎市", "pv", **FLYER)
    assert isinstance(widget, si.w.HTML) and "採点中" in widget.value


def test_bad_arguments_are_japanese_errors():
    with pytest.raises(cnkit.CnkitError, match="地域"):
        si.subsidy_calculator("大阪府", "pv")
    with pytest.raises(cnkit.CnkitError, match="設備の種類"):
        si.subsidy_calculator("神奈川県川崎市", "solar")
    with pytest.raises(cnkit.CnkitError, match="employees"):
        si.subsidy_calculator("神奈川県川崎市", "pv", employees=48)
