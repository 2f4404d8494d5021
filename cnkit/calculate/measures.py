"""Reduction measures: what a measure changes, and its effect in kWh, fuel, GJ, yen and t-CO2.

Part of the *calculate* layer (pure functions on pandas objects; no matplotlib, no ipywidgets).

A :class:`Measure` states **what changes per year**, in physical terms:

- ``changes``: energy code → change of the yearly amount in the energy's base unit
  (kWh, 千m³, kL, t; negative = less). A saving changes one energy; a shift such as
  fuel → electricity (heat pump, EV) lowers a fuel and raises electricity.
- ``switched_kwh`` / ``switched_factor_t_per_kwh``: purchased kWh that move to another
  electricity factor (a renewable menu). The energy is unchanged; the factor is lower.
- ``offset_kwh`` (non-fossil certificates) and ``offset_t_co2`` (J-credits): certificates
  that change the **reported** (net) t-CO2, not the energy and not the emissions themselves.
- ``investment_yen``, ``lifetime_years``, ``running_cost_yen_per_year`` (other than energy:
  maintenance, a menu premium, certificate purchases).
- ``calculator`` and ``inputs``: which calculator built it, with its physical inputs after defaults
  (e.g. PV ``{"kw": 150, "yield_kwh_per_kw": 1209, "self_consumption_share": 0.8}``).

:func:`evaluate` turns a measure into one row of signed yearly changes with the factors of a
fiscal year (``factor_table``) and the prices in ``prices.csv``; :func:`evaluate_all` does it for
a list. One calculator per measure type builds a Measure from physical inputs, with the rules
of thumb of ``datasets/factors/rules_of_thumb.csv`` as defaults (each row has its source;
``is_assumption`` marks the course's own assumptions). :func:`company_measures` reads a case
company's candidate measures from ``datasets/companies/<id>/measures.csv``.

Conventions of the result of :func:`evaluate` (all per year, negative = decrease):

==========================  ===================================================================
``delta_kwh``               purchased electricity (kWh)
``delta_<fuel>``            fuel in its base unit: ``delta_city_gas`` (千m³), ``delta_a_heavy_oil``,
                            ``delta_kerosene``, ``delta_gasoline``, ``delta_diesel`` (kL), ``delta_lpg`` (t)
``delta_gj``                energy (GJ, 省エネ法: electricity 8.64 GJ/MWh)
``delta_crude_kl``          crude-oil equivalent (kL)
``delta_energy_cost_yen``   energy bills (yen, prices.csv)
``running_cost_yen``        other yearly costs of the measure (yen)
``delta_cost_yen``          ``delta_energy_cost_yen + running_cost_yen``
``delta_co2_scope1_t``      Scope 1 (t-CO2)
``delta_co2_scope2_t``      Scope 2 (t-CO2) with the chosen electricity factor; a renewable menu
                            lowers it through its (adjusted) menu factor (market-based)
``delta_co2_t``             Scope 1 + Scope 2: the emissions themselves
``delta_co2_offset_t``      certificates and credits (t-CO2, ≤ 0)
``delta_co2_net_t``         ``delta_co2_t + delta_co2_offset_t``: what is reported after offsets
==========================  ===================================================================
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from .. import normalize as nz
from ..errors import CnkitError
from ..reference import _csv, energies, prices
from .emissions import factor_table

#: the categories a measure can have: the six energy-saving points, then factor and offsets
SIX_POINTS = ("ヤメル", "トメル", "サゲル", "ナオス", "ヒロウ", "カエル")
CATEGORIES = SIX_POINTS + ("電化", "再エネ", "排出係数の低減", "オフセット")
#: what each category means (Japanese, for tables and widgets)
CATEGORY_MEANINGS = {
    "ヤメル": "必要のない使い方そのものをやめる",
    "トメル": "使っていないときは止める（待機・空運転）",
    "サゲル": "設定（圧力・温度・回転数・照度）を必要なところまで下げる",
    "ナオス": "漏れ・汚れ・故障によるロスを直す",
    "ヒロウ": "捨てている熱を拾って使う",
    "カエル": "効率の高い設備に変える",
    "電化": "燃料を使う設備を電気で動く設備に変える",
    "再エネ": "再生可能エネルギーを自社でつくって使う",
    "排出係数の低減": "同じエネルギーを、CO2の少ない調達に切り替える",
    "オフセット": "証書・クレジットで、減らしきれない分を埋め合わせる",
}
#: the base fiscal year of the course (A社)
DEFAULT_FY = 2025

#: plausibility limits for calculator inputs (sanity checks, not facts): name → (upper, unit)
_UPPER = {
    "kwh": (100_000_000, "kWh/年"),      # 100 GWh: far above any SME
    "kw": (100_000, "kW"),
    "hours": (8760, "時間/年"),
    "fuel_kl": (100_000, "kL/年"),
    "t_co2": (1_000_000, "t-CO2/年"),
    "fixture_hours": (100_000_000, "台・時間/年"),
    "watts": (10_000, "W/台"),
    "pressure": (1.5, "MPa"),            # plant air is 0.5–0.9 MPa
    "cop": (10, "倍"),
    "yen": (1e12, "円"),
    "km_per_l": (50, "km/L"),
    "kwh_per_km": (2, "kWh/km"),
    "yield": (2500, "kWh/kW/年"),
    "lifetime": (60, "年"),
    "factor": (0.002, "t-CO2/kWh"),   # grid factors are about 0.0004
}
#: pressure reductions beyond this (MPa) are outside the rule of thumb
_MAX_PRESSURE_DROP = 0.3


# ------------------------------------------------------------------------------------------
# rules of thumb
def rules_of_thumb() -> pd.DataFrame:
    """The rules of thumb (``factors/rules_of_thumb.csv``): value, range, unit, assumption flag, source."""
    return _csv("factors", "rules_of_thumb.csv").copy().set_index("rule", drop=False)


def rule(name: str) -> float:
    """One rule-of-thumb value, e.g. ``rule("heat_pump_cop")`` → 3.5."""
    df = rules_of_thumb()
    if name not in df.index:
        raise CnkitError(f"目安「{name}」は rules_of_thumb.csv にありません。使える目安: {'、'.join(df.index)}")
    return float(df.loc[name, "value"])


# ------------------------------------------------------------------------------------------
# validation helpers (Japanese messages naming the parameter and the value)
def _number(param: str, label: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CnkitError(f"{label}（{param}）に「{value!r}」が入っています。数値を入れてください。")
    v = float(value)
    if math.isnan(v) or math.isinf(v):
        raise CnkitError(f"{label}（{param}）が数値になっていません（{value}）。")
    return v


def _amount(param: str, label: str, value, kind: str, *, positive: bool = False) -> float:
    v = _number(param, label, value)
    if v < 0 or (positive and v == 0):
        need = "0 より大きい" if positive else "0 以上の"
        raise CnkitError(f"{label}（{param}）が {value} です。{need}数値を入れてください。")
    upper, unit = _UPPER[kind]
    if v > upper:
        raise CnkitError(f"{label}（{param}）= {value:,} は大きすぎます（{upper:,} {unit} を超えています）。"
                         "単位や桁（kWh と MWh、L と kL など）を確かめてください。")
    return v


def _share(param: str, label: str, value, *, positive: bool = False) -> float:
    v = _number(param, label, value)
    if 1 < v <= 100:
        raise CnkitError(f"{label}（{param}）が {value} です。百分率ではなく 0〜1 の割合で入れてください（25% → 0.25）。")
    if not 0 <= v <= 1 or (positive and v == 0):
        low = "0 より大きく" if positive else "0 以上"
        raise CnkitError(f"{label}（{param}）が {value} です。割合は {low} 1 以下で入れてください。")
    return v


def _fuel(param: str, fuel: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    if fuel not in allowed:
        names = energies()["name_ja"]
        shown = "、".join(f"{c}（{names[c]}）" for c in allowed)
        raise CnkitError(f"燃料（{param}）に「{fuel}」は使えません。{shown} のどれかを指定してください。")
    return fuel


# ------------------------------------------------------------------------------------------
# the measure
@dataclass(frozen=True)
class Measure:
    """A reduction measure as yearly physical changes (see the module docstring for the fields).

    ``energy`` is the energy the measure mainly acts on (an energy code; for a shift, the fuel it
    replaces; ``None`` for a credit tied to no energy). ``basis_ja`` says how the numbers were
    obtained. ``calculator`` and ``inputs`` record the calculator that built the measure and its
    physical inputs after defaults (e.g. ``{"kw": 150, ...}`` for PV), for subsidy rules and reports.
    """

    id: str
    name_ja: str
    category: str
    energy: str | None
    changes: Mapping[str, float] = field(default_factory=dict)
    investment_yen: float = 0.0
    lifetime_years: float | None = None
    running_cost_yen_per_year: float = 0.0
    switched_kwh: float = 0.0
    switched_factor_t_per_kwh: float | None = None
    offset_kwh: float = 0.0
    offset_t_co2: float = 0.0
    in_plan: bool = True
    basis_ja: str = ""
    calculator: str = ""
    inputs: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise CnkitError(f"区分（category）に「{self.category}」は使えません。{'、'.join(CATEGORIES)} のどれかにしてください。")
        codes = set(energies().index)
        if self.energy is not None and self.energy not in codes:
            raise CnkitError(f"エネルギー（energy）に「{self.energy}」は使えません。{'、'.join(sorted(codes))} のどれかにしてください。")
        bad = sorted(set(self.changes) - codes)
        if bad:
            raise CnkitError(f"変化（changes）のエネルギー {bad} はありません。{'、'.join(sorted(codes))} のどれかにしてください。")
        clean = {k: _number(f"changes[{k!r}]", "エネルギーの変化", v) for k, v in self.changes.items()}
        object.__setattr__(self, "changes", clean)
        _amount("investment_yen", "投資額", self.investment_yen, "yen")
        _number("running_cost_yen_per_year", "年間の運転費用", self.running_cost_yen_per_year)
        if self.lifetime_years is not None:
            _amount("lifetime_years", "耐用年数", self.lifetime_years, "lifetime", positive=True)
        _amount("switched_kwh", "係数を切り替える電力量", self.switched_kwh, "kwh")
        if self.switched_kwh and self.switched_factor_t_per_kwh is None:
            raise CnkitError("係数を切り替える電力量（switched_kwh）には、切り替え後の係数（switched_factor_t_per_kwh）が必要です。")
        if self.switched_factor_t_per_kwh is not None:
            _amount("switched_factor_t_per_kwh", "切り替え後の電力の排出係数", self.switched_factor_t_per_kwh, "factor")
        _amount("offset_kwh", "証書の電力量", self.offset_kwh, "kwh")
        _amount("offset_t_co2", "クレジットの量", self.offset_t_co2, "t_co2")


def _common(kw: dict, *, id: str, name_ja: str, category: str) -> dict:
    """Measure-level keyword arguments every calculator accepts (with the calculator's defaults)."""
    allowed = {"id", "name_ja", "category", "investment_yen", "lifetime_years", "running_cost_yen_per_year",
               "in_plan", "basis_ja"}
    unknown = sorted(set(kw) - allowed)
    if unknown:
        raise CnkitError(f"引数 {unknown} は使えません。使える引数: {'、'.join(sorted(allowed))} と、この対策の入力値。")
    out = {"id": id, "name_ja": name_ja, "category": category}
    out.update({k: v for k, v in kw.items() if v is not None or k == "lifetime_years"})
    return out


def _with_basis(common: dict, basis: str) -> dict:
    if not common.get("basis_ja"):
        common["basis_ja"] = basis
    return common


def _heat_gj_per_unit(fuel: str, factor_fy: int) -> float:
    ft = factor_table(factor_fy, electricity=False).set_index("energy")
    return float(ft.loc[fuel, "gj_per_unit"])


# ------------------------------------------------------------------------------------------
# calculators: the six points
def air_leak_repair(compressor_kwh: float, leak_share_before: float | None = None,
                    leak_share_after: float | None = None, **measure) -> Measure:
    """ナオス: repair compressed-air leaks. kWh saved = compressor kWh × (leak share before − after).

    Leak shares are fractions of today's compressor output (DOE: often 0.20–0.30; target 0.05–0.10);
    compressor power is taken as proportional to the air produced."""
    kwh = _amount("compressor_kwh", "コンプレッサーの年間電力量", compressor_kwh, "kwh")
    before = _share("leak_share_before", "対策前の漏れ率",
                    rule("air_leak_share_before") if leak_share_before is None else leak_share_before)
    after = _share("leak_share_after", "対策後の漏れ率",
                   rule("air_leak_share_after") if leak_share_after is None else leak_share_after)
    if after > before:
        raise CnkitError(f"対策後の漏れ率（leak_share_after = {after}）が対策前（leak_share_before = {before}）より大きくなっています。")
    saved = kwh * (before - after)
    c = _with_basis(_common(measure, id="air_leak_repair", name_ja="エア漏れの修理", category="ナオス"),
                    f"コンプレッサー {kwh:,.0f} kWh × 漏れ率の差（{before:g} − {after:g}）")
    return Measure(energy="electricity", changes={"electricity": -saved},
                   calculator="air_leak_repair",
                   inputs=dict(compressor_kwh=kwh, leak_share_before=before, leak_share_after=after), **c)


def compressor_pressure_reduction(compressor_kwh: float, pressure_before_mpa: float = 0.7,
                                  pressure_after_mpa: float = 0.6, **measure) -> Measure:
    """サゲル: lower the discharge pressure. kWh saved = kWh × 9 % per 0.1 MPa (linear, rule of thumb)."""
    kwh = _amount("compressor_kwh", "コンプレッサーの年間電力量", compressor_kwh, "kwh")
    p0 = _amount("pressure_before_mpa", "今の吐出圧力", pressure_before_mpa, "pressure", positive=True)
    p1 = _amount("pressure_after_mpa", "下げた後の吐出圧力", pressure_after_mpa, "pressure", positive=True)
    if p1 > p0:
        raise CnkitError(f"下げた後の圧力（pressure_after_mpa = {p1}）が今の圧力（pressure_before_mpa = {p0}）より高くなっています。")
    drop = p0 - p1
    if drop > _MAX_PRESSURE_DROP + 1e-9:
        raise CnkitError(f"圧力の下げ幅 {drop:.2f} MPa は目安（0.1MPaあたり約9%）の適用範囲（{_MAX_PRESSURE_DROP} MPa まで）を超えています。")
    rate = rule("compressor_pressure_saving_per_01mpa") * drop / 0.1
    c = _with_basis(_common(measure, id="compressor_pressure_reduction", name_ja="コンプレッサーの吐出圧力の引き下げ",
                            category="サゲル"),
                    f"コンプレッサー {kwh:,.0f} kWh × {rate:.3f}（{p0:g}→{p1:g} MPa、0.1MPaあたり"
                    f"{rule('compressor_pressure_saving_per_01mpa'):.0%}）")
    return Measure(energy="electricity", changes={"electricity": -kwh * rate},
                   calculator="compressor_pressure_reduction",
                   inputs=dict(compressor_kwh=kwh, pressure_before_mpa=p0, pressure_after_mpa=p1), **c)


def idle_shutdown(idle_kw: float, hours_per_year: float, **measure) -> Measure:
    """トメル: switch equipment off instead of leaving it idle. kWh saved = idle kW × hours avoided."""
    kw = _amount("idle_kw", "待機中の電力", idle_kw, "kw")
    hours = _amount("hours_per_year", "止める時間", hours_per_year, "hours")
    c = _with_basis(_common(measure, id="idle_shutdown", name_ja="待機時の停止", category="トメル"),
                    f"待機電力 {kw:g} kW × 止める時間 {hours:,.0f} 時間/年")
    return Measure(energy="electricity", changes={"electricity": -kw * hours},
                   calculator="idle_shutdown",
                   inputs=dict(idle_kw=kw, hours_per_year=hours), **c)


def led_replacement(fixture_hours: float, old_w: float | None = None, new_w: float | None = None,
                    **measure) -> Measure:
    """カエル: fluorescent fixtures → LED. kWh saved = Σ(units × hours) × (old W − new W) / 1000.

    ``fixture_hours`` is the sum over fixtures of their yearly lighting hours (台・時間).
    Defaults: FLR40 ×2 98.4 W → 40-type LED ×2 36.8 W."""
    fh = _amount("fixture_hours", "器具の台数 × 年間点灯時間", fixture_hours, "fixture_hours")
    w0 = _amount("old_w", "今の器具の消費電力", rule("lamp_flr40x2_w") if old_w is None else old_w, "watts", positive=True)
    w1 = _amount("new_w", "LED器具の消費電力", rule("led_40type_x2_w") if new_w is None else new_w, "watts", positive=True)
    if w1 > w0:
        raise CnkitError(f"LEDの消費電力（new_w = {w1} W）が今の器具（old_w = {w0} W）より大きくなっています。")
    c = _with_basis(_common(measure, id="led_replacement", name_ja="照明のLED化", category="カエル"),
                    f"{fh:,.0f} 台・時間 × ({w0:g} − {w1:g}) W ÷ 1000")
    return Measure(energy="electricity", changes={"electricity": -fh * (w0 - w1) / 1000},
                   calculator="led_replacement",
                   inputs=dict(fixture_hours=fh, old_w=w0, new_w=w1), **c)


def high_efficiency_ac(ac_kwh: float, saving_share: float | None = None, **measure) -> Measure:
    """カエル: replace old package air conditioners. kWh saved = AC kWh × saving share (2012 → now: 0.43)."""
    kwh = _amount("ac_kwh", "更新するエアコンの年間電力量", ac_kwh, "kwh")
    share = _share("saving_share", "電力の削減率",
                   rule("ac_saving_share_2012_to_current") if saving_share is None else saving_share)
    c = _with_basis(_common(measure, id="high_efficiency_ac", name_ja="高効率空調への更新", category="カエル"),
                    f"エアコン {kwh:,.0f} kWh × 削減率 {share:g}")
    return Measure(energy="electricity", changes={"electricity": -kwh * share},
                   calculator="high_efficiency_ac",
                   inputs=dict(ac_kwh=kwh, saving_share=share), **c)


def inverter_fan_pump(rated_kw: float, hours_per_year: float, current_load: float,
                      speed_ratio: float | None = None, **measure) -> Measure:
    """カエル (an inverter drive): a fan or pump throttled by a damper or valve → speed control.

    Today: rated kW × hours × ``current_load`` (the share of rated power drawn with the damper).
    With an inverter: rated kW × hours × speed³ (affinity law; 80 % speed → 51 % power).
    ``rated_kw`` is the total of the motors (kW × units)."""
    kw = _amount("rated_kw", "モーターの定格出力の合計", rated_kw, "kw")
    hours = _amount("hours_per_year", "年間運転時間", hours_per_year, "hours")
    load = _share("current_load", "今の負荷率（定格に対する割合）", current_load)
    speed = _share("speed_ratio", "インバーターでの回転数の割合",
                   rule("inverter_speed_ratio") if speed_ratio is None else speed_ratio, positive=True)
    after_share = speed ** rule("inverter_affinity_exponent")
    if after_share > load:
        raise CnkitError(f"回転数 {speed:g} では電力が定格の {after_share:.2f} になり、今の負荷率 {load:g} より大きくなります。"
                         "インバーターで電力は減りません。回転数の割合（speed_ratio）を確かめてください。")
    saved = kw * hours * (load - after_share)
    c = _with_basis(_common(measure, id="inverter_fan_pump", name_ja="ファン・ポンプのインバーター化", category="カエル"),
                    f"{kw:g} kW × {hours:,.0f} 時間 × (今の負荷率 {load:g} − 回転数 {speed:g} の3乗 {after_share:.3f})")
    return Measure(energy="electricity", changes={"electricity": -saved},
                   calculator="inverter_fan_pump",
                   inputs=dict(rated_kw=kw, hours_per_year=hours, current_load=load, speed_ratio=speed), **c)


def waste_heat_recovery(compressor_kwh: float, recoverable_share: float | None = None,
                        fuel: str = "a_heavy_oil", boiler_efficiency: float | None = None,
                        factor_fy: int = DEFAULT_FY, **measure) -> Measure:
    """ヒロウ: compressor heat preheats boiler feed water.

    Heat recovered (GJ) = kWh × 0.0036 GJ/kWh × recoverable share; the boiler then burns
    heat ÷ (boiler efficiency × heat value of the fuel) less fuel (kL)."""
    kwh = _amount("compressor_kwh", "コンプレッサーの年間電力量", compressor_kwh, "kwh")
    share = _share("recoverable_share", "給水の予熱に使える熱の割合",
                   rule("compressor_heat_recoverable_share") if recoverable_share is None else recoverable_share)
    fuel = _fuel("fuel", fuel, ["a_heavy_oil", "kerosene", "city_gas", "lpg"])
    eff = _share("boiler_efficiency", "ボイラー効率",
                 rule("oil_boiler_efficiency") if boiler_efficiency is None else boiler_efficiency, positive=True)
    heat_gj = kwh * rule("heat_gj_per_kwh") * share
    saved = heat_gj / (eff * _heat_gj_per_unit(fuel, factor_fy))
    c = _with_basis(_common(measure, id="waste_heat_recovery", name_ja="コンプレッサー排熱の回収（ボイラー給水の予熱）",
                            category="ヒロウ"),
                    f"{kwh:,.0f} kWh × {rule('heat_gj_per_kwh')} GJ/kWh × {share:g} = {heat_gj:,.1f} GJ を"
                    f"ボイラー効率 {eff:g} で割って燃料に換算")
    return Measure(energy=fuel, changes={fuel: -saved},
                   calculator="waste_heat_recovery",
                   inputs=dict(compressor_kwh=kwh, recoverable_share=share, fuel=fuel, boiler_efficiency=eff), **c)


# ------------------------------------------------------------------------------------------
# calculators: electrification, renewables, factor, offsets
def heat_pump(fuel_amount: float, fuel: str = "a_heavy_oil", boiler_efficiency: float | None = None,
              cop: float | None = None, factor_fy: int = DEFAULT_FY, **measure) -> Measure:
    """電化: a heat pump takes over heat now made by a fuel boiler.

    Heat (GJ) = fuel × heat value × boiler efficiency; electricity (kWh) = heat ÷ COP ÷ 0.0036 GJ/kWh.
    The fuel falls (Scope 1 down), electricity rises (Scope 2 up)."""
    amount = _amount("fuel_amount", "置き換える燃料の年間使用量", fuel_amount, "fuel_kl")
    fuel = _fuel("fuel", fuel, ["a_heavy_oil", "kerosene", "city_gas", "lpg"])
    eff = _share("boiler_efficiency", "ボイラー効率",
                 rule("oil_boiler_efficiency") if boiler_efficiency is None else boiler_efficiency, positive=True)
    cop = _amount("cop", "ヒートポンプのCOP", rule("heat_pump_cop") if cop is None else cop, "cop", positive=True)
    if cop < 1:
        raise CnkitError(f"COP（cop）が {cop} です。ヒートポンプのCOPは 1 以上です（電気1の入力で熱をCOP倍つくる）。")
    heat_gj = amount * _heat_gj_per_unit(fuel, factor_fy) * eff
    kwh = heat_gj / cop / rule("heat_gj_per_kwh")
    c = _with_basis(_common(measure, id="heat_pump", name_ja="ボイラーからヒートポンプへの転換", category="電化"),
                    f"燃料 {amount:g} × 発熱量 × ボイラー効率 {eff:g} = 熱 {heat_gj:,.1f} GJ → ÷ COP {cop:g} ÷ "
                    f"{rule('heat_gj_per_kwh')} GJ/kWh = {kwh:,.0f} kWh")
    return Measure(energy=fuel, changes={fuel: -amount, "electricity": kwh},
                   calculator="heat_pump",
                   inputs=dict(fuel_amount=amount, fuel=fuel, boiler_efficiency=eff, cop=cop), **c)


def ev_conversion(fuel_kl: float, fuel: str = "gasoline", km_per_l: float | None = None,
                  kwh_per_km: float | None = None, **measure) -> Measure:
    """電化: company cars → EVs charged at the company. km = L × km/L; kWh = km × kWh/km."""
    kl = _amount("fuel_kl", "置き換える車の年間燃料使用量", fuel_kl, "fuel_kl")
    fuel = _fuel("fuel", fuel, ["gasoline", "diesel"])
    km_l = _amount("km_per_l", "今の車の燃費", rule("gasoline_car_km_per_l") if km_per_l is None else km_per_l,
                   "km_per_l", positive=True)
    kwh_km = _amount("kwh_per_km", "EVの電費", rule("ev_kwh_per_km") if kwh_per_km is None else kwh_per_km,
                     "kwh_per_km", positive=True)
    km = kl * 1000 * km_l
    kwh = km * kwh_km
    c = _with_basis(_common(measure, id="ev_conversion", name_ja="社用車のEV化", category="電化"),
                    f"燃料 {kl:g} kL × 1000 × {km_l:g} km/L = {km:,.0f} km → × {kwh_km:g} kWh/km = {kwh:,.0f} kWh")
    return Measure(energy=fuel, changes={fuel: -kl, "electricity": kwh},
                   calculator="ev_conversion",
                   inputs=dict(fuel_kl=kl, fuel=fuel, km_per_l=km_l, kwh_per_km=kwh_km), **c)


def pv_self_consumption(kw: float, yield_kwh_per_kw: float | None = None,
                        self_consumption_share: float | None = None, **measure) -> Measure:
    """再エネ: rooftop PV for self-consumption. Purchased kWh fall by kW × yield × self-consumption share.

    The surplus (1 − share) goes to the grid and does not change the company's emissions here."""
    kw = _amount("kw", "太陽光の設備容量", kw, "kw")
    y = _amount("yield_kwh_per_kw", "1kWあたりの年間発電量",
                rule("pv_yield_kwh_per_kw") if yield_kwh_per_kw is None else yield_kwh_per_kw, "yield")
    share = _share("self_consumption_share", "自家消費率",
                   rule("pv_self_consumption_share") if self_consumption_share is None else self_consumption_share)
    used = kw * y * share
    c = _with_basis(_common(measure, id="pv_self_consumption", name_ja="自家消費型太陽光発電", category="再エネ"),
                    f"{kw:g} kW × {y:,.0f} kWh/kW × 自家消費率 {share:g} = {used:,.0f} kWh")
    return Measure(energy="electricity", changes={"electricity": -used},
                   calculator="pv_self_consumption",
                   inputs=dict(kw=kw, yield_kwh_per_kw=y, self_consumption_share=share), **c)


def renewable_menu(kwh: float, factor_t_per_kwh: float | None = None, premium_yen_per_kwh: float | None = None,
                   **measure) -> Measure:
    """排出係数の低減: buy ``kwh`` on a renewable electricity menu (adjusted factor ``factor_t_per_kwh``).

    Energy and kWh stay the same; Scope 2 (market-based) falls by kWh × (grid factor − menu factor);
    the premium is a running cost."""
    kwh = _amount("kwh", "再エネメニューにする電力量", kwh, "kwh")
    f = _amount("factor_t_per_kwh", "メニューの排出係数",
                rule("renewable_menu_factor_t_per_kwh") if factor_t_per_kwh is None else factor_t_per_kwh, "factor")
    premium = _amount("premium_yen_per_kwh", "上乗せ料金",
                      rule("renewable_menu_premium_yen_per_kwh") if premium_yen_per_kwh is None else premium_yen_per_kwh,
                      "yen")
    c = _common(measure, id="renewable_menu", name_ja="再エネ電力メニューへの切り替え", category="排出係数の低減")
    c.setdefault("running_cost_yen_per_year", kwh * premium)
    _with_basis(c, f"{kwh:,.0f} kWh を係数 {f:g} t-CO2/kWh のメニューに。上乗せ {premium:g} 円/kWh")
    return Measure(energy="electricity", switched_kwh=kwh, switched_factor_t_per_kwh=f,
                   calculator="renewable_menu",
                   inputs=dict(kwh=kwh, factor_t_per_kwh=f, premium_yen_per_kwh=premium), **c)


def non_fossil_certificate(kwh: float, price_yen_per_kwh: float | None = None, **measure) -> Measure:
    """オフセット: non-fossil certificates for ``kwh``. Offset = kWh × the grid factor; energy unchanged."""
    kwh = _amount("kwh", "証書を買う電力量", kwh, "kwh")
    price = _amount("price_yen_per_kwh", "証書の単価",
                    rule("non_fossil_certificate_yen_per_kwh") if price_yen_per_kwh is None else price_yen_per_kwh, "yen")
    c = _common(measure, id="non_fossil_certificate", name_ja="非化石証書の購入", category="オフセット")
    c.setdefault("running_cost_yen_per_year", kwh * price)
    _with_basis(c, f"{kwh:,.0f} kWh 分の証書 × {price:g} 円/kWh")
    return Measure(energy="electricity", offset_kwh=kwh,
                   calculator="non_fossil_certificate",
                   inputs=dict(kwh=kwh, price_yen_per_kwh=price), **c)


def j_credit(t_co2: float, price_yen_per_t: float | None = None, **measure) -> Measure:
    """オフセット: J-credits for ``t_co2`` t-CO2 a year. Reported (net) t-CO2 falls; emissions do not."""
    t = _amount("t_co2", "購入するクレジットの量", t_co2, "t_co2")
    price = _amount("price_yen_per_t", "クレジットの単価",
                    rule("j_credit_yen_per_t") if price_yen_per_t is None else price_yen_per_t, "yen")
    c = _common(measure, id="j_credit", name_ja="J-クレジットの購入", category="オフセット")
    c.setdefault("running_cost_yen_per_year", t * price)
    _with_basis(c, f"{t:,.1f} t-CO2 × {price:,.0f} 円/t-CO2")
    return Measure(energy=None, offset_t_co2=t,
                   calculator="j_credit",
                   inputs=dict(t_co2=t, price_yen_per_t=price), **c)


#: calculator name (as in measures.csv) → function
CALCULATORS = {f.__name__: f for f in (
    air_leak_repair, compressor_pressure_reduction, idle_shutdown, led_replacement, high_efficiency_ac,
    inverter_fan_pump, waste_heat_recovery, heat_pump, ev_conversion, pv_self_consumption, renewable_menu,
    non_fossil_certificate, j_credit)}


# ------------------------------------------------------------------------------------------
# evaluation
def unit_prices() -> pd.Series:
    """Energy prices in yen per base unit (円/kWh, 円/千m³, 円/kL, 円/t) from ``prices.csv``."""
    p = prices()
    out = {}
    for code in energies().index:
        item = "electricity_all_in" if code == "electricity" else code
        if item not in p.index:
            raise CnkitError(f"prices.csv に「{item}」の単価がありません。")
        unit = str(p.loc[item, "unit"]).split("/", 1)[-1]
        base, mult = nz.parse_unit(unit)
        out[code] = float(p.loc[item, "value"]) / mult
    return pd.Series(out, name="yen_per_base_unit")


FUELS = ("city_gas", "a_heavy_oil", "kerosene", "lpg", "gasoline", "diesel")
RESULT_COLUMNS = (["measure_id", "name_ja", "category", "calculator", "energy", "delta_kwh"] + [f"delta_{f}" for f in FUELS]
                  + ["delta_gj", "delta_crude_kl", "delta_energy_cost_yen", "running_cost_yen", "delta_cost_yen",
                     "delta_co2_scope1_t", "delta_co2_scope2_t", "delta_co2_t", "delta_co2_offset_t",
                     "delta_co2_net_t", "investment_yen", "lifetime_years", "in_plan"])


def evaluate(measure: Measure, emissions_fy: int = DEFAULT_FY, supplier: str = "tepco_ep",
             electricity_factor: str = "basic") -> pd.DataFrame:
    """One row of signed yearly changes for ``measure`` (columns: see the module docstring).

    Factors are those of ``emissions_fy`` (``factor_table``), electricity of ``supplier`` with
    ``electricity_factor`` ("basic", "adjusted" or "location"); prices from ``prices.csv``."""
    if not isinstance(measure, Measure):
        raise CnkitError(f"Measure ではなく {type(measure).__name__} が渡されました。計算関数（air_leak_repair など）の結果を渡してください。")
    ft = factor_table(emissions_fy, supplier, electricity_factor).set_index("energy")
    price = unit_prices()
    d = {code: measure.changes.get(code, 0.0) for code in ft.index}
    gj = sum(d[c] * ft.loc[c, "gj_per_unit"] for c in d)
    scope1 = sum(d[c] * ft.loc[c, "co2_t_per_unit"] for c in d if ft.loc[c, "scope"] == 1)
    grid = float(ft.loc["electricity", "co2_t_per_unit"])
    scope2 = d["electricity"] * grid
    if measure.switched_kwh:
        scope2 += measure.switched_kwh * (measure.switched_factor_t_per_kwh - grid)
    offset = -(measure.offset_kwh * grid + measure.offset_t_co2)
    energy_cost = sum(d[c] * price[c] for c in d)
    row = {"measure_id": measure.id, "name_ja": measure.name_ja, "category": measure.category,
           "calculator": measure.calculator, "energy": measure.energy, "delta_kwh": d["electricity"], **{f"delta_{f}": d[f] for f in FUELS},
           "delta_gj": gj, "delta_crude_kl": gj * _crude_kl_per_gj(),
           "delta_energy_cost_yen": energy_cost, "running_cost_yen": float(measure.running_cost_yen_per_year),
           "delta_cost_yen": energy_cost + measure.running_cost_yen_per_year,
           "delta_co2_scope1_t": scope1, "delta_co2_scope2_t": scope2, "delta_co2_t": scope1 + scope2,
           "delta_co2_offset_t": offset, "delta_co2_net_t": scope1 + scope2 + offset,
           "investment_yen": float(measure.investment_yen),
           "lifetime_years": measure.lifetime_years if measure.lifetime_years is not None else float("nan"),
           "in_plan": bool(measure.in_plan)}
    return pd.DataFrame([row], columns=RESULT_COLUMNS)


def _crude_kl_per_gj() -> float:
    from ..reference import conversion

    return conversion("crude_oil_kl_per_gj")


def evaluate_all(measures: Iterable[Measure], emissions_fy: int = DEFAULT_FY, supplier: str = "tepco_ep",
                 electricity_factor: str = "basic") -> pd.DataFrame:
    """:func:`evaluate` for each measure, one row each, indexed by ``measure_id``."""
    measures = list(measures)
    if not measures:
        return pd.DataFrame(columns=RESULT_COLUMNS).set_index("measure_id", drop=False)
    ids = [m.id for m in measures if isinstance(m, Measure)]
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise CnkitError(f"対策の id {dup} が重複しています。対策ごとに別の id を付けてください。")
    rows = [evaluate(m, emissions_fy, supplier, electricity_factor) for m in measures]
    return pd.concat(rows, ignore_index=True).set_index("measure_id", drop=False)


def savings_table(results: pd.DataFrame) -> pd.DataFrame:
    """A Japanese table of **savings** (positive = reduction) from :func:`evaluate_all`."""
    t = pd.DataFrame({
        "対策": results["name_ja"], "区分": results["category"],
        "削減電力量（kWh/年）": -results["delta_kwh"],
        "削減エネルギー（GJ/年）": -results["delta_gj"],
        "削減額（円/年）": -results["delta_cost_yen"],
        "Scope 1 削減（t-CO2/年）": -results["delta_co2_scope1_t"],
        "Scope 2 削減（t-CO2/年）": -results["delta_co2_scope2_t"],
        "CO2削減（t-CO2/年）": -results["delta_co2_t"],
        "オフセット（t-CO2/年）": -results["delta_co2_offset_t"],
        "投資額（円）": results["investment_yen"],
    })
    num = t.select_dtypes("number").columns
    t[num] = t[num] + 0.0  # no "-0.0" in the table
    return t.set_index("対策")


# ------------------------------------------------------------------------------------------
# a company's candidate measures (datasets/companies/<id>/measures.csv)
RESIDUAL = "residual"


def _parse_inputs(text: str, where: str) -> dict:
    out = {}
    for part in str(text).split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise CnkitError(f"{where}: inputs の「{part}」が「名前=値」の形ではありません。")
        value = value.strip()
        try:
            out[key.strip()] = float(value)
        except ValueError:
            out[key.strip()] = value
    return out


def company_measures(company, *, emissions_fy: int | None = None, supplier: str | None = None) -> list[Measure]:
    """The candidate measures of a case company, in the order of its ``measures.csv``.

    ``company`` is a :class:`~cnkit.reference.Company` or its id (``"a_sha"``). An input written
    ``residual`` is what is left after the measures above it that are in the plan
    (``in_plan``): for ``kwh``, the purchased electricity of the base year (bills) plus their
    kWh changes; for ``t_co2``, the base year's Scope 1 + 2 plus their CO2 changes (so that
    certificates cover only the remainder). Base year and supplier default to the company profile.
    """
    from ..reference import load_company

    if isinstance(company, str):
        company = load_company(company)
    path = company.folder / "measures.csv"
    if not path.exists():
        raise CnkitError(f"{company.name} の対策の一覧（{path.name}）がありません。")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fy = emissions_fy or int(company.profile["base_fiscal_year"])
    sup = supplier or _single_supplier(company)
    base = None
    done: list[Measure] = []
    for i, r in df.iterrows():
        where = f"{path.name} の {i + 2} 行目（{r['measure_id']}）"
        if r["calculator"] not in CALCULATORS:
            raise CnkitError(f"{where}: 計算の種類「{r['calculator']}」はありません。使えるもの: {'、'.join(CALCULATORS)}")
        inputs = _parse_inputs(r["inputs"], where)
        for key, value in inputs.items():
            if value == RESIDUAL:
                if base is None:
                    base = _base_year(company, fy, sup)
                inputs[key] = _residual(key, base, [m for m in done if m.in_plan], fy, sup, where)
            elif isinstance(value, str):
                if key == "fuel":
                    continue
                raise CnkitError(f"{where}: inputs の {key} = 「{value}」は数値ではありません。")
        kwargs = dict(id=r["measure_id"], name_ja=r["name_ja"], category=r["category"],
                      investment_yen=float(r["investment_yen"] or 0),
                      lifetime_years=float(r["lifetime_years"]) if r["lifetime_years"] else None,
                      in_plan=r["in_plan"].strip().lower() == "true", basis_ja=r["basis_ja"])
        if r["running_cost_yen_per_year"]:
            kwargs["running_cost_yen_per_year"] = float(r["running_cost_yen_per_year"])
        done.append(CALCULATORS[r["calculator"]](**inputs, **kwargs))
    return done


def _single_supplier(company) -> str:
    sups = sorted(set(company.suppliers.values()))
    if len(sups) != 1:
        raise CnkitError(f"{company.name} は拠点ごとに電力会社が違います（{sups}）。supplier= で1つ指定してください。")
    return sups[0]


def _base_year(company, fy: int, supplier: str) -> dict:
    from .emissions import emissions

    table = company.bills().table
    em = emissions(table, supplier, factor_fy=fy)
    em = em[em["fiscal_year"] == fy]
    if em.empty:
        raise CnkitError(f"{company.name} の {fy}年度の請求書データがありません。")
    return {"kwh": float(em.loc[em["energy"] == "electricity", "usage"].sum()), "t_co2": float(em["co2_t"].sum())}


def _residual(key: str, base: dict, before: list[Measure], fy: int, supplier: str, where: str) -> float:
    if key == "kwh":
        return base["kwh"] + sum(m.changes.get("electricity", 0.0) for m in before)
    if key == "t_co2":
        res = evaluate_all(before, fy, supplier) if before else None
        change = 0.0 if res is None else float(res["delta_co2_net_t"].sum())
        return max(base["t_co2"] + change, 0.0)
    raise CnkitError(f"{where}: 「{key}=residual」は使えません（residual は kwh と t_co2 だけ）。")
