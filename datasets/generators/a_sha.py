"""Generate the A社 dataset (datasets/companies/a_sha/) deterministically.

A社 is a fictional metal-parts maker in Kawasaki (machining, heat treatment, painting) with three
sites. It is the one case that runs through the course (DESIGN.md §3). This script is the single
source of the company's files; never edit them by hand, change the story constants here and rerun::

    python datasets/generators/a_sha.py              # writes datasets/companies/a_sha/
    python datasets/generators/a_sha.py --out DIR    # writes the same files into DIR (used by tests)
    python datasets/generators/manifest.py           # then refresh datasets/MANIFEST.sha256

Approach
--------
The pieces shared with the B社 generator (reading datasets/factors/, unit prices and CO2 factors,
fiscal-year months, the equipment frame, the monthly spreading with largest-remainder rounding,
billing periods, charges, the equipment.csv writer and the byte-deterministic xlsx writer) live in
datasets/generators/common.py; this script passes A社's constants to them.

1. The equipment list (EQUIPMENT) defines the annual usage of every item in FY2025:
   electric items ``rated_kw × units × hours_per_year × load_factor`` (kWh), fuel items
   ``fuel_rate × units × hours_per_year × load_factor`` (m³, L or kg). The items are grouped by
   ``process``; the course draws the Pareto chart of estimated CO2 by process from this list.
2. The bills are that usage plus a small unexplained share per site × energy (UNEXPLAINED,
   2–8 %: leaks, standby, items nobody listed): annual bill = estimate / (1 − share). So the
   equipment estimate never equals the bills, which is the reconciliation lesson of notebook 03.
3. The annual amount is spread over the twelve months by the seasonal profile of each item
   (PROFILES: production dips in May (GW), August (お盆) and January (正月); air conditioning peaks
   in July–August with some heating in December–February; kerosene heating only November–March;
   the boiler slightly higher in winter), times a small monthly noise (±3 %); the months are then
   rescaled (largest-remainder rounding) so that they add up exactly to the annual amount.
4. FY2024 is FY2025 times a few per cent (FY2024_RATIO, +2 to +5 %), with its own noise.
5. Charges = usage × the unit price of the energy in factors/prices.csv (price unit converted to
   the bill unit) + a monthly basic charge for metered energies (BASIC_CHARGE_YEN), × (1 ± 2 %)
   noise, rounded to yen.
6. Everything random comes from ``random.Random`` seeded with SEED plus a fixed label, so every run
   gives the same bytes (the xlsx too: fixed workbook dates and fixed zip member dates).

Numbers that are facts (prices, and the emission factors used by the story check) are read from
datasets/factors/*.csv; only the story (targets, equipment, profiles, quirks) lives here.

Files written
-------------
- profile.yml             company profile (Japanese values, English keys)
- equipment.csv           equipment / process list with the estimate inputs
- bills_electricity.xlsx  electricity bills of the three sites, FY2024–FY2025, as a utility web
                          portal exports them (sheet 電力; real numbers and real dates)
- bills_fuel.csv          all other energies, as the client's office typed them (text with quirks)
- README.md               description of the files and of the quirks (Japanese)

Data-cleaning quirks added on purpose (the README lists the same, from QUIRKS_JA)
-----------------------------------------------------------------------------
- bills_fuel.csv is UTF-8 with BOM and all text: 使用月 in mixed formats (2025年4月, 2025/05,
  2025-08, R7.6, R7年5月, 令和7年7月); usage with thousands separators, some rows in full-width
  digits and commas (１２，３４５); units as people write them (m3 and m³; 千m3 with a decimal value
  for a few city-gas months; kL instead of L for a few A重油 deliveries; ℓ once for kerosene);
  charges as ¥1,234,567, 1234567円 or 1,234,567; energy aliases (都市ガス13A, ＬＰＧ, LPガス,
  レギュラー, Ａ重油); kerosene rows with 0 in the months without heating.
- Billing periods straddle months for metered energies (electricity and city gas: from the meter
  day of the month to the day before it in the next month); delivered fuels use calendar months.
- One corrected bill: 第二工場 electricity 2025年9月 appears twice in the xlsx, the original
  (overstated by CORRECTION["overstatement"]) and a re-issued row with 区分 = 訂正 and
  備考 = 検針値誤りによる再請求 carrying the true value; all totals use the corrected value.
"""

