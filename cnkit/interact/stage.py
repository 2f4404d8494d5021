"""The self-check sheet of notebook 01: 11 checkboxes → stage, reason, next step and support menus."""

from __future__ import annotations

import html

import ipywidgets as w

from ..calculate.stage import StageResult, check_answers, diagnose_stage
from ..errors import CnkitError
from ..reference import self_check_items, stages
from .common import grading, inert, message

_STAGE_COLOURS = {"知る": "#56B4E9", "測る": "#009E73", "減らす": "#E69F00", "備える": "#CC79A7"}


def _steps_html(current: str) -> str:
    """知る → 測る → 減らす → 備える, the current stage highlighted."""
    parts = []
    for name in stages()["stage"]:
        colour = _STAGE_COLOURS.get(name, "#999999")
        if name == current:
            style = f"background:{colour};color:#000;font-weight:bold;border:2px solid #000"
        else:
            style = "background:#f2f2f2;color:#777;border:1px solid #ccc"
        parts.append(f"<span style='{style};padding:3px 12px;border-radius:12px'>{html.escape(name)}</span>")
    return " → ".join(parts)


def result_html(res: StageResult) -> str:
    """The diagnosis as HTML: the four steps, the reason, the next step and the menus."""
    menus = "".join(f"<li>{html.escape(m)}</li>" for m in res.menus) or "<li>（この地域に合うメニューはデータにありません）</li>"
    return (
        f"<div style='margin:4px 0 8px 0'>{_steps_html(res.stage)}</div>"
        f"<p><b>いまの段階: {html.escape(res.stage)}</b></p>"
        f"<p><b>理由:</b> {html.escape(res.reason)}</p>"
        f"<p><b>次の一歩:</b> {html.escape(res.next_step)}</p>"
        f"<p><b>合う支援メニュー:</b></p><ul style='margin-top:0'>{menus}</ul>"
    )


class SelfCheckSheet(w.VBox):
    """The 11-item CN self-check sheet: tick what applies; the stage and the advice update live."""

    def __init__(self, answers=None, regions=None):
        items = self_check_items()
        start = {int(i): False for i in items["item"]}
        if answers is not None:
            start = check_answers(answers, list(start))
        self.regions = regions
        self.boxes: dict[int, w.Checkbox] = {}
        rows = []
        for r in items.itertuples():
            box = w.Checkbox(value=start[int(r.item)], indent=False,
                             description=f"No.{r.item} {r.question_ja}", tooltip=r.hint_ja,
                             layout=w.Layout(width="auto"))
            box.observe(self._update, names="value")
            self.boxes[int(r.item)] = box
            rows.append(box)
        self.result = w.HTML()
        head = w.HTML("<b>カーボンニュートラル セルフチェックシート（11項目）</b> — "
                      "取引先に当てはまる項目にチェックを入れてください（チェックあり = はい）。")
        super().__init__([head, *rows, self.result])
        self._update()

    def answers(self) -> dict[int, bool]:
        """The ticks as ``item number → True/False`` (the input of :func:`cnkit.diagnose_stage`)."""
        return {item: bool(box.value) for item, box in self.boxes.items()}

    def diagnose(self) -> StageResult:
        """The diagnosis for the current ticks."""
        return diagnose_stage(self.answers(), regions=self.regions)

    def _update(self, change=None) -> None:
        try:
            self.result.value = result_html(self.diagnose())
        except CnkitError as exc:
            self.result.value = message(str(exc))


def self_check_sheet(answers=None, regions=None):
    """The self-check sheet widget of notebook 01 (inert while nbgrader grades).

    ``answers`` ticks boxes at the start (same forms as :func:`cnkit.diagnose_stage`); ``regions``
    limits the menus to these regions and 全国 (e.g. ``["川崎市", "神奈川県"]``).
    """
    if grading():
        return inert("セルフチェックシート")
    return SelfCheckSheet(answers, regions)
