"""Run every benchmark script in bench/ (bench/run_*.py) one after the other.

    python bench/run_all.py [arguments passed to each script]

(Called by ``python3 kit.py bench``.) Timing targets never fail the run; the exit code is
non-zero only when a script itself fails (for example a notebook cell raised an error).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    scripts = sorted(p for p in BENCH.glob("run_*.py") if p.name != Path(__file__).name)
    failed = []
    for script in scripts:
        print(f"[bench] === {script.name} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *argv], cwd=BENCH.parent)
        print(f"[bench] {script.name}: {time.perf_counter() - t0:.1f} s, exit {rc}", flush=True)
        if rc != 0:
            failed.append(script.name)
    if failed:
        print(f"[bench] 失敗したスクリプト / failed scripts: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