from __future__ import annotations

import csv
import io
import random
import sys
import unicodedata
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (datasets/generators/common.py)

DATASETS = common.DATASETS
DEFAULT_OUT = DATASETS / "companies" / "a_sha"

SEED = 20250401

BASE_FY = 2025
COMPARISON_FY = 2024
FISCAL_YEARS = (COMPARISON_FY, BASE_FY)

SITES = ("本社工場", "第二工場", "倉庫・事務所")
ENERGY_ORDER = ("electricity", "city_gas", "a_heavy_oil", "kerosene", "lpg", "gasoline", "diesel")
ELECTRICITY_SUPPLIER = "tepco_ep"  # all three sites (electricity_factors.csv supplier code)

# ---------------------------------------------------------------------------------------------
# The story: targets (FY2025, after the correction), in the energy's base unit (energies.csv).
# The generator checks its own output against them (check_story) and refuses to write otherwise.
TARGETS = {
    ("本社工場", "electricity"): 500_000,  # kWh
    ("第二工場", "electricity"): 115_000,
    ("倉庫・事務所", "electricity"): 25_000,
    "electricity": 640_000,  # kWh
    "city_gas": 40.0,  # 千m³
    "a_heavy_oil": 48.0,  # kL
    "kerosene": 5.0,  # kL
    "lpg": 2.0,  # t
    "gasoline": 14.0,  # kL
    "diesel": 10.0,  # kL
}
TARGET_TOLERANCE = 0.03
UNEXPLAINED_RANGE = (0.02, 0.08)
FY2024_RANGE = (1.02, 1.05)
PARETO_ORDER = ("ボイラー", "熱処理炉", "コンプレッサー", "機械加工", "空調", "社用車", "照明")
TOP7_SHARE_RANGE = (0.76, 0.84)

# Monthly profiles, April → March (relative weights; normalised to sum 1 per item).
PROFILES = {
    # production: GW (May), お盆 (Aug) and 正月 (Jan) dips, 年度末 (Mar) slightly high
    "生産連動": [1.00, 0.86, 1.03, 1.04, 0.84, 1.03, 1.05, 1.04, 1.00, 0.87, 1.02, 1.06],
    # boiler: production × slightly higher in winter (colder feed water, longer drying)
    "生産連動（冬やや増）": [1.06, 0.84, 0.97, 0.96, 0.77, 0.97, 1.03, 1.08, 1.10, 0.99, 1.14, 1.12],
    # air conditioning: cooling peak Jul–Aug, some heating Dec–Feb
    "冷暖房（夏ピーク・冬も）": [0.35, 0.55, 1.10, 1.95, 2.10, 1.45, 0.55, 0.45, 0.90, 1.15, 1.05, 0.60],
    # kerosene space heating: November–March only
    "暖房期のみ（11〜3月）": [0, 0, 0, 0, 0, 0, 0, 0.55, 1.15, 1.45, 1.30, 0.75],
    # hot water: more in winter
    "冬季増": [1.00, 0.90, 0.80, 0.72, 0.62, 0.78, 0.92, 1.05, 1.25, 1.30, 1.30, 1.15],
    # working days: lighting, vehicles (holiday dips, a little more in winter / at year end)
    "稼働日連動": [0.99, 0.90, 0.99, 1.00, 0.88, 1.00, 1.03, 1.04, 1.06, 0.92, 1.03, 1.08],
    # around the clock / constant
    "通年一定": [1.0] * 12,
}

