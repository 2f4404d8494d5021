"""Generate the B社 dataset (datasets/companies/b_sha/) deterministically.

B社 is a fictional food processor (京漬物 and 惣菜) in Kyoto prefecture with two sites: the 本社工場
in 南丹市 (production; head office) and a 配送センター in 京都市伏見区 (cold storage and the delivery
trucks). It is the company of the capstone (notebook 10, DESIGN.md §3): another sector and region
than A社, where the Kyoto subsidies and the Kyoto Zero-Carbon Framework loan apply. This script is
the single source of the company's files; never edit them by hand, change the constants here and
rerun::

    python datasets/generators/b_sha.py              # writes datasets/companies/b_sha/
    python datasets/generators/b_sha.py --out DIR    # writes the same files into DIR (used by tests)
    python datasets/generators/manifest.py           # then refresh datasets/MANIFEST.sha256

The story
---------
- The 本社工場 site has no city-gas main, so its steam boiler (two 1.0 t/h once-through boilers)
  and its direct-fired cooking kettles and fryer burn LPG from a bulk tank, billed in kg. Steam
  goes to the boil sterilisers, blanching and the washing hot water; condensate is not returned.
- Refrigeration is the largest user of electricity: cold rooms and a brine chiller at the
  factory, a −25 ℃ freezer store and a 5 ℃ chill store at the 配送センター.
- Six refrigerated diesel trucks (two 4 t, four 2 t) deliver from the 配送センター; four petrol
  company cars belong to the 本社工場. Forklifts are battery-electric.
- Electricity: both sites buy from 関西電力 on high-voltage contracts (no renewable menu), so the
  profile names ``kepco`` (関西電力 as a whole, R6年度実績 list) as the factor for FY2025; its FY2023
  actuals (for the FY2024 bills) are not in datasets/factors/electricity_factors.csv (not verified),
  so year-on-year comparisons use the FY2025 factor for both years; the README and profile say so.
- Seasonality: 年末 (December) is the busy month (おせち・お歳暮・千枚漬け), January is quiet
  (正月休み); refrigeration and air conditioning peak in July–August; the boiler uses more in
  winter (colder feed water).

Approach (the same as the A社 generator; the shared pieces are in common.py)
---------------------------------------------------------------------------
1. The equipment list (EQUIPMENT) gives the FY2025 annual usage of every item:
   ``rated_kw × units × hours_per_year × load_factor`` (kWh) or ``fuel_rate × ...`` (kg, L).
2. Bills = that usage plus a small unexplained share per site × energy (UNEXPLAINED, 3–8 %):
   annual bill = estimate / (1 − share).
3. Each year is spread over the months by the items' seasonal profiles (PROFILES) × (1 ± 3 %)
   noise, rounded by largest remainder so that the months add up exactly to the annual amount.
4. FY2024 = FY2025 × FY2024_RATIO (+2 to +5 %).
5. Charges = usage × unit price (factors/prices.csv) + a monthly basic charge, × (1 ± 2 %).
6. Everything random comes from ``random.Random`` seeded with SEED and a fixed label; the xlsx is
   written with fixed dates, so every run gives the same bytes.

Files written
-------------
- profile.yml             company profile (Japanese values, English keys), with the facts the
                          capstone's subsidy and loan questions need and the president's concerns
- equipment.csv           equipment / process list (the same columns as A社's)
- bills_electricity.csv   electricity of both sites as the office keeps it: Shift_JIS (cp932),
                          CRLF, one block per fiscal year separated by an empty line
- bills_fuel.xlsx         LPG, diesel and petrol: one sheet 燃料 with real numbers and dates
- README.md               description of the files and of the quirks (Japanese)

The quirks differ from A社's on purpose (QUIRKS_JA lists them for the README): cp932 encoding,
``令和7年4月分`` months and ``R7.4.18`` dates, the 配送センター in MWh with three decimals, an empty
line between the years, Excel date cells as 使用月, a trailing full-width space after a site
name, empty billing periods for vehicle fuels, and one corrected LPG bill (区分 = 訂正).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (datasets/generators/common.py)

DATASETS = common.DATASETS
DEFAULT_OUT = DATASETS / "companies" / "b_sha"

SEED = 20260115
BASE_FY = 2025
COMPARISON_FY = 2024
FISCAL_YEARS = (COMPARISON_FY, BASE_FY)

SITES = ("本社工場", "配送センター")
ENERGY_ORDER = ("electricity", "lpg", "gasoline", "diesel")
ELECTRICITY_SUPPLIER = "kepco"  # 関西電力 as a whole (R6年度実績 list), see the docstring

# ---------------------------------------------------------------------------------------------
# The story: targets (FY2025, after the correction) in base units (kWh; t; kL). The generator
# checks its own output against them (check_story) and refuses to write otherwise.
TARGETS = {
    ("本社工場", "electricity"): 845_000,  # kWh
    ("配送センター", "electricity"): 550_000,
    "electricity": 1_395_000,
    "lpg": 110.0,  # t
    "gasoline": 5.5,  # kL
    "diesel": 38.0,  # kL
}
TARGET_TOLERANCE = 0.03
TOTAL_CO2_RANGE = (900.0, 1400.0)  # t-CO2, FY2025
CRUDE_OIL_KL_RANGE = (400.0, 700.0)  # kL, FY2025 (well under the 1,500 kL of a specified business)
UNEXPLAINED_RANGE = (0.03, 0.08)
FY2024_RANGE = (1.02, 1.05)
PARETO_ORDER = ("冷凍・冷蔵", "ボイラー", "配送トラック", "加熱調理", "照明", "空調")
TOP5_SHARE_RANGE = (0.74, 0.80)
TOP6_SHARE_RANGE = (0.80, 0.86)

# Monthly profiles, April → March (relative weights; normalised per item).
PROFILES = {
    # production: the year-end rush (おせち・お歳暮・千枚漬け) in December, quiet January
    "生産連動（年末繁忙）": [0.97, 0.95, 0.93, 0.95, 0.97, 0.94, 1.00, 1.07, 1.30, 0.86, 0.94, 1.02],
    # refrigeration: around the clock, compressors work harder in summer; stock is high in December
    "冷凍・冷蔵（夏増）": [0.94, 0.99, 1.07, 1.18, 1.22, 1.09, 0.99, 0.94, 1.00, 0.86, 0.84, 0.88],
    # boiler: production × colder feed water in winter
    "ボイラー（冬増・年末繁忙）": [1.00, 0.93, 0.87, 0.84, 0.86, 0.88, 1.00, 1.12, 1.42, 1.00, 1.08, 1.10],
    # air conditioning: cooling peak Jul–Aug, some heating Dec–Feb
    "冷暖房（夏ピーク・冬も）": [0.35, 0.55, 1.10, 1.95, 2.10, 1.45, 0.55, 0.45, 0.90, 1.15, 1.05, 0.60],
    # working days: lighting, office, company cars
    "稼働日連動": [0.99, 0.93, 0.99, 1.00, 0.95, 0.99, 1.02, 1.03, 1.10, 0.90, 0.98, 1.04],
    # deliveries: year-end gift and おせち season
    "配送（年末繁忙）": [0.97, 0.96, 0.95, 0.98, 1.02, 0.95, 1.00, 1.04, 1.25, 0.88, 0.93, 1.01],
    # around the clock / constant
    "通年一定": [1.0] * 12,
}

# The equipment list (FY2025 operation). Columns as in equipment.csv.
# (site, equipment, process, energy, rated_kw, fuel_rate, units, hours_per_year, load_factor, season, note)
EQUIPMENT = [
    # --- 本社工場: electricity
    ("本社工場", "プレハブ冷蔵庫 冷凍機 11kW（原料・製品）", "冷凍・冷蔵", "electricity", 11, None, 3, 8760, 0.55,
     "冷凍・冷蔵（夏増）", "2009年製、冷媒R404A。凝縮器（室外機）が屋上で西日を受ける"),
    ("本社工場", "漬け込み室 ブラインチラー 22kW", "冷凍・冷蔵", "electricity", 22, None, 1, 8760, 0.45,
     "冷凍・冷蔵（夏増）", "漬け込みタンク室を10℃以下に保つ"),
    ("本社工場", "ブラストチラー 7.5kW（惣菜の急速冷却）", "冷凍・冷蔵", "electricity", 7.5, None, 2, 2800, 0.70,
     "生産連動（年末繁忙）", "加熱した惣菜を衛生管理（HACCP）の基準どおり急速に冷やす"),
    ("本社工場", "スクリューコンプレッサー 22kW", "コンプレッサー", "electricity", 22, None, 2, 4200, 0.58,
     "生産連動（年末繁忙）", "包装機・充填機・エアブロー用。吐出圧力0.7MPa、休日も1台が運転"),
    ("本社工場", "パッケージエアコン 10馬力（製造室）", "空調", "electricity", 9.0, None, 7, 2600, 0.60,
     "冷暖房（夏ピーク・冬も）", "衛生区域の室温管理。2011年製。定格は消費電力"),
    ("本社工場", "パッケージエアコン 5馬力（事務所）", "空調", "electricity", 4.5, None, 2, 2000, 0.55,
     "冷暖房（夏ピーク・冬も）", "2011年製"),
    ("本社工場", "直管蛍光灯 FLR40×2灯（工場・事務所）", "照明", "electricity", 0.0984, None, 240, 3600, 1.0,
     "稼働日連動", "1台あたり2灯。LED化の候補"),
    ("本社工場", "野菜洗浄機・脱水機", "製造ライン", "electricity", 5.5, None, 3, 2800, 0.50,
     "生産連動（年末繁忙）", ""),
    ("本社工場", "スライサー・カッター", "製造ライン", "electricity", 3.7, None, 6, 2400, 0.45,
     "生産連動（年末繁忙）", ""),
    ("本社工場", "真空包装機・充填機", "製造ライン", "electricity", 4.0, None, 6, 2800, 0.50,
     "生産連動（年末繁忙）", "シール部のヒーターを含む"),
    ("本社工場", "排水処理 ばっ気ブロワー 11kW", "排水処理", "electricity", 11, None, 2, 8760, 0.50,
     "通年一定", "24時間連続運転。インバーターなし（溶存酸素による風量制御なし）"),
    ("本社工場", "排水処理 ポンプ類", "排水処理", "electricity", 2.2, None, 3, 6000, 0.50,
     "通年一定", ""),
    ("本社工場", "ボイラー給水ポンプ・送風機", "ボイラー付帯設備", "electricity", 5.5, None, 1, 3600, 0.60,
     "ボイラー（冬増・年末繁忙）", ""),
    ("本社工場", "事務所OA機器（PC・複合機・サーバー）", "OA・その他", "electricity", 4.0, None, 1, 2600, 0.80,
     "稼働日連動", ""),
    # --- 本社工場: LPG (no city-gas main at the site) and petrol
    ("本社工場", "貫流ボイラー 1.0t/h（LPG）", "ボイラー", "lpg", None, 62, 2, 3300, 0.20,
     "ボイラー（冬増・年末繁忙）",
     "2台を台数制御。2008年製。殺菌槽・湯通し・洗浄用温水へ蒸気を供給。ドレンは回収せず排水、"
     "蒸気配管の保温が一部はがれている。ボイラー効率は未測定"),
    ("本社工場", "回転釜（LPG直火）", "加熱調理", "lpg", None, 2.2, 6, 2600, 0.55,
     "生産連動（年末繁忙）", "惣菜の煮炊き。1台あたりバーナー約30kW"),
    ("本社工場", "連続フライヤー（LPG）", "加熱調理", "lpg", None, 4.0, 1, 2000, 0.50,
     "生産連動（年末繁忙）", "揚げ物の惣菜"),
    ("本社工場", "社用車（ガソリン）", "社用車", "gasoline", None, 3.5, 4, 380, 1.0,
     "稼働日連動", "営業と原料の仕入れ（京野菜の産地回り）。燃料消費率は走行時の平均"),
    # --- 配送センター: electricity
    ("配送センター", "冷凍倉庫 冷凍機 30kW（−25℃）", "冷凍・冷蔵", "electricity", 30, None, 2, 8760, 0.55,
     "冷凍・冷蔵（夏増）", "2012年製。入出庫のたびに扉が長く開く（ビニールカーテン・エアカーテンなし）"),
    ("配送センター", "冷蔵倉庫 冷凍機 15kW（5℃）", "冷凍・冷蔵", "electricity", 15, None, 2, 8760, 0.50,
     "冷凍・冷蔵（夏増）", "2012年製"),
    ("配送センター", "冷凍車の待機用電源", "冷凍・冷蔵", "electricity", 3.0, None, 6, 1200, 0.50,
     "配送（年末繁忙）", "出発前に荷室を予冷する（外部電源）"),
    ("配送センター", "水銀灯 400W（倉庫・荷捌き場の高天井）", "照明", "electricity", 0.425, None, 30, 4000, 1.0,
     "稼働日連動", "安定器を含む。LED化の候補"),
    ("配送センター", "直管蛍光灯 FLR40×2灯（事務所）", "照明", "electricity", 0.0984, None, 40, 2600, 1.0,
     "稼働日連動", "1台あたり2灯"),
    ("配送センター", "パッケージエアコン 5馬力（事務所・休憩室）", "空調", "electricity", 4.5, None, 3, 2400, 0.55,
     "冷暖房（夏ピーク・冬も）", ""),
    ("配送センター", "バッテリーフォークリフト 充電器", "フォークリフト", "electricity", 3.0, None, 4, 2000, 0.60,
     "配送（年末繁忙）", "夜間に充電"),
    ("配送センター", "事務所OA機器・ドックシェルター", "OA・その他", "electricity", 2.0, None, 1, 2600, 0.80,
     "稼働日連動", ""),
    # --- 配送センター: diesel
    ("配送センター", "冷凍車 4t（軽油）", "配送トラック", "diesel", None, 6.5, 2, 1300, 1.0,
     "配送（年末繁忙）", "スーパー・百貨店への配送。荷室の冷凍機はエンジン駆動。燃料消費率は走行時の平均"),
    ("配送センター", "冷凍車 2t（軽油）", "配送トラック", "diesel", None, 4.0, 4, 1200, 1.0,
     "配送（年末繁忙）", "京都市内・大阪府北部のルート配送。燃料消費率は走行時の平均"),
]

# Share of each bill not explained by the equipment list, (bills − estimate) / bills.
UNEXPLAINED = {
    ("本社工場", "electricity"): 0.055,
    ("配送センター", "electricity"): 0.040,
    ("本社工場", "lpg"): 0.050,
    ("本社工場", "gasoline"): 0.035,
    ("配送センター", "diesel"): 0.045,
}

# FY2024 usage relative to FY2025 (a colder winter, a longer summer, before small savings).
FY2024_RATIO = {
    ("本社工場", "electricity"): 1.032,
    ("配送センター", "electricity"): 1.027,
    ("本社工場", "lpg"): 1.043,
    ("本社工場", "gasoline"): 1.024,
    ("配送センター", "diesel"): 1.029,
}

USAGE_NOISE = 0.03
CHARGE_NOISE = 0.02

# Meter-reading day of the electricity bills (1 = calendar month); fuels are calendar months.
METER_DAY = {
    ("本社工場", "electricity"): 1,
    ("配送センター", "electricity"): 18,
}
BASIC_CHARGE_YEN = {  # monthly, added to usage × unit price
    ("本社工場", "electricity"): 95_000,
    ("配送センター", "electricity"): 70_000,
    ("本社工場", "lpg"): 6_600,  # bulk-tank equipment charge
}

# --- Quirks --------------------------------------------------------------------------------------
ELECTRICITY_NAME = "電気"  # alias of 電力 in energies.csv
ELECTRICITY_MWH_SITE = "配送センター"  # this site's rows are typed in MWh (three decimals)
FUEL_NAMES = {  # per energy: (usual name, alias, share of rows with the alias); all in energies.csv
    "lpg": ("プロパンガス", "LPG", 0.25),
    "gasoline": ("ガソリン", "レギュラーガソリン", 0.35),
    "diesel": ("軽油", "軽油", 0.0),
}
FUEL_NOTES = {"gasoline": "給油カード月次明細（4台合計）", "diesel": "給油カード月次明細（6台合計）"}
TRAILING_SPACE_ROWS = {("配送センター", "diesel", (2024, 7)), ("配送センター", "diesel", (2025, 11))}
CORRECTION = {
    "site": "本社工場",
    "energy": "lpg",
    "month": (2025, 12),
    "overstatement": 0.15,
    "note": "充填量の記載誤りによる再発行",
    "issued_after": (2026, 1),  # the re-issued bill is listed after the January bills
}

QUIRKS_JA = [
    ("`bills_electricity.csv` は **Shift_JIS（cp932）** で保存されています（Windows の Excel で「CSV」として保存した想定、"
     "改行は CRLF、BOM なし）。UTF-8 を前提にした道具で開くと文字化けします。`cnkit.read_bills` は UTF-8 で読めないとき cp932 で読み直します。"),
    "電力の使用月は `令和7年4月分` のように和暦と「分」で、検針開始日・検針終了日も `R7.4.18` のように和暦で書かれています（令和7年 = 2025年）。",
    ("配送センターの電力は電力会社の月報から写したため **MWh**（小数3桁、例: `52.347`）、本社工場は kWh です。"
     "同じファイルの中で単位が違うので、単位をそろえずに足すと配送センターが約1000分の1になります。"),
    "電力のファイルは年度ごとのかたまりで、2024年度と2025年度の間に空行が1行あります。",
    "電力のエネルギー名は `電気`（`電力` の別名）、LPG は `プロパンガス` と `LPG`、ガソリンは `ガソリン` と `レギュラーガソリン` が混在しています。",
    ("`bills_fuel.xlsx` の使用月は文字ではなく Excel の**日付セル**（各月1日、表示は `2025年4月`）です。"
     "pandas で読むと日時（Timestamp）になります。使用量と請求金額は数値のセルです。"),
    "配送センターの軽油の2行は拠点名の後ろに全角スペースがあります（`配送センター　`）。そのまま集計すると別の拠点に見えます（`cnkit.read_bills` は前後の空白を取り除きます）。",
    "軽油とガソリンは給油カードの月次明細（台数分の合計）で、検針開始日・検針終了日は空欄です。LPG はバルク貯槽への充填の月締めで暦月です。",
    "本社工場の電力は毎月1日が検針日（暦月）、配送センターは18日が検針日で、検針期間が月をまたぎます（例: R7.4.18〜R7.5.17 が「令和7年4月分」）。",
    ("本社工場の LPG 2025年12月分は2行あります。最初の請求書は充填量の記載誤りで過大、"
     "`区分` = `訂正`（備考: 充填量の記載誤りによる再発行）の行が正しい値で、2026年1月分の後ろに載っています。集計では訂正の行で置き換えます。"),
    "設備リスト（`equipment.csv`）から見積もった使用量は請求書の合計と一致しません（エネルギーごとに3〜8%の「説明できない」差があります）。",
]



# ---------------------------------------------------------------------------------------------
def equipment_frame() -> pd.DataFrame:
    return common.equipment_frame(EQUIPMENT, PROFILES)


def monthly_usage(equipment: pd.DataFrame) -> dict:
    return common.monthly_usage(equipment, PROFILES, UNEXPLAINED, FY2024_RATIO, seed=SEED, base_fy=BASE_FY,
                                comparison_fy=COMPARISON_FY, noise=USAGE_NOISE)


def build_bills(factors: dict, usage: dict) -> tuple[list[dict], list[dict]]:
    """(electricity rows, fuel rows) with numeric values, before the text quirks (common.build_bills)."""
    return common.build_bills(factors, usage, seed=SEED, fiscal_years=FISCAL_YEARS, sites=SITES,
                              energies=ENERGY_ORDER, meter_day=METER_DAY, basic_charge_yen=BASIC_CHARGE_YEN,
                              charge_noise=CHARGE_NOISE, correction=CORRECTION)


# ---------------------------------------------------------------------------------------------
def era_month(y: int, m: int) -> str:
    return f"令和{common.reiwa(y)}年{m}月分"


def era_date(d: dt.date) -> str:
    return f"R{common.reiwa(d.year)}.{d.month}.{d.day}"


def write_electricity_csv(path: Path, rows: list[dict]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(common.BILL_HEADER)
    previous_fy = None
    for r in rows:
        if previous_fy is not None and r["fy"] != previous_fy:
            out.write("\r\n")  # an empty line between the fiscal years
        previous_fy = r["fy"]
        if r["site"] == ELECTRICITY_MWH_SITE:
            usage_text, unit = f"{r['usage'] / 1000:,.3f}", "MWh"
        else:
            usage_text, unit = f"{r['usage']:,}", "kWh"
        writer.writerow([r["site"], ELECTRICITY_NAME, era_month(r["y"], r["m"]), era_date(r["start"]),
                         era_date(r["end"]), usage_text, unit, f"{r['charge']:,}", r["kind"], r["note"]])
    path.write_bytes(out.getvalue().encode("cp932"))


def write_fuel_xlsx(path: Path, rows: list[dict], factors: dict) -> None:
    energies = factors["energies"]
    names = {e: {energies.loc[e, "name_ja"], *energies.loc[e, "aliases_ja"].split("|")} for e in energies.index}
    wb, ws = common.bills_sheet("燃料")
    for r in rows:
        site, energy, y, m = r["site"], r["energy"], r["y"], r["m"]
        rng = random.Random(f"{SEED}:typing:{site}:{energy}:{y}-{m:02d}:{r['kind']}")
        usual, alias, alias_share = FUEL_NAMES[energy]
        typed_name = alias if rng.random() < alias_share else usual
        if typed_name not in names[energy]:
            raise ValueError(f"{typed_name!r} is not a name of {energy} in energies.csv")
        typed_site = site + "\u3000" if (site, energy, (y, m)) in TRAILING_SPACE_ROWS else site
        metered = energy == "lpg"
        unit = common.BILL_UNIT[energy][0]
        note = r["note"] or FUEL_NOTES.get(energy, "")
        ws.append([typed_site, typed_name, dt.datetime(y, m, 1),
                   dt.datetime.combine(r["start"], dt.time()) if metered else None,
                   dt.datetime.combine(r["end"], dt.time()) if metered else None,
                   r["usage"], unit, r["charge"], r["kind"] or None, note or None])
    for row in ws.iter_rows(min_row=2):
        row[2].number_format = 'yyyy"年"m"月"'
        row[3].number_format = row[4].number_format = "yyyy/mm/dd"
        row[5].number_format = row[7].number_format = "#,##0"
    common.save_bills_sheet(wb, ws, path, (14, 14, 11, 12, 12, 11, 6, 14, 7, 30),
                            creator="datasets/generators/b_sha.py", title="B社 燃料 請求データ（架空）")


# ---------------------------------------------------------------------------------------------
def profile_dict() -> dict:
    def site(name, address, description, energies, building):
        return {"site": name, "address": address, "description": description, "energies": list(energies),
                "electricity_supplier": ELECTRICITY_SUPPLIER, "electricity_menu": "basic",
                "electricity_contract": "関西電力（高圧）", "building": building}

    return {
        "company_id": "b_sha",
        "name": "B社",
        "fictional": True,
        "sector": "食料品製造業（京漬物・惣菜）",
        "products": ["京漬物（千枚漬け・しば漬け・すぐき）", "惣菜（煮物・揚げ物）", "おせち用の詰め合わせ"],
        "customers": "京都府・大阪府のスーパー、百貨店、土産物店。売上の約4割は大手スーパー1社向け",
        "employees": 65,
        "capital_yen": 30_000_000,
        "sales_yen": 1_400_000_000,
        "total_assets_yen": 1_050_000_000,
        "sme": True,
        "location": {"prefecture": "京都府", "city": "南丹市"},
        "head_office": {"prefecture": "京都府", "city": "南丹市", "site": "本社工場"},
        "sites": [
            site("本社工場", {"prefecture": "京都府", "city": "南丹市"},
                 "漬物の漬け込み・加工と惣菜の製造、本社事務所。都市ガスの導管がないため熱源は LPG（バルク貯槽）",
                 ["electricity", "lpg", "gasoline"],
                 {"built": 1998, "floor_area_m2": 3200, "roof_area_m2": 2100, "pv_usable_roof_m2": 1100}),
            site("配送センター", {"prefecture": "京都府", "city": "京都市伏見区"},
                 "冷凍・冷蔵倉庫と出荷場。配送トラック6台の拠点",
                 ["electricity", "diesel"],
                 {"built": 2012, "floor_area_m2": 2400, "roof_area_m2": 2300, "pv_usable_roof_m2": 1700}),
        ],
        "vehicles": {
            "trucks": {"count": 6, "energy": "diesel", "note": "冷凍車（4t 2台、2t 4台）"},
            "company_cars": {"count": 4, "energy": "gasoline"},
            "forklifts": {"count": 4, "energy": "electricity", "note": "バッテリー式"},
        },
        "base_fiscal_year": BASE_FY,
        "comparison_fiscal_year": COMPARISON_FY,
        "certifications": [],
        "status": {
            "sbt_certified": False,
            "re_action_member": False,
            "kyoto_zero_carbon_loan": False,
            "pv_installed_kw": 0,
            "fit_contract": False,
            "renewable_electricity_menu": False,
            "energy_audit": "未受診（京都府の省エネ診断を受けたことがない）",
        },
        "plans": {
            "boiler_replacement": "ボイラー2台（2008年製）を2027年度までに更新したい",
            "refrigeration_replacement": "本社工場のプレハブ冷蔵庫の冷凍機（2009年製）も更新時期",
            "loan_need_yen": 40_000_000,  # below the 50 million minimum of a conventional SLL
        },
        "president_concerns": (
            "ここ数年で電気代とLPGの請求額が大きく増え、利益を圧迫している。とくに冷凍・冷蔵は止められないので、"
            "夏の電気代が心配だ。売上の4割を占める大手スーパーから、昨年『CO2排出量と削減目標を教えてほしい』という"
            "アンケートが届いたが、何をどう数えればよいのか分からず、まだ回答できていない。"
            "ボイラーは2008年製で、そろそろ更新しなければならない。同じLPGボイラーにするか、電気のヒートポンプにするか迷っているが、"
            "ヒートポンプは高いと聞くし、蒸気が要る工程もある。更新には借入れが必要で、金利が少しでも低い方法があれば知りたい。"
            "若い人の採用も年々難しくなっており、環境に取り組む会社だと言えるようになれば、と思っている。"
        ),
        "notes": (
            "講座用の架空の会社。数値は datasets/generators/b_sha.py が生成したもの。"
            "電力は2拠点とも関西電力と高圧で契約している（再エネメニューではない）。electricity_supplier = kepco は"
            "関西電力の事業者全体の係数（電気事業者別排出係数 −R6年度実績−、2025年度の排出量に使う）。"
            "2024年度の請求書に使う2023年度実績の係数は講座のデータにない（確認できていない）ため、前年度との比較は2025年度の係数で行う。"
        ),
    }


def readme_text() -> str:
    quirks = "\n".join(f"{i}. {q}" for i, q in enumerate(QUIRKS_JA, 1))
    return f"""# B社 のデータ（架空の会社）

