"""The generation-and-grading pipeline, for every assignment in course/source.

Parametrised over the assignment folders present, so a new notebook is covered with no new code.

(a) drift: course/build.py reproduces notebooks/<id> byte for byte and solutions/<id> up to
    outputs, and notebooks/index.ipynb;
(b) the source passes ``nbgrader validate``; the student copy passes ``validate --invert``
    (no autograder test passes on the untouched student copy);
(c) one ``nbgrader autograde`` run with three students: full (the source) gets every
    autograded point, blank (the student copy) gets 0, partial (every other exercise answered
    wrongly) gets exactly the points of the exercises kept right, cell by cell;
(d) ``nbgrader generate_feedback`` writes an HTML per student, ``nbgrader export`` a CSV.

Manually graded answers are left out of the expected autograded totals: nbgrader scores an
untouched manual answer 0 (needs_manual_grade False) and a changed one None → 0 with
needs_manual_grade True.

Environment (for developing the tooling, not for CI):
  CN_PIPELINE_SOURCE  a folder of assignment folders to use instead of course/source
                      (e.g. tests/fixtures/good); drift is then checked against a first build
                      made in a temporary folder (i.e. the build must be deterministic).
"""

from __future__ import annotations

import concurrent.futures
import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import grading as g
import nbformat
import pytest

SOURCE_DIR = Path(os.environ.get("CN_PIPELINE_SOURCE") or g.COURSE / "source").resolve()
REAL_COURSE = SOURCE_DIR == (g.COURSE / "source").resolve()
IDS = sorted(d.name for d in SOURCE_DIR.iterdir()
             if d.is_dir() and not d.name.startswith((".", "_")) and any(d.glob("*.ipynb"))
             ) if SOURCE_DIR.is_dir() else []

NO_ASSIGNMENTS = pytest.param(
    None, marks=pytest.mark.skip(
        reason="course/source に課題がまだありません / no assignments in course/source yet"))
PARAMS = [pytest.param(aid, marks=pytest.mark.xdist_group(f"pipeline-{aid}")) for aid in IDS] \
    or [NO_ASSIGNMENTS]

STUDENTS = ("full", "blank", "partial")


# --------------------------------------------------------------------------------------------
# (a) drift
# --------------------------------------------------------------------------------------------
def _course_dir_for(tmp: Path) -> Path:
    """The course folder to build from: course/ itself, or a copy around SOURCE_DIR."""
    if REAL_COURSE:
        return g.COURSE
    course = tmp / "course-under-test"
    if not course.exists():
        course.mkdir(parents=True)
        for name in ("nbgrader_config.py", "syllabus.yml"):
            shutil.copyfile(g.COURSE / name, course / name)
        shutil.copytree(SOURCE_DIR, course / "source")
    return course


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory) -> Path:
    """Where the committed build lives: the repository (or, for fixtures, a first build)."""
    if REAL_COURSE:
        return g.REPO

    def first_build(tmp: Path) -> Path:
        g.build_module.build(tmp / "out", course_dir=_course_dir_for(tmp), log=lambda *_: None)
        return tmp / "out"
    return g.shared_once(tmp_path_factory, "reference", first_build)


def _files(folder: Path) -> list[str]:
    # what JupyterLab leaves next to an opened notebook (checkpoints) is not part of the build
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()
                  and not g.build_module._ignored(p.name)
                  and not any(g.build_module._ignored(part) for part in p.relative_to(folder).parts))


def _strip_outputs(nb: nbformat.NotebookNode) -> dict:
    """A notebook without outputs and execution info, for comparing solutions."""
    out = {"metadata": dict(nb.metadata), "cells": []}
    for cell in nb.cells:
        meta = {k: v for k, v in cell.metadata.items() if k not in ("execution", "ExecuteTime")}
        out["cells"].append({"cell_type": cell.cell_type, "id": cell.get("id"),
                             "source": cell.source, "metadata": meta})
    return out


REBUILD_HINT = ("生成物が course/source とずれています。`python course/build.py --only {aid}` で"
                "作り直してください / generated files drift from course/source: "
                "run `python course/build.py --only {aid}`")


