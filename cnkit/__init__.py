"""cnkit — helper library of the course 中小企業のカーボンニュートラル支援 実践講座.

Data flows one way: **read** (bills and reference data → tidy tables) → **calculate**
(pure functions on pandas objects) → **show** (matplotlib charts in Japanese) →
**interact** (ipywidgets that call the pure functions). Charts and widgets are imported
lazily so that ``import cnkit`` stays light.
"""

from __future__ import annotations

import importlib

from .calculate import ELECTRICITY_FACTORS, annual_co2, crude_oil_kl, emissions, factor_table, summary, threshold_checks
from .errors import BillError, CheckFailed, CnkitError
from .notebook import setup_notebook
from .paths import data_path, datasets_dir
from .read import BillsRead, read_bills
from .reference import load_company

__version__ = "0.1.0"

_LAZY = {"show": ".show", "interact": ".interact", "check": ".check", "co2_calculator": ".interact"}

__all__ = [
    "ELECTRICITY_FACTORS", "BillError", "BillsRead", "CheckFailed", "CnkitError", "annual_co2",
    "co2_calculator", "crude_oil_kl", "data_path", "datasets_dir", "emissions", "factor_table",
    "load_company", "read_bills", "setup_notebook", "summary", "threshold_checks",
    "show", "interact", "check",
]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        return getattr(module, name) if name == "co2_calculator" else module
    raise AttributeError(f"module 'cnkit' has no attribute {name!r}")
