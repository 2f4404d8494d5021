"""Helpers for testing the nbgrader pipeline: temporary courses, submissions, scores.

Used by tests/test_pipeline.py (the real assignments in course/source) and
tests/test_pipeline_tooling.py (the fixture assignments in tests/fixtures).

Every nbgrader call runs ``python -m nbgrader`` with this interpreter, cwd = the temporary
course directory, and never sets NBGRADER_EXECUTION (nbgrader sets it itself while it
validates or autogrades).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "course"
GRADER = REPO / "grader"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_build_module():
    """course/build.py as a module (not importable as a package; ``build`` is also a PyPI name)."""
    spec = importlib.util.spec_from_file_location("cn_course_build", COURSE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_module = load_build_module()
BuildError = build_module.BuildError
kernel_env = build_module.kernel_env


# --------------------------------------------------------------------------------------------
# pytest: compute an expensive fixture once per session, also under pytest-xdist
# --------------------------------------------------------------------------------------------
def shared_once(tmp_path_factory, key: str, compute):
    """``compute(workdir)`` once per test session, even when pytest-xdist spreads the tests
    that use it over several workers (a module-scoped fixture would run once per worker).

    The first worker to create the shared folder computes and pickles the result; the others
    wait for it. Without xdist this is just ``compute(tmp_path_factory.mktemp(key))``.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return compute(tmp_path_factory.mktemp(key))
    shared = tmp_path_factory.getbasetemp().parent / f"shared-{key}"
    result_file = shared / "result.pickle"
    try:
        shared.mkdir()
    except FileExistsError:
        deadline = time.monotonic() + 3600
        while not result_file.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"another pytest worker did not finish {key}") from None
            time.sleep(0.2)
        with open(result_file, "rb") as f:
            ok, value = pickle.load(f)
        if not ok:
            raise RuntimeError(f"{key} failed in another pytest worker: {value}") from None
        return value
    payload = (False, "interrupted")
    try:
        value = compute(shared / "work")
        payload = (True, value)
        return value
    except BaseException as exc:
        payload = (False, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        tmp = shared / "result.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(payload, f)
        os.replace(tmp, result_file)


# --------------------------------------------------------------------------------------------
# nbgrader
# --------------------------------------------------------------------------------------------
def nbgrader(course_dir: Path, *args: str, check: bool = True,
             timeout: float = 900) -> subprocess.CompletedProcess:
    """``python -m nbgrader ARGS`` in ``course_dir``; stdout and stderr captured as text."""
    return build_module.run_nbgrader(list(args), cwd=Path(course_dir), check=check,
                                     timeout=timeout)


def make_course(tmp_path: Path, source_dir: Path, assignment_ids: list[str] | None = None,
                config_from: Path = COURSE) -> Path:
    """A temporary course: course/nbgrader_config.py (so root = that folder) + sources.

    ``source_dir`` holds assignment folders (like course/source). Returns the course root.
    """
    source_dir = Path(source_dir)
    ids = assignment_ids or sorted(d.name for d in source_dir.iterdir() if d.is_dir())
    root = Path(tmp_path) / "course"
    (root / "source").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(config_from) / "nbgrader_config.py", root / "nbgrader_config.py")
    for aid in ids:
        shutil.copytree(source_dir / aid, root / "source" / aid,
                        ignore=shutil.ignore_patterns(*build_module.IGNORED))
    return root


def generate_assignment(course_dir: Path, aid: str) -> Path:
    nbgrader(course_dir, "generate_assignment", aid, "--force")
    release = Path(course_dir) / "release" / aid
    assert release.is_dir(), f"nbgrader generate_assignment produced no {release}"
    return release


def source_notebook(course_dir: Path, aid: str) -> Path:
    return Path(course_dir) / "source" / aid / f"{aid}.ipynb"


def release_notebook(course_dir: Path, aid: str) -> Path:
    return Path(course_dir) / "release" / aid / f"{aid}.ipynb"


def place_submission(course_dir: Path, aid: str, student: str,
                     notebook: nbformat.NotebookNode | Path | str) -> Path:
    """Put a submission at submitted/<student>/<aid>/<aid>.ipynb (with the released data files).

    ``notebook`` is a NotebookNode, a path to copy, or raw text (e.g. invalid JSON).
    """
    dest_dir = Path(course_dir) / "submitted" / student / aid
    if dest_dir.exists():
        shutil.rmtree(dest_dir)
    release = Path(course_dir) / "release" / aid
    if release.is_dir():
        shutil.copytree(release, dest_dir, ignore=shutil.ignore_patterns("*.ipynb"))
    else:
        dest_dir.mkdir(parents=True)
    dest = dest_dir / f"{aid}.ipynb"
    if isinstance(notebook, nbformat.NotebookNode):
        nbformat.write(notebook, dest)
    elif isinstance(notebook, Path):
        shutil.copyfile(notebook, dest)
    else:
        dest.write_text(notebook, encoding="utf-8")
    return dest


