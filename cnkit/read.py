"""Read utility bills (CSV or Excel) into one tidy table (read layer).

The format is described in ``datasets/BILL_FORMAT.md``. Every change the reader makes
(a unit converted, a full-width number read, a corrected bill replacing the original)
is listed in ``changes``; anything it cannot read stops it with a Japanese message
naming the file, row, column and value.

The reader works on whole columns (``cnkit.normalize.*_values``: pandas string operations,
distinct values first where a column repeats itself), not row by row: a portfolio of a million
bill rows reads in seconds. The messages and the list of changes are the same as a row-by-row
reading would give, in the same order: a row's problems in the order of its columns' checks,
rows in file order, files in the order given.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
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
    return _header(raw, name)


def _header(raw: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Rename the Japanese header to the internal names; stop if a required column is missing."""
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
    # two headers for one column (請求金額（円） and 請求金額(円)): the last one counts, as in a row's dict
    raw = raw.loc[:, ~raw.columns.duplicated(keep="last")]
    return raw, unknown


# The order in which a row's checks report, so that problems are listed row by row, column by column.
_BLANK, _ENERGY, _MONTH, _USAGE, _UNIT, _UNIT_FIT, _CHARGE, _PERIOD, _KIND = 0, 10, 11, 12, 13, 20, 30, 40, 50


class _Cells:
    """One column of raw cells: its distinct cells and, for every row, which of them it holds.

    A text column (CSV) is reduced with ``pandas.factorize``, so that each distinct text is read once.
    A column of other objects (Excel: numbers, dates) is kept cell by cell: 1, 1.0 and True are equal
    to ``factorize`` but not to the reader."""

    def __init__(self, col: pd.Series):
        if isinstance(col.dtype, pd.StringDtype):
            codes, uniques = pd.factorize(col.to_numpy(dtype=object))  # an empty cell (NaN) → −1
            cells = np.asarray(uniques, dtype=object)
            missing = codes < 0
            if missing.any():
                codes[missing] = len(cells)
                cells = np.append(cells, np.nan)
            self.codes = codes.astype(np.intp, copy=False)
            self.cells = pd.Series(cells, dtype=object)
        else:
            self.codes = np.arange(len(col))
            self.cells = pd.Series(col.to_numpy(dtype=object), dtype=object)

    def texts(self) -> np.ndarray:
        """``str`` of each distinct cell, as the messages and the list of changes write a cell."""
        cells = self.cells.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(cells, skipna=False) in ("string", "empty"):
            return cells
        return np.array([str(v) for v in cells], dtype=object)


class _Names:
    """Distinct strings of one output column over all files (site names, notes), numbered as first seen."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def codes(self, names) -> np.ndarray:
        index = self.index
        return np.array([index.setdefault(n, len(index)) for n in names], dtype=np.int64)

    def names(self) -> np.ndarray:
        return np.array(list(self.index), dtype=object)


class _Reading:
    """What the reading of all files shares: the energy catalogue, aliases and the output's string columns."""

    def __init__(self) -> None:
        en = energies()
        self.aliases = _aliases()
        self.energy_codes = list(en.index)
        self.energy_pos = {c: i for i, c in enumerate(self.energy_codes)}
        self.ja = en["name_ja"].to_dict()
        self.base_units = en["unit"].to_dict()
        self.files: list[str] = []
        self.sites = _Names()
        self.notes = _Names()


class _Texts:
    """A column of strings as its distinct strings and a code per row: a pandas ``str`` array is then a
    ``take`` of the few distinct strings, with no pass over millions of Python strings."""

    def __init__(self, uniques, codes) -> None:
        self.uniques = np.asarray(uniques, dtype=object)
        self.codes = np.asarray(codes, dtype=np.int64)

    @classmethod
    def const(cls, text: str, n: int) -> _Texts:
        return cls([text], np.zeros(n, dtype=np.int64))

    @classmethod
    def concat(cls, parts: list[_Texts]) -> _Texts:
        offsets = np.cumsum([0] + [len(p.uniques) for p in parts[:-1]])
        return cls(np.concatenate([p.uniques for p in parts]),
                   np.concatenate([p.codes + o for p, o in zip(parts, offsets)]))

    def array(self, order: np.ndarray | None = None):
        codes = self.codes if order is None else self.codes[order]
        return pd.array(self.uniques, dtype="str").take(codes)


