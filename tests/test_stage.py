"""Notebook 01 (知る): the self-check sheet, the stage diagnosis, its widget, and the policy data.

The stage rule is tested against an independent re-implementation over all 2¹¹ answer patterns,
plus the cases a trainer would name: all no, all yes, one no per stage, the first stage winning.
"""

from __future__ import annotations

import csv
import io
import itertools
import warnings
from pathlib import Path

import ipywidgets as w
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import cnkit  # noqa: E402
from cnkit.calculate.policy import national_path  # noqa: E402
from cnkit.calculate.stage import StageResult, check_answers, diagnose_stage, stage_items  # noqa: E402
from cnkit.interact import SelfCheckSheet, self_check_sheet  # noqa: E402

ROOT = Path(cnkit.__file__).resolve().parent.parent
SUPPORT = ROOT / "datasets" / "support"
POLICY = ROOT / "datasets" / "policy"
ORDER = ["知る", "測る", "減らす", "備える"]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


SHEET = _rows(SUPPORT / "self_check_sheet.csv")
STAGE_OF = {int(r["item"]): r["stage"] for r in SHEET}
ITEMS = sorted(STAGE_OF)
STAGES = {r["stage"]: r for r in _rows(SUPPORT / "stages.csv")}
MENUS = _rows(SUPPORT / "support_menus.csv")


def all_yes(**changes) -> dict[int, bool]:
    """All 11 answered yes, then ``no=[…]`` items set to False."""
    answers = dict.fromkeys(ITEMS, True)
    for item in changes.get("no", []):
        answers[item] = False
    return answers


def expected_stage(answers: dict[int, bool]) -> str:
    """The rule, written again from the data files: first stage in order with a no; all yes → last."""
    for stage in ORDER:
        if any(not answers[i] for i, s in STAGE_OF.items() if s == stage):
            return stage
    return ORDER[-1]


# ------------------------------------------------------------------------------------------
# data files
# ------------------------------------------------------------------------------------------
def test_self_check_sheet_has_11_items_each_with_a_stage_and_source():
    assert ITEMS == list(range(1, 12))
    for r in SHEET:
        assert r["stage"] in STAGES, r
        assert r["question_ja"].strip() and r["hint_ja"].strip() and r["topic_ja"].strip()
        assert "seed 003" in r["source"] and f"No.{r['item']}" in r["source"]


def test_mapping_rule_of_the_items():
    """知る = context (No.5–7), 測る = own numbers (No.1–3), 減らす = the means (No.4, 8–11)."""
    assert stage_items() == {"知る": [5, 6, 7], "測る": [1, 2, 3], "減らす": [4, 8, 9, 10, 11], "備える": []}


def test_stages_in_order_with_next_step_and_menus():
    assert [r["stage"] for r in sorted(STAGES.values(), key=lambda r: int(r["order"]))] == ORDER
    assert list(cnkit.reference.stages()["stage"]) == ORDER
    for name, r in STAGES.items():
        assert r["next_step_ja"].strip() and r["description_ja"].strip() and r["source"].strip()
        menus = [m for m in MENUS if m["stage"] == name]
        assert len(menus) >= 3, name
    assert {m["stage"] for m in MENUS} <= set(STAGES)
    ids = [m["menu_id"] for m in MENUS]
    assert len(ids) == len(set(ids))
    assert all(m["source"].strip() for m in MENUS)


def test_stage_menus_named_in_the_issue_are_there():
    by_stage = {s: " ".join(m["menu_ja"] for m in MENUS if m["stage"] == s) for s in ORDER}
    assert "セミナー" in by_stage["知る"] and "オンデマンド" in by_stage["知る"]
    assert "算定支援（最大3回）" in by_stage["測る"] and "CO2チェックシート" in by_stage["測る"]
    assert "エコ化支援補助金" in by_stage["減らす"] and "ハンズオン" in by_stage["減らす"]
    for word in ("認定", "SBT", "RE Action", "サステナビリティ・リンク・ローン"):
        assert word in by_stage["備える"], word


def test_scope3_categories_are_the_15():
    rows = _rows(SUPPORT / "scope3_categories.csv")
    assert [int(r["category"]) for r in rows] == list(range(1, 16))
    names = {int(r["category"]): r["name_ja"] for r in rows}
    assert names[1] == "購入した製品・サービス" and names[15] == "投資"
    assert {r["stream"] for r in rows} == {"上流", "下流"}
    assert all("GHGプロトコル" in r["source"] for r in rows)


def test_policy_targets_match_the_facts():
    t = cnkit.reference.policy_targets()
    assert t.loc["japan_2030", "value"] == 46 and t.loc["japan_2030", "base_year"] == 2013
    assert t.loc["japan_2030_aim", "value"] == 50
    assert (t.loc["japan_2035", "value"], t.loc["japan_2040", "value"]) == (60, 73)
    assert t.loc["japan_2050", "target_year"] == 2050
    assert t.loc["gx_ets", "target_year"] == 2026 and t.loc["gx_ets", "value"] == 100_000
    assert t.loc["fossil_fuel_levy", "target_year"] == 2028
    assert t.loc["paris_1_5c", "value"] == 1.5
    assert t["source"].str.strip().ne("").all()


