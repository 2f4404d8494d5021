"""Run every benchmark script in bench/ one after the other, then summarise the targets.

    python bench/run_all.py [arguments passed to each script]

(Called by ``python3 kit.py bench``.) The scripts, in this order:

- ``run_notebooks.py``    Restart & Run All of each course notebook (kernel start apart);
- ``bench_import.py``     import time of cnkit on top of pandas and matplotlib;
- ``bench_widgets.py``    latency of each calculator widget from a value change to the new output;
- ``bench_throughput.py`` bill rows per second through read → normalise → calculate (10,000 companies);

then any other ``run_*.py`` / ``bench_*.py``. Each writes its figures to stdout and to
``bench/results/<name>.json``; bench/README.md explains them. Timing targets never fail the run; the
exit code is non-zero only when a script itself fails (a notebook cell raised an error, a widget did not
update, the throughput result was wrong).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
ORDER = ["run_notebooks.py", "bench_import.py", "bench_widgets.py", "bench_throughput.py"]


def scripts() -> list[Path]:
    found = {p.name: p for p in [*BENCH.glob("run_*.py"), *BENCH.glob("bench_*.py")]
             if p.name != Path(__file__).name}
    first = [found.pop(name) for name in ORDER if name in found]
    return first + sorted(found.values())


def summary() -> list[str]:
    """One line per target, from the results the scripts wrote."""
    lines = []

    def load(name):
        path = RESULTS / name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def mark(ok: bool) -> str:
        return "✓" if ok else "✗"

    if nb := load("notebooks.json"):
        worst = max(nb["notebooks"], key=lambda r: r["execution_s"], default=None)
        if worst:
            lines.append(f"{mark(nb['targets_met']['notebook'])} notebooks: slowest {worst['id']} "
                         f"{worst['execution_s']:.2f} s (≤ {nb['targets']['notebook_execution_s']:g} s)")
        lines.append(f"{mark(nb['targets_met']['course'])} course: {nb['total_execution_s']:.1f} s "
                     f"(≤ {nb['targets']['course_execution_s']:g} s)")
    if imp := load("import.json"):
        t = imp["median_s"]["import cnkit"]
        lines.append(f"{mark(imp['targets_met']['import_cnkit'])} import cnkit: {t:.3f} s (≤ {imp['target_s']:g} s)")
    if wd := load("widgets.json"):
        for w in wd["widgets"]:
            lines.append(f"{mark(w['p95_ms'] <= wd['target_p95_ms'])} widget {w['key']}: "
                         f"p50 {w['p50_ms']:.0f} ms, p95 {w['p95_ms']:.0f} ms (≤ {wd['target_p95_ms']:g} ms)")
    if tp := load("throughput.json"):
        for p in tp["paths"]:
            lines.append(f"{mark(p['rows_per_s'] >= tp['target_rows_per_s'])} throughput {p['path']}: "
                         f"{p['rows_per_s']:,} rows/s, peak {p['peak_allocated_mb']:,.0f} MB "
                         f"(≥ {tp['target_rows_per_s']:,} rows/s)")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    failed = []
    for script in scripts():
        print(f"[bench] === {script.name} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *argv], cwd=BENCH.parent)
        print(f"[bench] {script.name}: {time.perf_counter() - t0:.1f} s, exit {rc}", flush=True)
        if rc != 0:
            failed.append(script.name)
    print("\n[bench] 目標 / targets")
    for line in summary():
        print("  " + line)
    if failed:
        print(f"[bench] 失敗したスクリプト / failed scripts: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
