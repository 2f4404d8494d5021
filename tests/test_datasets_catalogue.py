"""Every data file in datasets/ is listed in datasets/README.md (the catalogue with unit, year and source)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets"
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints"}


def test_every_data_file_is_catalogued():
    catalogue = (DATA / "README.md").read_text(encoding="utf-8")
    missing = []
    for p in sorted(DATA.rglob("*")):
        if not p.is_file() or SKIP_DIRS & set(p.parts) or p.suffix == ".pyc":
            continue
        rel = p.relative_to(DATA).as_posix()
        if rel in {"README.md", "MANIFEST.sha256"}:
            continue
        if f"`{rel}`" not in catalogue:
            missing.append(rel)
    assert not missing, f"datasets/README.md に載っていないファイル: {missing}"