@pytest.mark.parametrize("aid", PARAMS)
def test_build_reproduces_committed_files(aid, tmp_path, reference_dir):
    out = tmp_path / "out"
    g.build_module.build(out, only=[aid], course_dir=_course_dir_for(tmp_path),
                         log=lambda *_: None)
    hint = REBUILD_HINT.format(aid=aid)

    new_nb, ref_nb = out / "notebooks" / aid, reference_dir / "notebooks" / aid
    assert ref_nb.is_dir(), f"{ref_nb} がありません / missing. {hint}"
    assert _files(new_nb) == _files(ref_nb), hint
    for rel in _files(new_nb):
        assert (new_nb / rel).read_bytes() == (ref_nb / rel).read_bytes(), \
            f"notebooks/{aid}/{rel}: {hint}"

    new_sol, ref_sol = out / "solutions" / aid, reference_dir / "solutions" / aid
    assert ref_sol.is_dir(), f"{ref_sol} がありません / missing. {hint}"
    assert _files(new_sol) == _files(ref_sol), hint
    for rel in _files(new_sol):
        if rel.endswith(".ipynb"):
            a = _strip_outputs(nbformat.read(new_sol / rel, as_version=4))
            b = _strip_outputs(nbformat.read(ref_sol / rel, as_version=4))
            assert a == b, f"solutions/{aid}/{rel}: {hint}"
        else:
            assert (new_sol / rel).read_bytes() == (ref_sol / rel).read_bytes(), \
                f"solutions/{aid}/{rel}: {hint}"


def test_index_is_up_to_date(tmp_path, reference_dir):
    out = tmp_path / "out"
    g.build_module.build(out, index_only=True, course_dir=_course_dir_for(tmp_path),
                         log=lambda *_: None)
    ref = reference_dir / "notebooks" / "index.ipynb"
    assert ref.is_file(), "notebooks/index.ipynb がありません / missing: run python course/build.py"
    assert (out / "notebooks" / "index.ipynb").read_bytes() == ref.read_bytes(), (
        "notebooks/index.ipynb が syllabus.yml・course/source とずれています。"
        "`python course/build.py --index-only` で作り直してください / the index drifts: "
        "run `python course/build.py --index-only`")


@pytest.mark.skipif(not REAL_COURSE, reason="only for the real course")
def test_no_generated_folder_without_source():
    orphans = g.build_module.orphan_folders(g.REPO, g.COURSE)
    assert not orphans, (f"course/source にない課題の生成物があります / generated folders without "
                         f"a source (delete them): {orphans}")


# --------------------------------------------------------------------------------------------
# one graded course per assignment, shared by (b), (c), (d)
# --------------------------------------------------------------------------------------------
@dataclass
class Graded:
    aid: str
    root: Path
    autograde: object            # CompletedProcess of the one autograde run
    scores: dict                 # student → grading.NotebookScore
    points: dict                 # grade_id → points of every autograder test
    manual: list                 # grade_ids of manually graded answers
    partial: g.PartialPlan
    validate_source: g.ValidateResult
    validate_student: g.ValidateResult


@pytest.fixture(scope="module", params=PARAMS)
def graded(request, tmp_path_factory) -> Graded:
    aid = request.param
    return g.shared_once(tmp_path_factory, f"graded-{aid}", lambda tmp: _grade(aid, tmp))


def _grade(aid: str, tmp: Path) -> Graded:
    root = g.make_course(tmp, SOURCE_DIR, [aid])
    g.generate_assignment(root, aid)
    src, rel = g.source_notebook(root, aid), g.release_notebook(root, aid)
    plan = g.partial_submission(src)
    g.place_submission(root, aid, "full", g.full_submission(src))
    g.place_submission(root, aid, "blank", g.blank_submission(rel))
    g.place_submission(root, aid, "partial", plan.notebook)
    # validate does not touch the gradebook: run both validations while autograde runs.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        f_src = pool.submit(g.validate, root, src)
        f_rel = pool.submit(g.validate, root, rel, True)
        proc = g.autograde(root, aid)
        res_src, res_rel = f_src.result(), f_rel.result()
    source_nb = nbformat.read(src, as_version=4)
    return Graded(aid, root, proc, g.read_scores(root, aid), g.grade_points(source_nb),
                  g.manual_grade_ids(source_nb), plan, res_src, res_rel)


def _log(proc) -> str:
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])


