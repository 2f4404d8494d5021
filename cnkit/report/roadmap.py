"""The roadmap for the client: an Excel workbook in the template's layout and a one-page summary.

:func:`write_excel` writes three sheets:

- 「ロードマップ」 — the template of seed 001 (環境省「中小事業者のための脱炭素経営ハンドブック」): one row per
  measure (取組・分類・実施年度, the phase 導入／工事／運用 in each plan year, t-CO2 per year, investment,
  energy-cost change, other costs, subsidy), then the yearly rows (reduction, offsets, emissions, cash flow,
  cumulative cash flow) under the year columns;
- 「年度別の数値」 — one row per fiscal year (base year first) with every figure of ``Roadmap.yearly`` and
  the target paths;
- 「目標と前提」 — the targets and the first year each is met, the calculation conventions and the sources.

:func:`write_summary` writes a one-page summary for disclosure as Markdown (``.md``) or HTML (``.html``; a
figure, e.g. ``cnkit.show.roadmap.roadmap_chart(rm)``, may be embedded). Numbers are the Roadmap's; nothing
is recalculated here. Yen are written with the Japanese "△" for negative amounts.
"""

from __future__ import annotations

import base64
import html
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from ..errors import CnkitError

SHEETS = ("ロードマップ", "年度別の数値", "目標と前提")
#: Excel number formats (positive; negative with △; zero)
YEN_FORMAT = '#,##0"円";"△"#,##0"円";0"円"'
TCO2_FORMAT = '#,##0.0" t-CO2";"△"#,##0.0" t-CO2";0.0" t-CO2"'
KWH_FORMAT = '#,##0" kWh"'
SHARE_FORMAT = "0.0%"
FY_FORMAT = '0"年度"'
PHASE_FILLS = {"導入": "56B4E9", "工事": "E69F00", "運用": "009E73"}

#: Roadmap.yearly column → (Japanese header, Excel format)
YEARLY_HEADERS = {
    "emissions_t": ("排出量（t-CO2、オフセット前）", TCO2_FORMAT),
    "scope1_t": ("Scope 1（t-CO2）", TCO2_FORMAT),
    "scope2_t": ("Scope 2（t-CO2）", TCO2_FORMAT),
    "reduction_t": ("削減量（t-CO2、基準年度比）", TCO2_FORMAT),
    "reduction_rate": ("削減率（基準年度比）", SHARE_FORMAT),
    "offset_t": ("オフセット（t-CO2）", TCO2_FORMAT),
    "net_emissions_t": ("オフセット後の排出量（t-CO2）", TCO2_FORMAT),
    "purchased_kwh": ("買電量（kWh）", KWH_FORMAT),
    "investment_yen": ("投資額（円）", YEN_FORMAT),
    "subsidy_yen": ("補助金（円）", YEN_FORMAT),
    "energy_cost_change_yen": ("光熱費・燃料費の増減（円）", YEN_FORMAT),
    "running_cost_change_yen": ("その他の費用の増減（円）", YEN_FORMAT),
    "net_cash_flow_yen": ("キャッシュフロー（円）", YEN_FORMAT),
    "cumulative_cash_flow_yen": ("累積キャッシュフロー（円）", YEN_FORMAT),
}


def _need_roadmap(rm) -> None:
    if not all(hasattr(rm, a) for a in ("yearly", "measures", "targets", "template", "years")):
        raise CnkitError("build_roadmap の結果（ロードマップ）を渡してください。")


def _target_path(path, suffixes: tuple[str, ...]) -> Path:
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise CnkitError(f"書き出すファイル名（path）に「{path!r}」は使えません。例: \"a_sha_roadmap{suffixes[0]}\"")
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise CnkitError(f"ファイル名「{p.name}」の拡張子は {' か '.join(suffixes)} にしてください。")
    if not p.parent.exists():
        raise CnkitError(f"フォルダ「{p.parent}」がありません。先にフォルダを作るか、別の場所を指定してください。")
    return p


def _save(write, p: Path) -> Path:
    try:
        write(p)
    except PermissionError:
        raise CnkitError(f"「{p}」に書き込めません。Excel などで開いていたら閉じてから、もう一度実行してください。") from None
    except OSError as exc:
        raise CnkitError(f"「{p}」に書き込めませんでした（{exc.strerror or exc}）。") from None
    return p


