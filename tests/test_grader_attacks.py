"""Submissions that try to talk the cohort grader into a grade (grader/cngrade/judging.py).

Every attack below sits in the first answer cell of the small fixture assignment, in front of
answers that are all wrong (合計_kwh = 5, 二倍 returns x, 答え = "いいえ"). The hidden tests
run in the trusted judge, never in the trainee's kernel, so each attack must get exactly the
grades of the same wrong answers without it (0 on every test cell). One cohort run grades
them all (the fixture needs no pandas: a few seconds per submission).
"""

from __future__ import annotations

import sys

import grading as g
import pytest

sys.path.insert(0, str(g.GRADER))
import test_cohort_grading as cg  # noqa: E402

MINI = cg.MINI
WRONG = {"ex1_answer": "合計_kwh = 5", "ex2_answer": "def 二倍(x):\n    return x",
         "ex3_answer": '答え = "いいえ"'}
IP = "ip = get_ipython()\n"
ATTACKS = {
    # how later cells are transformed or run
    "input_transformer": IP + 'ip.input_transformers_post.append(lambda lines: ["pass\\n"])',
    "ast_transformer": IP + (
        "import ast\nclass NoAssert(ast.NodeTransformer):\n"
        "    def visit_Assert(self, node):\n        return ast.Pass()\n"
        "ip.ast_transformers.append(NoAssert())"),
    "run_cell_replaced": IP + (
        "_orig = ip.run_cell\n"
        "def run_cell(raw_cell, *a, **k):\n    return _orig('pass', *a, **k)\n"
        "ip.run_cell = run_cell"),
    "pre_run_cell_event": IP + (
        "def clear(info):\n    info.raw_cell = 'pass'\n"
        "ip.events.register('pre_run_cell', clear)"),
    # exception and display hooks
    "custom_exc": IP + "ip.set_custom_exc((BaseException,), lambda *a, **k: None)",
    "showtraceback": IP + "ip.showtraceback = lambda *a, **k: None",
    "excepthook": "import sys\nsys.excepthook = lambda *a: None",
    "displayhook_fake_ok": "import sys\nsys.displayhook = lambda v: print('OK')\n"
                           "print('✅ 合計_kwh: OK')",
    # replaced builtins and exception classes
    "builtins_replaced": "import builtins\nbuiltins.isinstance = lambda *a: True\n"
                         "builtins.callable = lambda *a: True",
    "assertion_error_replaced": "import builtins\n"
                                "builtins.AssertionError = type('AssertionError', (Warning,), {})",
    # tracing and exit hooks
    "settrace": "import sys\n"
                "def skip(frame, event, arg):\n    frame.f_trace_lines = False\n    return None\n"
                "sys.settrace(skip)",
    "atexit": "import atexit, os\natexit.register(lambda: os._exit(0))",
    # answers that lie about their value
    "equal_to_anything": "class Any(int):\n    def __eq__(self, other):\n        return True\n"
                         "    __hash__ = int.__hash__\n",
    "lying_string": "class Yes(str):\n    def __eq__(self, other):\n        return True\n"
                    "    __hash__ = str.__hash__\n",
    "numpy_comparisons_patched": "import numpy, math, operator\n"
                                 "numpy.isclose = numpy.allclose = lambda *a, **k: True\n"
                                 "math.isclose = lambda *a, **k: True\n"
                                 "operator.eq = lambda *a: True",
    # copying the expected values from the disk
    "read_hidden_tests": (
        "import os, re\n_found, _n = None, 0\n"
        "_roots = [v for v in os.environ.values() if v.startswith('/') and os.path.isdir(v)]\n"
        "_roots += ['/proc/1/cwd', '/proc/self/cwd/../../../..', f'/proc/{os.getppid()}/cwd',\n"
        "           f'/proc/{os.getppid()}/root/tmp', '/tmp']\n"
        "for _r in _roots:\n"
        "    for _d, _ds, _fs in os.walk(_r):\n"
        "        _n += len(_fs)\n"
        "        if _n > 20000:\n"
        "            break\n"
        "        for _f in _fs:\n"
        "            if _f.endswith(('.ipynb', '.db')):\n"
        "                try:\n"
        "                    _t = open(os.path.join(_d, _f), 'rb').read().decode('utf-8', 'ignore')\n"
        "                except OSError:\n"
        "                    continue\n"
        "                _m = re.search(r'合計_kwh == (\\d+)', _t)\n"
        "                if _m:\n"
        "                    _found = int(_m.group(1))\n"
        "        if _found is not None or _d.count('/') > 12:\n"
        "            break\n"),
}
# answers of the attacks that replace them after the wrong ones
AFTER = {
    "equal_to_anything": {"ex1_answer": "合計_kwh = Any(5)"},
    "lying_string": {"ex3_answer": '答え = Yes("いいえ")'},
    "read_hidden_tests": {"ex1_answer": "合計_kwh = _found if _found is not None else 5"},
}


def _course(tmp):
    base = g.make_course(tmp / "base", cg.COHORT_FIXTURES)
    g.generate_assignment(base, MINI)
    g.generate_assignment(base, "cohort_other")
    src = g.source_notebook(base, MINI)

    def submission(extra: str = "", after: dict | None = None):
        nb = g.full_submission(src)
        for cell in nb.cells:
            code = {**WRONG, **(after or {})}.get(cell.get("id"))
            if code is not None:
                cell.source = code
        first = next(c for c in nb.cells if c.get("id") == "ex1_answer")
        first.source = extra + "\n" + first.source
        return nb

    g.place_submission(base, MINI, "wrong", submission())
    g.place_submission(base, MINI, "right", g.full_submission(src))
    for name, code in ATTACKS.items():
        g.place_submission(base, MINI, name, submission(code, AFTER.get(name)))
    proc = cg.run_cohort(base, MINI, "--no-excel", "--no-feedback")
    return {"proc": proc, "grades": cg.cell_grades(base, MINI), "summary": cg.summary(base)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return g.shared_once(tmp_path_factory, "grader-attacks", _course)


def _auto(grades: dict) -> dict:
    return {k: v for k, v in grades.items() if not v[1]}


def test_the_baselines_differ(graded):
    assert graded["proc"].returncode == 0, cg._log(graded["proc"])
    wrong, right = _auto(graded["grades"]["wrong"]), _auto(graded["grades"]["right"])
    assert wrong and all(score == 0 for score, _ in wrong.values()), wrong
    assert all(score > 0 for score, _ in right.values()), right


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_graded_as_if_absent(graded, attack):
    assert graded["grades"].get(attack) == graded["grades"]["wrong"], attack
    row = graded["summary"][(attack, MINI)]
    assert "interference" in cg.codes(row), row
    assert "採点を妨げるコード（セル " in row["備考"], row


def test_honest_submissions_get_no_interference_note(graded):
    for student in ("wrong", "right"):
        assert "interference" not in cg.codes(graded["summary"][(student, MINI)])