B社は講座の総合演習（10 総合演習）のために作った**架空の**食品メーカー（京都府、京漬物と惣菜、従業員65名）です。
実在の会社とは関係ありません。拠点は 本社工場（南丹市、製造と本社）と 配送センター（京都市伏見区、冷凍・冷蔵倉庫と配送トラック）の2つです。

このフォルダのファイルはすべて `datasets/generators/b_sha.py` が生成します。手で編集しないでください。
作り直すときはリポジトリのルートで次を実行し、チェックサムも更新します。

```
python datasets/generators/b_sha.py
python datasets/generators/manifest.py
```

## ファイル

| ファイル | 内容 | 単位 | 年度 |
|---|---|---|---|
| `profile.yml` | 会社概要（業種、従業員数、資本金・売上・総資産、拠点の所在地と建物、電力の係数、車両、基準年度、認証・融資の状況、社長の悩み） | – | 基準 {BASE_FY}年度、比較 {COMPARISON_FY}年度 |
| `equipment.csv` | 設備・工程リスト（A社と同じ列）。年間使用量の見積もり = 定格 × 台数 × 年間運転時間 × 負荷率 | 電気 `rated_kw`（kW/台）→ kWh、燃料 `fuel_rate`（kg/h・L/h /台）→ kg・L | {BASE_FY}年度の運転 |
| `bills_electricity.csv` | 電力の請求データ（2拠点）。事務所の Excel から CSV で保存したもの（Shift_JIS） | 本社工場 kWh、配送センター MWh、円 | {COMPARISON_FY}・{BASE_FY}年度（{COMPARISON_FY}年4月〜{BASE_FY + 1}年3月） |
| `bills_fuel.xlsx` | LPG・軽油・ガソリンの請求データ（シート「燃料」）。数値と日付はセルの値 | kg、L、円 | {COMPARISON_FY}・{BASE_FY}年度 |

