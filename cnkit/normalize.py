"""Normalisers for values as they appear on Japanese bills (read layer).

Each function takes one raw cell value and returns a clean value, or raises
:class:`ValueError` with a short Japanese reason; the bill reader adds the file,
row and column to that reason.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from typing import NamedTuple

import numpy as np
import pandas as pd

# Japanese eras used on bills: name/initial → first Western year.
ERAS = {"令和": 2019, "R": 2019, "平成": 1989, "H": 1989}

# unit (after NFKC, lower case) → (base unit, multiplier to the base unit)
UNITS: dict[str, tuple[str, float]] = {
    "kwh": ("kWh", 1.0),
    "mwh": ("kWh", 1000.0),
    "m3": ("千m³", 0.001),
    "千m3": ("千m³", 1.0),
    "l": ("kL", 0.001),
    "リットル": ("kL", 0.001),
    "kl": ("kL", 1.0),
    "キロリットル": ("kL", 1.0),
    "kg": ("t", 0.001),
    "t": ("t", 1.0),
    "トン": ("t", 1.0),
}


def nfkc(text: object) -> str:
    """Full-width letters, digits and symbols to their plain forms, spaces trimmed."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and nfkc(value) == ""


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d+)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(value: object) -> float:
    """A number written as on a bill: ``12,345``, ``１２，３４５``, ``¥1,234円``, ``1 234``, ``▲500``."""
    if isinstance(value, bool):
        raise ValueError("数値ではありません")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("空欄か数値ではありません")
        return float(value)
    text = nfkc(value)
    text = re.sub(r"^[¥\\]|円$", "", text).strip()
    text = text.replace(" ", "").replace("\u3000", "")
    if text[:1] in {"▲", "△"}:
        text = "-" + text[1:]
    if text == "":
        raise ValueError("空欄です")
    if "," in text:
        if not _GROUPED.match(text):
            raise ValueError("桁区切り（,）の位置が読み取れません")
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise ValueError("数値として読めません")
    return float(text)


_WESTERN = re.compile(r"^(\d{4})\s*(?:年|/|-|\.)\s*(\d{1,2})(?:\s*(?:月|/|-|\.)\s*(\d{1,2})?\s*日?)?(?:月)?\s*(?:分)?$")
_ERA = re.compile(r"^(令和|平成|R|H)\s*(元|\d{1,2})\s*(?:年|\.|/|-)\s*(\d{1,2})\s*(?:月)?(?:\s*(\d{1,2})\s*日?)?\s*(?:分)?$")


def parse_month(value: object) -> pd.Timestamp:
    """The month of a bill as the first day of that month.

    Accepts ``2025年4月``, ``2025/04``, ``2025-04``, ``2025/4/1``, ``R7.5``, ``令和7年5月``,
    ``令和元年5月``, ``H31.4``, a trailing ``分``, and date or datetime values from Excel.
    """
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        ts = pd.Timestamp(value)
        return pd.Timestamp(year=ts.year, month=ts.month, day=1)
    text = nfkc(value).upper().replace(" ", "")
    m = _WESTERN.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        m = _ERA.match(text)
        if not m:
            raise ValueError("年月として読めません（例: 2025年4月、R7.4）")
        era, n = m.group(1), m.group(2)
        if n != "元" and int(n) == 0:
            raise ValueError("和暦の年は元年（1年）からです")
        year = ERAS[era] + (1 if n == "元" else int(n)) - 1
        month = int(m.group(3))
    if not 1 <= month <= 12:
        raise ValueError("月が1〜12の範囲にありません")
    if not 1900 <= year <= 2100:
        raise ValueError("年が読み取れません")
    return pd.Timestamp(year=year, month=month, day=1)


