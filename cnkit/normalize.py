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
