"""Blank bill templates and the twelve-month layout (read layer).

Clients often keep their energy use as in a CO2 check sheet: **one row per energy and site,
twelve monthly columns of usage and twelve of charges** (``WIDE_HEADER``). This module writes
blank templates of both layouts (the kit's bill format, ``datasets/BILL_FORMAT.md``, and the
twelve-month layout; Japanese headers, drop-down lists for the energy and unit columns) and
turns a twelve-month table into bill rows that the kit's own reader (:func:`cnkit.read_frames`)
reads, so that its checks and Japanese messages apply; messages then name the row and column of
the twelve-month table.

A blank month in a row that has other months filled in is a **missing month**: it is listed
(:attr:`Upload.missing`), nothing is filled in for it, and the year's totals are those of the
months given.
"""

from __future__ import annotations

import io
import re
from pathlib import PurePath
from typing import NamedTuple

import pandas as pd

from .errors import BillError, CnkitError
from .read import COLUMNS, BillsRead, read_frames
from .reference import energies

#: fiscal-year months in the order of the twelve-month layout (April first)
MONTHS = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
USAGE = "使用量"
CHARGE = "請求金額（円）"
WIDE_KEYS = ["年度", "拠点", "エネルギー", "単位"]
WIDE_HEADER = WIDE_KEYS + [f"{m}月 {USAGE}" for m in MONTHS] + [f"{m}月 {CHARGE}" for m in MONTHS]
#: units offered in the templates' drop-down list (the reader accepts these and more)
UNITS = ["kWh", "MWh", "m3", "千m3", "L", "kL", "kg", "t"]
LAYOUT_BILLS = "請求書の形（1行 = 1枚の請求書）"
LAYOUT_WIDE = "12か月の表（1行 = 1拠点・1エネルギー・1年度）"


class Upload(NamedTuple):
    """An uploaded bills file, read: the reader's result, the layout found and the missing months."""

    bills: BillsRead
    layout: str
    missing: list[str]


def _energy_names() -> list[str]:
    return list(energies()["name_ja"])


def _workbook(header: list[str], title: str, example: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for row in example:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        ws.column_dimensions[cell.column_letter].width = max(10, 2 * len(str(cell.value)) + 2)
    ws.freeze_panes = "A2"
    for name, choices in [("エネルギー", _energy_names()), ("単位", UNITS)]:
        col = ws.cell(row=1, column=header.index(name) + 1).column_letter
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="入力できない値です",
                            error=f"{name}は一覧から選んでください。")
        dv.add(f"{col}2:{col}500")
        ws.add_data_validation(dv)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bills_template() -> bytes:
    """A blank .xlsx in the kit's bill format (one row per bill), with one example row."""
    header = list(COLUMNS.values())
    example = [["本社工場", "電力", "2025年4月", "", "", 12345, "kWh", 345678, "", "例: この行は消してから使う"]]
    return _workbook(header, "請求書", example)


def wide_template(fiscal_year: int = 2025) -> bytes:
    """A blank .xlsx in the twelve-month layout (one row per site × energy × fiscal year)."""
    example = [[fiscal_year, "本社工場", "電力", "kWh"] + [None] * 24]
    return _workbook(WIDE_HEADER, "12か月の表", example)


def _cells(name: str, data: bytes) -> pd.DataFrame:
    """The cells of an uploaded .csv or .xlsx (first sheet) as text, header in row 1."""
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix == ".xlsx":
            df = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, header=0)
            df = df.apply(lambda c: c.map(_text))
        elif suffix == ".csv":
            text = None
            for enc in ("utf-8-sig", "cp932"):
                try:
                    text = data.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            if text is None:
                raise CnkitError(f"ファイル「{name}」の文字コードが読めません（UTF-8 か Shift_JIS で保存してください）。")
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            raise CnkitError(f"ファイル「{name}」は Excel（.xlsx）でも CSV（.csv）でもありません。")
    except CnkitError:
        raise
    except Exception as e:  # a damaged file, a password-protected workbook, an .xls renamed ...
        raise CnkitError(f"ファイル「{name}」を表として読めません（{type(e).__name__}）。"
                         "Excel（.xlsx）か CSV（.csv）で保存し直してください。") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df.fillna("")


def _text(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, pd.Timestamp) or hasattr(v, "strftime"):
        return f"{v:%Y/%m/%d}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _is_wide(df: pd.DataFrame) -> bool:
    return all(c in df.columns for c in WIDE_KEYS) and any(c.endswith(USAGE) and c[0].isdigit() for c in df.columns)


_ROW = re.compile(r"(\d+)行目 列「(使用量|請求金額（円）|使用月|拠点|エネルギー|単位)」")


