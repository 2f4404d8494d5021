"""Helpers of the browser tests (tests/test_browser.py): Chromium, a JupyterLab started as the README
starts it, and the few JupyterLab pages and actions the tests drive with Playwright.

Chromium is Debian's ``chromium`` package (``/usr/bin/chromium``), never Playwright's own browsers.
When it is missing, :func:`ensure_chromium` installs it with ``apt-get`` (as root, or with a
password-less ``sudo``); where that is not possible the tests skip with the reason (and fail in CI,
where they must run: the environment variable ``CI`` is set).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "kit.py"
ARTIFACTS = ROOT / "test-artifacts" / "browser"  # screenshots and scratch copies (gitignored)
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
# DESIGN.md §6: the flags verified on these machines
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
APT_TIMEOUT_S = 900
LAB_START_TIMEOUT_S = 120


# ------------------------------------------------------------------------------------ Chromium

def _works(path: str) -> bool:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "chrom" in out.stdout.lower()


def find_chromium() -> str | None:
    for path in CHROMIUM_CANDIDATES:
        if os.access(path, os.X_OK) and _works(path):
            return path
    return None


@contextlib.contextmanager
def _machine_lock(name: str):
    """One apt-get at a time on this machine (xdist workers, other test runs)."""
    with open(Path(tempfile.gettempdir()) / f"cn-kit-{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


#: Debian packages the browser tests need besides Chromium: a CJK font (so that screenshots show the UI's
#: Japanese, not missing-glyph boxes) and poppler-utils (pdftotext, pdffonts for the workbench's PDF)
APT_EXTRAS = ["fonts-noto-cjk", "poppler-utils"]


def _extras_missing() -> list[str]:
    missing = []
    fonts = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout \
        if shutil.which("fc-list") else ""
    if "Noto Sans CJK" not in fonts:
        missing.append("fonts-noto-cjk")
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        missing.append("poppler-utils")
    return missing


def ensure_chromium() -> tuple[str | None, str]:
    """The path of Debian's Chromium, installing it (and ``APT_EXTRAS``) with apt-get when missing and possible.

    Returns ``(path, "")`` or ``(None, reason)``; the reason says what to do."""
    path = find_chromium()
    if path and not _extras_missing():
        return path, ""
    if not shutil.which("apt-get"):
        return None, ("Chromium がありません / no Chromium: /usr/bin/chromium がなく、apt-get もないため入れられません。"
                      "Debian/Ubuntu で `sudo apt-get install chromium` を実行してください。")
    if os.geteuid() == 0:
        prefix = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        return None, ("Chromium がありません / no Chromium: /usr/bin/chromium がなく、root 権限がないため自動では"
                      "入れられません。`sudo apt-get install chromium` を実行してください。")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with _machine_lock("apt"):
        path = find_chromium()  # another worker may have installed it meanwhile
        missing = _extras_missing()
        if path and not missing:
            return path, ""
        packages = ([] if path else ["chromium"]) + missing
        for cmd in (["apt-get", "update"], ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", *packages]):
            try:
                out = subprocess.run(prefix + cmd, capture_output=True, text=True, env=env, timeout=APT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return None, (f"Chromium を入れられません / cannot install Chromium: `{' '.join(cmd)}` が "
                              f"{APT_TIMEOUT_S} 秒で終わりませんでした（ネットワークを確認してください）。")
            if out.returncode != 0:
                tail = (out.stdout + out.stderr).strip().splitlines()[-3:]
                return None, (f"Chromium を入れられません / cannot install Chromium: `{' '.join(cmd)}` が失敗しました"
                              f"（終了コード {out.returncode}）: {' / '.join(tail)}")
    path = find_chromium()
    if path and _extras_missing():
        return None, f"apt-get install の後も {'、'.join(_extras_missing())} が使えません。"
    return (path, "") if path else (None, "apt-get install chromium の後も /usr/bin/chromium が動きません。")


# ------------------------------------------------------------------------------------ JupyterLab

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab started with ``python3 kit.py <command>`` (``start``: the course index; ``instructor``:
    course/ for Formgrader) on a free port with a token, with its own settings, workspaces, config and
    runtime folders (the trainee's own are never touched) and autosave off (nothing the tests run is
    written back to a notebook)."""

    def __init__(self, command: str, home: Path):
        self.command = command
        self.home = home
        self.root = ROOT / "course" if command == "instructor" else ROOT  # as kit.py roots each
        self.port = free_port()
        self.token = f"browser-test-{os.urandom(8).hex()}"
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = home / f"{command}.log"
        settings = home / "user-settings"
        for d in ("user-settings", "workspaces", "config", "data", "runtime"):
            (home / d).mkdir(parents=True, exist_ok=True)
        docmanager = settings / "@jupyterlab" / "docmanager-extension"
        docmanager.mkdir(parents=True, exist_ok=True)
        (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}), encoding="utf-8")
        self.env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_CONFIG_DIR=str(home / "config"),
                        JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
        self.env.pop("JUPYTER_TOKEN", None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> Lab:
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(KIT), self.command, "--no-browser", "--port", str(self.port),
                 f"--IdentityProvider.token={self.token}", "--ServerApp.port_retries=0"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def wait_ready(self, timeout: float = LAB_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kit.py {self.command} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("/api/status"), timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab ({self.command}) did not answer within {timeout:.0f} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.3)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=30) as resp:
                return resp.status, resp.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)