def yen_text(value: float) -> str:
    """Yen as the client reads them: 1,234円, △1,234円 for a negative amount."""
    v = round(float(value))
    return f"△{-v:,}円" if v < 0 else f"{v:,}円"


def _met_text(value) -> str:
    return "計画期間内は未達" if pd.isna(value) else f"{int(value)}年度"


# ------------------------------------------------------------------------------------------
# Excel
def write_excel(rm, path) -> Path:
    """Write the roadmap as an Excel workbook (sheets: ロードマップ, 年度別の数値, 目標と前提); returns the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    _need_roadmap(rm)
    p = _target_path(path, (".xlsx",))
    head_fill = PatternFill("solid", fgColor="DDE7F0")
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    center = Alignment(horizontal="center", vertical="center")
    years = list(rm.years)

    wb = Workbook()
    wb.properties.title = f"{rm.company_name} 排出量削減ロードマップ"
    wb.properties.creator = "cnkit（中小企業のカーボンニュートラル支援 実践講座）"
    # --- sheet 1: the template
    ws = wb.active
    ws.title = SHEETS[0]
    ws["A1"] = f"{rm.company_name} 排出量削減ロードマップ（{years[0]}〜{years[-1]}年度）"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"], ws["B2"] = "基準年度", rm.base_fy
    ws["B2"].number_format = FY_FORMAT
    ws["D2"], ws["E2"] = "基準年度の排出量（Scope 1＋2）", rm.base_t
    ws["E2"].number_format = TCO2_FORMAT
    t = rm.template()
    header_row = 4
    formats = {"実施年度": FY_FORMAT, "排出削減量（t-CO2/年）": TCO2_FORMAT, "オフセット（t-CO2/年）": TCO2_FORMAT}
    for c, name in enumerate(t.columns, start=1):
        cell = ws.cell(header_row, c, name)
        cell.font, cell.fill, cell.alignment, cell.border = bold, head_fill, wrap, box
    year_cols = {f"{fy}年度": fy for fy in years}
    for r, (_, row) in enumerate(t.iterrows(), start=header_row + 1):
        for c, name in enumerate(t.columns, start=1):
            value = row[name]
            value = value.item() if hasattr(value, "item") else value
            cell = ws.cell(r, c, value)
            cell.border = box
            if name in year_cols:
                cell.alignment = center
                if value in PHASE_FILLS:
                    cell.fill = PatternFill("solid", fgColor=PHASE_FILLS[value])
            elif name in formats:
                cell.number_format = formats[name]
            elif name.endswith("（円）") or name.endswith("（円/年）"):
                cell.number_format = YEN_FORMAT
    totals = rm.template_totals()
    first_total = header_row + len(t) + 2
    year_index = {name: list(t.columns).index(name) + 1 for name in year_cols}
    for r, (label, row) in enumerate(totals.iterrows(), start=first_total):
        ws.cell(r, 1, label).font = bold
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        fmt = YEN_FORMAT if "円" in label else TCO2_FORMAT
        for name, col in year_index.items():
            cell = ws.cell(r, col, float(row[name]))
            cell.number_format, cell.border = fmt, box
    note = first_total + len(totals) + 1
    ws.cell(note, 1, "計算の約束").font = bold
    for k, line in enumerate(rm.convention_ja.splitlines(), start=1):
        ws.cell(note + k, 1, line)
    ws.cell(note + k + 1, 1, f"出典・前提: {rm.source_ja}")
    widths = {"取組": 40, "分類": 14, "実施年度": 10}
    for c, name in enumerate(t.columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths.get(name, 10 if name in year_cols else 18)
    ws.row_dimensions[header_row].height = 42
    ws.freeze_panes = ws.cell(header_row + 1, 2)

    # --- sheet 2: yearly figures
    ws = wb.create_sheet(SHEETS[1])
    y = rm.yearly
    heads = [("年度", FY_FORMAT)] + [YEARLY_HEADERS[c] for c in y.columns if c in YEARLY_HEADERS]
    cols = [c for c in y.columns if c in YEARLY_HEADERS]
    paths = [(k, f"{rm.targets.loc[k, 'short_ja']}の道筋（t-CO2）") for k in rm.target_paths.columns]
    heads += [(name, TCO2_FORMAT) for _, name in paths]
    for c, (name, _) in enumerate(heads, start=1):
        cell = ws.cell(1, c, name)
        cell.font, cell.fill, cell.alignment, cell.border = bold, head_fill, wrap, box
        ws.column_dimensions[get_column_letter(c)].width = 12 if c == 1 else 18
    for r, fy in enumerate(y.index, start=2):
        values = [int(fy)] + [float(y.at[fy, c]) for c in cols] + [float(rm.target_paths.at[fy, k]) for k, _ in paths]
        for c, (value, (_, fmt)) in enumerate(zip(values, heads), start=1):
            cell = ws.cell(r, c, value)
            cell.number_format, cell.border = fmt, box
    ws.cell(len(y) + 3, 1, f"{rm.base_fy}年度は基準年度（対策の前）。キャッシュフローの累積は基準年度を 0 として数えます。")
    ws.row_dimensions[1].height = 42
    ws.freeze_panes = "B2"

    # --- sheet 3: targets and assumptions
    ws = wb.create_sheet(SHEETS[2])
    heads = [("目標", None), ("目標年度", FY_FORMAT), ("目標の排出量（t-CO2）", TCO2_FORMAT),
             ("基準年度比の削減率", SHARE_FORMAT), ("初めて達成する年度", None), ("出典", None)]
    for c, (name, _) in enumerate(heads, start=1):
        cell = ws.cell(1, c, name)
        cell.font, cell.fill, cell.alignment, cell.border = bold, head_fill, wrap, box
    for r, (_, tr) in enumerate(rm.targets.iterrows(), start=2):
        met = tr["first_year_met"]
        values = [tr["name_ja"], int(tr["target_fy"]), float(tr["target_t"]), float(tr["reduction_vs_base"]),
                  "計画期間内は未達" if pd.isna(met) else int(met), tr["source_ja"]]
        for c, (value, (_, fmt)) in enumerate(zip(values, heads), start=1):
            cell = ws.cell(r, c, value)
            cell.border = box
            if fmt:
                cell.number_format = fmt
            if c == 5 and not pd.isna(met):
                cell.number_format = FY_FORMAT
    r = len(rm.targets) + 3
    ws.cell(r, 1, "目標の判定は、オフセット前の排出量（Scope 1＋2）で行います。").font = bold
    ws.cell(r + 2, 1, "計算の約束").font = bold
    for k, line in enumerate(rm.convention_ja.splitlines(), start=1):
        ws.cell(r + 2 + k, 1, line)
    ws.cell(r + 3 + k, 1, f"出典・前提: {rm.source_ja}")
    for c, width in zip("ABCDEF", (48, 10, 18, 16, 18, 60)):
        ws.column_dimensions[c].width = width
    buf = io.BytesIO()
    wb.save(buf)
    data = _reproducible_xlsx(buf.getvalue())
    return _save(lambda q: q.write_bytes(data), p)


def _reproducible_xlsx(data: bytes) -> bytes:
    """The same workbook bytes for the same roadmap: no save time in docProps/core.xml, fixed zip entry times.

    (openpyxl stamps the time of saving; the course build compares generated files byte for byte.)"""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", content)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), content,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ------------------------------------------------------------------------------------------
# one-page summary
def _t(value: float) -> str:
    return f"{value:,.1f} t-CO2"


def _facts(rm) -> dict:
    y = rm.yearly
    k = rm.key_figures()
    last = k["last_fy"]
    return {
        "title": f"{rm.company_name} 脱炭素ロードマップの概要（{rm.years[0]}〜{last}年度）",
        "bullets": [
            f"基準年度: {rm.base_fy}年度（Scope 1＋2: {_t(rm.base_t)}。"
            f"Scope 1 {_t(y.at[rm.base_fy, 'scope1_t'])}、Scope 2 {_t(y.at[rm.base_fy, 'scope2_t'])}）",
            f"{last}年度の見通し: {_t(k['emissions_last_t'])}（基準年度比 {k['reduction_rate_last']:.1%} 削減）。"
            f"オフセット後の報告値: {_t(k['net_emissions_last_t'])}",
            f"投資額の合計（{rm.years[0]}〜{last}年度）: {yen_text(k['investment_total_yen'])}"
            f"（補助金 {yen_text(k['subsidy_total_yen'])} を別に受け取る）",
            f"{last}年度末の累積キャッシュフロー: {yen_text(k['cumulative_cash_flow_last_yen'])}",
        ],
        "targets": [[r["name_ja"], f"{int(r['target_fy'])}年度", _t(r["target_t"]), _met_text(r["first_year_met"])]
                    for _, r in rm.targets.iterrows()],
        "target_head": ["目標", "目標年度", "目標の排出量", "初めて達成する年度"],
        "measures": [[f"{int(m['start_fy'])}年度", m["name_ja"], m["category"], f"{int(m['operation_fy'])}年度",
                      f"{m['reduction_t']:,.1f}" if m["offset_t"] == 0 else f"（オフセット {m['offset_t']:,.1f}）",
                      yen_text(m["investment_yen"])]
                     for _, m in rm.measures.sort_values(["start_fy", "operation_fy"], kind="stable").iterrows()],
        "measure_head": ["実施年度", "取組", "分類", "運用開始", "排出削減量（t-CO2/年）", "投資額"],
        "yearly": [[f"{fy}年度" + ("（基準）" if fy == rm.base_fy else ""), f"{r['emissions_t']:,.1f}",
                    f"{r['reduction_t']:,.1f}", f"{r['offset_t']:,.1f}", yen_text(r["net_cash_flow_yen"]),
                    yen_text(r["cumulative_cash_flow_yen"])] for fy, r in y.iterrows()],
        "yearly_head": ["年度", "排出量（t-CO2）", "削減量（t-CO2）", "オフセット（t-CO2）", "キャッシュフロー",
                        "累積キャッシュフロー"],
        "notes": [line.lstrip("・") for line in rm.convention_ja.splitlines()] + [f"出典・前提: {rm.source_ja}"],
    }


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c).replace("|", "｜") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(rm) -> str:
    """The one-page summary as Markdown text."""
    _need_roadmap(rm)
    f = _facts(rm)
    parts = [f"# {f['title']}", "\n".join(f"- {b}" for b in f["bullets"]),
             "## 目標と達成の見通し", _md_table(f["target_head"], f["targets"]),
             "## 取組の予定", _md_table(f["measure_head"], f["measures"]),
             "## 年度ごとの排出量とキャッシュフロー", _md_table(f["yearly_head"], f["yearly"]),
             "## 計算の約束と前提", "\n".join(f"- {n}" for n in f["notes"])]
    return "\n\n".join(parts) + "\n"


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(rm, figure=None) -> str:
    """The one-page summary as a standalone HTML page; ``figure`` (a matplotlib Figure) is embedded as PNG."""
    _need_roadmap(rm)
    f = _facts(rm)
    img = ""
    if figure is not None:
        if not hasattr(figure, "savefig"):
            raise CnkitError("figure には図（cnkit.show.roadmap.roadmap_chart などの結果）を渡してください。")
        buf = io.BytesIO()
        figure.savefig(buf, format="png", dpi=80)
        img = (f"<img alt='{html.escape(f['title'])}' style='max-width:100%' "
               f"src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode('ascii')}'>")
    style = ("body{font-family:'Hiragino Sans','Yu Gothic','IPAexGothic',sans-serif;max-width:900px;margin:2em auto;"
             "font-size:11pt}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;padding:2px 6px}"
             "th{background:#dde7f0}h1{font-size:16pt}h2{font-size:13pt;margin-top:1.2em}")
    body = [f"<h1>{html.escape(f['title'])}</h1>",
            "<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in f["bullets"]) + "</ul>",
            "<h2>目標と達成の見通し</h2>", _html_table(f["target_head"], f["targets"]),
            "<h2>取組の予定</h2>", _html_table(f["measure_head"], f["measures"]), img,
            "<h2>年度ごとの排出量とキャッシュフロー</h2>", _html_table(f["yearly_head"], f["yearly"]),
            "<h2>計算の約束と前提</h2>", "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in f["notes"]) + "</ul>"]
    return (f"<!DOCTYPE html>\n<html lang='ja'><head><meta charset='utf-8'><title>{html.escape(f['title'])}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(b for b in body if b) + "\n</body></html>\n")


def write_summary(rm, path, figure=None) -> Path:
    """Write the one-page summary: Markdown for ``.md``, HTML for ``.html`` (``figure`` embedded); returns the path."""
    _need_roadmap(rm)
    p = _target_path(path, (".md", ".html"))
    text = summary_markdown(rm) if p.suffix.lower() == ".md" else summary_html(rm, figure)
    return _save(lambda q: q.write_text(text, encoding="utf-8"), p)
