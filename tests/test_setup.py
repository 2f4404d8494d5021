"""The two-command set-up (kit.py), pinned dependencies, Binder files, CI entry and README."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "kit.py"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)$")
RUNTIME = [
    "jupyterlab", "jupyterlab-language-pack-ja-jp", "nbgrader", "ipywidgets", "pandas", "matplotlib",
    "matplotlib-fontja", "openpyxl", "pyyaml", "nbclient", "nbconvert", "ipykernel", "voila",
    "jupyterhub", "jupyterhub-idle-culler", "psycopg2-binary",  # the course hub (kit.py hub)
]
TEST = ["pytest", "pytest-xdist", "hypothesis", "numpy-financial", "jupyter-repo2docker", "playwright"]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def pins(lines) -> dict[str, str]:
    result = {}
    for line in lines:
        m = PIN.match(str(line).strip())
        assert m, f"not an exact '==' pin: {line!r}"
        name = normalise(m.group(1))
        assert name not in result, f"{name} listed twice"
        result[name] = m.group(2)
    return result


# ------------------------------------------------------------------ dependencies


def test_requirements_are_pinned_and_constrained():
    runtime = pins(pinned_lines(ROOT / "requirements.txt"))
    test = pins(pinned_lines(ROOT / "requirements-test.txt"))
    assert sorted(runtime) == sorted(RUNTIME)
    assert sorted(test) == sorted(TEST)
    constraint_lines = pinned_lines(ROOT / "constraints.txt")
    assert not [l for l in constraint_lines if l.startswith("-e") or "cnkit" in l.lower()], \
        "constraints.txt must not contain the editable cnkit line"
    constraints = pins(constraint_lines)
    for name, version in {**runtime, **test}.items():
        assert name in constraints, f"{name} missing from constraints.txt (run `python3 kit.py lock`)"
        assert constraints[name] == version, \
            f"{name}: requirements pin {version}, constraints.txt has {constraints[name]}"


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["name"] == "cnkit-course"
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: list"
    assert pins(pip_lists[0]) == pins(pinned_lines(ROOT / "requirements.txt"))


def test_running_environment_matches_constraints():
    """When the tests run in the kit's .venv, what is installed is what constraints.txt says."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not running inside the repository's .venv")
    from importlib.metadata import PackageNotFoundError, version

    wanted = {**pins(pinned_lines(ROOT / "requirements.txt")),
              **pins(pinned_lines(ROOT / "requirements-test.txt"))}
    wrong = {}
    for name, pinned in wanted.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            wrong[name] = (installed, pinned)
    assert not wrong, f"installed vs pinned (run `python3 kit.py setup`): {wrong}"


# ------------------------------------------------------------------ kit.py itself


def test_kit_uses_only_the_standard_library_and_old_syntax():
    source = KIT.read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 7))  # must parse on old Pythons to print its message
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert modules, "no imports found?"
    assert modules <= set(sys.stdlib_module_names), modules - set(sys.stdlib_module_names)