def parse_date(value: object) -> pd.Timestamp:
    """A calendar date (``2025/04/08``, ``2025年4月8日``, ``R7.4.8``) or an Excel date."""
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        return pd.Timestamp(value).normalize()
    text = nfkc(value).upper().replace(" ", "")
    m = re.match(r"^(\d{4})[年/.-](\d{1,2})[月/.-](\d{1,2})日?$", text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = re.match(r"^(令和|平成|R|H)(元|\d{1,2})[年/.-](\d{1,2})[月/.-](\d{1,2})日?$", text)
        if not m:
            raise ValueError("日付として読めません（例: 2025/04/08）")
        y = ERAS[m.group(1)] + (1 if m.group(2) == "元" else int(m.group(2))) - 1
        mo, d = int(m.group(3)), int(m.group(4))
    try:
        return pd.Timestamp(year=y, month=mo, day=d)
    except ValueError as exc:
        raise ValueError("存在しない日付です") from exc


def fiscal_year(month: pd.Timestamp) -> int:
    """Japanese fiscal year (年度): April to March. 2026-03 → 2025."""
    return month.year if month.month >= 4 else month.year - 1


def parse_unit(value: object) -> tuple[str, float]:
    """A unit as written (``kWh``, ``MWh``, ``m³``, ``千m3``, ``L``, ``ℓ``, ``kL``, ``kg``, ``t``) →
    (base unit, multiplier to the base unit)."""
    key = nfkc(value).lower().replace("㎥", "m3").replace("m^3", "m3")
    if key in UNITS:
        return UNITS[key]
    raise ValueError("知らない単位です（使える単位: kWh, MWh, m3, 千m3, L, kL, kg, t）")


def energy_lookup(aliases: dict[str, str], value: object) -> str:
    """The energy code for a name or alias (``電気`` → ``electricity``)."""
    key = nfkc(value).upper()
    if key in aliases:
        return aliases[key]
    raise ValueError("知らないエネルギー名です")


# =============================================================================================
# Whole columns at once (the bill reader uses these for every row)
#
# Each ``*_values`` function takes a column (a pandas Series, list or array of raw cells) and gives,
# for every cell, what the scalar function above gives: the value, or the Japanese reason of its
# ValueError. Text cells are handled a column at a time with pandas string operations (NFKC with
# ``str.normalize``, separators with ``str.replace``, months and dates with ``str.extract``), after
# reducing the column to its distinct texts (``distinct=True``; pass ``False`` when the cells are
# distinct already). Numbers, the one kind of column whose cells mostly differ, take a short cut for
# the usual spellings (1234, 1,234, 12.5, ¥1,234, 1234円: one regular expression). Cells that are
# not text (numbers and dates typed in Excel, empty cells) are few and already typed: they go
# through the scalar function itself, which defines what they mean.
# tests/test_normalize.py checks that the two agree on generated values.
# =============================================================================================


class Parsed(NamedTuple):
    """Result of a ``*_values`` function: ``value`` per cell and ``error`` (``None`` where the cell was read,
    else the reason the scalar function gives in its ValueError). Both keep the input's index."""

    value: pd.Series
    error: pd.Series


class UnitsParsed(NamedTuple):
    """Result of :func:`parse_unit_values`: base unit, multiplier to it, and the reason where unreadable."""

    unit: pd.Series
    multiplier: pd.Series
    error: pd.Series


def _series(values) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, np.ndarray):
        return pd.Series(values.astype(object, copy=False), dtype=object)
    return pd.Series(list(values), dtype=object)


def _text_mask(s: pd.Series) -> np.ndarray:
    """Cells that are Python strings (the column-wise path); the others go through the scalar functions."""
    if isinstance(s.dtype, pd.StringDtype):
        return s.notna().to_numpy()
    arr = s.to_numpy(dtype=object)
    given = ~pd.isna(arr)
    if pd.api.types.infer_dtype(arr[given], skipna=False) in ("string", "empty"):
        return given  # text and empty cells only (a CSV column)
    return np.fromiter((type(v) is str for v in arr), dtype=bool, count=len(arr))


