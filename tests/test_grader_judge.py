"""The trusted judge's pieces (grader/cngrade/judging.py, plain.py), without a kernel."""

from __future__ import annotations

import ast
import sys

import grading as g
import nbformat
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(g.GRADER))
from cngrade import judging, plain  # noqa: E402

IDS = g.build_module.source_assignments(g.COURSE)


def _bound(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


@pytest.mark.parametrize("aid", IDS)
def test_every_graded_cell_reads_only_names_the_notebook_defines(aid):
    """The answers a test cell is judged on are derived from its source: each must be defined
    by an earlier cell of the source notebook (else the judge would never receive it)."""
    nb = nbformat.read(g.COURSE / "source" / aid / f"{aid}.ipynb", as_version=4)
    defined: set[str] = set()
    tests = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if judging.is_test_cell(cell):
            tests += 1
            missing = set(judging.free_names(cell.source)) - defined
            assert not missing, f"{aid} {cell.metadata['nbgrader']['grade_id']}: {missing}"
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        defined |= _bound(source)
    assert tests > 0


def test_free_names():
    src = 'import re as _re\n_x = 1\nfor _k in y:\n    assert f(_k, _x, len(z))\n'
    assert judging.free_names(src) == ["y", "f", "z"]


def test_visible_part_drops_hidden_tests():
    src = 'check(a)\n### BEGIN HIDDEN TESTS\nassert a == 6\n### END HIDDEN TESTS\n'
    assert judging.visible_part(src) == "check(a)\n"


def _roundtrip(value):
    return plain.decode(plain.encode(value))


def test_plain_values_round_trip_with_their_types():
    s = pd.Series([1.5, 2.0], index=pd.Index(["電力", "LPG"], name="energy_ja"), name="co2_t")
    pd.testing.assert_series_equal(_roundtrip(s), s)
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [True, False]})
    pd.testing.assert_frame_equal(_roundtrip(df), df)
    assert _roundtrip({1: "1", 2: ["3-1", (1, 2)]}) == {1: "1", 2: ["3-1", (1, 2)]}
    assert _roundtrip({"a", "b"}) == {"a", "b"}
    assert type(_roundtrip(np.float64(1.25))) is np.float64
    assert _roundtrip(float("nan")) != _roundtrip(float("nan"))
    assert _roundtrip(2 ** 80) == 2 ** 80
    assert _roundtrip(pd) is pd


class _Any(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("value", [_Any(3), [1, _Any(3)], {"k": object()},
                                   type("S", (pd.Series,), {})([1.0]), lambda: 1, sys])
def test_not_plain_data_is_refused_or_called_back(value):
    try:
        enc = plain.encode(value)
    except plain.NotPlain:
        return
    assert enc == {"t": "function"}  # the trainee's function: only ever called in the kernel
    with pytest.raises(plain.NotPlain):
        plain.decode(enc)


@pytest.mark.parametrize("data", [{"t": "module", "name": "os"},
                                  {"t": "ref", "module": "os", "qualname": "system"},
                                  {"t": "ref", "module": "cnkit", "qualname": "importlib.import_module"},
                                  {"t": "pickle", "v": "gASV"}, [1, 2], {"v": 1}])
def test_the_trusted_side_refuses_what_plain_never_sends(data):
    with pytest.raises(plain.NotPlain):
        plain.decode(data)
