"""The subsidy calculator of notebook 06: region, equipment, cost, kW/kWh and company facts →
eligible programmes with amounts (or the reasons they do not apply), the best combination, net
cost, and payback without and with the subsidy.

No arithmetic here: the widget reads its boxes, builds a :class:`~cnkit.calculate.subsidies.Project`
and :class:`~cnkit.calculate.subsidies.CompanyFacts`, and calls
:func:`cnkit.calculate.subsidies.subsidy_report`.
"""

from __future__ import annotations

import html
import math

import ipywidgets as w

from .. import normalize as nz
from ..calculate import subsidies as sb
from ..errors import CnkitError
from .common import grading, inert, message

OTHER_REGION = "その他の地域"


def region_choices() -> list[tuple[str, tuple[str, str]]]:
    """Dropdown options (label, (prefecture, city)) from the regions of the programme files."""
    cities: dict[str, list[str]] = {}
    for p in sb.programmes().values():
        r = p["region"]
        cities.setdefault(r["prefecture"], [])
        if r.get("city") and r["city"] not in cities[r["prefecture"]]:
            cities[r["prefecture"]].append(r["city"])
    out = []
    for pref, names in cities.items():
        for city in names:
            out.append((f"{pref}{city}", (pref, city)))
        if names:
            out.append((f"{pref}（{'・'.join(names)}以外）", (pref, f"{pref}の{'・'.join(names)}以外")))
        else:
            out.append((pref, (pref, f"{pref}内")))
    out.append((OTHER_REGION, (OTHER_REGION, OTHER_REGION)))
    return out


def _text(value: str = "", width: str = "150px", placeholder: str = "") -> w.Text:
    return w.Text(value=value, placeholder=placeholder, layout=w.Layout(width=width))


def _row(label: str, box, unit: str = "") -> w.HBox:
    items = [w.Label(label, layout=w.Layout(width="230px")), box]
    if unit:
        items.append(w.Label(unit))
    return w.HBox(items)


def _check(label: str, value: bool = False) -> w.Checkbox:
    return w.Checkbox(value=value, description=label, indent=False, layout=w.Layout(width="auto"))


