"""Item analysis of one assignment: what the cohort understood, question by question.

Reading (``read_assignment``) takes the grades from the gradebook through nbgrader's own API
(SQLite or PostgreSQL) and the answers from the autograded notebooks; everything else is pure
functions on plain data, defined below with their formulas.

Notation, for one assignment: ``S`` the trainees with a submission; for an item (a graded cell)
``i`` with maximum ``m_i``, ``S_i ⊆ S`` the trainees whose answer is graded (a manually graded
cell not yet graded in the formgrader is left out until it is), ``x_si`` the score of ``s`` on
``i``; ``T_s = Σ_j x_sj`` the trainee's total over the graded items of the assignment.

Outcome of an answer (``outcome``), one of

- ``right``: full points;
- ``blank``: not full points and the answer cell(s) unchanged from the released notebook
  (nbgrader's own test: the cell's checksum equals the one in its metadata);
- ``wrong``: not full points; the answer was checked and is wrong (the test raised an
  ``AssertionError`` or the course's ``CheckFailed``, or a manual grade below the maximum);
- ``error``: not full points and the answer could not be checked: any other exception (the
  answer's code failed, a name is missing), nothing ran (the kernel died, the time ran out) or
  no readable notebook at all;
- ``pending``: a manual cell awaiting its grade (not in ``S_i``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

OUTCOMES = ("right", "wrong", "blank", "error")
WRONG_ANSWER_ERRORS = ("AssertionError", "CheckFailed")


@dataclass(frozen=True)
class Item:
    notebook: str
    grade_id: str
    max_score: float
    manual: bool = False
    concept: str = ""
    section: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.notebook, self.grade_id)

    @property
    def label(self) -> str:
        return self.concept or self.grade_id


@dataclass(frozen=True)
class Response:
    student: str
    notebook: str
    grade_id: str
    score: float | None        # None: not graded yet (manual)
    outcome: str               # right / wrong / blank / error / pending

    @property
    def key(self) -> tuple[str, str]:
        return (self.notebook, self.grade_id)


@dataclass
class ItemStats:
    item: Item
    n: int                      # |S_i|
    mean: float | None          # x̄_i
    difficulty: float | None    # p_i
    point_biserial: float | None
    upper_lower: float | None   # D_i
    blank_share: float | None
    error_share: float | None
    pending: int = 0
    flags: list[str] = field(default_factory=list)


@dataclass
class GroupStats:
    name: str                   # the concept or the section
    section: str
    items: list[str]            # grade_ids
    points: float               # Σ_i n_i m_i
    earned: float               # Σ_i Σ_s x_si
    difficulty: float | None    # earned / points


@dataclass
class TraineeStats:
    student: str
    total: float                # T_s
    max_total: float            # Σ m_i over the items graded for s
    share: float | None         # T_s / max_total
    missed: list[str]           # concepts with a share below the threshold
    pending: int = 0


# --------------------------------------------------------------------------------------------
# pure statistics
# --------------------------------------------------------------------------------------------
def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² · Σ(y−ȳ)²); None when n < 2 or either variance is 0."""
    if len(xs) < 2:
        return None
    mx, my = _mean(xs), _mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def totals(responses: Iterable[Response]) -> dict[str, float]:
    """T_s = Σ_j x_sj over the graded items of each trainee (pending items count nothing)."""
    out: dict[str, float] = {}
    for r in responses:
        earned = 0.0 if r.outcome == "pending" else (r.score or 0.0)
        out[r.student] = out.get(r.student, 0.0) + earned
    return out


def upper_lower_groups(total: dict[str, float], share: float) -> tuple[set[str], set[str]]:
    """The upper and lower groups: g = max(1, round(share · n)) trainees each, by T_s.

    Ties at the boundary join the group: the upper group is every trainee with T_s ≥ the
    g-th highest total, the lower every trainee with T_s ≤ the g-th lowest (so with ties a
    group may be larger than g, and when everybody has the same total both are everybody).
    """
    if not total:
        return set(), set()
    ranked = sorted(total.values())
    g = max(1, round(share * len(ranked)))
    high, low = ranked[-g], ranked[g - 1]
    return ({s for s, t in total.items() if t >= high}, {s for s, t in total.items() if t <= low})


