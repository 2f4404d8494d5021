"""Benchmark: building the cohort report (grader/cngrade/cohort_report.py) for 100 trainees.

    python bench/bench_report.py [--trainees 100] [--rounds 3] [--assignments 01_know ...] [--keep DIR]

Builds a temporary course with the given assignments of course/source (default: three, one
of them with a manually graded cell), grades one submission of each of the ten kinds of
bench/bench_cohort.py (correct, partial, blank, broken …) with grader/grade_cohort.py, then
copies these graded submissions — their grades in the gradebook, through nbgrader's API
(grader/cngrade/gradebook.py extract/apply), and their autograded notebooks — to
``--trainees`` trainees in the bench_cohort mix. It then times the report (reading the
gradebook and the autograded notebooks, the statistics, the chart, report.html and the
「理解度」 sheet) for each assignment alone and for all of them, ``--rounds`` times, and
reports the median as a Markdown table and in bench/results/report.json. Timing never fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "grader"))

import bench_cohort  # noqa: E402
import grading as g  # noqa: E402

RESULTS = REPO / "bench" / "results" / "report.json"
DEFAULT = ["01_know", "02_measure", "06_economics"]
TARGET_S = 1.0  # per assignment, 100 trainees (issue: "well under a second")
KINDS = 10  # one of each slot of bench_cohort.kind_of


def build(workdir: Path, ids: list[str], trainees: int) -> Path:
    from cngrade import gradebook as gbmod

    root = g.make_course(workdir, g.COURSE / "source", ids)
    for name in ("concepts.yml", "item_analysis.yml"):
        shutil.copy(g.COURSE / name, root / name)
    for aid in ids:
        g.generate_assignment(root, aid)
        for i in range(KINDS):
            nb = bench_cohort.submission(bench_cohort.kind_of(i), aid, root, ids)
            path = g.place_submission(root, aid, f"k{i:02d}", nb)
            if isinstance(nb, str):
                path.write_bytes(nb.encode("utf-8"))
    env = g.kernel_env()
    env.pop("MPLBACKEND", None)
    subprocess.run([sys.executable, str(REPO / "grader" / "grade_cohort.py"), "--course",
                    str(root), "--no-feedback", "--no-excel", "-q"], cwd=root, env=env,
                   check=True, capture_output=True, timeout=3600)
    gb = gbmod.open_gradebook(f"sqlite:///{root / 'gradebook.db'}", "cn-support")
    try:
        for aid in ids:
            records = {i: gbmod.extract(gb, aid, f"k{i:02d}") for i in range(KINDS)}
            for t in range(trainees):
                sid, src = f"t{t + 1:03d}", f"k{t % KINDS:02d}"
                gbmod.apply(gb, aid, sid, records[t % KINDS])
                folder = root / "autograded" / src / aid
                if folder.is_dir():
                    shutil.copytree(folder, root / "autograded" / sid / aid, dirs_exist_ok=True)
        for i in range(KINDS):  # only the copies stay: exactly ``trainees`` per assignment
            for aid in ids:
                gb.remove_submission(aid, f"k{i:02d}")
            gb.remove_student(f"k{i:02d}")
    finally:
        gb.close()
    return root


def time_report(root: Path, ids: list[str], rounds: int) -> dict:
    from cngrade import cohort_report, gradebook as gbmod
    from cngrade.worker import load_nbgrader_config

    app = load_nbgrader_config(root)
    out = root / "cohort"
    gb = gbmod.open_gradebook(app.coursedir.db_url, app.coursedir.course_id)
    try:  # a first run imports matplotlib and openpyxl: timed apart
        t0 = time.perf_counter()
        cohort_report.write_report(gb, app.coursedir, root, ids[:1], {}, out, out / "grades.xlsx")
        first = time.perf_counter() - t0
        per = {}
        for target in [[a] for a in ids] + [ids]:
            times = []
            for _ in range(rounds):
                gb.db.expire_all()  # read the gradebook again, not the session's cache
                t0 = time.perf_counter()
                cohort_report.write_report(gb, app.coursedir, root, target, {}, out,
                                           out / "grades.xlsx")
                times.append(time.perf_counter() - t0)
            per["+".join(target) if len(target) > 1 else target[0]] = statistics.median(times)
    finally:
        gb.close()
    return {"first_call_seconds": first, "median_seconds": per}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trainees", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--assignments", nargs="*", default=DEFAULT)
    p.add_argument("--keep", metavar="DIR", help="build the course in DIR and keep it")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cn-bench-report-") as tmp:
        t0 = time.perf_counter()
        work = Path(args.keep) if args.keep else Path(tmp)
        root = build(work, args.assignments, args.trainees)
        setup = time.perf_counter() - t0
        res = time_report(root, args.assignments, args.rounds)
    print(f"\n受講者 {args.trainees} 名、{args.rounds} 回の中央値（準備 {setup:.0f} 秒、"
          f"初回の import 込み {res['first_call_seconds']:.2f} 秒）\n")
    print("| 課題 | レポート作成（秒） | 1課題あたり（秒） |")
    print("|---|---:|---:|")
    for name, sec in res["median_seconds"].items():
        n = name.count("+") + 1
        print(f"| {name} | {sec:.3f} | {sec / n:.3f} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
        "machine": platform.machine(), "trainees": args.trainees, "rounds": args.rounds,
        "assignments": args.assignments, "target_seconds_per_assignment": TARGET_S, **res}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
