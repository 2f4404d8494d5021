"""Read the reference data: energies, factors, conversions, thresholds, prices, companies.

Part of the *read* layer. Every number the calculations use comes from a file in
``datasets/``; this module only loads and checks those files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .errors import CnkitError
from .paths import data_path


@lru_cache(maxsize=None)
def _csv(*parts: str) -> pd.DataFrame:
    path = data_path(*parts)
    df = pd.read_csv(path, dtype={"source": str}, keep_default_na=False, na_values=[""])
    if "source" in df.columns and df["source"].isna().any():
        rows = [int(i) + 2 for i in df.index[df["source"].isna()]]
        raise CnkitError(f"{path.name} の {rows} 行目に出典（source 列）がありません。")
    return df


def _copy(df: pd.DataFrame) -> pd.DataFrame:
    return df.copy()


def energies() -> pd.DataFrame:
    """Energy catalogue: code, Japanese name, aliases, base unit, scope (``factors/energies.csv``)."""
    return _copy(_csv("factors", "energies.csv")).set_index("energy", drop=False)


def fuel_factors() -> pd.DataFrame:
    """Fuel heat values (GJ/unit) and CO2 factors (t-CO2/unit), old and revised sets."""
    return _copy(_csv("factors", "fuel_factors.csv"))


def electricity_factors() -> pd.DataFrame:
    """Electricity factors (t-CO2/kWh) by supplier and menu, keyed by the fiscal year of the actuals.

    The kit's ``factors/electricity_factors.csv`` first, then the user's own rows if there are any
    (:func:`cnkit.suppliers.user_factors_path`, checked like the kit's file by ``kit.py factors check``)."""
    from .suppliers import user_factor_rows

    kit = _csv("factors", "electricity_factors.csv")
    user = user_factor_rows()
    return _copy(kit) if user is None else pd.concat([kit, user], ignore_index=True)


def conversion(item: str) -> float:
    """A conversion value from ``factors/energy_conversion.csv`` (e.g. ``crude_oil_kl_per_gj``)."""
    df = _csv("factors", "energy_conversion.csv")
    hit = df[df["item"] == item]
    if hit.empty:
        raise CnkitError(f"energy_conversion.csv に「{item}」がありません。")
    return float(hit["value"].iloc[0])


def thresholds() -> pd.DataFrame:
    """Legal and programme thresholds (``factors/thresholds.csv``)."""
    return _copy(_csv("factors", "thresholds.csv")).set_index("threshold", drop=False)


def prices() -> pd.DataFrame:
    """Unit prices for cost calculations; ``is_assumption`` marks the course's own assumptions."""
    return _copy(_csv("factors", "prices.csv")).set_index("item", drop=False)


def supplier_choices(emissions_fy: int) -> dict[str, str]:
    """Japanese label → supplier id for the electricity factors usable for ``emissions_fy``."""
    from .suppliers import supplier_table

    df = supplier_table(emissions_fy)
    return {f"{n}（{m}）" if m else n: k for n, m, k in zip(df["supplier_ja"], df["menu"], df["supplier"])}


@dataclass(frozen=True)
class Company:
    """A case company: its profile, equipment list and bill files under ``datasets/companies/<id>/``."""

    company_id: str
    folder: Path
    profile: dict

    @property
    def name(self) -> str:
        return self.profile["name"]

    @property
    def suppliers(self) -> dict[str, str]:
        """Site → electricity supplier id."""
        return {s["site"]: s["electricity_supplier"] for s in self.profile["sites"]}

    def bill_files(self) -> list[Path]:
        """The company's bill files (xlsx and csv whose name starts with ``bills``)."""
        return sorted(p for p in self.folder.iterdir() if p.name.startswith("bills") and p.suffix in {".csv", ".xlsx"})

    def bills(self):
        """Read all bill files of the company into one tidy table (see :func:`cnkit.read_bills`)."""
        from .read import read_bills

        return read_bills(self.bill_files())

    def equipment(self) -> pd.DataFrame:
        """The equipment/process list."""
        return pd.read_csv(self.folder / "equipment.csv")


def load_company(company_id: str) -> Company:
    """Load a case company, e.g. ``load_company("a_sha")``."""
    import yaml

    folder = data_path("companies", company_id)
    with open(folder / "profile.yml", encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    return Company(company_id, folder, profile)


def programme_value(programme: str, item: str) -> float:
    """A number from ``finance/programmes.csv`` (loan, certification and initiative rules)."""
    df = _csv("finance", "programmes.csv")
    hit = df[(df["programme"] == programme) & (df["item"] == item)]
    if hit.empty:
        raise CnkitError(f"finance/programmes.csv に「{programme} / {item}」がありません。")
    return float(hit["value"].iloc[0])


# --- notebook 01 (知る) and 09: self-check sheet, stages, support menus, policy, Scope 3 --------
def self_check_items() -> pd.DataFrame:
    """The 11 items of the J-Net21 CN self-check sheet, rewritten, each with its stage (``support/self_check_sheet.csv``)."""
    return _copy(_csv("support", "self_check_sheet.csv")).set_index("item", drop=False)


def stages() -> pd.DataFrame:
    """The four KiduCO2-style stages 知る → 測る → 減らす → 備える, in order, with the next step (``support/stages.csv``)."""
    return _copy(_csv("support", "stages.csv")).sort_values("order").set_index("stage", drop=False)


def support_menus() -> pd.DataFrame:
    """Support menus (seminars, calculation support, audits, subsidies, loans…) with the stage they fit (``support/support_menus.csv``)."""
    return _copy(_csv("support", "support_menus.csv"))


def scope3_categories() -> pd.DataFrame:
    """The 15 Scope 3 categories (GHG Protocol; MOE/METI basic guideline) (``support/scope3_categories.csv``)."""
    return _copy(_csv("support", "scope3_categories.csv")).set_index("category", drop=False)


def policy_targets() -> pd.DataFrame:
    """Climate targets and policy dates (Paris, Japan 2030/2035/2040/2050, GX-ETS, fossil-fuel levy) (``policy/targets.csv``)."""
    df = _copy(_csv("policy", "targets.csv"))
    for column in ("base_year", "target_year"):  # years stay whole numbers next to blanks
        df[column] = df[column].astype("Int64")
    return df.set_index("target_id", drop=False)


def sme_survey() -> pd.DataFrame:
    """Survey facts on why SMEs hold back on decarbonisation, with the survey named (``policy/sme_survey.csv``)."""
    return _copy(_csv("policy", "sme_survey.csv")).set_index("fact_id", drop=False)
