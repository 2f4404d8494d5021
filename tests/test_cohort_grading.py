"""Cohort grading (grader/grade_cohort.py, grader/cngrade/): parallel, limited, robust.

Three groups:

1. **The real course** — every assignment in course/source, with no new code per assignment:
   trainees "full", "blank", "partial" and two broken ones are graded once by sequential
   ``nbgrader autograde`` and once by the cohort command, on identical copies of the course;
   the grades must be the same cell by cell, a second cohort run must give them again, and the
   broken submissions get what they deserve (0, or the points of the cells that ran).
2. **Robustness** — a small fixture assignment (tests/fixtures/cohort/cohort_mini, no pandas,
   so it grades in about a second) and one submission per problem from the issue: invalid
   JSON, an empty file, another assignment's notebook, deleted / duplicated / reordered cells,
   edited read-only and test cells, an infinite loop, a kernel that ignores interrupts,
   runaway CPU and memory, enormous output, ``input()``, ``sys.exit()``, a dying kernel, a
   network connection, writes outside the submission folder, a large file, too many
   processes, a BOM, Windows line endings, a misnamed file. One run grades them all; each
   gets its grade and its note, and the ordinary submissions in the same run get exactly what
   sequential nbgrader gives them.
3. **Units** — reading submissions, structure notes, classification of errors, the sheets.

Limits are shortened for the robustness run in that course's copy of nbgrader_config.py
(cell timeout, CPU, memory, file size, output), which also checks that the settings are read.
No test asserts a timing.
"""

from __future__ import annotations

import concurrent.futures
import copy
import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grading as g
import nbformat
import pytest

COHORT_FIXTURES = g.FIXTURES / "cohort"
MINI = "cohort_mini"
GRADE_COHORT = g.GRADER / "grade_cohort.py"
sys.path.insert(0, str(g.GRADER))

from cngrade import notes as notes_mod  # noqa: E402
from cngrade import report, submission  # noqa: E402
from cngrade.settings import CohortGrader  # noqa: E402

IDS = g.build_module.source_assignments(g.COURSE)