def _fmt(values: np.ndarray, suffix: _Texts | None = None) -> _Texts:
    """``f"{v:.12g}"`` (+ the suffix) of every value: each distinct value formatted once, -0.0 and 0.0 apart."""
    zero = values == 0
    codes, uniq = pd.factorize(values[~zero])
    texts = np.array(["0", "-0"] + [f"{v:.12g}" for v in uniq], dtype=object)
    out = np.empty(len(values), dtype=np.int64)
    out[~zero] = codes + 2
    out[zero] = np.signbit(values[zero]).astype(np.int64)
    if suffix is None:
        return _Texts(texts, out)
    pair, pairs = pd.factorize(out * len(suffix.uniques) + suffix.codes)
    n = len(suffix.uniques)
    return _Texts([texts[k // n] + suffix.uniques[k % n] for k in pairs], pair)


def _read_frame(raw: pd.DataFrame, name: str, reading: _Reading, problems: list[str]) -> tuple[dict, list]:
    """Check and normalise the rows of one file, a column at a time.

    Appends the file's problems to ``problems`` (row by row, in the order of the checks) and returns the
    readable rows (a dict of arrays) and, while no problem has been found, the file's changes."""
    ja, base_units = reading.ja, reading.base_units
    file_no = len(reading.files)
    reading.files.append(name)
    n = len(raw)
    present = [c for c in COLUMNS if c in raw.columns]
    cells = {c: _Cells(raw[c]) for c in present}
    numbers = {c: nz.parse_number_values(cells[c].cells, distinct=False) for c in ("usage", "charge_yen") if c in cells}
    blank_cells = {}
    for c in present:
        if c in numbers:  # a number read is not blank: look only at the cells that were not read
            failed_cells = numbers[c].value.isna().to_numpy()
            blank_cells[c] = np.zeros(len(failed_cells), dtype=bool)
            blank_cells[c][failed_cells] = nz.is_blank_values(cells[c].cells[failed_cells], distinct=False)
        else:
            blank_cells[c] = nz.is_blank_values(cells[c].cells, distinct=False)
    blank = {c: blank_cells[c][cells[c].codes] for c in present}
    live = ~np.logical_and.reduce([blank[c] for c in present])  # an empty line is not a bill

    found: list[tuple[int, int, str]] = []
    records: dict[int, dict] = {}

    def bad(rows: np.ndarray, c: str, order: int, reason) -> None:
        for i in np.flatnonzero(rows):
            if i not in records:  # the cells as a row-by-row reading sees them
                records[i] = raw.iloc[[i]].to_dict("records")[0]
            text = reason if isinstance(reason, str) else reason(i)
            found.append((i, order, f"{name} {i + 2}行目 列「{COLUMNS[c]}」の値「{records[i].get(c)}」: {text}"))

    def per_row(c: str, per_cell) -> np.ndarray:
        return np.asarray(per_cell)[cells[c].codes]

    def failed(c: str, parsed) -> np.ndarray:
        """Rows whose cell could not be read (reasons are looked up per cell: see ``reason``)."""
        return per_row(c, parsed.error.to_numpy(dtype=object).astype(bool))  # None → False

    def reason(c: str, parsed, suffix: str = ""):
        err = parsed.error.to_numpy(dtype=object)
        return lambda i: err[cells[c].codes[i]] + suffix

    ok = live.copy()
    for k, c in enumerate(REQUIRED):
        bad(live & blank[c], c, _BLANK + k, "空欄です")
        ok &= ~blank[c]

    energy = nz.energy_lookup_values(reading.aliases, cells["energy"].cells, distinct=False)
    e_cell = np.array([-1 if e is None else reading.energy_pos[e] for e in energy.value], dtype=np.int64)
    e_pos = per_row("energy", e_cell)
    month = nz.parse_month_values(cells["month"].cells, distinct=False)
    m_val = per_row("month", month.value)
    usage = numbers["usage"]
    u_val = per_row("usage", usage.value)
    unit = nz.parse_unit_values(cells["unit"].cells, distinct=False)
    unit_mult = per_row("unit", unit.multiplier)

    codes = reading.energy_codes
    names = f"（使える名前: {'、'.join(ja.values())}）"
    e_bad = ok & failed("energy", energy)
    m_bad = ok & failed("month", month)
    u_bad = ok & failed("usage", usage)
    u_neg = ok & ~u_bad & (u_val < 0)
    n_bad = ok & failed("unit", unit)
    bad(e_bad, "energy", _ENERGY, reason("energy", energy, names))
    bad(m_bad, "month", _MONTH, reason("month", month))
    bad(u_bad, "usage", _USAGE, reason("usage", usage))
    bad(u_neg, "usage", _USAGE, "使用量が負の値です")
    bad(n_bad, "unit", _UNIT, reason("unit", unit))
    ok &= ~(e_bad | m_bad | u_bad | u_neg | n_bad)

    # the unit must be one of the energy's: compare the unit's base with the energy's base unit
    base_code = {b: i for i, b in enumerate(sorted(set(base_units.values())))}
    unit_base_cell = np.array([base_code.get(b, -1) if b is not None else -1 for b in unit.unit], dtype=np.int64)
    energy_base = np.array([base_code[base_units[c]] for c in codes], dtype=np.int64)
    unfit = ok & (per_row("unit", unit_base_cell) != energy_base[np.maximum(e_pos, 0)])
    bad(unfit, "unit", _UNIT_FIT, lambda i: (f"{ja[codes[e_pos[i]]]}に合わない単位です（{ja[codes[e_pos[i]]]}は "
                                             f"{base_units[codes[e_pos[i]]]} 系の単位で書きます）"))
    ok &= ~unfit

    charge = np.full(n, np.nan)
    if "charge_yen" in cells:
        given = ~blank["charge_yen"]
        c = numbers["charge_yen"]
        c_val = per_row("charge_yen", c.value)
        c_bad = ok & given & failed("charge_yen", c)
        c_neg = ok & given & ~c_bad & (c_val < 0)
        bad(c_bad, "charge_yen", _CHARGE, reason("charge_yen", c))
        bad(c_neg, "charge_yen", _CHARGE, "請求金額が負の値です")
        ok &= ~(c_bad | c_neg)
        charge[given] = c_val[given]

    periods = {}
    p_bad_any = np.zeros(n, dtype=bool)
    for k, p in enumerate(("period_start", "period_end")):
        periods[p] = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
        if p not in cells:
            continue
        given = ~blank[p]
        d = nz.parse_date_values(cells[p].cells, distinct=False)
        d_val = per_row(p, d.value)
        p_bad = ok & given & failed(p, d)
        bad(p_bad, p, _PERIOD + k, reason(p, d))
        p_bad_any |= p_bad
        periods[p][given] = d_val[given]
    ok &= ~p_bad_any

    if "kind" in cells:
        kind_cell = np.where(blank_cells["kind"], "", nz.nfkc_values(cells["kind"].cells, distinct=False))
        kind_bad_cell = ~np.isin(kind_cell, ["", CORRECTION])
        k_bad = ok & per_row("kind", kind_bad_cell)
        bad(k_bad, "kind", _KIND, f"区分は空欄か「{CORRECTION}」です")
        ok &= ~k_bad
        fix = per_row("kind", kind_cell == CORRECTION)
    else:
        fix = np.zeros(n, dtype=bool)

    found.sort(key=lambda f: (f[0], f[1]))
    problems += [f[2] for f in found]

    sel = np.flatnonzero(ok)
    site_cell = reading.sites.codes(nz.nfkc_values(cells["site"].cells, distinct=False))
    if "note" in cells:
        note_text = pd.Series(cells["note"].texts(), dtype=object).str.strip().to_numpy(dtype=object)
        note_cell = reading.notes.codes(np.where(blank_cells["note"], "", note_text))
        note = per_row("note", note_cell)[sel]
    else:
        note = np.full(len(sel), reading.notes.codes([""])[0], dtype=np.int64)
    amount = u_val[sel]
    mult = unit_mult[sel]
    months = m_val[sel]
    rows = {
        "file": np.full(len(sel), file_no, dtype=np.int64),
        "row": sel.astype(np.int64) + 2,  # header is row 1 in both CSV and Excel
        "site": per_row("site", site_cell)[sel],
        "energy": e_pos[sel],
        "month": months,
        "month_raw": cells["month"].cells.to_numpy(dtype=object)[cells["month"].codes[sel]],  # for messages
        "usage": amount * mult,
        "charge_yen": charge[sel],
        "period_start": periods["period_start"][sel],
        "period_end": periods["period_end"][sel],
        "fix": fix[sel],
        "note": note,
        "fiscal_year": nz.fiscal_year_values(months),
    }
    if problems:
        return rows, []  # the reading stops with the problems: no changes needed

    # the changes: (rows, order within a row, column, before, after, reason), the last three as _Texts
    changes = []
    row_no = rows["row"]
    energy_cells = cells["energy"]
    norm = nz.nfkc_values(energy_cells.cells, distinct=False).to_numpy(dtype=object)
    renamed_cell = np.array([e >= 0 and t != ja[codes[e]] for t, e in zip(norm, e_cell)], dtype=bool)
    renamed = renamed_cell[energy_cells.codes[sel]]
    if renamed.any():
        k = int(renamed.sum())
        changes.append((row_no[renamed], 0, COLUMNS["energy"],
                        _Texts(energy_cells.texts(), energy_cells.codes[sel[renamed]]),
                        _Texts([ja[c] for c in codes], e_pos[sel[renamed]]), _Texts.const("エネルギー名を統一", k)))
    usage_cells = cells["usage"]
    conv = mult != 1.0
    wide_cell = np.zeros(len(usage_cells.cells), dtype=bool)
    text = nz._text_mask(usage_cells.cells)
    if text.any():
        t = usage_cells.cells[text]
        plain = np.fromiter(map(str.isascii, t), dtype=bool, count=len(t))  # NFKC leaves ASCII as it is
        w = np.zeros(len(t), dtype=bool)
        w[~plain] = (t[~plain].str.strip() != nz._nfkc_text(t[~plain])).to_numpy(dtype=bool)
        wide_cell[text] = w
    wide = wide_cell[usage_cells.codes[sel]]
    if wide.any() or conv.any():
        usage_text = usage_cells.texts()
    if wide.any():
        changes.append((row_no[wide], 1, COLUMNS["usage"], _Texts(usage_text, usage_cells.codes[sel[wide]]),
                        _fmt(amount[wide]), _Texts.const("全角の数字・記号を半角にして読み取り", int(wide.sum()))))
    if conv.any():
        unit_cells = cells["unit"]
        written = pd.Series(unit_cells.texts(), dtype=object).str.strip()
        where = unit_cells.codes[sel[conv]]
        reason = _Texts([f"単位 {w} を {b} に換算" for w, b in zip(written, unit.unit)], where)
        suffix = _Texts([f" {b}" for b in unit.unit], where)
        changes.append((row_no[conv], 2, COLUMNS["usage"], _Texts(usage_text, usage_cells.codes[sel[conv]]),
                        _fmt(rows["usage"][conv], suffix), reason))
    return rows, changes


def _changes_frame(reading: _Reading, notes: list[tuple[int, list]], corrections: list[dict]) -> pd.DataFrame:
    """The list of changes: each file's row notes (row by row, in order), then the corrections."""
    cols = ["file", "row", "column", "before", "after", "reason"]
    rows, texts = [], {c: [] for c in ("file", "column", "before", "after", "reason")}
    for file_no, parts in notes:
        if not parts:
            continue
        row = np.concatenate([p[0] for p in parts])
        seq = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
        order = np.lexsort((seq, row))  # row by row; within a row, in the order of the checks
        rows.append(row[order])
        texts["file"].append(_Texts.const(reading.files[file_no], len(row)))
        columns = [_Texts.const(p[2], len(p[0])) for p in parts]
        for c, part in (("column", columns), ("before", [p[3] for p in parts]), ("after", [p[4] for p in parts]),
                        ("reason", [p[5] for p in parts])):
            joined = _Texts.concat(part)
            texts[c].append(_Texts(joined.uniques, joined.codes[order]))
    if corrections:
        rows.append(np.array([r["row"] for r in corrections], dtype=np.int64))
        for c in texts:
            texts[c].append(_Texts([r[c] for r in corrections], np.arange(len(corrections))))
    if not rows:
        return pd.DataFrame([], columns=cols)
    data = {"row": np.concatenate(rows).astype(np.int64)}
    data.update({c: _Texts.concat(parts).array() for c, parts in texts.items()})
    return pd.DataFrame({c: data[c] for c in cols}, copy=False)


def _read_all(sources, names: str) -> BillsRead:
    """Read ``sources`` (pairs of a file name and a function giving its raw cells) into one table."""
    reading = _Reading()
    problems: list[str] = []
    parts: list[dict] = []
    notes: list[tuple[int, list]] = []
    for name, load in sources:
        raw, _unknown = load()
        rows, changes = _read_frame(raw, name, reading, problems)
        parts.append(rows)
        notes.append((len(reading.files) - 1, changes))
    if problems:
        raise BillError(problems)
    df = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}
    if not parts or len(df["row"]) == 0:
        raise BillError([f"ファイル「{names}」に請求書の行がありません。"])
    corrections: list[dict] = []
    keep = _apply_corrections(df, reading, problems, corrections)
    df = {k: v[keep] for k, v in df.items()}
    _check_months(df, reading, problems)
    if problems:
        raise BillError(problems)
    order = _sort_order(df, reading)

    def strings(values, codes):
        return pd.array(np.asarray(values, dtype=object), dtype="str").take(codes[order])

    en_codes = reading.energy_codes
    table = pd.DataFrame({
        "site": strings(reading.sites.names(), df["site"]),
        "energy": strings(en_codes, df["energy"]),
        "energy_ja": strings([reading.ja[c] for c in en_codes], df["energy"]),
        "month": df["month"][order],
        "fiscal_year": df["fiscal_year"][order],
        "usage": df["usage"][order],
        "unit": strings([reading.base_units[c] for c in en_codes], df["energy"]),
        "charge_yen": df["charge_yen"][order],
        "period_start": df["period_start"][order],
        "period_end": df["period_end"][order],
        "note": strings(reading.notes.names(), df["note"]),
        "file": strings(reading.files, df["file"]),
        "row": df["row"][order],
    }, copy=False)
    return BillsRead(table[TABLE_COLUMNS], _changes_frame(reading, notes, corrections))


def read_bills(paths) -> BillsRead:
    """Read one or more bill files (CSV or .xlsx) into a tidy table.

    Returns ``BillsRead(table, changes)``. ``table`` has one row per site × energy × month with
    ``usage`` in the energy's base unit (kWh, 千m³, kL, t) and ``fiscal_year`` (April–March).
    Raises :class:`~cnkit.errors.BillError` listing every problem found.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    return _read_all([(p.name, lambda p=p: _load_raw(p)) for p in paths], ", ".join(p.name for p in paths))


def read_frames(frames: Mapping[str, pd.DataFrame]) -> BillsRead:
    """Like :func:`read_bills`, for bill tables already in memory: ``{file name: raw cells}``.

    Each frame holds the cells of one file as ``pd.read_csv(path, dtype=str, keep_default_na=False)``
    gives them (the Japanese header as column names; row ``i`` of the frame is line ``i + 2`` of the
    file); messages name the file, rows and columns as they would for that file.
    """
    return _read_all([(name, lambda name=name, f=f: _header(f.reset_index(drop=True), name))
                      for name, f in frames.items()], ", ".join(frames))


def _label(site, energy_ja, month) -> str:
    return f"拠点「{site}」・{energy_ja}・{pd.Timestamp(month):%Y年%m月}"


def _apply_corrections(df: dict, reading: _Reading, problems: list[str], changes: list[dict]) -> np.ndarray:
    """Positions of the rows that count: a 訂正 row replaces its original.

    Duplicates, several corrections and corrections without an original are problems (one row of such
    a bill is kept so that it is not also reported as a missing month). Bills (site × energy × month)
    are taken in the order they first appear."""
    n = len(df["row"])
    month, month_u = pd.factorize(df["month"].view(np.int64))
    key = (df["site"] * len(reading.energy_codes) + df["energy"]) * len(month_u) + month
    gid, groups = pd.factorize(key)  # numbered in order of first appearance
    g_n = len(groups)
    fix = df["fix"]
    n_fix = np.bincount(gid, weights=fix, minlength=g_n).astype(np.int64)
    n_normal = np.bincount(gid, minlength=g_n) - n_fix
    pos = np.arange(n)
    first = np.empty(g_n, dtype=np.int64)  # the first row of each bill
    opens = np.r_[True, gid[1:] > np.maximum.accumulate(gid)[:-1]]
    first[gid[opens]] = pos[opens]
    fix_pos = np.full(g_n, -1, dtype=np.int64)
    fix_pos[gid[fix]] = pos[fix]
    problem = (n_normal > 1) | (n_fix > 1) | ((n_fix == 1) & (n_normal == 0))
    replaced = (n_fix == 1) & (n_normal == 1)
    keep = np.where(replaced, fix_pos, first)
    special = problem | replaced
    if special.any():
        sites = reading.sites.names()
        ja = [reading.ja[c] for c in reading.energy_codes]
        files = reading.files

        def where(i: int) -> str:
            return f"{files[df['file'][i]]} {df['row'][i]}行目"

        def label(i: int) -> str:
            return _label(sites[df["site"][i]], ja[df["energy"][i]], df["month"][i])

        rows = np.flatnonzero(special[gid])
        rows = rows[np.argsort(gid[rows], kind="stable")]
        for members in np.split(rows, np.flatnonzero(np.diff(gid[rows])) + 1):
            normal = [i for i in members if not fix[i]]
            fixes = [i for i in members if fix[i]]
            if len(normal) > 1:
                text = "、".join(f"{where(i)} 列「{COLUMNS['month']}」の値「{df['month_raw'][i]}」" for i in normal)
                problems.append(f"{label(members[0])} の請求書が重複しています（{text}）。"
                                f"再発行なら区分に「{CORRECTION}」と書いてください。")
            elif len(fixes) > 1:
                text = "、".join(where(i) for i in fixes)
                problems.append(f"{label(members[0])} の訂正が複数あります（{text}）。最新の1行だけにしてください。")
            elif not normal:
                r = fixes[0]
                problems.append(f"{where(r)} 列「{COLUMNS['kind']}」の値「{CORRECTION}」: {label(r)} の訂正がありますが、"
                                "訂正される元の請求書がありません。")
            else:
                old, new = normal[0], fixes[0]
                changes.append({"file": files[df["file"][new]], "row": int(df["row"][new]), "column": COLUMNS["usage"],
                                "before": f"{df['usage'][old]:.12g}（{where(old)}）",
                                "after": f"{df['usage'][new]:.12g}", "reason": f"{label(new)} は訂正の請求書で置き換え"})
    return np.sort(keep)


def _check_months(df: dict, reading: _Reading, problems: list[str]) -> None:
    """Every site × energy must have a bill for every month from the first to the last month read."""
    months = df["month"]
    if len(months) == 0:
        return
    every = pd.date_range(pd.Timestamp(months.min()), pd.Timestamp(months.max()), freq="MS")
    pair, pairs = pd.factorize(df["site"] * len(reading.energy_codes) + df["energy"])
    count = np.bincount(pair, minlength=len(pairs))  # one row per month after the corrections
    short = np.flatnonzero(count < len(every))
    if not len(short):
        return
    sites = reading.sites.names()
    rows = np.flatnonzero(np.isin(pair, short))
    rows = rows[np.argsort(pair[rows], kind="stable")]
    found = []
    for members in np.split(rows, np.flatnonzero(np.diff(pair[rows])) + 1):
        i = members[0]
        site, energy = sites[df["site"][i]], reading.energy_codes[df["energy"][i]]
        missing = every.difference(pd.DatetimeIndex(months[members]))
        text = "、".join(f"{m:%Y年%m月}" for m in missing[:6]) + ("…" if len(missing) > 6 else "")
        files = "、".join(sorted({reading.files[f] for f in df["file"][members]}))
        found.append(((site, energy), f"拠点「{site}」の{reading.ja[energy]}に {text} の請求書がありません（{files}）。"))
    found.sort(key=lambda f: f[0])  # by site, then energy, as groupby(["site", "energy"])
    problems += [f[1] for f in found]


def _sort_order(df: dict, reading: _Reading) -> np.ndarray:
    """Row positions sorted by site, energy and month (unique keys after the corrections)."""
    def rank(names) -> np.ndarray:
        names = np.asarray(names, dtype=object)
        out = np.empty(len(names), dtype=np.int64)
        out[np.argsort(names, kind="stable")] = np.arange(len(names))
        return out

    site = rank(reading.sites.names())[df["site"]]
    energy = rank(reading.energy_codes)[df["energy"]]
    return np.lexsort((df["month"].view(np.int64), energy, site))
