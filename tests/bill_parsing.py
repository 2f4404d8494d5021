"""A small bill parser for the dataset tests, deliberately independent of cnkit's reader.

It knows the quirks the case-company generators put in: NFKC for full-width text, the written
units, ¥/円 and thousands separators, energy aliases from energies.csv, 訂正 rows replacing the bill
of the same site, energy and month. Each test module reads its own files and months (the
company-specific quirks) and hands the cells to :func:`bills_frame`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

FACTORS = Path(__file__).resolve().parents[1] / "datasets" / "factors"

# Written units (after NFKC and lower-casing) → (energies they may belong to, factor to the base unit)
UNITS = {
    "kwh": ({"electricity"}, 1.0), "mwh": ({"electricity"}, 1000.0),
    "m3": ({"city_gas"}, 0.001), "千m3": ({"city_gas"}, 1.0),
    "l": ({"a_heavy_oil", "kerosene", "gasoline", "diesel"}, 0.001),
    "kl": ({"a_heavy_oil", "kerosene", "gasoline", "diesel"}, 1.0),
    "kg": ({"lpg"}, 0.001), "t": ({"lpg"}, 1.0),
}
RATE_UNITS = {"m³/h": 0.001, "L/h": 0.001, "kg/h": 0.001}  # per-hour rate → base unit (千m³, kL, t)


def nfkc(value) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_number(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return float(nfkc(value).replace(",", "").replace("¥", "").replace("円", "").replace(" ", ""))


def energy_aliases() -> dict[str, str]:
    energies = pd.read_csv(FACTORS / "energies.csv", dtype=str, keep_default_na=False)
    out = {}
    for _, row in energies.iterrows():
        for name in [row["energy"], row["name_ja"], *row["aliases_ja"].split("|")]:
            out[nfkc(name).lower()] = row["energy"]
    return out


def bills_frame(records, parse_month) -> pd.DataFrame:
    """One row per bill after corrections: site, energy, year, month, fy, amount (base unit).

    ``records``: dicts of the bill columns (拠点, エネルギー, 使用月, 使用量, 単位, 区分);
    ``parse_month``: the company's month cell → (year, month)."""
    aliases = energy_aliases()
    rows = []
    for cell in records:
        energy = aliases[nfkc(cell["エネルギー"]).lower()]
        energies, factor = UNITS[nfkc(cell["単位"]).lower()]
        assert energy in energies, (energy, cell["単位"])
        y, m = parse_month(cell["使用月"])
        rows.append({"site": nfkc(cell["拠点"]), "energy": energy, "year": y, "month": m,
                     "fy": y if m >= 4 else y - 1, "amount": parse_number(cell["使用量"]) * factor,
                     "corrected": nfkc(cell["区分"]) == "訂正"})
    bills = pd.DataFrame(rows)
    key = ["site", "energy", "year", "month"]
    corrected = bills[bills["corrected"]].set_index(key).index
    is_replaced = bills.set_index(key).index.isin(corrected) & ~bills["corrected"].to_numpy()
    return bills[~is_replaced].drop(columns="corrected").reset_index(drop=True)


def equipment_estimates(folder: Path) -> pd.DataFrame:
    """equipment.csv of a company with its annual estimate in the energy's base unit."""
    eq = pd.read_csv(folder / "equipment.csv", keep_default_na=False)

    def estimate(r) -> float:
        hours = r["units"] * r["hours_per_year"] * r["load_factor"]
        if r["energy"] == "electricity":
            assert r["rated_kw"] != "" and r["fuel_rate"] == ""
            return float(r["rated_kw"]) * hours
        assert r["rated_kw"] == "" and r["fuel_rate"] != ""
        return float(r["fuel_rate"]) * hours * RATE_UNITS[r["fuel_rate_unit"]]

    return eq.assign(estimate=eq.apply(estimate, axis=1))
