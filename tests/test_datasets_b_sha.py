"""Tests of the B社 dataset (datasets/companies/b_sha/, the capstone company) and its generator.

The bill parsing here is deliberately small and independent of cnkit's reader and of pandas'
CSV/Excel readers: the CSV is decoded with the csv module, the workbook with openpyxl. It knows only
the quirks the B社 generator puts in (cp932, 令和N年M月分 months, MWh, an empty line, Excel date
cells, a trailing full-width space, 訂正 rows). Then cnkit.load_company("b_sha") must read the same
files to the same totals.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys
from pathlib import Path

import bill_parsing
import pandas as pd
import pytest
import yaml
from bill_parsing import RATE_UNITS, bills_frame, nfkc
from openpyxl import load_workbook

import cnkit

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
FACTORS = DATASETS / "factors"
B_SHA = DATASETS / "companies" / "b_sha"
GENERATOR = DATASETS / "generators" / "b_sha.py"
GENERATED_FILES = {"profile.yml", "equipment.csv", "bills_electricity.csv", "bills_fuel.xlsx", "README.md"}
HEADER = ["拠点", "エネルギー", "使用月", "検針開始日", "検針終了日", "使用量", "単位", "請求金額（円）", "区分", "備考"]
SITES = {"本社工場", "配送センター"}

# The B社 story (FY2025, base units kWh; t; kL): targets within 3 %
TARGETS = {"electricity": 1_395_000, "lpg": 110.0, "gasoline": 5.5, "diesel": 38.0}
SITE_ELECTRICITY = {"本社工場": 845_000, "配送センター": 550_000}
TOTAL_CO2_RANGE = (900, 1400)  # t-CO2
CRUDE_OIL_KL_RANGE = (400, 700)  # kL
PARETO_HEAD = ["冷凍・冷蔵", "ボイラー", "配送トラック", "加熱調理", "照明", "空調"]
SUPPLIER = "kepco"  # 関西電力 as a whole (R6年度実績 list)


# ------------------------------------------------------------------------------------------
# The B社 files and months (the rest of the small, independent bill parser is tests/bill_parsing.py)
def parse_month(value) -> tuple[int, int]:
    if isinstance(value, dt.datetime):
        assert value.day == 1, value
        return value.year, value.month
    m = re.fullmatch(r"令和(\d{1,2})年(\d{1,2})月分", nfkc(value))
    if not m:
        raise ValueError(f"unreadable month: {value!r}")
    return int(m[1]) + 2018, int(m[2])


def raw_electricity(folder: Path = B_SHA) -> list[list[str]]:
    text = (folder / "bills_electricity.csv").read_bytes().decode("cp932")
    return list(csv.reader(io.StringIO(text, newline="")))


def raw_fuel(folder: Path = B_SHA) -> list[tuple]:
    ws = load_workbook(folder / "bills_fuel.xlsx").worksheets[0]
    return list(ws.iter_rows(values_only=True))


def read_b_sha_bills(folder: Path = B_SHA) -> pd.DataFrame:
    """One row per bill after corrections: site, energy, year, month, fy, amount (base unit)."""
    elec, fuel = raw_electricity(folder), raw_fuel(folder)
    assert elec[0] == HEADER and list(fuel[0]) == HEADER
    records = [r for r in elec[1:] if any(c.strip() for c in r)] + [list(r) for r in fuel[1:]]
    return bills_frame((dict(zip(HEADER, ["" if v is None else v for v in r])) for r in records), parse_month)


def equipment_estimates() -> pd.DataFrame:
    return bill_parsing.equipment_estimates(B_SHA)


def factors() -> pd.DataFrame:
    """energy → co2 (t-CO2 per base unit), gj (GJ per base unit); electricity: national average, FY2025."""
    fuel = pd.read_csv(FACTORS / "fuel_factors.csv")
    fuel = fuel[fuel["factor_set"] == "revised"].set_index("energy")
    elec = pd.read_csv(FACTORS / "electricity_factors.csv")
    row = elec[(elec["supplier"] == SUPPLIER) & (elec["emissions_fy"] == 2025)]
    assert len(row) == 1
    conv = pd.read_csv(FACTORS / "energy_conversion.csv").set_index("item")["value"]
    table = pd.DataFrame({"co2": fuel["co2_t_per_unit"], "gj": fuel["heat_gj_per_unit"]})
    table.loc["electricity"] = [float(row["basic_t_per_kwh"].iloc[0]), conv["electricity_gj_per_mwh"] / 1000]
    return table


def crude_oil_kl_per_gj() -> float:
    conv = pd.read_csv(FACTORS / "energy_conversion.csv").set_index("item")["value"]
    return float(conv["crude_oil_kl_per_gj"])


@pytest.fixture(scope="module")
def bills() -> pd.DataFrame:
    return read_b_sha_bills()


@pytest.fixture(scope="module")
def profile() -> dict:
    return yaml.safe_load((B_SHA / "profile.yml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------
# (a) the generator reproduces the committed files, byte for byte, on every run
def test_generator_reproduces_committed_files(tmp_path):
    outs = []
    for run in ("one", "two"):
        out = tmp_path / run
        result = subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--quiet"],
                                cwd=ROOT, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert {p.name for p in out.iterdir()} == GENERATED_FILES
        outs.append(out)
    assert {p.name for p in B_SHA.iterdir() if p.is_file()} == GENERATED_FILES
    for name in sorted(GENERATED_FILES):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), f"not deterministic: {name}"
    differ = [name for name in sorted(GENERATED_FILES)
              if (outs[0] / name).read_bytes() != (B_SHA / name).read_bytes()]
    assert not differ, f"regenerate with `python datasets/generators/b_sha.py`: {differ}"


# ------------------------------------------------------------------------------------------
# (b) cnkit reads the files as they are, to the same totals
def test_cnkit_reads_the_bills(bills):
    company = cnkit.load_company("b_sha")
    files = company.bill_files()
    assert [p.name for p in files] == ["bills_electricity.csv", "bills_fuel.xlsx"]
    result = cnkit.read_bills(files)
    table = result.table
    assert len(table) == len(bills) == 5 * 24
    assert set(table["site"]) == SITES  # the trailing full-width space is gone
    ours = bills.groupby(["site", "energy", "fy"])["amount"].sum()
    theirs = table.groupby(["site", "energy", "fiscal_year"])["usage"].sum()
    theirs.index = theirs.index.set_names(ours.index.names)
    pd.testing.assert_series_equal(ours.sort_index(), theirs.sort_index(), check_names=False, rtol=1e-9)
    reasons = " ".join(result.changes["reason"])
    assert "MWh" in reasons and "訂正の請求書で置き換え" in reasons
    assert set(company.suppliers.values()) == {SUPPLIER}


# ------------------------------------------------------------------------------------------
# (c) the quirks are there
def test_electricity_csv_quirks():
    data = (B_SHA / "bills_electricity.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # Shift_JIS, not UTF-8
    assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("cp932")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = raw_electricity()
    blank = [i for i, r in enumerate(rows) if not any(c.strip() for c in r)]
    assert len(blank) == 1  # one empty line, between the two fiscal years
    before, after = rows[blank[0] - 1], rows[blank[0] + 1]
    assert parse_month(before[2]) == (2025, 3) and parse_month(after[2]) == (2025, 4)
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    assert all(re.fullmatch(r"令和\d年\d{1,2}月分", r[2]) for r in body)
    assert all(re.fullmatch(r"R\d\.\d{1,2}\.\d{1,2}", r[3]) and re.fullmatch(r"R\d\.\d{1,2}\.\d{1,2}", r[4])
               for r in body)
    units = {(r[0], r[6]) for r in body}
    assert units == {("本社工場", "kWh"), ("配送センター", "MWh")}
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{3}", r[5]) for r in body if r[6] == "MWh")
    assert {r[1] for r in body} == {"電気"}


def test_fuel_workbook_quirks():
    rows = raw_fuel()
    body = rows[1:]
    assert all(isinstance(r[2], dt.datetime) and r[2].day == 1 for r in body)  # 使用月 as Excel dates
    assert all(isinstance(r[5], int) and isinstance(r[7], int) for r in body)
    spaced = [r for r in body if r[0] != nfkc(r[0])]
    assert len(spaced) == 2 and all(r[0] == "配送センター\u3000" for r in spaced)
    vehicle = [r for r in body if nfkc(r[1]) in {"軽油", "ガソリン", "レギュラーガソリン"}]
    assert vehicle and all(r[3] is None and r[4] is None for r in vehicle)
    corrected = [r for r in body if r[8] == "訂正"]
    assert len(corrected) == 1
    fix = corrected[0]
    assert (fix[0], fix[2], fix[9]) == ("本社工場", dt.datetime(2025, 12, 1), "充填量の記載誤りによる再発行")
    original = [r for r in body if r[0] == fix[0] and r[1] in {"プロパンガス", "LPG"} and r[2] == fix[2]
                and r[8] is None]
    assert len(original) == 1 and original[0][5] > fix[5] * 1.05  # the original was overstated
    assert body.index(fix) > max(i for i, r in enumerate(body) if r[2] == dt.datetime(2026, 1, 1) and r[8] is None)


def test_bills_cover_every_month_once(bills):
    counts = bills.groupby(["site", "energy", "fy"]).size()
    assert set(bills["fy"]) == {2024, 2025}
    assert len(counts) == 10 and (counts == 12).all(), counts[counts != 12]
    assert not bills.duplicated(["site", "energy", "year", "month"]).any()
    assert (bills["amount"] > 0).all()


# ------------------------------------------------------------------------------------------
# (d) the story: totals, CO2, crude oil, year on year, seasonality
def test_fy2025_totals_meet_targets(bills):
    fy25 = bills[bills["fy"] == 2025]
    totals = fy25.groupby("energy")["amount"].sum()
    assert set(totals.index) == set(TARGETS)
    for energy, target in TARGETS.items():
        assert totals[energy] == pytest.approx(target, rel=0.03), energy
    sites = fy25[fy25["energy"] == "electricity"].groupby("site")["amount"].sum()
    for site, target in SITE_ELECTRICITY.items():
        assert sites[site] == pytest.approx(target, rel=0.03), site


def test_co2_and_crude_oil(bills, profile):
    f = factors()
    fy25 = bills[bills["fy"] == 2025].groupby("energy")["amount"].sum()
    co2 = fy25 * f.loc[fy25.index, "co2"]
    assert TOTAL_CO2_RANGE[0] <= co2.sum() <= TOTAL_CO2_RANGE[1], co2.sum()
    assert co2.idxmax() == "electricity" and co2.drop("electricity").idxmax() == "lpg"
    kl = (fy25 * f.loc[fy25.index, "gj"]).sum() * crude_oil_kl_per_gj()
    assert CRUDE_OIL_KL_RANGE[0] <= kl <= CRUDE_OIL_KL_RANGE[1], kl
    # not a specified business (省エネ法, 京都府条例): energy and trucks below the thresholds
    programmes = pd.read_csv(DATASETS / "finance" / "programmes.csv")
    kyoto = programmes[programmes["programme"] == "kyoto_specified"].set_index("item")["value"]
    assert kl < kyoto["energy_kl"] and profile["vehicles"]["trucks"]["count"] < kyoto["trucks"]


def test_fy2024_a_few_percent_higher(bills):
    totals = bills.groupby(["energy", "fy"])["amount"].sum().unstack()
    ratio = totals[2024] / totals[2025]
    assert ratio.between(1.02, 1.05).all(), ratio
    co2 = totals.mul(factors().loc[totals.index, "co2"], axis=0).sum()
    assert 1.02 <= co2[2024] / co2[2025] <= 1.05


def test_seasonality(bills):
    fy25 = bills[bills["fy"] == 2025]

    def monthly(energy):
        return fy25[fy25["energy"] == energy].groupby("month")["amount"].sum()

    elec = monthly("electricity")
    assert elec[8] == elec.max() and elec[7] > elec[4] and elec[8] > elec[11]  # summer refrigeration and AC
    lpg, diesel = monthly("lpg"), monthly("diesel")
    assert lpg[12] == lpg.max() and diesel[12] == diesel.max()  # the year-end rush
    assert lpg[1] < lpg[12] and diesel[1] < diesel[11]  # 正月休み
    assert lpg[[12, 1, 2, 3]].mean() > lpg[[6, 7, 8, 9]].mean()  # the boiler in winter


# ------------------------------------------------------------------------------------------
# (e) reconciliation gap and Pareto from the equipment list
def test_unexplained_share_per_energy(bills):
    billed = bills[bills["fy"] == 2025].groupby("energy")["amount"].sum()
    estimated = equipment_estimates().groupby("energy")["estimate"].sum()
    assert set(billed.index) == set(estimated.index)
    share = (billed - estimated) / billed
    assert share.between(0.03, 0.08).all(), share


def test_equipment_list_shape():
    eq = pd.read_csv(B_SHA / "equipment.csv", keep_default_na=False)
    a_sha = pd.read_csv(DATASETS / "companies" / "a_sha" / "equipment.csv", nrows=0)
    assert list(eq.columns) == list(a_sha.columns)
    assert 20 <= len(eq) <= 40
    assert set(eq["site"]) == SITES
    assert set(eq["energy"]) == set(TARGETS)
    fuel = eq[eq["energy"] != "electricity"]
    assert set(fuel["fuel_rate_unit"]) <= set(RATE_UNITS)


def test_pareto_by_process():
    eq = equipment_estimates()
    co2 = (eq["estimate"] * eq["energy"].map(factors()["co2"])).groupby(eq["process"]).sum()
    co2 = co2.sort_values(ascending=False)
    assert list(co2.index[:6]) == PARETO_HEAD
    assert (co2.iloc[:6].diff().dropna() < -3).all()  # a clear order, no near-ties in the head
    share = co2.cumsum() / co2.sum()
    assert share.iloc[1] > 0.5  # refrigeration and the boiler dominate
    assert 0.74 <= share.iloc[4] <= 0.80 and 0.80 <= share.iloc[5] <= 0.86, share


# ------------------------------------------------------------------------------------------
# (f) the profile carries what the capstone asks about
def test_profile(profile):
    assert profile["company_id"] == "b_sha" and profile["fictional"] is True
    assert profile["employees"] == 65 and profile["sme"] is True
    assert profile["location"]["prefecture"] == "京都府" and profile["head_office"]["prefecture"] == "京都府"
    assert {s["site"] for s in profile["sites"]} == SITES
    elec = pd.read_csv(FACTORS / "electricity_factors.csv")
    known = set(elec.loc[elec["emissions_fy"] == profile["base_fiscal_year"], "supplier"])
    for site in profile["sites"]:
        assert site["electricity_supplier"] in known  # no invented factor
        assert site["address"]["prefecture"] == "京都府"
        assert site["building"]["pv_usable_roof_m2"] > 0
    assert profile["base_fiscal_year"] == 2025 and profile["comparison_fiscal_year"] == 2024
    assert profile["certifications"] == []
    status = profile["status"]
    assert status["sbt_certified"] is False and status["kyoto_zero_carbon_loan"] is False
    assert status["pv_installed_kw"] == 0
    assert profile["vehicles"]["trucks"] == {"count": 6, "energy": "diesel", "note": "冷凍車（4t 2台、2t 4台）"}
    assert len(profile["president_concerns"]) > 100
    assert "kepco" in profile["notes"] and "関西電力" in profile["notes"]


def test_readme_lists_the_quirks():
    readme = (B_SHA / "README.md").read_text(encoding="utf-8")
    for word in ("Shift_JIS", "令和7年4月分", "MWh", "空行", "日付セル", "全角スペース", "訂正", "kepco"):
        assert word in readme, word
