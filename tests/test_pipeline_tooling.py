"""Tests of the tooling itself (course/build.py, tests/grading.py, course/syllabus.yml),
on tiny fixture assignments in tests/fixtures:

- good/ok_assignment: three exercises (1, 2 and 1 points; one is a function) and a manually
  graded written answer (2 points), with a data file;
- bad/failing_assignment: the same, but one hidden test fails on the solution;
- bad/broken_notebook.ipynb.txt: a notebook that is not valid JSON (stored as .txt so that
  linters and JupyterLab leave it alone; the tests copy it to <id>/<id>.ipynb).
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import sys
from pathlib import Path

import grading as g
import nbformat
import pytest
import yaml

build = g.build_module
GOOD = g.FIXTURES / "good"
BAD = g.FIXTURES / "bad"
BROKEN = BAD / "broken_notebook.ipynb.txt"
OK = "ok_assignment"
QUIET = {"log": lambda *_: None}


def fixture_course(tmp_path: Path, *assignments: Path) -> Path:
    """A course folder (real config and syllabus) whose source holds the given fixtures."""
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    for name in ("nbgrader_config.py", "syllabus.yml"):
        shutil.copyfile(g.COURSE / name, course / name)
    for folder in assignments:
        shutil.copytree(folder, course / "source" / folder.name)
    return course


# --------------------------------------------------------------------------------------------
# syllabus and index
# --------------------------------------------------------------------------------------------
EXPECTED_IDS = ["00_orientation", "01_know", "02_measure", "03_visualize", "04_reduce_energy",
                "05_reduce_factor", "06_economics", "07_roadmap", "08_finance_disclose",
                "09_support_plan", "10_capstone"]
STAGES = {"知る", "測る", "減らす", "知らせる", "総合"}


@pytest.fixture(scope="module")
def syllabus() -> dict:
    with open(g.COURSE / "syllabus.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_syllabus_lists_the_eleven_notebooks(syllabus):
    notebooks = syllabus["notebooks"]
    assert [n["id"] for n in notebooks] == EXPECTED_IDS
    for n in notebooks:
        assert n["title"] and n["stage"] in STAGES, n["id"]
        assert isinstance(n["minutes"], int) and 10 <= n["minutes"] <= 180, n["id"]
        assert 3 <= len(n["objectives"]) <= 5, n["id"]
        assert set(n["graded"]) == {"auto", "manual"}, n["id"]
        assert "available" not in n, "availability is computed at build time, not stored"
        assert set(n["requires"]) <= set(EXPECTED_IDS[:EXPECTED_IDS.index(n["id"])])


def test_live_plan_fits_two_three_hour_days(syllabus):
    days = syllabus["plans"]["live_2day"]["days"]
    assert len(days) == 2
    covered = []
    for day in days:
        assert sum(s["minutes"] for s in day["sessions"]) <= 180, day["title"]
        assert any("notebook" not in s for s in day["sessions"]), "a day needs a break"
        covered.append([s["notebook"] for s in day["sessions"] if "notebook" in s])
    assert covered == [EXPECTED_IDS[0:4], EXPECTED_IDS[4:8]]


def test_self_study_plan_is_every_notebook_in_order(syllabus):
    sessions = syllabus["plans"]["self_study"]["sessions"]
    assert [s["notebook"] for s in sessions] == EXPECTED_IDS
    minutes = {n["id"]: n["minutes"] for n in syllabus["notebooks"]}
    assert all(s["minutes"] == minutes[s["notebook"]] for s in sessions)


def test_index_links_only_available_notebooks(syllabus):
    nb = build.index_notebook(syllabus, {"00_orientation", "02_measure"})
    text = "\n".join(c.source for c in nb.cells)
    assert "(00_orientation/00_orientation.ipynb)" in text
    assert "(02_measure/02_measure.ipynb)" in text
    assert "01_know/01_know.ipynb" not in text and "01 知る：CNと事業環境（準備中）" in text
    for words in ("Shift", "自己チェック", "提出", "2日間", "自習コース"):
        assert words in text
    assert nbformat.writes(nb) == nbformat.writes(
        build.index_notebook(syllabus, {"02_measure", "00_orientation"}))


# --------------------------------------------------------------------------------------------
# grading helpers (no nbgrader run)
# --------------------------------------------------------------------------------------------
def test_split_exercises_and_partial_plan():
    src = GOOD / OK / f"{OK}.ipynb"
    nb = nbformat.read(src, as_version=4)
    exercises, orphans = g.split_exercises(nb)
    assert [len(e.test_cells) for e in exercises] == [1, 2, 1] and orphans == []
    assert g.grade_points(nb) == {"total_kwh": 1, "double_visible": 1, "double_hidden": 1,
                                  "ratio": 1}
    assert g.manual_grade_ids(nb) == ["opinion"]
    plan = g.partial_submission(src)
    assert plan.wrong_exercises == [1]
    assert plan.expected_cells == {"total_kwh": 1, "double_visible": 0, "double_hidden": 0,
                                   "ratio": 1}
    assert plan.expected_total == 2
    wrong_cell = plan.notebook.cells[exercises[1].answer_cells[0]].source
    assert wrong_cell == "係数 = -1\ndef 二倍(*a, **k):\n    return -1"


@pytest.mark.parametrize("solution, expected", [
    ("x = 1", "x = -1"),
    ("a, (b, *c) = 1, (2, 3)", "a = -1\nb = -1\nc = -1"),
    ("y: float = 0.5\ny += 1", "y = -1"),
    ('df["co2"] = df["kwh"] * 2', "df['co2'] = -1"),
    ("def f(x):\n    return x\nclass C:\n    pass",
     "def f(*a, **k):\n    return -1\ndef C(*a, **k):\n    return -1"),
    ("print('only an expression')", "pass"),
])
def test_make_wrong(solution, expected):
    cell = f"before = 0\n### BEGIN SOLUTION\n{solution}\n### END SOLUTION\nafter = 1"
    assert g.make_wrong(cell) == f"before = 0\n{expected}\nafter = 1"


def test_make_wrong_keeps_indentation():
    cell = "def f():\n    ### BEGIN SOLUTION\n    v = 2\n    return v\n    ### END SOLUTION"
    assert g.make_wrong(cell) == "def f():\n    v = -1"


# --------------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------------
def test_broken_notebook_is_reported_in_both_languages(tmp_path):
    course = fixture_course(tmp_path)
    (course / "source" / "broken_assignment").mkdir()
    shutil.copyfile(BROKEN, course / "source" / "broken_assignment" / "broken_assignment.ipynb")
    with pytest.raises(build.BuildError) as err:
        build.build(tmp_path / "out", course_dir=course, **QUIET)
    msg = str(err.value)
    assert "JSON が壊れています" in msg and "invalid JSON" in msg and "broken_assignment" in msg
    assert not (tmp_path / "out" / "notebooks" / "broken_assignment").exists()


def test_unknown_only_id_is_an_error(tmp_path):
    course = fixture_course(tmp_path, GOOD / OK)
    with pytest.raises(build.BuildError, match="no_such"):
        build.build(tmp_path / "out", only=["no_such"], course_dir=course, **QUIET)


def test_failing_solution_stops_the_build_naming_the_cell(tmp_path):
    course = fixture_course(tmp_path, BAD / "failing_assignment")
    with pytest.raises(build.BuildError) as err:
        build.build(tmp_path / "out", course_dir=course, **QUIET)
    msg = str(err.value)
    assert "failing_assignment.ipynb" in msg and "grade_id=total_kwh" in msg
    assert "AssertionError" in msg and "エラーが出ました" in msg
    assert not (tmp_path / "out" / "solutions" / "failing_assignment").exists()


@pytest.fixture(scope="module")
def built_twice(tmp_path_factory) -> tuple[Path, Path]:
    """Two independent builds of the fixture (at the same time, to save time)."""
    def compute(tmp: Path) -> tuple[Path, Path]:
        course = fixture_course(tmp, GOOD / OK)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(build.build, tmp / name, course_dir=course, **QUIET)
                       for name in ("out1", "out2")]
            for f in futures:
                f.result()
        return tmp / "out1", tmp / "out2"
    return g.shared_once(tmp_path_factory, "built-twice", compute)


@pytest.fixture(scope="module")
def built_ok(built_twice) -> Path:
    return built_twice[0]


def test_build_writes_student_copy_solution_and_index(built_ok):
    student = built_ok / "notebooks" / OK
    solution = built_ok / "solutions" / OK
    assert sorted(p.name for p in student.iterdir()) == ["data.csv", f"{OK}.ipynb"]
    assert sorted(p.name for p in solution.iterdir()) == ["data.csv", f"{OK}.ipynb"]
    assert (built_ok / "notebooks" / "index.ipynb").is_file()

    nb = nbformat.read(student / f"{OK}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert 'raise NotImplementedError("この演習はまだ解答されていません")' in text
    assert "ここに解答を書いてください。" in text  # the written answer's stub

    sol = nbformat.read(solution / f"{OK}.ipynb", as_version=4)
    code = [c for c in sol.cells if c.cell_type == "code"]
    assert code[0].outputs and code[0].outputs[0].text == "3 行を読みました\n"
    assert all(c.execution_count for c in code)
    assert all("execution" not in c.metadata for c in sol.cells)
    assert "version" not in sol.metadata.get("language_info", {})
    raw = (solution / f"{OK}.ipynb").read_text(encoding="utf-8")
    assert str(Path.home()) not in raw and "/tmp/" not in raw


def test_build_is_deterministic(built_twice):
    first, second = built_twice
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_kernel_env_leaves_nbgrader_execution_to_nbgrader(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    env = build.kernel_env()
    assert "NBGRADER_EXECUTION" not in env
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


# --------------------------------------------------------------------------------------------
# nbgrader: validate and autograde on the fixture
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded_ok(tmp_path_factory):
    """One autograde run (full, blank, partial, broken); the validations run meanwhile."""
    return g.shared_once(tmp_path_factory, "graded-ok", _grade_ok)


def _grade_ok(tmp: Path):
    root = g.make_course(tmp, GOOD, [OK])
    failing = g.make_course(tmp / "failing", BAD, ["failing_assignment"])
    g.generate_assignment(root, OK)
    src, rel = g.source_notebook(root, OK), g.release_notebook(root, OK)
    plan = g.partial_submission(src)
    g.place_submission(root, OK, "full", g.full_submission(src))
    g.place_submission(root, OK, "blank", g.blank_submission(rel))
    g.place_submission(root, OK, "partial", plan.notebook)
    g.place_submission(root, OK, "broken", BROKEN.read_text(encoding="utf-8"))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        validations = {
            "source": pool.submit(g.validate, root, src),
            "student": pool.submit(g.validate, root, rel, True),
            "failing": pool.submit(g.validate, failing,
                                   g.source_notebook(failing, "failing_assignment")),
            "missing": pool.submit(g.validate, failing, failing / "no_such.ipynb"),
        }
        proc = g.autograde(root, OK)
        validations = {k: f.result() for k, f in validations.items()}
    return root, proc, g.read_scores(root, OK), plan, validations


def test_autograde_scores_full_blank_partial(graded_ok):
    _, _, scores, plan, _ = graded_ok
    auto = ["total_kwh", "double_visible", "double_hidden", "ratio"]
    assert scores["full"].auto_points(auto) == 4
    assert scores["blank"].auto_points(auto) == 0
    assert scores["partial"].auto_points(auto) == plan.expected_total == 2
    assert {k: scores["partial"].cells[k].auto_score for k in auto} == plan.expected_cells
    # nbgrader's max includes the written answer (2 points), which only a grader can give
    assert scores["full"].max_score == 6
    assert scores["full"].cells["opinion"].auto_score is None
    assert scores["full"].cells["opinion"].needs_manual_grade
    assert scores["blank"].cells["opinion"].auto_score == 0  # unchanged stub: 0, no grading


def test_invalid_json_submission_does_not_stop_the_run(graded_ok):
    root, proc, scores, _, _ = graded_ok
    assert proc.returncode != 0  # nbgrader reports the failed student with exit code 1 ...
    assert "broken" in proc.stderr and "NotJSONError" in proc.stderr
    assert {"full", "blank", "partial"} <= set(scores)  # ... after grading everyone else
    # the broken student gets a gradebook entry with no autograder scores at all:
    broken = scores["broken"]
    assert all(c.auto_score is None and c.needs_manual_grade for c in broken.cells.values())
    assert broken.score == 0
    assert not (root / "autograded" / "broken").joinpath(OK).exists()


def test_validate_is_judged_by_its_output(graded_ok):
    v = graded_ok[4]
    assert v["source"].ok, v["source"].output
    assert v["student"].ok, v["student"].output  # --invert: no test passes on the blank copy
    # A failing source: nbgrader validate still exits 0, only its output tells.
    assert v["failing"].returncode == 0 and not v["failing"].ok
    assert "VALIDATION FAILED ON 1 CELL(S)" in v["failing"].output
    # A path that matches nothing: exit 0 and no output at all.
    assert v["missing"].returncode == 0 and not v["missing"].ok


def test_normalize_solution_joins_printed_text_split_into_messages():
    """The kernel splits printed text into stream messages as it flushes; the saved solution must
    not depend on that (one output per run of stdout, stderr kept apart, other outputs in place)."""
    def stream(name, text):
        return nbformat.v4.new_output("stream", name=name, text=text)

    cell = nbformat.v4.new_code_cell("print('a'); print('b')")
    cell.outputs = [stream("stdout", "一行目"), stream("stdout", "\n二行目\n"), stream("stderr", "注意\n"),
                    stream("stdout", "三行目\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
                    stream("stdout", "四行目\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    out = build.normalize_solution(nb, {}, [])
    got = [(o.output_type, o.get("name"), o.get("text")) for o in out.cells[0].outputs]
    assert got == [("stream", "stdout", "一行目\n二行目\n"), ("stream", "stderr", "注意\n"),
                   ("stream", "stdout", "三行目\n"), ("execute_result", None, None),
                   ("stream", "stdout", "四行目\n")]
