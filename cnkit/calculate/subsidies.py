"""Subsidy rules as data: eligibility with Japanese reasons, amounts, and which programmes stack.

Part of the *calculate* layer (pure functions; no matplotlib, no ipywidgets). The rules live in
``datasets/subsidies/<programme>.yml``, one file per programme, each with its source seed, fiscal
year, conditions, menus (rate, cap, per-kW amounts, add-ons, floor) and stacking rules. The
equipment and expense types are in ``datasets/subsidies/equipment_types.csv``.

The engine
----------
:func:`evaluate_subsidies` takes a :class:`Project` (what is bought: equipment type, eligible cost,
kW, battery kWh, …) and :class:`CompanyFacts` (where the site is, SME or not, crude-oil kL of the
previous year, vehicles, certifications, …). For each programme it returns whether it applies to
the equipment, whether every condition holds (a Japanese reason for each one that fails), the
amount in yen and how it was computed. :func:`best_combination` then picks the programmes that
may be combined (``stacking`` in the files) with the largest total.

How an amount is computed for one menu of a programme (all steps optional, in this order):

1. the cost the menu looks at (``cost_part``: the whole eligible cost, the cost without the
   battery, or the battery's cost), limited by a unit cost (``unit_cost_cap``: 160,000 yen/kWh);
2. ``rate`` × that cost (``rate_raised`` when its condition holds) plus ``per_kw_yen`` × kW;
3. ``cost_limit: beyond_obligation`` — not more than the cost of the part beyond a legal duty;
4. ``cap_yen`` (``cap_raised`` when its condition holds);
5. ``addons``: an add-on (per kW or a rate) with its own cap, on top of the cap when ``outside_cap``;
6. ``floor_yen``: an amount below the floor is not granted (a failed condition with its reason).

Amounts are computed with exact fractions and rounded down to whole yen. The worked examples of
the seeds (flyer and city page) are reproduced by ``tests/test_subsidies.py``.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import MISSING, dataclass, field, fields
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import CnkitError
from ..paths import data_path
from ..reference import _csv

#: corporation types the conditions refer to (company facts)
CORPORATION_TYPES = ("会社", "学校法人", "医療法人", "社会福祉法人", "その他")
#: Japanese names of the facts the conditions read (for messages)
FACT_LABELS = {
    "company.prefecture": "事業所の都道府県",
    "company.city": "事業所の市区町村",
    "company.sme": "中小企業かどうか",
    "company.corporation_type": "法人の種類",
    "company.crude_oil_kl": "前年度の原油換算エネルギー使用量（kL）",
    "company.vehicles": "自動車の保有台数",
    "company.kawasaki_certified": "川崎市 脱炭素経営アクション推進事業者の認定",
    "company.kawasaki_monozukuri_brand": "川崎ものづくりブランドの認定",
    "company.head_office_prefecture": "本店の都道府県",
    "company.kyoto_specified_business": "京都府の特定事業者かどうか",
    "company.sbt_certified": "SBT認定",
    "company.zcf_loan": "京都ゼロカーボン・フレームワークのSLL",
    "company.supply_chain_plan": "サプライチェーンの削減計画",
    "project.equipment": "設備の種類",
    "project.kw": "出力（kW）",
    "project.battery_kwh": "蓄電池の容量（kWh）",
    "project.replacement": "既存設備の更新かどうか",
    "project.kawasaki_brand": "川崎ブランド認定の空調かどうか",
    "project.self_consumption_share": "自家消費率",
    "project.fit_sale": "FITでの売電",
    "project.obligation_kw": "条例の設置義務量（kW）",
    "project.disaster_supply": "災害時の地域への電力供給",
    "project.contract_before_decision": "交付決定前の契約",
}
_OPS = {"eq", "ne", "in", "lt", "le", "gt", "ge", "is_true", "is_false", "gt_fact"}
_COST_PARTS = {"total", "without_battery", "battery"}
_REQUIRED = ("id", "name_ja", "short_ja", "region", "fiscal_year", "sources", "menus", "conditions", "stacking",
             "eligible_costs")


# ------------------------------------------------------------------------------------------
# inputs
def _num(param: str, label: str, value, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CnkitError(f"{label}（{param}）に「{value!r}」が入っています。数値を入れてください。")
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        raise CnkitError(f"{label}（{param}）が数値になっていません（{value}）。")
    if v < 0 or (positive and v == 0):
        need = "0 より大きい" if positive else "0 以上の"
        raise CnkitError(f"{label}（{param}）が {value} です。{need}数値を入れてください。")
    return v


def _flag(param: str, label: str, value) -> bool:
    if not isinstance(value, bool):
        raise CnkitError(f"{label}（{param}）は True か False で入れてください（入力: {value!r}）。")
    return value


@dataclass(frozen=True)
class Project:
    """What is bought, as the subsidy rules see it.

    - ``equipment``: a type from ``equipment_types.csv`` (``pv``, ``air_conditioner``, ``lighting``, …)
    - ``cost_yen``: the eligible cost in yen — without consumption tax, disposal of the old equipment
      and the applicant's own labour (see ``eligible_costs`` in each programme file)
    - ``kw``: output of a generator (kW); ``battery_kwh`` / ``battery_cost_yen``: a battery installed
      with PV (its cost is part of ``cost_yen``)
    - ``replacement``: replaces existing equipment (not new); ``kawasaki_brand``: an AC certified as
      低CO2川崎ブランド/川崎CNブランド (FY2022–24)
    - ``self_consumption_share`` (0–1), ``fit_sale``, ``obligation_kw`` (Kyoto ordinance duty),
      ``disaster_supply`` (the battery supplies the area in a disaster)
    - ``contract_before_decision``: the contract was signed before the grant decision
    """

    equipment: str
    cost_yen: float
    kw: float = 0.0
    battery_kwh: float = 0.0
    battery_cost_yen: float = 0.0
    replacement: bool = True
    kawasaki_brand: bool = False
    self_consumption_share: float | None = None
    fit_sale: bool = False
    obligation_kw: float = 0.0
    disaster_supply: bool = False
    contract_before_decision: bool = False
    name_ja: str = ""

    def __post_init__(self) -> None:
        types = equipment_types()
        if self.equipment not in types.index:
            shown = "、".join(f"{k}（{v}）" for k, v in types["name_ja"].items())
            raise CnkitError(f"設備の種類（equipment）に「{self.equipment}」は使えません。次のどれかにしてください: {shown}")
        cost = _num("cost_yen", "対象経費（円）", self.cost_yen)
        kw = _num("kw", "出力（kW）", self.kw)
        _num("battery_kwh", "蓄電池の容量（kWh）", self.battery_kwh)
        battery_cost = _num("battery_cost_yen", "蓄電池の費用（円）", self.battery_cost_yen)
        _num("obligation_kw", "条例の設置義務量（kW）", self.obligation_kw)
        if battery_cost > cost:
            raise CnkitError(f"蓄電池の費用（battery_cost_yen = {battery_cost:,.0f} 円）が対象経費の合計"
                             f"（cost_yen = {cost:,.0f} 円）を超えています。蓄電池の費用は合計の内数で入れてください。")
        if types.loc[self.equipment, "size"] == "kw" and kw == 0:
            raise CnkitError(f"{types.loc[self.equipment, 'name_ja']}の出力（kw）を kW で入れてください（入力: {self.kw}）。")
        if self.battery_kwh and self.equipment != "pv":
            raise CnkitError("蓄電池（battery_kwh）は太陽光発電（equipment = \"pv\"）と一緒のときだけ入れられます。")
        if self.self_consumption_share is not None:
            share = _num("self_consumption_share", "自家消費率", self.self_consumption_share)
            if 1 < share <= 100:
                raise CnkitError(f"自家消費率（self_consumption_share）が {share:g} です。百分率ではなく 0〜1 の割合で入れてください（80% → 0.8）。")
            if share > 1:
                raise CnkitError(f"自家消費率（self_consumption_share）が {share:g} です。0〜1 の割合で入れてください。")
        for name in ("replacement", "kawasaki_brand", "fit_sale", "disaster_supply", "contract_before_decision"):
            _flag(name, FACT_LABELS[f"project.{name}"], getattr(self, name))


@dataclass(frozen=True)
class CompanyFacts:
    """The facts about the applicant that the conditions read.

    ``prefecture``/``city``: where the site with the equipment is; ``head_office_prefecture``
    defaults to ``prefecture``. ``crude_oil_kl``: crude-oil equivalent of the **previous** fiscal
    year (kL); ``vehicles``: vehicles owned on 31 March. ``kawasaki_certified``: certified as
    川崎市 脱炭素経営アクション推進事業者, or will be by the completion report. ``None`` = not known
    (a condition on it then fails with a reason asking for it).
    """

    prefecture: str | None = None
    city: str | None = None
    sme: bool | None = None
    corporation_type: str = "会社"
    crude_oil_kl: float | None = None
    vehicles: int | None = None
    kawasaki_certified: bool = False
    kawasaki_monozukuri_brand: bool = False
    head_office_prefecture: str | None = None
    kyoto_specified_business: bool = False
    sbt_certified: bool = False
    zcf_loan: bool = False
    supply_chain_plan: bool = False

    def __post_init__(self) -> None:
        if self.corporation_type not in CORPORATION_TYPES:
            raise CnkitError(f"法人の種類（corporation_type）に「{self.corporation_type}」は使えません。"
                             f"{'、'.join(CORPORATION_TYPES)} のどれかにしてください。")
        if self.crude_oil_kl is not None:
            _num("crude_oil_kl", "前年度の原油換算エネルギー使用量（kL）", self.crude_oil_kl)
        if self.vehicles is not None:
            v = _num("vehicles", "自動車の保有台数", self.vehicles)
            if v != int(v):
                raise CnkitError(f"自動車の保有台数（vehicles）は整数で入れてください（入力: {self.vehicles}）。")
        if self.sme is not None:
            _flag("sme", "中小企業かどうか", self.sme)
        for name in ("kawasaki_certified", "kawasaki_monozukuri_brand", "kyoto_specified_business", "sbt_certified",
                     "zcf_loan", "supply_chain_plan"):
            _flag(name, FACT_LABELS[f"company.{name}"], getattr(self, name))
        if self.head_office_prefecture is None:
            object.__setattr__(self, "head_office_prefecture", self.prefecture)


def _as(cls, value, what: str):
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise CnkitError(f"{what}に使えない項目 {unknown} があります。使える項目: {'、'.join(sorted(names))}")
        try:
            return cls(**value)
        except TypeError:
            missing = [f.name for f in fields(cls)
                       if f.default is MISSING and f.default_factory is MISSING and f.name not in value]
            raise CnkitError(f"{what}に必要な項目 {missing} がありません。") from None
    raise CnkitError(f"{what}は {cls.__name__}(...) か辞書で渡してください（入力: {type(value).__name__}）。")


def company_facts(company, crude_oil_kl: float | None = None, **overrides) -> CompanyFacts:
    """The facts of a case company (``load_company(...)`` or its id) from its profile.

    ``crude_oil_kl`` defaults to the crude-oil equivalent of the company's base fiscal year from
    its bills (the "previous year" of an application in the following year). Vehicles are all the
    vehicles in the profile. ``overrides`` set any other fact (e.g. ``kawasaki_certified=True``
    when the company will be certified by the completion report).
    """
    from ..reference import load_company

    if isinstance(company, str):
        company = load_company(company)
    p = company.profile
    loc = p.get("location", {})
    head = p.get("head_office", {}) or {}
    vehicles = sum(int(v.get("count", 0)) for v in (p.get("vehicles") or {}).values())
    if crude_oil_kl is None:
        crude_oil_kl = _base_year_crude_kl(company)
    certs = set(p.get("certifications") or [])
    facts = dict(prefecture=loc.get("prefecture"), city=loc.get("city"), sme=bool(p.get("sme")),
                 crude_oil_kl=crude_oil_kl, vehicles=vehicles,
                 head_office_prefecture=head.get("prefecture", loc.get("prefecture")),
                 kawasaki_certified="kawasaki_action" in certs, sbt_certified="sbt" in certs)
    facts.update(overrides)
    return _as(CompanyFacts, facts, "会社の情報")


_CRUDE_KL_CACHE: dict[tuple, float] = {}


def _base_year_crude_kl(company) -> float:
    """Crude-oil kL of the company's base fiscal year from its bills (kept while the bill files are unchanged)."""
    from .emissions import emissions

    fy = int(company.profile["base_fiscal_year"])
    files = tuple((str(f), f.stat().st_mtime_ns) for f in company.bill_files())
    key = (str(company.folder), fy, tuple(sorted(company.suppliers.items())), files)
    if key not in _CRUDE_KL_CACHE:
        em = emissions(company.bills().table, company.suppliers, factor_fy=fy)
        _CRUDE_KL_CACHE[key] = float(em.loc[em["fiscal_year"] == fy, "crude_kl"].sum())
    return _CRUDE_KL_CACHE[key]


