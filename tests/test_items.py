"""Item analysis (grader/cngrade/items.py) against figures computed by hand."""

from __future__ import annotations

import math
import sys

import nbformat
import pytest
from nbgrader.utils import compute_checksum

import grading as g

sys.path.insert(0, str(g.GRADER))

from cngrade import items as it  # noqa: E402

A = it.Item("nb", "A", 2.0, concept="X", section="1. 節")
B = it.Item("nb", "B", 1.0, concept="X", section="1. 節")
C = it.Item("nb", "C", 3.0, manual=True, concept="Y", section="2. 節")
THRESHOLDS = {"min_graded": 5, "too_easy_above": 0.9, "too_hard_below": 0.3,
              "discrimination_below": 0.2, "upper_lower_below": 0.2}


def R(student, gid, score, outcome=None):
    if outcome is None:
        outcome = "pending" if score is None else "right"
    return it.Response(student, "nb", gid, score, outcome)


# s1 6 points, s2 4, s3 1 (C not graded yet), s4 0, s5 4
COHORT = [
    R("s1", "A", 2), R("s1", "B", 1), R("s1", "C", 3),
    R("s2", "A", 2), R("s2", "B", 0, "wrong"), R("s2", "C", 2, "wrong"),
    R("s3", "A", 0, "blank"), R("s3", "B", 1), R("s3", "C", None),
    R("s4", "A", 0, "error"), R("s4", "B", 0, "blank"), R("s4", "C", 0, "blank"),
    R("s5", "A", 2), R("s5", "B", 1), R("s5", "C", 1, "wrong"),
]


def stats(items, responses):
    return {s.item.grade_id: s for s in it.item_stats(items, responses)}


def test_item_statistics_by_hand():
    s = stats([A, B, C], COHORT)
    a, b, c = s["A"], s["B"], s["C"]
    # A: x = 2 2 0 0 2, rest = 4 2 1 0 2; upper group {s1} (total 6), lower {s4} (total 0)
    assert (a.n, a.mean, a.difficulty) == (5, pytest.approx(1.2), pytest.approx(0.6))
    assert a.point_biserial == pytest.approx(5.2 / math.sqrt(4.8 * 8.8))
    assert a.upper_lower == pytest.approx((2 - 0) / 2)
    assert (a.blank_share, a.error_share) == (pytest.approx(0.2), pytest.approx(0.2))
    # B: x = 1 0 1 0 1, rest = 5 4 0 0 3
    assert (b.n, b.difficulty) == (5, pytest.approx(0.6))
    assert b.point_biserial == pytest.approx(0.8 / math.sqrt(1.2 * 21.2))
    assert b.upper_lower == pytest.approx(1.0)
    assert (b.blank_share, b.error_share) == (pytest.approx(0.2), 0)
    # C: s3 not graded yet: x = 3 2 0 1 (s1 s2 s4 s5), rest = 3 2 0 3
    assert (c.n, c.pending, c.mean, c.difficulty) == (4, 1, 1.5, 0.5)
    assert c.point_biserial == pytest.approx(4 / math.sqrt(5 * 6))
    assert c.upper_lower == pytest.approx(1.0)
    assert c.blank_share == pytest.approx(0.25)
    # flags: B does not discriminate (r = 0.16); C has too few graded answers to judge
    assert [it.flag(s[g], THRESHOLDS) for g in "ABC"] == [[], ["識別しない"], []]


def test_concepts_sections_and_trainees_by_hand():
    st = it.item_stats([A, B, C], COHORT)
    concepts = it.group_stats(st, "concept")
    # Y: 6 of 4·3 = 12 points; X: (6 + 3) of (5·2 + 5·1) = 15
    assert [(g.name, g.earned, g.points) for g in concepts] == [("Y", 6, 12), ("X", 9, 15)]
    assert [g.difficulty for g in concepts] == [pytest.approx(0.5), pytest.approx(0.6)]
    assert [g.name for g in it.group_stats(st, "section")] == ["2. 節", "1. 節"]
    trainees = it.trainee_stats([A, B, C], COHORT, missed_below=0.5)
    assert [(t.student, t.total, t.max_total, t.missed, t.pending) for t in trainees] == [
        ("s4", 0, 6, ["X", "Y"], 0), ("s3", 1, 3, ["X"], 1), ("s2", 4, 6, [], 0),
        ("s5", 4, 6, ["Y"], 0), ("s1", 6, 6, [], 0)]


