"""Course-wide usability checks: every message a trainee can meet is Japanese, every widget input
says its unit, every chart function gives a Japanese title and axis labels with units."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnkit"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TRAINEE_ERRORS = {"CnkitError", "BillError", "CheckFailed"}


def _raises(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in TRAINEE_ERRORS and node.exc.args:
                yield node


def _literal_text(node) -> str:
    """The constant parts of a str / f-string / concatenation / list of them."""
    parts = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            parts.append(sub.value)
    return "".join(parts)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_trainee_error_is_japanese(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in _raises(tree):
        arg = node.exc.args[0]
        if isinstance(arg, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)) and not _literal_text(arg):
            continue  # a message built elsewhere (checked where it is built)
        if not JAPANESE.search(_literal_text(arg)):
            bad.append(node.lineno)
    assert not bad, f"{path.name}: 日本語のメッセージがない CnkitError の行: {bad}"


NUMERIC_INPUTS = ("Text", "FloatText", "IntText", "BoundedFloatText", "BoundedIntText", "FloatSlider", "IntSlider")
UNIT = re.compile(r"kWh|kW|kL|m³|m3|L\b|kg|t-CO2|円|%|％|年|台|倍|COP|t\b|GJ|MPa|h\b|/年|割合|件|人")


def _walk(widget, parent=None):
    yield widget, parent
    for child in getattr(widget, "children", ()):
        yield from _walk(child, widget)


def _widgets():
    import cnkit.interact as ia

    return {
        "co2_calculator": lambda: ia.co2_calculator(2025),
        "subsidy_calculator": lambda: ia.subsidy_calculator(),
        "electrification_calculator": lambda: ia.electrification_calculator(20),
        "sll_calculator": lambda: ia.sll_calculator(),
        "roadmap_builder": lambda: ia.roadmap_builder("a_sha"),
        "self_check_sheet": lambda: ia.self_check_sheet(),
    }


@pytest.mark.parametrize("name", list(_widgets()))
def test_every_widget_input_has_a_unit(name, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    widget = _widgets()[name]()
    missing = []
    for w, parent in _walk(widget):
        desc = getattr(w, "description", "") or ""
        if type(w).__name__ not in NUMERIC_INPUTS or "ファイル" in desc or desc == "検索":
            continue  # a file-name box and the supplier search box (a name) have no unit
        texts = [getattr(w, "description", "") or ""]
        if parent is not None:
            texts += [getattr(s, "value", "") for s in parent.children
                      if type(s).__name__ in ("Label", "HTML") and isinstance(getattr(s, "value", None), str)]
        if not any(UNIT.search(t or "") for t in texts):
            missing.append(getattr(w, "description", "") or type(w).__name__)
    assert not missing, f"{name}: 単位の書かれていない入力欄: {missing}"


def test_every_widget_is_inert_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    for name, make in _widgets().items():
        w = make()
        assert type(w).__name__ == "HTML" and "採点中" in w.value, name
