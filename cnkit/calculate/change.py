"""Year-on-year change of the electricity CO2, split into what the factor did and what the usage did (02, 10).

CO2 = usage × factor, so from year 0 to year 1

    ΔCO2 = (u1 − u0) × (f0 + f1) / 2   ← usage effect (使用量の変化の分)
         + (f1 − f0) × (u0 + u1) / 2   ← factor effect (係数の変化の分)

Each effect is weighted by the average of the other quantity, so the two add up to the change exactly
and neither year is favoured. A client can then be told how much of the change was its own savings
and how much the supplier's factor.
"""

from __future__ import annotations

import pandas as pd

from ..errors import CnkitError
from ..suppliers import actuals_fy_for
from .emissions import factor_table

#: the rows of :func:`decompose_change`, in order, with their Japanese labels
CHANGE_LABELS = {
    "co2_before_t": "前の年度のCO2",
    "co2_after_t": "後の年度のCO2",
    "change_t": "増減",
    "usage_effect_t": "うち使用量の変化の分",
    "factor_effect_t": "うち係数の変化の分",
}


def decompose_change(usage_before: float, factor_before: float, usage_after: float, factor_after: float) -> pd.Series:
    """CO2 before and after [t-CO2], the change and its usage and factor parts (they add up to the change).

    ``usage`` in kWh, ``factor`` in t-CO2/kWh (any unit pair whose product is t-CO2)."""
    u0, f0, u1, f1 = (float(x) for x in (usage_before, factor_before, usage_after, factor_after))
    if min(u0, f0, u1, f1) < 0:
        raise CnkitError("使用量と排出係数は 0 以上の値にしてください。")
    return pd.Series({
        "co2_before_t": u0 * f0,
        "co2_after_t": u1 * f1,
        "change_t": u1 * f1 - u0 * f0,
        "usage_effect_t": (u1 - u0) * (f0 + f1) / 2,
        "factor_effect_t": (f1 - f0) * (u0 + u1) / 2,
    })


def electricity_change(table: pd.DataFrame, supplier: str, before_fy: int, after_fy: int,
                       electricity_factor: str = "basic") -> pd.DataFrame:
    """The electricity CO2 of two fiscal years of a tidy bill table, **each year with its own factor**
    (a FY2024 bill with the FY2023 actuals' factor), and the change split into usage and factor.

    Returns one row per item of :data:`CHANGE_LABELS` (``項目``, ``t_co2``) plus the kWh and the factors
    used, so the table can be shown to a client as it is."""
    elec = table[table["energy"] == "electricity"]
    rows = {}
    for fy in (before_fy, after_fy):
        kwh = float(elec.loc[elec["fiscal_year"] == fy, "usage"].sum())
        if kwh == 0:
            raise CnkitError(f"{fy}年度の電力の使用量（kWh）が表にありません。")
        ft = factor_table(fy, supplier, electricity_factor).set_index("energy")
        rows[fy] = (kwh, float(ft.loc["electricity", "co2_t_per_unit"]), ft.loc["electricity", "factor_source"])
    (u0, f0, s0), (u1, f1, s1) = rows[before_fy], rows[after_fy]
    parts = decompose_change(u0, f0, u1, f1)
    out = pd.DataFrame({"項目": [CHANGE_LABELS[k] for k in parts.index], "t_co2": parts.to_numpy()}, index=parts.index)
    out.attrs.update({"kwh": {before_fy: u0, after_fy: u1}, "factor": {before_fy: f0, after_fy: f1},
                      "factor_source": {before_fy: s0, after_fy: s1},
                      "actuals_fy": {before_fy: actuals_fy_for(before_fy), after_fy: actuals_fy_for(after_fy)}})
    return out
