"""The SLL calculator of notebook 08: loan, term and rate step-down → interest saved, against a conventional SLL."""

from __future__ import annotations

import html

import ipywidgets as w

from ..calculate.finance import interest_saved, sll_fee_comparison
from ..errors import CnkitError
from .common import grading, inert, message


class SLLCalculator(w.VBox):
    """Loan (万円), years, step-down (%pt) and repayment → interest saved, next to a conventional SLL's costs."""

    def __init__(self, principal_yen: float = 30_000_000, years: int = 5, step_down: float = 0.001):
        self.principal = w.BoundedFloatText(value=principal_yen / 10_000, min=0, max=10_000_000, step=100,
                                            description="融資額（万円）", style={"description_width": "130px"})
        self.years = w.BoundedIntText(value=years, min=1, max=30, description="期間（年）", style={"description_width": "130px"})
        self.step = w.BoundedFloatText(value=step_down * 100, min=0, max=9.99, step=0.05,
                                       description="引き下げ幅（%pt）", style={"description_width": "130px"})
        self.repayment = w.Dropdown(options=[("元金均等（毎年同じ額を返す）", "equal_principal"),
                                             ("期日一括（最後にまとめて返す）", "bullet")],
                                    description="返済方法", style={"description_width": "130px"},
                                    layout=w.Layout(width="420px"))
        self.result = w.HTML()
        for box in (self.principal, self.years, self.step, self.repayment):
            box.observe(self._update, names="value")
        super().__init__([w.HTML("<b>SLL 金利引き下げの計算</b>"), self.principal, self.years, self.step,
                          self.repayment, self.result])
        self._update()

    def _update(self, change=None) -> None:
        try:
            principal = float(self.principal.value) * 10_000
            saved = interest_saved(principal, int(self.years.value), float(self.step.value) / 100,
                                   repayment=self.repayment.value)
            fees = sll_fee_comparison()
        except CnkitError as exc:
            self.result.value = message(str(exc))
            return
        minimum = fees["sll_minimum_loan"]
        can = "組成できる金額です" if principal >= minimum else "最低融資金額に届かず、組成できません"
        self.result.value = (
            f"<p>金利の引き下げで減る利息（全期間）: <b>{saved:,.0f} 円</b></p>"
            f"<p>京都ゼロカーボン・フレームワーク: 組成手数料 {fees['zcf_fee']:,.0f} 円、最低融資金額なし → "
            f"<b>正味 {saved - fees['zcf_fee']:,.0f} 円</b> の得</p>"
            f"<p>従来のSLL: 組成手数料 {fees['sll_fee_low']:,.0f}〜{fees['sll_fee_high']:,.0f} 円、"
            f"最低融資金額 {minimum:,.0f} 円 → {html.escape(can)}。"
            f"手数料を払うと正味 {saved - fees['sll_fee_high']:,.0f}〜{saved - fees['sll_fee_low']:,.0f} 円</p>")


def sll_calculator(principal_yen: float = 30_000_000, years: int = 5, step_down: float = 0.001):
    """The SLL calculator widget (inert while nbgrader grades). ``step_down`` as a fraction (0.001 = 0.1%pt)."""
    if grading():
        return inert("SLL 金利引き下げの計算")
    return SLLCalculator(principal_yen, years, step_down)
