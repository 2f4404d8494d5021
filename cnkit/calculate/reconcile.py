"""Equipment estimates and their reconciliation with the bills (notebook 03).

Meters seldom show what each machine uses, so the use by equipment is estimated from the
equipment list (J-Net21 self-check item 3: 用途別の使用量は計算による推計か用途別の計量で求める):

- electricity [kWh] = rated power [kW/unit] × units × operating hours [h/year] × load factor;
- fuels [base unit] = fuel rate [m³/h, L/h, kg/h per unit] × units × hours × load factor,
  converted to the energy's base unit (千m³, kL, t) with :func:`cnkit.normalize.parse_unit`.

CO2 and GJ come from :func:`cnkit.emissions`, so the estimates use exactly the factors of the
bills. The estimates never add up exactly to the bills: :func:`reconcile` shows the gap and
the unexplained share, (billed − estimated) ÷ billed, per energy (or per site × energy).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from .. import normalize as nz
from ..errors import CnkitError
from ..reference import energies
from .emissions import emissions

#: columns an equipment list needs (datasets/companies/<id>/equipment.csv)
EQUIPMENT_COLUMNS = ["site", "equipment", "process", "energy", "rated_kw", "fuel_rate", "fuel_rate_unit",
                     "units", "hours_per_year", "load_factor"]
_PER_HOUR = ("/h", "/hr", "/時", "/時間", "毎時")


def _where(row) -> str:
    return f"{row['site']}の「{row['equipment']}」"


def _number(row, column: str, label: str, *, upper: float | None = None) -> float:
    v = row[column]
    try:
        x = nz.parse_number(v)
    except ValueError:
        raise CnkitError(f"{_where(row)}: {label}（{column}）の値「{v}」が数値ではありません。") from None
    if x < 0:
        raise CnkitError(f"{_where(row)}: {label}（{column}）が負の値（{x:g}）です。0 以上にしてください。")
    if upper is not None and x > upper:
        raise CnkitError(f"{_where(row)}: {label}（{column}）が {x:g} です。{upper:g} 以下の割合で入れてください（60% なら 0.6）。")
    return x


def _rate_unit(row, base_unit: str) -> float:
    """Multiplier from the fuel-rate unit per hour (``L/h``) to the energy's base unit per hour."""
    text = row["fuel_rate_unit"]
    if not isinstance(text, str) or not text.strip():
        raise CnkitError(f"{_where(row)}: 燃料消費率の単位（fuel_rate_unit）が空です（例: L/h、m³/h、kg/h）。")
    unit = nz.nfkc(text)
    for suffix in _PER_HOUR:
        if unit.endswith(suffix):
            unit = unit[: -len(suffix)]
            break
    else:
        raise CnkitError(f"{_where(row)}: 燃料消費率の単位「{text}」は1時間あたりで書いてください（例: L/h、m³/h、kg/h）。")
    try:
        base, mult = nz.parse_unit(unit)
    except ValueError as exc:
        raise CnkitError(f"{_where(row)}: 燃料消費率の単位「{text}」: {exc}") from None
    if base != base_unit:
        raise CnkitError(f"{_where(row)}: 燃料消費率の単位「{text}」はこのエネルギーに合いません（{base_unit} 系の単位で書いてください）。")
    return mult


def equipment_estimates(equipment: pd.DataFrame, supplier: str | Mapping[str, str] = "default", *,
                        emissions_fy: int, electricity_factor: str = "basic") -> pd.DataFrame:
    """Estimated annual use, CO2 and GJ of every item of an equipment list.

    ``equipment`` has the columns of ``equipment.csv`` (:data:`EQUIPMENT_COLUMNS`). Returns a copy
    with ``energy_ja``, ``unit`` (the base unit), ``usage`` (estimated amount in the base unit:
    kWh, 千m³, kL or t), ``scope``, ``co2_t_per_unit``, ``gj_per_unit``, ``co2_t`` [t-CO2],
    ``gj`` [GJ] and ``crude_kl`` [kL], computed with the factors of ``emissions_fy`` and the
    electricity ``supplier`` (an id or a mapping site → id), as :func:`cnkit.emissions` does.
    """
    if not isinstance(equipment, pd.DataFrame):
        raise CnkitError(f"設備リストは表（DataFrame）で渡してください（渡されたもの: {type(equipment).__name__} 型）。")
    if missing := [c for c in EQUIPMENT_COLUMNS if c not in equipment.columns]:
        raise CnkitError(f"設備リストに列 {missing} がありません。load_company(...).equipment() の表を渡してください。")
    if equipment.empty:
        raise CnkitError("設備リストが空です。設備を1行以上入れてください。")
    en = energies()
    usage, units_out = [], []
    for _, row in equipment.iterrows():
        code = row["energy"]
        if code not in en.index:
            raise CnkitError(f"{_where(row)}: エネルギー「{code}」は係数の表にありません。使えるのは {'、'.join(en.index)} です。")
        base_unit = en.loc[code, "unit"]
        n = _number(row, "units", "台数")
        hours = _number(row, "hours_per_year", "年間運転時間")
        load = _number(row, "load_factor", "負荷率", upper=1.0)
        if code == "electricity":
            rate = _number(row, "rated_kw", "定格消費電力（kW）")
            mult = 1.0  # kW × h = kWh, the base unit of electricity
        else:
            rate = _number(row, "fuel_rate", "燃料消費率")
            mult = _rate_unit(row, base_unit)
        amount = rate * mult * n * hours * load
        if not math.isfinite(amount):
            raise CnkitError(f"{_where(row)}: 推計した使用量が数値になりません。")
        usage.append(amount)
        units_out.append(base_unit)
    table = equipment.copy()
    table["energy_ja"] = table["energy"].map(en["name_ja"])
    table["unit"] = units_out
    table["usage"] = usage
    table["fiscal_year"] = emissions_fy
    return emissions(table, supplier, electricity_factor=electricity_factor, factor_fy=emissions_fy)


