"""Calculate layer: pure functions on pandas objects. Imports neither matplotlib nor ipywidgets."""

from .emissions import (
    ELECTRICITY_FACTORS,
    annual_co2,
    crude_oil_kl,
    emissions,
    factor_table,
    summary,
    threshold_checks,
)
from .stage import StageResult, diagnose_stage

__all__ = [
    "ELECTRICITY_FACTORS",
    "StageResult",
    "annual_co2",
    "crude_oil_kl",
    "diagnose_stage",
    "emissions",
    "factor_table",
    "summary",
    "threshold_checks",
]
