"""Property-based tests for cnkit.normalize (values as written on Japanese bills)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnkit import normalize as nz

FAST = settings(max_examples=150, deadline=None)

# half-width → full-width (ＦＵＬＬＷＩＤＴＨ) for digits, comma and point
FULLWIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
# my own era table: first Western year of each era (year 1 of the era)
ERA_START = {"令和": 2019, "R": 2019, "平成": 1989, "H": 1989}

SPACES = st.sampled_from(["", " ", "  ", "\u3000", " \u3000"])


# ---------------------------------------------------------------- parse_number

@st.composite
def grouped_numbers(draw):
    """(text with thousands separators, exact value) for a non-negative number."""
    whole = draw(st.integers(min_value=0, max_value=10**13))
    decimals = draw(st.integers(min_value=0, max_value=4))
    text = f"{whole:,}"
    value = float(whole)
    if decimals:
        frac = draw(st.integers(min_value=0, max_value=10**decimals - 1))
        digits = str(frac).rjust(decimals, "0")
        text += "." + digits
        value = whole + frac / 10**decimals
    return text, value


@FAST
@given(grouped_numbers())
def test_parse_number_roundtrips_grouped(nv):
    text, value = nv
    assert nz.parse_number(text) == pytest.approx(value, rel=1e-12, abs=1e-12)
    # without separators too
    assert nz.parse_number(text.replace(",", "")) == pytest.approx(value, rel=1e-12, abs=1e-12)


@FAST
@given(grouped_numbers(), SPACES, SPACES)
def test_parse_number_fullwidth(nv, before, after):
    text, value = nv
    wide = text.translate(FULLWIDTH)
    assert not any(ch in wide for ch in "0123456789,")
    assert nz.parse_number(before + wide + after) == pytest.approx(value, rel=1e-12, abs=1e-12)


@FAST
@given(grouped_numbers(), st.sampled_from(["¥{}", "￥{}", "{}円", "¥{}円", "￥{}円", "¥ {}", "{} 円"]),
       st.booleans(), SPACES, SPACES)
def test_parse_number_yen(nv, pattern, wide, before, after):
    text, value = nv
    if wide:
        text = text.translate(FULLWIDTH)
    assert nz.parse_number(before + pattern.format(text) + after) == pytest.approx(value, rel=1e-12, abs=1e-12)


@FAST
@given(st.integers(min_value=0, max_value=10**15))
def test_parse_number_plain_ints_and_floats(n):
    assert nz.parse_number(n) == n
    assert nz.parse_number(str(n)) == n
    assert nz.parse_number(float(n)) == float(n)


@st.composite
def bad_groupings(draw):
    """Digit groups separated by commas where at least one group (after the first) is not 3 digits,
    or the first group is longer than 3 digits."""
    first = draw(st.integers(min_value=1, max_value=6))
    rest = draw(st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=4))
    if first <= 3 and all(n == 3 for n in rest):
        rest[draw(st.integers(0, len(rest) - 1))] = draw(st.sampled_from([1, 2, 4, 5]))
    groups = [first, *rest]
    digits = draw(st.lists(st.sampled_from("0123456789"), min_size=sum(groups), max_size=sum(groups)))
    out, i = [], 0
    for n in groups:
        out.append("".join(digits[i:i + n]))
        i += n
    return ",".join(out)


@FAST
@given(bad_groupings(), st.booleans())
def test_parse_number_rejects_bad_grouping(text, wide):
    if wide:
        text = text.translate(FULLWIDTH)
    with pytest.raises(ValueError):
        nz.parse_number(text)


@pytest.mark.parametrize("text", ["1,2,3", "12,34", "1234,567", "1,23", "1,2345", ",123", "123,", "1,,234",
                                  "１，２，３", "１２，３４"])
def test_parse_number_rejects_examples(text):
    with pytest.raises(ValueError):
        nz.parse_number(text)


@pytest.mark.parametrize("value", ["abc", "12a", "1.2.3", "--5", "1-2", "", "   ", "円", "¥", "なし", "約100",
                                   "nan", "inf", None, float("nan"), float("inf"), True, False, "1e5"])
def test_parse_number_rejects_non_numbers(value):
    with pytest.raises(ValueError):
        nz.parse_number(value)


@FAST
@given(st.text(alphabet=st.sampled_from(list("abcxyzあア漢!?#%&*()[]_=;:'\"/+-., ")), max_size=12))
def test_parse_number_rejects_text_without_digits(text):
    with pytest.raises(ValueError):
        nz.parse_number(text)


def test_parse_number_triangle_is_negative():
    # ▲ / △ mark a negative amount on Japanese documents (the reader then rejects negative usage)
    assert nz.parse_number("▲1,500") == -1500
    assert nz.parse_number("△500") == -500


# ---------------------------------------------------------------- parse_month

YEARS = st.integers(min_value=1990, max_value=2099)
MONTHS = st.integers(min_value=1, max_value=12)
DAYS = st.integers(min_value=1, max_value=28)

WESTERN_FORMATS = [
    "{y}年{m}月", "{y}年{m:02d}月", "{y}/{m:02d}", "{y}/{m}", "{y}-{m:02d}", "{y}-{m}", "{y}/{m}/{d}",
    "{y}/{m:02d}/{d:02d}", "{y}年{m}月{d}日", "{y}.{m}",
]


@FAST
@given(YEARS, MONTHS, DAYS, st.sampled_from(WESTERN_FORMATS), st.booleans(), st.booleans(), SPACES, SPACES)
def test_parse_month_western(y, m, d, fmt, trailing_bun, wide, before, after):
    text = fmt.format(y=y, m=m, d=d)
    if trailing_bun:
        text += "分"
    if wide:
        text = text.translate(FULLWIDTH)
    got = nz.parse_month(before + text + after)
    assert got == pd.Timestamp(year=y, month=m, day=1)
    assert isinstance(got, pd.Timestamp)


def _era_texts(era_long: str, era_short: str, n: int, m: int) -> list[str]:
    num = "元" if n == 1 else str(n)
    texts = [f"{era_long}{num}年{m}月", f"{era_long}{num}年{m:02d}月", f"{era_short}{n}.{m}",
             f"{era_short}{n}年{m}月", f"{era_short.lower()}{n}.{m}", f"{era_long} {num} 年 {m} 月"]
    if n == 1:
        texts += [f"{era_long}1年{m}月", f"{era_short}元.{m}"]
    return texts


@FAST
@given(st.integers(min_value=2019, max_value=2099), MONTHS, st.booleans(), st.booleans(), st.data())
def test_parse_month_reiwa(y, m, trailing_bun, wide, data):
    n = y - 2018  # 令和1年 = 2019
    text = data.draw(st.sampled_from(_era_texts("令和", "R", n, m)))
    if trailing_bun:
        text += "分"
    if wide:
        text = text.translate(FULLWIDTH)
    assert nz.parse_month(text) == pd.Timestamp(year=ERA_START["令和"] + n - 1, month=m, day=1)
    assert nz.parse_month(text) == pd.Timestamp(year=y, month=m, day=1)


@FAST
@given(st.integers(min_value=1990, max_value=2019), MONTHS, st.booleans(), st.booleans(), st.data())
def test_parse_month_heisei(y, m, trailing_bun, wide, data):
    n = y - 1988  # 平成1年 = 1989
    text = data.draw(st.sampled_from(_era_texts("平成", "H", n, m)))
    if trailing_bun:
        text += "分"
    if wide:
        text = text.translate(FULLWIDTH)
    assert nz.parse_month(text) == pd.Timestamp(year=ERA_START["平成"] + n - 1, month=m, day=1)
    assert nz.parse_month(text) == pd.Timestamp(year=y, month=m, day=1)


@pytest.mark.parametrize("text, expected", [
    ("令和元年5月", "2019-05-01"), ("R1.5", "2019-05-01"), ("H31.4", "2019-04-01"), ("平成元年4月", "1989-04-01"),
    ("R7.5", "2025-05-01"), ("令和7年5月分", "2025-05-01"), ("R7年5月", "2025-05-01"), ("２０２５年４月", "2025-04-01"),
    ("2026/3/31", "2026-03-01"),
])
def test_parse_month_examples(text, expected):
    assert nz.parse_month(text) == pd.Timestamp(expected)


@FAST
@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_parse_month_datetime_objects(when):
    first = pd.Timestamp(year=when.year, month=when.month, day=1)
    assert nz.parse_month(when) == first
    assert nz.parse_month(when.date()) == first
    assert nz.parse_month(pd.Timestamp(when)) == first


@pytest.mark.parametrize("text", ["2025年13月", "2025/0", "2025-00", "R7.13", "令和7年0月", "来月", "", "2025",
                                  "4月", "25/4", "S60.4", "abc", "令和0年5月", "R0.5", "H00.4"])
def test_parse_month_rejects(text):
    with pytest.raises(ValueError):
        nz.parse_month(text)


# ---------------------------------------------------------------- fiscal_year

@FAST
@given(YEARS, MONTHS)
def test_fiscal_year_property(y, m):
    month = pd.Timestamp(year=y, month=m, day=1)
    assert nz.fiscal_year(month) == (y if m >= 4 else y - 1)


@FAST
@given(YEARS)
def test_fiscal_year_april_to_march(y):
    months = pd.date_range(f"{y}-04-01", periods=12, freq="MS")
    fys = {nz.fiscal_year(mo) for mo in months}
    assert fys == {y}
    assert nz.fiscal_year(pd.Timestamp(year=y, month=3, day=1)) == y - 1
    assert nz.fiscal_year(pd.Timestamp(year=y + 1, month=4, day=1)) == y + 1


def test_fiscal_year_examples():
    assert nz.fiscal_year(pd.Timestamp("2026-03-01")) == 2025
    assert nz.fiscal_year(pd.Timestamp("2025-04-01")) == 2025
    assert nz.fiscal_year(pd.Timestamp("2025-03-01")) == 2024


# ---------------------------------------------------------------- parse_unit

# spelling → (base unit, multiplier to the base unit), my own table
UNIT_TABLE = {
    "kWh": ("kWh", 1), "kwh": ("kWh", 1), "KWH": ("kWh", 1), "ＫＷＨ": ("kWh", 1), "ｋＷｈ": ("kWh", 1),
    "MWh": ("kWh", 1000), "ＭＷｈ": ("kWh", 1000),
    "m3": ("千m³", 0.001), "m³": ("千m³", 0.001), "㎥": ("千m³", 0.001), "ｍ３": ("千m³", 0.001), "M3": ("千m³", 0.001),
    "千m3": ("千m³", 1), "千m³": ("千m³", 1), "千ｍ３": ("千m³", 1), "千㎥": ("千m³", 1),
    "L": ("kL", 0.001), "l": ("kL", 0.001), "ℓ": ("kL", 0.001), "Ｌ": ("kL", 0.001), "リットル": ("kL", 0.001),
    "kL": ("kL", 1), "KL": ("kL", 1), "ｋＬ": ("kL", 1), "kℓ": ("kL", 1),
    "kg": ("t", 0.001), "ｋｇ": ("t", 0.001), "KG": ("t", 0.001),
    "t": ("t", 1), "ｔ": ("t", 1), "トン": ("t", 1),
}


@pytest.mark.parametrize("spelling", sorted(UNIT_TABLE))
def test_parse_unit_table(spelling):
    base, mult = nz.parse_unit(spelling)
    want_base, want_mult = UNIT_TABLE[spelling]
    assert base == want_base
    assert mult == pytest.approx(want_mult)
    assert nz.parse_unit(f"  {spelling} ") == (base, mult)


# groups of equivalent amounts: [(spelling, how many of that unit make one "thing")], base units per "thing"
EQUIVALENT = [
    ([("kWh", 1000.0), ("MWh", 1.0), ("ＫＷＨ", 1000.0)], 1000.0),                       # 1 MWh = 1000 kWh
    ([("m3", 1000.0), ("m³", 1000.0), ("㎥", 1000.0), ("千m3", 1.0), ("千ｍ３", 1.0)], 1.0),  # 1 千m³
    ([("L", 1000.0), ("ℓ", 1000.0), ("kL", 1.0)], 1.0),                                 # 1 kL
    ([("kg", 1000.0), ("t", 1.0)], 1.0),                                                # 1 t
]


@FAST
@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False), st.sampled_from(EQUIVALENT))
def test_parse_unit_consistent_across_spellings(x, group_and_base):
    group, base_per_thing = group_and_base
    bases = set()
    for spelling, per_thing in group:
        base, mult = nz.parse_unit(spelling)
        bases.add(base)
        # x "things" written in this unit, times the multiplier, is the same amount in the base unit
        assert x * per_thing * mult == pytest.approx(x * base_per_thing, rel=1e-12, abs=1e-9)
    assert len(bases) == 1


@pytest.mark.parametrize("spelling", ["GJ", "kW", "MJ", "gal", "m2", "", "ｋｍ", "円", "kWh/月", "本", None])
def test_parse_unit_unknown(spelling):
    with pytest.raises(ValueError):
        nz.parse_unit(spelling)


def test_is_blank():
    assert nz.is_blank(None) and nz.is_blank(float("nan")) and nz.is_blank("") and nz.is_blank(" \u3000")
    assert not nz.is_blank("0") and not nz.is_blank(0)
    assert math.isfinite(nz.parse_number("0"))