def test_survey_facts_name_the_survey():
    s = cnkit.reference.sme_survey()
    assert len(s) >= 3
    assert s["survey_ja"].str.contains("中小企業の省エネ・脱炭素に関する実態調査").all()
    assert (s["survey_year"] == 2024).all()
    assert s.loc["no_action_share", "value"] == pytest.approx(0.3)


def test_national_path_and_chart():
    path = national_path()
    assert path.to_dict() == {2013: 100.0, 2030: 54.0, 2035: 40.0, 2040: 27.0, 2050: 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph fails
        fig = cnkit.show.targets_chart(path, aim=(2030, 50.0))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=60)
    assert buf.getvalue()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    assert "年度" in ax.get_xlabel() and "%" in ax.get_ylabel()
    assert any("ネットゼロ" in t.get_text() for t in ax.texts)
    with pytest.raises(cnkit.CnkitError, match="japan_2099"):
        national_path(ids=("japan_2030", "japan_2099"))


# ------------------------------------------------------------------------------------------
# diagnose_stage
# ------------------------------------------------------------------------------------------
def test_all_no_is_know():
    res = diagnose_stage([False] * 11)
    assert isinstance(res, StageResult)
    assert res.stage == "知る" and res.deciding_items == (5, 6, 7) and not res.all_yes
    assert "No.5" in res.reason and "No.7" in res.reason and "「知る」の段階" in res.reason
    assert res.next_step == STAGES["知る"]["next_step_ja"]


def test_all_yes_is_prepare():
    res = diagnose_stage([True] * 11)
    assert res.stage == "備える" and res.all_yes and res.deciding_items == ()
    assert "11項目すべて" in res.reason
    assert res.next_step == STAGES["備える"]["next_step_ja"]
    assert res.menu_ids == tuple(m["menu_id"] for m in MENUS if m["stage"] == "備える")


@pytest.mark.parametrize("item", list(range(1, 12)))
def test_one_no_gives_the_stage_of_that_item(item):
    res = diagnose_stage(all_yes(no=[item]))
    assert res.stage == STAGE_OF[item]
    assert res.deciding_items == (item,)
    assert f"No.{item}" in res.reason


def test_boundaries_between_stages():
    # knowing everything but measuring nothing: 測る
    assert diagnose_stage(all_yes(no=[1, 2, 3, 4, 8, 9, 10, 11])).stage == "測る"
    # measured everything but does not know the government's plans: still 知る (the first stage wins)
    res = diagnose_stage(all_yes(no=[7]))
    assert res.stage == "知る" and res.deciding_items == (7,)
    # one item of 知る and one of 減らす missing: 知る
    assert diagnose_stage(all_yes(no=[6, 10])).stage == "知る"
    # 知る and 測る complete, one reduction item missing: 減らす, the reason lists earlier stages as done
    res = diagnose_stage(all_yes(no=[11]))
    assert res.stage == "減らす"
    assert "「知る」の項目（No.5・No.6・No.7）はすべて「はい」" in res.reason
    assert "「測る」の項目（No.1・No.2・No.3）はすべて「はい」" in res.reason
    # several no in the deciding stage: all listed, in item order
    assert diagnose_stage(all_yes(no=[9, 4, 11])).deciding_items == (4, 9, 11)


def test_every_pattern_follows_the_rule():
    for bits in itertools.product([False, True], repeat=11):
        answers = dict(zip(ITEMS, bits))
        res = diagnose_stage(answers)
        want = expected_stage(answers)
        assert res.stage == want, answers
        assert res.deciding_items == tuple(i for i in ITEMS if STAGE_OF[i] == want and not answers[i])


def test_list_series_and_dict_agree():
    pattern = [True, False, True, False, True, True, True, False, False, True, False]
    as_dict = dict(zip(ITEMS, pattern))
    a = diagnose_stage(pattern)
    assert a == diagnose_stage(as_dict) == diagnose_stage(tuple(pattern)) == diagnose_stage(pd.Series(as_dict))
    assert a.stage == "測る" and a.deciding_items == (2,)
    # numpy booleans and integer keys (e.g. from a DataFrame) are accepted
    assert diagnose_stage({np.int64(k): np.bool_(v) for k, v in as_dict.items()}) == a
    assert a.answers == as_dict


