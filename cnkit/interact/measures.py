"""The electrification calculator of notebook 05: a fuel boiler → heat pump, with COP, boiler
efficiency and the electricity factor as sliders. No arithmetic here: it calls
:func:`cnkit.calculate.measures.heat_pump` and :func:`~cnkit.calculate.measures.evaluate`."""

from __future__ import annotations

import ipywidgets as w

from ..calculate import ELECTRICITY_FACTORS
from ..calculate.measures import DEFAULT_FY, evaluate, heat_pump, rule
from ..errors import CnkitError
from .common import grading, inert, message, show_chart
from .supplier import SupplierPicker


class ElectrificationCalculator(w.VBox):
    """Fuel amount + COP + boiler efficiency + electricity factor → Scope 1, Scope 2 and net change."""

    def __init__(self, fuel_amount: float, fuel: str = "a_heavy_oil", emissions_fy: int = DEFAULT_FY,
                 supplier: str = "tepco_ep", scope1_t: float | None = None, scope2_t: float | None = None):
        self.fuel, self.emissions_fy = fuel, emissions_fy
        self.scope1_t, self.scope2_t = scope1_t, scope2_t
        style = {"description_width": "140px"}
        self.amount = w.FloatText(value=float(fuel_amount), description="置き換える燃料（kL/年）", style=style)
        self.cop = w.FloatSlider(value=rule("heat_pump_cop"), min=1.0, max=6.0, step=0.1, description="COP（倍）",
                                 style=style, continuous_update=False)
        self.efficiency = w.FloatSlider(value=rule("oil_boiler_efficiency"), min=0.5, max=1.0, step=0.01,
                                        description="ボイラー効率", style=style, continuous_update=False)
        self.supplier = SupplierPicker(emissions_fy, supplier)  # search by name; ``value`` is the key
        self.factor = w.Dropdown(options=[(v, k) for k, v in ELECTRICITY_FACTORS.items()], value="basic",
                                 description="電力の係数", style=style, layout=w.Layout(width="560px"))
        self.result = w.HTML()
        self.chart = w.Output()
        for box in (self.amount, self.cop, self.efficiency, self.supplier, self.factor):
            box.observe(self._update, names="value")
        head = w.HTML("<b>電化の試算（ボイラー → ヒートポンプ）</b> — COP やボイラー効率、電力の係数を変えて、"
                      "正味のCO2がどう変わるかを見てください。")
        super().__init__([head, self.amount, self.cop, self.efficiency, self.supplier, self.factor,
                          self.result, self.chart])
        self._update()

    def compute(self):
        """The one-row result of :func:`evaluate` for the current inputs (CnkitError on bad input)."""
        measure = heat_pump(self.amount.value, self.fuel, boiler_efficiency=self.efficiency.value,
                            cop=self.cop.value, factor_fy=self.emissions_fy)
        return evaluate(measure, self.emissions_fy, self.supplier.value, self.factor.value)

    def _update(self, change=None) -> None:
        try:
            result = self.compute()
        except CnkitError as exc:
            self.result.value = message(str(exc))
            self.chart.clear_output()
            return
        r = result.iloc[0]
        verdict = "減ります" if r["delta_co2_t"] < 0 else "増えます"
        self.result.value = (
            "<table>"
            f"<tr><td>ヒートポンプの電力</td><td style='text-align:right'>{r['delta_kwh']:+,.0f} kWh/年</td></tr>"
            f"<tr><td>Scope 1（燃料）</td><td style='text-align:right'>{r['delta_co2_scope1_t']:+,.1f} t-CO2/年</td></tr>"
            f"<tr><td>Scope 2（電気）</td><td style='text-align:right'>{r['delta_co2_scope2_t']:+,.1f} t-CO2/年</td></tr>"
            f"<tr><td><b>正味</b></td><td style='text-align:right'><b>{r['delta_co2_t']:+,.1f} t-CO2/年</b></td></tr>"
            f"<tr><td>光熱費</td><td style='text-align:right'>{r['delta_energy_cost_yen']:+,.0f} 円/年</td></tr>"
            f"</table><p>この条件では、CO2は正味で <b>{verdict}</b>（マイナスが削減）。</p>")
        if self.scope1_t is not None and self.scope2_t is not None:
            from ..show.measures import scope_waterfall_chart

            show_chart(self.chart, scope_waterfall_chart(self.scope1_t, self.scope2_t, result,
                                                         title="ヒートポンプへの転換による Scope 1・2 の増減"))


def electrification_calculator(fuel_amount: float, fuel: str = "a_heavy_oil", emissions_fy: int = DEFAULT_FY,
                               supplier: str = "tepco_ep", scope1_t: float | None = None,
                               scope2_t: float | None = None):
    """The electrification widget of notebook 05 (inert while nbgrader grades).

    With ``scope1_t`` and ``scope2_t`` (today's totals) it also draws the Scope 1/2 waterfall."""
    if grading():
        return inert("電化の試算")
    return ElectrificationCalculator(fuel_amount, fuel, emissions_fy, supplier, scope1_t, scope2_t)
