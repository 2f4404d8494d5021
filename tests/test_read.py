"""cnkit.read_bills on small bill files written by the tests (CSV in three encodings, Excel)."""

from __future__ import annotations

import datetime as dt
import math
import re

import openpyxl
import pandas as pd
import pytest

import cnkit
from cnkit import BillError, CnkitError, read_bills

HEADER = ["拠点", "エネルギー", "使用月", "検針開始日", "検針終了日", "使用量", "単位", "請求金額（円）", "区分", "備考"]
SHORT = ["拠点", "エネルギー", "使用月", "使用量", "単位", "区分"]

# A good file: aliases, full-width numbers and units, unit conversions, eras, a correction.
# (row number in the file = index + 2, the header being row 1)
GOOD = [
    ["本社工場", "電気", "2025年3月", "2025/03/08", "2025/04/07", "12,000", "kWh", "¥360,000", "", ""],      # 2
    ["本社工場", "電気", "2025年4月", "2025/04/08", "2025/05/07", "１２，３４５", "ＫＷＨ", "12,345円", "", ""],  # 3
    ["本社工場", "電力", "R7.5", "", "", "12.5", "MWh", "", "", ""],                                         # 4
    ["本社工場", "ＬＰガス", "2025-03", "", "", "500", "kg", "", "", ""],                                     # 5
    ["本社工場", "プロパン", "2025/04", "", "", "0.4", "t", "", "", ""],                                      # 6
    ["本社工場", "LPガス", "令和7年5月分", "", "", "300", "kg", "", "", ""],                                  # 7
    ["第二工場", "都市ガス", "2025年3月", "", "", "4,000", "m3", "", "", ""],                                 # 8
    ["第二工場", "都市ガス13A", "2025年4月", "", "", "3.5", "千m3", "", "", ""],                              # 9
    ["第二工場", "都市ガス", "2025年5月", "", "", "3,000", "m³", "", "", ""],                                 # 10
    ["第二工場", "都市ガス", "2025年5月", "", "", "2,900", "m3", "", "訂正", "検針値誤りによる再請求"],          # 11
]

TABLE_COLUMNS = ["site", "energy", "energy_ja", "month", "fiscal_year", "usage", "unit", "charge_yen",
                 "period_start", "period_end", "note", "file", "row"]


def _csv_text(rows, header=HEADER) -> str:
    def cell(v):
        v = str(v)
        return f'"{v}"' if ("," in v or "，" in v) else v
    return "\n".join(",".join(cell(v) for v in r) for r in [header, *rows]) + "\n"


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    text = _csv_text(rows, header)
    if encoding == "cp932":
        # Shift_JIS has the yen sign at 0x5C (read back as a backslash) and no superscript ³ (full-width ｍ３ instead)
        text = text.replace("¥", "\\").replace("m³", "ｍ３")
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path, rows, header=HEADER):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append([None if v == "" else v for v in r])
    wb.save(path)
    return path


def monthly(site, energy, months, usage="100", unit="kWh", year=2025, start=4):
    """Rows (short header) for consecutive months."""
    out = []
    for i in range(months):
        m = (start - 1 + i) % 12 + 1
        y = year + (start - 1 + i) // 12
        out.append([site, energy, f"{y}年{m}月", usage, unit, ""])
    return out


def bill_error(path_or_paths) -> BillError:
    with pytest.raises(BillError) as info:
        read_bills(path_or_paths)
    err = info.value
    assert isinstance(err, CnkitError) and isinstance(err, ValueError)
    assert err.problems, "a BillError lists its problems"
    assert str(err).startswith("請求書データに")
    return err


def assert_names(message: str, *parts: str) -> None:
    for p in parts:
        assert p in message, f"{p!r} not in message: {message}"


# ---------------------------------------------------------------- good files