請求データの列は `datasets/BILL_FORMAT.md` のとおりです（拠点, エネルギー, 使用月, 検針開始日, 検針終了日, 使用量, 単位, 請求金額（円）, 区分, 備考）。
1行 = 1枚の請求書（1拠点・1エネルギー・1か月）。年度は4月〜翌3月です。
`equipment.csv` の列の意味は A社と同じです（`datasets/companies/a_sha/README.md`）。

## どの拠点で何を使うか

| 拠点 | エネルギー | 主な用途 |
|---|---|---|
| 本社工場（南丹市） | 電力、LPG、ガソリン | 冷蔵庫・漬け込み室の冷却・急速冷却、コンプレッサー、空調、照明、製造ライン（洗浄・スライサー・包装）、排水処理、蒸気ボイラーと回転釜・フライヤー（LPG、都市ガスの導管がない）、社用車4台（ガソリン） |
| 配送センター（京都市伏見区） | 電力、軽油 | 冷凍倉庫（−25℃）・冷蔵倉庫（5℃）、照明（高天井の水銀灯）、空調、バッテリーフォークリフトの充電、冷凍車6台（軽油） |

電力の排出係数: 2拠点とも関西電力と契約しています（再エネメニューではない）。`profile.yml` では関西電力の事業者全体の係数（`kepco`、
電気事業者別排出係数 −R6年度実績−、2025年度の排出量に使う）を指定しています。2024年度の請求書に使う2023年度実績の係数は講座のデータ
（`datasets/factors/electricity_factors.csv`）にない（確認できていない）ため、前年度との比較は2025年度の係数で行います。