# ------------------------------------------------------------------------------------------
# the rule files
def equipment_types() -> pd.DataFrame:
    """Equipment and expense types the rules refer to (``subsidies/equipment_types.csv``)."""
    return _csv("subsidies", "equipment_types.csv").copy().set_index("equipment", drop=False)


def _fraction(text, where: str) -> Fraction:
    try:
        f = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        raise CnkitError(f"{where}: 補助率「{text}」が分数（\"1/3\" など）として読めません。") from None
    if not 0 < f <= 1:
        raise CnkitError(f"{where}: 補助率「{text}」は 0 より大きく 1 以下にしてください。")
    return f


def _check_condition(c: dict, where: str) -> None:
    if "any_of" in c or "all_of" in c:
        for sub in c.get("any_of", []) + c.get("all_of", []):
            _check_condition(sub, where)
        return
    if c.get("fact") not in FACT_LABELS:
        raise CnkitError(f"{where}: 条件の fact「{c.get('fact')}」は使えません。使えるもの: {'、'.join(FACT_LABELS)}")
    if c.get("op") not in _OPS:
        raise CnkitError(f"{where}: 条件の op「{c.get('op')}」は使えません。使えるもの: {'、'.join(sorted(_OPS))}")
    if c["op"] == "gt_fact" and c.get("value") not in FACT_LABELS:
        raise CnkitError(f"{where}: gt_fact の value「{c.get('value')}」は fact の名前にしてください。")


