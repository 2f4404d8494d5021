"""Benchmark: how long importing the helper package takes in a fresh Python, on top of pandas and matplotlib.

    python bench/bench_import.py [--repeat 7]

Each run is a new interpreter (nothing cached in memory; the files are in the OS cache after the
first run, as on a trainee's second start). It imports ``pandas`` and ``matplotlib`` first (every
course notebook needs them), then times, one after the other:

- ``import cnkit``  — what every notebook's first cell does (read and calculate layers);
- ``cnkit.show``    — the charts (matplotlib's Figure, the Japanese font), imported on first use;
- ``cnkit.interact`` — the widgets (ipywidgets), imported on first use.

Reports the median of ``--repeat`` runs (default 7) and, from one run with ``python -X importtime``,
the modules that cost most in each step, as a Markdown table on stdout and in
bench/results/import.json. Target: ≤ 0.3 s for ``import cnkit`` on top of pandas and matplotlib.
Missing the target never fails the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "import.json"
TARGET_S = 0.3
STEPS = ["pandas + matplotlib", "import cnkit", "cnkit.show", "cnkit.interact"]

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
sys.stderr.write("@@ pandas + matplotlib\n")
import pandas, matplotlib
t1 = time.perf_counter()
sys.stderr.write("@@ import cnkit\n")
import cnkit
t2 = time.perf_counter()
sys.stderr.write("@@ cnkit.show\n")
cnkit.show
t3 = time.perf_counter()
sys.stderr.write("@@ cnkit.interact\n")
cnkit.interact
t4 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t4 - t3]))
"""


def probe(importtime: bool = False) -> tuple[list[float], str]:
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    cmd = [sys.executable] + (["-X", "importtime"] if importtime else []) + ["-c", PROBE]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def heaviest(stderr: str, top: int = 5) -> dict[str, list[tuple[str, float]]]:
    """Per step, the modules with the largest self time (ms) in ``-X importtime`` output."""
    steps: dict[str, list[tuple[str, float]]] = {}
    current = None
    for line in stderr.splitlines():
        if line.startswith("@@ "):
            current = line[3:]
            steps[current] = []
        elif current and line.startswith("import time:") and "|" in line:
            self_us, _cumulative, name = (p.strip() for p in line[len("import time:"):].split("|"))
            if self_us.isdigit():
                steps[current].append((name, int(self_us) / 1000))
    return {k: sorted(v, key=lambda x: -x[1])[:top] for k, v in steps.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", default=str(RESULTS), help="結果の JSON / results file")
    args, _ = parser.parse_known_args(argv)  # run_all.py passes its arguments to every script

    probe()  # warm the OS file cache
    runs = [probe()[0] for _ in range(args.repeat)]
    median = [statistics.median(r[i] for r in runs) for i in range(len(STEPS))]
    _, stderr = probe(importtime=True)
    top = heaviest(stderr)

    print(f"Import time (fresh interpreter, median of {args.repeat}; Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()})")
    print()
    print("| 段階 / step | 時間 / time (s) | 重いモジュール / heaviest modules (self ms, -X importtime) |")
    print("|---|---:|---|")
    for step, t in zip(STEPS, median):
        heavy = ", ".join(f"{name.strip()} {ms:.0f}" for name, ms in top.get(step, [])[:4])
        print(f"| {step} | {t:.3f} | {heavy} |")
    on_top = median[1]
    everything = sum(median[1:])
    print(f"| **cnkit + show + interact** | **{everything:.3f}** | |")
    print()
    print(f"目標 / target: import cnkit ≤ {TARGET_S:g} s on top of pandas and matplotlib → "
          + ("達成 / met" if on_top <= TARGET_S else "未達 / not met")
          + f" ({on_top:.3f} s; with show and interact {everything:.3f} s"
          + (", also ≤ target" if everything <= TARGET_S else "") + ")")

    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "repeat": args.repeat, "target_s": TARGET_S,
        "median_s": {s: round(t, 4) for s, t in zip(STEPS, median)},
        "runs_s": [[round(x, 4) for x in r] for r in runs],
        "heaviest_self_ms": {k: [[n.strip(), round(ms, 1)] for n, ms in v] for k, v in top.items()},
        "targets_met": {"import_cnkit": on_top <= TARGET_S, "with_show_and_interact": everything <= TARGET_S},
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n[bench] 結果 / results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
