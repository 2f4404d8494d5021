"""The column-wise normalisers (cnkit.normalize.*_values) give, cell by cell, what the scalar ones give.

The bill reader uses only the column-wise functions; the scalar functions define what a cell means.
Each property draws whole columns of cells as bills hold them (numbers with separators and full-width
digits, yen signs, Japanese eras, units, empty cells) plus arbitrary text and the typed cells of Excel
(numbers, dates, None, NaN), and checks every cell: the same value, or the same Japanese reason.
The last tests check the reader itself against the scalar functions and the in-memory path
(read_frames) against the file path (read_bills), and that the throughput benchmark's portfolio reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnkit import normalize as nz
from cnkit.read import COLUMNS, _aliases, read_bills, read_frames

ROOT = Path(__file__).resolve().parents[1]
COLUMNS_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------- cells as bills hold them

PIECES = list("0123456789０１２３４５６７８９") + [
    ",", "，", ".", "．", " ", "\u3000", "¥", "￥", "\\", "円", "▲", "△", "-", "+", "年", "月", "日", "分", "/",
    "R", "H", "r", "Ｒ", "令和", "平成", "元", "k", "K", "W", "h", "M", "m", "3", "³", "㎥", "千", "L", "ℓ", "l",
    "t", "g", "^", "リットル", "トン", "٣", "²", "\n", "e", "nan", "inf", "電気", "ガス", "ＬＰＧ", "訂正",
]
pieces = st.lists(st.sampled_from(PIECES), max_size=9).map("".join)
grouped = st.integers(0, 10**12).map(lambda n: f"{n:,}")
decimals = st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 10**6), st.integers(0, 999))
wide = st.one_of(grouped, decimals).map(lambda s: s.translate(str.maketrans("0123456789,.", "０１２３４５６７８９，．")))
money = st.builds(lambda pre, num, post: pre + num + post, st.sampled_from(["", "¥", "￥", "\\", "¥ ", " "]),
                  st.one_of(grouped, decimals, wide), st.sampled_from(["", "円", " 円", " "]))
months = st.builds(
    lambda y, m, fmt: fmt.format(y=y, m=m, r=y - 2018, h=y - 1988),
    st.integers(1890, 2110), st.integers(0, 14),
    st.sampled_from(["{y}年{m}月", "{y}/{m:02d}", "{y}-{m}", "{y}.{m}", "R{r}.{m}", "令和{r}年{m}月分", "H{h}.{m}",
                     "平成{h}年{m}月", "令和元年{m}月", "{y}/{m}/1", " {y} 年 {m} 月 ", "R{r}年{m}月", "Ｒ{r}．{m}"]))
dates = st.builds(
    lambda y, m, d, fmt: fmt.format(y=y, m=m, d=d, r=y - 2018),
    st.integers(0, 2200), st.integers(0, 14), st.integers(0, 33),
    st.sampled_from(["{y:04d}/{m:02d}/{d:02d}", "{y}年{m}月{d}日", "R{r}.{m}.{d}", "令和{r}年{m}月{d}日", "{y}-{m}-{d}",
                     "令和元年{m}月{d}日", "{y}.{m}.{d}"]))
units = st.sampled_from(["kWh", "kwh", "ＫＷＨ", "MWh", "m3", "m³", "㎥", "ｍ３", "千m3", "千㎥", "m^3", "L", "ℓ", "Ｌ",
                         "リットル", "kL", "kℓ", "kg", "ｋｇ", "t", "トン", " t ", "GJ", "", "本", "kWh/月"])
energies = st.sampled_from(["電力", "電気", "買電", "都市ガス", "都市ガス13A", "13A", "13a", "ガス", "A重油", "Ａ重油", "重油",
                            "灯油", "LPG", "ＬＰＧ", "lpg", "LPガス", "プロパン", "ガソリン", "レギュラー", "軽油", "ディーゼル",
                            "水素", "", " 電気 "])
typed = st.one_of(
    st.none(), st.just(float("nan")), st.booleans(), st.integers(-10**6, 10**9),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31)),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 1, 1)).map(pd.Timestamp),
)
text = st.one_of(pieces, grouped, decimals, wide, money, months, dates, units, energies, st.text(max_size=8))


def columns(cells):
    """A column as the reader gets it: text only (a CSV read as str), or mixed objects (Excel)."""
    return st.one_of(st.lists(cells, max_size=25).map(lambda v: ("text", v)),
                     st.lists(st.one_of(cells, typed), max_size=25).map(lambda v: ("mixed", v)))


def as_series(kind: str, values: list) -> pd.Series:
    if kind == "text":  # what pd.read_csv(dtype=str) gives: the str dtype, missing cells NaN
        return pd.Series(values + [None], dtype="str")
    return pd.Series(values, dtype=object)


def scalar(fn, value):
    try:
        return fn(value), None
    except ValueError as exc:
        return None, str(exc)


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


def check_parsed(fn, vector, kind, values, *, distinct=True, convert=lambda v: v):
    s = as_series(kind, values)
    out = vector(s, distinct=distinct)
    assert list(out.value.index) == list(s.index)
    for i, cell in enumerate(s.tolist()):
        want, reason = scalar(fn, cell)
        got_reason = out.error.iat[i]
        assert got_reason == reason, (cell, got_reason, reason)
        if reason is None:
            got = convert(out.value.iat[i])
            assert same(got, want), (cell, got, want)


@COLUMNS_SETTINGS
@given(columns(text), st.booleans())
def test_parse_number_values(col, distinct):
    check_parsed(nz.parse_number, nz.parse_number_values, *col, distinct=distinct, convert=float)


@COLUMNS_SETTINGS
@given(columns(text), st.booleans())
def test_parse_month_values(col, distinct):
    check_parsed(nz.parse_month, nz.parse_month_values, *col, distinct=distinct, convert=pd.Timestamp)


@COLUMNS_SETTINGS
@given(columns(text), st.booleans())
def test_parse_date_values(col, distinct):
    check_parsed(nz.parse_date, nz.parse_date_values, *col, distinct=distinct, convert=pd.Timestamp)


@COLUMNS_SETTINGS
@given(columns(text), st.booleans())
def test_energy_lookup_values(col, distinct):
    aliases = _aliases()
    check_parsed(lambda v: nz.energy_lookup(aliases, v), lambda s, distinct: nz.energy_lookup_values(aliases, s,
                 distinct=distinct), *col, distinct=distinct)


@COLUMNS_SETTINGS
@given(columns(text), st.booleans())
def test_parse_unit_values(col, distinct):
    kind, values = col
    s = as_series(kind, values)
    out = nz.parse_unit_values(s, distinct=distinct)
    for i, cell in enumerate(s.tolist()):
        want, reason = scalar(nz.parse_unit, cell)
        assert out.error.iat[i] == reason, cell
        if reason is None:
            assert (out.unit.iat[i], out.multiplier.iat[i]) == want, cell


@COLUMNS_SETTINGS
@given(columns(text), st.booleans())
def test_nfkc_and_is_blank_values(col, distinct):
    kind, values = col
    s = as_series(kind, values)
    assert nz.nfkc_values(s, distinct=distinct).tolist() == [nz.nfkc(v) for v in s.tolist()]
    assert nz.is_blank_values(s, distinct=distinct).tolist() == [nz.is_blank(v) for v in s.tolist()]


@COLUMNS_SETTINGS
@given(st.lists(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31)), max_size=30))
def test_fiscal_year_values(when):
    months = [pd.Timestamp(year=w.year, month=w.month, day=1) for w in when]
    assert nz.fiscal_year_values(months).tolist() == [nz.fiscal_year(m) for m in months]


def test_plain_lists_and_arrays_are_accepted():
    assert nz.parse_number_values(["1,234", "x"]).value.iloc[0] == 1234
    assert nz.parse_number_values(np.array(["5", "６"], dtype=object)).value.tolist() == [5.0, 6.0]
    assert nz.parse_month_values(("R7.4",)).value.iloc[0] == pd.Timestamp("2025-04-01")


# ---------------------------------------------------------------------------- the reader itself

HEADER = [COLUMNS[c] for c in ("site", "energy", "month", "usage", "unit", "charge_yen", "period_start", "kind")]


@st.composite
def bill_rows(draw):
    """Consecutive months of one site × energy, each cell drawn from the spellings of real bills."""
    energy, unit = draw(st.sampled_from([("電気", ["kWh", "MWh", "ＫＷＨ"]), ("都市ガス", ["m3", "m³", "千m3"]),
                                         ("A重油", ["L", "ℓ", "kL"]), ("ＬＰＧ", ["kg", "t"])]))
    start = draw(st.integers(0, 30))
    rows = []
    for k in range(draw(st.integers(1, 14))):
        y, m = 2023 + (start + k) // 12, (start + k) % 12 + 1
        month = draw(st.sampled_from([f"{y}年{m}月", f"{y}/{m:02d}", f"R{y - 2018}.{m}", f"令和{y - 2018}年{m}月分"]))
        usage = draw(st.one_of(grouped, decimals, wide, st.integers(0, 10**7).map(str)))
        charge = draw(st.one_of(st.just(""), money))
        period = draw(st.sampled_from(["", f"{y}/{m:02d}/08", f"R{y - 2018}.{m}.8"]))
        rows.append(["本社", energy, month, usage, draw(st.sampled_from(unit)), charge, period, ""])
    return rows


def write(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bill_rows())
def test_reader_reads_each_cell_as_the_scalar_functions_do(tmp_path, rows):
    table, changes = read_bills(write(tmp_path / "b.csv", rows))
    assert len(table) == len(rows)
    aliases = _aliases()
    by_row = table.set_index("row")
    for i, r in enumerate(rows):
        got = by_row.loc[i + 2]
        base, mult = nz.parse_unit(r[4])
        assert got["energy"] == nz.energy_lookup(aliases, r[1])
        assert got["month"] == nz.parse_month(r[2])
        assert got["fiscal_year"] == nz.fiscal_year(nz.parse_month(r[2]))
        assert got["usage"] == nz.parse_number(r[3]) * mult and got["unit"] == base
        assert (math.isnan(got["charge_yen"]) if r[5].strip() == "" else got["charge_yen"] == nz.parse_number(r[5]))
        assert (pd.isna(got["period_start"]) if r[6] == "" else got["period_start"] == nz.parse_date(r[6]))
    # read from memory, the same table and the same changes
    raw = pd.read_csv(tmp_path / "b.csv", dtype=str, keep_default_na=False)
    again = read_frames({"b.csv": raw})
    pd.testing.assert_frame_equal(again.table, table)
    pd.testing.assert_frame_equal(again.changes, changes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bill_rows(), st.sampled_from([1, 2, 3, 4, 5, 6]), text)
def test_a_bad_cell_is_named_with_the_scalar_reason(tmp_path, rows, column, bad):
    rows = [list(r) for r in rows]
    rows[0][column] = bad
    path = write(tmp_path / "bad.csv", rows)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    cell = raw.iloc[0, column]
    check = {1: lambda v: nz.energy_lookup(_aliases(), v), 2: nz.parse_month, 3: nz.parse_number,
             4: nz.parse_unit, 5: nz.parse_number, 6: nz.parse_date}[column]
    _, reason = scalar(check, cell)
    try:
        read_bills(path)
    except ValueError as err:
        problems = err.problems
    else:
        problems = []
    mine = [p for p in problems if p.startswith(f"bad.csv 2行目 列「{HEADER[column]}」")]
    if nz.is_blank(cell):
        if column in (5, 6):  # optional columns: a blank cell is no problem
            assert not mine
        else:
            assert mine == [f"bad.csv 2行目 列「{HEADER[column]}」の値「{cell}」: 空欄です"]
    elif reason is not None:
        assert len(mine) == 1 and mine[0].startswith(f"bad.csv 2行目 列「{HEADER[column]}」の値「{cell}」: {reason}"), \
            (cell, problems)


def test_portfolio_of_the_throughput_benchmark_reads_back():
    spec = importlib.util.spec_from_file_location("bench_throughput", ROOT / "bench" / "bench_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    raw = bench.portfolio(25)
    assert raw.equals(bench.portfolio(25))  # deterministic
    read, totals = bench.in_memory(raw)
    assert bench.check(read, totals, 25, len(raw)) == []
    assert len(read.table) == 25 * 24 * 7
    # every quirk of the generator is read: aliases, eras, full-width digits, units, corrections
    reasons = " ".join(read.changes["reason"].unique())
    for word in ("エネルギー名を統一", "全角", "換算", "訂正"):
        assert word in reasons