## 研修で出会う「実データのくせ」（わざと入れてあります。A社とは違うくせです）

{quirks}

## 作り方（概要）

設備リストの年間使用量に、エネルギーごとに数%の「説明できない分」を足したものが請求書の年間合計です。
それを設備ごとの季節パターン（12月の年末繁忙と1月の正月休み、夏に増える冷凍・冷蔵と冷房、冬に増えるボイラー）と
小さなばらつきで月に配分しています。{COMPARISON_FY}年度は{BASE_FY}年度より数%多くなっています。
請求金額は `datasets/factors/prices.csv` の単価（講座の仮定を含む）× 使用量に、電力と LPG は月々の基本料金を加えたものです。
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
    total_co2 = sum(summary["co2_t"][BASE_FY].values())
    if not TOTAL_CO2_RANGE[0] <= total_co2 <= TOTAL_CO2_RANGE[1]:
        problems.append(f"FY{BASE_FY} total CO2 {total_co2:.1f} t")
    kl = summary["crude_kl"][BASE_FY]
    if not CRUDE_OIL_KL_RANGE[0] <= kl <= CRUDE_OIL_KL_RANGE[1]:
        problems.append(f"FY{BASE_FY} crude-oil equivalent {kl:.1f} kL")
    pareto = summary["pareto"]
    for n, (low, high) in ((5, TOP5_SHARE_RANGE), (6, TOP6_SHARE_RANGE)):
        share = pareto.iloc[:n].sum() / pareto.sum()
        if not low <= share <= high:
            problems.append(f"top-{n} share {share:.1%}")
    return problems


