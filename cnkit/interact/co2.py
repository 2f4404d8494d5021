"""The CO2 calculator of notebook 02: annual usage per energy → CO2 by energy, Scope 1/2, kL, chart."""

from __future__ import annotations

import html

import ipywidgets as w

from ..calculate import ELECTRICITY_FACTORS, annual_co2
from ..errors import CnkitError
from ..reference import energies
from .common import grading, inert, message, show_chart
from .supplier import SupplierPicker

#: the calculator's inputs: energy → (unit shown to the trainee, default step)
CALCULATOR_UNITS = {
    "electricity": "kWh",
    "city_gas": "m3",
    "a_heavy_oil": "L",
    "kerosene": "L",
    "lpg": "kg",
    "gasoline": "L",
    "diesel": "L",
}
_UNIT_LABEL = {"m3": "m³"}


class CO2Calculator(w.VBox):
    """Annual usage per energy + electricity supplier → CO2 by energy, Scope 1/2, crude-oil kL and a chart."""

    def __init__(self, emissions_fy: int, usage: dict | None = None, supplier: str = "default"):
        self.emissions_fy = emissions_fy
        en = energies()
        self.inputs: dict[str, w.Text] = {}
        rows = []
        for code, unit in CALCULATOR_UNITS.items():
            v = None if not usage else usage.get(code)
            # not :g — it keeps 6 digits and writes 1234567 as 1.23457e+06, which the reader rejects
            value = "" if v is None else v if isinstance(v, str) else f"{v:.15g}"
            # recalculated on Enter or when the box loses focus, not on every keystroke (each redraws the chart)
            box = w.Text(value=value, placeholder="0", continuous_update=False, layout=w.Layout(width="140px"))
            self.inputs[code] = box
            rows.append(w.HBox([w.Label(en.loc[code, "name_ja"], layout=w.Layout(width="90px")), box,
                                w.Label(f"{_UNIT_LABEL.get(unit, unit)}/年")]))
        self.supplier = SupplierPicker(emissions_fy, supplier)  # search by name; ``value`` is the key
        self.factor = w.Dropdown(options=[(v, k) for k, v in ELECTRICITY_FACTORS.items()], value="basic",
                                 description="電力の係数", style={"description_width": "90px"},
                                 layout=w.Layout(width="520px"))
        self.result = w.HTML()
        self.chart = w.Output()
        #: the chart's Figure, kept and updated in place while the same bars are shown
        self.figure = None
        for box in [*self.inputs.values(), self.supplier, self.factor]:
            box.observe(self._update, names="value")
        head = w.HTML(f"<b>CO2かんたん計算（{emissions_fy}年度の係数）</b> — 請求書の年間合計を入れてください。"
                      "空欄は 0 として扱います。"
                      "数字を入れたら Enter キーを押すか、ほかの欄をクリックすると計算し直します。")
        super().__init__([head, *rows, self.supplier, self.factor, self.result, self.chart])
        self._update()

    def values(self) -> dict[str, tuple[str, str]]:
        """The entered amounts as ``energy → (text, unit)``; blank boxes count as 0."""
        return {code: (box.value.strip() or "0", CALCULATOR_UNITS[code]) for code, box in self.inputs.items()}

    def compute(self):
        """Run the calculation for the current inputs (raises CnkitError with a Japanese message)."""
        return annual_co2(self.values(), self.supplier.value, electricity_factor=self.factor.value,
                          emissions_fy=self.emissions_fy)

    def _update(self, change=None) -> None:
        from ..show.emissions import calculator_chart, update_calculator_chart

        try:
            res = self.compute()
        except CnkitError as exc:
            self.result.value = message(str(exc))
            self.chart.clear_output()
            self.figure = None
            return
        s1 = res.loc[res["scope"] == 1, "co2_t"].sum()
        s2 = res.loc[res["scope"] == 2, "co2_t"].sum()
        kl = res["crude_kl"].sum()
        lines = "".join(
            f"<tr><td>{html.escape(r.energy_ja)}</td><td style='text-align:right'>{r.usage:,.{0 if r.unit == 'kWh' else 3}f} {r.unit}</td>"
            f"<td style='text-align:right'>{r.co2_t:,.1f}</td><td>Scope {r.scope}</td></tr>"
            for r in res.itertuples())
        self.result.value = (
            "<table><tr><th>エネルギー</th><th>使用量</th><th>CO2（t-CO2）</th><th>区分</th></tr>"
            f"{lines}</table>"
            f"<p><b>合計 {s1 + s2:,.1f} t-CO2</b>（Scope 1: {s1:,.1f} / Scope 2: {s2:,.1f}）"
            f"　原油換算 {kl:,.1f} kL</p>")
        if self.figure is None or not update_calculator_chart(self.figure, res):
            self.figure = calculator_chart(res)
        show_chart(self.chart, self.figure)


def co2_calculator(emissions_fy: int = 2025, usage: dict | None = None, supplier: str = "default"):
    """The CO2 calculator widget of notebook 02 (inert while nbgrader grades)."""
    if grading():
        return inert("CO2かんたん計算")
    return CO2Calculator(emissions_fy, usage, supplier)