class SubsidyCalculator(w.VBox):
    """Equipment + company facts → every programme (amount or reasons), best combination, net cost, payback."""

    def __init__(self, region: str = "神奈川県川崎市", equipment: str = "pv", cost_yen: float | None = None,
                 kw: float | None = None, annual_saving_yen: float | None = None, *, sme: bool = True,
                 crude_oil_kl: float | None = None, vehicles: int | None = None, kawasaki_certified: bool = True):
        regions = dict(region_choices())
        if region not in regions:
            raise CnkitError(f"地域「{region}」は選べません。選べる地域: {'、'.join(regions)}")
        types = sb.equipment_types()
        if equipment not in types.index:
            raise CnkitError(f"設備の種類「{equipment}」はありません。使えるもの: {'、'.join(types.index)}")

        def shown(v) -> str:
            return "" if v is None else f"{v:,.15g}"

        self.region = w.Dropdown(options=list(regions.items()), value=regions[region], layout=w.Layout(width="260px"))
        self.equipment = w.Dropdown(options=[(r["name_ja"], k) for k, r in types.iterrows()], value=equipment,
                                    layout=w.Layout(width="360px"))
        self.cost = _text(shown(cost_yen), placeholder="例: 3,600,000")
        self.kw = _text(shown(kw), placeholder="発電設備のとき")
        self.battery_kwh = _text(placeholder="なければ空欄")
        self.battery_cost = _text(placeholder="なければ空欄")
        self.self_consumption = _text(placeholder="例: 0.8")
        self.saving = _text(shown(annual_saving_yen), placeholder="回収年数を出すとき")
        self.replacement = _check("既存の設備の更新である", True)
        self.kawasaki_brand = _check("川崎ブランド認定の空調である")
        self.fit_sale = _check("FIT で売電する")
        self.disaster = _check("災害時に地域へ電力を供給する（蓄電池）")
        self.contract = _check("交付決定の前に契約・着工した")
        self.sme = _check("中小企業（中小企業基本法）である", sme)
        self.corporation = w.Dropdown(options=list(sb.CORPORATION_TYPES), value="会社", layout=w.Layout(width="160px"))
        self.crude_kl = _text(shown(crude_oil_kl), placeholder="例: 260")
        self.vehicles = _text(shown(vehicles), placeholder="例: 13")
        self.certified = _check("川崎市 脱炭素経営アクション推進事業者の認定（完了届までに取得）", kawasaki_certified)
        self.monozukuri = _check("川崎ものづくりブランドの認定企業である")
        self.specified = _check("京都府の特定事業者である")
        self.sbt = _check("SBT認定を取得している")
        self.zcf = _check("京都ゼロカーボン・フレームワークのSLLを組成した")
        self.plan = _check("サプライチェーンの温室効果ガス削減の計画がある")
        self.result = w.HTML()
        boxes = [self.region, self.equipment, self.cost, self.kw, self.battery_kwh, self.battery_cost,
                 self.self_consumption, self.saving, self.replacement, self.kawasaki_brand, self.fit_sale,
                 self.disaster, self.contract, self.sme, self.corporation, self.crude_kl, self.vehicles,
                 self.certified, self.monozukuri, self.specified, self.sbt, self.zcf, self.plan]
        for box in boxes:
            box.observe(self._update, names="value")
        head = w.HTML("<b>補助金かんたん計算</b> — 設備と会社の情報を入れると、使える補助金と金額（使えないときは理由）、"
                      "併用したときの合計、自己負担、投資回収年数を表示します。金額は税抜きの対象経費で入れます"
                      "（消費税・古い設備の処分費・自社の人件費は含めません）。")
        equipment_box = w.VBox([
            w.HTML("<b>設備</b>"),
            _row("地域（設備を置く事業所）", self.region), _row("設備・経費の種類", self.equipment),
            _row("対象経費（税抜き）", self.cost, "円"), _row("出力", self.kw, "kW"),
            _row("蓄電池の容量", self.battery_kwh, "kWh"), _row("蓄電池の費用（対象経費の内数）", self.battery_cost, "円"),
            _row("自家消費率（0〜1 の割合）", self.self_consumption, "（例: 0.8）"),
            _row("年間の削減額（光熱費など）", self.saving, "円/年"),
            self.replacement, self.kawasaki_brand, self.fit_sale, self.disaster, self.contract])
        company_box = w.VBox([
            w.HTML("<b>会社</b>"),
            self.sme, _row("法人の種類", self.corporation),
            _row("前年度の原油換算エネルギー使用量", self.crude_kl, "kL"), _row("自動車の保有台数", self.vehicles, "台"),
            self.certified, self.monozukuri,
            w.HTML("<b>京都府の制度で使う項目</b>"), self.specified, self.sbt, self.zcf, self.plan])
        super().__init__([head, w.HBox([equipment_box, company_box]), self.result])
        self._update()

    # ---- reading the boxes (no arithmetic: text → number) ----
    @staticmethod
    def _number(box: w.Text, label: str, *, blank=0.0):
        text = box.value.strip()
        if not text:
            return blank
        try:
            return nz.parse_number(text)
        except ValueError as exc:
            raise CnkitError(f"{label}「{text}」: {exc}。数字で入れてください。") from None

    def project(self) -> sb.Project:
        """The project described by the boxes (CnkitError with a Japanese message on bad input)."""
        cost = self._number(self.cost, "対象経費（円）", blank=None)
        if cost is None:
            raise CnkitError("対象経費（円）を入れてください。")
        return sb.Project(
            equipment=self.equipment.value, cost_yen=cost,
            kw=self._number(self.kw, "出力（kW）"),
            battery_kwh=self._number(self.battery_kwh, "蓄電池の容量（kWh）"),
            battery_cost_yen=self._number(self.battery_cost, "蓄電池の費用（円）"),
            self_consumption_share=self._number(self.self_consumption, "自家消費率", blank=None),
            replacement=self.replacement.value, kawasaki_brand=self.kawasaki_brand.value,
            fit_sale=self.fit_sale.value, disaster_supply=self.disaster.value,
            contract_before_decision=self.contract.value)

    def company(self) -> sb.CompanyFacts:
        """The company facts described by the boxes."""
        prefecture, city = self.region.value
        return sb.CompanyFacts(
            prefecture=prefecture, city=city, sme=self.sme.value, corporation_type=self.corporation.value,
            crude_oil_kl=self._number(self.crude_kl, "前年度の原油換算エネルギー使用量（kL）", blank=None),
            vehicles=self._number(self.vehicles, "自動車の保有台数", blank=None),
            kawasaki_certified=self.certified.value, kawasaki_monozukuri_brand=self.monozukuri.value,
            kyoto_specified_business=self.specified.value, sbt_certified=self.sbt.value, zcf_loan=self.zcf.value,
            supply_chain_plan=self.plan.value)

    def compute(self) -> sb.SubsidyReport:
        """The report for the current inputs (raises CnkitError with a Japanese message on bad input)."""
        saving = self._number(self.saving, "年間の削減額（円/年）", blank=None)
        return sb.subsidy_report(self.project(), self.company(), saving)

    # ---- showing the result ----
    def _update(self, change=None) -> None:
        try:
            report = self.compute()
        except CnkitError as exc:
            self.result.value = message(str(exc))
            return
        self.result.value = render_report(report)