# The equipment list (FY2025 operation). Columns as in equipment.csv.
# (site, equipment, process, energy, rated_kw, fuel_rate, units, hours_per_year, load_factor, season, note)
EQUIPMENT = [
    # --- 本社工場: electricity
    ("本社工場", "スクリューコンプレッサー 37kW", "コンプレッサー", "electricity", 37, None, 2, 4400, 0.40,
     "生産連動", "2台を台数制御。吐出圧力0.7MPa、エア漏れ点検は未実施"),
    ("本社工場", "マシニングセンタ（立形）", "機械加工", "electricity", 11, None, 7, 3600, 0.30,
     "生産連動", "主軸・送り・クーラントポンプを含む"),
    ("本社工場", "平面研削盤", "機械加工", "electricity", 5.5, None, 2, 3000, 0.40, "生産連動", ""),
    ("本社工場", "パッケージエアコン 10馬力（工場）", "空調", "electricity", 8.5, None, 6, 2200, 0.65,
     "冷暖房（夏ピーク・冬も）", "2012年製。定格は消費電力"),
    ("本社工場", "パッケージエアコン 5馬力（事務所）", "空調", "electricity", 4.5, None, 2, 2000, 0.55,
     "冷暖房（夏ピーク・冬も）", "2012年製"),
    ("本社工場", "直管蛍光灯 FLR40×2灯（工場）", "照明", "electricity", 0.0984, None, 90, 3400, 1.0,
     "稼働日連動", "1台あたり2灯。LED化の候補"),
    ("本社工場", "水銀灯 400W（高天井）", "照明", "electricity", 0.425, None, 8, 3400, 1.0,
     "稼働日連動", "安定器を含む"),
    ("本社工場", "塗装ブース排気ファン 11kW", "塗装ブース排気ファン", "electricity", 11, None, 2, 2600, 0.80,
     "生産連動", "ダンパーで風量調整（インバーターなし）"),
    ("本社工場", "熱処理炉 循環ファン", "熱処理炉付帯設備", "electricity", 5.5, None, 2, 5200, 0.60,
     "生産連動", "炉の稼働中は常時運転"),
    ("本社工場", "焼入れ油・冷却水ポンプ", "熱処理炉付帯設備", "electricity", 3.7, None, 2, 5200, 0.50,
     "生産連動", ""),
    ("本社工場", "事務所OA機器（PC・複合機・サーバー）", "OA・その他", "electricity", 4.0, None, 1, 2600, 0.80,
     "稼働日連動", ""),
    ("本社工場", "搬送コンベア・集塵機ほか", "OA・その他", "electricity", 3.7, None, 2, 3600, 0.50,
     "生産連動", ""),
    # --- 本社工場: fuels
    ("本社工場", "貫流ボイラー 1.0t/h（A重油）", "ボイラー", "a_heavy_oil", None, 66, 1, 2900, 0.24,
     "生産連動（冬やや増）", "部品洗浄槽と塗装乾燥炉へ蒸気を供給。ボイラー効率は未測定"),
    ("本社工場", "連続式熱処理炉（ガス）", "熱処理炉", "city_gas", None, 12, 1, 5200, 0.57,
     "生産連動", "メッシュベルト式。排ガス温度が高い"),
    ("本社工場", "ガス給湯器 24号（食堂・シャワー）", "給湯", "city_gas", None, 4.0, 2, 1000, 0.40,
     "冬季増", ""),
    ("本社工場", "フォークリフト 2.5t（LPG）", "フォークリフト", "lpg", None, 1.8, 3, 1000, 0.35,
     "生産連動", "構内運搬"),
    ("本社工場", "トラック 4t（軽油）", "トラック", "diesel", None, 6.0, 2, 800, 1.0,
     "稼働日連動", "納品・引取り。燃料消費率は走行時の平均"),
    # --- 第二工場
    ("第二工場", "NC旋盤", "機械加工", "electricity", 11, None, 5, 3500, 0.30, "生産連動", ""),
    ("第二工場", "スクリューコンプレッサー 15kW", "コンプレッサー", "electricity", 15, None, 1, 3400, 0.58,
     "生産連動", "吐出圧力0.7MPa"),
    ("第二工場", "直管蛍光灯 FLR40×2灯（工場）", "照明", "electricity", 0.0984, None, 50, 3400, 1.0,
     "稼働日連動", "1台あたり2灯。LED化の候補"),
    ("第二工場", "パッケージエアコン 5馬力（詰所）", "空調", "electricity", 4.5, None, 1, 1500, 0.60,
     "冷暖房（夏ピーク・冬も）", ""),
    ("第二工場", "温風暖房機（灯油）", "暖房", "kerosene", None, 3.0, 2, 900, 0.60,
     "暖房期のみ（11〜3月）", "11月〜3月のみ運転"),
    # --- 倉庫・事務所
    ("倉庫・事務所", "直管蛍光灯 FLR40×2灯（倉庫・事務所）", "照明", "electricity", 0.0984, None, 46, 2600, 1.0,
     "稼働日連動", "1台あたり2灯"),
    ("倉庫・事務所", "パッケージエアコン 5馬力（事務所）", "空調", "electricity", 4.5, None, 2, 1800, 0.50,
     "冷暖房（夏ピーク・冬も）", "2012年製"),
    ("倉庫・事務所", "事務所OA機器（PC・複合機）", "OA・その他", "electricity", 2.0, None, 1, 2600, 0.80,
     "稼働日連動", ""),
    ("倉庫・事務所", "FF式石油ストーブ（灯油）", "暖房", "kerosene", None, 0.6, 4, 900, 0.70,
     "暖房期のみ（11〜3月）", "11月〜3月のみ"),
    ("倉庫・事務所", "社用車（ガソリン）", "社用車", "gasoline", None, 4.0, 8, 425, 1.0,
     "稼働日連動", "営業・通勤用の乗用車。燃料消費率は走行時の平均"),
]