def _check_good_table(table: pd.DataFrame, file_name: str) -> None:
    assert list(table.columns) == TABLE_COLUMNS
    assert len(table) == 9  # 10 rows, one replaced by its correction
    t = table.set_index(["site", "energy", "month"])

    def usage(site, energy, month):
        return t.loc[(site, energy, pd.Timestamp(month)), "usage"]

    # electricity in kWh
    assert usage("本社工場", "electricity", "2025-03-01") == pytest.approx(12000)
    assert usage("本社工場", "electricity", "2025-04-01") == pytest.approx(12345)
    assert usage("本社工場", "electricity", "2025-05-01") == pytest.approx(12.5 * 1000)
    # LPG in t
    assert usage("本社工場", "lpg", "2025-03-01") == pytest.approx(500 / 1000)
    assert usage("本社工場", "lpg", "2025-04-01") == pytest.approx(0.4)
    assert usage("本社工場", "lpg", "2025-05-01") == pytest.approx(300 / 1000)
    # city gas in 千m³; May replaced by the correction (2,900 m³)
    assert usage("第二工場", "city_gas", "2025-03-01") == pytest.approx(4.0)
    assert usage("第二工場", "city_gas", "2025-04-01") == pytest.approx(3.5)
    assert usage("第二工場", "city_gas", "2025-05-01") == pytest.approx(2.9)

    units = dict(zip(table["energy"], table["unit"]))
    assert units == {"electricity": "kWh", "lpg": "t", "city_gas": "千m³"}
    names = dict(zip(table["energy"], table["energy_ja"]))
    assert names == {"electricity": "電力", "lpg": "LPG", "city_gas": "都市ガス"}

    fy = {m: f for m, f in zip(table["month"], table["fiscal_year"])}
    assert fy[pd.Timestamp("2025-03-01")] == 2024
    assert fy[pd.Timestamp("2025-04-01")] == 2025
    assert fy[pd.Timestamp("2025-05-01")] == 2025

    assert set(table["file"]) == {file_name}
    corrected = table[(table["energy"] == "city_gas") & (table["month"] == pd.Timestamp("2025-05-01"))].iloc[0]
    assert int(corrected["row"]) == 11
    assert corrected["note"] == "検針値誤りによる再請求"
    first = table[(table["energy"] == "electricity") & (table["month"] == pd.Timestamp("2025-03-01"))].iloc[0]
    assert int(first["row"]) == 2
    assert first["charge_yen"] == pytest.approx(360000)
    assert first["period_start"] == pd.Timestamp("2025-03-08")
    assert first["period_end"] == pd.Timestamp("2025-04-07")
    second = table[(table["energy"] == "electricity") & (table["month"] == pd.Timestamp("2025-04-01"))].iloc[0]
    assert second["charge_yen"] == pytest.approx(12345)
    no_charge = table[(table["energy"] == "lpg")]
    assert no_charge["charge_yen"].isna().all()
    assert pd.api.types.is_datetime64_any_dtype(table["month"])
    assert all(m.day == 1 for m in table["month"])