def run_cohort(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``python grader/grade_cohort.py --course COURSE ARGS`` as an instructor runs it."""
    env = g.kernel_env()
    env.pop("MPLBACKEND", None)
    return subprocess.run([sys.executable, str(GRADE_COHORT), "--course", str(course), *args],
                          cwd=course, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=timeout, check=False)


def autograde_all(course: Path, ids) -> None:
    for aid in ids:
        g.autograde(course, aid)


def cell_grades(course: Path, aid: str) -> dict:
    """student → grade_id → (auto_score, needs_manual_grade)."""
    return {s: {name: (c.auto_score, c.needs_manual_grade) for name, c in score.cells.items()}
            for s, score in g.read_scores(course, aid).items()}


def summary(course: Path) -> dict[tuple[str, str], dict]:
    with open(course / "cohort" / "summary.csv", encoding="utf-8-sig", newline="") as f:
        return {(r["受講者ID"], r["課題"]): r for r in csv.DictReader(f)}


def codes(row: dict) -> set[str]:
    return set(row["備考コード"].split())


# --------------------------------------------------------------------------------------------
# 1. the real course
# --------------------------------------------------------------------------------------------
REAL_STUDENTS = ("full", "blank", "partial", "broken_json", "dies_midway")
SAME_AS_NBGRADER = ("full", "blank", "partial")


def _dies_midway(src: Path):
    """The full solution, but the kernel dies in the answer cell of the middle exercise."""
    nb = g.full_submission(src)
    exercises, _ = g.split_exercises(nb)
    middle = exercises[len(exercises) // 2]
    nb.cells[middle.answer_cells[0]].source = "import os\nos._exit(1)"
    before = {g._nbg(nb.cells[i])["grade_id"] for ex in exercises[:len(exercises) // 2]
              for i in ex.test_cells}
    return nb, before


def _real_course(tmp: Path) -> dict:
    base = g.make_course(tmp / "base", g.COURSE / "source", IDS)
    kept = {}
    for aid in IDS:
        g.generate_assignment(base, aid)
        src, rel = g.source_notebook(base, aid), g.release_notebook(base, aid)
        plan = g.partial_submission(src)
        dies, before = _dies_midway(src)
        g.place_submission(base, aid, "full", g.full_submission(src))
        g.place_submission(base, aid, "blank", g.blank_submission(rel))
        g.place_submission(base, aid, "partial", plan.notebook)
        g.place_submission(base, aid, "broken_json", '{"cells": [ {"source": "x = ')
        g.place_submission(base, aid, "dies_midway", dies)
        source_nb = nbformat.read(src, as_version=4)
        kept[aid] = {"partial": plan.expected_cells, "points": g.grade_points(source_nb),
                     "manual": g.manual_grade_ids(source_nb), "dies_before": sorted(before)}
    seq = tmp / "seq" / "course"
    coh = tmp / "coh" / "course"
    shutil.copytree(base, coh)
    shutil.copytree(base, seq, ignore=lambda folder, names: [  # nbgrader: the comparable ones
        n for n in names if Path(folder).name == "submitted" and n not in SAME_AS_NBGRADER])
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # sequential nbgrader meanwhile
        seq_done = pool.submit(autograde_all, seq, IDS)
        first = run_cohort(coh, "--no-excel")
        seq_done.result()
    first_grades = {aid: cell_grades(coh, aid) for aid in IDS}
    first_summary = summary(coh)
    second = run_cohort(coh, "--no-feedback")
    return {"seq": seq, "coh": coh, "first": first, "second": second, "kept": kept,
            "seq_grades": {aid: cell_grades(seq, aid) for aid in IDS},
            "first_grades": first_grades,
            "second_grades": {aid: cell_grades(coh, aid) for aid in IDS},
            "first_summary": first_summary, "second_summary": summary(coh)}


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not IDS:
        pytest.skip("course/source に課題がありません / no assignments in course/source")
    return g.shared_once(tmp_path_factory, "cohort-real", _real_course)


PARAMS = [pytest.param(aid, marks=pytest.mark.xdist_group("cohort-real")) for aid in IDS] or [
    pytest.param(None, marks=pytest.mark.skip(reason="no assignments"))]


def _log(proc) -> str:
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])


def test_cohort_command_succeeds_on_the_course(real):
    assert real["first"].returncode == 0, _log(real["first"])
    assert real["second"].returncode == 0, _log(real["second"])
    out = real["first"].stdout
    assert "受講者ID" in out and "合計" in out, "the per-student table is printed"
    for student in REAL_STUDENTS:
        assert student in out


@pytest.mark.parametrize("aid", PARAMS)
def test_same_grades_as_sequential_nbgrader(real, aid):
    seq, coh = real["seq_grades"][aid], real["first_grades"][aid]
    for student in SAME_AS_NBGRADER:
        assert student in seq, f"sequential nbgrader did not grade {student}"
        assert coh.get(student) == seq[student], (
            f"{aid}/{student}: cohort grades differ from nbgrader autograde\n"
            f"nbgrader: {seq[student]}\ncohort:   {coh.get(student)}")


@pytest.mark.parametrize("aid", PARAMS)
def test_rerun_gives_the_same_grades(real, aid):
    assert real["second_grades"][aid] == real["first_grades"][aid]
    for student in REAL_STUDENTS:
        a = real["first_summary"][(student, aid)]
        b = real["second_summary"][(student, aid)]
        assert (a["得点"], a["備考コード"]) == (b["得点"], b["備考コード"]), student


@pytest.mark.parametrize("aid", PARAMS)
def test_broken_submissions_get_what_they_deserve(real, aid):
    kept = real["kept"][aid]
    grades = real["first_grades"][aid]
    rows = real["first_summary"]
    # invalid JSON: 0 everywhere (sequential nbgrader records nothing for it)
    assert all(a == 0 and not manual for a, manual in grades["broken_json"].values())
    assert "invalid_json" in codes(rows[("broken_json", aid)])
    assert rows[("broken_json", aid)]["得点"] == "0"
    # a kernel dying half-way: the cells that ran keep their points, the rest score 0
    dies = grades["dies_midway"]
    for gid, pts in kept["points"].items():
        expected = pts if gid in kept["dies_before"] else 0
        assert (dies[gid][0] or 0) == expected, (gid, dies[gid])
    assert "kernel_died" in codes(rows[("dies_midway", aid)])


@pytest.mark.parametrize("aid", PARAMS)
def test_default_limits_fit_the_course_notebooks(real, aid):
    """With the default limits, the solutions run without any note (no limit is hit)."""
    row = real["first_summary"][("full", aid)]
    assert row["備考"] == "", row
    points = real["kept"][aid]["points"]
    assert {gid: real["first_grades"][aid]["full"][gid][0] for gid in points} == points


def test_grade_sheets_and_feedback(real):
    coh = real["coh"]
    with open(coh / "cohort" / "grades.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    assert head[0] == "受講者ID" and head[1] == "氏名"
    assert [h.split("（")[0] for h in head[2:2 + len(IDS)]] == IDS
    assert head[2 + len(IDS)].startswith("合計")
    assert sorted(r[0] for r in rows[1:]) == sorted(REAL_STUDENTS)
    full = next(r for r in rows[1:] if r[0] == "full")
    total = sum(sum(real["kept"][aid]["points"].values()) for aid in IDS)
    assert float(full[2 + len(IDS)]) == pytest.approx(total)
    # feedback: nbgrader's HTML per notebook, and one page per trainee
    for student in REAL_STUDENTS:
        page = coh / "feedback" / student / "index.html"
        assert page.is_file(), student
        assert "採点結果" in page.read_text(encoding="utf-8")
    for aid in IDS:
        assert (coh / "feedback" / "full" / aid / f"{aid}.html").is_file()
    # the Excel sheet of the second run
    assert (coh / "cohort" / "grades.xlsx").is_file()


# --------------------------------------------------------------------------------------------
# 2. robustness, on the small fixture assignment
# --------------------------------------------------------------------------------------------
ROBUST_CONFIG = """
# --- test_cohort_grading.py: short limits so that the robustness run stays short ---
c.Execute.timeout = 10
c.CohortGrader.cpu_seconds = 2
c.CohortGrader.memory_mb = 1024
c.CohortGrader.file_size_mb = 1
c.CohortGrader.notebook_timeout = 60
c.CohortGrader.output_chars_per_cell = 10000
"""

TESTS = ("total_kwh", "double_visible", "double_hidden", "yes")
FULL = {"total_kwh": 1, "double_visible": 1, "double_hidden": 1, "yes": 1}


def _mini_submissions(root: Path) -> dict:
    src = g.source_notebook(root, MINI)
    rel = g.release_notebook(root, MINI)

    def full():
        return g.full_submission(src)

    def at(nb, cell_id):
        return [c.get("id") for c in nb.cells].index(cell_id)

    def answer(cell_id, code):
        nb = full()
        nb.cells[at(nb, cell_id)].source = code
        return nb

    subs = {"full": full(), "blank": g.blank_submission(rel),
            "partial": g.partial_submission(src).notebook,
            "invalid_json": '{"cells": [ this is not json',
            "empty": "",
            "other_assignment": g.full_submission(g.source_notebook(root, "cohort_other"))}
    nb = full()
    del nb.cells[at(nb, "ex2_test_hidden")]
    subs["deleted_test"] = nb
    nb = full()
    dup = copy.deepcopy(nb.cells[at(nb, "ex1_answer")])
    dup.source, dup.id = "合計_kwh = -1", "dup"
    nb.cells.insert(at(nb, "ex1_answer") + 1, dup)
    subs["duplicated"] = nb
    nb = full()
    test = nb.cells.pop(at(nb, "ex1_test"))
    nb.cells.insert(at(nb, "ex1_answer"), test)
    subs["reordered"] = nb
    nb = full()
    nb.cells[at(nb, "ex2_answer")].source = "def 二倍(x):\n    return x"
    nb.cells[at(nb, "ex2_test_visible")].source = "pass"
    nb.cells[at(nb, "ex2_test_hidden")].source = "pass"
    subs["edited_tests"] = nb
    nb = full()
    nb.cells[at(nb, "info")].source = "書き換えました"
    subs["edited_readonly"] = nb
    subs["infinite_loop"] = answer(
        "ex2_answer",
        "import time\nwhile True:\n    time.sleep(0.05)\n\ndef 二倍(x):\n    return 2 * x")
    subs["unresponsive"] = answer(
        "ex2_answer", "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                      "while True:\n    time.sleep(0.05)")
    subs["cpu_loop"] = answer("ex2_answer", "while True:\n    pass")
    subs["memory"] = answer("ex2_answer",
                            "big = []\nwhile True:\n    big.append(bytearray(50 * 1024 * 1024))")
    subs["huge_output"] = answer(
        "ex2_answer", 'for i in range(200000):\n    print("出力", i)\n\ndef 二倍(x):\n    return 2 * x')
    subs["input"] = answer("ex3_answer", '答え = input("はい か いいえ: ")')
    subs["sys_exit"] = answer("ex3_answer", "import sys\nsys.exit(1)")
    subs["raises"] = answer("ex3_answer", 'raise ValueError("計算を間違えました")')
    subs["kernel_dies"] = answer("ex2_answer", "import os\nos._exit(3)")
    subs["network"] = answer(
        "ex3_answer", 'import urllib.request\nurllib.request.urlopen("http://example.com", '
                      'timeout=3)\n答え = "はい"')
    subs["write_outside"] = answer(
        "ex3_answer", 'open("../../../escape.txt", "w").write("x")\n答え = "はい"')
    subs["write_sibling"] = answer(
        "ex3_answer", 'open("../sibling.txt", "w").write("x")\n答え = "はい"')
    subs["big_file"] = answer(
        "ex3_answer", 'open("big.bin", "wb").write(b"0" * (3 * 1024 * 1024))\n答え = "はい"')
    subs["processes"] = answer(
        "ex3_answer", 'import subprocess, time\nps = [subprocess.Popen(["sleep", "30"]) '
                      'for _ in range(200)]\ntime.sleep(3)\n答え = "はい"')
    subs["bom"] = "\ufeff" + nbformat.writes(full())
    nb = full()
    for cell in nb.cells:
        cell.source = cell.source.replace("\n", "\r\n")
    subs["crlf"] = nbformat.writes(nb).replace("\n", "\r\n")
    return subs


# expected autograder points per test cell (None: the cell is gone), and expected note codes
EXPECTED = {
    "full": (FULL, set()),
    "blank": ({t: 0 for t in TESTS}, set()),
    "invalid_json": ({t: 0 for t in TESTS}, {"invalid_json"}),
    "empty": ({t: 0 for t in TESTS}, {"empty"}),
    "other_assignment": ({t: 0 for t in TESTS}, {"other_assignment"}),
    "deleted_test": ({**FULL, "double_hidden": None}, {"deleted_tests"}),
    "duplicated": ({**FULL, "total_kwh": 0}, {"duplicated"}),
    "reordered": ({**FULL, "total_kwh": 0}, {"reordered"}),
    "edited_tests": ({**FULL, "double_visible": 0, "double_hidden": 0}, {"restored_tests"}),
    "edited_readonly": (FULL, {"restored_cells"}),
    "infinite_loop": ({**FULL, "double_visible": 0, "double_hidden": 0}, {"timeout"}),
    "unresponsive": ({**{t: 0 for t in TESTS}, "total_kwh": 1}, {"unresponsive"}),
    "cpu_loop": ({**{t: 0 for t in TESTS}, "total_kwh": 1}, {"cpu", "kernel_died"}),
    "memory": ({**FULL, "double_visible": 0, "double_hidden": 0}, {"memory"}),
    "huge_output": (FULL, {"output_truncated"}),
    "input": ({**FULL, "yes": 0}, {"input"}),
    "sys_exit": ({**FULL, "yes": 0}, {"sys_exit"}),
    "raises": ({**FULL, "yes": 0}, {"answer_error"}),
    "kernel_dies": ({**{t: 0 for t in TESTS}, "total_kwh": 1}, {"kernel_died"}),
    "network": ({**FULL, "yes": 0}, {"network"}),
    "write_outside": ({**FULL, "yes": 0}, {"write_attempt", "write_blocked"}),
    "write_sibling": (FULL, {"write_outside"}),
    "big_file": ({**FULL, "yes": 0}, {"file_size"}),
    "processes": ({**FULL, "yes": 0}, {"processes"}),
    "bom": (FULL, {"bom"}),
    "crlf": (FULL, {"crlf"}),
    "renamed": (FULL, {"renamed"}),
}
# submissions plain nbgrader grades too, with the same result (no limit or sandbox involved)
NBGRADER_ALIKE = ("full", "blank", "partial", "deleted_test", "reordered", "edited_tests",
                  "edited_readonly", "infinite_loop", "huge_output", "input", "sys_exit", "raises")


def _robust_course(tmp: Path) -> dict:
    base = g.make_course(tmp / "base", COHORT_FIXTURES)
    with open(base / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(ROBUST_CONFIG)
    g.generate_assignment(base, MINI)
    g.generate_assignment(base, "cohort_other")
    src = g.source_notebook(base, MINI)
    partial = g.partial_submission(src).expected_cells
    for name, nb in _mini_submissions(base).items():
        path = g.place_submission(base, MINI, name, nb)
        if isinstance(nb, str):
            path.write_bytes(nb.encode("utf-8"))  # exactly these bytes (BOM, CRLF)
    renamed = base / "submitted" / "renamed" / MINI
    renamed.mkdir(parents=True)
    shutil.copy(base / "release" / MINI / "data.csv", renamed)
    nbformat.write(g.full_submission(src), renamed / f"{MINI}-Copy1.ipynb")

    seq = tmp / "seq" / "course"
    coh = tmp / "coh" / "course"
    shutil.copytree(base, coh)
    seq.mkdir(parents=True)
    for item in ("nbgrader_config.py", "gradebook.db", "source", "release"):
        (shutil.copytree if (base / item).is_dir() else shutil.copy)(base / item, seq / item)
    for name in NBGRADER_ALIKE:
        shutil.copytree(base / "submitted" / name, seq / "submitted" / name)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        seq_done = pool.submit(g.autograde, seq, MINI)
        proc = run_cohort(coh, MINI)
        seq_done.result()
    run = json.loads((coh / "cohort" / "run.json").read_text(encoding="utf-8"))
    return {"coh": coh, "proc": proc, "run": run, "summary": summary(coh),
            "grades": cell_grades(coh, MINI), "seq_grades": cell_grades(seq, MINI),
            "partial": partial}


@pytest.fixture(scope="module")
def robust(tmp_path_factory):
    return g.shared_once(tmp_path_factory, "cohort-robust", _robust_course)


def test_robust_run_finishes_without_grading_errors(robust):
    proc = robust["proc"]
    assert proc.returncode == 0, _log(proc)
    graded = {(r["student"]) for r in robust["run"]["results"]}
    assert graded == set(EXPECTED) | {"partial"}
    statuses = {r["student"]: r["status"] for r in robust["run"]["results"]}
    assert {s for s, st in statuses.items() if st == "zero"} == {
        "invalid_json", "empty", "other_assignment"}
    assert all(st in ("graded", "zero") for st in statuses.values())


def _sandbox(robust) -> dict:
    return robust["run"].get("sandbox") or {}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_problem_is_graded_as_it_deserves_with_a_note(robust, student):
    expected_points, expected_codes = EXPECTED[student]
    sandbox = _sandbox(robust)
    isolated = sandbox.get("network_blocked") or sandbox.get("network_guard")
    if student == "network" and not isolated:
        pytest.skip("no network isolation on this machine")
    if student == "write_outside" and not sandbox.get("read_only"):
        expected_codes = expected_codes - {"write_blocked"}
        expected_points = FULL
    grades = robust["grades"][student]
    got = {t: grades[t][0] for t in TESTS}
    want = dict(expected_points)
    if want.get("double_hidden", 0) is None:  # deleted: nbgrader leaves no autograder score
        assert got.pop("double_hidden") in (None, 0)
        want.pop("double_hidden")
    assert got == want, f"{student}: {robust['summary'][(student, MINI)]['備考']}"
    row = robust["summary"][(student, MINI)]
    assert expected_codes <= codes(row), f"{student}: notes {row['備考']!r}"
    if not expected_codes:
        assert row["備考"] == ""


def test_partial_submission_scores_exercise_by_exercise(robust):
    got = {gid: robust["grades"]["partial"][gid][0] for gid in robust["partial"]}
    assert got == robust["partial"]


def test_ordinary_submissions_get_exactly_what_nbgrader_gives(robust):
    """The problems in the same run changed no one else's grade."""
    for student in NBGRADER_ALIKE:
        assert robust["seq_grades"].get(student) == robust["grades"][student], student


def test_written_answers_wait_for_the_grader(robust):
    assert robust["grades"]["full"]["opinion"] == (None, True)
    assert robust["grades"]["blank"]["opinion"] == (0, False)
    assert robust["grades"]["invalid_json"]["opinion"] == (0, False)


def test_nothing_escapes_the_sandbox(robust):
    coh = robust["coh"]
    assert not (coh / "escape.txt").exists()
    assert not list(coh.rglob("sibling.txt"))
    assert not list(coh.rglob("big.bin")) or all(
        p.stat().st_size <= 1024 * 1024 for p in coh.rglob("big.bin"))


def test_sandbox_report_is_recorded(robust):
    sandbox = _sandbox(robust)
    limits = sandbox.get("limits", {})
    assert limits.get("cpu_seconds") == 2
    assert limits.get("file_size_bytes") == 1024 * 1024
    assert limits.get("memory_bytes", 0) >= 1024 * 1024 * 1024
    if sys.platform.startswith("linux"):
        assert sandbox.get("network_blocked") or sandbox.get("network_guard")


def test_feedback_page_explains_the_notes(robust):
    page = (robust["coh"] / "feedback" / "invalid_json" / "index.html").read_text(encoding="utf-8")
    assert "JSONとして読めないファイル" in page
    assert (robust["coh"] / "feedback" / "full" / MINI / f"{MINI}.html").is_file()


def test_excel_sheet(robust):
    from openpyxl import load_workbook

    wb = load_workbook(robust["coh"] / "cohort" / "grades.xlsx")
    ws = wb["成績"]
    head = [c.value for c in ws[1]]
    assert head[:2] == ["受講者ID", "氏名"]
    assert head[2].startswith("cohort_mini") and "cohort_other" in head[3]
    assert head[4:] == ["合計", "手採点待ち", "備考"]
    assert [c.value for c in ws[2]][:5] == ["満点", None, 6, 1, 7]
    students = [ws.cell(r, 1).value for r in range(3, ws.max_row + 1)]
    assert students == sorted(set(EXPECTED) | {"partial"})
    row = {ws.cell(1, c).value: ws.cell(students.index("full") + 3, c).value
           for c in range(1, ws.max_column + 1)}
    assert row["合計"].startswith("=SUM(")
    assert "提出物ごと" in wb.sheetnames and "採点の設定" in wb.sheetnames


# --------------------------------------------------------------------------------------------
# 3. units
# --------------------------------------------------------------------------------------------
def _nb_bytes(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


@pytest.fixture
def mini_source():
    return nbformat.read(COHORT_FIXTURES / MINI / f"{MINI}.ipynb", as_version=4)


def test_read_submission_repairs_and_refuses(tmp_path, mini_source):
    p = tmp_path / "x.ipynb"
    p.write_bytes(b"\xef\xbb\xbf" + _nb_bytes(mini_source))
    r = submission.read_submission(p)
    assert r.notebook is not None and r.repaired and [n["code"] for n in r.notes] == ["bom"]
    p.write_bytes(_nb_bytes(mini_source).replace(b"\n", b"\r\n"))
    r = submission.read_submission(p)
    assert r.notebook is not None and not r.repaired and [n["code"] for n in r.notes] == ["crlf"]
    p.write_bytes(_nb_bytes(mini_source))
    r = submission.read_submission(p)
    assert r.notebook is not None and not r.repaired and r.notes == []
    for raw, code in [(b"", "empty"), (b"   \n", "empty"), (b"{not json", "invalid_json"),
                      (b"[1, 2]", "not_notebook"), (b"\xff\xfe\x00", "invalid_json")]:
        p.write_bytes(raw)
        r = submission.read_submission(p)
        assert r.notebook is None and r.fatal == code, raw
    link = tmp_path / "link.ipynb"
    link.symlink_to(p)
    assert submission.read_submission(link).fatal == "link"
    p.write_bytes(nbformat.writes(mini_source).encode("cp932", "replace"))
    r = submission.read_submission(p)
    assert r.notebook is not None and "encoding" in [n["code"] for n in r.notes]


def _cells(nb) -> submission.AssignmentCells:
    tests, answers, locked, order = set(), set(), {}, []
    for cell in nb.cells:
        m = cell.metadata.get("nbgrader", {})
        if not m:
            continue
        order.append(m["grade_id"])
        if m.get("grade") and not m.get("solution"):
            tests.add(m["grade_id"])
        if m.get("solution"):
            answers.add(m["grade_id"])
        if m.get("locked"):
            locked[m["grade_id"]] = (cell.cell_type, cell.source)
    return submission.AssignmentCells(order, tests, answers, locked)


def test_structure_notes_and_repair(mini_source):
    cells = _cells(mini_source)
    assert submission.structure_notes(mini_source, cells, {}) == []
    nb = copy.deepcopy(mini_source)
    ids = [c.get("id") for c in nb.cells]
    nb.cells[ids.index("ex1_test")].source = "pass"
    del nb.cells[ids.index("ex3_test")]
    found = {n["code"] for n in submission.structure_notes(nb, cells, {})}
    assert found == {"restored_tests", "deleted_tests"}
    nb = copy.deepcopy(mini_source)
    nb.cells.append(copy.deepcopy(nb.cells[ids.index("ex1_answer")]))
    stray = nbformat.v4.new_code_cell("y = 2")
    stray.metadata["nbgrader"] = {"grade": True, "grade_id": "elsewhere", "locked": True,
                                  "points": 1, "schema_version": 3, "solution": False,
                                  "task": False}
    nb.cells.append(stray)
    found = {n["code"] for n in submission.structure_notes(nb, cells, {})}
    assert {"duplicated", "reordered"} <= found
    changed, repair_notes = submission.repair(nb, cells)
    assert changed and [n["code"] for n in repair_notes] == ["unknown_cells"]
    gids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert gids.count("ex1_answer") == 1 and gids[-2] == "ex1_answer" and gids[-1] is None
    other = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": "other_answer", "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    other.cells = [cell]
    found = submission.structure_notes(other, cells, {"cohort_other": {"other_answer"}})
    assert [n["code"] for n in found] == ["other_assignment"] and "cohort_other" in found[0]["text"]


def _error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


@pytest.mark.parametrize("ename,evalue,code", [
    ("CellTimeoutError", "", "timeout"),
    ("MemoryError", "", "memory"),
    ("StdinNotImplementedError", "raw_input was called", "input"),
    ("SystemExit", "1", "sys_exit"),
    ("OSError", "[Errno 30] Read-only file system: '/x'", "write_blocked"),
    ("OSError", "[Errno 27] File too large", "file_size"),
    ("URLError", "<urlopen error [Errno 101] Network is unreachable>", "network"),
    ("gaierror", "[Errno -3] Temporary failure in name resolution", "network"),
    ("BlockingIOError", "[Errno 11] Resource temporarily unavailable", "processes"),
    ("ValueError", "計算を間違えました", None),
    ("NameError", "name 'x' is not defined", None),
])
def test_error_outputs_become_notes(ename, evalue, code):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [_error(ename, evalue)]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), cell]
    found = notes_mod.notes_from_notebook(nb, None, None)
    assert [n["code"] for n in found] == ([code] if code else [])
    if code:
        assert found[0]["cell"] == 2 and "セル 2" in found[0]["text"]