def _check_programme(p: dict, name: str) -> dict:
    missing = [k for k in _REQUIRED if k not in p]
    if missing:
        raise CnkitError(f"subsidies/{name}: 項目 {missing} がありません。")
    if p["id"] + ".yml" != name:
        raise CnkitError(f"subsidies/{name}: id「{p['id']}」はファイル名と同じにしてください。")
    if not p["sources"] or any(not s.get("seed") or not s.get("section") for s in p["sources"]):
        raise CnkitError(f"subsidies/{name}: sources に出典（seed と section）がありません。")
    kinds = set(equipment_types().index)
    for c in p["conditions"]:
        for key in ("id", "text_ja", "fail_ja", "confirmed", "basis_ja"):
            if key not in c:
                raise CnkitError(f"subsidies/{name}: 条件 {c.get('id')} に {key} がありません。")
        _check_condition(c, f"subsidies/{name} 条件 {c['id']}")
    for m in p["menus"]:
        where = f"subsidies/{name} 区分 {m.get('id')}"
        if not m.get("equipment") or set(m["equipment"]) - kinds:
            raise CnkitError(f"{where}: 対象設備 {sorted(set(m.get('equipment') or []) - kinds)} が equipment_types.csv にありません。")
        if m.get("cost_part", "total") not in _COST_PARTS:
            raise CnkitError(f"{where}: cost_part「{m.get('cost_part')}」は {sorted(_COST_PARTS)} のどれかにしてください。")
        if "rate" not in m and "per_kw_yen" not in m:
            raise CnkitError(f"{where}: 補助率（rate）か1kWあたりの額（per_kw_yen）が必要です。")
        if "rate" in m:
            m["rate"] = _fraction(m["rate"], where)
        if "rate_raised" in m:
            m["rate_raised"]["rate"] = _fraction(m["rate_raised"]["rate"], where)
            _check_condition(m["rate_raised"]["when"], where)
        if "cap_raised" in m:
            _check_condition(m["cap_raised"]["when"], where)
        if "applies_if" in m:
            _check_condition(m["applies_if"], where)
        for c in m.get("conditions", []):
            _check_condition(c, f"{where} 条件 {c.get('id')}")
        for a in m.get("addons", []):
            if "rate" in a:
                a["rate"] = _fraction(a["rate"], f"{where} 加算 {a.get('id')}")
            _check_condition(a["when"], f"{where} 加算 {a.get('id')}")
    st = p["stacking"]
    if not isinstance(st.get("stacks_with"), list) or not isinstance(st.get("exclusive"), bool) or not st.get("basis_ja"):
        raise CnkitError(f"subsidies/{name}: stacking に stacks_with（一覧）・exclusive（true/false）・basis_ja が必要です。")
    return p


