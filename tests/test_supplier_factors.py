"""Supplier factors: the values equal the sources' digits, the year mapping, the supplier search and
picker, the factor-file checker on good and bad files, and the user's own rows."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest

import cnkit
from cnkit import suppliers
from cnkit.reference import electricity_factors

# 環境省・経済産業省「電気事業者別排出係数 −R6年度実績−」（R8.1.9公表、R8.6.4一部更新）、小売電気事業者の表:
# registration no. → (Japanese name, 事業者全体（参考値）, residual letter, residual, {other menu: value}).
# Basic and adjusted are equal in every row below, as in the list.
R6 = {
    "A0267": ("北海道電力", 0.000518, "F", 0.000526, dict.fromkeys("ABCDE", 0.0)),
    "A0268": ("東北電力", 0.000400, "D", 0.000421, dict.fromkeys("ABC", 0.0)),
    "A0269": ("東京電力エナジーパートナー", 0.000421, "M", 0.000452, dict.fromkeys("ABCDEFGHIJKL", 0.0)),
    "A0270": ("中部電力ミライズ", 0.000376, "B", 0.000411, {"A": 0.0}),
    "A0271": ("北陸電力", 0.000431, "B", 0.000455, {"A": 0.0}),
    "A0272": ("関西電力", 0.000396, "J", 0.000415, dict.fromkeys("ABCDEFGHI", 0.0)),
    "A0273": ("中国電力", 0.000472, "H", 0.000484, {**dict.fromkeys("ABCDEF", 0.0), "G": 0.000387}),
    "A0274": ("四国電力", 0.000448, "C", 0.000457, dict.fromkeys("AB", 0.0)),
    "A0275": ("九州電力", 0.000449, "B", 0.000472, {"A": 0.0}),
    "A0276": ("沖縄電力", 0.000677, "B", 0.000685, {"A": 0.0}),
}
R6_DEFAULT, R6_NATIONAL = 0.000416, 0.000423
# 四国電力「温対法に基づくCO2排出係数（2023年度実績）の公表について」（2025-04-07）, kg-CO2/kWh
YONDEN_R5_KG = {"A": 0.000, "B": 0.000, "C": 0.464}


@pytest.fixture(autouse=True)
def _no_user_rows(tmp_path, monkeypatch):
    # the kit's rows only, whatever the machine's ~/cnkit_data holds (tests that need user rows set their own)
    monkeypatch.setenv(suppliers.USER_FACTORS_ENV, str(tmp_path / "none.csv"))


def _rows(fy: int) -> pd.DataFrame:
    ef = electricity_factors()
    return ef[ef["actuals_fy"] == fy]


def _one(df: pd.DataFrame, **match) -> pd.Series:
    hit = df
    for col, value in match.items():
        hit = hit[hit[col] == value]
    assert len(hit) == 1, match
    return hit.iloc[0]


def test_fy2024_actuals_equal_the_ministries_list():
    df = _rows(2024)
    for reg, (name, whole, letter, residual, menus) in R6.items():
        rows = df[df["supplier_ja"] == name]
        assert set(rows["source"].str.contains(reg)) == {True}
        want = {"事業者全体": whole, f"残差メニュー（メニュー{letter}）": residual,
                **{f"メニュー{m}": v for m, v in menus.items()}}
        assert dict(zip(rows["menu"], rows["basic_t_per_kwh"])) == pytest.approx(want, abs=0)
        assert dict(zip(rows["menu"], rows["adjusted_t_per_kwh"])) == pytest.approx(want, abs=0)
        assert set(rows["published"]) == {"2026-01-09"} and set(rows["emissions_fy"]) == {2025}
    assert _one(df, supplier="default")["basic_t_per_kwh"] == R6_DEFAULT
    assert _one(df, supplier="national_average")["adjusted_t_per_kwh"] == R6_NATIONAL
    assert len(df) == 2 + sum(2 + len(m) for *_, m in R6.values())


def test_fy2023_actuals_are_only_what_was_verified():
    df = _rows(2023)
    assert set(df["supplier_ja"]) == {"四国電力"}
    want = {("残差メニュー（メニューC）" if m == "C" else f"メニュー{m}"): kg / 1000 for m, kg in YONDEN_R5_KG.items()}
    for col in ("basic_t_per_kwh", "adjusted_t_per_kwh"):
        assert dict(zip(df["menu"], df[col])) == pytest.approx(want, abs=1e-12)
    assert set(df["emissions_fy"]) == {2024} and set(df["published"]) == {"2025-04-07"}


def test_every_kit_row_follows_the_year_rule():
    ef = electricity_factors()
    assert (ef["emissions_fy"] == ef["actuals_fy"] + 1).all()
    assert suppliers.actuals_fy_for(2024) == 2023 and suppliers.actuals_fy_for(2025) == 2024


def test_each_bill_year_uses_its_own_factor():
    # a FY2024 bill → FY2023 actuals (0.464 kg), a FY2025 bill → FY2024 actuals (0.000457 t), same supplier
    table = pd.DataFrame({"site": ["本社", "本社"], "energy": ["electricity"] * 2, "fiscal_year": [2024, 2025],
                          "month": ["2024-04", "2025-04"], "usage": [1000.0, 1000.0], "unit": ["kWh"] * 2,
                          "energy_ja": ["電力"] * 2})
    em = cnkit.emissions(table, "yonden_residual")
    assert list(em["co2_t"]) == pytest.approx([1000 * 0.464 / 1000, 1000 * 0.000457])
    assert "2023年度実績" in em["factor_source"].iloc[0] and "2024年度実績" in em["factor_source"].iloc[1]


def test_a_year_without_the_factor_says_so_in_japanese():
    with pytest.raises(cnkit.CnkitError, match="2024年度の排出量に使う電力会社「kepco」"):
        cnkit.factor_table(2024, "kepco")


@pytest.mark.parametrize("query, key", [
    ("東電", "tepco_ep"), ("東京電力", "tepco_ep"), ("ＴＥＰＣＯ", "tepco_ep"), ("東京電力エナジーパートナー株式会社", "tepco_ep"),
    ("関電", "kepco"), ("関西電力", "kepco"), ("ｶﾝﾃﾞﾝ", "kepco"), ("関西電力　残差", "kepco_residual"),
    ("関電 メニューＢ", "kepco_menu_b"), ("中電", "chubu_miraiz"), ("エネルギア", "energia"), ("九電", "kyuden"),
    ("沖縄電力", "okiden"), ("ほくでん", "hepco"), ("不明", "default"),
])
def test_search_finds_the_supplier(query, key):
    hits = suppliers.search_suppliers(query, 2025)
    assert hits["supplier"].iloc[0] == key
    assert suppliers.resolve_supplier(query, 2025).key == key


def test_search_keeps_one_company_together_and_whole_company_first():
    hits = suppliers.search_suppliers("東電", 2025)
    assert set(hits["supplier"].map(suppliers.base_of)) == {"tepco_ep"}
    assert list(hits["menu"][:2]) == ["事業者全体", "残差メニュー（メニューM）"]
    assert "東北電力" not in set(hits["supplier_ja"])


def test_unknown_supplier_falls_back_to_the_default_factor():
    pick = suppliers.resolve_supplier("みらい電力", 2025)
    assert pick.key == "default"
    assert "みらい電力" in pick.note and "代替値" in pick.note and f"{R6_DEFAULT:.6f}" in pick.note
    with pytest.raises(cnkit.CnkitError, match="2024年度の排出量に使う代替値"):
        suppliers.resolve_supplier("みらい電力", 2024)  # no verified default for the FY2023 actuals


def test_supplier_choices_still_lists_every_row():
    choices = cnkit.reference.supplier_choices(2025)
    assert choices["関西電力（事業者全体）"] == "kepco" and len(choices) == len(_rows(2024))


def test_picker_searches_and_falls_back():
    picker = cnkit.interact.supplier_picker(2025, "tepco_ep")
    picker.search.value = "関電"
    assert picker.value == "kepco" and len(picker.choice.options) == 11
    picker.search.value = "みらい電力"
    assert picker.value == "default" and "代替値" in picker.note.value
    picker.value = "kyuden_residual"
    assert picker.choice.value == "kyuden_residual" and picker.search.value == ""


# --- checker --------------------------------------------------------------------------------------
HEADER = suppliers.FACTOR_COLUMNS


def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


GOOD = [
    ["my_power", "みらい電力", "事業者全体", "2024", "2025", "0.000380", "0.000380", "2026-01-09", "電気事業者別排出係数 −R6年度実績−"],
    ["my_power_residual", "みらい電力", "残差メニュー（メニューB）", "2024", "2025", "0.000400", "0.000400", "2026-01-09", "同上"],
    ["my_power_menu_a", "みらい電力", "メニューA", "2024", "2025", "0.000000", "0.000000", "2026-01-09", "同上"],
]


def test_kit_file_passes():
    assert suppliers.check_factor_file(cnkit.data_path("factors", "electricity_factors.csv")) == []


def test_good_user_file_passes(tmp_path):
    assert suppliers.check_factor_file(_write(tmp_path / "u.csv", GOOD), user=True) == []


@pytest.mark.parametrize("row, column, value, words", [
    (["my_power", "みらい電力", "事業者全体", "2024", "2025", "0.380", "0.000380", "2026-01-09", "s"], "basic_t_per_kwh", "0.380", "kg-CO2/kWh"),
    (["my_power", "みらい電力", "事業者全体", "2024", "2025", "0.000380", "-0.0001", "2026-01-09", "s"], "adjusted_t_per_kwh", "-0.0001", "マイナス"),
    (["my_power", "みらい電力", "事業者全体", "2024", "2025", "0.000380", "5", "2026-01-09", "s"], "adjusted_t_per_kwh", "5", "大きすぎ"),
    (["my_power", "みらい電力", "事業者全体", "2024", "2025", "abc", "0.000380", "2026-01-09", "s"], "basic_t_per_kwh", "abc", "数字ではありません"),
    (["my_power", "みらい電力", "事業者全体", "2024", "2024", "0.000380", "0.000380", "2026-01-09", "s"], "emissions_fy", "2024", "翌年度"),
    (["my_power", "みらい電力", "事業者全体", "2024", "2025", "0.000380", "0.000380", "", "s"], "published", "", "公表日"),
    (["my_power", "みらい電力", "事業者全体", "2024", "2025", "0.000380", "0.000380", "2025-02-01", "s"], "published", "2025-02-01", "年度が終わった後"),
    (["my_power", "みらい電力", "事業者全体", "2024", "2025", "0.000380", "0.000380", "2026-01-09", ""], "source", "", "出典"),
    (["kepco", "関西電力", "事業者全体", "2024", "2025", "0.000396", "0.000396", "2026-01-09", "s"], "supplier", "kepco", "キットの係数ファイル"),
    (["nobody_residual", "だれか電力", "残差メニュー（メニューB）", "2024", "2025", "0.0004", "0.0004", "2026-01-09", "s"], "supplier", "nobody_residual", "会社「nobody」がわかりません"),
    (["kepco_menu_z", "関西エネルギー", "メニューZ", "2024", "2025", "0.0004", "0.0004", "2026-01-09", "s"], "supplier_ja", "関西エネルギー", "「関西電力」"),
    (["my_power_menu_c", "みらい電力", "メニューD", "2024", "2025", "0.0", "0.0", "2026-01-09", "s"], "menu", "メニューD", "メニューC"),
    (["My Power", "みらい電力", "事業者全体", "2024", "2025", "0.0004", "0.0004", "2026-01-09", "s"], "supplier", "My Power", "半角の英小文字"),
])
def test_bad_rows_are_named_by_row_and_column(tmp_path, row, column, value, words):
    with_company = row[0].startswith("my_power_")  # a menu row needs its company's row before it
    path = _write(tmp_path / "u.csv", [GOOD[0], row] if with_company else [row])
    findings = [f for f in suppliers.check_factor_file(path, user=True) if f.level == "エラー"]
    at = [f for f in findings if f.column == column]
    assert at, findings
    f = at[0]
    assert f.row == (3 if with_company else 2)
    assert f.value == value and words in f.message
    assert f"{f.row}行目 {column}列" in str(f) and "u.csv" in str(f)


def test_duplicate_key_in_one_file(tmp_path):
    findings = suppliers.check_factor_file(_write(tmp_path / "u.csv", GOOD + [GOOD[1]]), user=True)
    assert [(f.row, f.column) for f in findings] == [(5, "supplier")] and "3行目" in findings[0].message


def test_residual_below_whole_company_is_a_note(tmp_path):
    rows = [GOOD[0], ["my_power_residual", "みらい電力", "残差メニュー（メニューB）", "2024", "2025", "0.0002", "0.0002", "2026-01-09", "s"]]
    findings = suppliers.check_factor_file(_write(tmp_path / "u.csv", rows), user=True)
    assert [(f.level, f.row, f.column) for f in findings] == [("注意", 3, "adjusted_t_per_kwh")]


def test_missing_columns_and_future_date(tmp_path):
    (tmp_path / "c.csv").write_text("supplier,basic\nx,1\n", encoding="utf-8")
    [f] = suppliers.check_factor_file(tmp_path / "c.csv")
    assert f.row == 1 and "supplier_ja" in f.message
    rows = [[*GOOD[0][:7], "2026-01-09", "s"]]
    [f] = suppliers.check_factor_rows(suppliers.read_rows(_write(tmp_path / "d.csv", rows)), "d.csv",
                                      today=date(2025, 12, 31))
    assert f.column == "published" and "今日より後" in f.message


def test_kit_command_exit_codes(tmp_path, capsys):
    assert suppliers.main(["check", str(_write(tmp_path / "u.csv", GOOD)), "--user"]) == 0
    assert suppliers.main(["check", str(_write(tmp_path / "b.csv", [GOOD[0][:5] + ["0.4", "0.4", "2026-01-09", "s"]]))]) == 1
    out = capsys.readouterr().out
    assert "b.csv 2行目 basic_t_per_kwh列" in out and "エラー 2 件" in out


# --- the user's own rows --------------------------------------------------------------------------
def test_user_rows_are_read_after_the_kits(tmp_path, monkeypatch):
    monkeypatch.setenv(suppliers.USER_FACTORS_ENV, str(_write(tmp_path / "u.csv", GOOD)))
    ef = electricity_factors()
    assert list(ef["supplier"][-3:]) == ["my_power", "my_power_residual", "my_power_menu_a"]
    assert suppliers.resolve_supplier("みらい電力", 2025).key == "my_power"
    ft = cnkit.factor_table(2025, "my_power_residual", "adjusted").set_index("energy")
    assert ft.loc["electricity", "co2_t_per_unit"] == 0.000400


def test_a_wrong_user_file_stops_with_japanese_message(tmp_path, monkeypatch):
    bad = [GOOD[0][:5] + ["0.38", "0.38", "2026-01-09", "s"]]
    monkeypatch.setenv(suppliers.USER_FACTORS_ENV, str(_write(tmp_path / "bad.csv", bad)))
    with pytest.raises(cnkit.CnkitError, match=r"bad.csv 2行目 basic_t_per_kwh列"):
        cnkit.factor_table(2025, "kepco")


# --- the factor-vs-usage decomposition ----------------------------------------------------------
def test_decomposition_by_hand():
    from cnkit.calculate.change import decompose_change

    # 1000 kWh × 0.5 → 1200 kWh × 0.4: change −20 = usage +200 × 0.45 (+90) + factor −0.1 × 1100 (−110)
    parts = decompose_change(1000, 0.5, 1200, 0.4)
    assert parts["change_t"] == pytest.approx(-20)
    assert parts["usage_effect_t"] == pytest.approx(90) and parts["factor_effect_t"] == pytest.approx(-110)
    same = decompose_change(1000, 0.5, 900, 0.5)
    assert same["factor_effect_t"] == 0 and same["usage_effect_t"] == pytest.approx(-50)
    with pytest.raises(cnkit.CnkitError, match="0 以上"):
        decompose_change(-1, 0.5, 1, 0.5)


def test_electricity_change_uses_each_years_factor():
    from cnkit.calculate.change import electricity_change

    table = pd.DataFrame({"energy": ["electricity"] * 3 + ["kerosene"], "fiscal_year": [2024, 2024, 2025, 2025],
                          "usage": [600.0, 400.0, 1100.0, 5.0]})
    out = electricity_change(table, "yonden_residual", 2024, 2025)
    f0, f1 = 0.464 / 1000, 0.000457
    assert out.attrs["factor"] == {2024: pytest.approx(f0), 2025: pytest.approx(f1)}
    assert out.attrs["actuals_fy"] == {2024: 2023, 2025: 2024}
    t = out["t_co2"]
    assert t["co2_before_t"] == pytest.approx(1000 * f0) and t["co2_after_t"] == pytest.approx(1100 * f1)
    assert t["usage_effect_t"] + t["factor_effect_t"] == pytest.approx(t["change_t"])
    assert t["factor_effect_t"] == pytest.approx((f1 - f0) * 1050)
    with pytest.raises(cnkit.CnkitError, match="2024年度の排出量に使う電力会社「kepco」"):
        electricity_change(table, "kepco", 2024, 2025)


def test_electrification_calculator_uses_the_picker():
    calc = cnkit.interact.electrification_calculator(20, supplier="tepco_ep")
    calc.supplier.search.value = "九電"
    assert calc.supplier.value == "kyuden" and "九州電力" in calc.supplier.choice.label
    with pytest.raises(cnkit.CnkitError, match="2025年度の電力会社「no_such_power」"):
        cnkit.interact.electrification_calculator(20, supplier="no_such_power")
