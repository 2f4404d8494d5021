"""Reading a submitted notebook before nbgrader sees it, and comparing it with the assignment.

- ``read_submission``: the bytes of a submitted ``.ipynb`` → a notebook, or the reason it cannot
  be graded (empty, not JSON, not a notebook). A BOM, Windows line endings (also inside cell
  sources) or a legacy encoding are repaired, with a note; a file that needs no repair is left
  byte for byte as it was (nbgrader then reads exactly what the trainee submitted).
- ``structure_notes``: what a trainee did to the cells, judged against the gradebook (the truth
  nbgrader uses): cells of another assignment, deleted, duplicated or reordered cells, edited
  read-only or test cells (nbgrader restores them from the gradebook; the note says so).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .notes import format_ids, note


@dataclass
class ReadResult:
    notebook: nbformat.NotebookNode | None
    notes: list = field(default_factory=list)
    repaired: bool = False       # write ``notebook`` instead of copying the file
    fatal: str | None = None     # a ZERO code: the file cannot be graded


def read_submission(path: Path) -> ReadResult:
    if Path(path).is_symlink():  # it would grade whatever file the link points to
        return ReadResult(None, [note("link")], fatal="link")
    raw = Path(path).read_bytes()
    notes = []
    if not raw.strip():
        return ReadResult(None, [note("empty")], fatal="empty")
    repaired = False
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        notes.append(note("bom"))
        repaired = True
    text = None
    for encoding in ("utf-8", "utf-16", "cp932"):
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8":
            notes.append(note("encoding", encoding=encoding))
            repaired = True
            text = text.lstrip("\ufeff")
        break
    if text is None:
        return ReadResult(None, notes + [note("invalid_json")], fatal="invalid_json")
    try:
        data = json.loads(text)
    except ValueError:
        return ReadResult(None, notes + [note("invalid_json")], fatal="invalid_json")
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        return ReadResult(None, notes + [note("not_notebook")], fatal="not_notebook")
    try:
        if data.get("nbformat") == 4 and not repaired and isinstance(data.get("cells"), list):
            nb = json_to_notebook(data)  # nbgrader validates it when it reads it
        else:
            nb = nbformat.reads(text, as_version=4)
    except Exception:
        return ReadResult(None, notes + [note("not_notebook")], fatal="not_notebook")
    if not isinstance(nb.get("cells"), list):
        return ReadResult(None, notes + [note("not_notebook")], fatal="not_notebook")
    crlf = b"\r\n" in raw
    inner_crlf = False
    for cell in nb.cells:
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
            cell["source"] = source
        if isinstance(source, str) and "\r" in source:
            cell.source = source.replace("\r\n", "\n").replace("\r", "\n")
            inner_crlf = True
    if crlf or inner_crlf:
        notes.append(note("crlf"))
        repaired = repaired or inner_crlf
    return ReadResult(nb, notes, repaired=repaired)


def json_to_notebook(data: dict):
    """A v4 notebook from parsed JSON, as nbformat reads it (lines joined) but not validated."""
    from nbformat.v4.nbjson import JSONReader

    return JSONReader().to_notebook(data)


def grade_ids_of(nb) -> list[str]:
    """grade_id of every cell with nbgrader metadata, in notebook order (duplicates kept)."""
    ids = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if gid and (meta.get("grade") or meta.get("solution") or meta.get("locked")
                    or meta.get("task")):
            ids.append(gid)
    return ids


@dataclass
class AssignmentCells:
    """What the gradebook knows about one notebook of an assignment."""

    order: list[str]                 # grade_ids in the source notebook's order (if known)
    tests: set[str]                  # autograded test cells (grade, not solution)
    answers: set[str]                # solution cells (autograded answers and written answers)
    locked: dict[str, tuple[str, str]]   # grade_id → (cell_type, source) of read-only cells


def load_assignment_cells(gb, notebook: str, assignment: str,
                          source_notebook: Path | None) -> AssignmentCells:
    nb = gb.find_notebook(notebook, assignment)
    grade = {c.name for c in nb.grade_cells}
    solution = {c.name for c in nb.solution_cells}
    locked = {c.name: (c.cell_type, c.source) for c in nb.source_cells if c.locked}
    order: list[str] = []
    if source_notebook is not None and Path(source_notebook).is_file():
        try:
            order = grade_ids_of(nbformat.read(source_notebook, as_version=4))
        except Exception:
            order = []
    known = grade | solution | set(locked)
    order = [g for g in order if g in known]
    return AssignmentCells(order, grade - solution, solution, locked)


def _without_hidden_tests(source: str, config) -> str:
    from nbgrader.preprocessors import ClearHiddenTests

    cell = nbformat.v4.new_code_cell(source)
    ClearHiddenTests(config=config)._remove_hidden_test_region(cell)
    return cell.source


def structure_notes(nb, cells: AssignmentCells, other_assignments: dict[str, set[str]],
                    config=None) -> list[dict]:
    """Notes on cells of another assignment, deleted / duplicated / reordered / edited cells."""
    notes = []
    ids = grade_ids_of(nb)
    known = cells.tests | cells.answers | set(cells.locked)
    present = [g for g in ids if g in known]
    foreign = [g for g in ids if g not in known]
    if foreign and not present:
        best = max(other_assignments.items(), key=lambda kv: len(kv[1] & set(foreign)),
                   default=(None, set()))
        other = best[0] if best[0] and best[1] & set(foreign) else "不明"
        notes.append(note("other_assignment", other=other))
        return notes

    counts: dict[str, int] = {}
    for g in present:
        counts[g] = counts.get(g, 0) + 1
    duplicated = [g for g, n in counts.items() if n > 1]
    if duplicated:
        notes.append(note("duplicated", ids=format_ids(duplicated)))

    missing_tests = [g for g in cells.order or sorted(cells.tests)
                     if g in cells.tests and g not in counts]
    missing_answers = [g for g in cells.order or sorted(cells.answers)
                       if g in cells.answers and g not in counts]
    if missing_tests:
        notes.append(note("deleted_tests", ids=format_ids(missing_tests)))
    if missing_answers:
        notes.append(note("deleted_answers", ids=format_ids(missing_answers)))

    if cells.order:
        # nbgrader keeps the last of duplicated cells
        last = {g: i for i, g in enumerate(present)}
        submitted_order = [g for g, _ in sorted(last.items(), key=lambda kv: kv[1])]
        expected = [g for g in cells.order if g in last]
        if submitted_order != expected:
            notes.append(note("reordered"))

    edited_tests, edited_other = [], []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if gid not in cells.locked:
            continue
        cell_type, source = cells.locked[gid]
        submitted = cell.get("source", "")
        if isinstance(submitted, list):
            submitted = "".join(submitted)
        if cell.get("cell_type") == cell_type and submitted in (
                source, _without_hidden_tests(source, config)):
            continue
        (edited_tests if gid in cells.tests else edited_other).append(gid)
    if edited_tests:
        notes.append(note("restored_tests", ids=format_ids(dict.fromkeys(edited_tests))))
    if edited_other:
        notes.append(note("restored_cells", ids=format_ids(dict.fromkeys(edited_other))))
    return notes


def repair(nb, cells: AssignmentCells) -> tuple[bool, list[dict]]:
    """Make a notebook nbgrader can process, changing nothing it would grade differently.

    nbgrader 0.9.6 stops on two things a trainee can do by accident:
    - a cell copied together with its nbgrader metadata (a duplicated grade_id):
      DeduplicateIds keeps the last copy and empties the others' metadata, which then fails
      the metadata check ("nbgrader update"): here the earlier copies lose their nbgrader
      metadata (they stay ordinary cells, as nbgrader intends);
    - nbgrader metadata with a grade_id this notebook does not have (a cell pasted from another
      notebook): OverwriteCells deletes the grade_id and the metadata check fails: here such
      cells lose their nbgrader metadata.
    """
    known = cells.tests | cells.answers | set(cells.locked)
    changed = False
    unknown = []
    last: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict):
            continue
        gid = meta.get("grade_id")
        if not gid or gid not in known:
            if gid and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
                unknown.append(gid)
            del cell.metadata["nbgrader"]
            changed = True
            continue
        last[gid] = i
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and meta.get("grade_id") in last \
                and last[meta["grade_id"]] != i:
            del cell.metadata["nbgrader"]
            changed = True
    notes = [note("unknown_cells", ids=format_ids(dict.fromkeys(unknown)))] if unknown else []
    return changed, notes


def is_this_assignment(nb, cells: AssignmentCells) -> bool:
    known = cells.tests | cells.answers | set(cells.locked)
    return any(g in known for g in grade_ids_of(nb))


def copy_notebook(nb):
    return copy.deepcopy(nb)
