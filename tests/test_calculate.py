"""cnkit.calculate: CO2, GJ, crude-oil kL and thresholds, checked against the factor CSVs read here."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import cnkit
from cnkit import CnkitError, annual_co2, emissions, summary, threshold_checks

ROOT = Path(cnkit.__file__).resolve().parent.parent
FACTORS = ROOT / "datasets" / "factors"


def _rows(name: str) -> list[dict]:
    with open(FACTORS / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---- reference values, read independently of cnkit

FUEL = {}  # (factor_set, energy) → (t-CO2/unit, GJ/unit)
for r in _rows("fuel_factors.csv"):
    FUEL[(r["factor_set"], r["energy"])] = (float(r["co2_t_per_unit"]), float(r["heat_gj_per_unit"]))
ELEC = {}  # (supplier, emissions_fy) → (basic, adjusted)
for r in _rows("electricity_factors.csv"):
    ELEC[(r["supplier"], int(r["emissions_fy"]))] = (float(r["basic_t_per_kwh"]), float(r["adjusted_t_per_kwh"]))
CONV = {r["item"]: float(r["value"]) for r in _rows("energy_conversion.csv")}
ENERGIES = {r["energy"]: r for r in _rows("energies.csv")}
THRESHOLDS = {r["threshold"]: r for r in _rows("thresholds.csv")}

FUELS = ["city_gas", "a_heavy_oil", "kerosene", "lpg", "gasoline", "diesel"]
ELEC_GJ_PER_KWH = CONV["electricity_gj_per_mwh"] / 1000
KL_PER_GJ = CONV["crude_oil_kl_per_gj"]


def test_reference_values_are_the_expected_ones():
    # the numbers the brief names, so that a silent data change shows up here
    # R6年度実績 list: メニューM(残差) has 0.000452 in both columns (the basic factor is per menu too)
    assert ELEC[("tepco_ep_residual", 2025)] == (0.000452, 0.000452)
    assert ELEC[("tepco_ep", 2025)] == (0.000421, 0.000421)
    assert CONV["electricity_gj_per_mwh"] == 8.64
    assert KL_PER_GJ == 0.0258
    assert {s for s, _ in FUEL} == {"old", "revised"}
    assert set(ENERGIES) == {"electricity", *FUELS}


def tidy(rows, fiscal_year=2025) -> pd.DataFrame:
    """A tidy table like read_bills gives: rows of (site, energy, usage[, fiscal_year])."""
    out = []
    for i, r in enumerate(rows):
        site, energy, usage, *fy = r
        fy = fy[0] if fy else fiscal_year
        month = pd.Timestamp(year=fy, month=4 + i % 9, day=1)
        out.append({"site": site, "energy": energy, "energy_ja": ENERGIES[energy]["name_ja"], "month": month,
                    "fiscal_year": fy, "usage": usage, "unit": ENERGIES[energy]["unit"]})
    return pd.DataFrame(out)


ALL = [("本社", "electricity", 500_000.0), ("本社", "city_gas", 40.0), ("本社", "a_heavy_oil", 48.0),
       ("本社", "kerosene", 5.0), ("本社", "lpg", 2.0), ("本社", "gasoline", 14.0), ("本社", "diesel", 10.0)]


# ---------------------------------------------------------------- emissions

@pytest.mark.parametrize("fy", [2023, 2024, 2025, 2030])
def test_fuels_use_revised_set_from_fy2023(fy):
    table = tidy([("本社", e, 3.0) for e in FUELS], fiscal_year=fy)
    em = emissions(table)
    for e, co2, gj in zip(em["energy"], em["co2_t"], em["gj"]):
        factor, heat = FUEL[("revised", e)]
        assert co2 == pytest.approx(3.0 * factor)
        assert gj == pytest.approx(3.0 * heat)
    assert (em["scope"] == 1).all()


@pytest.mark.parametrize("fy", [2006, 2020, 2022])
def test_fuels_use_old_set_up_to_fy2022(fy):
    table = tidy([("本社", e, 7.0) for e in FUELS], fiscal_year=fy)
    em = emissions(table)
    for e, co2, gj in zip(em["energy"], em["co2_t"], em["gj"]):
        factor, heat = FUEL[("old", e)]
        assert co2 == pytest.approx(7.0 * factor)
        assert gj == pytest.approx(7.0 * heat)


def test_old_and_revised_differ():
    old = emissions(tidy([("本社", "city_gas", 1.0)], 2022))["co2_t"].iloc[0]
    new = emissions(tidy([("本社", "city_gas", 1.0)], 2023))["co2_t"].iloc[0]
    assert old == pytest.approx(FUEL[("old", "city_gas")][0])
    assert new == pytest.approx(FUEL[("revised", "city_gas")][0])
    assert old != new


def test_all_energies_fy2025():
    em = emissions(tidy(ALL), "tepco_ep")
    assert len(em) == len(ALL)
    for (_, e, usage), co2, gj, kl, scope in zip(ALL, em["co2_t"], em["gj"], em["crude_kl"], em["scope"]):
        if e == "electricity":
            factor, heat, want_scope = ELEC[("tepco_ep", 2025)][0], ELEC_GJ_PER_KWH, 2
        else:
            (factor, heat), want_scope = FUEL[("revised", e)], 1
        assert co2 == pytest.approx(usage * factor)
        assert gj == pytest.approx(usage * heat)
        assert kl == pytest.approx(usage * heat * KL_PER_GJ)
        assert scope == want_scope == int(ENERGIES[e]["scope"])
    assert set(em.columns) >= {"scope", "co2_t_per_unit", "gj_per_unit", "factor_source", "co2_t", "gj", "crude_kl"}
    assert em["factor_source"].map(lambda s: isinstance(s, str) and len(s) > 0).all()


def test_electricity_gj_and_crude_kl():
    em = emissions(tidy([("本社", "electricity", 1_000_000.0)]))
    # 1,000 MWh × 8.64 GJ/MWh = 8,640 GJ; × 0.0258 kL/GJ = 222.912 kL
    assert em["gj"].iloc[0] == pytest.approx(8640.0)
    assert em["crude_kl"].iloc[0] == pytest.approx(8640.0 * 0.0258)
    assert em["crude_kl"].iloc[0] == pytest.approx(222.912)


def test_crude_oil_kl():
    assert cnkit.crude_oil_kl(1000.0) == pytest.approx(25.8)
    s = pd.Series([0.0, 100.0])
    assert list(cnkit.crude_oil_kl(s)) == pytest.approx([0.0, 2.58])


@pytest.mark.parametrize("kind, col", [("basic", 0), ("adjusted", 1)])
def test_electricity_basic_and_adjusted(kind, col):
    table = tidy([("本社", "electricity", 100_000.0)])
    em = emissions(table, "tepco_ep_residual", electricity_factor=kind)
    assert em["co2_t"].iloc[0] == pytest.approx(100_000 * ELEC[("tepco_ep_residual", 2025)][col])


def test_electricity_basic_adjusted_and_location():
    table = tidy([("本社", "electricity", 100_000.0)])
    basic = emissions(table, "tepco_ep_residual", electricity_factor="basic")["co2_t"].iloc[0]
    adjusted = emissions(table, "tepco_ep_residual", electricity_factor="adjusted")["co2_t"].iloc[0]
    location = emissions(table, "tepco_ep_residual", electricity_factor="location")["co2_t"].iloc[0]
    assert basic == pytest.approx(100_000 * 0.000452)
    assert adjusted == pytest.approx(100_000 * 0.000452)
    assert location == pytest.approx(100_000 * ELEC[("national_average", 2025)][0])
    assert len({round(basic, 6), round(location, 6)}) == 2
    # the location-based factor does not depend on the supplier
    other = emissions(table, "tepco_ep", electricity_factor="location")["co2_t"].iloc[0]
    assert other == pytest.approx(location)


def test_electricity_factor_does_not_touch_fuels():
    table = tidy([("本社", "a_heavy_oil", 10.0), ("本社", "electricity", 1000.0)])
    a = emissions(table, "tepco_ep_residual", electricity_factor="basic")
    b = emissions(table, "tepco_ep_residual", electricity_factor="adjusted")
    assert a["co2_t"].iloc[0] == b["co2_t"].iloc[0] == pytest.approx(10 * FUEL[("revised", "a_heavy_oil")][0])


def test_supplier_mapping_by_site():
    table = tidy([("本社工場", "electricity", 1000.0), ("第二工場", "electricity", 1000.0),
                  ("倉庫", "electricity", 1000.0), ("倉庫", "kerosene", 1.0)])
    sup = {"本社工場": "tepco_ep", "第二工場": "tepco_ep_residual", "倉庫": "default"}
    em = emissions(table, sup, electricity_factor="adjusted")
    want = [1000 * ELEC[("tepco_ep", 2025)][1], 1000 * ELEC[("tepco_ep_residual", 2025)][1],
            1000 * ELEC[("default", 2025)][1], 1.0 * FUEL[("revised", "kerosene")][0]]
    assert list(em["co2_t"]) == pytest.approx(want)
    assert list(em["supplier"]) == ["tepco_ep", "tepco_ep_residual", "default", "default"]


def test_missing_supplier_for_site():
    table = tidy([("本社工場", "electricity", 1000.0), ("第二工場", "electricity", 1000.0)])
    with pytest.raises(CnkitError) as info:
        emissions(table, {"本社工場": "tepco_ep"})
    assert "第二工場" in str(info.value)


def test_unknown_electricity_factor():
    table = tidy([("本社", "electricity", 1000.0)])
    with pytest.raises(CnkitError) as info:
        emissions(table, electricity_factor="market")
    assert "market" in str(info.value)
    # also for a table without electricity: the argument is wrong either way
    with pytest.raises(CnkitError):
        emissions(tidy([("本社", "diesel", 1.0)]), electricity_factor="market")


def test_unknown_supplier():
    with pytest.raises(CnkitError) as info:
        emissions(tidy([("本社", "electricity", 1000.0)]), "no_such_power")
    assert "no_such_power" in str(info.value)


def test_fiscal_year_without_electricity_factor():
    table = tidy([("本社", "electricity", 1000.0)], fiscal_year=2024)
    with pytest.raises(CnkitError) as info:
        emissions(table, "tepco_ep")
    msg = str(info.value)
    assert "factor_fy" in msg
    assert "2024" in msg
    assert any("\u3040" <= ch <= "\u9fff" for ch in msg)  # Japanese


def test_factor_fy_overrides_row_year():
    table = tidy([("本社", "electricity", 1000.0, 2024), ("本社", "electricity", 2000.0, 2025),
                  ("本社", "city_gas", 1.0, 2024)])
    em = emissions(table, "tepco_ep", factor_fy=2025)
    basic = ELEC[("tepco_ep", 2025)][0]
    assert list(em["co2_t"]) == pytest.approx([1000 * basic, 2000 * basic, FUEL[("revised", "city_gas")][0]])
    assert list(em["fiscal_year"]) == [2024, 2025, 2024]  # the rows keep their own year
    assert set(em["factor_fy"]) == {2025}
    # fuels with an old year's factors, for every row
    fuels = tidy([("本社", "city_gas", 1.0, 2025), ("本社", "lpg", 1.0, 2024)])
    old = emissions(fuels, factor_fy=2022)
    assert list(old["co2_t"]) == pytest.approx([FUEL[("old", "city_gas")][0], FUEL[("old", "lpg")][0]])


def test_emissions_keeps_rows_order_and_input():
    table = tidy(ALL)
    before = table.copy()
    em = emissions(table)
    pd.testing.assert_frame_equal(table, before)  # input untouched
    assert list(em.index) == list(table.index)
    assert list(em["energy"]) == list(table["energy"])


def test_emissions_on_concatenated_tables_with_repeated_index():
    a = tidy([("本社", "electricity", 1000.0), ("本社", "diesel", 1.0)])
    b = tidy([("倉庫", "electricity", 500.0), ("倉庫", "kerosene", 2.0)])
    table = pd.concat([a, b])  # index 0, 1, 0, 1
    em = emissions(table, "tepco_ep")
    assert len(em) == 4
    want = (1500 * ELEC[("tepco_ep", 2025)][0] + FUEL[("revised", "diesel")][0]
            + 2 * FUEL[("revised", "kerosene")][0])
    assert em["co2_t"].sum() == pytest.approx(want)
    assert list(em.index) == [0, 1, 0, 1]


def test_emissions_can_be_recomputed_from_its_result():
    em = emissions(tidy(ALL), "tepco_ep_residual", electricity_factor="basic")
    em2 = emissions(em, "tepco_ep_residual", electricity_factor="adjusted")
    assert len(em2) == len(em)
    elec = em2[em2["energy"] == "electricity"]["co2_t"].iloc[0]
    assert elec == pytest.approx(500_000 * ELEC[("tepco_ep_residual", 2025)][1])


def test_emissions_missing_columns_and_unknown_energy():
    with pytest.raises(CnkitError):
        emissions(pd.DataFrame({"site": ["本社"], "energy": ["electricity"], "usage": [1.0]}))
    table = tidy([("本社", "electricity", 1.0)]).assign(energy="電力")
    with pytest.raises(CnkitError):
        emissions(table)


def test_emissions_of_read_bills_table(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("拠点,エネルギー,使用月,使用量,単位\n"
                    "本社,電気,2025年4月,\"10,000\",kWh\n本社,電気,2025年5月,20,MWh\n"
                    "本社,A重油,2025年4月,\"4,000\",L\n本社,A重油,2025年5月,3,kL\n", encoding="utf-8")
    em = emissions(cnkit.read_bills(path).table, "tepco_ep")
    by = em.groupby("energy")["co2_t"].sum()
    assert by["electricity"] == pytest.approx(30_000 * ELEC[("tepco_ep", 2025)][0])
    assert by["a_heavy_oil"] == pytest.approx(7 * FUEL[("revised", "a_heavy_oil")][0])


def test_summary_totals_equal_sums():
    table = tidy(ALL + [("倉庫", "electricity", 25_000.0), ("倉庫", "kerosene", 1.0)])
    em = emissions(table, "tepco_ep")
    s = summary(em)
    assert s["co2_t"].sum() == pytest.approx(em["co2_t"].sum())
    assert s["gj"].sum() == pytest.approx(em["gj"].sum())
    assert s["crude_kl"].sum() == pytest.approx(em["crude_kl"].sum())
    assert s.loc["電力", "co2_t"] == pytest.approx(525_000 * ELEC[("tepco_ep", 2025)][0])
    assert s.loc["灯油", "co2_t"] == pytest.approx(6 * FUEL[("revised", "kerosene")][0])
    assert list(s["co2_t"]) == sorted(s["co2_t"], reverse=True)  # largest first
    by_site = summary(em, by="site")
    assert by_site["co2_t"].sum() == pytest.approx(em["co2_t"].sum())
    by_scope = summary(em, by=["scope"])
    assert by_scope.loc[2, "co2_t"] == pytest.approx(em.loc[em["energy"] == "electricity", "co2_t"].sum())


def test_factor_table():
    ft = cnkit.factor_table(2025, "tepco_ep_residual", "adjusted").set_index("energy")
    assert set(ft.index) == set(ENERGIES)
    assert ft.loc["electricity", "co2_t_per_unit"] == pytest.approx(0.000452)
    assert ft.loc["electricity", "gj_per_unit"] == pytest.approx(0.00864)
    assert ft.loc["lpg", "co2_t_per_unit"] == pytest.approx(FUEL[("revised", "lpg")][0])


# ---------------------------------------------------------------- annual_co2

A_SHA = {"electricity": 640_000, "city_gas": 40, "a_heavy_oil": 48, "kerosene": 5, "lpg": 2, "gasoline": 14,
         "diesel": 10}
A_SHA_UNITS = {"electricity": (640, "MWh"), "city_gas": (40_000, "m3"), "a_heavy_oil": (48_000, "L"),
               "kerosene": (5_000, "ℓ"), "lpg": (2_000, "kg"), "gasoline": (14, "kL"), "diesel": ("10,000", "L")}


def test_annual_co2_a_sha():
    res = annual_co2(A_SHA, "tepco_ep", emissions_fy=2025)
    want = {e: v * (ELEC[("tepco_ep", 2025)][0] if e == "electricity" else FUEL[("revised", e)][0])
            for e, v in A_SHA.items()}
    assert dict(zip(res["energy"], res["co2_t"])) == pytest.approx(want)
    total = sum(want.values())
    assert res["co2_t"].sum() == pytest.approx(total)
    assert 540 < total < 580  # DESIGN §3: ≈ 560 t-CO2
    gj = 640 * 8.64 + sum(A_SHA[e] * FUEL[("revised", e)][1] for e in FUELS)
    assert res["crude_kl"].sum() == pytest.approx(gj * 0.0258)
    assert 240 < res["crude_kl"].sum() < 280  # ≈ 260 kL
    assert list(res.columns) == ["energy", "energy_ja", "usage", "unit", "scope", "co2_t_per_unit", "co2_t",
                                 "gj", "crude_kl"]


def test_annual_co2_units_equal_base_units():
    base = annual_co2(A_SHA, "tepco_ep", emissions_fy=2025)
    units = annual_co2(A_SHA_UNITS, "tepco_ep", emissions_fy=2025)
    assert list(units["usage"]) == pytest.approx(list(base["usage"]))
    assert list(units["co2_t"]) == pytest.approx(list(base["co2_t"]))
    assert list(units["unit"]) == [ENERGIES[e]["unit"] for e in A_SHA]
    # strings as typed by a trainee
    typed = annual_co2({"electricity": "６４０，０００", "lpg": ("2,000", "ｋｇ")}, "tepco_ep", emissions_fy=2025)
    assert list(typed["usage"]) == pytest.approx([640_000, 2.0])


@pytest.mark.parametrize("usage, words", [
    ({"electricity": -1}, ["電力", "負"]),
    ({"diesel": ("-5", "L")}, ["軽油", "負"]),
    ({"electricity": "abc"}, ["電力", "abc"]),
    ({"lpg": ("12,34", "kg")}, ["LPG", "12,34"]),
    ({"electricity": float("nan")}, ["電力"]),
    ({"city_gas": (100, "kWh")}, ["都市ガス", "kWh"]),
    ({"gasoline": (100, "kg")}, ["ガソリン", "kg"]),
    ({"gasoline": (100, "ガロン")}, ["ガソリン", "ガロン"]),
    ({"hydrogen": 1}, ["hydrogen"]),
])
def test_annual_co2_bad_inputs(usage, words):
    with pytest.raises(CnkitError) as info:
        annual_co2(usage, emissions_fy=2025)
    for w in words:
        assert w in str(info.value)


def test_annual_co2_empty():
    res = annual_co2({}, emissions_fy=2025)
    assert isinstance(res, pd.DataFrame)
    assert res.empty
    filled = annual_co2({"lpg": 1}, emissions_fy=2025)
    assert list(res.columns) == list(filled.columns)
    assert res["co2_t"].sum() == 0


def test_annual_co2_zero_and_fy2022_fuels():
    res = annual_co2({"electricity": 0, "kerosene": 0}, emissions_fy=2025)
    assert res["co2_t"].sum() == 0
    old = annual_co2({"kerosene": 2}, emissions_fy=2022)
    assert old["co2_t"].iloc[0] == pytest.approx(2 * FUEL[("old", "kerosene")][0])


# ---------------------------------------------------------------- threshold_checks

def _holds(key: str, value: float) -> bool:
    t = THRESHOLDS[key]
    limit = float(t["value"])
    ok = value >= limit if t["comparison"] == ">=" else value < limit
    if t["upper_value"]:
        ok = ok and value < float(t["upper_value"])
    return ok


def _row(df: pd.DataFrame, key: str, target: str) -> pd.Series:
    hit = df[(df["基準"] == THRESHOLDS[key]["label_ja"]) & (df["対象"] == target)]
    assert len(hit) == 1, (key, target)
    return hit.iloc[0]


@pytest.mark.parametrize("kl", [0.0, 260.0, 1499.9, 1500.0, 1500.1, 2999.9, 3000.0, 3000.1, 10_000.0])
def test_company_thresholds(kl):
    df = threshold_checks(kl)
    for key in ("specified_business", "ghg_reporting_energy", "kawasaki_eco_subsidy_energy"):
        row = _row(df, key, "会社全体")
        assert row["holds"] == _holds(key, kl)
        assert row["値"] == pytest.approx(round(kl, 1))
    # my own reading of the rules
    assert _row(df, "specified_business", "会社全体")["holds"] == (kl >= 1500)
    assert _row(df, "kawasaki_eco_subsidy_energy", "会社全体")["holds"] == (kl < 1500)
    assert not df["基準"].isin([THRESHOLDS["type1_designated_factory"]["label_ja"]]).any()


@pytest.mark.parametrize("kl, type1, type2", [
    (1499.9, False, False), (1500.0, False, True), (1500.1, False, True), (2999.9, False, True),
    (3000.0, True, False), (3000.1, True, False), (200.0, False, False),
])
def test_site_thresholds(kl, type1, type2):
    df = threshold_checks(kl, {"本社工場": kl, "倉庫": 1.0})
    assert _row(df, "type1_designated_factory", "本社工場")["holds"] == type1
    assert _row(df, "type2_designated_factory", "本社工場")["holds"] == type2
    assert not _row(df, "type1_designated_factory", "倉庫")["holds"]
    assert not _row(df, "type2_designated_factory", "倉庫")["holds"]
    assert _holds("type2_designated_factory", kl) == type2


@pytest.mark.parametrize("n, ok", [(0, True), (8, True), (99, True), (100, False), (101, False)])
def test_vehicle_threshold(n, ok):
    df = threshold_checks(260.0, vehicles=n)
    row = _row(df, "kawasaki_eco_subsidy_vehicles", "会社全体")
    assert row["holds"] == ok
    assert row["判定"] == ("要件を満たす" if ok else "要件を満たさない")


def test_threshold_verdicts_and_columns():
    df = threshold_checks(1500.0, {"本社工場": 1600.0})
    assert {"基準", "対象", "値", "単位", "基準値", "判定", "holds", "出典"} <= set(df.columns)
    assert _row(df, "specified_business", "会社全体")["判定"] == "該当する"
    assert _row(df, "kawasaki_eco_subsidy_energy", "会社全体")["判定"] == "要件を満たさない"
    assert "1500" in _row(df, "specified_business", "会社全体")["基準値"]
    assert "3000" in _row(df, "type2_designated_factory", "本社工場")["基準値"]
    assert df["出典"].map(bool).all()
    # no vehicles given → no vehicle check
    assert not (df["基準"] == THRESHOLDS["kawasaki_eco_subsidy_vehicles"]["label_ja"]).any()


# ---------------------------------------------------------------- architecture

def _modules_after(code: str) -> dict:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in " \
                   "('matplotlib', 'ipywidgets', 'matplotlib_fontja', 'IPython'))))"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("MPLBACKEND", None)
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_calculate_imports_no_charts_or_widgets():
    mods = _modules_after("import cnkit.calculate\nimport cnkit.calculate.emissions")
    assert not [m for m in mods if m.split(".")[0] in ("matplotlib", "ipywidgets", "matplotlib_fontja")], mods


def test_import_cnkit_is_light():
    mods = _modules_after("import cnkit\ncnkit.emissions\ncnkit.read_bills\ncnkit.setup_notebook")
    assert not [m for m in mods if m.split(".")[0] in ("matplotlib", "ipywidgets", "matplotlib_fontja")], mods


def test_lazy_attributes_load_on_demand():
    mods = _modules_after("import cnkit\ncnkit.show")
    assert "matplotlib" in mods
    mods = _modules_after("import cnkit\ncnkit.co2_calculator")
    assert "ipywidgets" in mods
