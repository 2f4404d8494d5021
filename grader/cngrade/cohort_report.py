"""The cohort report: what the cohort did not understand, after grading.

``<out>/report.html`` (one page, in Japanese) and a sheet 「理解度」 in ``<out>/grades.xlsx``:
the concepts ranked from the worst, each with the notebook section to revisit; the questions
flagged too easy, too hard or not discriminating; a chart of difficulty against
discrimination; the trainees below the threshold with the concepts they missed. The figures
come from ``items.py``; the labels from course/concepts.yml, the thresholds from
course/item_analysis.yml. Written by ``kit.py grade`` after grading and by ``kit.py report``.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import items as it

CONCEPTS_FILE = "concepts.yml"
THRESHOLDS_FILE = "item_analysis.yml"
SHEET = "理解度"
THRESHOLD_KEYS = ("group_share", "too_easy_above", "too_hard_below", "discrimination_below",
                  "upper_lower_below", "min_graded", "concept_reteach_below", "trainee_below",
                  "concept_missed_below")


class ReportError(Exception):
    pass


@dataclass
class AssignmentReport:
    aid: str
    title: str
    stats: list[it.ItemStats]
    concepts: list[it.GroupStats]
    sections: list[it.GroupStats]
    trainees: list[it.TraineeStats]
    chart_png: bytes | None = None


def _yaml(path: Path) -> dict:
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as exc:
        raise ReportError(f"{path} を読めません（YAML の書き方の誤り）: {exc}") from exc


KIT_COURSE = Path(__file__).resolve().parents[2] / "course"


def load_thresholds(course_dir: Path) -> dict:
    """course/item_analysis.yml of the course (the kit's own when the course has none)."""
    path = Path(course_dir) / THRESHOLDS_FILE
    if not path.is_file():
        path = KIT_COURSE / THRESHOLDS_FILE
    data = _yaml(path)
    missing = [k for k in THRESHOLD_KEYS if not isinstance(data.get(k), (int, float))]
    if missing:
        raise ReportError(f"{path} に数値の項目がありません: {', '.join(missing)}")
    return data


def analyse(gb, aid: str, title: str, autograded, concepts: dict, thresholds: dict
            ) -> AssignmentReport:
    items, responses = it.read_assignment(gb, aid, autograded, concepts.get(aid) or {})
    stats = it.item_stats(items, responses, thresholds["group_share"])
    for st in stats:
        st.flags = it.flag(st, thresholds)
    return AssignmentReport(aid, title, stats, it.group_stats(stats, "concept"),
                            it.group_stats(stats, "section"),
                            it.trainee_stats(items, responses, thresholds["concept_missed_below"]))


# --------------------------------------------------------------------------------------------
# the chart
# --------------------------------------------------------------------------------------------
def chart(rep: AssignmentReport, thresholds: dict) -> bytes | None:
    """Difficulty (x) against the item-rest correlation (y), one point per question; the
    threshold lines drawn. PNG bytes, None when no question has both figures."""
    pts = [(s.difficulty, s.point_biserial, s.item.grade_id, bool(s.flags)) for s in rep.stats
           if s.difficulty is not None and s.point_biserial is not None]
    if not pts:
        return None
    import matplotlib_fontja  # noqa: F401  (the Japanese font, IPAexGothic)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4), dpi=100)
    ax = fig.add_subplot()
    for lo, hi in ((0, thresholds["too_hard_below"]), (thresholds["too_easy_above"], 1.05)):
        ax.axvspan(lo, hi, color="#eeeeee", zorder=0)
    ax.axhline(thresholds["discrimination_below"], color="#999999", ls="--", lw=1)
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=36, zorder=3,
               c=["#D55E00" if p[3] else "#0072B2" for p in pts])
    labels: dict[tuple[float, float], list[str]] = {}  # questions on the same spot: one label
    for x, y, name, _ in pts:
        labels.setdefault((round(x, 3), round(y, 3)), []).append(name)
    for (x, y), names in labels.items():
        ax.annotate("、".join(names), (x, y), xytext=(4, 3), textcoords="offset points",
                    fontsize=7)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(min(-0.2, min(p[1] for p in pts) - 0.1), 1.05)
    ax.set_xlabel("難易度（得点率。右ほど易しい）")
    ax.set_ylabel("識別力（残りの得点との相関）")
    ax.set_title(f"{rep.aid} 問題ごとの難易度と識別力（橙: 見直し候補）", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _table(heads: list[str], rows: list[list[str]], cls: str = "") -> str:
    if not rows:
        return "<p class=none>該当なし</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><tr>{head}</tr>{body}</table>"


def reteach_rows(reports: list[AssignmentReport], below: float) -> list[tuple]:
    """(difficulty, aid, concept group) of every concept under ``below``, the worst first."""
    rows = [(g.difficulty, r.aid, g) for r in reports for g in r.concepts
            if g.difficulty is not None and g.difficulty < below]
    return sorted(rows, key=lambda t: (t[0], t[1], t[2].name))


def item_row(aid: str, s: it.ItemStats) -> list:
    return [aid, s.item.grade_id, s.item.label, s.n, s.pending, s.mean, s.item.max_score,
            s.difficulty, s.point_biserial, s.upper_lower, s.blank_share, s.error_share,
            "、".join(s.flags)]


ITEM_HEADS = ["課題", "問題（grade_id）", "概念", "採点数", "手採点待ち", "平均点", "満点", "難易度",
              "識別力 r", "上位−下位 D", "空欄", "エラー", "判定"]


def _item_cells(row: list) -> list[str]:
    aid, gid, label, n, pending, mean, mx, p, r, d, blank, err, flags = row
    return [html.escape(aid), html.escape(gid), html.escape(label), str(n), str(pending or ""),
            _num(mean), f"{mx:g}", _pct(p), _num(r), _num(d), _pct(blank), _pct(err),
            f"<b>{html.escape(flags)}</b>"]


def render_html(reports: list[AssignmentReport], thresholds: dict, n_trainees: int) -> str:
    t = thresholds
    reteach = reteach_rows(reports, t["concept_reteach_below"])
    reteach_html = _table(["順位", "概念", "課題", "2日目に見直す節", "得点率", "問題"], [
        [str(i), f"<b>{html.escape(g.name)}</b>", html.escape(aid), html.escape(g.section),
         _pct(p), html.escape("、".join(g.items))]
        for i, (p, aid, g) in enumerate(reteach, start=1)])
    flagged = [item_row(r.aid, s) for r in reports for s in r.stats if s.flags]
    trainees = []
    for r in reports:
        for tr in r.trainees:
            if tr.share is not None and tr.share < t["trainee_below"]:
                sections = {g.name: g.section for g in r.concepts}
                missed = "、".join(f"{m}（{sections.get(m, '')}）" for m in tr.missed)
                trainees.append([html.escape(tr.student), html.escape(r.aid),
                                 f"{tr.total:g} / {tr.max_total:g}", _pct(tr.share),
                                 html.escape(missed), str(tr.pending or "")])
    details = []
    for r in reports:
        img = (f"<img alt='難易度と識別力の図 {html.escape(r.aid)}' src='data:image/png;base64,"
               f"{base64.b64encode(r.chart_png).decode()}'>" if r.chart_png else
               "<p class=none>図にできる問題がありません（採点された解答が2件未満か、全員が同じ点）。</p>")
        details.append(f"""<h3>{html.escape(r.aid)} {html.escape(r.title)}</h3>
{img}
<h4>概念ごと（得点率の低い順）</h4>
{_table(["概念", "教える節", "得点率", "問題"], [[html.escape(g.name), html.escape(g.section),
        _pct(g.difficulty), html.escape("、".join(g.items))] for g in r.concepts])}
<h4>節ごと</h4>
{_table(["節", "得点率", "問題"], [[html.escape(g.name), _pct(g.difficulty),
        html.escape("、".join(g.items))] for g in r.sections])}
<h4>問題ごと</h4>
{_table(ITEM_HEADS, [_item_cells(item_row(r.aid, s)) for s in r.stats], "items")}""")
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<title>受講者全体の理解度レポート</title>
<style>
body {{ font-family: "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif; margin: 2em; max-width: 80em; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; }}
th, td {{ border: 1px solid #bbb; padding: .3em .6em; vertical-align: top; }}
th {{ background: #ddebf7; }} table.items td {{ text-align: right; }}
table.items td:nth-child(-n+3), table.items td:last-child {{ text-align: left; }}
p.note, p.none {{ color: #555; font-size: .9em; }} .private {{ background: #fff2cc; padding: .5em 1em; }}
</style></head><body>
<h1>受講者全体の理解度レポート</h1>
<p>作成: {stamp}　課題: {html.escape("、".join(r.aid for r in reports))}　受講者: {n_trainees} 名。
記述式で手採点がまだの問題は、採点が入ると数字に加わります（このレポートを作り直してください）。</p>

<h2>1. 2日目に教え直すこと</h2>
<p>受講者全体の得点率が {_pct(t["concept_reteach_below"])} 未満の概念です。低い順に並べ、教えている節を示します。</p>
{reteach_html}

<h2>2. 見直したい問題</h2>
<p class=note>難易度 = 得点率（満点に対する平均点の割合）。{_pct(t["too_easy_above"])} を超えると「易しすぎる」、
{_pct(t["too_hard_below"])} 未満は「難しすぎる」。識別力 r = その問題の点と、課題の残りの得点との相関
（できる人ほど正解しているか）。r が {t["discrimination_below"]:g} 未満、または上位−下位 D
（得点の上位 {_pct(t["group_share"])} と下位 {_pct(t["group_share"])} の得点率の差）が {t["upper_lower_below"]:g}
未満なら「識別しない」。採点数が {t["min_graded"]:g} 未満の問題は判定しません。基準は course/{THRESHOLDS_FILE}。</p>
{_table(ITEM_HEADS, [_item_cells(r) for r in flagged], "items")}

<h2>3. 声をかけたい受講者（講師のみ）</h2>
<div class=private><p>課題の得点率が {_pct(t["trainee_below"])} 未満の受講者と、取りこぼした概念
（その概念の得点率が {_pct(t["concept_missed_below"])} 未満）です。このページは受講者に配らないでください。</p>
{_table(["受講者ID", "課題", "得点", "得点率", "取りこぼした概念（見直す節）", "手採点待ち"], trainees)}</div>

<h2>4. 課題ごとの詳細</h2>
{''.join(details)}
</body></html>
"""


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------
def add_excel_sheet(reports: list[AssignmentReport], thresholds: dict, path: Path) -> None:
    """Replace the sheet 「理解度」 of the workbook at ``path`` (a new workbook if none)."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.styles import Font, PatternFill

    wb = load_workbook(path) if Path(path).is_file() else Workbook()
    if SHEET in wb.sheetnames:
        del wb[SHEET]
    if not Path(path).is_file():
        wb.remove(wb.active)
    ws = wb.create_sheet(SHEET)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")

    def heading(text):
        ws.append([text])
        ws.cell(ws.max_row, 1).font = Font(bold=True, size=13)

    def head(cols):
        ws.append(cols)
        for c in range(1, len(cols) + 1):
            ws.cell(ws.max_row, c).font = bold
            ws.cell(ws.max_row, c).fill = fill

    heading(f"2日目に教え直すこと（得点率 {thresholds['concept_reteach_below']:.0%} 未満、低い順）")
    head(["順位", "概念", "課題", "見直す節", "得点率", "問題"])
    for i, (p, aid, g) in enumerate(reteach_rows(reports, thresholds["concept_reteach_below"]), 1):
        ws.append([i, g.name, aid, g.section, round(p, 4), "、".join(g.items)])
        ws.cell(ws.max_row, 5).number_format = "0%"
    ws.append([])
    heading("問題ごと（判定の基準は course/item_analysis.yml）")
    head(ITEM_HEADS)
    for r in reports:
        for s in r.stats:
            ws.append([round(v, 4) if isinstance(v, float) else v for v in item_row(r.aid, s)])
            for c in (8, 11, 12):
                ws.cell(ws.max_row, c).number_format = "0%"
    ws.append([])
    heading(f"声をかけたい受講者（得点率 {thresholds['trainee_below']:.0%} 未満。講師のみ）")
    head(["受講者ID", "課題", "得点", "満点", "得点率", "取りこぼした概念"])
    for r in reports:
        for tr in r.trainees:
            if tr.share is not None and tr.share < thresholds["trainee_below"]:
                ws.append([tr.student, r.aid, tr.total, tr.max_total, round(tr.share, 4),
                           "、".join(tr.missed)])
                ws.cell(ws.max_row, 5).number_format = "0%"
    for col, width in zip("ABCDEFGHIJKLM", (10, 30, 18, 34, 10, 30, 8, 8, 8, 10, 8, 8, 20)):
        ws.column_dimensions[col].width = width
    row = 1
    for r in reports:
        if r.chart_png:
            from openpyxl.drawing.image import Image

            img = Image(io.BytesIO(r.chart_png))
            ws.add_image(img, f"O{row}")
            row += 24
    wb.save(path)


# --------------------------------------------------------------------------------------------
# the whole report
# --------------------------------------------------------------------------------------------
def write_report(gb, coursedir, course_dir: Path, assignments: list[str], titles: dict,
                 out_dir: Path, excel: Path | None = None) -> tuple[Path, list[AssignmentReport]]:
    """Analyse ``assignments`` (those with submissions) and write report.html (and the
    Excel sheet when ``excel`` is given). Returns the page's path and the reports."""
    from nbgrader.api import MissingEntry

    thresholds = load_thresholds(course_dir)
    concepts = _yaml(Path(course_dir) / CONCEPTS_FILE)
    reports, students = [], set()
    for aid in assignments:
        try:
            if not gb.find_assignment(aid).submissions:
                continue
        except MissingEntry:  # not in the gradebook
            continue
        rep = analyse(gb, aid, titles.get(aid, ""),
                      lambda sid, aid=aid: coursedir.format_path(
                          coursedir.autograded_directory, sid, aid),
                      concepts, thresholds)
        rep.chart_png = chart(rep, thresholds)
        students.update(t.student for t in rep.trainees)
        reports.append(rep)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "report.html"
    page.write_text(render_html(reports, thresholds, len(students)), encoding="utf-8")
    if excel is not None:
        add_excel_sheet(reports, thresholds, Path(excel))
    return page, reports


def after_grading(coursedir, course_dir: Path, assignments: list[str], titles: dict,
                  out_dir: Path, excel: Path | None, say) -> Path | None:
    """The hook at the end of ``kit.py grade``: the report, or a Japanese message why not
    (the grades are written already; a report that fails does not fail the grading)."""
    from . import gradebook as gbmod

    gb = gbmod.open_gradebook(coursedir.db_url, coursedir.course_id)
    try:
        page, _ = write_report(gb, coursedir, course_dir, assignments, titles, out_dir, excel)
        return page
    except ReportError as exc:
        say(f"理解度レポートを作れませんでした: {exc}")
    except Exception as exc:  # noqa: BLE001  (the grades stand; say what went wrong)
        say(f"理解度レポートを作れませんでした（{type(exc).__name__}: {exc}）。"
            "`python3 kit.py report` で作り直せます")
    finally:
        gb.close()
    return None


def main(argv=None) -> int:
    """``kit.py report [課題 ...]``: the report for an existing gradebook (no grading)."""
    from . import gradebook as gbmod
    from .cli import COURSE_DIR, _ordered, _syllabus
    from .worker import load_nbgrader_config

    p = argparse.ArgumentParser(
        prog="kit.py report", description="採点済みの gradebook から、受講者全体の理解度レポート"
        "（report.html と grades.xlsx のシート「理解度」）を作ります。手採点を入れた後にも使えます。")
    p.add_argument("assignments", nargs="*", help="課題（省略すると提出物のある課題すべて）")
    p.add_argument("--course", default=str(COURSE_DIR), help="講座フォルダ（nbgrader_config.py のある所）")
    p.add_argument("--out", default=None, help="出力先（既定: <講座>/cohort）")
    p.add_argument("--no-excel", action="store_true", help="Excel のシートを作らない")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    course_dir = Path(args.course).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        print(f"[report] エラー: {course_dir} に nbgrader_config.py がありません", file=sys.stderr)
        return 2
    import warnings

    warnings.filterwarnings("ignore", module="sqlalchemy")
    app = load_nbgrader_config(course_dir)
    order, titles = _syllabus(course_dir)
    out_dir = Path(args.out or course_dir / "cohort").resolve()
    gb = gbmod.open_gradebook(app.coursedir.db_url, app.coursedir.course_id)
    try:
        known = [a.name for a in gb.assignments]
        missing = [a for a in args.assignments if a not in known]
        if missing:
            print("[report] エラー: gradebook にない課題です: " + "、".join(missing), file=sys.stderr)
            return 2
        page, reports = write_report(gb, app.coursedir, course_dir,
                                     _ordered(args.assignments or known, order), titles, out_dir,
                                     None if args.no_excel else out_dir / "grades.xlsx")
    except ReportError as exc:
        print(f"[report] エラー: {exc}", file=sys.stderr)
        return 2
    finally:
        gb.close()
    if not reports:
        print("[report] 採点済みの提出物がありません（先に `python3 kit.py grade`）", file=sys.stderr)
    print(f"[report] 理解度レポート: {page}", file=sys.stderr)
    return 0