def test_menus_fit_the_stage_and_region():
    res = diagnose_stage(all_yes(no=[2]))
    assert res.stage == "測る"
    assert res.menu_ids == tuple(m["menu_id"] for m in MENUS if m["stage"] == "測る")
    assert any("算定支援" in m for m in res.menus)
    local = diagnose_stage(all_yes(no=[2]), regions=["川崎市", "神奈川県"])
    regions = {m["menu_id"]: m["region"] for m in MENUS}
    assert local.menu_ids and {regions[i] for i in local.menu_ids} <= {"全国", "川崎市", "神奈川県"}
    assert "kyoto_base_year_sheet" in res.menu_ids and "kyoto_base_year_sheet" not in local.menu_ids
    assert diagnose_stage(all_yes(no=[2]), regions="京都府").menu_ids != local.menu_ids
    assert str(res).startswith("段階: 測る")


@pytest.mark.parametrize("bad, words", [
    ([True] * 10, ["10 個", "11 項目"]),
    ([True] * 12, ["12 個"]),
    ([], ["0 個"]),
    ({**all_yes(), 12: True}, ["項目番号 12"]),
    ({**all_yes(), 0: False}, ["項目番号 0"]),
    ({k: v for k, v in all_yes().items() if k != 4}, ["No.4", "答えがありません"]),
    ({**all_yes(), 3: "はい"}, ["No.3", "'はい'", "True/False"]),
    ({**all_yes(), 8: 1}, ["No.8", "1", "True/False"]),
    ({**all_yes(), 11: None}, ["No.11", "None"]),
    ([True] * 10 + ["no"], ["No.11", "'no'"]),
    ({"1": True}, ["'1'", "整数"]),
    ({True: True}, ["True", "整数"]),
    ("TTTTTTTTTTT", ["str"]),
    (42, ["int"]),
    ({True, False}, ["set"]),
])
def test_bad_answers_get_a_japanese_error(bad, words):
    with pytest.raises(cnkit.CnkitError) as info:
        diagnose_stage(bad)
    text = str(info.value)
    for word in words:
        assert word in text, (word, text)
    assert "Traceback" not in text


def test_check_answers_normalises():
    assert check_answers([np.bool_(True)] * 11) == dict.fromkeys(ITEMS, True)
    assert list(check_answers(dict(reversed(list(all_yes().items()))))) == ITEMS


def test_top_level_export():
    assert cnkit.diagnose_stage is diagnose_stage
    assert cnkit.self_check_sheet is self_check_sheet


# ------------------------------------------------------------------------------------------
# the widget
# ------------------------------------------------------------------------------------------
@pytest.fixture
def sheet(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return self_check_sheet()


def shown_stage(sheet: SelfCheckSheet) -> str:
    text = sheet.result.value
    start = text.index("いまの段階: ") + len("いまの段階: ")
    return text[start:text.index("<", start)]


def test_widget_has_the_11_items(sheet):
    assert isinstance(sheet, SelfCheckSheet) and isinstance(sheet, w.VBox)
    assert list(sheet.boxes) == ITEMS
    for r in SHEET:
        box = sheet.boxes[int(r["item"])]
        assert isinstance(box, w.Checkbox) and not box.value
        assert r["question_ja"] in box.description and box.tooltip == r["hint_ja"]
    assert shown_stage(sheet) == "知る"
    assert sheet.answers() == dict.fromkeys(ITEMS, False)


def test_widget_updates_live_through_the_stages(sheet):
    for item in (5, 6, 7):
        sheet.boxes[item].value = True
    assert shown_stage(sheet) == "測る"
    assert "No.1（月別のエネルギー使用量）" in sheet.result.value
    for item in (1, 2, 3):
        sheet.boxes[item].value = True
    assert shown_stage(sheet) == "減らす"
    assert "省エネルギー診断" in sheet.result.value
    for item in (4, 8, 9, 10, 11):
        sheet.boxes[item].value = True
    assert shown_stage(sheet) == "備える"
    assert "11項目すべて" in sheet.result.value
    sheet.boxes[6].value = False  # untick one: back to the first stage with a no
    assert shown_stage(sheet) == "知る"
    assert sheet.diagnose() == diagnose_stage(sheet.answers())


def test_widget_shows_next_step_and_menus(sheet):
    res = sheet.diagnose()
    html = sheet.result.value
    assert res.next_step in html
    for label in res.menus:
        assert label.split(" — ")[0] in html
    assert "⚠" not in html


def test_widget_starts_from_given_answers_and_region(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    sheet = self_check_sheet(all_yes(no=[3]), regions=["川崎市", "神奈川県"])
    assert shown_stage(sheet) == "測る"
    assert sheet.boxes[3].value is False and sheet.boxes[1].value is True
    assert "京都府" not in sheet.result.value and "川崎市" in sheet.result.value
    with pytest.raises(cnkit.CnkitError, match="No.2"):
        self_check_sheet({**all_yes(), 2: "yes"})


def test_widget_is_inert_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    out = self_check_sheet()
    assert isinstance(out, w.HTML) and "採点中" in out.value
    assert not isinstance(out, SelfCheckSheet)
