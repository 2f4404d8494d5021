"""Electricity suppliers: which actuals year a bill uses, a forgiving search by Japanese name, and the
checker of factor files (the kit's ``factors/electricity_factors.csv`` and a user's own rows).

Part of the *read* layer: pure functions on the reference data. The widget that uses the search is
``cnkit.interact.supplier``; ``python kit.py factors check`` runs :func:`check_factor_file`.

Keys: ``<company>`` is the company as a whole (事業者全体), ``<company>_residual`` its residual menu
(残差メニュー), ``<company>_menu_a`` its menu A, and so on; ``default`` and ``national_average`` have no menu.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .errors import CnkitError
from .paths import data_path

#: environment variable naming the user's own factor rows (read after the kit's file)
USER_FACTORS_ENV = "CNKIT_USER_FACTORS"
#: where the user's rows are looked for when the variable is not set
DEFAULT_USER_FACTORS = Path.home() / "cnkit_data" / "electricity_factors_user.csv"
FACTOR_COLUMNS = ["supplier", "supplier_ja", "menu", "actuals_fy", "emissions_fy",
                  "basic_t_per_kwh", "adjusted_t_per_kwh", "published", "source"]
WHOLE_COMPANY = "事業者全体"
RESIDUAL_WORD = "残差"
_NO_MENU = {"default", "national_average"}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_MENU_KEY = re.compile(r"^(?P<base>[a-z][a-z0-9_]*?)_menu_(?P<letter>[a-z0-9]+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- year mapping ----------------------------------------------------------------------------------
def actuals_fy_for(emissions_fy: int) -> int:
    """The fiscal year of the actuals whose factors a bill of ``emissions_fy`` uses (FY2024 bills → FY2023 actuals).

    The factors for FY N actuals are published in FY N+1 and used for FY N+1 emissions (FACTS.md); the
    data carries both years in every row and :func:`check_factor_file` holds them to this rule."""
    return int(emissions_fy) - 1


def base_of(key: str) -> str:
    """The company part of a supplier key: ``kepco_residual`` → ``kepco``, ``kepco_menu_a`` → ``kepco``."""
    m = _MENU_KEY.match(key)
    if m:
        return m.group("base")
    return key[: -len("_residual")] if key.endswith("_residual") else key


# --- search ----------------------------------------------------------------------------------------
_KATAKANA = {c: c - 0x60 for c in range(ord("ァ"), ord("ヶ") + 1)}
_COMPANY_WORDS = ("株式会社", "(株)", "㈱")


def normalize_name(text: str) -> str:
    """Fold a supplier name for matching: full-/half-width (NFKC), case, spaces, 株式会社, katakana → hiragana."""
    s = unicodedata.normalize("NFKC", str(text)).lower()
    for word in _COMPANY_WORDS:
        s = s.replace(word, "")
    return re.sub(r"\s+", "", s).translate(_KATAKANA)


@lru_cache(maxsize=None)
def _aliases() -> dict[str, tuple[str, ...]]:
    df = pd.read_csv(data_path("factors", "supplier_aliases.csv"), dtype=str)
    out: dict[str, list[str]] = {}
    for r in df.itertuples():
        out.setdefault(r.supplier, []).append(normalize_name(r.alias))
    return {k: tuple(v) for k, v in out.items()}


def _menu_order(key: str, menu: str) -> tuple[int, str]:
    if not menu or menu == WHOLE_COMPANY:
        return (0, "")
    return (1, "") if RESIDUAL_WORD in menu else (2, menu)


def supplier_table(emissions_fy: int) -> pd.DataFrame:
    """The suppliers usable for ``emissions_fy``: key, Japanese label, factors and source, one row per menu."""
    from .reference import electricity_factors

    ef = electricity_factors()
    df = ef[ef["emissions_fy"] == int(emissions_fy)].copy()
    df["menu"] = df["menu"].fillna("")
    df["label"] = [f"{n}　{m}" if m else n for n, m in zip(df["supplier_ja"], df["menu"])]
    return df.reset_index(drop=True)


def search_suppliers(query: str, emissions_fy: int) -> pd.DataFrame:
    """Rows of :func:`supplier_table` that match ``query`` (東電, 東京電力, 関電, ｶﾝﾃﾞﾝ, 関西電力 残差 …), best first.

    Every word of the query must match the name, the menu or a known short name of the company
    (``datasets/factors/supplier_aliases.csv``). An empty query gives every supplier."""
    table = supplier_table(emissions_fy)
    words = [normalize_name(w) for w in unicodedata.normalize("NFKC", str(query)).split()]
    words = [w for w in words if w]
    aliases = _aliases()
    scores = []
    for r in table.itertuples():
        name, menu = normalize_name(r.supplier_ja), normalize_name(r.menu)
        names = (name, *aliases.get(base_of(r.supplier), ()))
        score = 0
        for w in words:
            if w in names:  # exact name or short name: best
                continue
            if any(n.startswith(w) or w in n or (len(n) > 1 and n in w) for n in names):
                score += 1
            elif w in menu or w == r.supplier.lower():
                score += 2
            else:
                score = None
                break
        scores.append(score)
    table["score"] = scores
    hit = table[table["score"].notna()].copy()
    hit["order"] = [_menu_order(k, m) for k, m in zip(hit["supplier"], hit["menu"])]
    hit["first"] = hit.groupby(hit["supplier"].map(base_of), sort=False)["score"].transform("min")
    hit["pos"] = range(len(hit))
    hit["group_pos"] = hit.groupby(hit["supplier"].map(base_of), sort=False)["pos"].transform("min")
    hit = hit.sort_values(["first", "group_pos", "order"], kind="stable")
    return hit.drop(columns=["score", "order", "first", "pos", "group_pos"]).reset_index(drop=True)


@dataclass(frozen=True)
class SupplierChoice:
    """The supplier key a name resolved to, and a Japanese note saying how (empty when it was a key)."""

    key: str
    label: str
    note: str


def resolve_supplier(name_or_key: str, emissions_fy: int) -> SupplierChoice:
    """A supplier key for a key or a name typed by the user; an unknown name falls back to the default factor.

    The note says in Japanese which company the name was taken for, or that the default factor
    (代替値) is used because no supplier of that fiscal year matches."""
    table = supplier_table(emissions_fy)
    labels = dict(zip(table["supplier"], table["label"]))
    if name_or_key in labels:
        return SupplierChoice(name_or_key, labels[name_or_key], "")
    hits = search_suppliers(name_or_key, emissions_fy) if str(name_or_key).strip() else table.iloc[0:0]
    if not hits.empty:
        r = hits.iloc[0]
        return SupplierChoice(r["supplier"], r["label"], f"「{name_or_key}」は {r['label']} として計算します。")
    if "default" not in labels:
        raise CnkitError(f"{emissions_fy}年度の排出量に使う代替値（{actuals_fy_for(emissions_fy)}年度実績）がデータにありません。"
                         "電力会社のキーを指定するか、係数のある年度を選んでください。")
    value = float(table.loc[table["supplier"] == "default", "basic_t_per_kwh"].iloc[0])
    return SupplierChoice("default", labels["default"],
                          f"「{name_or_key}」に当たる電力会社は{emissions_fy}年度の係数（{actuals_fy_for(emissions_fy)}年度実績）にありません。"
                          f"代替値 {value:.6f} t-CO2/kWh で計算します。契約先の係数がわかれば、利用者の係数ファイルに足してください。")


# --- checker ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One problem in a factor file: ``level`` is エラー (the file is not used) or 注意 (please confirm)."""

    level: str
    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f" {self.row}行目" if self.row else "") + (f" {self.column}列" if self.column else "")
        value = f"（値: {self.value!r}）" if self.value is not None else ""
        return f"[{self.level}] {where}{value}: {self.message}"


