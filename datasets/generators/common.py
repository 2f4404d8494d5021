"""Helpers shared by the case-company generators (datasets/generators/<company>.py).

The pieces both generators use: reading the factor files, unit prices and CO2 factors,
fiscal-year months, the equipment frame, the monthly spreading of annual usage with
largest-remainder rounding, billing periods, charges, the equipment.csv writer and a
byte-deterministic xlsx writer. Each company's generator passes its own story (supplier, base
year, meter days, noise, profiles) as arguments.

Everything random is drawn from ``random.Random`` seeded with a string (seed plus a fixed label),
so a generator gives the same bytes on every run and every machine.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

DATASETS = Path(__file__).resolve().parents[1]
FACTORS = DATASETS / "factors"

FIXED_TIMESTAMP = dt.datetime(2026, 4, 1, 0, 0, 0)  # xlsx properties
ZIP_DATE_TIME = (2026, 4, 1, 0, 0, 0)  # xlsx zip member dates

EQUIPMENT_COLUMNS = ["site", "equipment", "process", "energy", "rated_kw", "fuel_rate", "fuel_rate_unit",
                     "units", "hours_per_year", "load_factor", "season", "note"]

# Bill unit per energy (what the generators count in) and its size in the energy's base unit
# (energies.csv: kWh, 千m³, kL, t).
BILL_UNIT = {
    "electricity": ("kWh", 1.0),
    "city_gas": ("m³", 0.001),
    "a_heavy_oil": ("L", 0.001),
    "kerosene": ("L", 0.001),
    "lpg": ("kg", 0.001),
    "gasoline": ("L", 0.001),
    "diesel": ("L", 0.001),
}
FUEL_RATE_UNIT = {"city_gas": "m³/h", "a_heavy_oil": "L/h", "kerosene": "L/h", "lpg": "kg/h",
                  "gasoline": "L/h", "diesel": "L/h"}
UNIT_SIZE = {  # size of a unit in the bill unit of its energy (kWh, m³, L, kg)
    "kWh": 1.0, "MWh": 1000.0, "m³": 1.0, "千m³": 1000.0, "L": 1.0, "kL": 1000.0, "kg": 1.0, "t": 1000.0,
}


# ---------------------------------------------------------------------------------------------
# Facts read from datasets/factors/
def read_factors() -> dict:
    """energies.csv (indexed by code), prices.csv, fuel_factors.csv and electricity_factors.csv."""
    energies = pd.read_csv(FACTORS / "energies.csv", dtype=str, keep_default_na=False)
    prices = pd.read_csv(FACTORS / "prices.csv", keep_default_na=False)
    fuel = pd.read_csv(FACTORS / "fuel_factors.csv", keep_default_na=False)
    elec = pd.read_csv(FACTORS / "electricity_factors.csv", keep_default_na=False)
    conversion = pd.read_csv(FACTORS / "energy_conversion.csv", keep_default_na=False)
    return {"energies": energies.set_index("energy"), "prices": prices, "fuel": fuel, "elec": elec,
            "conversion": conversion}


def unit_price_per_bill_unit(factors: dict, energy: str) -> float:
    """Yen per bill unit (kWh, m³, L, kg) from prices.csv.

    The price row of an energy is the one whose ``item`` is the energy code, or
    ``electricity_all_in`` for electricity (the other electricity rows are surcharges).
    """
    prices = factors["prices"]
    item = "electricity_all_in" if energy == "electricity" else energy
    row = prices[(prices["item"] == item) & (prices["energy"] == energy)]
    if len(row) != 1:
        raise ValueError(f"prices.csv: expected one row for {item}, found {len(row)}")
    value = float(row["value"].iloc[0])
    unit = row["unit"].iloc[0]
    yen, _, per = unit.partition("/")
    if yen != "円" or per not in UNIT_SIZE:
        raise ValueError(f"prices.csv: unsupported price unit {unit!r}")
    return value / UNIT_SIZE[per]


def co2_factor_per_base_unit(factors: dict, energy: str, supplier: str, emissions_fy: int) -> float:
    """t-CO2 per base unit (kWh for electricity; 千m³, kL, t for fuels): the revised fuel factors
    and the basic factor of ``supplier`` for ``emissions_fy`` (electricity_factors.csv)."""
    if energy == "electricity":
        elec = factors["elec"]
        row = elec[(elec["supplier"] == supplier) & (elec["emissions_fy"].astype(int) == emissions_fy)]
        if len(row) != 1:
            raise ValueError(f"electricity_factors.csv: no single row for {supplier} FY{emissions_fy}")
        return float(row["basic_t_per_kwh"].iloc[0])
    fuel = factors["fuel"]
    row = fuel[(fuel["factor_set"] == "revised") & (fuel["energy"] == energy)]
    return float(row["co2_t_per_unit"].iloc[0])


def gj_per_base_unit(factors: dict, energy: str) -> float:
    """GJ per base unit: electricity from energy_conversion.csv (GJ/MWh → GJ/kWh), fuels the
    revised heat values of fuel_factors.csv."""
    if energy == "electricity":
        conv = factors["conversion"]
        return float(conv.loc[conv["item"] == "electricity_gj_per_mwh", "value"].iloc[0]) / 1000.0
    fuel = factors["fuel"]
    row = fuel[(fuel["factor_set"] == "revised") & (fuel["energy"] == energy)]
    return float(row["heat_gj_per_unit"].iloc[0])


def crude_oil_kl_per_gj(factors: dict) -> float:
    conv = factors["conversion"]
    return float(conv.loc[conv["item"] == "crude_oil_kl_per_gj", "value"].iloc[0])


# ---------------------------------------------------------------------------------------------
# Calendar
def fy_months(fy: int) -> list[tuple[int, int]]:
    """(year, month) of the fiscal year ``fy``, April → March."""
    return [(fy, m) for m in range(4, 13)] + [(fy + 1, m) for m in range(1, 4)]


def reiwa(year: int) -> int:
    """令和 year of a Western year (2025 → 7)."""
    return year - 2018


def fiscal_year(y: int, m: int) -> int:
    return y if m >= 4 else y - 1


def billing_period(meter_day: int | None, y: int, m: int) -> tuple[dt.date, dt.date]:
    """Billing period of the bill for (y, m): from the meter day to the day before it in the next
    month, or the calendar month when ``meter_day`` is None (delivered fuels) or 1."""
    if meter_day is None or meter_day == 1:
        return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return dt.date(y, m, meter_day), dt.date(ny, nm, meter_day) - dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Equipment and usage
def equipment_frame(equipment: list[tuple], profiles: dict) -> pd.DataFrame:
    """The equipment list as a frame with ``estimate`` = per-unit rate × units × hours × load, in the
    bill unit (kWh, m³, L, kg). Rows: (site, equipment, process, energy, rated_kw, fuel_rate,
    units, hours_per_year, load_factor, season, note)."""
    rows = []
    for site, name, process, energy, kw, rate, units, hours, load, season, note in equipment:
        if season not in profiles:
            raise ValueError(f"unknown season {season!r} for {name}")
        electric = energy == "electricity"
        if electric != (kw is not None) or electric == (rate is not None):
            raise ValueError(f"{name}: electric items need rated_kw, fuel items fuel_rate")
        per_unit = kw if electric else rate
        rows.append({
            "site": site,
            "equipment": name,
            "process": process,
            "energy": energy,
            "rated_kw": kw,
            "fuel_rate": rate,
            "fuel_rate_unit": "" if electric else FUEL_RATE_UNIT[energy],
            "units": units,
            "hours_per_year": hours,
            "load_factor": load,
            "season": season,
            "note": note,
            "estimate": per_unit * units * hours * load,
        })
    return pd.DataFrame(rows)


def largest_remainder(values: list[float], total: int) -> list[int]:
    """Round non-negative values to integers that add up to ``total``."""
    scale = total / sum(values) if sum(values) else 0.0
    exact = [v * scale for v in values]
    floors = [int(x) for x in exact]
    rest = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:rest]:
        floors[i] += 1
    return floors


def monthly_usage(equipment: pd.DataFrame, profiles: dict, unexplained: dict, ratios: dict, *,
                  seed: int, base_fy: int, comparison_fy: int, noise: float) -> dict:
    """{(site, energy): {fy: {(y, m): usage in bill unit}}}, the true values (before any quirk).

    The FY``base_fy`` annual amount is the equipment estimate of the site × energy divided by
    (1 − unexplained share); FY``comparison_fy`` is that times ``ratios[(site, energy)]``. Each
    year is spread over its months by the items' seasonal profiles times (1 ± ``noise``), then
    rounded with :func:`largest_remainder` so that the months add up to the annual amount.
    """
    out = {}
    for (site, energy), share in unexplained.items():
        items = equipment[(equipment["site"] == site) & (equipment["energy"] == energy)]
        if items.empty:
            raise ValueError(f"no equipment for {site} {energy}")
        shape = [0.0] * 12
        for _, item in items.iterrows():
            profile = profiles[item["season"]]
            norm = sum(profile)
            for i in range(12):
                shape[i] += item["estimate"] * profile[i] / norm
        annual_base = round(items["estimate"].sum() / (1 - share))
        annual = {base_fy: annual_base, comparison_fy: round(annual_base * ratios[(site, energy)])}
        out[(site, energy)] = {}
        for fy in (comparison_fy, base_fy):
            rng = random.Random(f"{seed}:usage:{site}:{energy}:{fy}")
            noisy = [s * (1 + rng.uniform(-noise, noise)) for s in shape]
            values = largest_remainder(noisy, annual[fy])
            out[(site, energy)][fy] = dict(zip(fy_months(fy), values))
    return out


def charge_yen(rng: random.Random, price: float, usage: float, basic: int, noise: float) -> int:
    """usage × unit price + monthly basic charge, × (1 ± noise), rounded to yen; 0 for no usage."""
    if usage == 0:
        return 0
    return round((usage * price + basic) * (1 + rng.uniform(-noise, noise)))


# ---------------------------------------------------------------------------------------------
# Writers
def write_equipment_csv(path: Path, equipment: pd.DataFrame) -> None:
    """equipment.csv: UTF-8 without BOM, LF, the columns of EQUIPMENT_COLUMNS."""
    def num(x) -> str:
        return "" if x is None or pd.isna(x) else f"{x:g}"

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EQUIPMENT_COLUMNS)
    for _, r in equipment.iterrows():
        writer.writerow([r["site"], r["equipment"], r["process"], r["energy"], num(r["rated_kw"]),
                         num(r["fuel_rate"]), r["fuel_rate_unit"], int(r["units"]), int(r["hours_per_year"]),
                         num(r["load_factor"]), r["season"], r["note"]])
    path.write_bytes(out.getvalue().encode("utf-8"))


def save_workbook_deterministic(wb: Workbook, path: Path, creator: str, title: str) -> None:
    """Save an openpyxl workbook so that the same workbook gives the same bytes: fixed document
    properties and fixed zip member dates and attributes (openpyxl's save_workbook would stamp
    "modified" with the current time)."""
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator
    wb.properties.title = title
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    path.write_bytes(out.getvalue())