@lru_cache(maxsize=None)
def _load() -> dict[str, dict]:
    import yaml

    folder = data_path("subsidies")
    out = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            with open(path, encoding="utf-8") as f:
                rules = yaml.safe_load(f)
        except yaml.YAMLError as exc:
            raise CnkitError(f"subsidies/{path.name} を YAML として読めません（{exc}）。") from None
        if not isinstance(rules, dict):
            raise CnkitError(f"subsidies/{path.name} の中身が「項目: 値」の形ではありません。")
        out[path.stem] = _check_programme(rules, path.name)
    for pid, p in out.items():
        for other in p["stacking"]["stacks_with"]:
            if other not in out:
                raise CnkitError(f"subsidies/{pid}.yml: 併用できる制度「{other}」のファイルがありません。")
            if pid not in out[other]["stacking"]["stacks_with"]:
                raise CnkitError(f"subsidies/{pid}.yml は {other} と併用できるとしていますが、{other}.yml にはその記載がありません。"
                                 "併用のルールは両方のファイルに書いてください。")
    return out


def programmes() -> dict[str, dict]:
    """All programme rules, ``id → rules`` (parsed YAML; rates are exact fractions). Do not modify."""
    return _load()


def programme(programme_id: str) -> dict:
    """The rules of one programme, e.g. ``programme("kawasaki_eco")``."""
    progs = _load()
    if programme_id not in progs:
        raise CnkitError(f"補助金「{programme_id}」はありません。あるもの: {'、'.join(progs)}")
    return progs[programme_id]


def _region_ja(p: dict) -> str:
    r = p["region"]
    return f"{r['prefecture']}{r.get('city') or ''}"


def _yen(v) -> str:
    return "なし" if v is None else f"{v:,.0f}円"


def programme_table() -> pd.DataFrame:
    """One row per programme: name, region, fiscal year, menus (rate / cap), stacking and source."""
    rows = []
    for pid, p in _load().items():
        menus = []
        for m in p["menus"]:
            parts = []
            if "rate" in m:
                parts.append(f"{m['rate']}")
            if "rate_raised" in m:
                parts.append(f"条件により{m['rate_raised']['rate']}")
            if "per_kw_yen" in m:
                parts.append(f"1kWあたり{m['per_kw_yen']:,}円")
            parts.append(f"上限{_yen(m.get('cap_yen'))}")
            if "floor_yen" in m:
                parts.append(f"下限{_yen(m['floor_yen'])}")
            for a in m.get("addons", []):
                add = f"1kWあたり{a['per_kw_yen']:,}円" if "per_kw_yen" in a else f"経費の{a['rate']}"
                parts.append(f"{a['name_ja']} {add}（上限{_yen(a.get('cap_yen'))}）")
            menus.append(f"{m['name_ja']}: {'、'.join(parts)}")
        st = p["stacking"]
        stack = "他の補助金と併用できない" if st["exclusive"] else (
            "、".join(_load()[o]["short_ja"] for o in st["stacks_with"]) or "（併用の定めなし）")
        rows.append({"programme": pid, "name_ja": p["name_ja"], "region_ja": _region_ja(p),
                     "fiscal_year": p["fiscal_year"], "menus_ja": " ／ ".join(menus), "stacks_with_ja": stack,
                     "source": "; ".join(f"{s['seed']}（{s['section']}）" for s in p["sources"])})
    return pd.DataFrame(rows).set_index("programme", drop=False)