def test_kit_refuses_old_python_in_japanese():
    code = (
        "import sys; sys.version_info = (3, 9, 18, 'final', 0); "
        f"p = {str(KIT)!r}; exec(compile(open(p, encoding='utf-8').read(), p, 'exec'), "
        "{'__name__': '__main__', '__file__': p})"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Python 3.11 以上が必要です" in result.stderr and "3.9" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_kit_help_and_unknown_command():
    ok = subprocess.run([sys.executable, str(KIT), "--help"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "kit.py start" in ok.stdout and "kit.py test" in ok.stdout
    bad = subprocess.run([sys.executable, str(KIT), "frobnicate"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "不明なコマンド" in bad.stderr


def load_kit(monkeypatch, venv: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("kit_under_test", KIT)
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    monkeypatch.setattr(kit, "VENV", venv)
    return kit


def test_overrides_are_merged_not_clobbered(tmp_path, monkeypatch):
    kit = load_kit(monkeypatch, tmp_path / "venv")
    target = tmp_path / "venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        "@jupyterlab/translation-extension:plugin": {"locale": "en", "other": 1},
    }))
    kit.write_lab_overrides()
    kit.write_lab_overrides()  # idempotent
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data == {
        "@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
        "@jupyterlab/translation-extension:plugin": {"locale": "ja_JP", "other": 1},
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
    }


def test_repository_venv_has_japanese_overrides():
    path = ROOT / ".venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if not (ROOT / ".venv").exists():
        pytest.skip(".venv not created yet (run `python3 kit.py setup`)")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["@jupyterlab/translation-extension:plugin"]["locale"] == "ja_JP"
    assert data["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_setup_is_fast_when_nothing_changed(monkeypatch):
    kit = load_kit(monkeypatch, ROOT / ".venv")
    stamp = ROOT / ".venv" / ".kit-stamp"
    if not stamp.exists() or stamp.read_text().strip() != kit.requirement_hash():
        pytest.skip("the .venv is not up to date; this test would reinstall packages under the running tests")
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(KIT), "setup"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert "変更なし" in result.stdout
    assert "pip" not in result.stdout
    assert elapsed < 15, f"no-change setup took {elapsed:.1f}s"


# ------------------------------------------------------------------ Binder (repo2docker)


def copy_repository(dest: Path) -> None:
    """Tracked files plus untracked, not-ignored ones (so .venv and .git stay out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if not src.is_file():  # deleted in the working tree
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)


def test_no_binder_folder_hides_root_files():
    for name in ("binder", ".binder"):
        assert not (ROOT / name).exists(), f"{name}/ would make repo2docker ignore environment.yml and postBuild"


def test_repo2docker_generates_dockerfile(tmp_path):
    exe = Path(sys.executable).parent / "jupyter-repo2docker"
    if not exe.exists():
        found = shutil.which("jupyter-repo2docker")
        if not found:
            pytest.skip("jupyter-repo2docker is not installed here (it is in requirements-test.txt)")
        exe = Path(found)
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_repository(repo)
    assert (repo / "environment.yml").exists() and (repo / "postBuild").exists()
    assert os.access(repo / "postBuild", os.X_OK)
    try:
        result = subprocess.run(
            [str(exe), "--no-build", "--no-run", "--debug", str(repo)],
            capture_output=True, text=True, cwd=tmp_path, timeout=180,
        )
    except OSError as exc:
        pytest.skip(f"repo2docker cannot run here: {exc}")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Building conda environment for python=3.11" in output, output[-4000:]
    dockerfile = result.stdout
    env_at = dockerfile.find('--file "environment.yml"')
    post_at = dockerfile.find("RUN ./postBuild")
    assert env_at != -1, "the Dockerfile does not build environment.yml"
    assert post_at != -1, "the Dockerfile does not run postBuild"
    assert env_at < post_at, "postBuild must run after the environment is built"


def test_postbuild_script():
    post = ROOT / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash")
    assert "pip install" in text and "-e ." in text
    assert "NB_PYTHON_PREFIX" in text and "share/jupyter/lab/settings" in text
    assert '"locale": "ja_JP"' in text and '"fetchNews": "false"' in text
    assert "--index-only" in text
    subprocess.run(["bash", "-n", str(post)], check=True)


def test_postbuild_configures_the_lab_like_kit_start(tmp_path):
    """Run postBuild against an empty prefix (pip stubbed out): Japanese UI, and the same trainee
    page config as ``kit.py start`` — merged into what the prefix had, not replacing it."""
    prefix = tmp_path / "prefix"
    labconfig = prefix / "etc" / "jupyter" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"some-other:plugin": True}, "other": 1}), encoding="utf-8")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "python"  # `python -m pip ...` does nothing; anything else is the real Python
    fake.write_text(f'#!/bin/bash\nif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then exit 0; fi\n'
                    f'exec "{sys.executable}" "$@"\n', encoding="utf-8")
    fake.chmod(0o755)
    env = dict(os.environ, NB_PYTHON_PREFIX=str(prefix), PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(["bash", str(ROOT / "postBuild")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    overrides = json.loads((prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json")
                           .read_text(encoding="utf-8"))
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "ja_JP"
    page = json.loads((labconfig / "page_config.json").read_text(encoding="utf-8"))
    trainee = json.loads((ROOT / "course" / "trainee_lab" / "labconfig" / "page_config.json")
                         .read_text(encoding="utf-8"))
    assert page["other"] == 1 and page["disabledExtensions"]["some-other:plugin"] is True
    for plugin in trainee["disabledExtensions"]:
        assert page["disabledExtensions"][plugin] is True, plugin
    assert "@jupyter/nbgrader:validate-assignment" not in trainee["disabledExtensions"]


# ------------------------------------------------------------------ CI and README


def test_ci_entry_runs_the_readme_test_command():
    ci = ROOT / ".ci" / "run"
    assert ci.stat().st_mode & stat.S_IXUSR, ".ci/run must be executable"
    text = ci.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    assert re.search(r"^exec python3 kit\.py test\s*$", text, re.M), text
    subprocess.run(["bash", "-n", str(ci)], check=True)


def test_readme_documents_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 kit.py start" in readme
    assert "python3 kit.py test" in readme
    assert "urlpath=lab/tree/notebooks/index.ipynb" in readme
    for cmd in ("generate_assignment", "release_assignment", "collect", "autograde",
                "generate_feedback", "export", "Formgrader"):
        assert cmd in readme, cmd
    assert "## English" in readme


# ------------------------------------------------------------------ JupyterLab starts in Japanese


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, token: str, timeout: float = 10.0):
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def stop_process_group(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


@pytest.mark.skipif(os.name != "posix", reason="process-group clean-up is POSIX only")
def test_kit_start_serves_japanese_jupyterlab(tmp_path):
    port = free_port()
    token = "kit-start-test-" + os.urandom(8).hex()
    env = dict(os.environ)
    # keep the trainee's own Lab settings and workspaces out of the check
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp_path / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp_path / "workspaces")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env.pop("JUPYTER_TOKEN", None)
    log_path = tmp_path / "lab.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, str(KIT), "start", "--no-browser", "--port", str(port),
             f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log_tail() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"kit.py start exited with {proc.returncode}:\n{log_tail()}")
            try:
                status, _ = http_get(f"{base}/lab", token, timeout=5)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {base}/lab within 90 s:\n{log_tail()}")
            time.sleep(0.5)

        # the server listens on localhost only, as kit.py asks
        log_text = log_tail()
        assert "127.0.0.1" in log_text

        def effective(plugin: str, key: str):
            _, body = http_get(f"{base}/lab/api/settings/{plugin}", token)
            data = json.loads(body)
            user = data.get("settings") or {}
            if key in user:
                return user[key]
            return data["schema"]["properties"][key].get("default")

        assert effective("@jupyterlab/translation-extension:plugin", "locale") == "ja_JP"
        assert effective("@jupyterlab/apputils-extension:notification", "fetchNews") == "false"

        _, body = http_get(f"{base}/lab/api/translations/", token)
        languages = json.loads(body)["data"]
        assert "ja_JP" in languages, f"Japanese language pack not listed: {sorted(languages)}"
        _, body = http_get(f"{base}/lab/api/translations/ja_JP", token)
        assert json.loads(body)["data"], "the ja_JP language pack has no translations"

        index_url = f"{base}/api/contents/notebooks/index.ipynb?content=0"
        if not (ROOT / "course" / "build.py").exists() and not (ROOT / "notebooks" / "index.ipynb").exists():
            pytest.skip("JupyterLab starts in Japanese; notebooks/index.ipynb not checked: "
                        "course/build.py does not exist yet")
        status, body = http_get(index_url, token)
        assert status == 200 and json.loads(body)["type"] == "notebook"
    finally:
        stop_process_group(proc)