def wide_to_bills(df: pd.DataFrame, name: str) -> tuple[list[pd.DataFrame], list[str], dict]:
    """Bill-format frames from a twelve-month table, the missing months, and where each bill row came from.

    Returns ``(frames, missing, origin)``: one frame per run of consecutive filled months of a
    row (so that a blank month is reported once, here, and not again by the reader), the Japanese
    list of missing months, and ``origin[(frame index, bill row)] = (table row, month)``."""
    from .normalize import nfkc

    lack = [c for c in WIDE_HEADER if c not in df.columns]
    if lack:
        raise BillError([f"ファイル「{name}」は12か月の表の列 {'・'.join('「' + c + '」' for c in lack)} がありません"
                         "（テンプレートの見出しのまま使ってください）。"])
    frames: list[pd.DataFrame] = []
    origin: dict = {}
    missing: list[str] = []
    problems: list[str] = []
    seen: dict[tuple, int] = {}
    for i, r in df.iterrows():
        row = int(i) + 2
        usage = [str(r[f"{m}月 {USAGE}"]).strip() for m in MONTHS]
        if not any(usage) and not str(r["拠点"]).strip():
            continue  # an empty row
        fy_text = nfkc(str(r["年度"])).strip().removesuffix("年度")
        if not fy_text.isdigit() or not 2000 <= int(fy_text) <= 2100:
            problems.append(f"{name} {row}行目 列「年度」の値「{r['年度']}」: 年度を西暦の数字で入れてください（例: 2025）。")
            continue
        fy = int(fy_text)
        key = (nfkc(str(r["拠点"])).strip(), nfkc(str(r["エネルギー"])).strip(), fy)
        if key in seen:
            problems.append(f"{name} {row}行目: 拠点「{key[0]}」・{key[1]}・{fy}年度 は {seen[key]}行目 と重複しています"
                            "（1つの行にまとめてください）。")
            continue
        seen[key] = row
        label = f"{name} {row}行目（{r['拠点']}・{r['エネルギー']}・{fy}年度）"
        if not any(usage):
            missing.append(f"{label}: 12か月すべてが空欄です（この行は読みません）。")
            continue
        blank = [m for m, u in zip(MONTHS, usage) if not u]
        if blank:
            missing.append(f"{label}: {'・'.join(f'{m}月' for m in blank)} の使用量が空欄です。"
                           f"年間の値は残りの {12 - len(blank)} か月分の合計です（空欄の月は推計していません）。")
        run: list[dict] = []
        runs = [run]
        for m, u in zip(MONTHS, usage):
            if not u:
                run = []
                runs.append(run)
                continue
            year = fy if m >= 4 else fy + 1
            run.append({COLUMNS["site"]: r["拠点"], COLUMNS["energy"]: r["エネルギー"],
                        COLUMNS["month"]: f"{year}年{m}月", COLUMNS["usage"]: u, COLUMNS["unit"]: r["単位"],
                        COLUMNS["charge_yen"]: str(r[f"{m}月 {CHARGE}"]).strip(), "_m": m})
        for run in runs:
            if run:
                k = len(frames)
                for j, b in enumerate(run):
                    origin[(k, j + 2)] = (row, b.pop("_m"))
                frames.append(pd.DataFrame(run, columns=list(COLUMNS.values()), dtype=object).fillna(""))
    if problems:
        raise BillError(problems)
    if not frames:
        raise BillError([f"ファイル「{name}」に使用量の入った行がありません。"])
    return frames, missing, origin


def _where_wide(problem: str, piece: str, name: str, origin: dict, k: int) -> str:
    """A reader message about a converted row, naming the row and column of the twelve-month table."""
    def repl(mt: re.Match) -> str:
        row, month = origin.get((k, int(mt.group(1))), (None, None))
        if row is None:
            return mt.group(0)
        col = mt.group(2)
        col = f"{month}月 {col}" if col in (USAGE, CHARGE) else ("年度" if col == "使用月" else col)
        return f"{row}行目 列「{col}」"
    return _ROW.sub(repl, problem.replace(piece, name))


def read_uploads(files) -> Upload:
    """Read uploaded bills files (``{file name: bytes}``) in either layout, in memory.

    Files in the kit's bill format are read together by the reader as they are (so a bill in two
    files is a duplicate); each twelve-month table is converted (:func:`wide_to_bills`). Raises
    :class:`~cnkit.errors.CnkitError` / ``BillError`` with Japanese messages naming file, row, column
    and value: all the problems of all the files, at once."""
    if not files:
        raise CnkitError("請求書のファイルがありません。Excel（.xlsx）か CSV（.csv）のファイルを選んでください。")
    long, frames, problems, layouts = {}, [], [], []
    for name, data in files.items():
        try:
            df = _cells(name, data)
        except CnkitError as e:
            problems += getattr(e, "problems", [str(e)])
            continue
        if _is_wide(df):
            layouts.append(LAYOUT_WIDE)
            try:
                frames.append((name, *wide_to_bills(df, name)))
            except BillError as e:
                problems += e.problems
        elif COLUMNS["month"] not in df.columns and any(c.endswith(USAGE) and c[:1].isdigit() for c in df.columns):
            problems.append(f"ファイル「{name}」は12か月の表に見えますが、列「{'」「'.join(WIDE_KEYS)}」がそろっていません"
                            "（テンプレートの見出しのまま使ってください）。")
        else:
            layouts.append(LAYOUT_BILLS)
            long[name] = df
    tables, changes, missing = [], [], []

    def take(got: BillsRead, rename=None) -> None:
        t, ch = got.table.copy(), got.changes.copy()
        if rename:
            piece, name, rows = rename
            t["file"], ch["file"] = name, name
            t["row"] = [rows[int(r)] for r in t["row"]]
            ch["row"] = [rows.get(int(r), r) for r in ch["row"]]
        tables.append(t)
        changes.append(ch)

    if long:
        try:
            take(read_frames(long))
        except BillError as e:
            problems += e.problems
    for name, pieces, gaps, origin in frames:
        missing += gaps
        for k, frame in enumerate(pieces):
            piece = f"{name}#{k + 1}"
            try:
                got = read_frames({piece: frame})
            except BillError as e:
                problems += [_where_wide(p, piece, name, origin, k) for p in e.problems]
                continue
            take(got, (piece, name, {j: origin[(k, j)][0] for (kk, j) in origin if kk == k}))
    if problems:
        raise BillError(problems)
    table = pd.concat(tables, ignore_index=True).sort_values(["site", "energy", "month"], kind="stable")
    layout = "・".join(dict.fromkeys(layouts))
    return Upload(BillsRead(table.reset_index(drop=True), pd.concat(changes, ignore_index=True)), layout, missing)
