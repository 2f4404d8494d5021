"""Interact layer: ipywidgets calculators wired to the pure functions of the calculate layer.

The widgets hold no arithmetic: they read inputs, call the calculate layer and show the
result. While nbgrader grades (``NBGRADER_EXECUTION`` is set) they show a short note instead.
One module per widget; this package re-exports the factories.
"""

from .co2 import CALCULATOR_UNITS, CO2Calculator, co2_calculator
from .common import grading
from .finance import SLLCalculator, sll_calculator
from .measures import ElectrificationCalculator, electrification_calculator
from .roadmap import RoadmapBuilder, roadmap_builder
from .stage import SelfCheckSheet, self_check_sheet
from .subsidy import SubsidyCalculator, subsidy_calculator
from .supplier import SupplierPicker, supplier_picker

__all__ = [
    "CALCULATOR_UNITS", "CO2Calculator", "RoadmapBuilder", "roadmap_builder", "ElectrificationCalculator", "SLLCalculator", "SelfCheckSheet",
    "SubsidyCalculator", "co2_calculator", "electrification_calculator", "grading", "self_check_sheet",
    "sll_calculator", "subsidy_calculator", "SupplierPicker", "supplier_picker",
]
