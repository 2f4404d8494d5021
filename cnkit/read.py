"""Read utility bills (CSV or Excel) into one tidy table (read layer).

The format is described in ``datasets/BILL_FORMAT.md``. Every change the reader makes
(a unit converted, a full-width number read, a corrected bill replacing the original)
is listed in ``changes``; anything it cannot read stops it with a Japanese message
naming the file, row, column and value.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from . import normalize as nz
from .errors import BillError
from .reference import energies

COLUMNS = {
    "site": "拠点",
    "energy": "エネルギー",
    "month": "使用月",
    "period_start": "検針開始日",
    "period_end": "検針終了日",
    "usage": "使用量",
    "unit": "単位",
    "charge_yen": "請求金額（円）",
    "kind": "区分",
    "note": "備考",
}
REQUIRED = ["site", "energy", "month", "usage", "unit"]
CORRECTION = "訂正"

TABLE_COLUMNS = [
    "site", "energy", "energy_ja", "month", "fiscal_year", "usage", "unit",
    "charge_yen", "period_start", "period_end", "note", "file", "row",
]


class BillsRead(NamedTuple):
    """Result of :func:`read_bills`: the tidy ``table`` and the list of ``changes`` made while reading."""

    table: pd.DataFrame
    changes: pd.DataFrame


def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, row in energies().iterrows():
        for name in [row["name_ja"], code, *str(row["aliases_ja"]).split("|")]:
            out[nz.nfkc(name).upper()] = code
    return out


def _load_raw(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Raw cells of one file as objects, with the header normalised to the internal names."""
    name = path.name
    if not path.exists():
        raise BillError([f"ファイル「{name}」が見つかりません。"])
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            raw = pd.read_excel(path, sheet_name=0, dtype=object, header=0)
        elif path.suffix.lower() == ".csv":
            raw = None
            for enc in ("utf-8-sig", "cp932"):
                try:
                    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc,
                                      skip_blank_lines=False)  # keep line numbers = row numbers
                    break
                except UnicodeDecodeError:
                    continue
            if raw is None:
                raise BillError([f"ファイル「{name}」の文字コードが読めません（UTF-8 か Shift_JIS で保存してください）。"])
        else:
            raise BillError([f"ファイル「{name}」は CSV（.csv）か Excel（.xlsx）ではありません。"])
    except BillError:
        raise
    except Exception as exc:  # a damaged or non-table file
        raise BillError([f"ファイル「{name}」を表として読めません（{type(exc).__name__}）。"]) from exc
    wanted = {nz.nfkc(v): k for k, v in COLUMNS.items()}
    rename, unknown = {}, []
    for col in raw.columns:
        key = nz.nfkc(col)
        if key in wanted:
            rename[col] = wanted[key]
        else:
            unknown.append(str(col))
    raw = raw.rename(columns=rename)
    missing = [COLUMNS[c] for c in REQUIRED if c not in raw.columns]
    if missing:
        raise BillError([f"ファイル「{name}」に必要な列 {'・'.join('「'+m+'」' for m in missing)} がありません。"])
    return raw, unknown


def _read_one(path: Path, aliases: dict[str, str], problems: list[str], changes: list[dict]) -> list[dict]:
    raw, _unknown = _load_raw(path)
    name = path.name
    base_units = energies()["unit"].to_dict()
    ja = energies()["name_ja"].to_dict()
    rows = []
    for i, rec in enumerate(raw.to_dict("records")):
        rowno = i + 2  # header is row 1 in both CSV and Excel
        if all(nz.is_blank(rec.get(c)) for c in COLUMNS if c in rec):
            continue  # an empty line is not a bill

        def bad(col: str, reason: str) -> None:
            problems.append(f"{name} {rowno}行目 列「{COLUMNS[col]}」の値「{rec.get(col)}」: {reason}")

        def note(col: str, after: object, reason: str) -> None:
            changes.append({"file": name, "row": rowno, "column": COLUMNS[col],
                            "before": str(rec.get(col)), "after": str(after), "reason": reason})

        out: dict = {"file": name, "row": rowno}
        ok = True
        for col in REQUIRED:
            if nz.is_blank(rec.get(col)):
                bad(col, "空欄です")
                ok = False
        if not ok:
            continue
        out["site"] = nz.nfkc(rec["site"])
        try:
            out["energy"] = nz.energy_lookup(aliases, rec["energy"])
            if nz.nfkc(rec["energy"]) != ja[out["energy"]]:
                note("energy", ja[out["energy"]], "エネルギー名を統一")
        except ValueError as e:
            bad("energy", str(e) + f"（使える名前: {'、'.join(ja.values())}）")
            ok = False
        try:
            out["month"] = nz.parse_month(rec["month"])
            out["month_raw"] = rec["month"]  # as written, for messages
        except ValueError as e:
            bad("month", str(e))
            ok = False
        try:
            usage = nz.parse_number(rec["usage"])
            if usage < 0:
                bad("usage", "使用量が負の値です")
                ok = False
            elif isinstance(rec["usage"], str) and rec["usage"].strip() != nz.nfkc(rec["usage"]):
                note("usage", f"{usage:.12g}", "全角の数字・記号を半角にして読み取り")
        except ValueError as e:
            bad("usage", str(e))
            ok = False
        try:
            unit, mult = nz.parse_unit(rec["unit"])
        except ValueError as e:
            bad("unit", str(e))
            ok = False
        if not ok:
            continue
        if unit != base_units[out["energy"]]:
            bad("unit", f"{ja[out['energy']]}に合わない単位です（{ja[out['energy']]}は {base_units[out['energy']]} 系の単位で書きます）")
            continue
        out["energy_ja"] = ja[out["energy"]]
        out["unit"] = unit
        out["usage"] = usage * mult
        if mult != 1.0:
            note("usage", f"{out['usage']:.12g} {unit}", f"単位 {str(rec['unit']).strip()} を {unit} に換算")
        charge = rec.get("charge_yen")
        if nz.is_blank(charge):
            out["charge_yen"] = float("nan")
        else:
            try:
                out["charge_yen"] = nz.parse_number(charge)
                if out["charge_yen"] < 0:
                    bad("charge_yen", "請求金額が負の値です")
                    continue
            except ValueError as e:
                bad("charge_yen", str(e))
                continue
        for col in ("period_start", "period_end"):
            val = rec.get(col)
            if nz.is_blank(val):
                out[col] = pd.NaT
                continue
            try:
                out[col] = nz.parse_date(val)
            except ValueError as e:
                bad(col, str(e))
                ok = False
        if not ok:
            continue
        out["kind"] = "" if nz.is_blank(rec.get("kind")) else nz.nfkc(rec.get("kind"))
        if out["kind"] not in ("", CORRECTION):
            bad("kind", f"区分は空欄か「{CORRECTION}」です")
            continue
        out["note"] = "" if nz.is_blank(rec.get("note")) else str(rec.get("note")).strip()
        out["fiscal_year"] = nz.fiscal_year(out["month"])
        rows.append(out)
    return rows


