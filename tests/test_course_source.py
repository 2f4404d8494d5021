"""Checks every source notebook in course/source against the course conventions.

Runs for each assignment present, so later notebooks are covered with no new code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(ROOT.glob("course/source/*/*.ipynb"))
IDS = [p.parent.name for p in SOURCES]
SKELETON = ["学習目標", "前提", "所要時間", "まとめ", "次に進む"]


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _src(cell: dict) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def test_every_syllabus_entry_with_a_source_is_found():
    assert SOURCES, "course/source に課題がありません"
    for p in SOURCES:
        assert p.stem == p.parent.name, f"{p}: ノートブック名は課題フォルダ名と同じにします"
        assert re.fullmatch(r"\d\d_[a-z_]+", p.stem), f"{p.stem}: 課題名は NN_topic の形にします"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_source_is_clean(path):
    nb = _nb(path)
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code":
            assert not c.get("outputs"), f"{path.name} セル{i}: ソースに出力が残っています"
            assert c.get("execution_count") is None, f"{path.name} セル{i}: 実行番号が残っています"
        assert "../datasets" not in _src(c), f"{path.name} セル{i}: データは cnkit.data_path で参照します"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_skeleton(path):
    nb = _nb(path)
    md = [re.sub(r"```.*?```", "", _src(c), flags=re.S) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert md[0].startswith("# "), "最初のセルは # で始まるタイトル"
    assert sum(1 for m in md for line in m.splitlines() if line.startswith("# ")) == 1, "# の見出しは1つだけ"
    text = "\n".join(md)
    for heading in SKELETON:
        assert re.search(rf"^##+ .*{heading}", text, re.M), f"見出し「{heading}」がありません"
    order = [text.find(h) for h in SKELETON]
    assert order == sorted(order), f"見出しの順番が {SKELETON} ではありません"
    first_code = next(_src(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert "cnkit.setup_notebook()" in first_code, "最初のコードセルで cnkit.setup_notebook() を呼びます"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_exercises_and_grade_cells(path):
    """Points in each 演習 heading equal its tests; each test has a docstring and a visible check first."""
    nb = _nb(path)
    ids = [_meta(c)["grade_id"] for c in nb["cells"] if _meta(c)]
    assert len(ids) == len(set(ids)), "grade_id が重複しています"
    for gid in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]+", gid) and not re.fullmatch(r"cell-[0-9a-f]+", gid), gid
    heading_points, current = {}, None
    for c in nb["cells"]:
        m = _meta(c)
        if c["cell_type"] == "markdown":
            h = re.search(r"^## (演習\d+)（(\d+)点）", _src(c), re.M)
            if h:
                current = h.group(1)
                heading_points[current] = [int(h.group(2)), 0]
            if m.get("grade") and m.get("solution"):  # manually graded answer
                assert current, "手動採点のセルが演習の見出しの前にあります"
                heading_points[current][1] += m["points"]
        elif m.get("grade") and not m.get("solution"):
            assert current, f"{m['grade_id']}: テストが演習の見出しの前にあります"
            heading_points[current][1] += m["points"]
            src = _src(c)
            assert src.lstrip().startswith('"""'), f"{m['grade_id']}: 何を確かめるかの1行の説明（docstring）で始めます"
            assert "許容誤差" in src.split("\n")[0] or "True/False" in src.split("\n")[0], \
                f"{m['grade_id']}: 説明に許容誤差（または答えの形）を書きます"
            visible = src.split("### BEGIN HIDDEN TESTS")[0]
            assert "cnkit.check." in visible, f"{m['grade_id']}: 隠れたテストの前に見える自己チェックを置きます"
            assert "### BEGIN HIDDEN TESTS" in src, f"{m['grade_id']}: 値を確かめる隠れたテストがありません"
    assert heading_points, "演習がありません"
    for name, (stated, actual) in heading_points.items():
        assert stated == actual, f"{name}: 見出しの {stated}点 とテストの合計 {actual}点 が違います"


def test_minutes_agree_with_the_syllabus():
    """The 所要時間 each notebook states is the self-study minutes in course/syllabus.yml."""
    import yaml

    syllabus = yaml.safe_load((ROOT / "course" / "syllabus.yml").read_text(encoding="utf-8"))
    minutes = {n["id"]: n["minutes"] for n in syllabus["notebooks"]}
    for path in SOURCES:
        nb = _nb(path)
        text = "\n".join(_src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
        m = re.search(r"^##+ *所要時間\s*\n+[-・ ]*約?\s*(\d+)\s*分", text, re.M)
        assert m, f"{path.name}: 所要時間（約N分）が見つかりません"
        assert int(m.group(1)) == minutes[path.stem], \
            f"{path.name}: 所要時間 {m.group(1)}分 とシラバスの {minutes[path.stem]}分 が違います"
