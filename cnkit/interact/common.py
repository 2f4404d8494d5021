"""Shared pieces of the widgets: the grading switch, the Japanese message box and the chart area."""

from __future__ import annotations

import html
import os

import ipywidgets as w
from IPython.display import Image, display


def grading() -> bool:
    """True while nbgrader executes the notebook (widgets stay inert then)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def inert(name: str) -> w.HTML:
    """What a widget factory returns while nbgrader grades: a one-line note, no computation."""
    return w.HTML(f"<i>（採点中のため「{html.escape(name)}」は表示しません）</i>")


def message(text: str) -> str:
    """HTML for a Japanese warning shown inside a widget (instead of a traceback)."""
    return ("<div style='color:#8a1c00;background:#fff4e5;border-left:4px solid #D55E00;"
            f"padding:6px 10px'>⚠ {html.escape(text)}</div>")


def show_chart(output: w.Output, fig) -> None:
    """Replace the chart in ``output`` with ``fig``, drawn to PNG once (see :func:`cnkit.show.base.png_bytes`)."""
    from ..show.base import png_bytes

    png = png_bytes(fig)
    output.clear_output(wait=True)
    with output:
        display(Image(data=png, format="png"))