def print_summary(summary: dict) -> None:
    common.print_summary(summary, fiscal_years=(BASE_FY, COMPARISON_FY), base_fy=BASE_FY, energies=ENERGY_ORDER,
                         supplier=ELECTRICITY_SUPPLIER,
                         units={"electricity": ("MWh", 1e-3), "lpg": ("t", 1.0), "gasoline": ("kL", 1.0), "diesel": ("kL", 1.0)})


def generate(out_dir: Path, verbose: bool = False) -> dict:
    factors = common.read_factors()
    equipment = equipment_frame()
    usage = monthly_usage(equipment)
    summary = summarise(factors, equipment, usage)

    def write_bills(folder: Path) -> None:
        elec_rows, fuel_rows = build_bills(factors, usage)
        write_electricity_csv(folder / "bills_electricity.csv", elec_rows)
        write_fuel_xlsx(folder / "bills_fuel.xlsx", fuel_rows, factors)

    common.write_dataset(out_dir, company="B社", problems=check_story(summary),
                         show_summary=lambda: print_summary(summary), verbose=verbose, profile=profile_dict(),
                         equipment=equipment, write_bills=write_bills, readme=readme_text())
    return summary


def main(argv: list[str] | None = None) -> int:
    return common.main(argv, company="B社", default_out=DEFAULT_OUT, generate=generate)


if __name__ == "__main__":
    sys.exit(main())