def one_fiscal_year(em: pd.DataFrame, fiscal_year: int | None, what: str = "請求書の表") -> pd.DataFrame:
    """The rows of one fiscal year; without ``fiscal_year`` the table must hold only one year."""
    if "fiscal_year" not in em.columns:
        raise CnkitError(f"{what}に列 fiscal_year（年度）がありません。cnkit.emissions の結果を渡してください。")
    years = sorted(set(em["fiscal_year"]))
    if fiscal_year is None:
        if len(years) != 1:
            raise CnkitError(f"{what}に複数の年度 {years} があります。fiscal_year= で年度を1つ指定するか、"
                             "1年度分の行に絞ってから渡してください。")
        return em
    out = em[em["fiscal_year"] == fiscal_year]
    if out.empty:
        raise CnkitError(f"{what}に{fiscal_year}年度の行がありません（ある年度: {years}）。")
    return out


def reconcile(em: pd.DataFrame, estimates: pd.DataFrame, *, by_site: bool = False,
              fiscal_year: int | None = None) -> pd.DataFrame:
    """Billed against estimated use, per energy (``by_site=True``: per site × energy).

    ``em`` is the result of :func:`cnkit.emissions` on the bills (one fiscal year, or pass
    ``fiscal_year``); ``estimates`` the result of :func:`equipment_estimates`. Returns a table
    indexed by ``energy_ja`` (or ``site``, ``energy_ja``), largest billed CO2 first, with

    - ``energy``, ``unit``: energy code and base unit (kWh, 千m³, kL, t);
    - ``billed``, ``estimated``: annual use in the base unit, from the bills and the equipment list;
    - ``gap`` = billed − estimated (positive: use the list does not explain);
    - ``unexplained_share`` = gap ÷ billed (a fraction; negative when the list estimates more than
      was billed; NaN when nothing was billed);
    - ``billed_co2_t``, ``estimated_co2_t``, ``gap_co2_t``: the same in t-CO2.
    """
    for name, df, cols in (("請求書の表", em, ["site", "energy", "usage", "co2_t"]),
                           ("設備の推計", estimates, ["site", "energy", "usage", "co2_t"])):
        if not isinstance(df, pd.DataFrame):
            raise CnkitError(f"{name}は表（DataFrame）で渡してください（渡されたもの: {type(df).__name__} 型）。")
        if missing := [c for c in cols if c not in df.columns]:
            hint = "cnkit.emissions" if name == "請求書の表" else "equipment_estimates"
            raise CnkitError(f"{name}に列 {missing} がありません。{hint} の結果を渡してください。")
    em = one_fiscal_year(em, fiscal_year)
    keys = ["site", "energy"] if by_site else ["energy"]
    billed = em.groupby(keys)[["usage", "co2_t"]].sum()
    est = estimates.groupby(keys)[["usage", "co2_t"]].sum()
    out = billed.add_suffix("_billed").join(est.add_suffix("_est"), how="outer").fillna(0.0)
    out = pd.DataFrame({
        "billed": out["usage_billed"], "estimated": out["usage_est"],
        "billed_co2_t": out["co2_t_billed"], "estimated_co2_t": out["co2_t_est"],
    })
    out["gap"] = out["billed"] - out["estimated"]
    out["unexplained_share"] = (out["gap"] / out["billed"].where(out["billed"] > 0)).astype(float)
    out["gap_co2_t"] = out["billed_co2_t"] - out["estimated_co2_t"]
    out = out.reset_index()
    en = energies()
    if unknown := sorted(set(out["energy"]) - set(en.index)):
        raise CnkitError(f"エネルギー {unknown} は係数の表にありません。")
    out["energy_ja"] = out["energy"].map(en["name_ja"])
    out["unit"] = out["energy"].map(en["unit"])
    out = out.sort_values(["billed_co2_t", "energy"], ascending=[False, True], kind="stable")
    index = ["site", "energy_ja"] if by_site else ["energy_ja"]
    cols = ["energy", "unit", "billed", "estimated", "gap", "unexplained_share",
            "billed_co2_t", "estimated_co2_t", "gap_co2_t"]
    return out.set_index(index)[cols]
