"""CO2, energy (GJ) and crude-oil equivalent (kL) from a tidy activity table.

CO2 [t] = activity [unit] × factor [t-CO2/unit]. Fuel factors come from
``datasets/factors/fuel_factors.csv`` (old set up to FY2022 actuals, revised set from
FY2023), electricity factors from ``electricity_factors.csv`` by supplier and the
fiscal year of the emissions, conversions from ``energy_conversion.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import normalize as nz
from ..errors import CnkitError
from ..reference import conversion, electricity_factors, energies, fuel_factors, thresholds
from ..suppliers import actuals_fy_for

#: electricity factor choices: key → Japanese label
ELECTRICITY_FACTORS = {
    "basic": "基礎排出係数（電力会社別・温対法）",
    "adjusted": "調整後排出係数（電力会社・メニュー別・温対法／マーケット基準）",
    "location": "全国平均係数（ロケーション基準）",
}
_LOCATION_SUPPLIER = "national_average"


def _fuel_rows(actuals_fy: int) -> pd.DataFrame:
    ff = fuel_factors()
    to = ff["actuals_fy_to"].fillna(9999)
    hit = ff[(ff["actuals_fy_from"] <= actuals_fy) & (actuals_fy <= to)]
    if hit.empty:
        raise CnkitError(f"{actuals_fy}年度の燃料の排出係数が datasets/factors/fuel_factors.csv にありません。")
    return hit


def _electricity_row(emissions_fy: int, supplier: str, electricity_factor: str) -> tuple[float, str]:
    if electricity_factor not in ELECTRICITY_FACTORS:
        raise CnkitError(
            f"電力の係数の種類「{electricity_factor}」は使えません。"
            f"{'、'.join(ELECTRICITY_FACTORS)} のどれかを指定してください。"
        )
    ef = electricity_factors()
    if electricity_factor == "location":
        supplier = _LOCATION_SUPPLIER
    rows = ef[(ef["supplier"] == supplier) & (ef["emissions_fy"] == emissions_fy)]
    if rows.empty:
        known = sorted(set(ef.loc[ef["emissions_fy"] == emissions_fy, "supplier"]))
        years = sorted(set(ef["emissions_fy"]))
        raise CnkitError(
            f"{emissions_fy}年度の排出量に使う電力会社「{supplier}」の係数（{actuals_fy_for(emissions_fy)}年度実績）がデータにありません。"
            f"この年度に使える電力会社: {'、'.join(known) or 'なし'}。係数がある年度: {years}。"
            "前年との比較なら factor_fy= で同じ年度の係数を使ってください。"
            "公表された係数を自分で足すときは、利用者の係数ファイルに書きます（python kit.py factors check で検査）。"
        )
    r = rows.iloc[0]
    col = "adjusted_t_per_kwh" if electricity_factor == "adjusted" else "basic_t_per_kwh"
    label = f"{r['supplier_ja']}{'・' + r['menu'] if isinstance(r['menu'], str) and r['menu'] else ''} {r['actuals_fy']}年度実績"
    return float(r[col]), label


def _electricity_gj_per_kwh(actuals_fy: int) -> float:
    # energy_conversion.csv: the national 8.64 GJ/MWh applies to reports from FY2024, i.e. actuals from FY2023
    from ..reference import _csv

    df = _csv("factors", "energy_conversion.csv")
    row = df[df["item"] == "electricity_gj_per_mwh"].iloc[0]
    if actuals_fy < int(row["reports_from_fy"]) - 1:
        raise CnkitError(f"{actuals_fy}年度の電気の換算係数（GJ/MWh）はデータにありません。")
    return float(row["value"]) / 1000.0


def factor_table(emissions_fy: int, supplier: str = "default", electricity_factor: str = "basic", *,
                 electricity: bool = True) -> pd.DataFrame:
    """Factors per energy for one fiscal year: scope, t-CO2 per unit, GJ per unit and where they come from.

    ``electricity=False`` leaves electricity out (fuels only; e.g. a year with no electricity factor)."""
    en = energies()
    fuels = _fuel_rows(emissions_fy).set_index("energy")
    if electricity:
        e_factor, e_label = _electricity_row(emissions_fy, supplier, electricity_factor)
    rows = []
    for code, e in en.iterrows():
        if code == "electricity" and not electricity:
            continue
        if code == "electricity":
            co2, gj, src = e_factor, _electricity_gj_per_kwh(emissions_fy), f"{ELECTRICITY_FACTORS[electricity_factor]}: {e_label}"
        else:
            if code not in fuels.index:
                raise CnkitError(f"{emissions_fy}年度の「{e['name_ja']}」の係数が fuel_factors.csv にありません。")
            f = fuels.loc[code]
            co2, gj, src = float(f["co2_t_per_unit"]), float(f["heat_gj_per_unit"]), f"{f['factor_set']}: {f['source']}"
        rows.append({"energy": code, "energy_ja": e["name_ja"], "unit": e["unit"], "scope": int(e["scope"]),
                     "co2_t_per_unit": co2, "gj_per_unit": gj, "factor_source": src})
    return pd.DataFrame(rows)


def crude_oil_kl(gj):
    """Crude-oil equivalent in kL from energy in GJ (省エネ法: 0.0258 kL/GJ)."""
    return gj * conversion("crude_oil_kl_per_gj")


def emissions(table: pd.DataFrame, supplier: str | Mapping[str, str] = "default", *,
              electricity_factor: str = "basic", factor_fy: int | None = None) -> pd.DataFrame:
    """Add scope, factor, ``co2_t`` [t-CO2], ``gj`` [GJ] and ``crude_kl`` [kL] to a tidy bill table.

    ``supplier`` is an electricity supplier id (see ``electricity_factors.csv``) or a mapping site → id.
    ``factor_fy`` uses the factors of one fiscal year for every row (for a like-for-like comparison
    of two years); by default each row uses the factors of its own fiscal year.
    """
    need = {"site", "energy", "usage", "fiscal_year"}
    if missing := need - set(table.columns):
        raise CnkitError(f"表に列 {sorted(missing)} がありません。read_bills の結果（.table）を渡してください。")
    if electricity_factor not in ELECTRICITY_FACTORS:
        _electricity_row(0, "", electricity_factor)  # raises the Japanese message
    unknown_energy = sorted(set(pd.unique(table["energy"])) - set(energies().index))
    if unknown_energy:
        raise CnkitError(f"エネルギー {unknown_energy} は係数の表にありません。read_bills の結果（.table）を渡してください。")
    added = ["factor_fy", "supplier", "scope", "co2_t_per_unit", "gj_per_unit", "factor_source", "co2_t", "gj", "crude_kl"]
    out = table.drop(columns=[c for c in added if c in table.columns])  # a result can be recomputed
    index = out.index
    out = out.reset_index(drop=True)  # a concatenated table may repeat index labels
    out["factor_fy"] = factor_fy if factor_fy is not None else out["fiscal_year"]
    if isinstance(supplier, Mapping):
        unknown = sorted(set(pd.unique(out["site"])) - set(supplier))
        if unknown:
            raise CnkitError(f"拠点 {unknown} の電力会社が指定されていません。")
        out["supplier"] = out["site"].map(supplier)
    else:
        out["supplier"] = supplier
    # one factor table per (fiscal year, supplier), taken in the order they first appear; then every
    # row looks its factors up by position (no per-group joins: a portfolio of millions of rows is
    # one pass over whole columns)
    fy_code, fys = pd.factorize(out["factor_fy"])
    sup_code, sups = pd.factorize(out["supplier"])
    n_s = max(len(sups), 1)
    combo, combos = pd.factorize(fy_code.astype(np.int64) * n_s + sup_code)
    e_code, codes = pd.factorize(out["energy"])
    n_e = len(codes)
    electric = np.asarray(out["energy"] == "electricity", dtype=float)
    has_electricity = np.bincount(combo, weights=electric, minlength=len(combos)) > 0
    scope = np.zeros(len(combos) * n_e, dtype=np.int64)
    co2 = np.full(len(combos) * n_e, np.nan)
    gj = np.full(len(combos) * n_e, np.nan)
    source = np.full(len(combos) * n_e, None, dtype=object)
    for k, c in enumerate(combos):
        fy, sup = fys[c // n_s], sups[c % n_s]
        ft = factor_table(int(fy), sup, electricity_factor, electricity=bool(has_electricity[k])).set_index("energy")
        pos = ft.index.get_indexer(codes)  # −1: an energy left out of this table (no rows use it)
        have = pos >= 0
        at = k * n_e + np.flatnonzero(have)
        scope[at] = ft["scope"].to_numpy()[pos[have]]
        co2[at] = ft["co2_t_per_unit"].to_numpy()[pos[have]]
        gj[at] = ft["gj_per_unit"].to_numpy()[pos[have]]
        source[at] = ft["factor_source"].to_numpy(dtype=object)[pos[have]]
    row = combo.astype(np.int64) * n_e + e_code
    res = out
    res["scope"] = scope[row]
    res["co2_t_per_unit"] = co2[row]
    res["gj_per_unit"] = gj[row]
    res["factor_source"] = pd.array(source, dtype="str").take(row) if len(row) else pd.array([], dtype="str")
    res["co2_t"] = res["usage"] * res["co2_t_per_unit"]
    res["gj"] = res["usage"] * res["gj_per_unit"]
    res["crude_kl"] = crude_oil_kl(res["gj"])
    res.index = index
    return res


def summary(em: pd.DataFrame, by: str | list[str] = "energy_ja") -> pd.DataFrame:
    """Totals of ``co2_t``, ``gj`` and ``crude_kl`` by the given columns, largest CO2 first."""
    return (em.groupby(by)[["co2_t", "gj", "crude_kl"]].sum()
            .sort_values("co2_t", ascending=False))


def annual_co2(usage: Mapping[str, object], supplier: str = "default", *, electricity_factor: str = "basic",
               emissions_fy: int) -> pd.DataFrame:
    """CO2 of a company from annual totals, as in a 10-minute check.

    ``usage`` maps an energy code to an amount in its base unit (kWh, 千m³, kL, t) or to
    ``(amount, unit)`` with any unit the bill reader accepts (``(14000, "L")``).
    Returns one row per energy with usage, scope, ``co2_t``, ``gj`` and ``crude_kl``.
    """
    en = energies()
    rows = []
    for code, val in usage.items():
        if code not in en.index:
            raise CnkitError(f"エネルギー「{code}」はありません。使えるのは {'、'.join(en.index)} です。")
        name = en.loc[code, "name_ja"]
        amount, unit = val if isinstance(val, tuple) else (val, en.loc[code, "unit"])
        try:
            number = nz.parse_number(amount)
        except ValueError as exc:
            raise CnkitError(f"{name}の使用量「{amount}」: {exc}") from None
        if number < 0:
            raise CnkitError(f"{name}の使用量「{amount}」が負の値です。0 以上を入れてください。")
        try:
            base, mult = nz.parse_unit(unit)
        except ValueError as exc:
            raise CnkitError(f"{name}の単位「{unit}」: {exc}") from None
        if base != en.loc[code, "unit"]:
            raise CnkitError(f"{name}に単位「{unit}」は合いません（{en.loc[code, 'unit']} 系で入れてください）。")
        rows.append({"site": "全社", "energy": code, "energy_ja": name, "usage": number * mult,
                     "unit": base, "fiscal_year": emissions_fy})
    table = pd.DataFrame(rows, columns=["site", "energy", "energy_ja", "usage", "unit", "fiscal_year"])
    cols = ["energy", "energy_ja", "usage", "unit", "scope", "co2_t_per_unit", "co2_t", "gj", "crude_kl"]
    if table.empty:  # same columns as a filled result
        return table.assign(scope=pd.Series(dtype=int), co2_t_per_unit=pd.Series(dtype=float),
                            co2_t=pd.Series(dtype=float), gj=pd.Series(dtype=float),
                            crude_kl=pd.Series(dtype=float))[cols]
    em = emissions(table, supplier, electricity_factor=electricity_factor)
    return em[cols].reset_index(drop=True)


def threshold_checks(company_kl: float, site_kl: Mapping[str, float] | None = None,
                     vehicles: int | None = None) -> pd.DataFrame:
    """Compare crude-oil kL (company and each site) and vehicles with the thresholds in ``thresholds.csv``.

    Returns one row per check with the threshold, the company's value and a Japanese verdict.
    """
    th = thresholds()
    checks = []

    def add(key: str, value: float, target: str) -> None:
        t = th.loc[key]
        holds = value >= t["value"] if t["comparison"] == ">=" else value < t["value"]
        if pd.notna(t["upper_value"]):
            holds = holds and value < t["upper_value"]
        if t["comparison"] == ">=":
            verdict = "該当する" if holds else "該当しない"
        else:
            verdict = "要件を満たす" if holds else "要件を満たさない"
        checks.append({"基準": t["label_ja"], "対象": target, "値": round(float(value), 1), "単位": t["unit"],
                       "基準値": f"{t['comparison'].replace('>=', '≥')} {t['value']:g} {t['unit']}"
                                 + (f"（{t['upper_value']:g} 未満）" if pd.notna(t["upper_value"]) else ""),
                       "判定": verdict, "holds": bool(holds), "出典": t["source"]})

    add("specified_business", company_kl, "会社全体")
    add("ghg_reporting_energy", company_kl, "会社全体")
    for site, kl in (site_kl or {}).items():
        add("type1_designated_factory", kl, site)
        add("type2_designated_factory", kl, site)
    add("kawasaki_eco_subsidy_energy", company_kl, "会社全体")
    if vehicles is not None:
        add("kawasaki_eco_subsidy_vehicles", vehicles, "会社全体")
    return pd.DataFrame(checks)
