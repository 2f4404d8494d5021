"""Helpers shared by the case-company generators (datasets/generators/<company>.py).

The pieces both generators use: reading the factor files, unit prices and CO2 factors,
fiscal-year months, the equipment frame, the monthly spreading of annual usage with
largest-remainder rounding, the bill rows (billing periods, charges, the corrected bill), the
summary each story is checked against, the equipment.csv writer and a byte-deterministic xlsx
writer. Each company's generator passes its own story (supplier, base
year, meter days, noise, profiles) as arguments.

Everything random is drawn from ``random.Random`` seeded with a string (seed plus a fixed label),
so a generator gives the same bytes on every run and every machine.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
import random
import sys
import zipfile
from pathlib import Path

import pandas as pd
import yaml
from openpyxl import Workbook
from openpyxl.styles import Font
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


def build_bills(factors: dict, usage: dict, *, seed: int, fiscal_years, sites, energies, meter_day: dict,
                basic_charge_yen: dict, charge_noise: float, correction: dict) -> tuple[list[dict], list[dict]]:
    """(electricity rows, fuel rows) with numeric values, before each company's text quirks.

    Rows run month by month, sites and energies in the given order, each with its billing period
    and charge. Then the corrected bill: the row of ``correction["month"]`` is overstated by
    ``correction["overstatement"]`` (the bill as first issued) and a 訂正 row with the true value is
    listed after the bills of ``correction["issued_after"]`` in the file of its energy.
    """
    rows = []
    for fy in fiscal_years:
        for (y, m) in fy_months(fy):
            for site in sites:
                for energy in energies:
                    if (site, energy) not in usage:
                        continue
                    start, end = billing_period(meter_day.get((site, energy)), y, m)
                    rows.append({"site": site, "energy": energy, "y": y, "m": m, "fy": fy, "start": start,
                                 "end": end, "usage": usage[(site, energy)][fy][(y, m)], "charge": None,
                                 "kind": "", "note": ""})

    def with_charge(row: dict, label: str) -> dict:
        rng = random.Random(f"{seed}:charge:{row['site']}:{row['energy']}:{row['y']}-{row['m']:02d}{label}")
        price = unit_price_per_bill_unit(factors, row["energy"])
        basic = basic_charge_yen.get((row["site"], row["energy"]), 0)
        return {**row, "charge": charge_yen(rng, price, row["usage"], basic, charge_noise)}

    rows = [with_charge(row, "") for row in rows]
    key = (correction["site"], correction["energy"], *correction["month"])
    index = next(i for i, r in enumerate(rows) if (r["site"], r["energy"], r["y"], r["m"]) == key)
    true_row = rows[index]
    wrong = round(true_row["usage"] * (1 + correction["overstatement"]))
    rows[index] = with_charge({**true_row, "usage": wrong}, ":original")
    corrected = with_charge({**true_row, "kind": "訂正", "note": correction["note"]}, ":corrected")
    electricity = [r for r in rows if r["energy"] == "electricity"]
    fuel = [r for r in rows if r["energy"] != "electricity"]
    same_file = electricity if correction["energy"] == "electricity" else fuel
    after = max(i for i, r in enumerate(same_file) if (r["y"], r["m"]) == correction["issued_after"])
    same_file.insert(after + 1, corrected)
    return electricity, fuel


def summarise(factors: dict, equipment: pd.DataFrame, usage: dict, *, fiscal_years, base_fy: int,
              energies, supplier: str) -> dict:
    """Totals per energy and per site × energy (base units), CO2 (t) and crude-oil kL per year (the
    ``base_fy`` factors for every year), the share of each energy the equipment does not explain,
    and the CO2 Pareto of the equipment estimates — what each generator checks its story against."""
    co2 = {e: co2_factor_per_base_unit(factors, e, supplier, base_fy) for e in energies}
    gj = {e: gj_per_base_unit(factors, e) for e in energies}
    kl_per_gj = crude_oil_kl_per_gj(factors)
    totals = {fy: {} for fy in fiscal_years}
    site_totals = {fy: {} for fy in fiscal_years}
    for (site, energy), by_fy in usage.items():
        size = BILL_UNIT[energy][1]
        for fy in fiscal_years:
            amount = sum(by_fy[fy].values()) * size
            totals[fy][energy] = totals[fy].get(energy, 0.0) + amount
            site_totals[fy][(site, energy)] = amount
    co2_t = {fy: {e: totals[fy][e] * co2[e] for e in totals[fy]} for fy in fiscal_years}
    crude_kl = {fy: sum(totals[fy][e] * gj[e] for e in totals[fy]) * kl_per_gj for fy in fiscal_years}
    est = equipment.assign(base=equipment["estimate"] * equipment["energy"].map(lambda e: BILL_UNIT[e][1]))
    est_energy = est.groupby("energy")["base"].sum()
    unexplained = {e: (totals[base_fy][e] - est_energy[e]) / totals[base_fy][e] for e in est_energy.index}
    est["co2_t"] = est["base"] * est["energy"].map(co2)
    pareto = est.groupby("process")["co2_t"].sum().sort_values(ascending=False)
    return {"totals": totals, "site_totals": site_totals, "co2_t": co2_t, "crude_kl": crude_kl,
            "unexplained": unexplained, "pareto": pareto}


def story_problems(summary: dict, *, targets: dict, tolerance: float, base_fy: int, comparison_fy: int,
                   ratio_range: tuple, unexplained_range: tuple, pareto_order: tuple) -> list[str]:
    """What every company's story requires of :func:`summarise`'s figures (each generator adds its own):
    the ``base_fy`` totals within ``tolerance`` of ``targets`` (an energy or a (site, energy)), each
    energy's ``comparison_fy`` / ``base_fy`` ratio in ``ratio_range``, the unexplained shares in
    ``unexplained_range`` and the processes of the Pareto in the order ``pareto_order``."""
    problems = []
    totals = summary["totals"]
    for key, target in targets.items():
        got = summary["site_totals"][base_fy][key] if isinstance(key, tuple) else totals[base_fy][key]
        if abs(got / target - 1) > tolerance:
            problems.append(f"FY{base_fy} {key}: {got:g} vs target {target:g}")
    for energy, value in totals[base_fy].items():
        ratio = totals[comparison_fy][energy] / value
        if not ratio_range[0] <= ratio <= ratio_range[1]:
            problems.append(f"FY{comparison_fy}/FY{base_fy} {energy}: {ratio:.3f}")
    for energy, share in summary["unexplained"].items():
        if not unexplained_range[0] <= share <= unexplained_range[1]:
            problems.append(f"unexplained {energy}: {share:.3%}")
    pareto = summary["pareto"]
    if tuple(pareto.index[: len(pareto_order)]) != tuple(pareto_order):
        problems.append(f"Pareto order: {list(pareto.index)}")
    return problems


def print_summary(summary: dict, *, fiscal_years, base_fy: int, energies, supplier: str, units: dict) -> None:
    """Print :func:`summarise`'s figures (for the one who tunes a story); ``units``: energy →
    (unit shown, scale from the base unit)."""
    for fy in fiscal_years:
        co2 = summary["co2_t"][fy]
        print(f"FY{fy} totals (CO2 with the FY{base_fy} factors, electricity {supplier})")
        for energy in energies:
            unit, scale = units[energy]
            print(f"  {energy:12s} {summary['totals'][fy][energy] * scale:10.3f} {unit:4s} {co2[energy]:8.1f} t-CO2")
        for (site, energy), value in summary["site_totals"][fy].items():
            unit, scale = units[energy]
            print(f"    {site} {energy}: {value * scale:.3f} {unit}")
        scope1 = sum(v for e, v in co2.items() if e != "electricity")
        print(f"  total {sum(co2.values()):.1f} t-CO2 (Scope 1 {scope1:.1f}, Scope 2 {co2['electricity']:.1f}); "
              f"crude oil {summary['crude_kl'][fy]:.1f} kL")
    print(f"unexplained share (FY{base_fy})")
    for energy, share in summary["unexplained"].items():
        print(f"  {energy:12s} {share:.2%}")
    pareto = summary["pareto"]
    cum = pareto.cumsum() / pareto.sum()
    print("estimated CO2 by process (t, cumulative %)")
    for process, value in pareto.items():
        print(f"  {process:14s} {value:7.1f} {cum[process]:7.1%}")


def write_dataset(out_dir: Path, *, company: str, problems: list[str], show_summary, verbose: bool,
                  profile: dict, equipment: pd.DataFrame, write_bills, readme: str) -> None:
    """Stop if the story check found ``problems``; else write a company's folder: profile.yml,
    equipment.csv, the bill files (``write_bills(out_dir)``, the company's own formats) and README.md.
    ``show_summary()`` prints the figures when ``verbose`` (and before stopping)."""
    if problems:
        if verbose:
            show_summary()
        raise SystemExit(f"{company} story check failed:\n  " + "\n  ".join(problems))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "profile.yml").write_text(
        yaml.safe_dump(profile, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000),
        encoding="utf-8")
    write_equipment_csv(out_dir / "equipment.csv", equipment)
    write_bills(out_dir)
    (out_dir / "README.md").write_text(readme, encoding="utf-8")
    if verbose:
        show_summary()


# ---------------------------------------------------------------------------------------------
# Writers
#: the columns of every bill file (as cnkit.read_bills expects them; datasets/BILL_FORMAT.md)
BILL_HEADER = ["拠点", "エネルギー", "使用月", "検針開始日", "検針終了日", "使用量", "単位", "請求金額（円）", "区分", "備考"]


def bills_sheet(sheet_title: str):
    """A new workbook whose sheet has the bold bill header; returns (workbook, sheet)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    ws.append(BILL_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    return wb, ws


def save_bills_sheet(wb: Workbook, ws, path: Path, widths, *, creator: str, title: str) -> None:
    """Column widths (A, B, …), the header row frozen, then :func:`save_workbook_deterministic`."""
    for col, width in zip("ABCDEFGHIJ", widths):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    save_workbook_deterministic(wb, path, creator=creator, title=title)


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


def main(argv: list[str] | None, *, company: str, default_out: Path, generate) -> int:
    """The command line of a generator: ``--out`` (default ``default_out``) and ``--quiet``."""
    parser = argparse.ArgumentParser(description=f"Generate the {company} dataset (deterministic).")
    parser.add_argument("--out", type=Path, default=default_out, help=f"output folder (default {default_out})")
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = parser.parse_args(argv)
    generate(args.out, verbose=not args.quiet)
    print(f"written: {args.out}", file=sys.stderr)
    return 0