# Share of each bill not explained by the equipment list, (bills − estimate) / bills.
UNEXPLAINED = {
    ("本社工場", "electricity"): 0.050,
    ("第二工場", "electricity"): 0.060,
    ("倉庫・事務所", "electricity"): 0.040,
    ("本社工場", "city_gas"): 0.040,
    ("本社工場", "a_heavy_oil"): 0.035,
    ("本社工場", "lpg"): 0.050,
    ("本社工場", "diesel"): 0.045,
    ("第二工場", "kerosene"): 0.055,
    ("倉庫・事務所", "kerosene"): 0.055,
    ("倉庫・事務所", "gasoline"): 0.030,
}

# FY2024 usage relative to FY2025 (more production, a colder winter, before small savings).
FY2024_RATIO = {
    ("本社工場", "electricity"): 1.034,
    ("第二工場", "electricity"): 1.041,
    ("倉庫・事務所", "electricity"): 1.028,
    ("本社工場", "city_gas"): 1.031,
    ("本社工場", "a_heavy_oil"): 1.038,
    ("本社工場", "lpg"): 1.022,
    ("本社工場", "diesel"): 1.026,
    ("第二工場", "kerosene"): 1.047,
    ("倉庫・事務所", "kerosene"): 1.044,
    ("倉庫・事務所", "gasoline"): 1.029,
}

USAGE_NOISE = 0.03  # ± monthly noise on usage before rescaling to the annual amount
CHARGE_NOISE = 0.02  # ± noise on charges

# Metered energies: meter-reading day (the billing period runs from this day to the day before it
# in the next month) and the monthly basic charge (円) added to usage × unit price.
METER_DAY = {
    ("本社工場", "electricity"): 8,
    ("第二工場", "electricity"): 15,
    ("倉庫・事務所", "electricity"): 22,
    ("本社工場", "city_gas"): 12,
}
BASIC_CHARGE_YEN = {
    ("本社工場", "electricity"): 52_000,
    ("第二工場", "electricity"): 21_000,
    ("倉庫・事務所", "electricity"): 6_500,
    ("本社工場", "city_gas"): 12_000,
}

CORRECTION = {
    "site": "第二工場",
    "energy": "electricity",
    "month": (2025, 9),
    "overstatement": 0.12,
    "note": "検針値誤りによる再請求",
    "issued_after": (2025, 10),  # the re-issued bill is listed after the October bills
}

