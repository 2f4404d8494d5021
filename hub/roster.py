"""The course hub's roster: a CSV of the people who may log in (python3 kit.py hub --roster ...).

Columns (header row, UTF-8 with or without BOM):

    id        login name = system user name = nbgrader student ID (a-z, 0-9, _ and -, starting with a letter)
    name      display name (Japanese is fine)
    role      trainee | instructor  (受講者 / 講師 also accepted)
    password  initial password; empty: the kit makes one and writes it to <state>/initial_passwords.csv

Errors name the file, the row and the column, in Japanese.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
ROLES = {"trainee": "trainee", "instructor": "instructor", "受講者": "trainee", "講師": "instructor"}
REQUIRED = ("id", "name", "role")
# system accounts that a roster must not take over
RESERVED = {"root", "postgres", "nobody", "daemon", "bin", "sys", "admin", "jupyterhub"}


class RosterError(ValueError):
    """A roster problem, in Japanese, naming the file/row/column/value."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str  # "trainee" | "instructor"
    password: str  # "" = none given


def read_roster(path: Path) -> list[Person]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"名簿ファイル {path} が見つかりません。") from None
    except UnicodeDecodeError:
        raise RosterError(f"名簿ファイル {path} が UTF-8 ではありません。Excel なら「CSV UTF-8」で保存してください。") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RosterError(f"名簿ファイル {path} が空です。1行目に id,name,role,password の見出しが必要です。")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterError(f"{path} の1行目（見出し）に列 {', '.join(missing)} がありません"
                          f"（今の見出し: {', '.join(rows[0])}）。")
    col = {name: header.index(name) for name in header}
    people: list[Person] = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        uid, role = cell("id"), cell("role")
        where = f"{path} の {lineno} 行目"
        if not ID_PATTERN.match(uid):
            raise RosterError(f"{where}、列 id の値「{uid}」はログイン名に使えません"
                              "（半角の英小文字で始め、英小文字・数字・_・- だけで 31 文字まで）。")
        if uid in RESERVED or uid.startswith("grader-"):
            raise RosterError(f"{where}、列 id の値「{uid}」はシステムが使う名前です。別の ID にしてください。")
        if uid in seen:
            raise RosterError(f"{where}、列 id の値「{uid}」は {seen[uid]} 行目と重複しています。")
        if role.lower() not in ROLES and role not in ROLES:
            raise RosterError(f"{where}、列 role の値「{role}」は trainee（受講者）か instructor（講師）にしてください。")
        seen[uid] = lineno
        people.append(Person(uid, cell("name") or uid, ROLES.get(role.lower(), ROLES.get(role)),
                             cell("password")))
    if not people:
        raise RosterError(f"名簿ファイル {path} に受講者・講師の行がありません。")
    return people
