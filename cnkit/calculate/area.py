"""CO2 as an area: activity × intensity (notebook 03).

For each energy, CO2 [t-CO2] = energy used [GJ] × CO2 per GJ [t-CO2/GJ]. Drawn as a rectangle,
the width is the activity and the height the intensity, so the area is the CO2. The two ways
to shrink the area are the two levers of reduction:

- use less energy (省エネ) → the rectangle gets narrower;
- lower the CO2 per unit of energy (排出係数の低減: a cleaner electricity menu, another fuel) →
  the rectangle gets lower.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..errors import CnkitError
from ..reference import energies
from .reconcile import one_fiscal_year


def _levers(levers: Mapping | None, what: str, known: dict[str, str]) -> dict[str, float]:
    """energy (code or Japanese name) → fraction, as energy_ja → fraction."""
    out: dict[str, float] = {}
    for key, v in (levers or {}).items():
        name = known.get(key, key if key in known.values() else None)
        if name is None:
            raise CnkitError(f"{what}: エネルギー「{key}」はこの表にありません。使えるのは {'、'.join(known.values())} です。")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise CnkitError(f"{what}: 「{name}」の値 {v!r} は 0〜1 の割合で入れてください（20% 減らすなら 0.2）。")
        out[name] = float(v)
    return out


def co2_area(em: pd.DataFrame, *, less: Mapping | None = None, lower: Mapping | None = None,
             fiscal_year: int | None = None) -> pd.DataFrame:
    """Activity (GJ), intensity (t-CO2/GJ) and CO2 (t-CO2) per energy, before and after two levers.

    ``em``: :func:`cnkit.emissions` of one fiscal year (or pass ``fiscal_year``).
    ``less``: energy → fraction of its energy use avoided (0.1 = 10 % less GJ);
    ``lower``: energy → fraction by which its CO2 per GJ is lowered (0.5 = half the factor).
    Energies are given by code (``"electricity"``) or Japanese name (``"電力"``).

    Returns one row per energy (index ``energy_ja``, largest CO2 first) with ``gj``,
    ``intensity_t_per_gj``, ``co2_t``, ``gj_after``, ``intensity_after``, ``co2_after`` and
    ``co2_saved`` (= ``co2_t`` − ``co2_after``). Energies with no use are left out.
    """
    if not isinstance(em, pd.DataFrame):
        raise CnkitError(f"排出量の表（DataFrame）を渡してください（渡されたもの: {type(em).__name__} 型）。")
    if missing := [c for c in ("energy", "gj", "co2_t") if c not in em.columns]:
        raise CnkitError(f"表に列 {missing} がありません。cnkit.emissions の結果を渡してください。")
    em = one_fiscal_year(em, fiscal_year)
    en = energies()
    t = em.groupby("energy")[["gj", "co2_t"]].sum()
    t = t[t["gj"] > 0]
    if t.empty:
        raise CnkitError("エネルギーの使用量（GJ）が 0 より大きい行がありません。")
    known = {code: en.loc[code, "name_ja"] for code in t.index}
    less_f = _levers(less, "使用量を減らす割合（less）", known)
    lower_f = _levers(lower, "排出係数を下げる割合（lower）", known)
    t.index = [known[c] for c in t.index]
    t.index.name = "energy_ja"
    t["intensity_t_per_gj"] = t["co2_t"] / t["gj"]
    t["gj_after"] = t["gj"] * (1 - t.index.map(lambda n: less_f.get(n, 0.0)))
    t["intensity_after"] = t["intensity_t_per_gj"] * (1 - t.index.map(lambda n: lower_f.get(n, 0.0)))
    t["co2_after"] = t["gj_after"] * t["intensity_after"]
    t["co2_saved"] = t["co2_t"] - t["co2_after"]
    t = t.sort_values("co2_t", ascending=False, kind="stable")
    return t[["gj", "intensity_t_per_gj", "co2_t", "gj_after", "intensity_after", "co2_after", "co2_saved"]]