# --- Quirks of bills_fuel.csv (typed by the client's office) ---------------------------------
MONTH_FORMATS = ("{y}年{m}月", "{y}/{m:02d}", "{y}-{m:02d}", "R{r}.{m}", "R{r}年{m}月", "令和{r}年{m}月")
FULLWIDTH_SHARE = 0.12  # share of usage cells typed in full-width digits
NO_SEPARATOR_SHARE = 0.15  # share of usage cells typed without thousands separators
CHARGE_FORMATS = ("¥{sep}", "{plain}円", "{sep}", "{sep}円")
# Energy names as typed, per energy: (usual name, alias, share of rows with the alias)
ENERGY_NAMES_TYPED = {
    "city_gas": ("都市ガス", "都市ガス13A", 0.25),
    "a_heavy_oil": ("A重油", "Ａ重油", 0.15),
    "kerosene": ("灯油", "灯油", 0.0),
    "lpg": ("LPガス", "ＬＰＧ", 0.40),
    "gasoline": ("ガソリン", "レギュラー", 0.30),
    "diesel": ("軽油", "軽油", 0.0),
}
# City-gas months typed in 千m3 (value in thousands with three decimals)
GAS_THOUSAND_MONTHS = {(2024, 7), (2024, 12), (2025, 6), (2026, 1)}
# A重油 deliveries typed in kL
OIL_KL_MONTHS = {(2024, 10), (2025, 2), (2025, 5), (2025, 11)}
# Kerosene typed with ℓ once
KEROSENE_LITRE_SIGN = ("倉庫・事務所", (2026, 1))
# Spellings of m³ for city gas in m³ months, alternating by chance
GAS_M3_SPELLINGS = ("m3", "m³")

QUIRKS_JA = [
    "`bills_fuel.csv` は BOM付き UTF-8 で、すべて文字として入力されています（Excel で事務担当者が手入力した想定）。",
    "使用月の書き方がそろっていません: `2025年4月`、`2025/05`、`2025-08`、`R7.6`、`R7年5月`、`令和7年7月` など（令和7年 = 2025年）。",
    "使用量に桁区切りのカンマがある行とない行があり、一部は全角数字・全角カンマです（例: `１２，３４５`）。",
    ("単位の書き方が行によって違います: 都市ガスは `m3` と `m³`、いくつかの月は `千m3`（千m³単位の小数）。"
     "A重油は通常 `L` ですが、いくつかの納品は `kL`。灯油に一度だけ `ℓ` があります。"),
    "請求金額は `¥1,234,567`、`1234567円`、`1,234,567` など書き方が混在しています。",
    "エネルギー名に別名・全角があります: `都市ガス13A`、`LPガス` と `ＬＰＧ`、`レギュラー`（ガソリン）、`Ａ重油`。",
    "灯油は暖房を使わない月（4月〜10月）も使用量 0 の行があります。",
    "電力と都市ガスの検針期間は月をまたぎます（例: 2025/04/08〜2025/05/07 が「2025年4月分」）。配送される燃料は暦月です。",
    ("第二工場の電力 2025年9月分は2行あります。最初の請求書は検針値の誤りで過大、"
     "`区分` = `訂正`（備考: 検針値誤りによる再請求）の行が正しい値です。集計では訂正の行で置き換えます。"),
    "設備リスト（`equipment.csv`）から見積もった使用量は請求書の合計と一致しません（エネルギーごとに数%の「説明できない」差があります）。",
]


# ---------------------------------------------------------------------------------------------
def build_bills(factors: dict, usage: dict) -> tuple[list[dict], list[dict]]:
    """(electricity rows, fuel rows) with numeric values, before the text quirks (common.build_bills)."""
    return common.build_bills(factors, usage, seed=SEED, fiscal_years=FISCAL_YEARS, sites=SITES,
                              energies=ENERGY_ORDER, meter_day=METER_DAY, basic_charge_yen=BASIC_CHARGE_YEN,
                              charge_noise=CHARGE_NOISE, correction=CORRECTION)


# ---------------------------------------------------------------------------------------------
FULLWIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


