"""Generate the C社 dataset (datasets/companies/c_sha/): a small client for the client workbench (apps/).

C社 is a fictional printing company in 神奈川県相模原市 (28 employees) that none of the notebooks
uses. Its energy use comes in the layout clients fill in themselves, as in a CO2 check sheet:
**one row per site × energy × fiscal year, twelve monthly columns of usage and twelve of charges**
(``cnkit.templates.WIDE_HEADER``), in ``bills_12months.xlsx``. Habits of a real file, on purpose:

- FY2025's electricity has no usage for February 2026 (the bill was not found): a missing month;
- some cells are typed with full-width digits and separators (``１２，３４５``) as text;
- city gas is in m³, gasoline in L (the reader converts them to 千m³ and kL).

Usage is a monthly profile (seasonal shares below) times an annual total, rounded with the
largest-remainder method so that the twelve months add up to the total; charges are usage times
the unit price of ``datasets/factors/prices.csv`` plus a fixed monthly basic charge, with a small
seeded noise. Everything is deterministic (seeded ``random.Random``, fixed xlsx timestamps).

    python datasets/generators/c_sha.py [--out DIR]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.styles import Font

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (DATASETS, largest_remainder, read_factors, save_workbook_deterministic,  # noqa: E402
                    unit_price_per_bill_unit)

SEED = "c_sha-2026"
MONTHS = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
FULL = str.maketrans("0123456789,", "０１２３４５６７８９，")

#: annual totals in the bill unit (kWh, m³, L) by (site, energy, fiscal year)
ANNUAL = {
    ("本社工場", "electricity", 2024): 268_000,
    ("本社工場", "electricity", 2025): 259_000,
    ("本社工場", "city_gas", 2024): 18_400,
    ("本社工場", "city_gas", 2025): 17_900,
    ("本社工場", "gasoline", 2024): 4_650,
    ("本社工場", "gasoline", 2025): 4_480,
}
#: seasonal shares April → March (cooling in summer for electricity, drying-oven and heating gas in winter)
PROFILE = {
    "electricity": [0.078, 0.080, 0.087, 0.095, 0.098, 0.088, 0.080, 0.078, 0.083, 0.080, 0.077, 0.076],
    "city_gas": [0.070, 0.062, 0.058, 0.055, 0.054, 0.058, 0.074, 0.090, 0.112, 0.126, 0.125, 0.116],
    "gasoline": [0.083] * 11 + [0.087],
}
ENERGY_JA = {"electricity": "電気", "city_gas": "都市ガス", "gasoline": "レギュラーガソリン"}
UNIT = {"electricity": "kWh", "city_gas": "m3", "gasoline": "L"}
BASIC_YEN = {"electricity": 98_000, "city_gas": 6_500, "gasoline": 0}
MISSING = ("本社工場", "electricity", 2025, 2)  # February 2026 not filled in
FULL_WIDTH = {("本社工場", "city_gas", 2025): (11, 12, 1), ("本社工場", "gasoline", 2024): (4, 5)}

PROFILE_YML = {
    "company_id": "c_sha",
    "name": "C社",
    "fictional": True,
    "sector": "印刷業（商業印刷・パッケージ）",
    "employees": 28,
    "capital_yen": 20_000_000,
    "sme": True,
    "location": {"prefecture": "神奈川県", "city": "相模原市"},
    "sites": [{"site": "本社工場", "address": {"prefecture": "神奈川県", "city": "相模原市"},
               "energies": ["electricity", "city_gas", "gasoline"],
               "electricity_supplier": "tepco_ep", "electricity_menu": "basic"}],
    "base_fiscal_year": 2025,
    "comparison_fiscal_year": 2024,
    "notes": "講座の後の「支援ツール」（apps/）の例に使う架空の会社。数値は datasets/generators/c_sha.py が生成したもの。"
             "どのノートブックも使わない。",
}

README = """# C社 のデータ（架空の会社）

C社は、講座の後に支援担当が使う「支援ツール」（`apps/client_workbench.ipynb`、`python3 kit.py app`）の例として作った
**架空の**印刷会社（神奈川県相模原市、商業印刷・パッケージ、従業員28名）です。実在の会社とは関係ありません。
どのノートブックも使いません（ツールの動作確認とテストに使います）。01・08 の融資の事例に出てくる「C社」とは別の会社です。

