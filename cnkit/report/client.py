"""What the client takes home: an Excel workbook and a PDF report of a few A4 pages (report layer).

Both are built from the results of :mod:`cnkit.calculate.client` only (no calculation here).
The workbook is the roadmap in the Kyoto template layout (:func:`cnkit.report.roadmap.write_excel`)
plus the bills as read, the CO2 results, the measures with their subsidies and the factors used.
The PDF is drawn with matplotlib's PDF backend (``PdfPages``, A4 portrait) with the TrueType
Japanese font embedded (``pdf.fonttype`` 42); charts are placed as 200 dpi images.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import matplotlib
import pandas as pd

from . import roadmap as report
from .roadmap import TCO2_FORMAT, YEN_FORMAT

A4_INCHES = (8.27, 11.69)
CHART_DPI = 200
NOTE_JA = ("この報告書の数値は、請求書の使用量に講座の係数の表（年度・出典は「係数と出典」）を掛けた Scope 1・2 の試算です。"
           "Scope 3（取引先・通勤・廃棄物など）は含みません。対策の削減量・費用は目安（rules_of_thumb.csv の経験則と講座の仮定）で、"
           "導入の前に見積もりと現地の確認が必要です。補助金は講座のデータにある制度の判定で、公募の時期・予算・最新の要綱を必ず確かめてください。"
           "空欄の月は推計で埋めていません（その年度の値は入っている月の合計です）。")
KWH_CELL = '#,##0" kWh"'


def _frame_rows(ws, df: pd.DataFrame, formats: dict | None = None, start: int = 1) -> None:
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", fgColor="DDE7F0")
    for c, name in enumerate(df.columns, start=1):
        cell = ws.cell(start, c, str(name))
        cell.font, cell.fill = Font(bold=True), fill
        ws.column_dimensions[cell.column_letter].width = max(12, min(40, 2 * len(str(name)) + 2))
    for r, row in enumerate(df.itertuples(index=False), start=start + 1):
        for c, (name, v) in enumerate(zip(df.columns, row), start=1):
            if isinstance(v, pd.Timestamp):
                v = v.to_pydatetime()
            elif v is not None and not isinstance(v, str) and pd.isna(v):
                v = None
            cell = ws.cell(r, c, v)
            if formats and name in formats:
                cell.number_format = formats[name]


def bills_sheet_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The bills as read, with Japanese headers (one row per site × energy × month)."""
    return pd.DataFrame({"拠点": table["site"], "エネルギー": table["energy_ja"],
                         "使用月": table["month"].dt.strftime("%Y年%m月"), "年度": table["fiscal_year"],
                         "使用量": table["usage"], "単位": table["unit"], "請求金額（円）": table["charge_yen"],
                         "ファイル": table["file"], "行": table["row"]})


def co2_frame(result: dict) -> pd.DataFrame:
    """CO2 of the base year by site and energy (t-CO2, kL), with the months each total covers."""
    b = result["base"]
    t = b.groupby(["site", "energy_ja", "scope"], sort=False)[["usage", "co2_t", "crude_kl"]].sum().reset_index()
    months = result["months"]
    t["月数"] = [int(months.get((s, e), 0)) for s, e in zip(t["site"], t["energy_ja"])]
    t["unit"] = [b.loc[(b["site"] == s) & (b["energy_ja"] == e), "unit"].iloc[0] for s, e in zip(t["site"], t["energy_ja"])]
    t = t.rename(columns={"site": "拠点", "energy_ja": "エネルギー", "scope": "Scope", "usage": "使用量", "unit": "単位",
                          "co2_t": "CO2（t-CO2）", "crude_kl": "原油換算（kL）"})
    return t[["拠点", "エネルギー", "Scope", "使用量", "単位", "月数", "CO2（t-CO2）", "原油換算（kL）"]]


def factors_frame(result: dict) -> pd.DataFrame:
    f = result["factors"]
    return pd.DataFrame({"エネルギー": f["energy_ja"], "単位": f["unit"], "排出係数（t-CO2/単位）": f["co2_t_per_unit"],
                         "発熱量（GJ/単位）": f["gj_per_unit"], "出典": f["factor_source"]})


def write_excel(path, facts, result: dict, measures: pd.DataFrame, rm, bills_table: pd.DataFrame) -> Path:
    """The client's workbook: ロードマップ (Kyoto template) and its sheets, then 請求書, CO2の結果, 打ち手と補助金, 係数と出典."""
    from openpyxl import load_workbook

    p = report.write_excel(rm, path)
    wb = load_workbook(p)
    ws = wb.create_sheet("CO2の結果")
    ws["A1"] = f"{facts.name} {result['fiscal_year']}年度の CO2 排出量（Scope 1＋2）"
    ws["A2"], ws["B2"] = "合計", result["total_t"]
    ws["A3"], ws["B3"] = "Scope 1", result["scope1_t"]
    ws["A4"], ws["B4"] = "Scope 2", result["scope2_t"]
    ws["A5"], ws["B5"] = "原油換算（kL）", result["crude_kl"]
    for c in ("B2", "B3", "B4"):
        ws[c].number_format = TCO2_FORMAT
    ws["B5"].number_format = '#,##0.0" kL"'
    _frame_rows(ws, co2_frame(result), {"CO2（t-CO2）": TCO2_FORMAT, "使用量": "#,##0.000"}, start=7)
    _frame_rows(wb.create_sheet("打ち手と補助金"), measures.reset_index(drop=True),
                {"削減額（円/年）": YEN_FORMAT, "投資額（円）": YEN_FORMAT, "補助金（円）": YEN_FORMAT,
                 "CO2削減（t-CO2/年）": TCO2_FORMAT, "電力の増減（kWh/年）": KWH_CELL, "回収年数（年）": "0.0"})
    _frame_rows(wb.create_sheet("請求書（読み込んだもの）"), bills_sheet_frame(bills_table),
                {"請求金額（円）": YEN_FORMAT, "使用量": "#,##0.000"})
    _frame_rows(wb.create_sheet("係数と出典"), factors_frame(result))
    wb.save(p)
    return p


