"""Benchmark: cohort grading (grader/grade_cohort.py) against plain sequential nbgrader autograde.

    python bench/bench_cohort.py [--trainees 40] [--rounds 1] [--jobs N] [--keep DIR]

Builds a synthetic cohort in a temporary course: ``--trainees`` trainees × every assignment in
course/source, a fixed mix per assignment —

    40 % correct (the source itself), 30 % partial (every other exercise wrong),
    10 % blank (the student copy), 20 % broken: invalid JSON, an empty file, a kernel that dies
    half-way, a file with a BOM, an answer that raises, the notebook of another assignment,
    a deleted test cell, an edited test cell (one each, in turn)

— and two identical copies of that course. In the same run it then times

- **sequential**: ``nbgrader autograde <assignment> --force`` for each assignment, one after
  the other (what an instructor runs without this kit);
- **cohort**: ``python grader/grade_cohort.py --no-feedback --no-excel`` (grading only, the
  same work), and, for reference, the full command (with feedback HTML and the Excel sheet);

rounds alternate the order (sequential first, then cohort first) against drifting machine
load. It checks that both gave the same grade, cell by cell, to every submission nbgrader
could grade; nbgrader writes no autograded notebook for those it gives up on, and the cohort
must grade each of these and say why in its summary. It reports the ratio and the time per
notebook as a Markdown table and in bench/results/cohort.json. Timing never fails the run;
different grades and a silent summary do (exit code 1).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
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

import grading as g  # noqa: E402  (tests/grading.py: temporary courses and submissions)
import nbformat  # noqa: E402

RESULTS = REPO / "bench" / "results" / "cohort.json"
TARGET_RATIO = 0.4
BROKEN = ["invalid_json", "empty", "kernel_dies", "bom", "raises", "other_assignment",
          "deleted_test", "edited_test"]


def kind_of(index: int) -> str:
    slot = index % 10
    if slot < 4:
        return "correct"
    if slot < 7:
        return "partial"
    if slot < 8:
        return "blank"
    return BROKEN[(index // 10 * 2 + slot - 8) % len(BROKEN)]


def _answer_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if g.is_answer_cell(c)]


def _test_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if g.is_test_cell(c)]


def submission(kind: str, aid: str, root: Path, others: list[str]):
    """The notebook (or raw text) a trainee of this ``kind`` submits for ``aid``."""
    src, rel = g.source_notebook(root, aid), g.release_notebook(root, aid)
    if kind == "correct":
        return g.full_submission(src)
    if kind == "partial":
        return g.partial_submission(src).notebook
    if kind == "blank":
        return g.blank_submission(rel)
    if kind == "invalid_json":
        return '{"cells": [ {"cell_type": "code", "source": "x = '
    if kind == "empty":
        return ""
    nb = copy.deepcopy(g.full_submission(src))
    answers = _answer_cells(nb)
    if kind == "kernel_dies":
        nb.cells[answers[len(answers) // 2]].source = "import os\nos._exit(1)"
        return nb
    if kind == "bom":
        return "\ufeff" + nbformat.writes(nb)
    if kind == "raises":
        nb.cells[answers[0]].source = 'raise ValueError("計算を間違えました")'
        return nb
    if kind == "other_assignment":
        other = next((o for o in others if o != aid), None)
        return g.full_submission(g.source_notebook(root, other)) if other else nb
    if kind == "deleted_test":
        del nb.cells[_test_cells(nb)[-1]]
        return nb
    if kind == "edited_test":
        nb.cells[_test_cells(nb)[0]].source = "pass  # テストを消しました"
        nb.cells[answers[0]].source = g.make_wrong(nb.cells[answers[0]].source) \
            if "### BEGIN SOLUTION" in nb.cells[answers[0]].source else "pass"
        return nb
    raise ValueError(kind)


def build_cohort(workdir: Path, trainees: int) -> tuple[Path, list[str], dict]:
    ids = g.build_module.source_assignments(g.COURSE)
    root = g.make_course(workdir, g.COURSE / "source", ids)
    for aid in ids:
        g.generate_assignment(root, aid)
    kinds = {}
    for aid in ids:
        for i in range(trainees):
            student = f"t{i + 1:03d}"
            kind = kind_of(i)
            kinds[(student, aid)] = kind
            nb = submission(kind, aid, root, ids)
            path = g.place_submission(root, aid, student, nb)
            if isinstance(nb, str):
                path.write_bytes(nb.encode("utf-8"))
    return root, ids, kinds


def _env() -> dict:
    env = g.kernel_env()
    env.pop("MPLBACKEND", None)
    return env


def time_sequential(root: Path, ids: list[str]) -> float:
    t0 = time.perf_counter()
    for aid in ids:
        subprocess.run([sys.executable, "-m", "nbgrader", "autograde", aid, "--force"],
                       cwd=root, env=_env(), capture_output=True, check=False)
    return time.perf_counter() - t0


def time_cohort(root: Path, jobs: int | None, full: bool = False) -> tuple[float, dict]:
    cmd = [sys.executable, str(REPO / "grader" / "grade_cohort.py"), "--course", str(root), "-q"]
    if not full:
        cmd += ["--no-feedback", "--no-excel"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=_env(), capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"grade_cohort failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    run = json.loads((root / "cohort" / "run.json").read_text(encoding="utf-8"))
    return seconds, run


def grades(root: Path, ids: list[str]) -> dict:
    out = {}
    for aid in ids:
        for student, score in g.read_scores(root, aid).items():
            out[(student, aid)] = {name: (c.auto_score, c.needs_manual_grade)
                                   for name, c in score.cells.items()}
    return out


def compare(seq: dict, coh: dict, seq_root: Path) -> tuple[int, list, list]:
    """Submissions sequential nbgrader graded must have the same grades in both gradebooks.

    nbgrader writes autograded/<student>/<assignment>/<notebook>.ipynb for a submission it
    graded; when it gives up (invalid JSON, a BOM, a dead kernel, cells it does not know) it
    leaves that folder empty and the gradebook holds the cells with no score. Those are
    returned apart: the cohort command grades them, nbgrader does not, so there is nothing to
    compare."""
    compared, different, not_graded = 0, [], []
    for key, cells in seq.items():
        student, aid = key
        folder = seq_root / "autograded" / student / aid
        if not cells or not folder.is_dir() or not any(folder.glob("*.ipynb")):
            not_graded.append(key)
            continue
        compared += 1
        if coh.get(key) != cells:
            different.append((key, cells, coh.get(key)))
    return compared, different, not_graded


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trainees", type=int, default=40)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--jobs", type=int, default=None, help="passed to grade_cohort.py")
    p.add_argument("--keep", default=None, help="keep the courses in this folder")
    args = p.parse_args(argv)

    work = Path(args.keep or tempfile.mkdtemp(prefix="cn-bench-cohort-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"[bench] 受講者 {args.trainees} 人の合成コホートを作成中 / building the cohort …",
              flush=True)
        t0 = time.perf_counter()
        root, ids, kinds = build_cohort(work / "base", args.trainees)
        build_s = time.perf_counter() - t0
        seq_root, coh_root = work / "seq" / "course", work / "coh" / "course"
        for dest in (seq_root, coh_root):
            if dest.parent.exists():
                shutil.rmtree(dest.parent)
            shutil.copytree(root, dest)  # the config's root is the folder it is in
        n = len(kinds)
        seq_times, coh_times, full_times, runs = [], [], [], []
        for r in range(args.rounds):
            order = ["seq", "coh"] if r % 2 == 0 else ["coh", "seq"]
            for which in order:
                if which == "seq":
                    print(f"[bench] round {r + 1}: sequential nbgrader autograde …", flush=True)
                    seq_times.append(time_sequential(seq_root, ids))
                    print(f"[bench]   {seq_times[-1]:.1f} s", flush=True)
                else:
                    print(f"[bench] round {r + 1}: cohort (grading only) …", flush=True)
                    s, run = time_cohort(coh_root, args.jobs)
                    coh_times.append(s)
                    runs.append(run)
                    print(f"[bench]   {s:.1f} s ({run.get('workers')} workers)", flush=True)
        print("[bench] cohort, full command (feedback HTML + Excel) …", flush=True)
        full_s, full_run = time_cohort(coh_root, args.jobs, full=True)
        full_times.append(full_s)

        seq_grades, coh_grades = grades(seq_root, ids), grades(coh_root, ids)
        compared, different, not_graded = compare(seq_grades, coh_grades, seq_root)
        # What the cohort did with the submissions nbgrader gave up on: each must carry a note.
        results = {(r["student"], r["assignment"]): r for r in runs[-1].get("results", [])} \
            if runs else {}
        rescued, silent = {}, []
        for key in not_graded:
            res = results.get(key)
            if res is None or not res.get("notes"):
                silent.append(key)
            kind = kinds.get(key, "?")
            rescued.setdefault(kind, {}).setdefault(res["status"] if res else "missing", 0)
            rescued[kind][res["status"] if res else "missing"] += 1
        broken_graded = sum(1 for k, kind in kinds.items() if kind in BROKEN and k in coh_grades)
        seq_s, coh_s = statistics.median(seq_times), statistics.median(coh_times)
        ratio = coh_s / seq_s if seq_s else float("nan")
        by_kind = {}
        for key, kind in kinds.items():
            by_kind[kind] = by_kind.get(kind, 0) + 1
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform()},
            "trainees": args.trainees, "assignments": ids, "notebooks": n, "mix": by_kind,
            "build_seconds": round(build_s, 1),
            "sequential_seconds": [round(x, 1) for x in seq_times],
            "cohort_seconds": [round(x, 1) for x in coh_times],
            "cohort_full_seconds": round(full_s, 1),
            "ratio": round(ratio, 3), "target_ratio": TARGET_RATIO,
            "sequential_per_notebook": round(seq_s / n, 2),
            "cohort_per_notebook": round(coh_s / n, 2),
            "workers": runs[-1].get("workers") if runs else None,
            "grades_compared": compared, "grades_different": len(different),
            "sequential_gave_up": len(not_graded),
            "sequential_gave_up_by_kind_and_cohort_status": rescued,
            "sequential_gave_up_without_cohort_note": len(silent),
            "broken_submissions_graded": broken_graded,
            "sandbox": (runs[-1] if runs else {}).get("sandbox"),
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        ok = "✓" if ratio <= TARGET_RATIO else "✗"
        print()
        print(f"| | 時間 / wall time (s) | 1ノートブックあたり / per notebook (s) |")
        print("|---|---:|---:|")
        print(f"| 逐次 nbgrader autograde / sequential | {seq_s:.1f} | {seq_s / n:.2f} |")
        print(f"| 一括採点 / cohort (grading only) | {coh_s:.1f} | {coh_s / n:.2f} |")
        print(f"| 一括採点 / cohort (+ feedback, Excel) | {full_s:.1f} | {full_s / n:.2f} |")
        print()
        print(f"比 / ratio cohort ÷ sequential = **{ratio:.2f}** "
              f"(目標 / target ≤ {TARGET_RATIO}) {ok}; "
              f"{n} notebooks ({args.trainees} trainees × {len(ids)} assignments), "
              f"{result['workers']} workers, {os.cpu_count()} cores")
        print(f"同じ成績 / same grades: {compared - len(different)}/{compared} submissions "
              f"nbgrader could grade; broken submissions graded by the cohort: {broken_graded}")
        print(f"逐次 nbgrader が採点できなかった提出 / nbgrader gave up on: {len(not_graded)} "
              f"— 一括採点での扱い / cohort status by kind: {rescued}")
        for key, a, b in different[:10]:
            print(f"  DIFFERENT {key}: sequential {a} cohort {b}")
        for key in silent[:10]:
            print(f"  NO NOTE {key}: nbgrader gave up and the cohort summary says nothing")
        return 1 if different or silent else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