このフォルダのファイルはすべて `datasets/generators/c_sha.py` が生成します。手で編集しないでください。

```
python datasets/generators/c_sha.py
python datasets/generators/manifest.py
```

## ファイル

| ファイル | 内容 | 単位 | 年度 |
|---|---|---|---|
| `profile.yml` | 会社概要（業種、従業員数、資本金、所在地、電力会社、基準年度） | – | 基準 2025年度、比較 2024年度 |
| `bills_12months.xlsx` | エネルギーの使用量と請求金額。**12か月の表**（1行 = 1拠点・1エネルギー・1年度、4月〜3月の使用量12列と請求金額12列、`cnkit.templates.WIDE_HEADER`） | 電気 kWh、都市ガス m3、ガソリン L、円 | 2024・2025年度 |

## 実データのくせ（わざと入れてあります）

1. 2025年度の電気の **2月（2026年2月）の使用量と請求金額が空欄** です（請求書が見つからない想定）。ツールは欠けた月として示し、
   年間の値は残りの11か月分の合計になります（空欄の月を推計で埋めません）。
2. 2025年度の都市ガスの11月・12月・1月と、2024年度のガソリンの4月・5月は **全角数字・全角の桁区切り**（`１，８０７`）の文字で入っています。
3. エネルギー名は `電気`（`電力` の別名）、`レギュラーガソリン`（`ガソリン` の別名）。都市ガスは m3、ガソリンは L（読み込みで 千m³、kL に換算）。

## 作り方と出典

年間の使用量（生成スクリプトの `ANNUAL`、講座の仮定）を季節の割合（`PROFILE`、講座の仮定: 夏の冷房、冬の乾燥炉と暖房）で月に配分し、
最大剰余法で丸めて12か月の合計を年間の値に合わせています。請求金額は `datasets/factors/prices.csv` の単価
（電気・都市ガスは講座の仮定の平均単価、ガソリンは資源エネルギー庁 石油製品価格調査）× 使用量に、月々の基本料金（講座の仮定）と
小さなばらつきを加えたものです。排出係数は講座の係数の表（`datasets/factors/`、東京電力エナジーパートナーの基礎排出係数）を使います。
"""


def _cell(v: int, full: bool):
    return f"{v:,}".translate(FULL) if full else v


def build_workbook(factors: dict) -> Workbook:
    from cnkit.templates import WIDE_HEADER  # the layout the workbench reads

    rng = random.Random(SEED)
    wb = Workbook()
    ws = wb.active
    ws.title = "12か月の表"
    ws.append(WIDE_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for (site, energy, fy), total in ANNUAL.items():
        usage = largest_remainder([total * s for s in PROFILE[energy]], total)
        price = unit_price_per_bill_unit(factors, energy)
        charges = [round(u * price * (1 + rng.uniform(-0.01, 0.01)) + BASIC_YEN[energy]) for u in usage]
        full = FULL_WIDTH.get((site, energy, fy), ())
        u_cells = [_cell(u, m in full) for m, u in zip(MONTHS, usage)]
        c_cells = [_cell(c, m in full) for m, c in zip(MONTHS, charges)]
        if (site, energy, fy) == MISSING[:3]:
            k = MONTHS.index(MISSING[3])
            u_cells[k] = c_cells[k] = None
        ws.append([fy, site, ENERGY_JA[energy], UNIT[energy]] + u_cells + c_cells)
    for col, width in zip("ABCD", (8, 12, 20, 8)):
        ws.column_dimensions[col].width = width
    return wb


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DATASETS / "companies" / "c_sha")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    save_workbook_deterministic(build_workbook(read_factors()), out / "bills_12months.xlsx", "C社", "C社 エネルギー使用量")
    (out / "profile.yml").write_text(yaml.safe_dump(PROFILE_YML, allow_unicode=True, sort_keys=False, width=1000),
                                     encoding="utf-8")
    (out / "README.md").write_text(README, encoding="utf-8")
    print(f"C社 のデータを {out} に書きました。")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    raise SystemExit(main())
