"""The course as a trainee sees it: a real JupyterLab, started as the README starts it, driven by
Playwright in Debian's Chromium (headless).

- the UI is in Japanese and the course index opens; its link opens 02_measure;
- the worked solution of 02_measure runs all its cells (実行 → すべてのセルを実行) with no error output;
- the student copy of 02_measure stops at the first unanswered exercise with a Japanese message, no traceback;
- the CO2 calculator of 02 updates its total when the 電力 box changes;
- the subsidy calculator reproduces a worked example of the seeds, and the roadmap builder redraws its chart
  (each where its module exists);
- nbgrader's Assignment List (student lab) and Formgrader (instructor lab, ``kit.py instructor``) load.

Screenshots go to test-artifacts/browser/ (gitignored). Notebooks are run from scratch copies in
test-artifacts/browser/work/ with autosave off, so no tracked file changes. Chromium is installed with
apt-get when missing (see tests/browser_support.py); where it cannot be, the tests skip with the reason.

All tests share one lab and one browser: they are one xdist group (tests/conftest.py makes
``pytest -n 2`` send the group to a single worker).
"""

from __future__ import annotations

import csv
import os
import re
import time
from types import SimpleNamespace

import nbformat
import pytest

import browser_support as bs

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.skipif(os.name != "posix", reason="POSIX only")]

ROOT = bs.ROOT
JAPANESE_MENUS = ["ファイル", "編集", "表示", "実行", "カーネル", "タブ", "設定", "ヘルプ"]