def autograde(course_dir: Path, aid: str) -> subprocess.CompletedProcess:
    """Autograde every submitted student in one run. Not checked: nbgrader exits 1 when one
    submission fails (the others are still graded) — look at the gradebook instead."""
    return nbgrader(course_dir, "autograde", aid, "--force", check=False)


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------
VALIDATE_PASSED = "Success! Your notebook passes all the tests."
VALIDATE_NONE_PASS = "Success! The notebook does not pass any tests."


@dataclass
class ValidateResult:
    ok: bool
    returncode: int
    output: str


def validate(course_dir: Path, notebook: Path, invert: bool = False) -> ValidateResult:
    """Run ``nbgrader validate [--invert] NOTEBOOK`` and judge it by its output.

    nbgrader 0.9.6 exits 0 when validation fails (it only prints "VALIDATION FAILED ON n
    CELL(S)!" or, with --invert, "NOTEBOOK PASSED ON n CELL(S)!"), and also exits 0 with no
    output at all when the path matches no file. Success is therefore the exact success line:
    without --invert every test cell passes; with --invert *no* test cell passes.
    """
    args = ["validate", *(["--invert"] if invert else []), str(notebook)]
    proc = nbgrader(course_dir, *args, check=False)
    text = proc.stdout
    wanted = VALIDATE_NONE_PASS if invert else VALIDATE_PASSED
    bad = ("VALIDATION FAILED", "NOTEBOOK PASSED ON", "HAVE CHANGED", "fatal error")
    ok = (proc.returncode == 0 and wanted in text
          and not any(b in text or b in proc.stderr for b in bad))
    return ValidateResult(ok, proc.returncode, proc.stdout + proc.stderr)


# --------------------------------------------------------------------------------------------
# the gradebook
# --------------------------------------------------------------------------------------------
@dataclass
class CellScore:
    name: str
    cell_type: str
    auto_score: float | None
    score: float
    max_score: float
    needs_manual_grade: bool


@dataclass
class NotebookScore:
    student: str
    score: float
    max_score: float
    needs_manual_grade: bool
    cells: dict[str, CellScore] = field(default_factory=dict)

    def auto_points(self, grade_ids) -> float:
        """Sum of the autograder's scores over ``grade_ids`` (None counts as 0)."""
        return sum(self.cells[g].auto_score or 0.0 for g in grade_ids)