def _rule(name: str) -> float:
    df = pd.read_csv(data_path("factors", "factor_file_rules.csv"))
    return float(df.loc[df["rule"] == name, "value"].iloc[0])


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a factor CSV as text (UTF-8, with or without BOM), no conversion."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def check_factor_rows(rows: list[dict[str, str]], file: str, *, base_rows: list[dict[str, str]] = (),
                      today: date | None = None) -> list[Finding]:
    """Check factor rows; ``base_rows`` are rows already accepted (the kit's file when checking a user's file).

    Checks: the columns; keys; Japanese name; years (emissions FY = actuals FY + 1); factors are numbers
    ≥ 0 and below the plausible maximum (kg-CO2/kWh instead of t-CO2/kWh is named); publication date
    (YYYY-MM-DD, after the actuals year, not in the future); source; no key twice for one actuals year;
    every menu's company known with the same Japanese name; the menu label matches the key; and, as
    a note, a residual menu below the company as a whole."""
    today = today or date.today()
    out: list[Finding] = []

    def add(level, row, column, value, message):
        out.append(Finding(level, file, row, column, value, message))

    if not rows:
        add("エラー", None, None, None, "行がありません（1行目は列名、2行目から係数）。")
        return out
    missing = [c for c in FACTOR_COLUMNS if c not in rows[0]]
    if missing:
        add("エラー", 1, None, None, f"列 {'、'.join(missing)} がありません。列名は {','.join(FACTOR_COLUMNS)} です。")
        return out
    top = _rule("max_electricity_t_per_kwh")
    names = {r["supplier"]: r["supplier_ja"] for r in base_rows if r.get("supplier")}
    seen = {(r["supplier"], (r["actuals_fy"] or "").strip()): "キットの係数ファイル" for r in base_rows}
    for r in rows:  # companies named in this file (a user may add a new company with its own menus)
        if r["supplier"] and base_of(r["supplier"]) == r["supplier"]:
            names.setdefault(r["supplier"], r["supplier_ja"])
    by_year: dict[tuple[str, str], dict[str, float]] = {}
    for i, r in enumerate(rows, start=2):
        key = (r["supplier"] or "").strip()
        if not _KEY.match(key):
            add("エラー", i, "supplier", key, "キーは半角の英小文字・数字・_ で書きます（例: kepco、kepco_residual、kepco_menu_a）。")
        if not (r["supplier_ja"] or "").strip():
            add("エラー", i, "supplier_ja", r["supplier_ja"], "電力会社の日本語名がありません。")
        years = {}
        for col in ("actuals_fy", "emissions_fy"):
            v = (r[col] or "").strip()
            if re.fullmatch(r"\d{4}", v):
                years[col] = int(v)
            else:
                add("エラー", i, col, v, "年度は西暦4桁の数字で書きます（例: 2024）。")
        if len(years) == 2 and years["emissions_fy"] != years["actuals_fy"] + 1:
            add("エラー", i, "emissions_fy", r["emissions_fy"],
                f"{years['actuals_fy']}年度実績の係数は{years['actuals_fy'] + 1}年度の排出量に使います（実績の翌年度）。")
        factors = {}
        for col in ("basic_t_per_kwh", "adjusted_t_per_kwh"):
            v = (r[col] or "").strip()
            try:
                x = float(unicodedata.normalize("NFKC", v).replace(",", ""))
            except ValueError:
                add("エラー", i, col, v, "係数が数字ではありません（単位 t-CO2/kWh、例: 0.000452）。")
                continue
            if x < 0:
                add("エラー", i, col, v, "係数がマイナスです。0 以上の値を書きます。")
            elif x > top and x / 1000 <= top:
                add("エラー", i, col, v, f"kg-CO2/kWh の値のようです。1000 で割って t-CO2/kWh にしてください（例: {x:g} → {x / 1000:.6f}）。")
            elif x > top:
                add("エラー", i, col, v, f"係数が大きすぎます（上限 {top} t-CO2/kWh）。単位と桁を確かめてください。")
            else:
                factors[col] = x
        pub = (r["published"] or "").strip()
        if not _DATE.match(pub):
            add("エラー", i, "published", pub, "公表日がありません。YYYY-MM-DD で書きます（例: 2026-01-09）。")
        else:
            try:
                d = date.fromisoformat(pub)
            except ValueError:
                add("エラー", i, "published", pub, "公表日が日付として読めません（YYYY-MM-DD）。")
            else:
                if d > today:
                    add("エラー", i, "published", pub, "公表日が今日より後です。")
                elif "actuals_fy" in years and d <= date(years["actuals_fy"] + 1, 3, 31):
                    add("エラー", i, "published", pub,
                        f"{years['actuals_fy']}年度実績の係数は、その年度が終わった後（{years['actuals_fy'] + 1}年4月以降）に公表されます。年度を確かめてください。")
        if not (r["source"] or "").strip():
            add("エラー", i, "source", r["source"], "出典がありません（公表資料の名前と公表日）。")
        if not _KEY.match(key):
            continue
        ident = (key, (r["actuals_fy"] or "").strip())
        if ident in seen:
            add("エラー", i, "supplier", key, f"{ident[1]}年度実績の「{key}」は {seen[ident]} にもあります（同じキーは1年度に1行）。")
        else:
            seen[ident] = f"{i}行目"
        menu = (r["menu"] or "").strip()
        base = base_of(key)
        if key in _NO_MENU:
            if menu:
                add("エラー", i, "menu", menu, f"「{key}」にはメニューがありません。空欄にします。")
        elif base == key:
            if menu != WHOLE_COMPANY:
                add("エラー", i, "menu", menu, f"キーが会社名だけの行は「{WHOLE_COMPANY}」の係数です（メニューの行は {key}_residual、{key}_menu_a …）。")
        else:
            if base not in names:
                add("エラー", i, "supplier", key, f"メニューの会社「{base}」がわかりません。先に会社の行（{base}、メニュー {WHOLE_COMPANY}）を書くか、キーを確かめてください。")
            elif names[base] != r["supplier_ja"]:
                add("エラー", i, "supplier_ja", r["supplier_ja"], f"「{base}」の日本語名は「{names[base]}」です。同じ会社は同じ名前で書きます。")
            m = _MENU_KEY.match(key)
            if key.endswith("_residual") and RESIDUAL_WORD not in menu:
                add("エラー", i, "menu", menu, f"キー「{key}」は残差メニューです。メニュー名に「{RESIDUAL_WORD}」を入れます。")
            elif m and normalize_name(menu) != normalize_name(f"メニュー{m.group('letter')}"):
                add("エラー", i, "menu", menu, f"キー「{key}」のメニュー名は「メニュー{m.group('letter').upper()}」です。")
        if "adjusted_t_per_kwh" in factors and "actuals_fy" in years and key not in _NO_MENU:
            by_year.setdefault((base, str(years["actuals_fy"])), {})[
                "whole" if base == key else "residual" if key.endswith("_residual") else key] = (i, factors["adjusted_t_per_kwh"])
    for (base, fy), got in by_year.items():
        if "whole" in got and "residual" in got and got["residual"][1] < got["whole"][1]:
            i, v = got["residual"]
            add("注意", i, "adjusted_t_per_kwh", f"{v:.6f}",
                f"{fy}年度実績の残差メニューが事業者全体（{got['whole'][1]:.6f}）より小さくなっています。"
                "残差メニューは再エネメニューを除いた残りなので、ふつうは事業者全体以上です。公表資料の値を確かめてください。")
    return out


