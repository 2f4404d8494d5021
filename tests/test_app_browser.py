"""The client workbench in a real browser: ``python3 kit.py app`` (Voilà) driven by Playwright in Debian's Chromium.

- upload B社's bills (the kit's bill format) and C社's twelve-month table (a missing month, full-width digits);
- step through the six steps; the page shows the totals the notebook path computes for the same data;
- download the Excel and the PDF: the workbook's cells and the PDF's text (``pdftotext``) hold the same totals,
  the PDF embeds a Japanese font (``pdffonts``);
- a bad file shows the reader's Japanese message; no traceback on any page;
- Japanese text on the page is drawn with a CJK font (CDP ``CSS.getPlatformFontsForNode``);
- the app writes nothing outside the output folder (its HOME and Jupyter folders are scratch folders; the
  repository's files are unchanged).

Screenshots go to test-artifacts/browser/app-*.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from openpyxl import load_workbook

import browser_support as bs
import cnkit
from cnkit.paths import data_path

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.skipif(os.name != "posix", reason="POSIX only")]

ROOT = bs.ROOT
APP_TIMEOUT_S = 120
STEP_TIMEOUT_MS = 60_000
C_SHA = data_path("companies", "c_sha", "bills_12months.xlsx")


def _fail_or_skip(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"ブラウザのテストを実行できません（CI では必須）: {reason}")
    pytest.skip(reason)


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", ".", ":!test-artifacts"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        _fail_or_skip(f"Python の playwright パッケージがありません: {exc}")
    chromium, reason = bs.ensure_chromium()
    if not chromium:
        _fail_or_skip(reason)
    home = tmp_path_factory.mktemp("app")
    out = home / "clients"
    port = bs.free_port()
    env = dict(os.environ, HOME=str(home / "home"), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    (home / "home").mkdir()
    before = _git_status()
    log = open(home / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(bs.KIT), "app", "--no-browser", "--port", str(port), "--out", str(out)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + APP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"kit.py app exited with {proc.returncode}: {(home / 'app.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base, timeout=5):
                break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"kit.py app did not answer within {APP_TIMEOUT_S} s")
            time.sleep(0.5)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=bs.CHROMIUM_ARGS, headless=True)
        try:
            yield {"base": base, "browser": browser, "out": out, "home": home, "before": before}
        finally:
            browser.close()
            bs.stop_group(proc)
            log.close()


def _open(app):
    page = app["browser"].new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page.goto(app["base"], wait_until="domcontentloaded", timeout=STEP_TIMEOUT_MS)
    page.wait_for_selector(".cn-upload", timeout=STEP_TIMEOUT_MS)
    return page


def _upload(page, paths):
    with page.expect_file_chooser(timeout=STEP_TIMEOUT_MS) as chooser:
        page.locator(".cn-upload").first.click()
    chooser.value.set_files([str(p) for p in paths])
    page.wait_for_selector(".cn-status .cn-ok, .cn-status .cn-error", timeout=STEP_TIMEOUT_MS)


def _field(page, label: str):
    return page.locator(".widget-inline-hbox", has=page.locator(".widget-label", has_text=label)).locator("input").first


def _tab(page, title: str):
    page.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text=title).first.click()
    page.wait_for_timeout(300)


def _no_traceback(page):
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error:" not in text.replace("cn-error", ""), text[-1500:]


def _cjk_font(page, selector: str) -> list[str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]


def _notebook_totals(paths, supplier: str, fy: int) -> tuple[float, float]:
    """As the notebooks compute them: read_bills for files in the bill format (B社); the twelve-month table
    (C社) has no notebook path, its bills are those of the workbench's reader (tested in test_app_functions)."""
    if all(p.name.startswith("bills_") and p != C_SHA for p in paths):
        table = cnkit.read_bills(paths).table
    else:
        from cnkit.templates import read_uploads

        table = read_uploads({p.name: p.read_bytes() for p in paths}).bills.table
    em = cnkit.emissions(table, supplier, factor_fy=fy)
    em = em[em["fiscal_year"] == fy]
    return float(em["co2_t"].sum()), float(em["crude_kl"].sum())


