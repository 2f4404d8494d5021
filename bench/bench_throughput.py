"""Benchmark: bill rows per second through read → normalise → calculate, on a synthetic portfolio.

    python bench/bench_throughput.py [--companies 10000] [--repeat 3] [--no-csv]

A financial institution's portfolio: ``--companies`` companies (default 10,000) × 24 months
(FY2024–FY2025) × 7 energies = 1,680,000 bill rows (plus one re-issued 訂正 bill per 1,000), made
deterministically in memory by :func:`portfolio` with the quirks of real bills in fixed shares
(see its docstring). Every row is valid, so the reader returns a table.

Two figures, each the median of ``--repeat`` runs (default 3):

- **in memory**: the raw cells already in a DataFrame (as ``pd.read_csv(dtype=str)`` gives them)
  → ``cnkit.read.read_frames`` (normalise, check, corrections, changes) → ``cnkit.emissions``
  (factors of FY2025 for both years, supplier tepco_ep) → ``cnkit.summary`` by company and fiscal
  year;
- **CSV file**: the same cells written to a UTF-8 CSV in a temporary folder (not timed) →
  ``cnkit.read_bills(path)`` → the same calculation.

Rows per second = bill rows in / wall-clock seconds of the whole path. Memory: the peak of memory
allocated during the path (``tracemalloc``, a separate untimed run; numpy and pandas report their
buffers to it) and the process's peak resident size (``ru_maxrss``) at the end. Results as a
Markdown table on stdout and in bench/results/throughput.json. Target: ≥ 1,000,000 rows/s.
Missing the target never fails the run; a wrong result does (exit code 1).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "throughput.json"
TARGET_ROWS_S = 1_000_000

HEADER = ["拠点", "エネルギー", "使用月", "検針開始日", "検針終了日", "使用量", "単位", "請求金額（円）", "区分", "備考"]
MONTHS = pd.date_range("2024-04-01", "2026-03-01", freq="MS")  # FY2024–FY2025
# energy: (name, aliases, bill unit, base unit, base per bill unit, typical monthly amount in bill units)
ENERGIES = [
    ("電力", ["電気", "買電", "電力量"], "kWh", "MWh", 0.001, 20_000),
    ("都市ガス", ["都市ガス13A", "13A", "ガス"], "m3", "千m3", 0.001, 3_000),
    ("A重油", ["重油", "Ａ重油", "重油A"], "L", "kL", 0.001, 4_000),
    ("灯油", ["灯油"], "L", "kL", 0.001, 400),
    ("LPG", ["ＬＰＧ", "LPガス", "プロパン"], "kg", "t", 0.001, 150),
    ("ガソリン", ["レギュラー", "ハイオク"], "L", "kL", 0.001, 1_200),
    ("軽油", ["ディーゼル", "軽油"], "L", "kL", 0.001, 800),
]
WIDE = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


def _pick(rng, n, shares):
    return rng.choice(len(shares), size=n, p=np.asarray(shares) / sum(shares))


def portfolio(companies: int = 10_000, seed: int = 20260401) -> pd.DataFrame:
    """The raw cells of one bill file holding the whole portfolio, as ``pd.read_csv(dtype=str,
    keep_default_na=False)`` gives them: the Japanese header of ``datasets/BILL_FORMAT.md``, one row per
    company × month × energy, with the quirks of real bills in fixed shares:

    - 使用月: 2024/04 (40 %), 2024年4月 (25 %), R6.4 (15 %), 令和6年4月 (10 %), 2024-04 (10 %);
    - エネルギー: the name (70 %) or an alias such as 電気, 都市ガス13A, ＬＰＧ, レギュラー (30 %);
    - 使用量: plain 3560 (50 %), grouped 3,560 (35 %), full-width ３，５６０ (10 %), padded " 3560 " (5 %);
      10 % of the rows in the base unit with decimals (12.345 MWh, 3.560 千m3, 0.420 kL, 0.150 t);
    - 単位: kWh, m3 / m³, L / ℓ, kg, and MWh, 千m3, kL, t for the rows in the base unit;
    - 請求金額（円）: ¥552,067 / 436,950 / 194151円 (30 % each) / blank (10 %);
    - 検針開始日・検針終了日 for 70 % of the rows, blank otherwise; 備考 暖房なし on kerosene rows with 0;
    - one re-issued bill (区分 = 訂正, 2 % less) per 1,000 rows, appended after the originals.

    Every row is valid. The same ``seed`` gives the same cells.
    """
    rng = np.random.default_rng(seed)
    n_m, n_e = len(MONTHS), len(ENERGIES)
    n = companies * n_m * n_e
    company = np.repeat(np.arange(companies), n_m * n_e)
    month = np.tile(np.repeat(np.arange(n_m), n_e), companies)
    energy = np.tile(np.arange(n_e), companies * n_m)

    sites = np.array([f"C{i:05d} 本社工場" for i in range(companies)], dtype=object)
    site = sites[company]

    # energy names: the name or one of its aliases
    use_alias = rng.random(n) < 0.30
    alias_pick = rng.integers(0, 3, n)
    names = np.array([e[0] for e in ENERGIES], dtype=object)
    alias_table = np.array([[e[1][k % len(e[1])] for k in range(3)] for e in ENERGIES], dtype=object)
    energy_text = np.where(use_alias, alias_table[energy, alias_pick], names[energy])

    # months in five spellings
    ym = [(m.year, m.month) for m in MONTHS]
    spell = [
        [f"{y}/{m:02d}" for y, m in ym],
        [f"{y}年{m}月" for y, m in ym],
        [f"R{y - 2018}.{m}" for y, m in ym],
        [f"令和{y - 2018}年{m}月" for y, m in ym],
        [f"{y}-{m:02d}" for y, m in ym],
    ]
    spell = np.array(spell, dtype=object)
    month_text = spell[_pick(rng, n, [40, 25, 15, 10, 10]), month]

    # amounts in the bill unit: company scale × seasonal factor × noise, whole numbers
    scale = rng.lognormal(0.0, 0.8, companies)[company]
    season = 1.0 + 0.25 * np.cos((month % 12 - 4) / 12 * 2 * np.pi)
    typical = np.array([e[5] for e in ENERGIES], dtype=float)[energy]
    amount = np.maximum(0, np.rint(typical * scale * season * rng.uniform(0.9, 1.1, n))).astype(np.int64)

    # a share of the rows written in the base unit, with decimals (12.345 MWh, 3.56 千m3, ...)
    in_base = rng.random(n) < 0.10
    bill_units = np.array([e[2] for e in ENERGIES], dtype=object)
    base_units = np.array([e[3] for e in ENERGIES], dtype=object)
    alt_units = {"m3": "m³", "L": "ℓ"}
    unit_text = bill_units[energy].copy()
    alt = (rng.random(n) < 0.2) & np.isin(unit_text, list(alt_units))
    unit_text[alt] = [alt_units[u] for u in unit_text[alt]]
    unit_text[in_base] = base_units[energy[in_base]]

    style = _pick(rng, n, [50, 35, 10, 5])
    usage_text = np.empty(n, dtype=object)
    for i in range(n):
        if in_base[i]:
            text = f"{amount[i] / 1000:.3f}"
        else:
            text = f"{amount[i]:,}" if style[i] in (1, 2) else str(amount[i])
        if style[i] == 2:
            text = text.translate(WIDE)
        elif style[i] == 3:
            text = f" {text} "
        usage_text[i] = text

    price = np.array([27.0, 150.0, 95.0, 110.0, 350.0, 170.0, 150.0])[energy]
    charge = np.rint(np.where(in_base, amount, amount) * price * (1 + 0.02 * rng.standard_normal(n))).astype(np.int64)
    charge_style = _pick(rng, n, [30, 30, 30, 10])
    charge_text = np.empty(n, dtype=object)
    for i in range(n):
        c, s = charge[i], charge_style[i]
        charge_text[i] = f"¥{c:,}" if s == 0 else f"{c:,}" if s == 1 else f"{c}円" if s == 2 else ""

    # billing periods (meter day 12 → 11th of the next month) for 70 % of the rows
    starts = np.array([f"{y}/{m:02d}/12" for y, m in ym], dtype=object)
    ends = np.array([f"{y + (m == 12)}/{m % 12 + 1:02d}/11" for y, m in ym], dtype=object)
    has_period = rng.random(n) < 0.70
    start_text = np.where(has_period, starts[month], "")
    end_text = np.where(has_period, ends[month], "")
    note_text = np.where((energy == 3) & (amount == 0), "暖房なし", "")

    raw = pd.DataFrame({
        "拠点": site, "エネルギー": energy_text, "使用月": month_text, "検針開始日": start_text,
        "検針終了日": end_text, "使用量": usage_text, "単位": unit_text, "請求金額（円）": charge_text,
        "区分": "", "備考": note_text,
    })
    # one re-issued bill per 1,000 rows: same site, energy and month, 区分 = 訂正, 2 % less
    fix = np.sort(rng.choice(n, size=n // 1000, replace=False))
    fixes = raw.iloc[fix].copy()
    fixes["使用量"] = [str(int(a * 0.98)) if not b else f"{a * 0.98 / 1000:.3f}"
                     for a, b in zip(amount[fix], in_base[fix])]
    fixes["区分"] = "訂正"
    fixes["備考"] = "検針値誤りによる再請求"
    out = pd.concat([raw, fixes], ignore_index=True)
    return out.astype(str)


def calculate(table: pd.DataFrame) -> pd.DataFrame:
    """The calculate step of the path: CO2, GJ and kL per bill, then totals per company and fiscal year."""
    import cnkit

    em = cnkit.emissions(table, "tepco_ep", factor_fy=2025)
    return cnkit.summary(em, by=["site", "fiscal_year"])


def in_memory(raw: pd.DataFrame):
    from cnkit.read import read_frames

    read = read_frames({"portfolio.csv": raw})
    return read, calculate(read.table)


def from_csv(path: Path):
    import cnkit

    read = cnkit.read_bills(path)
    return read, calculate(read.table)


def timed(fn, *args) -> tuple[float, object]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def peak_allocated(fn, *args) -> int:
    """Peak bytes allocated while ``fn`` runs (tracemalloc; slower, so never timed)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def check(read, totals: pd.DataFrame, companies: int, rows_in: int) -> list[str]:
    """The result must be the portfolio: one row per company × month × energy, the corrections applied."""
    problems = []
    want = companies * len(MONTHS) * len(ENERGIES)
    if len(read.table) != want:
        problems.append(f"table has {len(read.table)} rows, expected {want}")
    fixes = rows_in - want
    n_fix = int(read.changes["reason"].str.contains("訂正の請求書で置き換え", regex=False).sum())
    if n_fix != fixes:
        problems.append(f"{n_fix} corrections listed in changes, expected {fixes}")
    if len(totals) != companies * 2 or not np.isfinite(totals["co2_t"]).all() or (totals["co2_t"] <= 0).any():
        problems.append("totals per company and fiscal year are not all positive and finite")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-csv", action="store_true", help="CSV の読み込みを測らない / skip the CSV figure")
    parser.add_argument("--json", default=str(RESULTS), help="結果の JSON / results file")
    args, _ = parser.parse_known_args(argv)  # run_all.py passes its arguments to every script

    t0 = time.perf_counter()
    raw = portfolio(args.companies)
    rows_in = len(raw)
    print(f"[bench] ポートフォリオ / portfolio: {args.companies:,} 社 / companies, {rows_in:,} 行 / bill rows "
          f"(作成 / generated in {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    import cnkit  # noqa: F401  (imported before timing)

    paths = {"in_memory": (in_memory, raw)}
    tmp = None
    if not args.no_csv:
        tmp = tempfile.TemporaryDirectory(prefix="cn-bench-")
        csv_path = Path(tmp.name) / "portfolio.csv"
        raw.to_csv(csv_path, index=False, encoding="utf-8")
        paths["csv"] = (from_csv, csv_path)
        csv_mb = csv_path.stat().st_size / 1e6
    rows, failures = [], []
    try:
        for key, (fn, arg) in paths.items():
            times = []
            for i in range(args.repeat):
                seconds, (read, totals) = timed(fn, arg)
                times.append(seconds)
                print(f"[bench] {key} {i + 1}/{args.repeat}: {seconds:.2f} s", file=sys.stderr)
            failures += [f"{key}: {p}" for p in check(read, totals, args.companies, rows_in)]
            n_changes = len(read.changes)
            del read, totals
            peak = peak_allocated(fn, arg)
            median = statistics.median(times)
            rows.append({"path": key, "rows_in": rows_in, "seconds": [round(t, 3) for t in times],
                         "median_s": round(median, 3), "rows_per_s": round(rows_in / median),
                         "best_s": round(min(times), 3), "best_rows_per_s": round(rows_in / min(times)),
                         "peak_allocated_mb": round(peak / 1e6, 1), "changes_listed": n_changes})
    finally:
        if tmp is not None:
            tmp.cleanup()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    labels = {"in_memory": "メモリ上 / in memory: read_frames → emissions → summary",
              "csv": f"CSV ファイル / CSV file ({csv_mb:.0f} MB): read_bills → emissions → summary" if not args.no_csv else ""}
    print(f"Throughput ({args.companies:,} companies × {len(MONTHS)} months × {len(ENERGIES)} energies = "
          f"{rows_in:,} bill rows; median of {args.repeat}; Python {platform.python_version()}, pandas {pd.__version__}, "
          f"{platform.system()} {platform.machine()})")
    print()
    print("| 経路 / path | 時間 / time (s) | 行/秒 / rows/s | 最速 / best (rows/s) "
          f"| 割り当てピーク / peak allocated (MB) | 目標 / target ≥ {TARGET_ROWS_S:,} rows/s |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        ok = "✓" if r["rows_per_s"] >= TARGET_ROWS_S else "✗ 未達 / below"
        print(f"| {labels[r['path']]} | {r['median_s']:.2f} | {r['rows_per_s']:,} | {r['best_rows_per_s']:,} "
              f"| {r['peak_allocated_mb']:,.0f} | {ok} |")
    print()
    print(f"プロセスの最大常駐メモリ / process peak RSS (ru_maxrss): {maxrss_mb:,.0f} MB "
          "(入力のセル・CSV 書き出しを含む / includes the input cells and writing the CSV)")
    if failures:
        print("結果の誤り / wrong results: " + "; ".join(failures))

    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "pandas": pd.__version__,
        "platform": f"{platform.system()} {platform.machine()}",
        "companies": args.companies, "rows_in": rows_in, "repeat": args.repeat,
        "target_rows_per_s": TARGET_ROWS_S, "paths": rows, "process_peak_rss_mb": round(maxrss_mb),
        "targets_met": {r["path"]: r["rows_per_s"] >= TARGET_ROWS_S for r in rows}, "failures": failures,
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n[bench] 結果 / results: {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