def test_one_trainee():
    a = stats([A], [R("s1", "A", 1, "wrong")])["A"]
    assert (a.n, a.difficulty, a.point_biserial, a.upper_lower) == (1, 0.5, None, None)


def test_everybody_right_and_everybody_wrong():
    right = [R(f"s{k}", "A", 2) for k in range(6)] + [R(f"s{k}", "B", k % 2, "wrong")
                                                       for k in range(6)]
    a = stats([A, B], right)["A"]
    assert (a.difficulty, a.point_biserial, a.upper_lower) == (1.0, None, 0.0)
    assert it.flag(a, THRESHOLDS) == ["易しすぎる"]
    wrong = [R(f"s{k}", "A", 0, "wrong") for k in range(6)] + [R(f"s{k}", "B", k % 2)
                                                              for k in range(6)]
    a = stats([A, B], wrong)["A"]
    assert (a.difficulty, a.point_biserial, a.upper_lower) == (0.0, None, 0.0)
    assert it.flag(a, THRESHOLDS) == ["難しすぎる"]


def test_ties_put_everybody_in_both_groups():
    one = it.Item("nb", "A", 1.0)
    two = it.Item("nb", "B", 1.0)
    rs = [R("s1", "A", 1), R("s1", "B", 0), R("s2", "A", 0), R("s2", "B", 1),
          R("s3", "A", 1), R("s3", "B", 0), R("s4", "A", 0), R("s4", "B", 1)]
    assert it.upper_lower_groups(it.totals(rs), 0.27) == ({"s1", "s2", "s3", "s4"},) * 2
    a = stats([one, two], rs)["A"]
    assert a.upper_lower == 0.0
    assert a.point_biserial == pytest.approx(-1.0)   # x = 1 0 1 0 against rest = 0 1 0 1


def test_ungraded_manual_cell_has_no_figures_until_graded():
    c = stats([A, C], [R("s1", "A", 2), R("s1", "C", None), R("s2", "A", 0, "wrong"),
                       R("s2", "C", None)])["C"]
    assert (c.n, c.pending, c.mean, c.difficulty, c.blank_share) == (0, 2, None, None, None)
    graded = stats([A, C], [R("s1", "A", 2), R("s1", "C", 3), R("s2", "A", 0, "wrong"),
                            R("s2", "C", None)])["C"]
    assert (graded.n, graded.pending, graded.difficulty) == (1, 1, 1.0)


def test_outcome_of_an_answer():
    assert it.outcome(2, 2) == "right"
    assert it.outcome(0, 2, blank=True, ename="NameError") == "blank"
    assert it.outcome(0, 2, ename="CheckFailed") == "wrong"
    assert it.outcome(0, 2, ename="AssertionError") == "wrong"
    assert it.outcome(0, 2, ename="TypeError") == "error"
    assert it.outcome(0, 2) == "error"                       # nothing ran
    assert it.outcome(1, 3, manual=True) == "wrong"
    assert it.outcome(None, 3, pending=True, manual=True) == "pending"


def _cell(kind, source, **meta):
    cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
    cell.metadata["nbgrader"] = meta
    return cell


def test_answer_facts_from_an_autograded_notebook():
    released = "raise NotImplementedError()"
    answer = _cell("code", released, solution=True, grade=False, grade_id="ans")
    answer.metadata.nbgrader["checksum"] = compute_checksum(answer)
    test = _cell("code", "check(x)", solution=False, grade=True, grade_id="check_x", points=1)
    test.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=[])]
    text = _cell("markdown", "ここに書いてください", solution=True, grade=True, grade_id="essay",
                 points=3)
    text.metadata.nbgrader["checksum"] = compute_checksum(text)
    nb = nbformat.v4.new_notebook(cells=[answer, test, text])
    assert it.answer_facts(nb) == {"check_x": {"blank": True, "ename": "NameError"},
                                   "essay": {"blank": True, "ename": None}}
    answer.source, text.source = "x = 1", "私の答え"
    assert it.answer_facts(nb) == {"check_x": {"blank": False, "ename": "NameError"},
                                   "essay": {"blank": False, "ename": None}}