@pytest.mark.parametrize("company", ["b_sha", "c_sha"])
def test_upload_step_through_and_take_home(app, company):
    paths = cnkit.load_company("b_sha").bill_files() if company == "b_sha" else [C_SHA]
    page = _open(app)
    fonts = _cjk_font(page, ".widget-tab .lm-TabBar-tab, .widget-tab .p-TabBar-tab")
    assert any("CJK" in f or "IPA" in f for f in fonts), fonts
    _upload(page, paths)
    assert page.locator(".cn-status .cn-error").count() == 0, page.locator(".cn-status").inner_text()
    if company == "c_sha":
        assert "2月" in page.locator(".cn-status .cn-warn").inner_text()
        for label, value in [("会社名", "C社"), ("都道府県", "神奈川県"), ("市区町村", "相模原市"), ("屋根の太陽光（kW）", "30")]:
            _field(page, label).fill(value)
            _field(page, label).press("Enter")
        page.wait_for_timeout(1500)
    bs.screenshot(page, f"app-{company}-1")
    _tab(page, "CO2の見える化")
    page.wait_for_selector(".cn-total", timeout=STEP_TIMEOUT_MS)
    shown = float(page.locator(".cn-total").inner_text().replace(",", ""))
    bs.screenshot(page, f"app-{company}-2")
    for title in ("どこから減らすか", "打ち手と補助金", "ロードマップ"):
        _tab(page, title)
        page.wait_for_timeout(500)
        _no_traceback(page)
        bs.screenshot(page, f"app-{company}-{title}")
        if company == "c_sha" and title == "打ち手と補助金":  # PV of 30 kW in 相模原市: the Kanagawa programme
            page.wait_for_selector("text=自家消費型太陽光発電", timeout=STEP_TIMEOUT_MS)
            assert "神奈川県 自家消費型再生可能エネルギー導入費補助金" in page.locator("body").inner_text()
    page.wait_for_selector(".cn-last", timeout=STEP_TIMEOUT_MS)
    _tab(page, "出力")
    page.locator(".cn-make button, button.cn-make").first.click()
    page.wait_for_selector(".cn-made a.cn-download", timeout=STEP_TIMEOUT_MS)
    bs.screenshot(page, f"app-{company}-6")
    downloads = {}
    for link in page.locator(".cn-made a.cn-download").all():
        with page.expect_download(timeout=STEP_TIMEOUT_MS) as d:
            link.click()
        path = app["home"] / f"{company}-{d.value.suggested_filename}"
        d.value.save_as(path)
        downloads[path.suffix] = path
    _no_traceback(page)
    page.close()

    # the same totals as the notebook path, on the page, in the workbook and in the PDF
    import re

    from cnkit.calculate.client import supplier_options
    fy = _fy(paths)
    supplier = next(iter(supplier_options(fy).values()))  # the app's default choice: the first of the list
    expected_t, _ = _notebook_totals(paths, supplier, fy)
    assert shown == pytest.approx(expected_t, abs=0.05)
    wb = load_workbook(downloads[".xlsx"])
    assert wb["CO2の結果"]["B2"].value == pytest.approx(expected_t)
    text = subprocess.run(["pdftotext", str(downloads[".pdf"]), "-"], capture_output=True, text=True, timeout=60).stdout
    assert f"{expected_t:,.1f} t-CO2" in text
    fonts = subprocess.run(["pdffonts", str(downloads[".pdf"])], capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"IPAexGothic\s+CID TrueType\s+\S+\s+yes", fonts), fonts
    # files written by the app: only into the output folder
    written = sorted(p.name for p in app["out"].iterdir())
    assert written and all(n.endswith((".xlsx", ".pdf")) for n in written)
    assert _git_status() == app["before"]


def _fy(paths) -> int:
    from cnkit.calculate.client import fiscal_years
    from cnkit.templates import read_uploads

    return fiscal_years(read_uploads({p.name: p.read_bytes() for p in paths}).bills.table)[-1]


def test_bad_file_shows_japanese_message(app):
    page = _open(app)
    bad = app["home"] / "errors.csv"
    bad.write_bytes(data_path("samples", "bills_with_errors.csv").read_bytes())
    _upload(page, [bad])
    msg = page.locator(".cn-status .cn-error").inner_text()
    assert "請求書データに" in msg and "errors.csv" in msg and "行目" in msg
    _no_traceback(page)
    bs.screenshot(page, "app-bad-file")
    page.close()
