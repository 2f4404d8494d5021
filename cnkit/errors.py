"""Errors with Japanese messages for trainees.

Every error the package raises on purpose is a :class:`CnkitError`; in a notebook
:func:`cnkit.setup_notebook` shows it as a short Japanese message instead of a traceback.
"""

from __future__ import annotations


class CnkitError(ValueError):
    """An error meant to be read by a trainee (Japanese message)."""


class BillError(CnkitError):
    """A bill file could not be read as it is. ``problems`` lists each finding."""

    def __init__(self, problems: list[str], *, limit: int = 15):
        self.problems = list(problems)
        shown = self.problems[:limit]
        more = len(self.problems) - len(shown)
        lines = [f"請求書データに {len(self.problems)} 件の問題があります。直してから読み込み直してください。"]
        lines += [f"・{p}" for p in shown]
        if more:
            lines.append(f"…ほか {more} 件")
        super().__init__("\n".join(lines))


class CheckFailed(CnkitError, AssertionError):
    """A self-check in a notebook found something to fix (the message says what, not the answer)."""
