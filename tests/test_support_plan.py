"""cnkit.calculate.support_plan and the data of notebook 09 (METI action plans, SMRJ visits, client cases, role play)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cnkit import CnkitError
from cnkit.calculate import support_plan as sp
from cnkit.reference import stages, support_menus

ROOT = Path(__file__).resolve().parents[1]
FILES = ["action_plan_guide.csv", "co2_support_visits.csv", "client_cases.csv", "roleplay_prompts.csv"]


@pytest.mark.parametrize("name", FILES)
def test_every_row_has_a_source(name):
    with open(ROOT / "datasets" / "support" / name, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["source"].strip() for r in rows)


def test_action_plan_guide_parts():
    counts = sp.action_plan_guide().groupby("part").size()
    # METI (seed 004): 4 policy directions, 5 kinds of institutions, 8 example activities, 3 + 4 benefits
    assert counts.to_dict() == {"direction": 4, "institution": 5, "activity": 8, "benefit_member": 3,
                                "benefit_institution": 4, "publish": 1, "example": 5}
    assert "プッシュ型" in sp.action_plan_guide("direction").loc[2, "item_ja"]
    assert list(sp.action_plan_guide("activity")["order"]) == list(range(1, 9))
    with pytest.raises(CnkitError, match="part「plan」"):
        sp.action_plan_guide("plan")


def test_three_visits():
    v = sp.co2_support_visits()
    assert list(v["visit"]) == [1, 2, 3]
    assert list(v["title_ja"]) == ["現状把握", "課題発見", "削減対応の検討"]
    assert "請求書" in v.loc[1, "client_prepares_ja"] and "削減目標" in v.loc[3, "expert_does_ja"]


@pytest.mark.parametrize("case_id,stage,deciding", [
    ("case_p", "知る", (6, 7)),        # No.5 yes but No.6–7 no
    ("case_q", "測る", (2, 3)),        # 知る items all yes, No.1 yes, No.2–3 no
    ("case_r", "減らす", (4, 8, 9, 10)),  # 知る and 測る all yes, No.11 yes
    ("case_s", "備える", ()),           # all 11 yes
])
def test_client_cases_stages(case_id, stage, deciding):
    res = sp.diagnose_case(case_id)
    assert res.stage == stage and res.deciding_items == deciding
    regions = {"全国", *sp.case_regions(case_id)}
    menus = support_menus().set_index("menu_id")
    assert res.menu_ids and all(menus.loc[i, "region"] in regions and menus.loc[i, "stage"] == stage for i in res.menu_ids)


def test_case_answers_and_regions():
    assert sp.case_answers("case_q") == {1: True, 2: False, 3: False, 4: False, 5: True, 6: True, 7: True,
                                         8: False, 9: False, 10: False, 11: False}
    assert sp.case_regions("case_p") == ["川崎市", "神奈川県"]
    with pytest.raises(CnkitError, match="case_x"):
        sp.case_answers("case_x")


def test_menus_for():
    kyoto = sp.menus_for("測る", ["京都府"])
    assert set(kyoto["region"]) <= {"全国", "京都府"} and "kyoto_base_year_sheet" in set(kyoto["menu_id"])
    assert len(sp.menus_for("測る")) >= len(kyoto)
    with pytest.raises(CnkitError, match="段階「知らせる」"):
        sp.menus_for("知らせる")


def test_roleplay_prompts_cover_the_five_merits_and_known_menus():
    p = sp.roleplay_prompts()
    assert list(p["merit_no"]) == [1, 2, 3, 4, 5]
    for word in ("競争力", "光熱費・燃料費", "知名度", "人材", "資金調達"):
        assert p["merit_ja"].str.contains(word).sum() == 1, word
    known = set(support_menus()["menu_id"])
    for ids in p["menu_ids"]:
        assert set(ids.split(";")) <= known, ids


def test_action_plan_template():
    text = sp.action_plan_template("○○信用金庫", "川崎市")
    assert text.startswith("## ○○信用金庫")
    for item in sp.action_plan_guide("activity")["item_ja"]:
        assert item in text
    with pytest.raises(CnkitError, match="機関名"):
        sp.action_plan_template("", "川崎市")


def test_stage_names_match_the_stage_table():
    assert set(sp.client_cases().index) == {"case_p", "case_q", "case_r", "case_s"}
    assert {sp.diagnose_case(c).stage for c in sp.client_cases().index} == set(stages()["stage"])
