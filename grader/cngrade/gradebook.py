"""The gradebook: private copies for the workers, and moving one student's autograde results
into the course gradebook.

Each worker grades into its own copy of the course gradebook (sqlite has one writer at a
time; the copies never wait for each other). After each submission the worker reads back
exactly the fields nbgrader's autograde writes — the submission timestamp, and per notebook
the late penalty, per cell ``auto_score`` / ``needs_manual_grade`` and the automatic comment
— and the main process writes them into the course gradebook with nbgrader's own API, the
only writer there. Manual grades already in the course gradebook are left as they are.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from pathlib import Path


@contextlib.contextmanager
def _alembic_on_path():
    """nbgrader.api.Gradebook runs the ``alembic`` command (new databases only)."""
    bindir = str(Path(sys.executable).parent)
    old = os.environ.get("PATH", "")
    if bindir not in old.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + old
    try:
        yield
    finally:
        os.environ["PATH"] = old


class GradebookUnavailable(RuntimeError):
    """The course gradebook's database server cannot be reached (PostgreSQL stopped)."""


def unavailable_message(db_url: str) -> str:
    where = db_url.split("@", 1)[-1]  # never print the password
    return (f"gradebook のデータベース（{where}）に接続できません。PostgreSQL が止まっています。"
            "講座 Hub を起動している画面（python3 kit.py hub）が動いているか確認し、"
            "止まっていれば起動し直してから、同じ kit.py grade をもう一度実行してください。"
            "記録済みの点数は消えていません（採点は1人ずつ確定します）。")


def raise_if_unavailable(exc: Exception, db_url: str) -> None:
    """A lost connection to a server gradebook stops the run (each student's grades are one
    transaction: what was committed stays, the one in progress is rolled back by the server)."""
    from sqlalchemy.exc import DBAPIError

    if sqlite_path(db_url) is None and isinstance(exc, DBAPIError) and (
            exc.connection_invalidated or "OperationalError" in type(exc).__name__):
        raise GradebookUnavailable(unavailable_message(db_url)) from exc


def open_gradebook(db_url: str, course_id: str):
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import OperationalError

    with _alembic_on_path():
        try:
            return Gradebook(db_url, course_id)
        except OperationalError as exc:
            if sqlite_path(db_url) is None:
                raise GradebookUnavailable(unavailable_message(db_url)) from exc
            raise


def sqlite_path(db_url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(db_url[len(prefix):]) if db_url.startswith(prefix) else None


def snapshot(db_url: str, dest: Path) -> None:
    """A consistent copy of the course gradebook (sqlite backup API)."""
    path = sqlite_path(db_url)
    if path is None:
        _copy_to_sqlite(db_url, dest)
        return
    src = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(str(dest))
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()


def _copy_to_sqlite(db_url: str, dest: Path) -> None:
    """A server gradebook (PostgreSQL on the course hub) copied table by table into an sqlite file
    with nbgrader's own schema, in one read transaction: the workers' base copy."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    open_gradebook(f"sqlite:///{dest}", "").close()  # the schema and alembic version, as nbgrader makes them
    dst = create_engine(f"sqlite:///{dest}")
    src = create_engine(db_url)
    try:
        with src.connect() as s, dst.begin() as d:
            for table in Base.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in s.execute(table.select())]
                d.execute(table.delete())
                if rows:
                    d.execute(table.insert(), rows)
    except OperationalError as exc:
        raise GradebookUnavailable(unavailable_message(db_url)) from exc
    finally:
        src.dispose()
        dst.dispose()


def extract(gb, assignment: str, student: str) -> dict:
    """The autograder's results for one submission, as plain data."""
    sub = gb.find_submission(assignment, student)
    record = {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
              "notebooks": {}}
    for nb in sub.notebooks:
        record["notebooks"][nb.notebook.name] = {
            "late_submission_penalty": nb.late_submission_penalty,
            "grades": {g.name: {"auto_score": g.auto_score,
                                "needs_manual_grade": bool(g.needs_manual_grade)}
                       for g in nb.grades},
            "comments": {c.name: {"auto_comment": c.auto_comment} for c in nb.comments},
        }
    return record


def zero_submission(gb, assignment: str, student: str, timestamp) -> None:
    """What nbgrader's autograde records for a missing notebook: every grade 0, nothing to
    grade by hand (nbgrader.converters.autograde.Autograde.init_assignment)."""
    gb.update_or_create_student(student)
    if timestamp:
        gb.update_or_create_submission(assignment, student, timestamp=timestamp)
    else:
        gb.update_or_create_submission(assignment, student)
    sub = gb.find_submission(assignment, student)
    for nb in sub.notebooks:
        for grade in nb.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
    gb.db.commit()


def apply(gb, assignment: str, student: str, record: dict) -> None:
    """Write a worker's record into ``gb`` (the course gradebook)."""
    from datetime import datetime

    gb.update_or_create_student(student)
    if record.get("timestamp"):
        gb.update_or_create_submission(assignment, student,
                                       timestamp=datetime.fromisoformat(record["timestamp"]))
    else:
        gb.update_or_create_submission(assignment, student)
    for name, data in record["notebooks"].items():
        nb = gb.find_submission_notebook(name, assignment, student)
        nb.late_submission_penalty = data["late_submission_penalty"]
        for grade in nb.grades:
            if grade.name in data["grades"]:
                g = data["grades"][grade.name]
                grade.auto_score = g["auto_score"]
                grade.needs_manual_grade = g["needs_manual_grade"]
        for comment in nb.comments:
            if comment.name in data["comments"]:
                comment.auto_comment = data["comments"][comment.name]["auto_comment"]
    gb.db.commit()


def scores(gb, assignment: str, student: str) -> dict | None:
    """score, max_score, needs_manual_grade of a submission (None if there is none)."""
    from nbgrader.api import MissingEntry

    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return None
    return {"score": float(sub.score), "max_score": float(sub.max_score),
            "needs_manual_grade": bool(sub.needs_manual_grade)}


def grade_table(gb, assignment: str, student: str) -> dict:
    """grade_id → (auto_score, manual_score, score, needs_manual_grade) for every cell."""
    out = {}
    sub = gb.find_submission(assignment, student)
    for nb in sub.notebooks:
        for g in nb.grades:
            out[f"{nb.notebook.name}/{g.name}"] = (
                g.auto_score, g.manual_score, float(g.score), bool(g.needs_manual_grade))
    return out
