"""The roadmap builder of notebook 07: switch measures on and off, choose their years → trajectory,
the year each target is met, cumulative cash flow, subsidies; export to Excel.

No arithmetic here: the widget reads its inputs, calls :func:`~cnkit.calculate.roadmap.reschedule` and
:func:`~cnkit.calculate.roadmap.build_roadmap`, and shows what they return.
"""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from ..calculate.roadmap import (build_roadmap, check_schedule, company_inputs, default_schedule, load_plan,
                                 reschedule, start_year)
from ..errors import CnkitError
from .common import grading, inert, message, show_chart

_PHASE_ORDER = (("introduce_fy", "導入"), ("construction_fy", "工事"), ("operation_fy", "運用"))


def _yen(value: float) -> str:
    v = round(value)
    return f"△{-v:,} 円" if v < 0 else f"{v:,} 円"


class RoadmapBuilder(w.VBox):
    """One row per measure (checkbox = in the plan, dropdown = 実施年度), the company target, the result
    (emissions, first year each target is met, investment, subsidies, cumulative cash flow), the three charts and
    an Excel export button."""

    def __init__(self, company: str = "a_sha", schedule=None, subsidies: dict | None = None,
                 company_reduction: float | None = None):
        self.company = company
        plan = load_plan(company)
        self.base_schedule = default_schedule(plan) if schedule is None else check_schedule(schedule)
        self.subsidies = dict(subsidies or {})
        self.plan_years = list(range(int(plan["plan_years"]["first"]), int(plan["plan_years"]["last"]) + 1))
        target = plan["company_target"]
        names = {m.id: m.name_ja for m in company_inputs(company)["measures"]}
        self.checks: dict[str, w.Checkbox] = {}
        self.years: dict[str, w.Dropdown] = {}
        self.phase_labels: dict[str, w.Label] = {}
        rows = []
        for _, r in self.base_schedule.iterrows():
            mid = r["measure_id"]
            first = start_year(r)
            options = sorted(set(self.plan_years) | {first})
            self.checks[mid] = w.Checkbox(value=True, description=names.get(mid, mid), indent=False,
                                          layout=w.Layout(width="360px"))
            self.years[mid] = w.Dropdown(options=[(f"{fy}年度", fy) for fy in options], value=first,
                                         description="実施年度", style={"description_width": "70px"},
                                         layout=w.Layout(width="220px"))
            self.phase_labels[mid] = w.Label()
            rows.append(w.HBox([self.checks[mid], self.years[mid], self.phase_labels[mid]]))
        self.reduction = w.FloatText(
            value=target["reduction_vs_base"] if company_reduction is None else company_reduction, step=0.05,
            description=f"自社目標: {target['target_fiscal_year']}年度の削減率（{plan['base_fiscal_year']}年度比、0〜1の割合）",
            style={"description_width": "380px"}, layout=w.Layout(width="500px"))
        self.result = w.HTML()
        from ..show.roadmap import CHARTS

        #: one chart area per roadmap chart (phases, trajectory, cash flow), each redrawn only when what it
        #: draws has changed; ``figures`` holds the Figure each one shows
        self.outputs = {name: w.Output() for name in CHARTS}
        self.chart = w.VBox(list(self.outputs.values()))
        self.figures: dict = {}
        self._drawn: dict[str, tuple] = {}
        self.roadmap = None
        self.filename = w.Text(value=f"{company}_roadmap.xlsx", description="ファイル名（.xlsx）",
                               style={"description_width": "110px"}, layout=w.Layout(width="380px"))
        self.export_button = w.Button(description="Excelに書き出す", icon="download", button_style="info")
        self.export_status = w.HTML()
        for box in [*self.checks.values(), *self.years.values(), self.reduction]:
            box.observe(self._update, names="value")
        self.export_button.on_click(self._export)
        head = w.HTML("<b>ロードマップ作成</b> — チェックを外すと計画から外れます。実施年度は最初の段階（導入・工事・運用）"
                      "の年度で、ほかの段階も同じだけずれます。")
        super().__init__([head, *rows, self.reduction, self.result, self.chart,
                          w.HBox([self.filename, self.export_button]), self.export_status])
        self._update()

    def current_schedule(self):
        """The schedule the boxes describe (measures ticked, moved to the chosen years)."""
        keep = [mid for mid, box in self.checks.items() if box.value]
        starts = {mid: dd.value for mid, dd in self.years.items()}
        return reschedule(self.base_schedule, starts, keep=keep)

    def compute(self):
        """The roadmap for the current inputs (raises CnkitError with a Japanese message)."""
        return build_roadmap(self.company, self.current_schedule(), company_reduction=self.reduction.value,
                             subsidies=self.subsidies)

    def _show_phases(self, rm) -> None:
        for mid, label in self.phase_labels.items():
            if mid not in rm.measures.index:
                label.value = "（計画に入れない）"
                continue
            m = rm.measures.loc[mid]
            label.value = " → ".join(f"{name} {int(m[c])}年度" for c, name in _PHASE_ORDER if not pd.isna(m[c]))

    def _update(self, change=None) -> None:
        try:
            rm = self.compute()
        except CnkitError as exc:
            self.roadmap = None
            self.result.value = message(str(exc))
            for out in self.outputs.values():
                out.clear_output()
            self.figures, self._drawn = {}, {}
            return
        self.roadmap = rm
        self._show_phases(rm)
        k = rm.key_figures()
        rows = "".join(
            f"<tr><td>{html.escape(t['name_ja'])}</td><td style='text-align:right'>{t['target_t']:,.1f} t-CO2</td>"
            f"<td>{'計画期間内は未達' if k['first_year_met'][key] is None else str(k['first_year_met'][key]) + '年度'}</td></tr>"
            for key, t in rm.targets.iterrows())
        self.result.value = (
            f"<p><b>{k['last_fy']}年度の排出量 {k['emissions_last_t']:,.1f} t-CO2</b>"
            f"（{k['base_fy']}年度 {k['base_t']:,.1f} t-CO2 から {k['reduction_rate_last']:.1%} 削減）"
            f"　オフセット後 {k['net_emissions_last_t']:,.1f} t-CO2</p>"
            "<table><tr><th>目標</th><th>目標の排出量</th><th>初めて達成する年度</th></tr>"
            f"{rows}</table>"
            f"<p>投資額の合計 {_yen(k['investment_total_yen'])}　補助金の合計 {_yen(k['subsidy_total_yen'])}　"
            f"<b>{k['last_fy']}年度末の累積キャッシュフロー {_yen(k['cumulative_cash_flow_last_yen'])}</b></p>")
        self._draw_charts(rm)

    def _draw_charts(self, rm) -> None:
        from ..show.roadmap import CHARTS, chart_inputs, same_inputs

        for name, inputs in chart_inputs(rm).items():
            if name in self._drawn and same_inputs(inputs, self._drawn[name]):
                continue
            self.figures[name] = CHARTS[name](rm)
            show_chart(self.outputs[name], self.figures[name])
            self._drawn[name] = inputs

    def _export(self, button=None) -> None:
        from ..report.roadmap import write_excel

        if self.roadmap is None:
            self.export_status.value = message("計画にエラーがあるため書き出せません。上のメッセージを確かめてください。")
            return
        try:
            path = write_excel(self.roadmap, self.filename.value.strip())
        except CnkitError as exc:
            self.export_status.value = message(str(exc))
            return
        self.export_status.value = f"✅ 書き出しました: {html.escape(str(path))}"


def roadmap_builder(company: str = "a_sha", schedule=None, subsidies: dict | None = None,
                    company_reduction: float | None = None):
    """The roadmap-builder widget of notebook 07 (inert while nbgrader grades).

    ``subsidies``: measure_id → yen (e.g. from notebook 06); they follow each measure's investment year."""
    if grading():
        return inert("ロードマップ作成")
    return RoadmapBuilder(company, schedule, subsidies, company_reduction)