def _fail_or_skip(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"ブラウザのテストを実行できません（CI では必須）: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _fail_or_skip(f"Python の playwright パッケージがありません（requirements-test.txt）: {exc}")
    path, reason = bs.ensure_chromium()
    if not path:
        _fail_or_skip(reason)
    return path


@pytest.fixture(scope="module")
def labs(chromium, tmp_path_factory):
    """The trainee's lab (``kit.py start``) and the instructor's (``kit.py instructor``), started together."""
    home = tmp_path_factory.mktemp("labs")
    gradebook = ROOT / "course" / "gradebook.db"  # Formgrader creates it (gitignored): keep only an existing one
    had_gradebook = gradebook.exists()
    student = bs.Lab("start", home / "student").start()
    instructor = bs.Lab("instructor", home / "instructor").start()
    try:
        student.wait_ready()
        instructor.wait_ready()
        yield student, instructor
    finally:
        student.stop()
        instructor.stop()
        if not had_gradebook:
            gradebook.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def lab(labs):
    return labs[0]


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=bs.CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ja-JP")
    ctx.set_default_timeout(60_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context, request):
    pg = context.new_page()
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        bs.screenshot(pg, f"FAILED_{request.node.name}")
    pg.close()


@pytest.fixture(scope="module")
def solution_page(context, lab):
    """The worked solution of 02_measure (a scratch copy), after 実行 → すべてのセルを実行."""
    work = bs.copy_course_folder(ROOT / "solutions" / "02_measure", "solution_02_measure")
    pg = context.new_page()
    bs.open_in_lab(pg, lab, f"{work.relative_to(ROOT).as_posix()}/02_measure.ipynb")
    t0 = time.monotonic()
    prompts = bs.run_all(pg)
    yield SimpleNamespace(page=pg, prompts=prompts, run_all_seconds=time.monotonic() - t0)
    pg.close()


# ---------------------------------------------------------------------------- the trainee's lab

def test_japanese_ui_and_course_index(page, lab):
    bs.open_in_lab(page, lab, "notebooks/index.ipynb")
    menus = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_inner_texts()
    for label in JAPANESE_MENUS:
        assert label in menus, f"menu {label!r} missing; the menu bar shows {menus}"
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first.text_content()
    assert tab == "index.ipynb"
    text = bs.notebook_text(page)
    assert "中小企業のカーボンニュートラル支援 実践講座" in text
    assert "ノートブック一覧" in text
    status = page.locator(".jp-StatusBar-Widget").all_inner_texts()
    assert any("モード" in s for s in status), status  # the status bar is Japanese too
    bs.screenshot(page, "01_index_japanese_ui")

    # the trainee's path: the link in the index opens notebook 02
    page.locator(f"{bs.NOTEBOOK} .jp-RenderedMarkdown a", has_text="02 測る").first.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")]
             .some(e => e.textContent === '02_measure.ipynb')""", timeout=30_000)
    page.wait_for_selector(f"{bs.NOTEBOOK} .jp-Cell", timeout=30_000)
    # the cells arrive after the panel: wait for the title text itself (a loaded machine is slow)
    page.wait_for_function(
        f"""() => [...document.querySelectorAll("{bs.NOTEBOOK} .jp-RenderedMarkdown")]
             .some(e => e.textContent.includes("測る"))""", timeout=60_000)
    assert "測る" in bs.notebook_text(page)
    bs.screenshot(page, "02_measure_opened_from_index")


def test_measure_solution_runs_without_error_output(solution_page):
    pg = solution_page.page
    prompts = solution_page.prompts
    assert prompts and all(re.search(r"\[\d+\]", p) for p in prompts), prompts
    errors = bs.error_outputs(pg)
    assert errors == [], "error or stderr output in the solution of 02_measure:\n" + "\n---\n".join(errors)
    text = bs.notebook_text(pg)
    assert "Traceback" not in text
    # the charts rendered as images, and the outputs are there
    assert pg.locator(f"{bs.NOTEBOOK} .jp-RenderedImage img").count() >= 4
    print(f"02_measure (solution): Run All {solution_page.run_all_seconds:.1f} s for {len(prompts)} code cells")
    bs.screenshot(pg, "03_measure_solution_run_all")


def _factor(supplier: str, fy: int) -> float:
    with open(ROOT / "datasets" / "factors" / "electricity_factors.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["supplier"] == supplier and int(r["emissions_fy"]) == fy:
                return float(r["basic_t_per_kwh"])
    raise KeyError(supplier)


def _total(text: str) -> str:
    m = re.search(r"合計\s*([\d,]+\.\d)\s*t-CO2", text)
    assert m, f"no 合計 … t-CO2 in {text!r}"
    return m.group(1)


def _wait_text_change(pg, locator, old: str, what: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        pg.wait_for_function("([el, old]) => el.textContent !== old", arg=[locator.element_handle(), old],
                             timeout=30_000)
    except PlaywrightTimeout:
        raise AssertionError(f"no new result 30 s after {what}; it still reads: {old[:300]}") from None


def _chart_src(cell) -> str | None:
    """The data URL of the chart a widget shows (its Output is redrawn with a new <img>)."""
    return cell.evaluate("c => { const i = c.querySelector('.widget-output img'); return i ? i.src : null; }")


def _wait_new_chart(pg, cell, old: str) -> None:
    pg.wait_for_function("([c, old]) => { const i = c.querySelector('.widget-output img'); return i && i.src !== old; }",
                         arg=[cell.element_handle(), old], timeout=30_000)


def test_co2_calculator_updates_when_the_electricity_box_changes(solution_page):
    pg = solution_page.page
    cell = bs.cell_with(pg, "CO2かんたん計算")
    assert cell.count() == 1, "the CO2 calculator of 02_measure did not render"
    cell.scroll_into_view_if_needed()
    result = cell.locator(".widget-html-content", has_text=re.compile(r"合計\s*[\d,]+\.\d\s*t-CO2")).first
    before, chart_before = result.text_content(), _chart_src(cell)
    assert chart_before, "the CO2 calculator shows no chart"
    box = bs.labelled_input(cell, "電力")
    box.fill("1000000")
    box.press("Enter")
    _wait_text_change(pg, result, before, "電力 = 1000000")
    after = result.text_content()
    want = f"{1_000_000 * _factor('tepco_ep', 2025):,.1f}"  # only electricity is filled in notebook 02
    assert _total(after) == want, (before, after)
    assert _total(after) != _total(before)
    _wait_new_chart(pg, cell, chart_before)
    bs.screenshot(pg, "04_co2_calculator_updated")


def test_measure_student_copy_shows_japanese_message_not_traceback(page, lab):
    work = bs.copy_course_folder(ROOT / "notebooks" / "02_measure", "student_02_measure")
    bs.open_in_lab(page, lab, f"{work.relative_to(ROOT).as_posix()}/02_measure.ipynb")
    bs.run_all(page)
    errors = bs.error_outputs(page)
    assert errors, "the student copy ran through: its first exercise should stop it (raise NotImplementedError)"
    first = errors[0]
    assert "解答されていません" in first or "確認してください" in first, first
    assert "Traceback" not in bs.notebook_text(page)
    assert "NotImplementedError" not in first.replace("raise NotImplementedError", "")
    bs.show(page.locator(f"{bs.NOTEBOOK} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first)
    bs.screenshot(page, "05_measure_student_japanese_message")


# ---------------------------------------------------------------------------- other widgets

WIDGETS = ["from cnkit.interact.subsidy import subsidy_calculator\nsubsidy_calculator()",
           "from cnkit.interact.roadmap import roadmap_builder\nroadmap_builder()"]


@pytest.fixture(scope="module")
def widgets_page(context, lab):
    """A scratch notebook with the subsidy calculator and the roadmap builder, run."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import cnkit\n\ncnkit.setup_notebook()")]
    nb.cells += [nbformat.v4.new_code_cell(code) for code in WIDGETS]
    work = bs.ARTIFACTS / "work" / "widgets"
    work.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, work / "widgets.ipynb")
    pg = context.new_page()
    bs.open_in_lab(pg, lab, f"{work.relative_to(ROOT).as_posix()}/widgets.ipynb")
    prompts = bs.run_all(pg)
    yield SimpleNamespace(page=pg, prompts=prompts)
    pg.close()


