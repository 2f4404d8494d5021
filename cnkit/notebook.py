"""Set a notebook up for the course: Japanese charts and Japanese error messages."""

from __future__ import annotations

from .errors import CnkitError

_HEAD = "\x1b[1;31m⚠ 確認してください\x1b[0m"


def japanese_message(etype, value) -> str:
    """The Japanese explanation shown instead of a traceback for the errors trainees meet most."""
    if issubclass(etype, CnkitError):
        return str(value)
    if issubclass(etype, NotImplementedError):
        return ("この演習はまだ解答されていません。セルの中の「raise NotImplementedError(...)」の行を消して、"
                "そこに解答を書いてから実行してください。")
    if issubclass(etype, NameError):
        name = getattr(value, "name", None) or str(value)
        return (f"「{name}」がまだ定義されていません。このセルより上のセルを、上から順に実行しましたか？"
                "（メニュー「実行」→「選択したセルより上をすべて実行」）。名前の打ち間違いも確かめてください。")
    return str(value)


def _handler(shell, etype, value, tb, tb_offset=None):
    return [_HEAD, japanese_message(etype, value)]


def setup_notebook() -> None:
    """Call once at the top of every course notebook.

    - selects the bundled Japanese font for charts;
    - shows course errors (and a missing answer or an undefined name) as a short Japanese
      message instead of a Python traceback — the cell still counts as failed.
    """
    from . import show  # noqa: F401  (font set-up)
    import pandas as pd

    pd.set_option("display.float_format", lambda v: f"{v:,.3f}")
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python
        return
    ip = get_ipython()
    if ip is not None:
        ip.set_custom_exc((CnkitError, NotImplementedError, NameError), _handler)
