"""The shared-JupyterHub workflow of course/instructor_guide.md (2.2 and 3), command by command.

One instructor course and one trainee home on this machine share an exchange directory set up
as the guide says (``chmod ugo+rwx,+t``, the two config lines). The trainee fetches, answers,
validates and submits; the instructor collects, grades with ``kit.py grade``, writes and
releases feedback and exports grades; the trainee fetches the feedback. Each step checks what
it should leave behind, so a command in the guide that stops working fails here.

The trainee's account is stood in for by ``--student`` and a separate HOME (the tests run as
one OS user); on a Hub, nbgrader takes the trainee ID from the account name.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import grading as g
import nbformat
import pytest

AID = "00_orientation"
COURSE_ID = "cn-support"
TRAINEE = "s001"
GUIDE = g.COURSE / "instructor_guide.md"
# nbgrader's feedback template: "<notebook> (Score: 6.0 / 6.0)"
FEEDBACK_SCORE = "{aid} (Score: {points:.1f} / {points:.1f})"


def _config_lines(exchange: Path) -> str:
    """The two lines of guide 2.2 step 3, with this test's exchange directory."""
    guide = GUIDE.read_text(encoding="utf-8")
    lines = [f'c.Exchange.root = "{exchange}"', f'c.CourseDirectory.course_id = "{COURSE_ID}"']
    # the guide must still say exactly this (only the path differs)
    assert 'c.Exchange.root = "/srv/nbgrader/exchange"' in guide
    assert f'c.CourseDirectory.course_id = "{COURSE_ID}"' in guide
    assert "chmod ugo+rwx,+t" in guide
    return "\n".join(lines) + "\n"


def _run(cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = g.build_module.kernel_env()
    if home is not None:  # the trainee's own account: own HOME, own nbgrader cache
        env["HOME"] = str(home)
        env.pop("JUPYTER_DATA_DIR", None)
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=600,
                          check=False)
    assert proc.returncode == 0, f"{' '.join(args)} → {proc.returncode}\n" \
                                 f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


def _nbgrader(cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    return _run(cwd, "-m", "nbgrader", *args, home=home)


def test_guide_commands_on_a_shared_hub(tmp_path):
    exchange = tmp_path / "srv" / "nbgrader" / "exchange"
    exchange.mkdir(parents=True)
    exchange.chmod(0o1777)  # sudo chmod ugo+rwx,+t
    config = _config_lines(exchange)

    course = g.make_course(tmp_path, g.COURSE / "source", [AID])
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as f:
        f.write("\n" + config)
    home = tmp_path / "home" / TRAINEE
    home.mkdir(parents=True)
    (home / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n" + config, encoding="utf-8")

    # 3.1 generate, 3.2 release
    g.generate_assignment(course, AID)
    _nbgrader(course, "release_assignment", AID)
    assert (exchange / COURSE_ID / "outbound" / AID / f"{AID}.ipynb").is_file()

    # the trainee: Fetch, answer, Validate, Submit
    _nbgrader(home, "fetch_assignment", AID, "--course", COURSE_ID, home=home)
    fetched = home / AID / f"{AID}.ipynb"
    assert fetched.is_file()
    answered = g.full_submission(g.source_notebook(course, AID))
    nbformat.write(answered, fetched)
    out = _nbgrader(home, "validate", str(fetched), home=home).stdout
    assert g.VALIDATE_PASSED in out, out[-2000:]
    _nbgrader(home, "submit", AID, "--course", COURSE_ID, f"--student={TRAINEE}", home=home)
    inbound = list((exchange / COURSE_ID / "inbound").iterdir())
    assert len(inbound) == 1 and inbound[0].name.startswith(f"{TRAINEE}+{AID}+")

    # 3.4 collect
    _nbgrader(course, "collect", AID)
    collected = course / "submitted" / TRAINEE / AID
    assert (collected / f"{AID}.ipynb").is_file() and (collected / "timestamp.txt").is_file()

    # 3.5 grade with kit.py grade (= grader/grade_cohort.py; --course instead of the default)
    env = g.build_module.kernel_env()
    env.pop("MPLBACKEND", None)
    proc = subprocess.run([sys.executable, str(g.GRADER / "grade_cohort.py"), "--course",
                           str(course), AID, "-q"], cwd=course, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    source = nbformat.read(g.source_notebook(course, AID), as_version=4)
    auto_points = sum(p for gid, p in g.grade_points(source).items()
                      if gid not in g.manual_grade_ids(source))
    scores = g.read_scores(course, AID)[TRAINEE]
    assert scores.score == pytest.approx(auto_points) and not scores.needs_manual_grade
    with (course / "cohort" / "grades.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r for r in rows if TRAINEE in r.values()], rows

    # 3.7 feedback: generate, release; the trainee fetches it
    _nbgrader(course, "generate_feedback", AID, "--force")
    assert (course / "feedback" / TRAINEE / AID / f"{AID}.html").is_file()
    _nbgrader(course, "release_feedback", AID)
    _nbgrader(home, "fetch_feedback", AID, "--course", COURSE_ID, f"--student={TRAINEE}",
              home=home)
    html = list((home / AID / "feedback").glob(f"*/{AID}.html"))
    assert len(html) == 1, list((home / AID).rglob("*"))
    text = html[0].read_text(encoding="utf-8")
    assert FEEDBACK_SCORE.format(aid=AID, points=auto_points) in text, text[:3000]

    # 3.8 export
    _nbgrader(course, "export", "--to", "grades.csv")
    with (course / "grades.csv").open(encoding="utf-8") as f:
        exported = [r for r in csv.DictReader(f) if r["student_id"] == TRAINEE]
    assert len(exported) == 1 and float(exported[0]["raw_score"]) == pytest.approx(auto_points)
