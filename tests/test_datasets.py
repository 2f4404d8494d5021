"""Tests of datasets/: the A社 generator, the checksum manifest, the A社 story and the factor files.

The bill parsing here (with tests/bill_parsing.py) is deliberately small and independent of cnkit's
reader: it knows only the quirks the A社 generator puts in (NFKC for full-width text, 千m3/kL/ℓ units,
Japanese-era months, ¥/円 charges, 訂正 rows).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import bill_parsing
import pandas as pd
import pytest
from bill_parsing import RATE_UNITS, bills_frame, nfkc

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
FACTORS = DATASETS / "factors"
A_SHA = DATASETS / "companies" / "a_sha"
GENERATOR = DATASETS / "generators" / "a_sha.py"
MANIFEST_SCRIPT = DATASETS / "generators" / "manifest.py"
GENERATED_FILES = {"profile.yml", "equipment.csv", "bills_electricity.xlsx", "bills_fuel.csv", "README.md"}
# maintained by hand, outside the generator (documented in datasets/README.md; checked by tests/test_measures.py)
HAND_MAINTAINED_FILES = {"measures.csv"}

# DESIGN.md §3: FY2025 targets in base units (kWh; 千m³; kL; t)
DESIGN_TARGETS = {
    "electricity": 640_000, "city_gas": 40, "a_heavy_oil": 48, "kerosene": 5, "lpg": 2,
    "gasoline": 14, "diesel": 10,
}
DESIGN_SITE_ELECTRICITY = {"本社工場": 500_000, "第二工場": 115_000, "倉庫・事務所": 25_000}
PARETO_HEAD = ["ボイラー", "熱処理炉", "コンプレッサー", "機械加工", "空調", "社用車", "照明"]


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------
# The A社 months (the rest of the small, independent bill parser is tests/bill_parsing.py)
def parse_month(text) -> tuple[int, int]:
    s = nfkc(text).replace(" ", "")
    m = re.fullmatch(r"(\d{4})(?:年|/|-)(\d{1,2})月?", s)
    if m:
        return int(m[1]), int(m[2])
    m = re.fullmatch(r"(?:R|令和)(\d{1,2})(?:\.|年)(\d{1,2})月?", s)
    if m:
        return int(m[1]) + 2018, int(m[2])
    raise ValueError(f"unreadable month: {text!r}")


def read_a_sha_bills(folder: Path = A_SHA) -> pd.DataFrame:
    """One row per bill after corrections: site, energy, year, month, fy, amount (base unit)."""
    elec = pd.read_excel(folder / "bills_electricity.xlsx", sheet_name=0, dtype=object)
    fuel = pd.read_csv(folder / "bills_fuel.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    raw = pd.concat([elec, fuel], ignore_index=True).fillna("")
    return bills_frame((r for _, r in raw.iterrows()), parse_month)


def equipment_estimates() -> pd.DataFrame:
    return bill_parsing.equipment_estimates(A_SHA)


def co2_factors() -> dict[str, float]:
    fuel = pd.read_csv(FACTORS / "fuel_factors.csv")
    elec = pd.read_csv(FACTORS / "electricity_factors.csv")
    factors = dict(fuel[fuel["factor_set"] == "revised"][["energy", "co2_t_per_unit"]].itertuples(index=False))
    tepco = elec[(elec["supplier"] == "tepco_ep") & (elec["emissions_fy"] == 2025)]
    factors["electricity"] = float(tepco["basic_t_per_kwh"].iloc[0])
    return factors


@pytest.fixture(scope="module")
def bills() -> pd.DataFrame:
    return read_a_sha_bills()


# ------------------------------------------------------------------------------------------
# (a) the generator reproduces the committed files
def test_generator_reproduces_committed_files(tmp_path):
    out = tmp_path / "a_sha"
    result = subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} == GENERATED_FILES
    assert {p.name for p in A_SHA.iterdir() if p.is_file()} - HAND_MAINTAINED_FILES == GENERATED_FILES
    differ = [name for name in sorted(GENERATED_FILES)
              if (out / name).read_bytes() != (A_SHA / name).read_bytes()]
    assert not differ, f"regenerate with `python datasets/generators/a_sha.py`: {differ}"


def test_generator_is_deterministic(tmp_path):
    for run in ("one", "two"):
        subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path / run), "--quiet"],
                       cwd=ROOT, check=True, capture_output=True)
    for name in GENERATED_FILES:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


# ------------------------------------------------------------------------------------------
# (b) manifest
def test_manifest_matches_files():
    manifest = load_module(MANIFEST_SCRIPT, "datasets_manifest")
    problems = manifest.check(DATASETS)
    assert problems == {"mismatched": [], "missing": [], "unlisted": []}, (
        f"run `python datasets/generators/manifest.py`: {problems}")
    listed = manifest.parse((DATASETS / "MANIFEST.sha256").read_text(encoding="utf-8"))
    assert "companies/a_sha/bills_fuel.csv" in listed and "factors/prices.csv" in listed
    assert list(listed) == sorted(listed)


def test_manifest_detects_tampering(tmp_path):
    manifest = load_module(MANIFEST_SCRIPT, "datasets_manifest")
    copy = tmp_path / "datasets"
    shutil.copytree(DATASETS, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    manifest.write(copy)
    assert manifest.check(copy) == {"mismatched": [], "missing": [], "unlisted": []}

    (copy / "factors" / "prices.csv").write_bytes((copy / "factors" / "prices.csv").read_bytes() + b"\n")
    (copy / "companies" / "a_sha" / "equipment.csv").unlink()
    (copy / "companies" / "a_sha" / "extra.csv").write_text("x\n", encoding="utf-8")
    problems = manifest.check(copy)
    assert problems == {"mismatched": ["factors/prices.csv"],
                        "missing": ["companies/a_sha/equipment.csv"],
                        "unlisted": ["companies/a_sha/extra.csv"]}

    result = subprocess.run([sys.executable, str(MANIFEST_SCRIPT), "--check", "--root", str(copy)],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    for rel in ("factors/prices.csv", "companies/a_sha/equipment.csv", "companies/a_sha/extra.csv"):
        assert rel in result.stderr


# ------------------------------------------------------------------------------------------
# (c) the bills tell the DESIGN story
def test_bills_cover_every_month_once(bills):
    counts = bills.groupby(["site", "energy", "fy"]).size()
    assert set(bills["fy"]) == {2024, 2025}
    assert (counts == 12).all(), counts[counts != 12]
    assert not bills.duplicated(["site", "energy", "year", "month"]).any()
    assert (bills["amount"] >= 0).all()


def test_one_corrected_bill():
    elec = pd.read_excel(A_SHA / "bills_electricity.xlsx", sheet_name="電力")
    corrected = elec[elec["区分"] == "訂正"]
    assert len(corrected) == 1
    row = corrected.iloc[0]
    assert (row["拠点"], row["使用月"], row["備考"]) == ("第二工場", "2025/09", "検針値誤りによる再請求")
    original = elec[(elec["拠点"] == "第二工場") & (elec["使用月"] == "2025/09") & elec["区分"].isna()]
    assert len(original) == 1
    assert original["使用量"].iloc[0] > row["使用量"] * 1.05  # the original was overstated


def test_electricity_xlsx_holds_numbers_and_dates():
    from openpyxl import load_workbook

    ws = load_workbook(A_SHA / "bills_electricity.xlsx").active
    header = [c.value for c in ws[1]]
    assert header == ["拠点", "エネルギー", "使用月", "検針開始日", "検針終了日", "使用量", "単位",
                      "請求金額（円）", "区分", "備考"]
    for row in ws.iter_rows(min_row=2, values_only=True):
        assert isinstance(row[5], int) and isinstance(row[7], int)
        assert hasattr(row[3], "year") and hasattr(row[4], "year")
        assert row[3].month == int(row[2][-2:])  # billing period starts in the billing month ...
        assert row[4].month != row[3].month  # ... and straddles into the next


def test_fy2025_totals_meet_design_targets(bills):
    fy25 = bills[bills["fy"] == 2025]
    totals = fy25.groupby("energy")["amount"].sum()
    for energy, target in DESIGN_TARGETS.items():
        assert totals[energy] == pytest.approx(target, rel=0.03), energy
    sites = fy25[fy25["energy"] == "electricity"].groupby("site")["amount"].sum()
    for site, target in DESIGN_SITE_ELECTRICITY.items():
        assert sites[site] == pytest.approx(target, rel=0.03), site


def test_fy2024_a_few_percent_higher(bills):
    totals = bills.groupby(["energy", "fy"])["amount"].sum().unstack()
    ratio = totals[2024] / totals[2025]
    assert ratio.between(1.02, 1.05).all(), ratio


def test_seasonality(bills):
    fy25 = bills[bills["fy"] == 2025]
    kerosene = fy25[fy25["energy"] == "kerosene"].groupby("month")["amount"].sum()
    assert (kerosene[[4, 5, 6, 7, 8, 9, 10]] == 0).all() and (kerosene[[11, 12, 1, 2, 3]] > 0).all()
    elec = fy25[fy25["energy"] == "electricity"].groupby("month")["amount"].sum()
    assert elec[7] > elec[4] and elec[7] > elec[10]  # summer air conditioning
    gas = fy25[fy25["energy"] == "city_gas"].groupby("month")["amount"].sum()
    assert gas[5] < gas[4] and gas[8] < gas[7] and gas[1] < gas[12]  # GW, お盆, 正月


# ------------------------------------------------------------------------------------------
# (d) reconciliation gap, (e) Pareto
def test_unexplained_share_per_energy(bills):
    billed = bills[bills["fy"] == 2025].groupby("energy")["amount"].sum()
    estimated = equipment_estimates().groupby("energy")["estimate"].sum()
    assert set(billed.index) == set(estimated.index)
    share = (billed - estimated) / billed
    assert share.between(0.02, 0.08).all(), share


def test_equipment_list_shape():
    eq = pd.read_csv(A_SHA / "equipment.csv", keep_default_na=False)
    assert list(eq.columns) == ["site", "equipment", "process", "energy", "rated_kw", "fuel_rate",
                                "fuel_rate_unit", "units", "hours_per_year", "load_factor", "season", "note"]
    assert 20 <= len(eq) <= 40
    energies = set(pd.read_csv(FACTORS / "energies.csv")["energy"])
    assert set(eq["energy"]) <= energies
    fuel = eq[eq["energy"] != "electricity"]
    assert set(fuel["fuel_rate_unit"]) <= set(RATE_UNITS)


def test_pareto_by_process():
    eq = equipment_estimates()
    co2 = (eq["estimate"] * eq["energy"].map(co2_factors())).groupby(eq["process"]).sum()
    co2 = co2.sort_values(ascending=False)
    assert list(co2.index[:7]) == PARETO_HEAD
    top7 = co2.iloc[:7].sum() / co2.sum()
    assert 0.76 <= top7 <= 0.84, top7


# ------------------------------------------------------------------------------------------
# (f) factor files carry their source and units, (g) fuel factors are consistent
FACTOR_FILES = sorted(FACTORS.glob("*.csv"))


@pytest.mark.parametrize("path", FACTOR_FILES, ids=lambda p: p.name)
def test_factor_file_has_source_and_units(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert body, "no data rows"
    bad = [i for i, row in enumerate(body, 2) if len(row) != len(header)]
    assert not bad, f"{path.name}: lines {bad} do not have {len(header)} fields (quote fields with commas)"
    table = pd.DataFrame(body, columns=header)
    assert "source" in header
    assert (table["source"].str.strip() != "").all(), "empty source"
    if "unit" in header:
        assert (table["unit"].str.strip() != "").all(), "empty unit"
        return
    # no unit column: every column of non-year numbers must name its unit (…_t_per_kwh)
    for column in header:
        values = pd.to_numeric(table[column], errors="coerce")
        if values.notna().all() and not values.between(1900, 2100).all():
            assert "_per_" in column, f"{path.name}: column {column} has numbers without a unit"


def test_fuel_factor_is_heat_times_carbon():
    fuel = pd.read_csv(FACTORS / "fuel_factors.csv")
    computed = fuel["heat_gj_per_unit"] * fuel["carbon_tc_per_gj"] * 44 / 12
    diff = (computed - fuel["co2_t_per_unit"]).abs()
    assert (diff <= 0.01).all(), fuel.assign(computed=computed)[diff > 0.01]
