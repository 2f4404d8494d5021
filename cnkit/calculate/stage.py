"""Stage diagnosis from the 11-item CN self-check sheet (notebook 01, and 09).

A pure function: 11 yes/no answers in, a KiduCO2-style stage out — 知る → 測る → 減らす → 備える —
with the items that decided it, the next step and the support menus that fit. The items, the
stage each belongs to, the stages and the menus are data (``datasets/support/``), with sources.

The rule (also in :func:`diagnose_stage`):

* every item of the sheet belongs to one stage (``self_check_sheet.csv``, column ``stage``):
  general context — government policy, other SMEs' cases, subsidies exist (No.5–7) → 知る;
  the company's own numbers — monthly use by energy, CO2, use by purpose (No.1–3) → 測る;
  the means of reducing — energy audit, own renewables, buying renewable power, fuel switch,
  certificates (No.4, 8–11) → 減らす;
* the stage is the **first** stage, in the order of ``stages.csv`` (知る → 測る → 減らす → 備える),
  that has an item answered no (False);
* when every item is answered yes, the stage is the last one, 備える (the sheet has no items of
  its own for it: the company has done what the sheet asks and goes on to prepare).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import CnkitError
from ..reference import self_check_items, stages, support_menus

@dataclass(frozen=True)
class StageResult:
    """The result of :func:`diagnose_stage` (Japanese texts for the trainee)."""

    stage: str                          #: 知る / 測る / 減らす / 備える
    deciding_items: tuple[int, ...]     #: items of ``stage`` answered no (empty when all are yes)
    reason: str                         #: why this stage, naming the deciding items
    next_step: str                      #: what the conversation should lead to next
    menus: tuple[str, ...]              #: fitting support menus, "名前 — 提供元（費用）"
    menu_ids: tuple[str, ...]           #: their ``menu_id`` in ``support_menus.csv``
    answers: Mapping[int, bool]         #: the answers as checked, item → bool
    all_yes: bool                       #: True when all 11 items are yes

    def __str__(self) -> str:
        lines = [f"段階: {self.stage}", f"理由: {self.reason}", f"次の一歩: {self.next_step}", "合う支援メニュー:"]
        lines += [f"・{m}" for m in self.menus]
        return "\n".join(lines)


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _as_item_number(key, numbers: list[int]) -> int:
    if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)):
        raise CnkitError(f"項目番号 {key!r} は使えません。項目番号は 1〜{len(numbers)} の整数です。")
    if int(key) not in numbers:
        raise CnkitError(f"項目番号 {int(key)} はセルフチェックシートにありません（1〜{len(numbers)} の整数です）。")
    return int(key)


def check_answers(answers, numbers: Sequence[int] | None = None) -> dict[int, bool]:
    """Validate the answers and return them as ``item number → bool``.

    ``answers`` is a mapping item number → True/False (a pandas Series indexed by item number also
    works) or a list/tuple of bools in item order (No.1 first). Raises :class:`CnkitError` with a
    Japanese message naming the item and the value for a wrong length, an unknown or missing item
    number, or a value that is not True/False.
    """
    numbers = list(numbers) if numbers is not None else [int(i) for i in self_check_items()["item"]]
    n = len(numbers)
    if isinstance(answers, pd.Series):
        answers = answers.to_dict()
    if isinstance(answers, Mapping):
        pairs = [(_as_item_number(k, numbers), v) for k, v in answers.items()]
        missing = sorted(set(numbers) - {k for k, _ in pairs})
        if missing:
            raise CnkitError(f"項目 {'・'.join(f'No.{m}' for m in missing)} の答えがありません。"
                             f"{n}項目すべてに True（はい）か False（いいえ）を入れてください。")
    elif isinstance(answers, (list, tuple)):
        if len(answers) != n:
            raise CnkitError(f"答えの数が {len(answers)} 個です。セルフチェックシートの {n} 項目ぶん、"
                             f"No.1 から順に True（はい）か False（いいえ）を入れてください。")
        pairs = list(zip(numbers, answers, strict=True))
    else:
        raise CnkitError(f"答えは、項目番号 → True/False の辞書（例: {{1: True, 2: False, …}}）か、"
                         f"{n}個の True/False のリストで渡してください（渡されたもの: {type(answers).__name__} 型）。")
    out = {}
    for item, value in pairs:
        if not _is_bool(value):
            raise CnkitError(f"No.{item} の答え {value!r} は True/False ではありません。"
                             "「はい」なら True、「いいえ」なら False を、引用符なしで入れてください。")
        out[item] = bool(value)
    return dict(sorted(out.items()))


def _menus_for(stage: str, regions: Iterable[str] | None) -> pd.DataFrame:
    menus = support_menus()
    menus = menus[menus["stage"] == stage]
    if regions is not None:
        wanted = {"全国", *([regions] if isinstance(regions, str) else regions)}
        menus = menus[menus["region"].isin(wanted)]
    return menus


def diagnose_stage(answers, regions: Iterable[str] | str | None = None) -> StageResult:
    """The client's stage from the 11 yes/no answers of the CN self-check sheet.

    **Rule.** Each item belongs to one stage (``datasets/support/self_check_sheet.csv``): No.5–7
    (policy, cases, subsidies) → 知る; No.1–3 (monthly use, CO2, use by purpose) → 測る; No.4 and
    No.8–11 (energy audit, renewables, fuel switch, certificates) → 減らす. The stage is the first
    stage, in the order 知る → 測る → 減らす → 備える (``stages.csv``), with an item answered no;
    the items of that stage answered no are the ``deciding_items``. When all 11 are yes the stage
    is 備える (``all_yes`` is True).

    ``answers``: a mapping item number (1–11) → True/False, or a list of 11 bools (No.1 first).
    ``regions``: keep only the menus for these regions (e.g. ``["川崎市", "神奈川県"]``) and 全国;
    ``None`` (the default) keeps every menu. The next step and the menus come from
    ``stages.csv`` and ``support_menus.csv``.
    """
    groups, topics, next_steps = _sheet()
    checked = check_answers(answers, sorted(topics))
    stage, deciding, done = groups[-1][0], (), []
    for name, in_stage in groups:
        no = tuple(i for i in in_stage if not checked[i])
        if no:
            stage, deciding = name, no
            break
        if in_stage:
            done.append((name, in_stage))
    if deciding:
        before = "".join(f"「{name}」の項目（{'・'.join(f'No.{i}' for i in nums)}）はすべて「はい」です。"
                         for name, nums in done)
        listed = "・".join(f"No.{i}（{topics[i]}）" for i in deciding)
        reason = f"{before}「{stage}」の項目のうち {listed}が「いいえ」なので、「{stage}」の段階です。"
    else:
        reason = (f"{len(checked)}項目すべてが「はい」です（{'・'.join(name for name, _ in done)}の項目がそろっています）。"
                  f"次は「{stage}」の段階です。")
    menus = _menus_for(stage, regions)
    labels = tuple(f"{r.menu_ja} — {r.provider_ja}（{r.cost_ja}）" for r in menus.itertuples())
    return StageResult(
        stage=stage, deciding_items=deciding, reason=reason, next_step=next_steps[stage],
        menus=labels, menu_ids=tuple(menus["menu_id"]), answers=checked, all_yes=not deciding,
    )


@lru_cache(maxsize=1)
def _sheet() -> tuple[tuple[tuple[str, tuple[int, ...]], ...], dict[int, str], dict[str, str]]:
    """(stage → its items, in stage order), item → topic, stage → next step; read once per session."""
    items, table = self_check_items(), stages()
    order = list(table["stage"])
    unknown = sorted(set(items["stage"]) - set(order))
    if unknown:  # a data error, not the trainee's
        raise CnkitError(f"self_check_sheet.csv の段階 {unknown} が stages.csv にありません。")
    groups = tuple((name, tuple(int(i) for i in items.loc[items["stage"] == name, "item"])) for name in order)
    topics = {int(i): str(t) for i, t in zip(items["item"], items["topic_ja"])}
    next_steps = {str(k): str(v) for k, v in zip(table["stage"], table["next_step_ja"])}
    return groups, topics, next_steps


def stage_items() -> dict[str, list[int]]:
    """Stage → its item numbers on the sheet, in the order of ``stages.csv`` (備える has none)."""
    return {name: list(nums) for name, nums in _sheet()[0]}