@pytest.mark.parametrize("nbgrader_meta, ename, noted", [
    ({"solution": True, "grade": False, "grade_id": "a"}, "ValueError", True),   # the trainee's code
    ({"solution": True, "grade": False, "grade_id": "a"}, "NotImplementedError", False),  # unanswered
    ({"solution": False, "grade": True, "grade_id": "t", "points": 1}, "AssertionError", False),  # a test
    ({}, "NameError", False),                                                     # a given cell
])
def test_errors_in_answer_cells_are_noted(nbgrader_meta, ename, noted):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.metadata["nbgrader"] = nbgrader_meta
    cell.outputs = [_error(ename, "…")]
    nb.cells = [cell]
    found = notes_mod.notes_from_notebook(nb, None, None)
    assert [n["code"] for n in found] == (["answer_error"] if noted else [])
    if noted:
        assert found[0]["text"] == "解答セルがエラーで終了（セル 1: ValueError）"


def test_kernel_death_notes():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x")]
    stopped = {"cell": 0, "reason": "kernel_died"}
    assert [n["code"] for n in notes_mod.notes_from_notebook(nb, stopped, -24)] == [
        "cpu", "kernel_died"]
    assert [n["code"] for n in notes_mod.notes_from_notebook(nb, stopped, -9, "", "processes")
            ] == ["processes", "kernel_died"]
    assert [n["code"] for n in notes_mod.notes_from_notebook(
        nb, {"cell": 0, "reason": "notebook_timeout"}, None)] == ["notebook_timeout"]