def _text_page(pdf, title: str, lines: list[str], image: bytes | None = None, image_height: float = 0.45) -> None:
    from matplotlib.figure import Figure
    import matplotlib.image as mpimg

    fig = Figure(figsize=A4_INCHES)
    fig.text(0.07, 0.95, title, fontsize=16, va="top")
    y = 0.91
    for line in lines:
        fig.text(0.07, y, line, fontsize=9.5, va="top", wrap=True)
        y -= 0.022 * (1 + line.count("\n"))
    if image is not None:
        ax = fig.add_axes((0.05, max(0.03, y - image_height - 0.01), 0.9, image_height))
        ax.imshow(mpimg.imread(io.BytesIO(image), format="png"))
        ax.set_axis_off()
    pdf.savefig(fig)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=CHART_DPI)
    return buf.getvalue()


def _wrap(text: str, width: int = 52) -> str:
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def write_pdf(path, facts, result: dict, measures: pd.DataFrame, rm, missing: list[str], *,
              today: dt.date | None = None) -> Path:
    """The client's PDF report (A4): summary, CO2 charts, Pareto, measures and subsidies, roadmap, factors and note."""
    from matplotlib.backends.backend_pdf import PdfPages

    from ..calculate.client import pareto
    from ..show.emissions import co2_by_energy_chart, monthly_chart
    from ..show.roadmap import roadmap_chart
    from ..show.visualize import pareto_chart

    p = Path(path)
    fy = result["fiscal_year"]
    today = today or dt.date.today()
    by_year = result["by_year"]["co2_t"]
    yoy = [f"{y}年度: {v:,.1f} t-CO2" for y, v in by_year.items()]
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(p, metadata={"Title": f"{facts.name} CO2 排出量の報告"}) as pdf:
        lines = [f"会社: {facts.name}（{facts.prefecture}{facts.city}、{facts.sector or '業種の入力なし'}、従業員 {facts.employees} 人）",
                 f"作成日: {today:%Y年%m月%d日}    基準年度: {fy}年度（係数は {fy}年度に使う値）",
                 f"CO2 排出量（Scope 1＋2）合計: {result['total_t']:,.1f} t-CO2",
                 f"  Scope 1: {result['scope1_t']:,.1f} t-CO2    Scope 2: {result['scope2_t']:,.1f} t-CO2",
                 f"原油換算エネルギー使用量: {result['crude_kl']:,.1f} kL",
                 "年度別（同じ係数で比較）: " + "、".join(yoy)]
        lines += [_wrap("欠けている月: " + m) for m in missing] or ["欠けている月: なし"]
        for _, r in result["by_energy"].iterrows():
            lines.append(f"  {r.name}: {r['co2_t']:,.1f} t-CO2（原油換算 {r['crude_kl']:,.1f} kL）")
        _text_page(pdf, "CO2 排出量の報告", lines, _png(co2_by_energy_chart(result["base"])), 0.4)
        _text_page(pdf, "月別の排出量とパレート図", [f"{fy}年度の月別（エネルギー別）と、拠点・エネルギー別の大きい順"],
                   _png(monthly_chart(result["em"], fy)), 0.4)
        _text_page(pdf, "どこから減らすか（パレート図）", ["累積80%までの項目から優先して検討します。"],
                   _png(pareto_chart(pareto(result), "拠点・エネルギー別のCO2")), 0.45)
        mlines = []
        for _, r in measures.iterrows():
            pay = "—" if pd.isna(r["回収年数（年）"]) else f"{r['回収年数（年）']:.1f} 年"
            mlines.append(_wrap(f"・{r['対策']}: CO2 {r['CO2削減（t-CO2/年）']:,.1f} t-CO2/年、削減額 {r['削減額（円/年）']:,.0f} 円/年、"
                                f"投資 {r['投資額（円）']:,.0f} 円、補助金 {r['補助金（円）']:,.0f} 円（{r['使える補助金'] or '対象外'}）、回収 {pay}"))
        _text_page(pdf, "打ち手と補助金", mlines)
        k = rm.key_figures()
        _text_page(pdf, f"ロードマップ（{rm.years[0]}〜{rm.years[-1]}年度）",
                   [f"{k['last_fy']}年度の排出量: {k['emissions_last_t']:,.1f} t-CO2（基準年度比 {k['reduction_rate_last']:.1%} 削減）",
                    f"投資額の合計: {k['investment_total_yen']:,.0f} 円、補助金の合計: {k['subsidy_total_yen']:,.0f} 円、"
                    f"{k['last_fy']}年度末の累積キャッシュフロー: {k['cumulative_cash_flow_last_yen']:,.0f} 円"],
                   _png(roadmap_chart(rm)), 0.8)
        flines = [_wrap(f"・{r['エネルギー']}: {r['排出係数（t-CO2/単位）']:.6g} t-CO2/{r['単位']}（{r['出典']}）")
                  for _, r in factors_frame(result).iterrows()]
        _text_page(pdf, "係数と出典、この報告書の範囲", flines + ["", _wrap(NOTE_JA)])
    return p