def check_factor_file(path: str | Path, *, user: bool = False, today: date | None = None) -> list[Finding]:
    """Check a factor CSV; ``user=True`` checks it as a user's file (read after the kit's, so no key of the kit twice)."""
    path = Path(path)
    if not path.exists():
        return [Finding("エラー", path.name, None, None, None, f"ファイルがありません: {path}")]
    try:
        rows = read_rows(path)
    except UnicodeDecodeError:
        return [Finding("エラー", path.name, None, None, None, "UTF-8 で読めません。Excel では「CSV UTF-8」で保存してください。")]
    base = read_rows(data_path("factors", "electricity_factors.csv")) if user else []
    return check_factor_rows(rows, path.name, base_rows=base, today=today)


def user_factors_path() -> Path:
    """The user's own factor rows: ``$CNKIT_USER_FACTORS`` or ``~/cnkit_data/electricity_factors_user.csv``."""
    env = os.environ.get(USER_FACTORS_ENV)
    return Path(env).expanduser() if env else DEFAULT_USER_FACTORS


def user_factor_rows() -> pd.DataFrame | None:
    """The user's rows, checked (a Japanese error lists the problems); ``None`` when there is no such file."""
    path = user_factors_path()
    if not path.exists():
        return None
    stat = path.stat()
    return _user_rows(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _user_rows(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    errors = [f for f in check_factor_file(path, user=True) if f.level == "エラー"]
    if errors:
        shown = "\n".join(str(f) for f in errors[:10])
        more = f"\n…ほか {len(errors) - 10} 件" if len(errors) > 10 else ""
        raise CnkitError(f"利用者の係数ファイル {path} に誤りがあります（python kit.py factors check {path} で確かめられます）:\n{shown}{more}")
    df = pd.read_csv(path, dtype={"source": str, "menu": str}, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    return df[FACTOR_COLUMNS]


def main(argv: list[str] | None = None) -> int:
    """``python -m cnkit.suppliers check [FILE] [--user]`` (what ``python kit.py factors check`` runs)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="kit.py factors", description="電力の排出係数ファイルを検査する。")
    parser.add_argument("action", choices=["check"], help="check: 検査する")
    parser.add_argument("file", nargs="?", help="検査するファイル（省略するとキットの係数ファイルと利用者の係数ファイル）")
    parser.add_argument("--user", action="store_true", help="利用者の係数ファイルとして検査する（キットの行と同じキーは誤り）")
    args = parser.parse_args(argv)
    if args.file:
        targets = [(Path(args.file), args.user)]
    else:
        targets = [(data_path("factors", "electricity_factors.csv"), False)]
        if user_factors_path().exists():
            targets.append((user_factors_path(), True))
        else:
            print(f"利用者の係数ファイルはありません（{user_factors_path()}）。キットの係数ファイルだけを検査します。")
    errors = 0
    for path, user in targets:
        findings = check_factor_file(path, user=user)
        errors += sum(f.level == "エラー" for f in findings)
        for f in findings:
            print(f)
        n = sum(f.level == "エラー" for f in findings)
        notes = len(findings) - n
        print(f"{path}: " + (f"エラー {n} 件" if n else "エラーはありません") + (f"、注意 {notes} 件" if notes else "") + "。")
    sys.stdout.flush()
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
