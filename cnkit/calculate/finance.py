"""Finance and disclosure rules as pure functions (calculate layer).

Each check returns a :class:`Verdict`: whether it holds and, for every condition that fails,
a Japanese reason. The numbers (SPT rates, thresholds, fees) come from
``datasets/finance/programmes.csv`` with their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import CnkitError
from ..reference import programme_value

#: Kyoto Zero-Carbon Framework sectors → row names in programmes.csv
ZCF_SECTORS = {"業務": "spt_commercial", "産業": "spt_industrial", "運輸": "spt_transport"}


@dataclass
class Verdict:
    """The result of a rule check: ``ok`` and the Japanese reasons when it is not, plus figures."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    yes: str = "○ 満たしています"
    no: str = "× 満たしていません"

    def __str__(self) -> str:
        head = self.yes if self.ok else self.no
        return "\n".join([head, *[f"・{r}" for r in self.reasons]])


def _number(value, name: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CnkitError(f"{name} には数値を入れてください（入力: {value!r}）。")
    if value != value or value < minimum:
        raise CnkitError(f"{name} は {minimum:g} 以上の数値にしてください（入力: {value!r}）。")
    return float(value)


def average_reduction_rate(base_t: float, yearly_t: Mapping[int, float]) -> float:
    """Average of the yearly reduction rates against the base, not compounded.

    rate_y = (base − emissions_y) / base; the result is the mean over the years given. This is how
    the Kyoto specified-business system (and the Zero-Carbon Framework's SPT) judges a plan period.
    """
    base = _number(base_t, "基準年度の排出量")
    if base == 0:
        raise CnkitError("基準年度の排出量が 0 です。削減率を計算できません。")
    if not yearly_t:
        raise CnkitError("年度ごとの排出量が1つもありません。")
    rates = [(base - _number(v, f"{fy}年度の排出量")) / base for fy, v in yearly_t.items()]
    return sum(rates) / len(rates)


def zero_carbon_framework(sector: str, base_t: float, yearly_t: Mapping[int, float], *,
                          has_site_in_kyoto: bool) -> Verdict:
    """Kyoto Zero-Carbon Framework SLL: is the borrower eligible, and does it meet the SPT of its sector?

    KPI = CO2 from the borrower's sites in Kyoto; SPT = average yearly reduction rate against the base
    (業務 6 %, 産業 4 %, 運輸 2 %).
    """
    if sector not in ZCF_SECTORS:
        raise CnkitError(f"部門「{sector}」はありません。{'・'.join(ZCF_SECTORS)} のどれかを指定してください。")
    spt = programme_value("kyoto_zcf", ZCF_SECTORS[sector])
    rate = average_reduction_rate(base_t, yearly_t)
    reasons = []
    if not has_site_in_kyoto:
        reasons.append("京都府内に事業所（工場・事業場・店舗など）がありません。")
    if rate < spt - 1e-12:  # exactly on the SPT counts as met (no floating-point noise)
        reasons.append(f"基準年度比の平均削減率 {rate:.1%} が、{sector}部門のSPT {spt:.0%} に届いていません。")
    return Verdict(not reasons, reasons, {"spt": spt, "average_reduction_rate": rate})


def sll_fee_comparison() -> dict[str, float]:
    """Arrangement fee and minimum loan: Kyoto Zero-Carbon Framework against a conventional SLL (yen)."""
    return {
        "zcf_fee": programme_value("kyoto_zcf", "arrangement_fee"),
        "zcf_minimum_loan": programme_value("kyoto_zcf", "minimum_loan"),
        "sll_fee_low": programme_value("conventional_sll", "arrangement_fee_low"),
        "sll_fee_high": programme_value("conventional_sll", "arrangement_fee_high"),
        "sll_minimum_loan": programme_value("conventional_sll", "minimum_loan"),
    }


def interest_saved(principal: float, years: int, step_down: float, *, repayment: str = "equal_principal") -> float:
    """Interest saved (yen) by a rate step-down of ``step_down`` (e.g. 0.001 = 0.1 %pt) over the loan.

    ``equal_principal`` (元金均等): the balance falls by principal/years each year and the saving is
    step_down × the balance at the start of each year. ``bullet`` (期日一括): the whole principal all years.
    """
    p = _number(principal, "融資額（円）")
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise CnkitError(f"融資期間（年）は 1 以上の整数にしてください（入力: {years!r}）。")
    s = _number(step_down, "金利の引き下げ幅")
    if s >= 0.1:
        raise CnkitError(f"金利の引き下げ幅 {s!r} が大きすぎます。0.1%pt なら 0.001 と入れます。")
    if repayment == "bullet":
        return p * s * years
    if repayment != "equal_principal":
        raise CnkitError(f"返済方法「{repayment}」はありません。equal_principal（元金均等）か bullet（期日一括）です。")
    return sum(p * (1 - k / years) * s for k in range(years))


def kyoto_specified_business(crude_kl: float, *, trucks: int = 0, buses: int = 0, taxis: int = 0,
                             rail_cars: int = 0, non_energy_ghg_t: float = 0.0) -> Verdict:
    """Is the company a specified business under the Kyoto climate ordinance? ``ok`` = yes, with the reasons."""
    checks = [
        ("energy_kl", crude_kl, "原油換算のエネルギー使用量", "kL"),
        ("trucks", trucks, "トラック", "台"),
        ("buses", buses, "バス", "台"),
        ("taxis", taxis, "タクシー", "台"),
        ("rail_cars", rail_cars, "鉄道車両", "両"),
        ("non_energy_ghg_t", non_energy_ghg_t, "エネルギー起源以外の温室効果ガス", "t-CO2"),
    ]
    hits = []
    for item, value, label, unit in checks:
        v = _number(value, label)
        limit = programme_value("kyoto_specified", item)
        if v >= limit:
            hits.append(f"{label} {v:,.0f} {unit} が基準 {limit:,.0f} {unit} 以上です。")
    return Verdict(bool(hits), hits or ["どの基準にも該当しません。"], yes="○ 特定事業者に該当します", no="× 特定事業者に該当しません")


def sbt_sme_eligibility(scope12_t: float, employees: int, turnover_yen: float, assets_yen: float, *,
                        financial_or_oil_gas: bool = False, mandatory_flag: bool = False) -> Verdict:
    """SBTi SME route: < 10,000 t Scope 1 + location-based Scope 2, not a financial institution or oil & gas,
    and at least 3 of 4 size conditions (employees, turnover, assets, no mandatory FLAG target)."""
    s = _number(scope12_t, "Scope 1＋2 の排出量（t-CO2）")
    emp = _number(employees, "従業員数")
    fx = programme_value("fx", "eur_jpy")
    turnover_eur = _number(turnover_yen, "売上高（円）") / fx
    assets_eur = _number(assets_yen, "総資産（円）") / fx
    reasons = []
    limit = programme_value("sbt_sme", "scope12_limit_t")
    if s >= limit:
        reasons.append(f"Scope 1＋2 が {s:,.0f} t で、上限 {limit:,.0f} t 未満ではありません。")
    if financial_or_oil_gas:
        reasons.append("金融機関・石油ガス事業者は中小企業ルートの対象外です。")
    size = {
        f"従業員 {programme_value('sbt_sme', 'employees_limit'):,.0f} 人未満": emp < programme_value("sbt_sme", "employees_limit"),
        f"売上高 {programme_value('sbt_sme', 'turnover_limit_eur') / 1e6:,.0f} 百万ユーロ未満":
            turnover_eur < programme_value("sbt_sme", "turnover_limit_eur"),
        f"総資産 {programme_value('sbt_sme', 'assets_limit_eur') / 1e6:,.0f} 百万ユーロ未満":
            assets_eur < programme_value("sbt_sme", "assets_limit_eur"),
        "FLAG目標の義務がない": not mandatory_flag,
    }
    needed = int(programme_value("sbt_sme", "conditions_needed"))
    met = [k for k, v in size.items() if v]
    if len(met) < needed:
        missing = [k for k, v in size.items() if not v]
        reasons.append(f"規模の条件を {len(met)} つしか満たしていません（{needed} つ以上必要。満たさない条件: {'、'.join(missing)}）。")
    return Verdict(not reasons, reasons, {"size_conditions_met": met, "turnover_eur": turnover_eur, "assets_eur": assets_eur})


def re_action_eligibility(annual_kwh: float, power_business_revenue_share: float = 0.0) -> Verdict:
    """再エネ100宣言 RE Action: not for RE100-size users (≥ 50 GWh/year) nor power-related businesses."""
    kwh = _number(annual_kwh, "年間消費電力量（kWh）")
    share = _number(power_business_revenue_share, "発電・電力関連事業の売上比率")
    if share > 1:
        raise CnkitError(f"売上比率は 0〜1 の割合で入れてください（入力: {power_business_revenue_share!r}）。")
    reasons = []
    big = programme_value("re_action", "re100_size_kwh")
    if kwh >= big:
        reasons.append(f"年間消費電力量 {kwh:,.0f} kWh は RE100 の対象規模（{big:,.0f} kWh 以上）です。")
    limit = programme_value("re_action", "power_business_revenue_share")
    if share >= limit:
        reasons.append(f"売上の {share:.0%} が発電・電力関連・再エネ設備事業で、{limit:.0%} 以上です。")
    return Verdict(not reasons, reasons, {"target_year": programme_value("re_action", "target_year")})


def sbt_target_path(base_t: float, base_fy: int, target_fy: int) -> dict[int, float]:
    """Emissions allowed each year on a linear path of about 4.2 % of the base per year (SBT 1.5 °C level)."""
    base = _number(base_t, "基準年度の排出量")
    if target_fy < base_fy:
        raise CnkitError(f"目標年度 {target_fy} が基準年度 {base_fy} より前です。")
    rate = programme_value("sbt_sme", "linear_reduction_rate")
    return {fy: max(base * (1 - rate * (fy - base_fy)), 0.0) for fy in range(base_fy, target_fy + 1)}


# --- notebook 08: SPT level, guarantee fee, Kawasaki benefit, cases, eligibility table --------------------
# (the ESG-finance subsidy is a rule of cnkit.calculate.subsidies: datasets/subsidies/kawasaki_esg_finance.yml)
def spt_emissions_limit(sector: str, base_t: float) -> float:
    """The highest **average** yearly emissions over the period that still meets the sector's SPT (t-CO2).

    The SPT is met when the mean of the yearly rates (base − E_y) / base is at least the SPT, i.e.
    when mean(E_y) ≤ base × (1 − SPT): the years can make up for each other.
    """
    if sector not in ZCF_SECTORS:
        raise CnkitError(f"部門「{sector}」はありません。{'・'.join(ZCF_SECTORS)} のどれかを指定してください。")
    base = _number(base_t, "基準年度の排出量")
    return base * (1 - programme_value("kyoto_zcf", ZCF_SECTORS[sector]))


def _guarantee_coefficients():
    from ..reference import _csv

    return _csv("finance", "guarantee_fee_coefficients.csv")


def guarantee_fee(loan_yen: float, fee_rate: float, months: int, *, installments: int = 0) -> float:
    """Credit-guarantee fee (yen) as credit guarantee corporations compute it.

    Bullet repayment (``installments=0``): loan × rate × months / 12. Equal instalments: the same
    times the coefficient for the number of instalments (``guarantee_fee_coefficients.csv``:
    e.g. 0.55 for 25 or more), which stands for the falling balance.
    """
    loan = _number(loan_yen, "融資額（円）")
    rate = _number(fee_rate, "保証料率")
    if rate >= 0.1:
        raise CnkitError(f"保証料率 {fee_rate!r} が大きすぎます。年1.15% なら 0.0115 と入れます。")
    for value, label in ((months, "保証期間（月数）"), (installments, "返済の回数")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CnkitError(f"{label}は 0 以上の整数にしてください（入力: {value!r}）。")
    if months < 1:
        raise CnkitError(f"保証期間（月数）は 1 以上にしてください（入力: {months!r}）。")
    fee = loan * rate * months / 12
    if installments == 0:
        return fee
    table = _guarantee_coefficients()
    upper = table["installments_max"].fillna(float("inf"))
    hit = table[(table["installments_min"] <= installments) & (installments <= upper)]
    if hit.empty:
        raise CnkitError(f"返済の回数 {installments} に合う係数が guarantee_fee_coefficients.csv にありません。")
    return fee * float(hit["coefficient"].iloc[0])


def kawasaki_guarantee_fee_subsidy(fee_yen: float, *, certified: bool) -> float:
    """Yen of the guarantee fee that Kawasaki pays on the SDGs・脱炭素化取組支援融資 for a certified
    脱炭素経営アクション推進事業者 (100 % of the fee). Without the certification this benefit is 0
    (other city loan programmes may subsidise part of the fee: see the city's guide)."""
    fee = _number(fee_yen, "信用保証料（円）")
    if not isinstance(certified, bool):
        raise CnkitError(f"certified（認定の有無）は True か False で入れてください（入力: {certified!r}）。")
    return fee * programme_value("kawasaki_cert", "guarantee_fee_subsidy_share") if certified else 0.0


def borrower_cases():
    """The course's fictional borrowers for notebook 08 (``finance/borrower_cases.csv``), indexed by case_id."""
    from ..reference import _csv

    return _csv("finance", "borrower_cases.csv").copy().set_index("case_id", drop=False)


def borrower_emissions(case_id: str) -> dict[int, float]:
    """KPI emissions (t-CO2 from the sites in Kyoto) by fiscal year for a case (``finance/borrower_emissions.csv``)."""
    from ..reference import _csv

    df = _csv("finance", "borrower_emissions.csv")
    rows = df[df["case_id"] == case_id]
    if rows.empty:
        known = sorted(set(df["case_id"]))
        raise CnkitError(f"事例「{case_id}」の排出量はありません。あるのは {'、'.join(known)} です。")
    return {int(r.fiscal_year): float(r.kpi_t) for r in rows.itertuples()}


def _case_value(case: Mapping, key: str, default=0):
    value = case.get(key, default) if hasattr(case, "get") else default
    if value is None or (isinstance(value, float) and value != value):
        return default
    return value


def eligibility_table(case: Mapping, *, scope12_t: float | None = None, annual_kwh: float | None = None,
                      crude_kl: float | None = None):
    """One row per programme — 中小企業版SBT, 再エネ100宣言 RE Action, 京都府 特定事業者, 省エネ法 特定事業者 —
    with ○/× and the reasons, for a case (a row of :func:`borrower_cases` or a dict with the same keys).

    ``scope12_t``, ``annual_kwh`` and ``crude_kl`` override the case's values (e.g. A社's, from its bills).
    The 省エネ法 check reuses :func:`cnkit.threshold_checks`.
    """
    import pandas as pd

    from ..reference import thresholds
    from .emissions import threshold_checks

    s12 = scope12_t if scope12_t is not None else _case_value(case, "scope12_t", None)
    kwh = annual_kwh if annual_kwh is not None else _case_value(case, "annual_kwh", None)
    kl = crude_kl if crude_kl is not None else _case_value(case, "crude_kl", None)
    for value, label in ((s12, "scope12_t（Scope 1＋2 の排出量）"), (kwh, "annual_kwh（年間消費電力量）"),
                         (kl, "crude_kl（原油換算のエネルギー使用量）")):
        if value is None:
            raise CnkitError(f"{label} がありません。事例のデータにないときは引数で渡してください。")
    sbt = sbt_sme_eligibility(float(s12), int(_case_value(case, "employees")), float(_case_value(case, "turnover_yen")),
                              float(_case_value(case, "assets_yen")),
                              financial_or_oil_gas=bool(_case_value(case, "financial_or_oil_gas", False)),
                              mandatory_flag=bool(_case_value(case, "mandatory_flag", False)))
    re_action = re_action_eligibility(float(kwh), float(_case_value(case, "power_business_revenue_share", 0.0)))
    kyoto = kyoto_specified_business(float(kl), trucks=int(_case_value(case, "trucks")), buses=int(_case_value(case, "buses")),
                                     taxis=int(_case_value(case, "taxis")), rail_cars=int(_case_value(case, "rail_cars")),
                                     non_energy_ghg_t=float(_case_value(case, "non_energy_ghg_t", 0.0)))
    label = thresholds().loc["specified_business", "label_ja"]
    sho = threshold_checks(float(kl)).set_index("基準").loc[label]
    in_kyoto = _case_value(case, "prefecture", "") == "京都府"
    rows = [
        ("中小企業版SBT（中小企業ルートで申請できるか）", sbt.ok, "；".join(sbt.reasons) or "要件をすべて満たします。"),
        ("再エネ100宣言 RE Action（参加できるか）", re_action.ok, "；".join(re_action.reasons) or "参加できない条件に当たりません。"),
        ("京都府 特定事業者（条例の計画書・報告書の義務）", kyoto.ok and in_kyoto,
         "；".join(kyoto.reasons) if in_kyoto else "京都府内に事業所がないので、京都府の条例の対象外です。"),
        (f"{sho.name}", bool(sho["holds"]), f"原油換算 {float(kl):,.0f} kL、基準 {sho['基準値']}"),
    ]
    return pd.DataFrame([{"制度": n, "判定": "○" if ok else "×", "該当・参加可": ok, "理由": why} for n, ok, why in rows])