def menu_table(programme_id: str) -> pd.DataFrame:
    """The menus of one programme: ``rate`` (a float; NaN if none), ``cap_yen``, ``per_kw_yen``, ``floor_yen``, equipment."""
    p = programme(programme_id)
    names = equipment_types()["name_ja"]
    rows = []
    for m in p["menus"]:
        rows.append({"menu": m["id"], "name_ja": m["name_ja"], "category": m["category"],
                     "equipment_ja": "、".join(names[e] for e in m["equipment"]),
                     "rate": float(m["rate"]) if "rate" in m else float("nan"),
                     "rate_text": str(m["rate"]) if "rate" in m else "",
                     "per_kw_yen": float(m.get("per_kw_yen", float("nan"))),
                     "cap_yen": float("nan") if m.get("cap_yen") is None else float(m["cap_yen"]),
                     "floor_yen": float(m.get("floor_yen", float("nan")))})
    return pd.DataFrame(rows).set_index("menu", drop=False)


def addon_table(programme_id: str) -> pd.DataFrame:
    """The add-ons of one programme's menus: ``per_kw_yen`` or ``rate``, ``cap_yen``, ``outside_cap``."""
    p = programme(programme_id)
    rows = []
    for m in p["menus"]:
        for a in m.get("addons", []):
            rows.append({"addon": a["id"], "menu": m["id"], "name_ja": a["name_ja"],
                         "per_kw_yen": float(a.get("per_kw_yen", float("nan"))),
                         "rate": float(a["rate"]) if "rate" in a else float("nan"),
                         "cap_yen": float("nan") if a.get("cap_yen") is None else float(a["cap_yen"]),
                         "outside_cap": bool(a.get("outside_cap", False))})
    return pd.DataFrame(rows, columns=["addon", "menu", "name_ja", "per_kw_yen", "rate", "cap_yen",
                                       "outside_cap"]).set_index("addon", drop=False)


def conditions_table(programme_id: str) -> pd.DataFrame:
    """The conditions of one programme (and of its menus) in Japanese, with their basis and whether the seed states them."""
    p = programme(programme_id)
    rows = [{"menu": "（制度全体）", "condition": c["id"], "text_ja": c["text_ja"], "confirmed": c["confirmed"],
             "basis_ja": c["basis_ja"]} for c in p["conditions"]]
    for m in p["menus"]:
        rows += [{"menu": m["name_ja"], "condition": c["id"], "text_ja": c["text_ja"], "confirmed": c["confirmed"],
                  "basis_ja": c["basis_ja"]} for c in m.get("conditions", [])]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# conditions
def _fact(name: str, project: Project, company: CompanyFacts):
    scope, attr = name.split(".", 1)
    return getattr(project if scope == "project" else company, attr)


def _holds(c: dict, project: Project, company: CompanyFacts) -> bool | None:
    """True/False, or None when a fact it needs is unknown."""
    if "any_of" in c:
        results = [_holds(s, project, company) for s in c["any_of"]]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if "all_of" in c:
        results = [_holds(s, project, company) for s in c["all_of"]]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    actual = _fact(c["fact"], project, company)
    if actual is None:
        return None
    op, value = c["op"], c.get("value")
    if op == "gt_fact":
        value = _fact(value, project, company)
        return None if value is None else bool(actual > value)
    # bool(): numbers read from a CSV are numpy scalars, whose comparisons give numpy booleans
    flag = bool(actual) if isinstance(actual, (bool, np.bool_)) else None
    return bool({"eq": lambda: actual == value, "ne": lambda: actual != value, "in": lambda: actual in value,
                 "lt": lambda: actual < value, "le": lambda: actual <= value, "gt": lambda: actual > value,
                 "ge": lambda: actual >= value, "is_true": lambda: flag is True,
                 "is_false": lambda: flag is False}[op]())


def _facts_of(c: dict) -> list[str]:
    if "any_of" in c or "all_of" in c:
        return [f for s in c.get("any_of", []) + c.get("all_of", []) for f in _facts_of(s)]
    return [c["fact"]]


def _reason(c: dict, project: Project, company: CompanyFacts) -> str | None:
    """None when the condition holds, else the Japanese reason."""
    result = _holds(c, project, company)
    if result is True:
        return None
    if result is None:
        unknown = [FACT_LABELS[f] for f in _facts_of(c) if _fact(f, project, company) is None]
        return f"「{c['text_ja']}」を確かめられません（{'・'.join(unknown)}が未入力です）。"
    fact = c.get("fact") or _facts_of(c)[0]
    actual = _fact(fact, project, company)
    limit = c.get("value")
    if c.get("op") == "gt_fact":
        limit = _fact(limit, project, company)
    try:
        text = c["fail_ja"].format(actual=actual, limit=limit)
    except (ValueError, TypeError, KeyError, IndexError):
        text = c["fail_ja"]
    if not c["confirmed"]:
        text += "（この条件は元の資料に明記がないため、制度の要綱で確認してください）"
    return text


