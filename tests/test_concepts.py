"""course/concepts.yml: every graded cell of every source notebook names the concept it tests
and the section that teaches it; no entry is stale; the build refuses a broken file."""

from __future__ import annotations

import shutil

import pytest
import yaml

import grading as g

build = g.build_module


def test_every_graded_cell_has_a_concept_and_a_teaching_section():
    assert build.concept_problems(g.COURSE) == []
    concepts = build.load_concepts(g.COURSE)
    for aid in build.source_assignments(g.COURSE):
        grade_ids, _ = build.graded_cells(g.source_notebook(g.COURSE, aid))
        assert sorted(concepts[aid]) == sorted(grade_ids), aid
        for gid in grade_ids:
            assert set(concepts[aid][gid]) == {"concept", "section"}, (aid, gid)


def _copy(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(g.COURSE / "concepts.yml", course / "concepts.yml")
    shutil.copytree(g.COURSE / "source" / "02_measure", course / "source" / "02_measure")
    return course


def _edit(course, change):
    path = course / "concepts.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_missing_stale_and_wrong_section_are_reported(tmp_path):
    course = _copy(tmp_path)

    def change(data):
        del data["02_measure"]["check_yoy_change"]
        data["02_measure"]["check_gone"] = {"concept": "古い", "section": "1. 預かった請求書"}
        data["02_measure"]["check_co2_electricity"]["section"] = "99. ない節"

    _edit(course, change)
    problems = build.concept_problems(course, ["02_measure"])
    assert len(problems) == 3, problems
    text = "\n".join(problems)
    assert "check_yoy_change: 概念（concept）がありません" in text
    assert "check_gone: ノートブックにこの採点セルがありません" in text
    assert "section「99. ない節」" in text
    # all assignments: the ones of the file that are not in this course/source are stale too
    assert any("03_visualize: course/source にない課題です" in p
               for p in build.concept_problems(course))


def test_build_stops_on_a_graded_cell_without_concept(tmp_path):
    course = _copy(tmp_path)
    _edit(course, lambda data: data["02_measure"].pop("check_thresholds"))
    with pytest.raises(build.BuildError, match="check_thresholds"):
        build.build(tmp_path / "out", only=["02_measure"], course_dir=course, log=lambda m: None)