def write_electricity_xlsx(path: Path, rows: list[dict], factors: dict) -> None:
    name = factors["energies"].loc["electricity", "name_ja"]
    wb, ws = common.bills_sheet("電力")
    for r in rows:
        ws.append([r["site"], name, f"{r['y']}/{r['m']:02d}", r["start"], r["end"], r["usage"], "kWh",
                   r["charge"], r["kind"] or None, r["note"] or None])
    for row in ws.iter_rows(min_row=2):
        row[3].number_format = row[4].number_format = "yyyy/mm/dd"
        row[5].number_format = row[7].number_format = "#,##0"
    common.save_bills_sheet(wb, ws, path, (14, 8, 10, 12, 12, 12, 7, 15, 7, 26),
                            creator="datasets/generators/a_sha.py", title="A社 電力 請求データ（架空）")


def typed_number(value: float, rng: random.Random, decimals: int = 0) -> str:
    if decimals:
        text = f"{value:,.{decimals}f}"
    elif rng.random() < NO_SEPARATOR_SHARE:
        text = f"{value:.0f}"
    else:
        text = f"{value:,.0f}"
    if rng.random() < FULLWIDTH_SHARE:
        text = text.translate(FULLWIDTH)
    return text


def write_fuel_csv(path: Path, rows: list[dict], factors: dict) -> None:
    energies = factors["energies"]
    aliases = {
        e: {unicodedata.normalize("NFKC", a) for a in energies.loc[e, "aliases_ja"].split("|")}
        | {energies.loc[e, "name_ja"]}
        for e in energies.index
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(common.BILL_HEADER)
    for r in rows:
        site, energy, y, m = r["site"], r["energy"], r["y"], r["m"]
        rng = random.Random(f"{SEED}:typing:{site}:{energy}:{y}-{m:02d}")
        month = rng.choice(MONTH_FORMATS).format(y=y, m=m, r=common.reiwa(y))
        usual, alias, alias_share = ENERGY_NAMES_TYPED[energy]
        typed_name = alias if rng.random() < alias_share else usual
        if unicodedata.normalize("NFKC", typed_name) not in aliases[energy]:
            raise ValueError(f"{typed_name!r} is not an alias of {energy} in energies.csv")
        value, note = r["usage"], r["note"]
        if energy == "city_gas" and (y, m) in GAS_THOUSAND_MONTHS:
            usage_text, unit = typed_number(value / 1000, rng, decimals=3), "千m3"
        elif energy == "city_gas":
            usage_text, unit = typed_number(value, rng), rng.choice(GAS_M3_SPELLINGS)
        elif energy == "a_heavy_oil" and (y, m) in OIL_KL_MONTHS:
            usage_text, unit = typed_number(value / 1000, rng, decimals=3), "kL"
            note = "ローリー納品書の数量（kL）"
        elif energy == "kerosene" and (site, (y, m)) == KEROSENE_LITRE_SIGN:
            usage_text, unit = typed_number(value, rng), "ℓ"
        elif energy == "lpg":
            usage_text, unit = typed_number(value, rng), "kg"
        else:
            usage_text, unit = typed_number(value, rng), "L"
        if energy == "kerosene" and value == 0:
            note = "暖房なし"
        charge = r["charge"]
        charge_text = rng.choice(CHARGE_FORMATS).format(sep=f"{charge:,}", plain=f"{charge}")
        writer.writerow([site, typed_name, month, r["start"].strftime("%Y/%m/%d"),
                         r["end"].strftime("%Y/%m/%d"), usage_text, unit, charge_text, r["kind"], note])
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))