def read_scores(course_dir: Path, aid: str, notebook: str | None = None) -> dict[str, NotebookScore]:
    """Scores per student for one notebook, read with nbgrader.api.Gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    notebook = notebook or aid
    db_url = f"sqlite:///{Path(course_dir) / 'gradebook.db'}"
    result = {}
    # Gradebook() runs the `alembic` command found on PATH (nbgrader 0.9.6).
    bindir = str(Path(sys.executable).parent)
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = bindir + os.pathsep + old_path
    try:
        gb = Gradebook(db_url, "cn-support")
    finally:
        os.environ["PATH"] = old_path
    with gb:
        for student in gb.students:
            try:
                nb = gb.find_submission_notebook(notebook, aid, student.id)
            except MissingEntry:
                continue
            score = NotebookScore(student.id, float(nb.score), float(nb.max_score),
                                  bool(nb.needs_manual_grade))
            for g in nb.grades:
                score.cells[g.name] = CellScore(
                    g.name, g.cell_type, g.auto_score, float(g.score), float(g.max_score),
                    bool(g.needs_manual_grade))
            result[student.id] = score
    return result


# --------------------------------------------------------------------------------------------
# exercises and submissions
# --------------------------------------------------------------------------------------------
def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer_cell(cell) -> bool:
    """An autograded answer: an nbgrader solution cell that is not itself graded (code)."""
    m = _nbg(cell)
    return cell.cell_type == "code" and bool(m.get("solution")) and not m.get("grade")


def is_test_cell(cell) -> bool:
    """An autograder test: a graded, read-only code cell (not a manually graded answer)."""
    m = _nbg(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_manual_cell(cell) -> bool:
    m = _nbg(cell)
    return bool(m.get("grade")) and bool(m.get("solution"))


@dataclass
class Exercise:
    index: int
    answer_cells: list[int] = field(default_factory=list)
    test_cells: list[int] = field(default_factory=list)


def split_exercises(nb: nbformat.NotebookNode) -> tuple[list[Exercise], list[int]]:
    """Exercises = answer cells followed by their test cells up to the next answer cell.

    Returns (exercises, orphan test cells that come before any answer cell).
    """
    exercises: list[Exercise] = []
    orphans: list[int] = []
    current: Exercise | None = None
    for i, cell in enumerate(nb.cells):
        if is_answer_cell(cell):
            if current is None or current.test_cells:
                current = Exercise(len(exercises))
                exercises.append(current)
            current.answer_cells.append(i)
        elif is_test_cell(cell):
            if current is None:
                orphans.append(i)
            else:
                current.test_cells.append(i)
    return exercises, orphans


def grade_points(nb: nbformat.NotebookNode) -> dict[str, float]:
    """grade_id → points of every autograder test cell."""
    return {_nbg(c)["grade_id"]: float(_nbg(c).get("points", 0))
            for c in nb.cells if is_test_cell(c)}


def manual_grade_ids(nb: nbformat.NotebookNode) -> list[str]:
    return [_nbg(c)["grade_id"] for c in nb.cells if is_manual_cell(c)]


_SOLUTION_RE = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*$",
                          re.DOTALL | re.MULTILINE)


def _wrong_code(solution: str, indent: str = "") -> str:
    """Code that binds every top-level name the solution binds to a wrong value (-1).

    Assign/AnnAssign/AugAssign targets get ``-1`` (a subscript or attribute target keeps its
    target, e.g. ``df["co2"] = -1``); a function or class becomes ``def f(*a, **k): return -1``.
    """
    import textwrap

    tree = ast.parse(textwrap.dedent(solution))
    lines: list[str] = []
    seen: set[str] = set()

    def add(line: str) -> None:
        if line not in seen:
            seen.add(line)
            lines.append(line)

    def targets(node) -> None:
        if isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                targets(elt)
        elif isinstance(node, ast.Starred):
            targets(node.value)
        else:
            add(f"{ast.unparse(node)} = -1")

    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                targets(t)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            targets(stmt.target)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(f"def {stmt.name}(*a, **k):\n{indent}    return -1")
    if not lines:
        lines.append("pass")
    return "\n".join(indent + line for line in lines)


def make_wrong(source: str) -> str:
    """Replace each ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region with wrong code."""
    def repl(match: re.Match) -> str:
        return _wrong_code(match.group(2), match.group(1))
    new, count = _SOLUTION_RE.subn(repl, source)
    if count == 0:
        raise ValueError("no ### BEGIN SOLUTION … ### END SOLUTION region in:\n" + source)
    return new


def full_submission(source_nb: Path) -> nbformat.NotebookNode:
    """The source notebook itself. nbgrader restores the test cells (with hidden tests) from the
    gradebook, so this is the complete solution."""
    return nbformat.read(source_nb, as_version=4)


def blank_submission(release_nb: Path) -> nbformat.NotebookNode:
    """The released student copy, untouched."""
    return nbformat.read(release_nb, as_version=4)


@dataclass
class PartialPlan:
    notebook: nbformat.NotebookNode
    expected_cells: dict[str, float]   # grade_id → expected autograder score
    wrong_exercises: list[int]

    @property
    def expected_total(self) -> float:
        return sum(self.expected_cells.values())


def partial_submission(source_nb: Path) -> PartialPlan:
    """The source with every other exercise (odd index) answered wrongly.

    Expected: the test cells of the kept exercises (and tests before the first exercise)
    score their points; those of the wrong ones score 0.
    """
    nb = nbformat.read(source_nb, as_version=4)
    nb = copy.deepcopy(nb)
    exercises, orphans = split_exercises(nb)
    points = grade_points(nb)
    expected: dict[str, float] = {}
    wrong = []
    for ex in exercises:
        is_wrong = ex.index % 2 == 1
        if is_wrong:
            wrong.append(ex.index)
            for i in ex.answer_cells:
                nb.cells[i].source = make_wrong(nb.cells[i].source)
        for i in ex.test_cells:
            gid = _nbg(nb.cells[i])["grade_id"]
            expected[gid] = 0.0 if is_wrong else points[gid]
    for i in orphans:
        gid = _nbg(nb.cells[i])["grade_id"]
        expected[gid] = points[gid]
    return PartialPlan(nb, expected, wrong)