def stop_group(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM to a server started with ``start_new_session=True`` and its children; SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


# ------------------------------------------------------------------------------------ pages

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the current tab


def show(locator) -> None:
    """Scroll ``locator`` into view and give the browser a moment to paint it (cells out of view are
    not rendered: JupyterLab's content-visibility windowing)."""
    for _ in range(3):  # the cells rendered on the way change the layout: scroll again until it holds
        locator.evaluate("e => e.scrollIntoView({block: 'center'})")
        locator.page.wait_for_timeout(300)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


_workspaces = iter(range(1, 1_000_000))


def open_in_lab(page, lab: Lab, path: str, timeout_ms: int = 60_000) -> None:
    """Open the notebook ``path`` (relative to the lab's root) in a fresh workspace (no tabs restored from
    an earlier page) and wait until all its cells are on the page."""
    import nbformat

    cells = len(nbformat.read(lab.root / path, as_version=4).cells)
    page.goto(lab.url(f"/lab/workspaces/t{next(_workspaces)}-{os.getpid()}/tree/{path}"),
              wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_function(
        f"""([name, cells]) => {{
            const tab = document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current');
            const panel = document.querySelector('{NOTEBOOK}');
            return tab && tab.innerText.trim() === name && panel
                && panel.querySelectorAll('.jp-Notebook .jp-Cell').length >= cells;
        }}""", arg=[Path(path).name, cells], timeout=timeout_ms)


def kernel_status(page) -> str | None:
    return page.evaluate(f"""() => {{
        const el = document.querySelector('{NOTEBOOK} .jp-Notebook-ExecutionIndicator');
        return el ? el.getAttribute('data-status') : null; }}""")


def kernel_ready(page) -> bool:
    """The notebook's kernel has started and is idle: the execution indicator and the status bar
    (「Python 3 (ipykernel) | アイドル」) agree. Before the kernel starts the indicator may say idle too."""
    return page.evaluate(f"""() => {{
        const el = document.querySelector('{NOTEBOOK} .jp-Notebook-ExecutionIndicator');
        const bar = [...document.querySelectorAll('#jp-bottom-panel .jp-StatusBar-TextItem, .jp-StatusBar-Widget span')]
            .some(e => /\\|\\s*アイドル/.test(e.textContent));
        return !!el && el.getAttribute('data-status') === 'idle' && bar;
    }}""")


def wait_kernel_idle(page, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    steady = None
    while True:
        if kernel_ready(page):
            steady = steady or time.monotonic()
            if time.monotonic() - steady >= 0.5:
                return
        else:
            steady = None
        if time.monotonic() > deadline:
            raise AssertionError(f"the kernel did not start and become idle within {timeout_s:.0f} s "
                                 f"(status {kernel_status(page)!r})")
        time.sleep(0.2)


def prompts(page) -> list[str]:
    """The input prompts of the code cells (``[3]:``, ``[*]:``, ``[ ]:``)."""
    return page.evaluate(f"""() => [...document.querySelectorAll('{NOTEBOOK} .jp-CodeCell .jp-InputPrompt')]
        .map(e => e.textContent.trim())""")


def click_menu(page, menu: str, item: str) -> None:
    """Open a menu of the menu bar and click one of its items (labels as shown, e.g. in Japanese)."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    page.locator(".lm-Menu:not(.lm-mod-hidden) .lm-Menu-itemLabel",
                 has_text=re.compile(f"^{re.escape(item)}$")).first.click()


def run_all(page, timeout_s: float = 120) -> list[str]:
    """実行 → すべてのセルを実行, then wait until the kernel has run and is idle with no cell queued.

    Returns the prompts; a cell that fails stops the run (as in JupyterLab), so the caller checks them."""
    wait_kernel_idle(page)
    page.evaluate(f"""() => {{  // remember that the kernel got busy: the prompts may end as they began
        window.__cnBusy = false;
        const el = document.querySelector('{NOTEBOOK} .jp-Notebook-ExecutionIndicator');
        new MutationObserver(() => {{ if (el.getAttribute('data-status') === 'busy') window.__cnBusy = true; }})
            .observe(el, {{attributes: true}});
    }}""")
    click_menu(page, "実行", "すべてのセルを実行")
    page.wait_for_function("() => window.__cnBusy === true", timeout=30_000)
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while True:
        p = prompts(page)
        if not any("*" in x for x in p) and kernel_status(page) == "idle":
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 0.8:  # the last outputs and widget views render
                return prompts(page)
        else:
            quiet_since = None
        if time.monotonic() > deadline:
            raise AssertionError(f"Run All did not finish within {timeout_s:.0f} s; prompts: {p}")
        time.sleep(0.2)


def error_outputs(page) -> list[str]:
    """Texts of the error and stderr outputs of the current notebook."""
    return page.evaluate(f"""() => [...document.querySelectorAll(
        '{NOTEBOOK} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],' +
        '{NOTEBOOK} .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(e => e.textContent)""")


def notebook_text(page) -> str:
    return page.evaluate(f"() => document.querySelector('{NOTEBOOK}').textContent")


def cell_with(page, text: str):
    """The code cell whose output contains ``text`` (e.g. a widget's heading)."""
    return page.locator(f"{NOTEBOOK} .jp-CodeCell").filter(has=page.locator(".jp-OutputArea", has_text=text))


def labelled_input(scope, label: str):
    """The text box in the widget row (HBox) whose own label (a direct child) reads exactly ``label``."""
    if "'" in label:
        raise ValueError(label)
    return scope.locator(
        "xpath=.//div[contains(concat(' ', @class, ' '), ' widget-hbox ')]"
        f"[./div[contains(concat(' ', @class, ' '), ' widget-label ') and normalize-space(.)='{label}']]"
        "//input").first


def copy_course_folder(src: Path, name: str) -> Path:
    """A scratch copy of a notebook folder under test-artifacts/browser/work/ (never the tracked files)."""
    dest = ARTIFACTS / "work" / name
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest
