"""Policy targets as numbers to plot and compare (notebook 01). Pure functions on pandas objects."""

from __future__ import annotations

import pandas as pd

from ..errors import CnkitError
from ..reference import policy_targets

#: the rows of ``policy/targets.csv`` that make Japan's path (reduction % against FY2013)
JAPAN_PATH = ("japan_2030", "japan_2035", "japan_2040", "japan_2050")


def national_path(targets: pd.DataFrame | None = None, ids=JAPAN_PATH) -> pd.Series:
    """Japan's emissions path as % of the base year (FY2013 = 100), by fiscal year.

    Each target row gives a reduction in % against its base year; the path is 100 at the base
    year and 100 − reduction at each target year (e.g. 2030 → 54).
    """
    t = policy_targets() if targets is None else targets
    rows = t.set_index("target_id", drop=False).reindex(list(ids))
    missing = [i for i, ok in zip(ids, rows["target_id"].notna()) if not ok]
    if missing:
        raise CnkitError(f"policy/targets.csv に {missing} の行がありません。")
    bases = set(rows["base_year"])
    if len(bases) != 1:
        raise CnkitError(f"目標の基準年度がそろっていません（{sorted(bases)}）。同じ基準年度の目標だけを並べます。")
    base = int(bases.pop())
    path = {base: 100.0}
    for r in rows.itertuples():
        path[int(r.target_year)] = 100.0 - float(r.value)
    out = pd.Series(path, name="基準年度比（%）").sort_index()
    out.index.name = "年度"
    return out
