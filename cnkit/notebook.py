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


def _float_format(v: float) -> str:
    """Thousands separators for large numbers, significant digits for small factors (0.000421)."""
    if v != v or v == 0 or abs(v) >= 1:
        return f"{v:,.3f}"
    return f"{v:.4g}"


def _handler(shell, etype, value, tb, tb_offset=None):
    stb = [_HEAD, japanese_message(etype, value)]
    # IPython discards what a custom handler returns: show it ourselves. In a kernel this sends the
    # "error" output (and fills the execute reply), which is what nbgrader looks for to fail a cell.
    shell._showtraceback(etype, value, stb)
    return stb


def setup_notebook() -> None:
    """Call once at the top of every course notebook.

    - selects the bundled Japanese font for charts;
    - shows course errors (and a missing answer or an undefined name) as a short Japanese
      message instead of a Python traceback — the cell still counts as failed.
    """
    from . import show  # noqa: F401  (font set-up)
    import pandas as pd

    pd.set_option("display.float_format", _float_format)
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python
        return
    ip = get_ipython()
    if ip is not None:
        ip.set_custom_exc((CnkitError, NotImplementedError, NameError), _handler)
        # charts are matplotlib Figures made without pyplot: show them as PNG when returned or displayed
        from IPython.core.pylabtools import select_figure_formats

        select_figure_formats(ip, {"png"}, bbox_inches="tight")
