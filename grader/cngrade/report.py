"""Grade sheets and summaries: CSV, a formatted Excel workbook, a table on the terminal, and a
feedback page per trainee. Headers are in Japanese."""

from __future__ import annotations

import csv
import html
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

STATUS_TEXT = {"graded": "採点済み", "zero": "0点（採点不能）", "error": "採点エラー",
               "not_submitted": "未提出", "previous": "前回の採点"}


@dataclass
class Cell:
    score: float | None
    max_score: float
    needs_manual: bool = False
    notes: list = field(default_factory=list)
    status: str = "not_submitted"
    seconds: float | None = None


@dataclass
class Sheet:
    assignments: list[str]
    titles: dict[str, str]
    max_scores: dict[str, float]
    students: list[str]
    names: dict[str, str]
    cells: dict[tuple[str, str], Cell]   # (student, assignment) → Cell

    def total(self, student: str) -> float:
        return sum(c.score or 0.0 for a in self.assignments
                   if (c := self.cells.get((student, a))) is not None)

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())

    def pending(self, student: str) -> list[str]:
        return [a for a in self.assignments
                if (c := self.cells.get((student, a))) is not None and c.needs_manual]

    def notes_text(self, student: str, only: list[str] | None = None) -> str:
        parts = []
        for a in only or self.assignments:
            c = self.cells.get((student, a))
            if c and c.notes:
                parts.append(f"{a}: " + "／".join(n["text"] for n in c.notes))
        return "　".join(parts)


def _fmt(score: float | None) -> str:
    if score is None:
        return ""
    return f"{score:g}"


