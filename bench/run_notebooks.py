"""Benchmark: how long each course notebook takes to run ("Restart & Run All").

    python bench/run_notebooks.py [--repeat 3] [--source] [--only ID ...]

For every solution notebook in solutions/<id>/ (or, with --source or when solutions/ is
empty, every notebook in course/source/<id>/ — the source holds the solutions too):

- kernel start: start a python3 kernel (jupyter_client, via nbclient) and wait until it is
  ready;
- execution: from the first cell's execute request to the last cell's reply, in that fresh
  kernel (kernel start excluded);

each repeated --repeat times (default 3) in a temporary copy of the notebook's folder, with
NBGRADER_EXECUTION unset (as a trainee runs it). Reports the median per notebook as a Markdown
table on stdout and in bench/results/notebooks.json.

Targets: ≤ 5 s execution per notebook, ≤ 60 s for the whole course. Timing never fails the
run; an error in a cell does (exit code 1), since the figures would then be meaningless.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "notebooks.json"
TARGET_NOTEBOOK_S = 5.0
TARGET_COURSE_S = 60.0
CELL_TIMEOUT_S = 120


def _build_module():
    spec = importlib.util.spec_from_file_location("cn_course_build", REPO / "course" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def find_notebooks(use_source: bool, only: list[str] | None) -> tuple[str, list[Path]]:
    solutions = sorted(REPO.glob("solutions/*/*.ipynb"))
    if use_source or not solutions:
        kind, found = "course/source", sorted(REPO.glob("course/source/*/*.ipynb"))
    else:
        kind, found = "solutions", solutions
    if only:
        found = [p for p in found if p.parent.name in set(only)]
    return kind, found


def run_once(path: Path, env: dict) -> dict:
    """Execute a copy of ``path`` in a fresh kernel; return the timings of this run."""
    from nbclient import NotebookClient

    marks: dict[str, float] = {}

    def on_notebook_start(**_):
        marks["ready"] = time.perf_counter()

    def on_cell_execute(**_):
        marks.setdefault("first_request", time.perf_counter())

    def on_cell_executed(**_):
        marks["last_reply"] = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="cn-bench-") as tmp:
        work = Path(tmp) / path.parent.name
        shutil.copytree(path.parent, work,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        nb = nbformat.read(work / path.name, as_version=4)
        client = NotebookClient(
            nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=True,
            record_timing=False, resources={"metadata": {"path": str(work)}},
            on_notebook_start=on_notebook_start, on_cell_execute=on_cell_execute,
            on_cell_executed=on_cell_executed,
        )
        t0 = time.perf_counter()
        client.execute(env=env, cwd=str(work))
    errors = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.output_type == "error" for o in c.outputs)]
    code_cells = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
    start = marks.get("ready", t0) - t0
    execution = (marks["last_reply"] - marks["first_request"]) if "first_request" in marks else 0.0
    return {"kernel_start_s": start, "execution_s": execution, "cells": code_cells,
            "error_cells": errors}


def bench(paths: list[Path], repeat: int, log=print) -> list[dict]:
    env = _build_module().kernel_env(REPO)
    rows = []
    for path in paths:
        runs = []
        for i in range(repeat):
            runs.append(run_once(path, env))
            log(f"[bench] {path.parent.name} {i + 1}/{repeat}: "
                f"起動 {runs[-1]['kernel_start_s']:.2f} s, 実行 {runs[-1]['execution_s']:.2f} s",
                file=sys.stderr)
        errors = sorted({e for r in runs for e in r["error_cells"]})
        rows.append({
            "notebook": str(path.relative_to(REPO)).replace("\\", "/"),
            "id": path.parent.name,
            "cells": runs[0]["cells"],
            "kernel_start_s": round(statistics.median(r["kernel_start_s"] for r in runs), 3),
            "execution_s": round(statistics.median(r["execution_s"] for r in runs), 3),
            "runs": [{k: round(r[k], 3) for k in ("kernel_start_s", "execution_s")}
                     for r in runs],
            "error_cells": errors,
        })
    return rows


def markdown(rows: list[dict], kind: str, repeat: int) -> str:
    lines = [
        (f"Notebook timings ({kind}, median of {repeat}; Python {platform.python_version()}, "
         f"{platform.system()} {platform.machine()})"),
        "",
        ("| ノートブック / notebook | セル / cells | カーネル起動 / kernel start (s) "
         f"| 実行 / execution (s) | 目標 / target ≤ {TARGET_NOTEBOOK_S:g} s |"),
        "|---|---:|---:|---:|---|",
    ]
    for r in rows:
        status = "✗ エラー / error" if r["error_cells"] else (
            "✓" if r["execution_s"] <= TARGET_NOTEBOOK_S else "✗ 超過 / over")
        lines.append(f"| {r['id']} | {r['cells']} | {r['kernel_start_s']:.2f} "
                     f"| {r['execution_s']:.2f} | {status} |")
    total = sum(r["execution_s"] for r in rows)
    total_start = sum(r["kernel_start_s"] for r in rows)
    lines.append(f"| **合計 / total** | | {total_start:.2f} | **{total:.2f}** "
                 f"| {'✓' if total <= TARGET_COURSE_S else '✗ 超過 / over'} "
                 f"(≤ {TARGET_COURSE_S:g} s) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--source", action="store_true",
                        help="course/source のノートブックを測る / time the source notebooks")
    parser.add_argument("--only", nargs="+", metavar="ID")
    parser.add_argument("--json", default=str(RESULTS), help="結果の JSON / results file")
    args = parser.parse_args(argv)

    kind, paths = find_notebooks(args.source, args.only)
    if not paths:
        print("[bench] 測るノートブックがありません / no notebooks to time")
        return 0
    print(f"[bench] {len(paths)} 本を {args.repeat} 回ずつ実行します / running {len(paths)} "
          f"notebooks × {args.repeat} ({kind})", file=sys.stderr)
    rows = bench(paths, args.repeat)
    total = sum(r["execution_s"] for r in rows)
    over = [r["id"] for r in rows if r["execution_s"] > TARGET_NOTEBOOK_S]
    errors = {r["id"]: r["error_cells"] for r in rows if r["error_cells"]}

    print(markdown(rows, kind, args.repeat))
    print()
    print(f"目標 / targets: 1本 ≤ {TARGET_NOTEBOOK_S:g} s per notebook → "
          + ("達成 / met" if not over else f"未達 / not met: {', '.join(over)}"))
    print(f"             講座全体 ≤ {TARGET_COURSE_S:g} s for the course → "
          + ("達成 / met" if total <= TARGET_COURSE_S else f"未達 / not met ({total:.1f} s)"))
    if errors:
        print(f"エラーのあったセル / cells with errors (cell index): {errors}")

    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "source": kind,
        "repeat": args.repeat,
        "targets": {"notebook_execution_s": TARGET_NOTEBOOK_S,
                    "course_execution_s": TARGET_COURSE_S},
        "notebooks": rows,
        "total_execution_s": round(total, 3),
        "total_kernel_start_s": round(sum(r["kernel_start_s"] for r in rows), 3),
        "targets_met": {"notebook": not over, "course": total <= TARGET_COURSE_S},
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n[bench] 結果 / results: {out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