# ------------------------------------------------------------------------------------------
# amounts
def _floor_yen(x: Fraction) -> int:
    return math.floor(x)


def _fmt_rate(r: Fraction) -> str:
    return f"{r.numerator}/{r.denominator}"


def _menu_amount(m: dict, project: Project, company: CompanyFacts) -> tuple[int, list[str], list[str]]:
    """(amount in yen, breakdown lines, reasons when the floor is not reached)."""
    part = m.get("cost_part", "total")
    cost = Fraction(project.cost_yen)
    if part == "without_battery":
        cost -= Fraction(project.battery_cost_yen)
    elif part == "battery":
        cost = Fraction(project.battery_cost_yen)
    lines = []
    basis = cost
    if "unit_cost_cap" in m:
        u = m["unit_cost_cap"]
        qty = Fraction(getattr(project, u["per"]))
        ceiling = qty * u["yen"]
        if ceiling < basis:
            lines.append(f"計算の対象は {float(qty):g} kWh × {u['yen']:,}円 = {_floor_yen(ceiling):,}円まで"
                         f"（費用 {_floor_yen(cost):,}円）")
            basis = ceiling
    amount = Fraction(0)
    terms = []
    rate = m.get("rate")
    if "rate_raised" in m and _holds(m["rate_raised"]["when"], project, company) is True:
        rate = m["rate_raised"]["rate"]
        lines.append(f"補助率の引き上げ: {m['rate_raised']['text_ja']}")
    if rate is not None:
        amount += rate * basis
        terms.append(f"{_floor_yen(basis):,}円 × {_fmt_rate(rate)} = {_floor_yen(rate * basis):,}円")
    if "per_kw_yen" in m:
        kw_amount = Fraction(project.kw) * m["per_kw_yen"]
        amount += kw_amount
        terms.append(f"{project.kw:g} kW × {m['per_kw_yen']:,}円 = {_floor_yen(kw_amount):,}円")
    if m.get("cost_limit") == "beyond_obligation" and project.kw > 0:
        beyond = cost * (Fraction(project.kw) - Fraction(project.obligation_kw)) / Fraction(project.kw)
        if beyond < amount:
            terms.append(f"義務量を超える分の費用 {_floor_yen(beyond):,}円 が上限")
            amount = beyond
    cap = m.get("cap_yen")
    if "cap_raised" in m and _holds(m["cap_raised"]["when"], project, company) is True:
        cap = m["cap_raised"]["cap_yen"]
        lines.append(f"上限の引き上げ: {m['cap_raised']['text_ja']}")
    if cap is not None and amount > cap:
        terms.append(f"上限 {cap:,}円")
        amount = Fraction(cap)
    head = "、".join(terms)
    if len(terms) > 1 or not head.endswith(f"= {_floor_yen(amount):,}円"):
        head += f" → {_floor_yen(amount):,}円"
    if m.get("cap_unknown"):
        head += "（上限額は元の資料に記載がないため、上限なしで計算。要綱で確認）"
    lines.insert(0, f"{m['name_ja']}: {head}")
    for a in m.get("addons", []):
        if _holds(a["when"], project, company) is not True:
            continue
        if "per_kw_yen" in a:
            add = Fraction(project.kw) * a["per_kw_yen"]
            how = f"{project.kw:g} kW × {a['per_kw_yen']:,}円 = {_floor_yen(add):,}円"
        else:
            add = a["rate"] * cost
            how = f"{_floor_yen(cost):,}円 × {_fmt_rate(a['rate'])} = {_floor_yen(add):,}円"
        if a.get("cap_yen") is not None and add > a["cap_yen"]:
            add = Fraction(a["cap_yen"])
            how += f"、上限 {a['cap_yen']:,}円 → {_floor_yen(add):,}円"
        if a.get("outside_cap"):
            amount += add
            lines.append(f"＋ {a['name_ja']}: {how}（基本額の上限とは別枠）")
        else:
            amount = min(amount + add, Fraction(cap)) if cap is not None else amount + add
            lines.append(f"＋ {a['name_ja']}: {how}（基本額と合わせて上限 {_yen(cap)}）")
    reasons = []
    if "floor_yen" in m and amount < m["floor_yen"]:
        need = ""
        if rate is not None and "per_kw_yen" not in m:
            need = f"。補助率 {_fmt_rate(rate)} では対象経費が {_floor_yen(Fraction(m['floor_yen']) / rate):,}円以上必要です"
        reasons.append(f"補助額 {_floor_yen(amount):,}円が下限 {m['floor_yen']:,}円に届きません{need}。")
    return _floor_yen(amount), lines, reasons