def profile_dict() -> dict:
    def site(name, description, energies):
        return {"site": name, "description": description, "energies": list(energies),
                "electricity_supplier": ELECTRICITY_SUPPLIER, "electricity_menu": "basic"}

    return {
        "company_id": "a_sha",
        "name": "A社",
        "fictional": True,
        "sector": "金属製品製造業（切削加工・熱処理・塗装）",
        "employees": 48,
        "capital_yen": 50_000_000,
        "sme": True,
        "location": {"prefecture": "神奈川県", "city": "川崎市"},
        "sites": [
            site("本社工場", "切削加工（マシニングセンタ）・熱処理・塗装の主工場。事務所を併設",
                 ["electricity", "city_gas", "a_heavy_oil", "lpg", "diesel"]),
            site("第二工場", "NC旋盤による旋削加工の工場", ["electricity", "kerosene"]),
            site("倉庫・事務所", "製品倉庫と営業事務所。社用車の拠点", ["electricity", "kerosene", "gasoline"]),
        ],
        "vehicles": {
            "company_cars": {"count": 8, "energy": "gasoline"},
            "trucks": {"count": 2, "energy": "diesel"},
            "forklifts": {"count": 3, "energy": "lpg"},
        },
        "base_fiscal_year": BASE_FY,
        "comparison_fiscal_year": COMPARISON_FY,
        "certifications": [],
        "notes": ("講座用の架空の会社。数値は datasets/generators/a_sha.py が生成したもの。"
                  "電力は3拠点とも東京電力エナジーパートナーと契約（electricity_factors.csv の "
                  "supplier = tepco_ep。electricity_menu = basic は事業者全体の基礎排出係数を使う意味）。"),
    }


def readme_text() -> str:
    quirks = "\n".join(f"{i}. {q}" for i, q in enumerate(QUIRKS_JA, 1))
    return f"""# A社 のデータ（架空の会社）

A社は講座のために作った**架空の**金属部品メーカー（神奈川県川崎市、従業員48名、切削加工・熱処理・塗装）です。
実在の会社とは関係ありません。拠点は 本社工場・第二工場・倉庫・事務所 の3つです。

このフォルダのファイルはすべて `datasets/generators/a_sha.py` が生成します。手で編集しないでください。
作り直すときはリポジトリのルートで次を実行し、チェックサムも更新します。

```
python datasets/generators/a_sha.py
python datasets/generators/manifest.py
```

## ファイル

| ファイル | 内容 | 単位 | 年度 |
|---|---|---|---|
| `profile.yml` | 会社概要（業種、従業員数、資本金、拠点と電力会社、車両、基準年度） | – | 基準 {BASE_FY}年度、比較 {COMPARISON_FY}年度 |
| `equipment.csv` | 設備・工程リスト。1行 = 1種類の設備。年間使用量の見積もり = 定格 × 台数 × 年間運転時間 × 負荷率 | 電気 `rated_kw`（kW/台）→ kWh、燃料 `fuel_rate`（m³/h・L/h・kg/h /台）→ m³・L・kg | {BASE_FY}年度の運転 |
| `bills_electricity.xlsx` | 電力の請求データ（3拠点、シート「電力」）。電力会社のWebサービスからダウンロードした形で、数値と日付はセルの値 | kWh、円 | {COMPARISON_FY}・{BASE_FY}年度（{COMPARISON_FY}年4月〜{BASE_FY + 1}年3月） |
| `bills_fuel.csv` | 電力以外の燃料の請求データ（都市ガス、A重油、灯油、LPG、ガソリン、軽油）。事務担当者が手入力した形 | m³・千m³、L・kL、kg、円 | {COMPARISON_FY}・{BASE_FY}年度 |

請求データの列は `datasets/BILL_FORMAT.md` のとおりです（拠点, エネルギー, 使用月, 検針開始日, 検針終了日, 使用量, 単位, 請求金額（円）, 区分, 備考）。
1行 = 1枚の請求書（1拠点・1エネルギー・1か月）。年度は4月〜翌3月です。

`equipment.csv` の列: `site` 拠点、`equipment` 設備名、`process` 工程（パレート図の項目）、`energy` エネルギー
（`datasets/factors/energies.csv` のコード）、`rated_kw` 定格消費電力（kW/台、電気のみ）、`fuel_rate`・`fuel_rate_unit`
燃料消費率（1台1時間あたり、燃料のみ）、`units` 台数、`hours_per_year` 年間運転時間、`load_factor` 負荷率、
`season` 月別の使い方（生産連動、冷暖房、暖房期のみ など）、`note` メモ。

## どの拠点で何を使うか

| 拠点 | エネルギー | 主な用途 |
|---|---|---|
| 本社工場 | 電力、都市ガス、A重油、LPG、軽油 | コンプレッサー・機械加工・空調・照明・塗装ブース、熱処理炉と給湯（ガス）、ボイラー（A重油）、フォークリフト（LPG）、トラック（軽油） |
| 第二工場 | 電力、灯油 | NC旋盤・コンプレッサー・照明、暖房（灯油） |
| 倉庫・事務所 | 電力、灯油、ガソリン | 照明・空調・OA、暖房（灯油）、社用車8台（ガソリン） |

## 研修で出会う「実データのくせ」（わざと入れてあります）

{quirks}

## 作り方（概要）

設備リストの年間使用量に、エネルギーごとに数%の「説明できない分」を足したものが請求書の年間合計です。
それを設備ごとの季節パターン（ゴールデンウィーク・お盆・正月の生産減、夏の冷房と冬の暖房、冬だけの灯油）と
小さなばらつきで月に配分しています。{COMPARISON_FY}年度は{BASE_FY}年度より数%多くなっています。
請求金額は `datasets/factors/prices.csv` の単価（講座の仮定を含む）× 使用量に、電力・都市ガスは月々の基本料金を加えたものです。
詳しくは生成スクリプトの説明（docstring）を見てください。
"""


