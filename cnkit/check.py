"""Visible self-checks for notebook exercises.

A check says in Japanese what is wrong with an answer — its type, its shape, its unit or
order of magnitude — without giving the value away. It raises :class:`CheckFailed` when
something is wrong (so nbgrader counts the test as failed) and prints a short OK line
otherwise. The exact value is checked by hidden tests.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from .errors import CheckFailed

OK = "✅ {name}: 形式と大きさはOKです（正しい値かどうかは採点で確かめます）。"


def _fail(name: str, text: str) -> None:
    raise CheckFailed(f"「{name}」を見直してください: {text}")


def _as_number(value, name: str) -> float:
    if value is Ellipsis or value is None:
        _fail(name, "まだ値が入っていません。… や None を計算結果に置き換えてください。")
    if isinstance(value, (bool, np.bool_)):
        _fail(name, "True/False ではなく数値で答えてください。")
    if isinstance(value, str):
        _fail(name, "文字列（\" \" で囲んだもの）になっています。引用符を外して数値で答えてください。")
    if isinstance(value, (pd.Series, pd.DataFrame)):
        _fail(name, "表や列のままです。1つの数値にしてください（合計なら .sum() を付けます）。")
    if isinstance(value, (list, tuple, dict, set)):
        _fail(name, "複数の値が入っています。1つの数値にしてください。")
    if not isinstance(value, numbers.Real):
        _fail(name, f"数値ではありません（{type(value).__name__} 型）。")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        _fail(name, "計算結果が数値になっていません（NaN または無限大）。空欄や0での割り算がないか確かめてください。")
    return value


def number(value, name: str, unit: str, low: float, high: float, *, hint: str = "") -> None:
    """Check that ``value`` is one number of the right order of magnitude for ``unit``.

    ``low``–``high`` is a wide plausibility range (not the answer). When the value is about
    1,000 times off, the message points to a unit mix-up (kg ↔ t, kWh ↔ MWh, L ↔ kL).
    """
    v = _as_number(value, name)
    if v < 0:
        _fail(name, "負の値になっています。引き算の順番や符号を確かめてください。")
    if not low <= v <= high:
        if low <= v / 1000 <= high:
            _fail(name, f"桁が大きすぎます（約1000倍）。単位は {unit} ですか？ kg と t、kWh と MWh、L と kL を取り違えていないか確かめてください。")
        if low <= v * 1000 <= high:
            _fail(name, f"桁が小さすぎます（約1000分の1）。単位は {unit} ですか？ t と kg、MWh と kWh、kL と L を取り違えていないか確かめてください。")
        side = "小さすぎます" if v < low else "大きすぎます"
        _fail(name, f"値が{side}（{unit} で考えると桁が合いません）。{hint}".rstrip())
    print(OK.format(name=name))


def share(value, name: str) -> None:
    """Check a share given as a fraction between 0 and 1 (not a percentage)."""
    v = _as_number(value, name)
    if 1 < v <= 100:
        _fail(name, "百分率（%）になっています。0〜1 の割合で答えてください（例: 25% → 0.25）。")
    if not 0 <= v <= 1:
        _fail(name, "割合は 0 以上 1 以下です。")
    print(OK.format(name=name))


def flag(value, name: str) -> None:
    """Check a yes/no answer given as True or False."""
    if value is Ellipsis or value is None:
        _fail(name, "まだ値が入っていません。True か False を入れてください。")
    if isinstance(value, str):
        _fail(name, "文字列になっています。引用符なしの True か False で答えてください。")
    if not isinstance(value, (bool, np.bool_)):  # pandas/numpy comparisons give numpy.bool_
        _fail(name, "True か False で答えてください。")
    print(f"✅ {name}: True/False の形で答えています（正誤は採点で確かめます）。")


def _one_of(value, name: str, options: list) -> None:
    if value is Ellipsis or value is None:
        _fail(name, f"まだ値が入っていません。{'、'.join(map(str, options))} のどれかを入れてください。")
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray, list, tuple, dict, set)):
        _fail(name, f"複数の値が入っています。{'、'.join(map(str, options))} のどれか1つを入れてください。")
    if value not in options:
        _fail(name, f"「{value}」は選択肢にありません。{'、'.join(map(str, options))} のどれかを、文字どおりに入れてください。")


def choice(value, name: str, options) -> None:
    """Check that ``value`` is one of ``options`` (e.g. a stage or a category name)."""
    _one_of(value, name, list(options))
    print(f"✅ {name}: 選択肢の中から答えています（正誤は採点で確かめます）。")


def choices(answers, name: str, options, keys=None) -> None:
    """Check several answers at once, each one of ``options``; one OK line for all of them.

    With ``keys``: ``answers`` is a dict with an answer for every key (e.g. activity 1–12 → Scope).
    Without: ``answers`` is a non-empty list of answers (e.g. the names of the vital few processes).
    The first wrong item is named (``name[key]`` or ``name（value）``)."""
    options = list(options)
    if keys is not None:
        keys = list(keys)
        if answers is Ellipsis or answers is None:
            _fail(name, "まだ値が入っていません。{番号: 答え, …} の辞書の形で答えてください。")
        if not isinstance(answers, dict):
            _fail(name, "{番号: 答え, …} の辞書の形で答えてください（{ } で囲み、番号と答えを : でつなぎます）。")
        missing = [k for k in keys if k not in answers]
        if missing:
            _fail(name, f"番号 {'、'.join(map(str, missing))} の答えがありません（{len(keys)}件すべてに答えます）。")
        for k in keys:
            _one_of(answers[k], f"{name}[{k}]", options)
        print(f"✅ {name}: {len(keys)}件すべて、選択肢の中から答えています（正誤は採点で確かめます）。")
        return
    if answers is Ellipsis or answers is None:
        _fail(name, "まだ値が入っていません。[\"答え1\", \"答え2\"] の形のリストで答えてください。")
    if isinstance(answers, (str, dict)) or not isinstance(answers, (list, tuple, set, pd.Index)) or len(answers) == 0:
        _fail(name, "[\"答え1\", \"答え2\"] の形のリストで答えてください（1つ以上）。")
    for value in answers:
        _one_of(value, f"{name}（{value}）", options)
    print(f"✅ {name}: {len(answers)}件とも選択肢の中から答えています（正誤は採点で確かめます）。")


def series(value, name: str, index, unit: str, low: float, high: float) -> None:
    """Check a pandas Series answer: its labels are ``index`` (any order) and each value is plausible."""
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        _fail(name, "1列の表（DataFrame）になっています。列を1つ選んで Series にしてください（例: 表[\"co2_t\"]）。")
    if not isinstance(value, pd.Series):
        _fail(name, "pandas の Series（ラベル付きの数値の列）で答えてください。groupby(...)[列].sum() の形です。")
    want, got = set(index), set(value.index)
    if got != want:
        missing, extra = sorted(want - got), sorted(got - want)
        text = ""
        if missing:
            text += f"足りないラベル: {missing}。"
        if extra:
            text += f"余分なラベル: {extra}。"
        _fail(name, "ラベルが合いません。" + text + " groupby に使う列を確かめてください。")
    if not pd.api.types.is_numeric_dtype(value) or pd.api.types.is_bool_dtype(value):
        _fail(name, "数値の Series ではありません。数値の列を選んで集計してください。")
    if value.isna().any():
        _fail(name, "空の値（NaN）が含まれています。")
    bad = [k for k, v in value.items() if not (low <= float(v) <= high)]
    if bad:
        _fail(name, f"{bad} の値の桁が {unit} として合いません。単位と合計の取り方を確かめてください。")
    print(OK.format(name=name))


def rate(value, name: str) -> None:
    """Check a rate of change given as a fraction (−0.05 = 5 % decrease), not a percentage."""
    v = _as_number(value, name)
    if 1 < abs(v) <= 100:
        _fail(name, "百分率（%）になっています。割合で答えてください（例: 3% 減 → -0.03）。")
    if not -1 <= v <= 1:
        _fail(name, "増減率は -1 から 1 の間の割合で答えます（(今年度 − 前年度) ÷ 前年度）。")
    print(OK.format(name=name))