# ------------------------------------------------------------------------------------------
# evaluation
RESULT_COLUMNS = ["programme", "name_ja", "region_ja", "fiscal_year", "applicable", "eligible", "amount_yen",
                  "potential_yen", "reasons", "breakdown", "stacks_with", "exclusive", "source"]


def _evaluate_one(pid: str, p: dict, project: Project, company: CompanyFacts) -> dict:
    names = equipment_types()["name_ja"]
    menus = [m for m in p["menus"] if project.equipment in m["equipment"]
             and ("applies_if" not in m or _holds(m["applies_if"], project, company) is True)]
    row = {"programme": pid, "name_ja": p["name_ja"], "region_ja": _region_ja(p), "fiscal_year": p["fiscal_year"],
           "stacks_with": list(p["stacking"]["stacks_with"]), "exclusive": p["stacking"]["exclusive"],
           "source": "; ".join(s["seed"] for s in p["sources"])}
    if not menus:
        covered = sorted({e for m in p["menus"] for e in m["equipment"]}, key=list(names.index).index)
        reason = (f"{names[project.equipment]}はこの制度の対象ではありません"
                  f"（対象: {'、'.join(names[e] for e in covered)}）。")
        return {**row, "applicable": False, "eligible": False, "amount_yen": 0, "potential_yen": float("nan"),
                "reasons": [reason], "breakdown": ""}
    reasons = [r for c in p["conditions"] if (r := _reason(c, project, company))]
    total, lines = 0, []
    for m in menus:
        reasons += [r for c in m.get("conditions", []) if (r := _reason(c, project, company))]
        amount, menu_lines, floor_reasons = _menu_amount(m, project, company)
        reasons += floor_reasons
        if not floor_reasons:
            total += amount
        lines += menu_lines
    eligible = not reasons
    return {**row, "applicable": True, "eligible": eligible, "amount_yen": total if eligible else 0,
            "potential_yen": float(total), "reasons": reasons, "breakdown": "\n".join(lines)}


def evaluate_subsidies(project, company) -> pd.DataFrame:
    """Every programme in ``datasets/subsidies/`` for one project and company.

    ``project``: a :class:`Project` or a dict of its fields; ``company``: :class:`CompanyFacts`
    or a dict (see :func:`company_facts` for a case company). One row per programme (index =
    programme id): ``applicable`` (the equipment is covered), ``eligible`` (covered and every
    condition holds), ``amount_yen`` (0 unless eligible), ``potential_yen`` (the amount if every
    condition held; NaN when not covered), ``reasons`` (a Japanese reason for each failed
    condition), ``breakdown`` (how the amount was computed), ``stacks_with``, ``exclusive``,
    ``source``. The project's cost is kept in ``attrs["cost_yen"]`` for :func:`best_combination`.
    """
    project = _as(Project, project, "設備の情報")
    company = _as(CompanyFacts, company, "会社の情報")
    rows = [_evaluate_one(pid, p, project, company) for pid, p in _load().items()]
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS).set_index("programme", drop=False)
    out.attrs["cost_yen"] = float(project.cost_yen)
    return out


def _compatible(a: str, b: str) -> bool:
    pa, pb = _load()[a]["stacking"], _load()[b]["stacking"]
    if pa["exclusive"] or pb["exclusive"]:
        return False
    return b in pa["stacks_with"] and a in pb["stacks_with"]


def can_stack(a: str, b: str) -> bool:
    """Whether programmes ``a`` and ``b`` may be combined for the same equipment (both files must say so)."""
    programme(a), programme(b)
    return a != b and _compatible(a, b)


@dataclass
class Combination:
    """The programmes chosen together, their total, and the cost left to the company."""

    programmes: list[str]
    names_ja: list[str]
    amounts_yen: dict[str, int]
    total_yen: int
    cost_yen: float | None
    net_cost_yen: float | None
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.programmes:
            head = "使える補助金はありません。"
        else:
            parts = " ＋ ".join(f"{n} {self.amounts_yen[p]:,}円" for p, n in zip(self.programmes, self.names_ja))
            head = f"{parts} ＝ 合計 {self.total_yen:,}円"
        if self.net_cost_yen is not None:
            head += f"（自己負担 {self.net_cost_yen:,.0f}円）"
        return "\n".join([head, *[f"・{n}" for n in self.notes]])


