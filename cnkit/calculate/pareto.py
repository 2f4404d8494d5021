"""Pareto analysis: which few items make up most of the total (notebook 03).

A Pareto table sorts items by value, largest first, and adds each item's share of the total
and the cumulative share. The "vital few" (重点項目) are the items needed to reach a threshold
of the total — by the usual Pareto rule of thumb, 80 %. Pure functions on pandas objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import CnkitError

#: the "80 %" of the Pareto rule of thumb: a few items often make up about 80 % of a total.
#: A convention for choosing where to look first (not a law or a legal threshold).
PARETO_THRESHOLD = 0.8
#: floating-point slack when comparing a cumulative share with the threshold (0.7 + 0.1 < 0.8 in binary)
_EPS = 1e-9


def _label(key) -> str:
    return "・".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _as_series(values) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise CnkitError("パレート図には、ラベル付きの数値の列（Series）を1つ渡してください。"
                             f"表（DataFrame、{values.shape[1]}列）になっています。例: 表.groupby(\"process\")[\"co2_t\"].sum()")
        values = values.iloc[:, 0]
    if isinstance(values, Mapping):
        values = pd.Series(dict(values), dtype=object)
    if not isinstance(values, pd.Series):
        raise CnkitError(f"パレート図には、ラベル付きの数値の列（Series）を渡してください（渡されたもの: {type(values).__name__} 型）。")
    return values


def pareto_table(values, threshold: float = PARETO_THRESHOLD) -> pd.DataFrame:
    """Pareto table of ``values`` (a Series: label → a number ≥ 0, e.g. t-CO2 by process).

    Returns a DataFrame indexed by the labels, largest value first (equal values in label order,
    so the result never depends on the input order; zeros come last), with the columns

    - ``value``: the value,
    - ``share``: value ÷ total (0–1),
    - ``cumulative_share``: running sum of ``share`` from the top (the last row is 1),
    - ``vital_few``: True for the items needed to reach ``threshold`` — the shortest run from the
      top whose cumulative share is ≥ ``threshold``.

    ``threshold`` is a fraction (0 < threshold ≤ 1); the default :data:`PARETO_THRESHOLD` (0.8) is
    the "80 %" of the Pareto rule of thumb, a convention for choosing where to look first. It is
    kept in ``result.attrs["threshold"]`` for the chart.

    Raises :class:`CnkitError` (Japanese message) for an empty series, a value that is not a
    number, NaN, a negative value (naming the item and the value), repeated labels, or a total of 0.
    """
    values = _as_series(values)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise CnkitError(f"しきい値 threshold は 0 より大きく 1 以下の割合で指定します（80% なら 0.8）。入力: {threshold!r}")
    if values.empty:
        raise CnkitError("値が1つもありません。集計した表（Series）が空でないか確かめてください。")
    if values.index.has_duplicates:
        dup = sorted({_label(k) for k in values.index[values.index.duplicated()]})
        raise CnkitError(f"同じラベルが複数あります: {dup}。groupby(...).sum() でラベルごとに合計してから渡してください。")
    numbers = []
    for key, v in values.items():
        if isinstance(v, (bool, np.bool_)) or not pd.api.types.is_number(v):
            raise CnkitError(f"「{_label(key)}」の値 {v!r} は数値ではありません。")
        v = float(v)
        if math.isnan(v):
            raise CnkitError(f"「{_label(key)}」の値が空（NaN）です。空欄を埋めるか、その行を除いてから集計してください。")
        if math.isinf(v):
            raise CnkitError(f"「{_label(key)}」の値が無限大です。0 で割っていないか確かめてください。")
        if v < 0:
            raise CnkitError(f"「{_label(key)}」の値が負（{v:g}）です。パレート図には 0 以上の値（排出量や使用量）を使います。")
        numbers.append((key, v))
    total = sum(v for _, v in numbers)
    if total == 0:
        raise CnkitError("値がすべて 0 です。合計が 0 なので割合を計算できません。")

    numbers.sort(key=lambda kv: (-kv[1], str(kv[0])))  # largest first; ties in label order
    keys = [k for k, _ in numbers]
    index = pd.MultiIndex.from_tuples(keys, names=values.index.names) if isinstance(values.index, pd.MultiIndex) \
        else pd.Index(keys, name=values.index.name)
    out = pd.DataFrame({"value": [v for _, v in numbers]}, index=index)
    out["share"] = out["value"] / total
    out["cumulative_share"] = out["value"].cumsum() / total
    reached = (out["cumulative_share"] >= threshold - _EPS).to_numpy()
    first = int(reached.argmax())  # the last row is 1 ≥ threshold, so some row reaches it
    out["vital_few"] = [i <= first for i in range(len(out))]
    out.attrs["threshold"] = float(threshold)
    return out


def vital_few(values, threshold: float = PARETO_THRESHOLD) -> list:
    """The labels of the vital few (see :func:`pareto_table`), largest first."""
    table = pareto_table(values, threshold)
    return list(table.index[table["vital_few"]])
