"""Calculate layer: pure functions on pandas objects. Imports neither matplotlib nor ipywidgets.

One module per topic: ``emissions`` (02), ``stage`` and ``policy`` (01), ``pareto`` / ``flow`` /
``reconcile`` / ``area`` (03), ``measures`` (04–05), ``economics`` and ``subsidies`` (06),
``roadmap`` (07), ``finance``, ``disclosure`` and ``support_plan`` (08–09). Notebooks import a
topic's functions from its module (``from cnkit.calculate.pareto import pareto_table``); the
functions used across the course are re-exported here and at ``cnkit``.
"""

from .emissions import (
    ELECTRICITY_FACTORS,
    annual_co2,
    crude_oil_kl,
    emissions,
    factor_table,
    summary,
    threshold_checks,
)
from .pareto import pareto_table, vital_few
from .stage import StageResult, diagnose_stage

__all__ = [
    "ELECTRICITY_FACTORS",
    "StageResult",
    "annual_co2",
    "crude_oil_kl",
    "diagnose_stage",
    "emissions",
    "factor_table",
    "pareto_table",
    "summary",
    "threshold_checks",
    "vital_few",
]