def test_subsidy_calculator_reproduces_the_seed_example(widgets_page):
    pg = widgets_page.page
    assert bs.error_outputs(pg) == [], bs.error_outputs(pg)
    cell = bs.cell_with(pg, "補助金かんたん計算")
    assert cell.count() == 1
    # datasets/subsidies/kawasaki_eco.yml, worked example from seed 000 (チラシ ①活用例):
    # 360万円の10kWの太陽光発電で最大130万円（県の補助金を併用して最大210万円）
    result = cell.locator(".widget-html-content", has_text=re.compile("⚠|判定")).first  # a message or the table
    for label, value in [("対象経費（税抜き）", "3600000"), ("出力", "10"),
                         ("前年度の原油換算エネルギー使用量", "260"), ("自動車の保有台数", "13")]:
        before = result.text_content()
        box = bs.labelled_input(cell, label)
        box.fill(value)
        box.press("Enter")
        _wait_text_change(pg, result, before, f"{label} = {value}")
    text = re.sub(r"\s+", " ", result.text_content())
    assert re.search(r"川崎市 市内事業者エコ化支援補助金\s*○\s*使える\s*1,300,000\s*円", text), text
    assert re.search(r"併用した合計:\s*2,100,000\s*円", text), text
    bs.show(cell)
    bs.screenshot(pg, "06_subsidy_seed_example")


def test_roadmap_builder_redraws_its_chart(widgets_page):
    pg = widgets_page.page
    assert bs.error_outputs(pg) == [], bs.error_outputs(pg)
    cell = bs.cell_with(pg, "ロードマップ作成")
    assert cell.count() == 1
    result = cell.locator(".widget-html-content", has_text="年度の排出量").first
    chart_before, result_before = _chart_src(cell), result.text_content()
    assert chart_before, "the roadmap builder shows no chart"
    cell.locator(".widget-checkbox input[type=checkbox]").first.click()  # take the first measure out of the plan
    _wait_new_chart(pg, cell, chart_before)
    assert result.text_content() != result_before
    bs.show(cell.locator(".widget-output img").first)
    bs.screenshot(pg, "07_roadmap_redrawn")


# ---------------------------------------------------------------------------- nbgrader

def test_trainee_lab_shows_validate_but_not_the_exchange_screens(page, lab):
    """``kit.py start`` (self-study, and Binder via postBuild): nbgrader's Validate button is there; the
    Assignment List, Course List, Formgrader and Create Assignment screens are not — without an exchange
    directory or an instructor they only show nbgrader's English errors."""
    bs.open_in_lab(page, lab, "notebooks/00_orientation/00_orientation.ipynb")
    page.locator(".jp-NotebookPanel-toolbar", has_text="Validate").first.wait_for(timeout=30_000)
    menus = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_text_contents()
    assert "ファイル" in menus and "Nbgrader" not in menus, menus
    assert page.locator("text=Create Assignment").count() == 0
    assert page.locator("text=The exchange directory does not exist").count() == 0
    bs.screenshot(page, "08_trainee_lab_validate_only")


def test_formgrader_loads_in_the_instructor_lab(page, labs):
    _, instructor = labs
    status, body = instructor.get("/formgrader/manage_assignments")
    assert status == 200 and "<title>nbgrader formgrade</title>" in body
    page.goto(instructor.url("/formgrader"))
    assert page.title() == "nbgrader formgrade"
    page.wait_for_selector("text=Manage Assignments")
    # the assignments of course/source are listed (the page reads course/nbgrader_config.py)
    page.wait_for_selector("table >> text=02_measure", timeout=30_000)
    sources = sorted(p.name for p in (ROOT / "course" / "source").iterdir() if p.is_dir())
    table = page.locator("table").first.text_content()
    missing = [s for s in sources if s not in table]
    assert not missing, f"assignments not listed by Formgrader: {missing}"
    bs.screenshot(page, "09_formgrader")