def test_summary_table_aligns_japanese():
    sheet = report.Sheet(
        ["00_orientation"], {"00_orientation": "はじめに"}, {"00_orientation": 2.0},
        ["s1", "長い名前の受講者"], {}, {
            ("s1", "00_orientation"): report.Cell(2.0, 2.0, False, [], "graded"),
            ("長い名前の受講者", "00_orientation"): report.Cell(
                0.0, 2.0, False, [notes_mod.note("invalid_json")], "zero")})
    lines = report.summary_table(sheet, ["00_orientation"], sheet.students).splitlines()
    assert lines[0].startswith("受講者ID")
    widths = {report._width(line.split(" | ")[0]) for line in lines if " | " in line}
    assert len(widths) == 1, lines
    assert "JSONとして読めないファイル" in lines[-1]


def test_every_setting_is_documented():
    """Each CohortGrader setting appears in nbgrader_config.py and in the instructor guide."""
    config = (g.COURSE / "nbgrader_config.py").read_text(encoding="utf-8")
    guide = (g.COURSE / "instructor_guide.md").read_text(encoding="utf-8")
    for name in CohortGrader.class_trait_names(config=True):
        assert f"CohortGrader.{name}" in config, name
        assert f"CohortGrader.{name}" in guide, name
    assert "Execute.timeout" in config and "Execute.timeout" in guide
    defaults = CohortGrader()
    for name in ("cpu_seconds", "memory_mb", "file_size_mb", "processes", "notebook_timeout"):
        assert getattr(defaults, name) > 0, name
    assert defaults.network is False and defaults.read_only is True