def read_bills(paths) -> BillsRead:
    """Read one or more bill files (CSV or .xlsx) into a tidy table.

    Returns ``BillsRead(table, changes)``. ``table`` has one row per site × energy × month with
    ``usage`` in the energy's base unit (kWh, 千m³, kL, t) and ``fiscal_year`` (April–March).
    Raises :class:`~cnkit.errors.BillError` listing every problem found.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    aliases = _aliases()
    problems: list[str] = []
    changes: list[dict] = []
    rows: list[dict] = []
    for p in paths:
        rows += _read_one(p, aliases, problems, changes)
    if problems:
        raise BillError(problems)
    if not rows:
        raise BillError([f"ファイル「{', '.join(p.name for p in paths)}」に請求書の行がありません。"])
    df = pd.DataFrame(rows)
    df = _apply_corrections(df, problems, changes)
    _check_months(df, problems)
    if problems:
        raise BillError(problems)
    df = df.sort_values(["site", "energy", "month"]).reset_index(drop=True)
    changes_df = pd.DataFrame(changes, columns=["file", "row", "column", "before", "after", "reason"])
    return BillsRead(df[TABLE_COLUMNS], changes_df)


def _label(r) -> str:
    return f"拠点「{r['site']}」・{r['energy_ja']}・{r['month']:%Y年%m月}"


def _apply_corrections(df: pd.DataFrame, problems: list[str], changes: list[dict]) -> pd.DataFrame:
    key = ["site", "energy", "month"]
    keep = []
    for _, g in df.groupby(key, sort=False):
        normal = g[g["kind"] == ""]
        fixes = g[g["kind"] == CORRECTION]
        first = g.iloc[0]
        if len(normal) > 1:
            where = "、".join(f"{r.file} {r.row}行目 列「{COLUMNS['month']}」の値「{r.month_raw}」" for r in normal.itertuples())
            problems.append(f"{_label(first)} の請求書が重複しています（{where}）。再発行なら区分に「{CORRECTION}」と書いてください。")
            keep.append(g.index[0])  # reported above, not also as a missing month
            continue
        if len(fixes) > 1:
            where = "、".join(f"{r.file} {r.row}行目" for r in fixes.itertuples())
            problems.append(f"{_label(first)} の訂正が複数あります（{where}）。最新の1行だけにしてください。")
            keep.append(g.index[0])  # reported above, not also as a missing month
            continue
        if len(fixes) == 1 and len(normal) == 0:
            r = fixes.iloc[0]
            problems.append(f"{r['file']} {r['row']}行目 列「{COLUMNS['kind']}」の値「{CORRECTION}」: {_label(r)} の訂正がありますが、"
                            "訂正される元の請求書がありません。")
            keep.append(g.index[0])  # reported above, not also as a missing month
            continue
        if len(fixes) == 1:
            old, new = normal.iloc[0], fixes.iloc[0]
            changes.append({"file": new["file"], "row": int(new["row"]), "column": COLUMNS["usage"],
                            "before": f"{old['usage']:.12g}（{old['file']} {old['row']}行目）",
                            "after": f"{new['usage']:.12g}", "reason": f"{_label(new)} は訂正の請求書で置き換え"})
            keep.append(fixes.index[0])
        else:
            keep.append(normal.index[0])
    return df.loc[sorted(keep)]


def _check_months(df: pd.DataFrame, problems: list[str]) -> None:
    if df.empty:
        return
    every = pd.date_range(df["month"].min(), df["month"].max(), freq="MS")
    for (site, energy), g in df.groupby(["site", "energy"], sort=True):
        missing = every.difference(pd.DatetimeIndex(g["month"]))
        if len(missing):
            months = "、".join(f"{m:%Y年%m月}" for m in missing[:6]) + ("…" if len(missing) > 6 else "")
            files = "、".join(sorted(set(g["file"])))
            problems.append(f"拠点「{site}」の{g['energy_ja'].iloc[0]}に {months} の請求書がありません（{files}）。")
