"""The support institution's side (notebook 09): its CN action plan, the three-visit CO2 support,
clients' stages and the menus that fit them, role-play prompts for the five merits.

Part of the *calculate* layer (pure; no matplotlib, no ipywidgets). The facts are data in
``datasets/support/``, each row with its source:

- ``action_plan_guide.csv`` — METI's guide to CN action plans of support institutions: the four
  policy directions, the institutions it has in mind, example activities, the benefits for member
  companies and for the institution, how to publish, and chambers of commerce's plans;
- ``co2_support_visits.csv`` — SMRJ's CO2 calculation support (up to three visits);
- ``client_cases.csv`` — fictional clients with their 11 self-check answers and regions;
- ``roleplay_prompts.csv`` — a conversation outline per merit, with the menus to propose.

The stage of a client is :func:`cnkit.calculate.stage.diagnose_stage` (the rule lives there).
"""

from __future__ import annotations

import pandas as pd

from ..errors import CnkitError
from ..reference import _csv, support_menus
from .stage import StageResult, diagnose_stage

#: the parts of action_plan_guide.csv, in the order the notebook shows them
GUIDE_PARTS = {
    "direction": "中小企業のCN施策の方向性",
    "institution": "アクションプランを作ることが想定されている支援機関",
    "activity": "支援機関による取り組みの例",
    "benefit_member": "策定・公表のメリット（会員企業・取引先）",
    "benefit_institution": "策定・公表のメリット（支援機関）",
    "publish": "公表のしかた",
    "example": "商工会議所の環境アクションプランの例",
}
_ITEMS = [f"no{i}" for i in range(1, 12)]


def action_plan_guide(part: str | None = None) -> pd.DataFrame:
    """Rows of ``support/action_plan_guide.csv``, all or one ``part`` (see :data:`GUIDE_PARTS`)."""
    df = _csv("support", "action_plan_guide.csv").copy()
    if part is None:
        return df
    if part not in GUIDE_PARTS:
        raise CnkitError(f"part「{part}」はありません。使えるのは {'、'.join(GUIDE_PARTS)} です。")
    return df[df["part"] == part].sort_values("order").reset_index(drop=True)


def co2_support_visits() -> pd.DataFrame:
    """SMRJ's CO2 calculation support, one row per visit (1–3), indexed by ``visit``."""
    return _csv("support", "co2_support_visits.csv").copy().set_index("visit", drop=False)


def client_cases() -> pd.DataFrame:
    """The fictional clients of notebook 09, indexed by ``case_id``."""
    return _csv("support", "client_cases.csv").copy().set_index("case_id", drop=False)


def _case(case_id: str) -> pd.Series:
    cases = client_cases()
    if not isinstance(case_id, str) or case_id not in cases.index:
        raise CnkitError(f"取引先「{case_id}」はありません。あるのは {'、'.join(cases.index)} です。")
    return cases.loc[case_id]


def case_answers(case_id: str) -> dict[int, bool]:
    """A client's 11 self-check answers as item number → True/False (the input of ``diagnose_stage``)."""
    row = _case(case_id)
    out = {}
    for i, col in enumerate(_ITEMS, start=1):
        value = row[col]
        if isinstance(value, str):
            value = {"true": True, "false": False}.get(value.strip().lower(), value)
        if not isinstance(value, (bool,)) and str(value) not in ("True", "False"):
            raise CnkitError(f"client_cases.csv の {case_id} の {col} が True/False ではありません（{value!r}）。")
        out[i] = str(value) == "True"
    return out


def case_regions(case_id: str) -> list[str]:
    """The regions whose menus can serve the client (besides 全国), e.g. ``["川崎市", "神奈川県"]``."""
    return [r.strip() for r in str(_case(case_id)["regions"]).split(";") if r.strip()]


def diagnose_case(case_id: str) -> StageResult:
    """The client's stage and the menus for it, limited to its regions and 全国."""
    return diagnose_stage(case_answers(case_id), regions=case_regions(case_id))


def menus_for(stage: str, regions: list[str] | str | None = None) -> pd.DataFrame:
    """Support menus of one stage (知る・測る・減らす・備える), for these regions and 全国 (all regions when None)."""
    menus = support_menus()
    known = list(dict.fromkeys(menus["stage"]))
    if stage not in known:
        raise CnkitError(f"段階「{stage}」はありません。{'・'.join(known)} のどれかを指定してください。")
    menus = menus[menus["stage"] == stage]
    if regions is not None:
        wanted = {"全国", *([regions] if isinstance(regions, str) else regions)}
        menus = menus[menus["region"].isin(wanted)]
    return menus.reset_index(drop=True)


def roleplay_prompts() -> pd.DataFrame:
    """A conversation outline per merit (what the client says, a question, the bridge to CN, a first step, menus)."""
    return _csv("support", "roleplay_prompts.csv").copy().set_index("merit_ja", drop=False)


def action_plan_template(institution: str, region: str) -> str:
    """A Markdown outline of a CN action plan for the trainee's own institution, with METI's example
    activities as a checklist. ``institution`` and ``region`` are free text (e.g. "○○信用金庫", "川崎市")."""
    for value, label in ((institution, "institution（機関名）"), (region, "region（地域）")):
        if not isinstance(value, str) or not value.strip():
            raise CnkitError(f"{label} に文字列を入れてください（入力: {value!r}）。")
    acts = action_plan_guide("activity")
    lines = [
        f"## {institution.strip()} カーボンニュートラル・アクションプラン（案）",
        "",
        f"1. **目指す姿**: {region.strip()}の会員企業・取引先が、……できるように支援する",
        "2. **対象**: どの企業を（業種・規模・段階）、何社くらい",
        "3. **取り組み**（経済産業省の例から選び、自機関の言葉で具体的に）:",
        *[f"   - [ ] {r.item_ja}: {r.detail_ja}" for r in acts.itertuples()],
        "4. **数値目標**: 例）面談で話題にする件数、算定支援につないだ社数、職員の受講者数（年度ごと）",
        "5. **体制**: 担当部署・責任者、職員の育成",
        "6. **連携先**: 例）自治体、中小機構、商工会議所、金融機関、専門家",
        "7. **公表と見直し**: 経済産業省の登録フォームで登録する時期、毎年の見直し",
    ]
    return "\n".join(lines)