def _payback(years) -> str:
    if years is None:
        return "—（年間の削減額を入れると表示します）"
    if math.isinf(years):
        return "回収できません（年間の削減額が 0 以下）"
    return f"{years:,.1f} 年"


def render_report(report: sb.SubsidyReport) -> str:
    """HTML of a :class:`~cnkit.calculate.subsidies.SubsidyReport` (eligible programmes first)."""
    res = report.results
    order = list(res[res["eligible"]].index) + list(res[~res["eligible"] & res["applicable"]].index) \
        + list(res[~res["applicable"]].index)
    rows = []
    for pid in order:
        r = res.loc[pid]
        if r["eligible"]:
            verdict = "<span style='color:#006e4f'>○ 使える</span>"
            amount = f"<b>{r['amount_yen']:,.0f} 円</b>"
            detail = html.escape(r["breakdown"]).replace("\n", "<br>")
        else:
            verdict = "× 使えない" if r["applicable"] else "－ 対象外"
            amount = "—" if not r["applicable"] else f"（条件を満たせば {r['potential_yen']:,.0f} 円）"
            detail = "<br>".join("・" + html.escape(x) for x in r["reasons"])
        rows.append(f"<tr><td>{html.escape(r['name_ja'])}</td><td>{verdict}</td>"
                    f"<td style='text-align:right'>{amount}</td><td style='font-size:90%'>{detail}</td></tr>")
    combo = report.combination
    if combo.programmes:
        parts = " ＋ ".join(f"{html.escape(n)} {combo.amounts_yen[p]:,} 円"
                           for p, n in zip(combo.programmes, combo.names_ja))
        total = f"<p><b>併用した合計: {combo.total_yen:,} 円</b>（{parts}）</p>"
    else:
        total = "<p><b>使える補助金はありません。</b></p>"
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in combo.notes)
    net = "" if combo.net_cost_yen is None else f"<p>自己負担（対象経費 − 補助金）: <b>{combo.net_cost_yen:,.0f} 円</b></p>"
    payback = (f"<p>投資回収年数: 補助金なし {_payback(report.payback_years)} ／ "
               f"補助金あり {_payback(report.payback_with_subsidy_years)}</p>")
    return ("<table><tr><th>制度</th><th>判定</th><th>補助額</th><th>計算・理由</th></tr>"
            + "".join(rows) + "</table>" + total + (f"<ul>{notes}</ul>" if notes else "") + net + payback)


def subsidy_calculator(region: str = "神奈川県川崎市", equipment: str = "pv", cost_yen: float | None = None,
                       kw: float | None = None, annual_saving_yen: float | None = None, **company):
    """The subsidy calculator widget of notebook 06 (inert while nbgrader grades).

    ``company`` may set ``sme``, ``crude_oil_kl``, ``vehicles`` and ``kawasaki_certified``.
    """
    if grading():
        return inert("補助金かんたん計算")
    allowed = {"sme", "crude_oil_kl", "vehicles", "kawasaki_certified"}
    unknown = sorted(set(company) - allowed)
    if unknown:
        raise CnkitError(f"引数 {unknown} は使えません。会社の情報で使えるもの: {'、'.join(sorted(allowed))}")
    return SubsidyCalculator(region, equipment, cost_yen, kw, annual_saving_yen, **company)
