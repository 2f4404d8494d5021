"""Energy flow: energy sources → sites → uses, as links with values (notebook 03).

The bills say how much of each energy each site used; the equipment estimates say what it was
used for. :func:`energy_flow` allocates each site × energy of the bills to the processes of the
equipment list and puts what the list does not explain into one use, 「未把握（差分）」, so
that every node balances: what flows into a site flows out of it to its uses.
"""

from __future__ import annotations

import pandas as pd

from ..errors import CnkitError
from .reconcile import one_fiscal_year

#: the use that takes the part of a bill the equipment list does not explain
UNEXPLAINED_USE = "未把握（差分）"
#: measures a flow can carry: column → (Japanese name, unit)
FLOW_MEASURES = {"gj": ("エネルギー", "GJ"), "co2_t": ("CO2排出量", "t-CO2")}
#: stage of a link: 1 = energy source → site, 2 = site → use
STAGES = {1: "エネルギー源 → 拠点", 2: "拠点 → 用途"}


def energy_flow(em: pd.DataFrame, estimates: pd.DataFrame, measure: str = "gj", *,
                fiscal_year: int | None = None) -> pd.DataFrame:
    """Links of the energy flow, in GJ (``measure="gj"``) or t-CO2 (``measure="co2_t"``).

    ``em``: :func:`cnkit.emissions` of the bills (one fiscal year, or pass ``fiscal_year``);
    ``estimates``: :func:`cnkit.calculate.reconcile.equipment_estimates` of the equipment list.

    For each site × energy of the bills (value B) and its estimated processes (sum S):
    if S ≤ B each process gets its estimate and B − S goes to 「未把握（差分）」; if S > B
    (the list estimates more than was billed) the estimates are scaled by B ÷ S. The bills are
    always the totals. Estimates of a site × energy without bills cannot be drawn and are left out.
    Every such choice is written, in Japanese, to ``result.attrs["notes"]``.

    Returns one row per link: ``stage`` (1: energy → site, 2: site → use), ``source``,
    ``target``, ``energy``, ``energy_ja`` and ``value`` (in the unit of ``measure``, > 0).
    ``attrs`` holds ``measure``, ``measure_ja``, ``unit`` and ``notes``.
    """
    if measure not in FLOW_MEASURES:
        raise CnkitError(f"measure は {'、'.join(repr(m) for m in FLOW_MEASURES)} のどちらかです"
                         f"（エネルギー量 GJ か CO2 t-CO2）。入力: {measure!r}")
    for name, df, cols in (("請求書の表", em, ["site", "energy", "energy_ja", measure]),
                           ("設備の推計", estimates, ["site", "energy", "process", measure])):
        if not isinstance(df, pd.DataFrame):
            raise CnkitError(f"{name}は表（DataFrame）で渡してください（渡されたもの: {type(df).__name__} 型）。")
        if missing := [c for c in cols if c not in df.columns]:
            raise CnkitError(f"{name}に列 {missing} がありません。")
    em = one_fiscal_year(em, fiscal_year)
    for name, df in (("請求書の表", em), ("設備の推計", estimates)):
        bad = df[df[measure] < 0]
        if not bad.empty:
            r = bad.iloc[0]
            where = f"{r['site']}の{r.get('process', r.get('energy_ja', r['energy']))}"
            raise CnkitError(f"{name}に負の値があります（{where}: {measure} = {r[measure]:g}）。"
                             "エネルギーフローには 0 以上の値を使います。")
    names = dict(zip(em["energy"], em["energy_ja"]))
    if "energy_ja" in estimates.columns:
        names = {**dict(zip(estimates["energy"], estimates["energy_ja"])), **names}
    billed = em.groupby(["energy", "site"], sort=False)[measure].sum()
    est = estimates.groupby(["energy", "site", "process"], sort=False)[measure].sum()
    by_pair = {key: g.droplevel(["energy", "site"]) for key, g in est.groupby(level=["energy", "site"], sort=False)}
    links: list[dict] = []
    notes: list[str] = []
    for (energy, site), b in billed.items():
        if b <= 0:
            continue
        name = names[energy]
        links.append({"stage": 1, "source": name, "target": site, "energy": energy, "energy_ja": name, "value": b})
        parts = by_pair.get((energy, site), pd.Series(dtype=float))
        parts = parts[parts > 0]
        s = float(parts.sum())
        scale = 1.0
        if s > b:
            scale = b / s
            notes.append(f"{site}の{name}: 設備の推計が請求書より多いので、推計を {scale:.1%} に縮めて配分しました。")
        for process, v in parts.items():
            links.append({"stage": 2, "source": site, "target": process, "energy": energy, "energy_ja": name,
                          "value": v * scale})
        rest = b - s * scale
        if rest > b * 1e-12:
            links.append({"stage": 2, "source": site, "target": UNEXPLAINED_USE, "energy": energy,
                          "energy_ja": name, "value": rest})
    billed_pairs = set(billed[billed > 0].index)
    for (energy, site), v in est.groupby(level=["energy", "site"], sort=False).sum().items():
        if v > 0 and (energy, site) not in billed_pairs:
            notes.append(f"{site}の{names.get(energy, energy)}: 請求書がないため、設備の推計（{v:,.1f}）は図に入れていません。")
    out = pd.DataFrame(links, columns=["stage", "source", "target", "energy", "energy_ja", "value"])
    if out.empty:
        raise CnkitError("請求書の表に 0 より大きい値がありません。エネルギーフローを描けません。")
    out.attrs.update(measure=measure, measure_ja=FLOW_MEASURES[measure][0], unit=FLOW_MEASURES[measure][1],
                     notes=notes)
    return out


def node_totals(links: pd.DataFrame) -> pd.DataFrame:
    """In-flow and out-flow of every node of :func:`energy_flow` links (they are equal at sites)."""
    out_flow = links.groupby(["stage", "source"])["value"].sum().rename("out_flow")
    in_flow = links.groupby(["stage", "target"])["value"].sum().rename("in_flow")
    rows = {}
    for (stage, node), v in out_flow.items():
        rows.setdefault((stage - 1, node), {})["out_flow"] = v  # column 0: energies, 1: sites, 2: uses
    for (stage, node), v in in_flow.items():
        rows.setdefault((stage, node), {})["in_flow"] = v
    df = pd.DataFrame.from_dict(rows, orient="index").fillna(0.0)
    df.index = pd.MultiIndex.from_tuples(df.index, names=["column", "node"])
    return df.sort_index()
