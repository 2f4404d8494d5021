"""Where the course data lives.

Notebooks never use relative paths such as ``../datasets``: nbgrader runs them in
other folders. They ask this module instead. The datasets folder is found next to
the package (editable install or a checkout) or through ``CNKIT_DATASETS``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import CnkitError

_ENV = "CNKIT_DATASETS"


def datasets_dir() -> Path:
    """Return the ``datasets/`` folder of the course kit."""
    env = os.environ.get(_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parent.parent / "datasets")
    for c in candidates:
        if (c / "factors").is_dir():
            return c
    raise CnkitError(
        "講座のデータフォルダ（datasets/）が見つかりません。"
        f"環境変数 {_ENV} にフォルダの場所を設定するか、講座のフォルダで "
        "`python3 kit.py start` から起動してください。"
    )


def data_path(*parts: str) -> Path:
    """Path to a file under ``datasets/``, e.g. ``data_path("companies", "a_sha", "bills_fuel.csv")``."""
    p = datasets_dir().joinpath(*parts)
    if not p.exists():
        raise CnkitError(f"データファイル datasets/{'/'.join(parts)} が見つかりません。")
    return p
