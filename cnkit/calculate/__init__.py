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

__all__ = [
    "ELECTRICITY_FACTORS",
    "annual_co2",
    "crude_oil_kl",
    "emissions",
    "factor_table",
    "summary",
    "threshold_checks",
]
