"""Show layer: matplotlib charts with Japanese titles, axis labels and units.

Charts are built on :class:`matplotlib.figure.Figure` (not pyplot), so a notebook shows a
returned figure once and nothing is left open. The Japanese font is IPAexGothic, bundled
with ``matplotlib-fontja``; colours follow the Okabe–Ito palette (colour-blind safe).
One module per topic; this package re-exports the chart functions.
"""

from .base import ENERGY_COLORS, PALETTE, SCOPE_COLORS, font_name, new_figure
from .economics import cashflow_chart, mac_chart
from .emissions import calculator_chart, co2_by_energy_chart, monthly_chart, scope_chart, year_on_year_chart
from .finance import spt_chart
from .measures import before_after_chart, savings_chart, scope_waterfall_chart
from .policy import targets_chart
from .roadmap import cash_flow_chart, phase_chart, roadmap_chart, trajectory_chart
from .visualize import co2_area_chart, energy_flow_chart, pareto_chart, reconciliation_chart

__all__ = [
    "ENERGY_COLORS", "PALETTE", "SCOPE_COLORS", "font_name", "new_figure",
    "calculator_chart", "co2_by_energy_chart", "monthly_chart", "scope_chart", "year_on_year_chart",
    "targets_chart",
    "co2_area_chart", "energy_flow_chart", "pareto_chart", "reconciliation_chart",
    "before_after_chart", "savings_chart", "scope_waterfall_chart",
    "cashflow_chart", "mac_chart",
    "spt_chart",
    "cash_flow_chart", "phase_chart", "roadmap_chart", "trajectory_chart",
]
