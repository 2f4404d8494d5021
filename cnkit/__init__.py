"""cnkit — helper library of the course 中小企業のカーボンニュートラル支援 実践講座.

Data flows one way: **read** (bills and reference data → tidy tables) → **calculate**
(pure functions on pandas objects) → **show** (matplotlib charts in Japanese) →
**interact** (ipywidgets that call the pure functions). Charts and widgets are imported
lazily so that ``import cnkit`` stays light.
"""

from __future__ import annotations

import importlib

from .calculate import (
    ELECTRICITY_FACTORS,
    annual_co2,
    crude_oil_kl,
    diagnose_stage,
    emissions,
    factor_table,
    pareto_table,
    summary,
    threshold_checks,
    vital_few,
)
from .errors import BillError, CheckFailed, CnkitError
from .notebook import setup_notebook
from .paths import data_path, datasets_dir
from .read import BillsRead, read_bills
from .reference import load_company

__version__ = "0.1.0"

_LAZY = {"show": ".show", "interact": ".interact", "check": ".check", "co2_calculator": ".interact",
         "self_check_sheet": ".interact", "subsidy_calculator": ".interact",
         "electrification_calculator": ".interact", "sll_calculator": ".interact",
         "roadmap_builder": ".interact"}

__all__ = [
    "ELECTRICITY_FACTORS", "BillError", "BillsRead", "CheckFailed", "CnkitError", "annual_co2",
    "co2_calculator", "crude_oil_kl", "data_path", "datasets_dir", "diagnose_stage", "electrification_calculator",
    "emissions", "factor_table", "load_company", "pareto_table", "read_bills", "roadmap_builder", "self_check_sheet", "setup_notebook",
    "sll_calculator", "subsidy_calculator", "summary", "threshold_checks", "vital_few",
    "show", "interact", "check",
]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        return module if name == _LAZY[name].lstrip(".") else getattr(module, name)
    raise AttributeError(f"module 'cnkit' has no attribute {name!r}")