def item_stats(items: list[Item], responses: list[Response], group_share: float = 0.27
               ) -> list[ItemStats]:
    """Per item ``i``, over ``S_i`` (n_i = |S_i|):

    - mean  x̄_i = Σ_s x_si / n_i;
    - difficulty  p_i = x̄_i / m_i (the share of the points earned; high = easy);
    - point-biserial  r_i = pearson(x_si, T_s − x_si) over S_i: the correlation of the item
      with the rest of the assignment (for a right/wrong item this is the point-biserial
      correlation; the rest excludes the item itself so that it does not correlate with
      itself); None when n_i < 2 or either has no variance (everybody right, or wrong);
    - upper-lower index  D_i = p_i(U) − p_i(L), the difficulty in the upper group minus that
      in the lower group of ``upper_lower_groups`` (by T_s over all of S, share 27 %), each
      over its members in S_i; None when n_i < 2 or a group has no member in S_i;
    - blank share = #{s ∈ S_i: blank} / n_i, error share = #{s ∈ S_i: error} / n_i.

    With n_i = 0 every figure is None.
    """
    total = totals(responses)
    upper, lower = upper_lower_groups(total, group_share)
    by_item: dict[tuple[str, str], list[Response]] = {}
    for r in responses:
        by_item.setdefault(r.key, []).append(r)
    out = []
    for item in items:
        rs = by_item.get(item.key, [])
        graded = [r for r in rs if r.outcome != "pending"]
        pending = len(rs) - len(graded)
        n = len(graded)
        if n == 0 or item.max_score <= 0:
            out.append(ItemStats(item, n, None, None, None, None, None, None, pending))
            continue
        xs = [float(r.score or 0.0) for r in graded]
        mean = _mean(xs)
        rest = [total[r.student] - x for r, x in zip(graded, xs)]
        d = None
        xu = [x for r, x in zip(graded, xs) if r.student in upper]
        xl = [x for r, x in zip(graded, xs) if r.student in lower]
        if n >= 2 and xu and xl:
            d = (_mean(xu) - _mean(xl)) / item.max_score
        out.append(ItemStats(
            item, n, mean, mean / item.max_score, pearson(xs, rest), d,
            sum(r.outcome == "blank" for r in graded) / n,
            sum(r.outcome == "error" for r in graded) / n, pending))
    return out


def flag(stats: ItemStats, thresholds: dict) -> list[str]:
    """The flags of a question (Japanese), by the thresholds of course/item_analysis.yml:
    易しすぎる p > too_easy_above; 難しすぎる p < too_hard_below; 識別しない r < discrimination_below
    or D < upper_lower_below (an item nobody or everybody got right has no r: it is flagged
    by its difficulty). No flag below min_graded graded answers."""
    if stats.n < thresholds["min_graded"] or stats.difficulty is None:
        return []
    out = []
    if stats.difficulty > thresholds["too_easy_above"]:
        out.append("易しすぎる")
    if stats.difficulty < thresholds["too_hard_below"]:
        out.append("難しすぎる")
    r, d = stats.point_biserial, stats.upper_lower
    if r is not None and (r < thresholds["discrimination_below"]
                          or (d is not None and d < thresholds["upper_lower_below"])):
        out.append("識別しない")
    return out


def group_stats(stats: list[ItemStats], by: str = "concept") -> list[GroupStats]:
    """Per concept (``by="concept"``) or notebook section (``by="section"``):
    difficulty = Σ_i Σ_{s∈S_i} x_si / Σ_i n_i·m_i over its items, None without graded answers.
    Ranked from the worst (lowest difficulty) to the best; ties by name."""
    groups: dict[str, GroupStats] = {}
    for st in stats:
        name = st.item.label if by == "concept" else (st.item.section or st.item.label)
        grp = groups.setdefault(name, GroupStats(name, st.item.section, [], 0.0, 0.0, None))
        grp.items.append(st.item.grade_id)
        if st.n and st.mean is not None:
            grp.points += st.n * st.item.max_score
            grp.earned += st.n * st.mean
    for grp in groups.values():
        grp.difficulty = grp.earned / grp.points if grp.points > 0 else None
    return sorted(groups.values(), key=lambda g: (g.difficulty is None,
                                                  g.difficulty if g.difficulty is not None else 0,
                                                  g.name))


def trainee_stats(items: list[Item], responses: list[Response], missed_below: float
                  ) -> list[TraineeStats]:
    """Per trainee: T_s, the maximum over their graded items, share = T_s / max, and the
    concepts missed: those where Σ x_si / Σ m_i over the concept's graded items of ``s`` is
    below ``missed_below``. Sorted by share, lowest first."""
    by_key = {it.key: it for it in items}
    per: dict[str, dict] = {}
    for r in responses:
        it = by_key.get(r.key)
        if it is None:
            continue
        p = per.setdefault(r.student, {"total": 0.0, "max": 0.0, "pending": 0, "concepts": {}})
        if r.outcome == "pending":
            p["pending"] += 1
            continue
        p["total"] += r.score or 0.0
        p["max"] += it.max_score
        c = p["concepts"].setdefault(it.label, [0.0, 0.0])
        c[0] += r.score or 0.0
        c[1] += it.max_score
    out = []
    for sid, p in per.items():
        missed = [name for name, (e, m) in p["concepts"].items() if m > 0 and e / m < missed_below]
        out.append(TraineeStats(sid, p["total"], p["max"],
                                p["total"] / p["max"] if p["max"] > 0 else None, missed,
                                p["pending"]))
    return sorted(out, key=lambda t: (t.share is None, t.share or 0.0, t.student))