def best_combination(results: pd.DataFrame, cost_yen: float | None = None) -> Combination:
    """The combination of eligible programmes with the largest total that the stacking rules allow.

    Programmes are combined only when both files list each other in ``stacks_with`` and neither
    is ``exclusive`` (e.g. がんばる中小企業応援補助金 combines with nothing). The total is not more
    than the eligible cost × ``subsidy_total_max_share_of_cost`` (economics.csv; a course
    assumption). ``cost_yen`` defaults to the cost kept by :func:`evaluate_subsidies`.
    """
    if not isinstance(results, pd.DataFrame) or not {"eligible", "amount_yen", "programme"} <= set(results.columns):
        raise CnkitError("evaluate_subsidies(...) の結果（表）を渡してください。")
    if cost_yen is None:
        cost_yen = results.attrs.get("cost_yen")
    if cost_yen is not None:
        cost_yen = _num("cost_yen", "対象経費（円）", cost_yen)
    ok = results[results["eligible"] & (results["amount_yen"] > 0)]
    ids = list(ok["programme"])
    best, best_key = (), None
    for n in range(1, len(ids) + 1):
        for combo in itertools.combinations(ids, n):
            if all(_compatible(a, b) for a, b in itertools.combinations(combo, 2)):
                total = sum(int(ok.loc[c, "amount_yen"]) for c in combo)
                key = (total, -len(combo))
                if best_key is None or key > best_key:
                    best, best_key = combo, key
    amounts = {c: int(ok.loc[c, "amount_yen"]) for c in best}
    total = sum(amounts.values())
    notes = [f"{ok.loc[c, 'name_ja']}の上限額は元の資料に記載がないため、上限なしで計算しています（要綱で確認）。"
             for c in best if any(m.get("cap_unknown") for m in _load()[c]["menus"])]
    for pid in ids:
        if pid in best:
            continue
        name = ok.loc[pid, "name_ja"]
        if _load()[pid]["stacking"]["exclusive"]:
            notes.append(f"{name}は他の補助金と併用できないため、合計が大きくなる組み合わせを選びました。")
        else:
            blockers = [ok.loc[b, "name_ja"] for b in best if not _compatible(pid, b)]
            notes.append(f"{name}は {'、'.join(blockers)} と併用できないため、合計が大きくなる組み合わせを選びました。")
    if cost_yen is not None:
        from .economics import economics_value

        limit = math.floor(cost_yen * economics_value("subsidy_total_max_share_of_cost"))
        if total > limit:
            notes.append(f"補助金の合計 {total:,}円 が対象経費 {cost_yen:,.0f}円 を超えるため、{limit:,}円 までとしました（講座の仮定）。")
            total = limit
    names = [ok.loc[c, "name_ja"] for c in best]
    net = None if cost_yen is None else cost_yen - total
    return Combination(list(best), names, amounts, total, cost_yen, net, notes)


def stacking_table() -> pd.DataFrame:
    """Programme × programme: ○ when the two may be combined, － when not (diagonal blank)."""
    ids = list(_load())
    short = {i: _load()[i]["short_ja"] for i in ids}
    data = {short[b]: ["" if a == b else ("○" if _compatible(a, b) else "－") for a in ids] for b in ids}
    return pd.DataFrame(data, index=[short[a] for a in ids])


def subsidy_table(projects, company) -> pd.DataFrame:
    """One row per project (e.g. per measure): the best combination, its total and the net cost.

    ``projects`` maps a name (a measure id) to a :class:`Project` or a dict. Columns:
    ``equipment_ja``, ``cost_yen``, ``programmes_ja`` (the programmes combined, or なし),
    ``subsidy_yen``, ``net_cost_yen``, ``note_ja`` (why a programme is left out, or why none applies).
    """
    if not isinstance(projects, dict) or not projects:
        raise CnkitError("projects は「名前 → Project(...)」の辞書で渡してください（1件以上）。")
    company = _as(CompanyFacts, company, "会社の情報")
    names = equipment_types()["name_ja"]
    rows = []
    for key, proj in projects.items():
        proj = _as(Project, proj, f"「{key}」の設備の情報")
        res = evaluate_subsidies(proj, company)
        combo = best_combination(res, proj.cost_yen)
        if combo.programmes:
            note = " ".join(combo.notes)
        else:
            covered = res[res["applicable"]]
            note = (" ".join(r for rs in covered["reasons"] for r in rs) if not covered.empty
                    else "この講座のデータの補助金には、この設備の対象がありません。")
        rows.append({"name": key, "equipment_ja": names[proj.equipment], "cost_yen": float(proj.cost_yen),
                     "programmes_ja": "、".join(combo.names_ja) or "なし", "subsidy_yen": combo.total_yen,
                     "net_cost_yen": combo.net_cost_yen, "note_ja": note})
    return pd.DataFrame(rows).set_index("name")


@dataclass
class SubsidyReport:
    """What the subsidy calculator shows: every programme, the best combination, and payback."""

    results: pd.DataFrame
    combination: Combination
    payback_years: float | None
    payback_with_subsidy_years: float | None


def subsidy_report(project, company, annual_saving_yen: float | None = None,
                   investment_yen: float | None = None) -> SubsidyReport:
    """:func:`evaluate_subsidies` + :func:`best_combination` + simple payback without and with the subsidy.

    The investment for payback defaults to the project's eligible cost; payback is ``None`` when no
    annual saving is given.
    """
    from .economics import simple_payback

    project = _as(Project, project, "設備の情報")
    results = evaluate_subsidies(project, company)
    combo = best_combination(results, project.cost_yen)
    if annual_saving_yen is None:
        return SubsidyReport(results, combo, None, None)
    investment = project.cost_yen if investment_yen is None else investment_yen
    subsidy = min(combo.total_yen, investment)
    return SubsidyReport(results, combo, simple_payback(investment, annual_saving_yen),
                         simple_payback(investment, annual_saving_yen, subsidy))