# ---------------------------------------------------------------------------------------------
def summarise(factors: dict, equipment: pd.DataFrame, usage: dict) -> dict:
    """The totals and shares the story is checked against (common.summarise)."""
    return common.summarise(factors, equipment, usage, fiscal_years=FISCAL_YEARS, base_fy=BASE_FY,
                            energies=ENERGY_ORDER, supplier=ELECTRICITY_SUPPLIER)


def check_story(summary: dict) -> list[str]:
    problems = common.story_problems(summary, targets=TARGETS, tolerance=TARGET_TOLERANCE, base_fy=BASE_FY,
                                      comparison_fy=COMPARISON_FY, ratio_range=FY2024_RANGE,
                                      unexplained_range=UNEXPLAINED_RANGE, pareto_order=PARETO_ORDER)
    pareto = summary["pareto"]
    top = pareto.iloc[: len(PARETO_ORDER)].sum() / pareto.sum()
    if not TOP7_SHARE_RANGE[0] <= top <= TOP7_SHARE_RANGE[1]:
        problems.append(f"top-7 share {top:.1%}")
    return problems


def print_summary(summary: dict) -> None:
    common.print_summary(summary, fiscal_years=(BASE_FY, COMPARISON_FY), base_fy=BASE_FY, energies=ENERGY_ORDER,
                         supplier=ELECTRICITY_SUPPLIER,
                         units={"electricity": ("MWh", 1e-3), "city_gas": ("千m³", 1.0), "a_heavy_oil": ("kL", 1.0),
             "kerosene": ("kL", 1.0), "lpg": ("t", 1.0), "gasoline": ("kL", 1.0), "diesel": ("kL", 1.0)})


def generate(out_dir: Path, verbose: bool = False) -> dict:
    factors = common.read_factors()
    equipment = common.equipment_frame(EQUIPMENT, PROFILES)
    usage = common.monthly_usage(equipment, PROFILES, UNEXPLAINED, FY2024_RATIO, seed=SEED, base_fy=BASE_FY,
                                 comparison_fy=COMPARISON_FY, noise=USAGE_NOISE)
    summary = summarise(factors, equipment, usage)

    def write_bills(folder: Path) -> None:
        elec_rows, fuel_rows = build_bills(factors, usage)
        write_electricity_xlsx(folder / "bills_electricity.xlsx", elec_rows, factors)
        write_fuel_csv(folder / "bills_fuel.csv", fuel_rows, factors)

    common.write_dataset(out_dir, company="A社", problems=check_story(summary),
                         show_summary=lambda: print_summary(summary), verbose=verbose, profile=profile_dict(),
                         equipment=equipment, write_bills=write_bills, readme=readme_text())
    return summary


def main(argv: list[str] | None = None) -> int:
    return common.main(argv, company="A社", default_out=DEFAULT_OUT, generate=generate)


if __name__ == "__main__":
    sys.exit(main())