def outcome(score: float | None, max_score: float, *, pending: bool = False,
            blank: bool = False, ename: str | None = None, manual: bool = False) -> str:
    """The outcome of one answer (see the module docstring)."""
    if pending:
        return "pending"
    if score is not None and score >= max_score:
        return "right"
    if blank:
        return "blank"
    if manual or ename in WRONG_ANSWER_ERRORS:
        return "wrong"
    return "error"


# --------------------------------------------------------------------------------------------
# reading: the gradebook (nbgrader's API) and the autograded notebooks
# --------------------------------------------------------------------------------------------
def _nbg(cell: dict) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def answer_facts(nb: dict) -> dict[str, dict]:
    """grade_id → {"blank": bool, "ename": str | None} for the graded cells of an autograded
    notebook. An autograded test cell belongs to the answer cells just before it (an exercise
    is a run of answer cells followed by its test cells); it is blank when all of them are
    unchanged. A manual cell is its own answer."""
    from nbgrader.utils import compute_checksum
    from nbformat import from_dict

    def unchanged(cell) -> bool:
        meta = _nbg(cell)
        return "checksum" in meta and meta["checksum"] == compute_checksum(
            from_dict(dict(cell, source=_source(cell))))

    facts: dict[str, dict] = {}
    answers: list[dict] = []
    after_test = False
    for cell in nb.get("cells", []):
        meta = _nbg(cell)
        if meta.get("solution") and not meta.get("grade"):
            if after_test:
                answers, after_test = [], False
            answers.append(cell)
        elif meta.get("grade") and meta.get("grade_id"):
            if meta.get("solution"):  # manual
                facts[meta["grade_id"]] = {"blank": unchanged(cell), "ename": None}
                continue
            after_test = True
            enames = [o.get("ename") for o in cell.get("outputs", [])
                      if o.get("output_type") == "error"]
            facts[meta["grade_id"]] = {"blank": bool(answers) and all(map(unchanged, answers)),
                                       "ename": enames[0] if enames else None}
    return facts


def read_assignment(gb, assignment: str, autograded: Callable[[str], Path],
                    concepts: dict | None = None) -> tuple[list[Item], list[Response]]:
    """Items and responses of ``assignment`` from an open nbgrader ``Gradebook``.

    ``autograded(student)`` is the folder of that trainee's autograded notebooks;
    ``concepts`` the assignment's entries of course/concepts.yml (grade_id → concept, section).
    """
    concepts = concepts or {}
    a = gb.find_assignment(assignment)
    items = []
    for nb in a.notebooks:
        answers = {c.name for c in nb.solution_cells}
        for cell in nb.grade_cells:
            entry = concepts.get(cell.name) or {}
            items.append(Item(nb.name, cell.name, float(cell.max_score),
                              manual=cell.name in answers,
                              concept=str(entry.get("concept") or ""),
                              section=str(entry.get("section") or "")))
    from nbgrader.api import BaseCell, Grade, Notebook, SubmittedAssignment, SubmittedNotebook

    by_key = {i.key: i for i in items}
    # one query for every grade of the assignment (nbgrader's own models; the lazy loading of
    # submission → notebooks → grades costs a query each)
    rows = (gb.db.query(SubmittedAssignment.student_id, Notebook.name, BaseCell.name, Grade.score,
                        Grade.manual_score, Grade.needs_manual_grade)
            .select_from(Grade)
            .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
            .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
            .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(BaseCell, Grade.cell_id == BaseCell.id)
            .filter(SubmittedAssignment.assignment_id == a.id)
            .order_by(SubmittedAssignment.student_id, Notebook.name).all())
    facts: dict[tuple[str, str], dict] = {}
    responses = []
    for sid, nb_name, gid, score, manual_score, needs_manual in rows:
        item = by_key.get((nb_name, gid))
        if item is None:
            continue
        if (sid, nb_name) not in facts:
            path = Path(autograded(sid)) / f"{nb_name}.ipynb"
            try:
                facts[(sid, nb_name)] = answer_facts(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                facts[(sid, nb_name)] = {}
        nb_facts = facts[(sid, nb_name)]
        pending = bool(needs_manual) and manual_score is None
        f = nb_facts.get(gid, {"blank": False, "ename": None})
        value = None if pending else float(score)
        responses.append(Response(sid, nb_name, gid, value, outcome(
            value, item.max_score, pending=pending, blank=f["blank"], ename=f["ename"],
            manual=item.manual and bool(nb_facts))))
    return items, responses
