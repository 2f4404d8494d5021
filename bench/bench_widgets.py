"""Benchmark: how long a trainee waits after changing a calculator widget's input.

    python bench/bench_widgets.py [--n 50] [--only co2 subsidy ...]

For every calculator widget of the course (cnkit.interact), outside a browser:

1. an IPython shell is set up as in a notebook (``cnkit.setup_notebook()``: figures are shown as PNG
   through IPython's display formatter, as the kernel does; the chart widgets draw their PNG with
   ``cnkit.show.base.png_bytes``), with a capturing display publisher standing in for the kernel's
   messages; the time spent in either is the "PNG render" column;
2. the widget is built with the arguments its notebook uses; 5 warm-up changes are not counted;
3. one input is set to a new value ``n`` times (default 50). The widgets' observe handlers run
   synchronously, so the time from the assignment to its return covers the computation, the new
   result HTML, the chart and its rendering to PNG. Each change is checked: the result must differ
   from the one before, and a widget with a chart must have published a new PNG.

Reports p50 / p95 / max per widget (and the part spent rendering charts to PNG) as a Markdown table
on stdout and in bench/results/widgets.json. Target: p95 ≤ 100 ms. Missing the target never fails
the run; a widget that does not update does (exit code 1).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "widgets.json"
TARGET_P95_MS = 100.0
WARMUP = 5

# A社-like annual totals in the calculator's units (kWh, m³, L, kg), as notebook 02 fills them in
A_SHA = {"electricity": 640_000, "city_gas": 40_000, "a_heavy_oil": 48_000, "kerosene": 5_000, "lpg": 2_000,
         "gasoline": 14_000, "diesel": 10_000}

# key: (label, module, factory, keyword arguments, the input to change, its i-th new value)
CASES = {
    "co2": ("CO2かんたん計算（02）", "cnkit.interact.co2", "co2_calculator",
            {"emissions_fy": 2025, "usage": A_SHA, "supplier": "tepco_ep"},
            lambda w: w.inputs["electricity"], lambda i: str(600_000 + 1_000 * i)),
    "self_check": ("セルフチェックシート（01）", "cnkit.interact.stage", "self_check_sheet", {},
                   lambda w: w.boxes[5], lambda i: i % 2 == 0),  # No.5 (知る): the reason lists it or not
    "electrification": ("電化の試算（05）", "cnkit.interact.measures", "electrification_calculator",
                        {"fuel_amount": 48.0, "scope1_t": 290.0, "scope2_t": 270.0},
                        lambda w: w.amount, lambda i: 30.0 + 0.25 * i),
    "subsidy": ("補助金かんたん計算（06）", "cnkit.interact.subsidy", "subsidy_calculator",
                {"cost_yen": 3_600_000, "kw": 30, "annual_saving_yen": 600_000},
                lambda w: w.cost, lambda i: f"{3_000_000 + 10_000 * i:,}"),
    "roadmap": ("ロードマップ作成（07）", "cnkit.interact.roadmap", "roadmap_builder", {},
                lambda w: w.reduction, lambda i: round(0.30 + 0.002 * i, 3)),
    "roadmap_year": ("ロードマップ作成（07）実施年度", "cnkit.interact.roadmap", "roadmap_builder", {},
                     lambda w: w.years["pv"], lambda i: 2026 + i % 2),  # moves the phases, emissions and money
    "sll": ("SLL 金利引き下げ（08）", "cnkit.interact.finance", "sll_calculator", {},
            lambda w: w.principal, lambda i: 2_000.0 + 10.0 * i),
}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), linear between the two nearest ranks."""
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Shell:
    """An IPython shell like a notebook's, counting the time spent formatting (PNG rendering) and the PNGs."""

    def __init__(self) -> None:
        from IPython.core.displaypub import CapturingDisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell

        import cnkit

        self.ip = InteractiveShell.instance()
        self.ip.display_pub = CapturingDisplayPublisher()
        cnkit.setup_notebook()  # PNG for figures, as in every course notebook
        self.format_s = 0.0
        self.pngs = 0
        formatter = self.ip.display_formatter
        original = formatter.format

        def timed_format(obj, *args, **kwargs):
            t0 = time.perf_counter()
            data, meta = original(obj, *args, **kwargs)
            self.format_s += time.perf_counter() - t0
            self.pngs += "image/png" in data
            return data, meta

        formatter.format = timed_format

        # the chart widgets draw their PNG themselves (cnkit.show.base.png_bytes): counted too
        import cnkit.show.base as base

        original_png = base.png_bytes

        def timed_png(fig):
            t0 = time.perf_counter()
            png = original_png(fig)
            self.format_s += time.perf_counter() - t0
            return png

        base.png_bytes = timed_png

    def forget(self) -> None:
        self.ip.display_pub.outputs.clear()


