"""Interact layer: ipywidgets calculators wired to the pure functions of the calculate layer.

The widgets hold no arithmetic: they read inputs, call the calculate layer and show the
result. While nbgrader grades (``NBGRADER_EXECUTION`` is set) they show a short note instead.
One module per widget; this package re-exports the factories.
"""

from .co2 import CALCULATOR_UNITS, CO2Calculator, co2_calculator
from .common import grading
from .stage import SelfCheckSheet, self_check_sheet

__all__ = ["CALCULATOR_UNITS", "CO2Calculator", "SelfCheckSheet", "co2_calculator", "grading", "self_check_sheet"]
