"""The client workbench's functions: templates, the twelve-month layout, the case and the take-home files."""

from __future__ import annotations

import io
import shutil
import subprocess

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

import cnkit
from cnkit.calculate import client as cl
from cnkit.errors import BillError, CnkitError
from cnkit.paths import data_path
from cnkit.report import client as rep
from cnkit.templates import WIDE_HEADER, bills_template, read_uploads, wide_template

C_SHA = data_path("companies", "c_sha", "bills_12months.xlsx")


def _wide(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(WIDE_HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _c_sha():
    return read_uploads({C_SHA.name: C_SHA.read_bytes()})


def test_bill_format_upload_equals_the_reader_on_b_sha():
    b = cnkit.load_company("b_sha")
    up = read_uploads({p.name: p.read_bytes() for p in b.bill_files()})
    ref = b.bills().table
    got = up.bills.table.sort_values(["site", "energy", "month"]).reset_index(drop=True)
    ref = ref.sort_values(["site", "energy", "month"]).reset_index(drop=True)
    pd.testing.assert_series_equal(got["usage"], ref["usage"])
    assert up.missing == []


def test_c_sha_twelve_months_missing_month_named_and_full_width_read():
    up = _c_sha()
    assert len(up.missing) == 1 and "2月" in up.missing[0] and "11 か月" in up.missing[0] and "3行目" in up.missing[0]
    t = up.bills.table
    elec25 = t[(t["energy"] == "electricity") & (t["fiscal_year"] == 2025)]
    assert len(elec25) == 11 and pd.Timestamp("2026-02-01") not in set(elec25["month"])
    # the workbook's own cells, read independently: FY2025 city gas (m3, some full-width) = 17,900 m3
    ws = load_workbook(C_SHA).active
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == 2025 and r[2] == "都市ガス")
    cells = [row[head.index(f"{m}月 使用量")] for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    assert any(isinstance(v, str) and "１" in v for v in cells)
    total = sum(float(str(v).translate(str.maketrans("０１２３４５６７８９，", "0123456789,")).replace(",", "")) for v in cells)
    gas = t[(t["energy"] == "city_gas") & (t["fiscal_year"] == 2025)]["usage"].sum()
    assert gas == pytest.approx(total / 1000)


def test_wide_problems_name_row_and_month_column_all_at_once():
    data = _wide([[2025, "本社", "電気", "kWh", "1,000", "abc"] + ["100"] * 10 + [""] * 12,
                  [2025, "本社", "石炭", "kg", "5"] + [""] * 23])
    with pytest.raises(BillError) as e:
        read_uploads({"client.xlsx": data})
    text = "\n".join(e.value.problems)
    assert "client.xlsx 2行目 列「5月 使用量」の値「abc」" in text
    assert "client.xlsx 3行目" in text and "石炭" in text


@pytest.mark.parametrize("name,data,words", [
    ("memo.txt", b"hello", "Excel"),
    ("broken.xlsx", b"PK\x03\x04 not really", "読めません"),
    ("other.csv", "項目,金額\n電気代,100\n".encode(), "必要な列"),
])
def test_bad_files_give_japanese_messages(name, data, words):
    with pytest.raises(CnkitError) as e:
        read_uploads({name: data})
    assert words in str(e.value) and name in str(e.value)


def test_templates_have_headers_and_validation():
    for data, header in [(bills_template(), list(cnkit.read.COLUMNS.values())), (wide_template(), WIDE_HEADER)]:
        ws = load_workbook(io.BytesIO(data)).active
        assert [c.value for c in ws[1]] == header
        lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
        assert any("電力" in f and "都市ガス" in f for f in lists) and any("kWh" in f for f in lists)


def _case(up):
    facts = cl.ClientFacts(name="C社", prefecture="神奈川県", city="相模原市", supplier="tepco_ep", fiscal_year=2025,
                           vehicles=3, pv_kw=30)
    result = cl.co2(up.bills.table, facts)
    ms = cl.candidate_measures(result, facts)
    table = cl.measures_table(result, facts, ms)
    rm = cl.client_roadmap(result, facts, ms, list(table.index), table)
    return facts, result, table, rm


def test_case_totals_equal_the_notebook_path():
    up = _c_sha()
    facts, result, table, rm = _case(up)
    em = cnkit.emissions(up.bills.table, "tepco_ep", factor_fy=2025)
    em25 = em[em["fiscal_year"] == 2025]
    assert result["total_t"] == pytest.approx(em25["co2_t"].sum())
    assert result["crude_kl"] == pytest.approx(em25["crude_kl"].sum())
    assert set(table.index) >= {"air_leak", "pv", "heat_pump_city_gas", "ev", "renewable_menu"}
    assert rm.years[-1] == 2030 and rm.base_t == pytest.approx(em25["co2_t"].sum())


def test_excel_and_pdf_hold_the_totals(tmp_path):
    up = _c_sha()
    facts, result, table, rm = _case(up)
    x = rep.write_excel(tmp_path / "c.xlsx", facts, result, table, rm, up.bills.table)
    wb = load_workbook(x)
    assert {"ロードマップ", "CO2の結果", "打ち手と補助金", "請求書（読み込んだもの）", "係数と出典"} <= set(wb.sheetnames)
    assert wb["CO2の結果"]["B2"].value == pytest.approx(result["total_t"])
    assert "t-CO2" in wb["CO2の結果"]["B2"].number_format
    pdf = rep.write_pdf(tmp_path / "c.pdf", facts, result, table, rm, up.missing)
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) がありません")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    assert f"{result['total_t']:,.1f} t-CO2" in text and "2月" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    assert "IPAexGothic" in fonts and " yes " in fonts
    assert len(subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout) > 0


def test_roadmap_of_some_measures_only():
    up = _c_sha()
    facts, result, table, _ = _case(up)
    ms = cl.candidate_measures(result, facts)
    rm = cl.client_roadmap(result, facts, ms, ["air_leak", "pv"], table)
    assert list(rm.measures.index) == ["air_leak", "pv"]
    assert rm.yearly["subsidy_yen"].sum() == pytest.approx(table.at["pv", "補助金（円）"])
    with pytest.raises(CnkitError, match="選ばれていません"):
        cl.client_roadmap(result, facts, ms, [], table)


def test_wide_duplicate_rows_are_a_problem():
    row = [2025, "本社", "電気", "kWh"] + ["100"] * 12 + [""] * 12
    with pytest.raises(BillError, match="3行目.*2行目 と重複"):
        read_uploads({"dup.xlsx": _wide([row, row])})