def _apply(text: pd.Series, fn, distinct: bool):
    """``fn`` (a function of a Series of strings giving arrays) on every string, once per distinct string."""
    if not distinct:
        return fn(text.reset_index(drop=True))
    codes, uniques = pd.factorize(text.to_numpy(dtype=object))
    out = fn(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    return tuple(o[codes] for o in out) if isinstance(out, tuple) else out[codes]


def _scalar(fn, s: pd.Series, mask: np.ndarray, value: np.ndarray, error: np.ndarray) -> None:
    """Fill ``value``/``error`` at ``mask`` with the scalar function ``fn`` (cells that are not text)."""
    for i in np.flatnonzero(mask):
        try:
            value[i] = fn(s.iat[i])
        except ValueError as exc:
            error[i] = str(exc)


def _nfkc_text(text: pd.Series) -> pd.Series:
    """:func:`nfkc` of a Series of strings (NFKC, then spaces trimmed)."""
    return text.str.normalize("NFKC").str.strip()


def nfkc_values(values, *, distinct: bool = True) -> pd.Series:
    """:func:`nfkc` of every cell (``str`` of the cell, NFKC, spaces trimmed)."""
    s = _series(values)
    out = np.empty(len(s), dtype=object)
    text = _text_mask(s)
    if text.any():
        out[text] = _apply(s[text], lambda t: _nfkc_text(t).to_numpy(dtype=object), distinct)
    for i in np.flatnonzero(~text):
        out[i] = nfkc(s.iat[i])
    return pd.Series(out, index=s.index, dtype=object)


def _blank_text(t: pd.Series) -> np.ndarray:
    arr = t.to_numpy(dtype=object)
    n = len(arr)
    # ASCII text (NFKC leaves it as it is) is blank when empty or all spaces
    blank = (arr == "") | np.fromiter(map(str.isspace, arr), dtype=bool, count=n)
    wide = ~np.fromiter(map(str.isascii, arr), dtype=bool, count=n)
    if wide.any():
        blank[wide] = (_nfkc_text(t[wide]) == "").to_numpy(dtype=bool)
    return blank


def is_blank_values(values, *, distinct: bool = True) -> np.ndarray:
    """:func:`is_blank` of every cell, as a boolean array."""
    s = _series(values)
    out = np.zeros(len(s), dtype=bool)
    text = _text_mask(s)
    if text.any():
        out[text] = _apply(s[text], _blank_text, distinct)
    for i in np.flatnonzero(~text):
        out[i] = is_blank(s.iat[i])
    return out


# The usual spellings of a number on a bill, in ASCII: 1234, 1,234, 12.5, ¥1,234, \1,234 (¥ in Shift_JIS),
# 1234円. NFKC leaves such a text as it is, and parse_number reads it as the digits without the commas.
_USUAL_NUMBER = re.compile(r"[¥\\]?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)円?", re.ASCII)


def _number_text(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_number` of a Series of strings → (values, reasons)."""
    n = len(text)
    value = np.full(n, np.nan)
    error = np.empty(n, dtype=object)
    arr = text.to_numpy(dtype=object)
    hit = np.zeros(n, dtype=bool)
    match = _USUAL_NUMBER.fullmatch
    for start in range(0, n, 65536):  # in slices: a match object per cell is big
        usual = [match(x) for x in arr[start:start + 65536]]
        part = np.fromiter((m is not None for m in usual), dtype=bool, count=len(usual))
        if part.any():
            digits = np.array([m[1].replace(",", "") for m in usual if m is not None], dtype=object)
            value[start:start + len(usual)][part] = digits.astype(np.float64)
        hit[start:start + len(usual)] = part
    rest = ~hit
    if not rest.any():
        return value, error
    # everything else, step by step as parse_number does it
    t = _nfkc_text(text[rest])
    t = t.str.replace(r"^[¥\\]|円$", "", regex=True).str.strip()
    t = t.str.replace(" ", "", regex=False).str.replace("\u3000", "", regex=False)
    tri = t.str[:1].isin(["▲", "△"])
    if tri.any():
        t[tri] = "-" + t[tri].str[1:]
    err = np.empty(len(t), dtype=object)
    empty = (t == "").to_numpy(dtype=bool)
    err[empty] = "空欄です"
    comma = t.str.contains(",", regex=False).to_numpy(dtype=bool) & ~empty
    if comma.any():
        grouped = t[comma].str.match(_GROUPED.pattern).to_numpy(dtype=bool)
        err[np.flatnonzero(comma)[~grouped]] = "桁区切り（,）の位置が読み取れません"
        t[comma] = t[comma].str.replace(",", "", regex=False)
    todo = pd.isna(err)
    number = np.zeros(len(t), dtype=bool)
    number[todo] = t[todo].str.match(_NUMBER.pattern).to_numpy(dtype=bool)
    err[todo & ~number] = "数値として読めません"
    vals = np.full(len(t), np.nan)
    vals[number] = t[number].to_numpy(dtype=object).astype(np.float64)
    value[rest] = vals
    error[rest] = err
    return value, error


def parse_number_values(values, *, distinct: bool = True) -> Parsed:
    """:func:`parse_number` of every cell (float64 values; NaN where unreadable)."""
    s = _series(values)
    value = np.full(len(s), np.nan)
    error = np.empty(len(s), dtype=object)
    text = _text_mask(s)
    if text.any():
        value[text], error[text] = _apply(s[text], _number_text, distinct)
    _scalar(parse_number, s, ~text, value, error)
    return Parsed(pd.Series(value, index=s.index), pd.Series(error, index=s.index, dtype=object))


def _ints(col: pd.Series) -> np.ndarray:
    # int() like the scalar function: \d also matches digits of other scripts
    return np.array([int(x) for x in col], dtype=np.int64)


def _month_text(uniq: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_month` of a Series of strings → (datetime64[us] values, reasons)."""
    n = len(uniq)
    error = np.empty(n, dtype=object)
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    t = _nfkc_text(uniq).str.upper().str.replace(" ", "", regex=False)
    west = t.str.extract(_WESTERN.pattern)
    is_west = west[0].notna().to_numpy(dtype=bool)
    if is_west.any():
        year[is_west] = _ints(west.loc[is_west, 0])
        month[is_west] = _ints(west.loc[is_west, 1])
    read = is_west.copy()
    era_rows = np.flatnonzero(~is_west)
    era = t[~is_west].str.extract(_ERA.pattern)
    matched = era[0].notna().to_numpy(dtype=bool)
    error[era_rows[~matched]] = "年月として読めません（例: 2025年4月、R7.4）"
    era, rows = era[matched], era_rows[matched]
    if len(rows):
        gan = (era[1] == "元").to_numpy(dtype=bool)
        n_year = np.ones(len(rows), dtype=np.int64)
        n_year[~gan] = _ints(era.loc[~gan, 1])
        zero = n_year == 0
        error[rows[zero]] = "和暦の年は元年（1年）からです"
        year[rows] = era[0].map(ERAS).to_numpy(dtype=np.int64) + n_year - 1
        month[rows] = _ints(era[2])
        read[rows[~zero]] = True
    bad_month = read & ~((month >= 1) & (month <= 12))
    error[bad_month] = "月が1〜12の範囲にありません"
    bad_year = read & ~bad_month & ~((year >= 1900) & (year <= 2100))
    error[bad_year] = "年が読み取れません"
    good = read & ~bad_month & ~bad_year
    value = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    value[good] = ((year[good] - 1970) * 12 + month[good] - 1).astype("datetime64[M]").astype("datetime64[us]")
    return value, error


def _datetime_values(values, parse_texts, parse_one, distinct: bool) -> Parsed:
    """Text cells through ``parse_texts`` (column-wise, once per distinct text when ``distinct``),
    the other cells (dates, numbers, blanks) through the scalar ``parse_one``; datetime64[us]."""
    s = _series(values)
    value = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[us]")
    error = np.empty(len(s), dtype=object)
    text = _text_mask(s)
    if text.any():
        value[text], error[text] = _apply(s[text], parse_texts, distinct)
    other = np.empty(len(s), dtype=object)
    _scalar(parse_one, s, ~text, other, error)
    for i in np.flatnonzero(~text & pd.notna(other)):
        value[i] = other[i].as_unit("us").to_datetime64()
    return Parsed(pd.Series(value, index=s.index), pd.Series(error, index=s.index, dtype=object))


def parse_month_values(values, *, distinct: bool = True) -> Parsed:
    """:func:`parse_month` of every cell (datetime64[us], the first of the month; NaT where unreadable)."""
    return _datetime_values(values, _month_text, parse_month, distinct)


_DATE = re.compile(r"^(\d{4})[年/.-](\d{1,2})[月/.-](\d{1,2})日?$")
_ERA_DATE = re.compile(r"^(令和|平成|R|H)(元|\d{1,2})[年/.-](\d{1,2})[月/.-](\d{1,2})日?$")


def _date_text(uniq: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_date` of a Series of strings → (datetime64[us] values, reasons)."""
    n = len(uniq)
    error = np.empty(n, dtype=object)
    value = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    t = _nfkc_text(uniq).str.upper().str.replace(" ", "", regex=False)
    west = t.str.extract(_DATE.pattern)
    is_west = west[0].notna().to_numpy(dtype=bool)
    era = t.str.extract(_ERA_DATE.pattern)
    is_era = ~is_west & era[0].notna().to_numpy(dtype=bool)
    error[~is_west & ~is_era] = "日付として読めません（例: 2025/04/08）"
    for i in np.flatnonzero(is_west | is_era):  # distinct dates: a few hundred in a portfolio
        if is_west[i]:
            y, mo, d = (int(g) for g in west.iloc[i])
        else:
            e, k, mo, d = era.iloc[i]
            y = ERAS[e] + (1 if k == "元" else int(k)) - 1
            mo, d = int(mo), int(d)
        try:  # the calendar decides (30 February, year 0), with the same call as parse_date
            value[i] = pd.Timestamp(year=y, month=mo, day=d).as_unit("us").to_datetime64()
        except ValueError:
            error[i] = "存在しない日付です"
    return value, error


def parse_date_values(values, *, distinct: bool = True) -> Parsed:
    """:func:`parse_date` of every cell (datetime64[us]; NaT where unreadable)."""
    return _datetime_values(values, _date_text, parse_date, distinct)


def fiscal_year_values(months) -> np.ndarray:
    """:func:`fiscal_year` of every month (int64): April to March."""
    m = pd.DatetimeIndex(months)
    return (m.year - (m.month < 4)).to_numpy(dtype=np.int64)


_UNKNOWN_UNIT = "知らない単位です（使える単位: kWh, MWh, m3, 千m3, L, kL, kg, t）"


def _unit_text(uniq: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = _nfkc_text(uniq).str.lower().str.replace("㎥", "m3", regex=False).str.replace("m^3", "m3", regex=False)
    known = key.isin(list(UNITS)).to_numpy(dtype=bool)
    unit = np.array([UNITS[k][0] if ok else None for k, ok in zip(key, known)], dtype=object)
    mult = np.array([UNITS[k][1] if ok else np.nan for k, ok in zip(key, known)], dtype=np.float64)
    error = np.where(known, None, _UNKNOWN_UNIT).astype(object)
    return unit, mult, error


def parse_unit_values(values, *, distinct: bool = True) -> UnitsParsed:
    """:func:`parse_unit` of every cell: base unit (``None`` where unknown), multiplier (NaN where unknown)."""
    s = _series(values)
    unit = np.empty(len(s), dtype=object)
    mult = np.full(len(s), np.nan)
    error = np.empty(len(s), dtype=object)
    text = _text_mask(s)
    if text.any():
        unit[text], mult[text], error[text] = _apply(s[text], _unit_text, distinct)
    pairs = np.empty(len(s), dtype=object)
    _scalar(parse_unit, s, ~text, pairs, error)
    for i in np.flatnonzero(~text & pd.notna(pairs)):
        unit[i], mult[i] = pairs[i]
    idx = s.index
    return UnitsParsed(pd.Series(unit, index=idx, dtype=object), pd.Series(mult, index=idx),
                       pd.Series(error, index=idx, dtype=object))


def energy_lookup_values(aliases: dict[str, str], values, *, distinct: bool = True) -> Parsed:
    """:func:`energy_lookup` of every cell: the energy code (``None`` where unknown)."""
    s = _series(values)
    code = np.empty(len(s), dtype=object)
    error = np.empty(len(s), dtype=object)
    text = _text_mask(s)

    def lookup(t: pd.Series):
        key = _nfkc_text(t).str.upper()
        known = key.isin(list(aliases)).to_numpy(dtype=bool)
        found = np.array([aliases[k] if ok else None for k, ok in zip(key, known)], dtype=object)
        return found, np.where(known, None, "知らないエネルギー名です").astype(object)

    if text.any():
        code[text], error[text] = _apply(s[text], lookup, distinct)
    _scalar(lambda v: energy_lookup(aliases, v), s, ~text, code, error)
    return Parsed(pd.Series(code, index=s.index, dtype=object), pd.Series(error, index=s.index, dtype=object))