def _check_good_changes(changes: pd.DataFrame, file_name: str) -> None:
    assert list(changes.columns) == ["file", "row", "column", "before", "after", "reason"]
    assert set(changes["file"]) == {file_name}
    by_row = {r: changes[changes["row"] == r] for r in changes["row"].unique()}
    # unit conversions are recorded (MWh→kWh row 4, kg→t row 5 and 7, m3→千m³ row 8, m³ row 10, m3 row 11)
    for row in (4, 5, 7, 8):
        conv = by_row[row]
        assert (conv["column"] == "使用量").any()
        assert conv["reason"].str.contains("換算").any(), conv
    assert by_row[4]["after"].str.contains("12500").any()
    # full-width number read on row 3
    assert by_row[3]["reason"].str.contains("全角").any()
    # aliases unified (電気 → 電力 on row 2, ＬＰガス → LPG on row 5, プロパン row 6)
    for row in (2, 5, 6):
        assert (by_row[row]["column"] == "エネルギー").any()
    # the correction: the original row (10) is not silently dropped — it is named in changes
    corr = changes[changes["reason"].str.contains("訂正")]
    assert len(corr) == 1
    c = corr.iloc[0]
    assert c["row"] == 11
    assert "10行目" in c["before"] and file_name in c["before"]
    assert re.search(r"(^|\D)3(\D|$)", c["before"])  # old usage 3 千m³
    assert "2.9" in c["after"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_good_csv(tmp_path, encoding):
    path = write_csv(tmp_path / "bills.csv", GOOD, encoding=encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    res = read_bills(path)
    assert isinstance(res, cnkit.BillsRead)
    table, changes = res
    _check_good_table(table, "bills.csv")
    _check_good_changes(changes, "bills.csv")


def test_good_xlsx(tmp_path):
    rows = [list(r) for r in GOOD]
    # Excel cells typed as dates and numbers, as they come from a spreadsheet
    rows[0][2] = dt.datetime(2025, 3, 1)
    rows[0][3] = dt.datetime(2025, 3, 8)
    rows[0][4] = dt.datetime(2025, 4, 7)
    rows[0][5] = 12000
    rows[0][7] = 360000
    rows[3][5] = 500
    rows[7][5] = 3.5
    path = write_xlsx(tmp_path / "bills.xlsx", rows)
    table, changes = read_bills(path)
    _check_good_table(table, "bills.xlsx")
    _check_good_changes(changes, "bills.xlsx")


def test_str_path_and_list_give_same(tmp_path):
    path = write_csv(tmp_path / "bills.csv", GOOD)
    a = read_bills(str(path)).table
    b = read_bills([path]).table
    pd.testing.assert_frame_equal(a, b)


def test_blank_lines_keep_row_numbers(tmp_path):
    text = _csv_text(monthly("本社", "電気", 2), SHORT) + "\n" + ",".join(["本社", "電気", "2025年6月", "-5", "kWh", ""]) + "\n"
    path = tmp_path / "gap.csv"
    path.write_text(text, encoding="utf-8")
    # header 1, data 2–3, blank 4, bad row 5
    err = bill_error(path)
    assert len(err.problems) == 1
    assert_names(err.problems[0], "gap.csv", "5行目", "使用量", "-5")


def test_blank_row_ignored(tmp_path):
    text = _csv_text(monthly("本社", "電気", 2), SHORT) + ",,,,,\n" + ",".join(["本社", "電気", "2025年6月", "7", "kWh", ""]) + "\n"
    path = tmp_path / "blank.csv"
    path.write_text(text, encoding="utf-8")
    table = read_bills(path).table
    assert len(table) == 3
    assert list(table["row"]) == [2, 3, 5]


def test_header_with_halfwidth_parentheses_and_extra_column(tmp_path):
    header = ["拠点", "エネルギー", "使用月", "使用量", "単位", "請求金額(円)", "担当者"]
    rows = [["本社", "軽油", "2025年4月", "1,000", "L", "154,600", "佐藤"],
            ["本社", "軽油", "2025年5月", "2", "kL", "", "佐藤"]]
    table = read_bills(write_csv(tmp_path / "d.csv", rows, header)).table
    assert list(table["usage"]) == pytest.approx([1.0, 2.0])
    assert table["charge_yen"].iloc[0] == pytest.approx(154600)
    assert set(table["energy"]) == {"diesel"}


# ---------------------------------------------------------------- one bad value

def _bad_file(tmp_path, bad_row, name="bad.csv", rows_before=2):
    rows = monthly("本社", "電気", rows_before) + [bad_row] + monthly("本社", "電気", 1, start=4 + rows_before + 1)
    return write_csv(tmp_path / name, rows, SHORT)


@pytest.mark.parametrize("bad_row, column, raw", [
    (["本社", "水素", "2025年6月", "100", "kWh", ""], "エネルギー", "水素"),
    (["本社", "電気", "2025年6月", "-120", "kWh", ""], "使用量", "-120"),
    (["本社", "電気", "2025年6月", "約100", "kWh", ""], "使用量", "約100"),
    (["本社", "電気", "2025年6月", "12,34", "kWh", ""], "使用量", "12,34"),
    (["本社", "都市ガス", "2025年6月", "100", "kWh", ""], "単位", "kWh"),
    (["本社", "電気", "2025年6月", "100", "GJ", ""], "単位", "GJ"),
    (["本社", "電気", "2025年13月", "100", "kWh", ""], "使用月", "2025年13月"),
    (["本社", "電気", "来月", "100", "kWh", ""], "使用月", "来月"),
    (["本社", "電気", "2025年6月", "", "kWh", ""], "使用量", ""),
    (["本社", "電気", "2025年6月", "100", "kWh", "再発行"], "区分", "再発行"),
], ids=["unknown-energy", "negative", "non-numeric", "bad-grouping", "unit-not-for-energy", "unknown-unit",
        "month-13", "month-text", "blank-usage", "unknown-kind"])
def test_bad_value_named(tmp_path, bad_row, column, raw):
    path = _bad_file(tmp_path, bad_row)
    err = bill_error(path)
    assert len(err.problems) == 1, err.problems
    msg = err.problems[0]
    assert_names(msg, "bad.csv", "4行目", f"「{column}」", f"「{raw}」")
    assert msg in str(err)


def test_bad_value_in_xlsx_is_named(tmp_path):
    rows = monthly("本社", "電気", 3)
    rows[1][3] = -50  # a number cell
    path = write_xlsx(tmp_path / "bad.xlsx", rows, SHORT)
    err = bill_error(path)
    assert len(err.problems) == 1
    assert_names(err.problems[0], "bad.xlsx", "3行目", "「使用量」", "-50")


def test_duplicate_month(tmp_path):
    rows = monthly("本社", "電気", 3) + [["本社", "電気", "R7.5", "999", "kWh", ""]]
    err = bill_error(write_csv(tmp_path / "dup.csv", rows, SHORT))
    assert len(err.problems) == 1
    msg = err.problems[0]
    assert_names(msg, "dup.csv", "3行目", "5行目", "使用月", "2025年5月", "R7.5", "本社", "重複")


def test_duplicate_across_files(tmp_path):
    a = write_csv(tmp_path / "a.csv", monthly("本社", "電気", 3), SHORT)
    b = write_csv(tmp_path / "b.csv", [["本社", "電気", "2025年5月", "1", "kWh", ""]], SHORT)
    err = bill_error([a, b])
    assert len(err.problems) == 1
    assert_names(err.problems[0], "a.csv", "3行目", "b.csv", "2行目", "重複")


def test_correction_without_original(tmp_path):
    rows = monthly("本社", "電気", 3) + [["本社", "電気", "2025年7月", "1", "kWh", "訂正"]]
    err = bill_error(write_csv(tmp_path / "fix.csv", rows, SHORT))
    assert len(err.problems) == 1  # not also reported as a missing July
    assert_names(err.problems[0], "fix.csv", "5行目", "区分", "「訂正」", "電力", "本社", "元の請求書")


def test_correction_without_original_other_energy(tmp_path):
    rows = monthly("本社", "電気", 3) + [["本社", "都市ガス", "2025年5月", "1", "千m3", "訂正"]]
    err = bill_error(write_csv(tmp_path / "fix.csv", rows, SHORT))
    msgs = [p for p in err.problems if "元の請求書" in p]
    assert len(msgs) == 1
    assert_names(msgs[0], "fix.csv", "5行目", "区分", "「訂正」", "都市ガス", "本社")


def test_two_corrections_for_one_bill(tmp_path):
    rows = monthly("本社", "電気", 3) + [["本社", "電気", "2025年5月", "1", "kWh", "訂正"],
                                         ["本社", "電気", "2025年5月", "2", "kWh", "訂正"]]
    err = bill_error(write_csv(tmp_path / "fix2.csv", rows, SHORT))
    assert len(err.problems) == 1
    assert_names(err.problems[0], "fix2.csv", "5行目", "6行目", "訂正")


def test_correction_in_another_file(tmp_path):
    a = write_csv(tmp_path / "a.csv", monthly("本社", "電気", 3), SHORT)
    b = write_csv(tmp_path / "b.csv", [["本社", "電気", "2025年5月", "55", "kWh", "訂正"]], SHORT)
    table, changes = read_bills([a, b])
    assert len(table) == 3
    may = table[table["month"] == pd.Timestamp("2025-05-01")].iloc[0]
    assert may["usage"] == 55 and may["file"] == "b.csv" and may["row"] == 2
    corr = changes[changes["reason"].str.contains("訂正")]
    assert len(corr) == 1
    assert "a.csv" in corr.iloc[0]["before"] and "3行目" in corr.iloc[0]["before"]
    assert corr.iloc[0]["file"] == "b.csv"


def test_missing_month_in_middle(tmp_path):
    rows = monthly("本社", "電気", 5)
    del rows[2]  # June
    err = bill_error(write_csv(tmp_path / "gap.csv", rows, SHORT))
    assert len(err.problems) == 1
    assert_names(err.problems[0], "gap.csv", "本社", "電力", "2025年06月")


def test_missing_month_at_end(tmp_path):
    rows = monthly("本社", "電気", 4) + monthly("本社", "都市ガス", 3, usage="1", unit="千m3")
    err = bill_error(write_csv(tmp_path / "end.csv", rows, SHORT))
    assert len(err.problems) == 1
    assert_names(err.problems[0], "end.csv", "本社", "都市ガス", "2025年07月")


def test_missing_month_across_files(tmp_path):
    # a site whose fuel bills stop before the electricity bills end
    a = write_csv(tmp_path / "elec.csv", monthly("本社", "電気", 4), SHORT)
    b = write_csv(tmp_path / "fuel.csv", monthly("本社", "灯油", 2, usage="200", unit="L"), SHORT)
    err = bill_error([a, b])
    assert len(err.problems) == 1
    assert_names(err.problems[0], "fuel.csv", "灯油", "2025年06月", "2025年07月")


def test_missing_required_column(tmp_path):
    header = ["拠点", "エネルギー", "使用月", "使用量"]
    rows = [["本社", "電気", "2025年4月", "100"]]
    err = bill_error(write_csv(tmp_path / "cols.csv", rows, header))
    assert_names(err.problems[0], "cols.csv", "単位")


def test_missing_two_required_columns_named(tmp_path):
    header = ["拠点", "使用月", "使用量"]
    err = bill_error(write_csv(tmp_path / "cols2.csv", [["本社", "2025年4月", "1"]], header))
    assert_names(str(err), "cols2.csv", "エネルギー", "単位")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    err = bill_error(path)
    assert_names(str(err), "empty.csv")


def test_header_only_file(tmp_path):
    path = write_csv(tmp_path / "header.csv", [], SHORT)
    err = bill_error(path)
    assert_names(str(err), "header.csv", "行がありません")


def test_binary_csv(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    err = bill_error(path)
    assert_names(str(err), "photo.csv")


def test_binary_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip" + bytes(range(256)))
    err = bill_error(path)
    assert_names(str(err), "broken.xlsx")


def test_text_named_xlsx(tmp_path):
    path = tmp_path / "text.xlsx"
    path.write_text(_csv_text(GOOD), encoding="utf-8")
    err = bill_error(path)
    assert_names(str(err), "text.xlsx")


def test_missing_file(tmp_path):
    err = bill_error(tmp_path / "nothing.csv")
    assert_names(str(err), "nothing.csv", "見つかりません")


def test_txt_file(tmp_path):
    path = tmp_path / "bills.txt"
    path.write_text(_csv_text(GOOD), encoding="utf-8")
    err = bill_error(path)
    assert_names(str(err), "bills.txt", "CSV")


def test_all_problems_at_once(tmp_path):
    rows = monthly("本社", "電気", 5)
    rows[1][3] = "-3"      # row 3
    rows[3][4] = "ガロン"   # row 5
    err = bill_error(write_csv(tmp_path / "two.csv", rows, SHORT))
    assert len(err.problems) == 2
    assert_names(err.problems[0] + err.problems[1], "3行目", "5行目", "-3", "ガロン", "使用量", "単位")
    assert all("two.csv" in p for p in err.problems)
    assert "2 件" in str(err)


def test_problems_from_several_files_at_once(tmp_path):
    a = write_csv(tmp_path / "a.csv", monthly("本社", "電気", 2) + [["本社", "電気", "2025年6月", "x", "kWh", ""]], SHORT)
    b = write_csv(tmp_path / "b.csv", [["本社", "ナフサ", "2025年4月", "1", "kL", ""]], SHORT)
    err = bill_error([a, b])
    assert len(err.problems) == 2
    assert any("a.csv" in p and "4行目" in p for p in err.problems)
    assert any("b.csv" in p and "ナフサ" in p for p in err.problems)


def test_many_problems_are_summarised(tmp_path):
    rows = [["本社", "電気", f"2025年{m}月", "-1", "kWh", ""] for m in range(1, 13)] * 2
    err = bill_error(write_csv(tmp_path / "many.csv", rows, SHORT))
    assert len(err.problems) == 24
    assert "ほか" in str(err)


# ---------------------------------------------------------------- several files

def test_several_files_combine(tmp_path):
    elec = write_csv(tmp_path / "elec.csv", monthly("本社", "電気", 3, usage="1,000"), SHORT)
    gas = write_xlsx(tmp_path / "gas.xlsx", monthly("本社", "都市ガス", 3, usage=2000, unit="m3"), SHORT)
    kero = write_csv(tmp_path / "kero.csv", monthly("倉庫", "灯油", 3, usage="100", unit="L"), SHORT, encoding="cp932")
    table, changes = read_bills([elec, gas, kero])
    assert len(table) == 9
    assert set(table["file"]) == {"elec.csv", "gas.xlsx", "kero.csv"}
    totals = table.groupby("energy")["usage"].sum()
    assert totals["electricity"] == pytest.approx(3000)
    assert totals["city_gas"] == pytest.approx(3 * 2.0)
    assert totals["kerosene"] == pytest.approx(3 * 0.1)
    assert set(changes["file"]) >= {"gas.xlsx", "kero.csv"}
    assert not table.duplicated(["site", "energy", "month"]).any()
    assert table.index.is_unique
    # every value is finite
    assert all(math.isfinite(v) for v in table["usage"])


def test_changes_show_plain_numbers_and_units_as_written(tmp_path):
    rows = [["本社", "電気", "2025年4月", "12,345.678", "MWh", ""],
            ["本社", "電気", "2025年5月", "１２，３４５，６７８", "kWh", ""],
            ["本社", "灯油", "2025年4月", "180", "ℓ", ""],
            ["本社", "灯油", "2025年5月", "0.2", "kL", ""]]
    table, changes = read_bills(write_csv(tmp_path / "big.csv", rows, SHORT))
    assert table["usage"].iloc[0] == pytest.approx(12_345_678)
    text = " ".join(changes["after"]) + " " + " ".join(changes["reason"])
    assert "e+" not in text  # no 1.23457e+07
    assert "12345678" in text
    assert "ℓ" in " ".join(changes["reason"])