def test_kit_has_a_grade_command():
    spec = importlib.util.spec_from_file_location("kit_for_test", g.REPO / "kit.py")
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    assert "grade" in kit.COMMANDS
    assert "grade" in (kit.__doc__ or "")


def test_cli_refuses_an_unknown_assignment(tmp_path):
    course = g.make_course(tmp_path, COHORT_FIXTURES, ["cohort_other"])
    g.generate_assignment(course, "cohort_other")
    proc = run_cohort(course, "no_such_assignment", timeout=300)
    assert proc.returncode == 2
    assert "generate_assignment no_such_assignment" in proc.stderr
    proc = run_cohort(course, "cohort_other", "-q", timeout=300)  # nothing submitted yet
    assert proc.returncode == 0, _log(proc)
    assert (course / "cohort" / "grades.csv").is_file()
    assert not os.listdir(course / "submitted") if (course / "submitted").exists() else True


@pytest.mark.parametrize("aid", PARAMS)
def test_every_manually_graded_cell_has_a_rubric(aid):
    """An assignment with written (manually graded) answers has its rubric in the guide."""
    nb = nbformat.read(g.COURSE / "source" / aid / f"{aid}.ipynb", as_version=4)
    manual = g.manual_grade_ids(nb)
    if not manual:
        return
    guide = (g.COURSE / "instructor_guide.md").read_text(encoding="utf-8")
    hint = (f"{aid} の記述式セル {manual} のルーブリックを course/instructor_guide.md 5章に "
            f"「### ルーブリック: {aid}」として書いてください / add a rubric for {aid}")
    assert f"### ルーブリック: {aid}" in guide, hint
    section = guide.split(f"### ルーブリック: {aid}", 1)[1].split("\n### ", 1)[0]
    rubric = g.COURSE / "rubrics" / f"{aid}.md"
    points = {g._nbg(c)["grade_id"]: float(g._nbg(c)["points"]) for c in nb.cells
              if g.is_manual_cell(c)}
    rows = {cols[2].strip("` "): cols[3].strip() for line in guide.splitlines()
            if line.startswith("| ") and len(cols := line.split("|")) > 4}
    for gid in manual:
        assert f"`{gid}`" in section, hint
        assert gid in rows and float(rows[gid]) == points[gid], (
            f"5章の表の {gid} の配点 {rows.get(gid)} がノートブックの {points[gid]} 点と違います")
        assert rubric.is_file() and gid in rubric.read_text(encoding="utf-8"), (
            f"{rubric} にセル {gid} のルーブリックがありません / no rubric for {gid}")


def test_every_note_is_explained_in_the_guide():
    """Each note the summary can show has its row in the guide's table (4.3), by its fixed text."""
    guide = (g.COURSE / "instructor_guide.md").read_text(encoding="utf-8")
    section = guide.split("### 4.3", 1)[1].split("\n### ", 1)[0]
    for code, text in notes_mod.TEXTS.items():
        head = max(re.split(r"\{[^}]*\}|（[^）]*）|[（）]", text), key=len).strip(" :")
        assert head and head in section, f"{code}: 「{head}」が instructor_guide.md 4.3 にありません"
