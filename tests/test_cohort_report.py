"""The cohort report on a synthetic cohort graded from the course's real notebooks (right,
partly right, blank and broken submissions, made as bench/bench_cohort.py makes them): the
figures of the report equal a computation by hand from what each submission must score."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys

import nbformat
import pytest

import grading as g

sys.path.insert(0, str(g.REPO / "bench"))
sys.path.insert(0, str(g.GRADER))

import bench_cohort  # noqa: E402  (the synthetic submissions)
from cngrade import gradebook as gbmod  # noqa: E402

AIDS = ["01_know", "02_measure"]           # 01_know has a manually graded cell
KINDS = {"t1": "correct", "t2": "correct", "t3": "partial", "t4": "blank",
         "t5": "invalid_json", "t6": "raises"}
GRADE = g.GRADER / "grade_cohort.py"
REPORT = g.GRADER / "cohort_report.py"


def _run(script, course, *args):
    env = g.kernel_env()
    env.pop("MPLBACKEND", None)
    return subprocess.run([sys.executable, str(script), "--course", str(course), *args],
                          cwd=course, env=env, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=600, check=False)


def _expected(root, aid):
    """student → grade_id → (score or None when awaiting a manual grade, outcome)."""
    src = g.source_notebook(root, aid)
    nb = nbformat.read(src, as_version=4)
    points = g.grade_points(nb)
    manual = {g._nbg(c)["grade_id"]: float(g._nbg(c)["points"]) for c in nb.cells
              if g.is_manual_cell(c)}
    plan = g.partial_submission(src).expected_cells
    exercises, _ = g.split_exercises(nb)
    first = {g._nbg(nb.cells[i])["grade_id"] for i in exercises[0].test_cells}
    out = {}
    for sid, kind in KINDS.items():
        row = {}
        for gid, pts in points.items():
            if kind == "correct":
                row[gid] = (pts, "right")
            elif kind == "partial":
                row[gid] = (plan[gid], "right" if plan[gid] == pts else "wrong")
            elif kind == "blank":
                row[gid] = (0.0, "blank")
            elif kind == "invalid_json":
                row[gid] = (0.0, "error")
            else:  # raises: the first answer raises; its tests cannot check anything
                row[gid] = (0.0, "error") if gid in first else (pts, "right")
        for gid in manual:
            row[gid] = {"blank": (0.0, "blank"), "invalid_json": (0.0, "error")}.get(
                kind, (None, "pending"))
        out[sid] = row
    return out, {**points, **manual}


def _by_hand(expected, maxima, gid):
    """difficulty, item-rest r, upper-lower D (27 %), blank and error shares of one cell."""
    total = {s: sum(v[0] or 0 for v in row.values()) for s, row in expected.items()}
    graded = [s for s in expected if expected[s][gid][0] is not None]
    xs = [expected[s][gid][0] for s in graded]
    rest = [total[s] - expected[s][gid][0] for s in graded]
    try:
        r = statistics.correlation(xs, rest)
    except statistics.StatisticsError:
        r = None
    k = max(1, round(0.27 * len(total)))
    ranked = sorted(total.values())
    upper = [expected[s][gid][0] for s in graded if total[s] >= ranked[-k]]
    lower = [expected[s][gid][0] for s in graded if total[s] <= ranked[k - 1]]
    d = (statistics.mean(upper) - statistics.mean(lower)) / maxima[gid] \
        if upper and lower and len(graded) > 1 else None
    outcomes = [expected[s][gid][1] for s in graded]
    return {"n": len(graded), "difficulty": statistics.mean(xs) / maxima[gid], "r": r, "d": d,
            "blank": outcomes.count("blank") / len(graded),
            "error": outcomes.count("error") / len(graded)}


def _cohort(tmp):
    root = g.make_course(tmp, g.COURSE / "source", AIDS)
    for name in ("concepts.yml", "item_analysis.yml"):
        shutil.copy(g.COURSE / name, root / name)
    for aid in AIDS:
        g.generate_assignment(root, aid)
        for sid, kind in KINDS.items():
            nb = bench_cohort.submission(kind, aid, root, AIDS)
            path = g.place_submission(root, aid, sid, nb)
            if isinstance(nb, str):
                path.write_bytes(nb.encode("utf-8"))
    proc = _run(GRADE, root, "--no-feedback", "-q")
    return {"root": root, "proc": proc,
            "expected": {aid: _expected(root, aid) for aid in AIDS}}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return g.shared_once(tmp_path_factory, "cohort-report", _cohort)


def _sheet_items(root):
    from openpyxl import load_workbook

    ws = load_workbook(root / "cohort" / "grades.xlsx")["理解度"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    start = next(i for i, r in enumerate(rows) if r[1] == "問題（grade_id）")
    items = {}
    for r in rows[start + 1:]:
        if not r[0]:
            break
        items[(r[0], r[1])] = dict(zip(
            ["aid", "gid", "label", "n", "pending", "mean", "max", "difficulty", "r", "d",
             "blank", "error", "flags"], r))
    return rows, items


def test_grade_writes_the_report_with_the_hand_computed_figures(cohort):
    assert cohort["proc"].returncode == 0, cohort["proc"].stderr[-3000:]
    root = cohort["root"]
    page = (root / "cohort" / "report.html").read_text(encoding="utf-8")
    assert "2日目に教え直すこと" in page and "data:image/png;base64," in page
    rows, items = _sheet_items(root)
    for aid in AIDS:
        expected, maxima = cohort["expected"][aid]
        for gid in maxima:
            got, want = items[(aid, gid)], _by_hand(expected, maxima, gid)
            assert got["n"] == want["n"], (aid, gid)
            for key in ("difficulty", "r", "d", "blank", "error"):
                if want[key] is None:
                    assert got[key] is None, (aid, gid, key, got)
                else:
                    assert got[key] == pytest.approx(want[key], abs=1e-4), (aid, gid, key, got)
    # trainees below 60 %: the blank and the broken ones, with their missed concepts
    below = {(r[0], r[1]) for r in rows if r[0] in KINDS and r[1] in AIDS}
    assert {("t4", a) for a in AIDS} | {("t5", a) for a in AIDS} <= below
    assert not {("t1", a) for a in AIDS} & below
    assert "t4" in page and "取りこぼした概念" in page


def test_report_command_joins_manual_grades(cohort):
    root = cohort["root"]
    app_db = f"sqlite:///{root / 'gradebook.db'}"
    gb = gbmod.open_gradebook(app_db, "cn-support")
    try:
        for sid, score in (("t1", 3), ("t2", 1)):
            grade = gb.find_grade("opening_line", "01_know", "01_know", sid)
            grade.manual_score = score
        gb.db.commit()
    finally:
        gb.close()
    proc = _run(REPORT, root, "01_know")
    assert proc.returncode == 0, proc.stderr
    _, items = _sheet_items(root)
    row = items[("01_know", "opening_line")]
    # graded now: t1 3, t2 1, t4 blank 0, t5 unreadable 0; t3 and t6 still awaiting a grade
    assert (row["n"], row["pending"]) == (4, 2)
    assert row["difficulty"] == pytest.approx((3 + 1 + 0 + 0) / (4 * 3), abs=1e-4)
    assert row["blank"] == pytest.approx(0.25) and row["error"] == pytest.approx(0.25)
    assert ("02_measure", "check_co2_electricity") not in items  # only the asked assignment


def test_report_command_says_what_is_wrong(cohort):
    proc = _run(REPORT, cohort["root"], "99_nothing")
    assert proc.returncode == 2
    assert "gradebook にない課題です: 99_nothing" in proc.stderr