def bench_widget(key: str, shell: Shell, n: int) -> dict:
    label, module_name, factory, kwargs, pick, value = CASES[key]
    row = {"key": key, "widget": label, "factory": f"{module_name}.{factory}"}
    make = getattr(importlib.import_module(module_name), factory)
    quiet = io.StringIO()  # clear_output writes escape codes to stdout outside a kernel
    with contextlib.redirect_stdout(quiet):
        t0 = time.perf_counter()
        widget = make(**kwargs)
        build_s = time.perf_counter() - t0
        box = pick(widget)
        has_chart = hasattr(widget, "chart")
        for i in range(WARMUP):
            box.value = value(i)
        times, render, stale = [], [], 0
        for i in range(WARMUP, WARMUP + n):
            before = widget.result.value
            shell.format_s, pngs = 0.0, shell.pngs
            t0 = time.perf_counter()
            box.value = value(i)
            times.append(time.perf_counter() - t0)
            render.append(shell.format_s)
            if widget.result.value == before or (has_chart and shell.pngs == pngs):
                stale += 1
            shell.forget()
    ms = [t * 1000 for t in times]
    render_ms = [t * 1000 for t in render]
    return row | {
        "input": type(box).__name__, "interactions": n, "build_ms": round(build_s * 1000, 1),
        "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1), "mean_ms": round(statistics.fmean(ms), 1),
        "render_png_p50_ms": round(percentile(render_ms, 50), 1) if has_chart else None,
        "chart": has_chart, "not_updated": stale,
    }


def markdown(rows: list[dict], n: int) -> str:
    lines = [
        f"Widget latency ({n} interactions each; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()})",
        "",
        "| ウィジェット / widget | 入力 / input | p50 (ms) | p95 (ms) | max (ms) | うち PNG 描画 / PNG render p50 (ms) "
        f"| 目標 / target p95 ≤ {TARGET_P95_MS:g} ms |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        status = ("✗ 更新されない / not updated" if r["not_updated"] else
                  "✓" if r["p95_ms"] <= TARGET_P95_MS else "✗ 超過 / over")
        render = "–" if r["render_png_p50_ms"] is None else f"{r['render_png_p50_ms']:.1f}"
        lines.append(f"| {r['widget']} | {r['input']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} "
                     f"| {render} | {status} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="interactions per widget")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), metavar="KEY")
    parser.add_argument("--json", default=str(RESULTS), help="結果の JSON / results file")
    args, _ = parser.parse_known_args(argv)  # run_all.py passes its arguments to every script

    shell = Shell()
    rows = [bench_widget(k, shell, args.n) for k in (args.only or CASES)]
    print(markdown(rows, args.n))
    over = [r["key"] for r in rows if r["p95_ms"] > TARGET_P95_MS]
    stale = [r["key"] for r in rows if r["not_updated"]]
    print()
    print(f"目標 / target: p95 ≤ {TARGET_P95_MS:g} ms → "
          + ("達成 / met" if not over else f"未達 / not met: {', '.join(over)}"))
    if stale:
        print(f"更新されなかったウィジェット / widgets that did not update: {', '.join(stale)}")
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "interactions": args.n, "warmup": WARMUP, "target_p95_ms": TARGET_P95_MS,
        "widgets": rows, "targets_met": not over,
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n[bench] 結果 / results: {out}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