# --------------------------------------------------------------------------------------------
# (b) validate
# --------------------------------------------------------------------------------------------
def test_validate_source_passes_and_student_copy_fails(graded):
    """Both validations ran in the fixture, alongside autograde (see ``graded``)."""
    res_src, res_rel = graded.validate_source, graded.validate_student
    assert res_src.ok, (f"{graded.aid}: ソースが nbgrader validate を通りません / the source fails "
                        f"nbgrader validate:\n{res_src.output[-4000:]}")
    assert res_rel.ok, (f"{graded.aid}: 未回答の生徒用ノートブックで通ってしまうテストがあります"
                        "（見える確認を先頭に置いてください）/ some test passes on the untouched "
                        f"student copy (validate --invert):\n{res_rel.output[-4000:]}")


# --------------------------------------------------------------------------------------------
# (c) autograde
# --------------------------------------------------------------------------------------------
def test_autograde_graded_every_student(graded):
    missing = [s for s in STUDENTS if s not in graded.scores]
    assert not missing, f"no grades for {missing}:\n{_log(graded.autograde)}"
    for s in STUDENTS:
        cells = graded.scores[s].cells
        assert set(graded.points) <= set(cells), f"{s}: grade cells missing"
        not_run = [gid for gid in graded.points if cells[gid].auto_score is None]
        assert not not_run, (f"{s}: the autograder gave no score to {not_run} (the submission "
                             f"was not graded):\n{_log(graded.autograde)}")
    assert "There was an error processing assignment" not in graded.autograde.stderr, \
        _log(graded.autograde)


def test_full_solution_gets_every_autograded_point(graded):
    score = graded.scores["full"]
    wrong = {gid: (score.cells[gid].auto_score, pts) for gid, pts in graded.points.items()
             if score.cells[gid].auto_score != pts}
    assert not wrong, f"{graded.aid}: the solution loses points (got, max): {wrong}"
    assert score.auto_points(graded.points) == sum(graded.points.values()) > 0


def test_blank_student_copy_gets_zero(graded):
    score = graded.scores["blank"]
    got = {gid: score.cells[gid].auto_score for gid in graded.points
           if score.cells[gid].auto_score}
    assert not got, f"{graded.aid}: the untouched student copy scores points: {got}"
    for gid in graded.manual:
        assert score.cells[gid].score == 0


def test_partial_submission_gets_exactly_the_kept_exercises(graded):
    score = graded.scores["partial"]
    got = {gid: score.cells[gid].auto_score for gid in graded.partial.expected_cells}
    assert got == graded.partial.expected_cells, (
        f"{graded.aid}: exercises {graded.partial.wrong_exercises} were answered wrongly "
        f"(every name their solution assigns set to -1); expected {graded.partial.expected_cells}")
    assert score.auto_points(graded.points) == graded.partial.expected_total


def test_manual_answers_wait_for_a_grader(graded):
    """A written answer (full, partial) needs manual grading and counts 0 until graded."""
    for student in ("full", "partial"):
        for gid in graded.manual:
            cell = graded.scores[student].cells[gid]
            assert cell.auto_score is None and cell.needs_manual_grade and cell.score == 0


# --------------------------------------------------------------------------------------------
# (d) feedback and export
# --------------------------------------------------------------------------------------------
def test_feedback_and_export(graded):
    aid, root = graded.aid, graded.root
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # both only read the gradebook
        feedback = pool.submit(g.nbgrader, root, "generate_feedback", aid, "--force")
        export = pool.submit(g.nbgrader, root, "export", "--to", "grades.csv")
        feedback.result(), export.result()
    for s in STUDENTS:
        html = root / "feedback" / s / aid / f"{aid}.html"
        assert html.is_file() and html.stat().st_size > 1000, f"no feedback for {s}"
    with open(root / "grades.csv", encoding="utf-8", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == aid}
    assert set(rows) == set(STUDENTS)
    for s in STUDENTS:
        assert float(rows[s]["score"]) == pytest.approx(graded.scores[s].score)
        assert float(rows[s]["max_score"]) == pytest.approx(graded.scores[s].max_score)
    assert float(rows["blank"]["score"]) == 0
    assert float(rows["full"]["score"]) == pytest.approx(sum(graded.points.values()))
