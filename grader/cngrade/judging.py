"""The worker's side of judging: hidden tests are never sent to the trainee's kernel.

For each autograded test cell (nbgrader ``grade`` and not ``solution``) the worker

1. derives from the cell's own source (the gradebook's, restored by nbgrader's
   OverwriteCells) the names it reads and does not define — the answers and the notebook's
   values it checks them with;
2. asks the kernel for those values as plain data (``plain.export``, written to a file in
   the kernel's private temporary folder);
3. sends the cell's source and the values to the judge (``judge.py``), a process that never
   ran a line of the trainee's code; a function the trainee wrote is called back in the
   kernel with the test's inputs, and only its result (plain data) comes back;
4. puts the judge's outputs into the cell: nbgrader decides the grade from them as always;
5. runs the cell's *visible* part (what the trainee's own copy holds) in the kernel, so that
   the later cells see what they would see in the trainee's own run.

A trainee's code can change what the kernel sends (it can always choose its answer), but not
what the tests are, what they compare with, nor how their outputs are read.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path

from . import plain

HERE = Path(__file__).resolve().parent
BUILTIN_NAMES = set(dir(builtins)) | {"__builtins__", "__name__", "get_ipython", "display"}
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                    re.S | re.M)


def is_test_cell(cell) -> bool:
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return (cell.get("cell_type") == "code" and bool(meta.get("grade"))
            and not meta.get("solution"))


def visible_part(source: str) -> str:
    """The test cell as the trainee's copy holds it (nbgrader's ClearHiddenTests)."""
    return HIDDEN.sub("", source)


def free_names(source: str) -> list[str]:
    """Names a cell reads that it does not define itself (nor Python's builtins)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    loaded, stored = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded.append(node.id) if isinstance(node.ctx, ast.Load) else stored.add(node.id))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
        elif isinstance(node, ast.alias):
            stored.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            stored.add(node.name)
    return [n for n in dict.fromkeys(loaded) if n not in stored and n not in BUILTIN_NAMES]


class Judge:
    """The judge process (one per worker; a fresh namespace for every notebook)."""

    def __init__(self, cwd: str, log_path: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(MPLBACKEND="Agg", PYTHONIOENCODING="utf-8", NBGRADER_EXECUTION="autograde")
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-I", str(HERE / "judge.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, cwd=cwd, env=env)
        self._lock = threading.Lock()
        ready = self._receive()
        if not ready or ready.get("op") != "ready":
            raise RuntimeError("採点用のテスト実行プロセス（judge）を起動できませんでした")

    def _send(self, obj: dict) -> None:
        self.proc.stdin.write((json.dumps(obj, ensure_ascii=True) + "\n").encode())
        self.proc.stdin.flush()

    def _receive(self) -> dict | None:
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def reset(self, cwd: str) -> None:
        self._send({"op": "reset", "cwd": cwd})

    def test(self, source: str, values: dict, call) -> list[dict]:
        """Outputs of the test cell; ``call(name, args_plain)`` answers the judge's calls of
        the trainee's functions (a dict: ok / error / notplain / failed)."""
        with self._lock:
            self._send({"op": "test", "source": source, "values": values})
            while True:
                msg = self._receive()
                if msg is None:
                    raise RuntimeError("採点用のテスト実行プロセス（judge）が停止しました")
                if msg.get("op") == "call":
                    self._send({"reply": call(str(msg.get("name")), msg.get("args"))})
                elif msg.get("op") == "done":
                    return list(msg.get("outputs") or [])

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self._log.close()


# code that can only be there to change how the notebook is run or judged (read from the
# trainee's cells on the trusted side; the grade never depends on it, the note tells the
# instructor where to look)
INTERFERENCE = re.compile(
    r"get_ipython|input_transformers|ast_transformers|set_custom_exc|showtraceback|"
    r"excepthook|displayhook|settrace|setprofile|\bbuiltins\b|__builtins__|\batexit\b|"
    r"__eq__|__ne__|__bool__|__instancecheck__|sys\.modules|gc\.get_objects|\bctypes\b|"
    r"/proc/|\b(?:cnkit|np|numpy|pd|pandas|math|operator|json)(?:\.\w+)+\s*=(?!=)")


def interference_cells(nb) -> list[tuple[int, str]]:
    """(cell number, what was found) for each cell not of the course that holds such code."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("locked") and not meta.get("solution"):
            continue  # the course's own read-only cells (restored from the gradebook)
        match = INTERFERENCE.search(cell.get("source", ""))
        if match:
            found.append((index + 1, match.group(0).strip(" =")))
    return found


def request_path(tmpdir: str) -> str:
    return os.path.join(tmpdir, f"cngrade-{secrets.token_hex(8)}.json")