def header(sheet: Sheet, aid: str) -> str:
    return f"{aid}（{sheet.max_scores.get(aid, 0):g}点）"


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------
def write_grades_csv(sheet: Sheet, path: Path) -> None:
    """One row per trainee; one column per assignment, the total and what awaits a grader."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens it right
        w = csv.writer(f)
        w.writerow(["受講者ID", "氏名", *[header(sheet, a) for a in sheet.assignments],
                    f"合計（{sheet.max_total:g}点）", "手採点待ち", "備考"])
        for s in sheet.students:
            row = [s, sheet.names.get(s, "")]
            for a in sheet.assignments:
                c = sheet.cells.get((s, a))
                row.append(_fmt(c.score) if c and c.status != "not_submitted" else "")
            row += [_fmt(sheet.total(s)), "、".join(sheet.pending(s)), sheet.notes_text(s)]
            w.writerow(row)


SUMMARY_HEADER = ["受講者ID", "課題", "得点", "満点", "手採点待ち", "状態", "採点時間（秒）", "備考",
                  "備考コード"]


def summary_rows(sheet: Sheet, only: list[tuple[str, str]] | None = None) -> list[list]:
    rows = []
    keys = only or [(s, a) for s in sheet.students for a in sheet.assignments]
    for s, a in keys:
        c = sheet.cells.get((s, a))
        if c is None:
            continue
        rows.append([s, a, _fmt(c.score) if c.status != "not_submitted" else "",
                     _fmt(c.max_score), "はい" if c.needs_manual else "",
                     STATUS_TEXT.get(c.status, c.status),
                     "" if c.seconds is None else f"{c.seconds:.1f}",
                     "／".join(n["text"] for n in c.notes),
                     " ".join(dict.fromkeys(n["code"] for n in c.notes))])
    return rows


def write_summary_csv(sheet: Sheet, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(SUMMARY_HEADER)
        w.writerows(summary_rows(sheet))


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------
def write_excel(sheet: Sheet, path: Path, run_info: list[tuple[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "成績"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    max_fill = PatternFill("solid", fgColor="F2F2F2")
    missing_fill = PatternFill("solid", fgColor="FCE4D6")
    note_fill = PatternFill("solid", fgColor="FFF2CC")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    heads = ["受講者ID", "氏名"] + [f"{a}\n{sheet.titles.get(a, '')}".strip()
                                 for a in sheet.assignments] + ["合計", "手採点待ち", "備考"]
    ws.append(heads)
    ws.append(["満点", ""] + [sheet.max_scores.get(a, 0) for a in sheet.assignments]
              + [sheet.max_total, "", ""])
    for col in range(1, len(heads) + 1):
        ws.cell(1, col).font = bold
        ws.cell(1, col).fill = head_fill
        ws.cell(1, col).alignment = center
        ws.cell(2, col).fill = max_fill
        ws.cell(2, col).font = Font(italic=True)
    first_score_col = 3
    total_col = first_score_col + len(sheet.assignments)
    for r, s in enumerate(sheet.students, start=3):
        ws.cell(r, 1, s)
        ws.cell(r, 2, sheet.names.get(s, ""))
        for i, a in enumerate(sheet.assignments):
            c = sheet.cells.get((s, a))
            cell = ws.cell(r, first_score_col + i)
            if c is None or c.status == "not_submitted":
                cell.value = "未提出"
                cell.fill = missing_fill
            else:
                cell.value = c.score
                cell.number_format = "0.##"
                if c.notes:
                    cell.fill = note_fill
        if sheet.assignments:
            first = get_column_letter(first_score_col)
            last = get_column_letter(total_col - 1)
            ws.cell(r, total_col, f"=SUM({first}{r}:{last}{r})").number_format = "0.##"
        else:
            ws.cell(r, total_col, 0)
        ws.cell(r, total_col).font = bold
        ws.cell(r, total_col + 1, "、".join(sheet.pending(s)))
        ws.cell(r, total_col + 2, sheet.notes_text(s))
        ws.cell(r, total_col + 2).alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=len(heads)):
        for cell in row:
            cell.border = border
    widths = [14, 14] + [16] * len(sheet.assignments) + [10, 18, 60]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 36
    ws.freeze_panes = "C3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(heads))}{max(2, ws.max_row)}"

    detail = wb.create_sheet("提出物ごと")
    detail.append(SUMMARY_HEADER)
    for row in summary_rows(sheet):
        detail.append(row)
    for col in range(1, len(SUMMARY_HEADER) + 1):
        detail.cell(1, col).font = bold
        detail.cell(1, col).fill = head_fill
    for i, width in enumerate([14, 18, 8, 8, 10, 14, 12, 80, 30], start=1):
        detail.column_dimensions[get_column_letter(i)].width = width
    detail.freeze_panes = "A2"

    info = wb.create_sheet("採点の設定")
    info.append(["項目", "値"])
    info.cell(1, 1).font = info.cell(1, 2).font = bold
    for key, value in run_info:
        info.append([key, value])
    info.column_dimensions["A"].width = 40
    info.column_dimensions["B"].width = 70
    wb.save(path)


# --------------------------------------------------------------------------------------------
# the terminal
# --------------------------------------------------------------------------------------------
def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _cut(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _width(out + ch + "…") > width:
            break
        out += ch
    return out + "…"


def summary_table(sheet: Sheet, assignments: list[str], students: list[str],
                  note_width: int = 70) -> str:
    """A per-student table (Japanese headers) for the assignments of this run."""
    heads = ["受講者ID"] + [header(sheet, a) for a in assignments] + ["合計", "備考"]
    rows = []
    for s in students:
        row = [s]
        for a in assignments:
            c = sheet.cells.get((s, a))
            if c is None or c.status == "not_submitted":
                row.append("未提出")
            elif c.status == "error":
                row.append("エラー")
            else:
                row.append(_fmt(c.score) + (" *" if c.needs_manual else ""))
        row.append(_fmt(sum((sheet.cells[(s, a)].score or 0) for a in assignments
                            if (s, a) in sheet.cells)))
        row.append(_cut(sheet.notes_text(s, assignments) if len(assignments) > 1 else
                        "／".join(n["text"] for a in assignments
                                 for n in (sheet.cells.get((s, a)).notes
                                           if sheet.cells.get((s, a)) else [])), note_width))
        rows.append(row)
    widths = [max(_width(r[i]) for r in [heads] + rows) for i in range(len(heads))]
    lines = []
    fmt_row = lambda r: " | ".join(  # noqa: E731
        _pad(v, widths[i], right=0 < i < len(heads) - 1) for i, v in enumerate(r)).rstrip()
    lines.append(fmt_row(heads))
    lines.append("-+-".join("-" * w for w in widths))
    lines += [fmt_row(r) for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# a feedback page per trainee
# --------------------------------------------------------------------------------------------
def write_feedback_index(sheet: Sheet, student: str, folder: Path) -> Path:
    """feedback/<student>/index.html: scores, notes and links to nbgrader's feedback."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for a in sheet.assignments:
        c = sheet.cells.get((student, a))
        links = sorted((folder / a).glob("*.html")) if (folder / a).is_dir() else []
        link = " ".join(f'<a href="{html.escape(os.path.relpath(p, folder))}">講評を開く</a>'
                        for p in links)
        if c is None or c.status == "not_submitted":
            score = "未提出"
        else:
            score = f"{_fmt(c.score)} / {_fmt(c.max_score)}"
            if c.needs_manual:
                score += "（記述式は採点待ち）"
        notes = "<br>".join(html.escape(n["text"]) for n in (c.notes if c else []))
        rows.append(f"<tr><td>{html.escape(a)}</td><td>{html.escape(sheet.titles.get(a, ''))}</td>"
                    f"<td class=n>{score}</td><td>{notes}</td><td>{link}</td></tr>")
    name = sheet.names.get(student, "")
    page = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<title>採点結果 {html.escape(student)}</title>
<style>
body {{ font-family: "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: .4em .7em; vertical-align: top; }}
th {{ background: #ddebf7; }} td.n {{ text-align: right; white-space: nowrap; }}
p.note {{ color: #555; font-size: .9em; }}
</style></head><body>
<h1>採点結果</h1>
<p>受講者ID: <b>{html.escape(student)}</b> {html.escape(name)}</p>
<table>
<tr><th>課題</th><th>題名</th><th>得点</th><th>備考</th><th>講評</th></tr>
{''.join(rows)}
<tr><th colspan=2>合計</th>
<td class=n><b>{_fmt(sheet.total(student))} / {_fmt(sheet.max_total)}</b></td><td colspan=2></td></tr>
</table>
<p class=note>得点は自動採点の結果です。記述式の解答は講師が採点すると加算されます。
備考は、提出されたファイルや実行中に起きたことの説明です（点数の理由は「講評を開く」で、セルごとに確かめられます）。</p>
</body></html>
"""
    path = folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
