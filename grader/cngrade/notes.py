"""Notes: what happened to a submission, in Japanese, for the summary table and the sheets.

A note is a dict ``{"code": ..., "text": ..., "cell": n or None}``; ``text`` is short enough
for a table. Codes are stable (tests and the Excel sheet use them).
"""

from __future__ import annotations

import errno
import re

from .kernels import KERNEL_DIED, NOT_RUN, NOTEBOOK_TIMEOUT, OUTPUT_DROPPED
from .sandbox import NETWORK_BLOCKED_MESSAGE, OUTPUT_CAP_MARKER

TEXTS = {
    # reading the file
    "missing": "{name} が提出されていません（0点）",
    "empty": "空のファイル（0点）",
    "invalid_json": "JSONとして読めないファイル（0点）",
    "not_notebook": "ノートブックの形式ではないファイル（0点）",
    "link": "ファイルではなくリンク（シンボリックリンク）なので採点しません（0点）",
    "renamed": "ファイル名が違う {name} を採点しました",
    "bom": "BOM付きのファイルを読み替えて採点",
    "crlf": "Windowsの改行（CRLF）を読み替えて採点",
    "encoding": "文字コード {encoding} を読み替えて採点",
    # structure
    "other_assignment": "別の課題（{other}）のノートブック",
    "deleted_tests": "テストセルが削除されていた: {ids}（0点）",
    "deleted_answers": "解答セルが削除されていた: {ids}",
    "duplicated": "セルが重複していた: {ids}（最後のものを採点）",
    "unknown_cells": "この課題にないセルの採点情報を無視: {ids}",
    "reordered": "セルの順序が入れ替わっていた",
    "restored_tests": "テストセルが改変されていたため復元: {ids}",
    "restored_cells": "読み取り専用セルが改変されていたため復元: {ids}",
    # running
    "timeout": "時間切れ（セル {cell}）",
    "notebook_timeout": "ノートブック全体の時間切れ（セル {cell} 以降は未実行）",
    "unresponsive": "中断に応答しないため停止（セル {cell} 以降は未実行）",
    "kernel_died": "カーネルが停止（セル {cell}、以降は未実行）",
    "cpu": "CPU時間の上限（セル {cell}）",
    "memory": "メモリ上限（セル {cell}）",
    "file_size": "ファイルサイズの上限（セル {cell}）",
    "processes": "プロセス数の上限（セル {cell}）",
    "sys_exit": "sys.exit() の呼び出し（セル {cell}）",
    "input": "input() は採点中は使えません（セル {cell}）",
    "network": "ネットワーク接続は遮断（セル {cell}）",
    "write_blocked": "自分のフォルダの外への書き込みを遮断（セル {cell}）",
    "write_attempt": "自分のフォルダの外に書き込もうとした: {paths}",
    "write_outside": "自分のフォルダの外に書き込み（採点用の一時コピー内のみ・削除済み）: {paths}",
    "output_truncated": "出力が多すぎるため省略（セル {cell}）",
    "answer_error": "解答セルがエラーで終了（セル {cell}: {ename}）",
    # grading
    "grading_error": "採点エラー: {message}",
    "no_submission": "ノートブックが提出されていません（0点）",
}

# codes that mean "the grade was decided without running the notebook"
ZERO_CODES = {"missing", "empty", "invalid_json", "not_notebook", "no_submission",
              "other_assignment", "link"}


def note(code: str, cell: int | None = None, **fields) -> dict:
    text = TEXTS[code].format(cell=cell, **fields)
    return {"code": code, "text": text, "cell": cell}


def format_ids(ids, limit: int = 4) -> str:
    ids = list(ids)
    shown = "、".join(ids[:limit])
    return shown + (f" ほか{len(ids) - limit}件" if len(ids) > limit else "")


# --------------------------------------------------------------------------------------------
# after execution: read the autograded notebook
# --------------------------------------------------------------------------------------------
_NETWORK = re.compile(
    r"Network is unreachable|Temporary failure in name resolution|Name or service not known|"
    r"No address associated with hostname|nodename nor servname|getaddrinfo failed|"
    r"\[Errno (101|-2|-3|-5)\]|Max retries exceeded|" + re.escape(NETWORK_BLOCKED_MESSAGE))
_READ_ONLY = re.compile(r"Read-only file system|\[Errno 30\]")
_FILE_SIZE = re.compile(r"File too large|\[Errno 27\]")
_PROCESSES = re.compile(r"can't start new thread|Resource temporarily unavailable|"
                        r"\[Errno 11\]|BlockingIOError")


def _error_code(ename: str, evalue: str) -> str | None:
    text = f"{ename}: {evalue}"
    if ename == "CellTimeoutError":
        return "timeout"
    if ename == "MemoryError":
        return "memory"
    if ename == "StdinNotImplementedError":
        return "input"
    if ename == "SystemExit":
        return "sys_exit"
    if _READ_ONLY.search(text):
        return "write_blocked"
    if _FILE_SIZE.search(text):
        return "file_size"
    if _NETWORK.search(text):
        return "network"
    if _PROCESSES.search(text) and ename in ("BlockingIOError", "RuntimeError", "OSError",
                                               "PermissionError"):
        return "processes"
    return None


def _is_answer(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution")) and not meta.get("grade")


def notes_from_notebook(nb, stopped: dict | None, kernel_exit: int | None,
                        kernel_log: str = "", limit: str | None = None) -> list[dict]:
    """Notes for what happened while the cells ran (one per kind and cell)."""
    found: list[dict] = []
    seen: set[tuple[str, int | None]] = set()

    def add(code: str, cell: int | None, **fields) -> None:
        if (code, cell) not in seen:
            seen.add((code, cell))
            found.append(note(code, cell, **fields))

    stop_cell = stopped["cell"] + 1 if stopped else None
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        number = index + 1
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                ename, evalue = out.get("ename", ""), str(out.get("evalue", ""))
                if ename in (NOT_RUN, KERNEL_DIED, NOTEBOOK_TIMEOUT):
                    continue
                if ename == "CellTimeoutError" and stopped and stopped["cell"] == index:
                    continue  # reported below as unresponsive / notebook timeout
                code = _error_code(ename, evalue)
                if code:
                    add(code, number)
                elif _is_answer(cell) and ename != "NotImplementedError":
                    # the trainee's own code stopped with an error (an unanswered cell raises
                    # NotImplementedError: that is a blank answer, not worth a note)
                    add("answer_error", number, ename=ename)
            elif kind == "stream":
                text = out.get("text", "")
                if OUTPUT_CAP_MARKER in text or OUTPUT_DROPPED in text or \
                        "... Output truncated ..." in text:
                    add("output_truncated", number)
                elif out.get("name") == "stderr" and _NETWORK.search(text) and "Error" in text:
                    add("network", number)
    if stopped:
        reason = stopped.get("reason")
        if reason == "kernel_died":
            # why did it die? SIGXCPU: CPU limit; a MemoryError or bad_alloc in its log: memory
            import signal as _signal

            if limit == "processes":
                add("processes", stop_cell)
            elif kernel_exit == -_signal.SIGXCPU:
                add("cpu", stop_cell)
            elif re.search(r"MemoryError|bad_alloc|Cannot allocate memory", kernel_log or ""):
                add("memory", stop_cell)
            add("kernel_died", stop_cell)
        elif reason == "notebook_timeout":
            add("notebook_timeout", stop_cell)
        elif reason == "unresponsive":
            add("unresponsive", stop_cell)
    return found


def errno_name(code: int) -> str:
    return errno.errorcode.get(code, str(code))
