#!/usr/bin/env python3
"""講座キットの操作コマンド（標準ライブラリのみ・Python 3.11 以上）。

    python3 kit.py start [--port N] [--no-browser] [jupyter lab の追加引数...]
        環境を準備し、日本語の JupyterLab で講座の目次（notebooks/index.ipynb）を開く。
    python3 kit.py test [pytest の引数...]
        環境を準備し、テスト一式を実行する（pytest -n 2、MPLBACKEND=Agg）。
    python3 kit.py setup       環境（.venv）だけを準備する。変更がなければ数秒で終わる。
    python3 kit.py build [...] 教材を再生成する（course/build.py）。
    python3 kit.py bench       性能測定（bench/run_all.py）を実行する。
    python3 kit.py instructor [--port N] [--no-browser]
        講師用: course/ をルートにして JupyterLab を開く（Nbgrader → Formgrader で採点）。
    python3 kit.py app [--port N] [--no-browser] [--out DIR]   支援ツール（Voilà、請求書 → 報告書の PDF と Excel）
    python3 kit.py grade [課題 ...] [--student ID] [--jobs N] [--timeout 秒] ...
        講師用: 提出物を一括で自動採点し、講評と成績表（CSV・Excel）を作る（grader/grade_cohort.py）。
    python3 kit.py report [課題 ...]
        講師用: 採点済みの gradebook から受講者全体の理解度レポートを作る（手採点の後など）。
    python3 kit.py hub --roster 名簿.csv [--ip A --port N --course-id ID --state-dir DIR]
        共有サーバ用（root）: PostgreSQL・JupyterHub・採点サービスを準備して講座 Hub を起動する（hub/hubctl.py）。
    python3 kit.py lock        requirements*.txt から constraints.txt を作り直す（保守担当者用）。
    python3 kit.py factors check [ファイル] [--user]
        電力の排出係数ファイルを検査する（単位・範囲・重複・出典・公表日）。ファイルを省略すると
        キットの datasets/factors/electricity_factors.csv と利用者の係数ファイルを検査する。
"""
import sys

MIN_PYTHON = (3, 11)

if sys.version_info < MIN_PYTHON:  # この判定より前に新しい構文を使わないこと
    sys.stderr.write(
        "エラー: Python %d.%d 以上が必要です（現在は %d.%d）。\n"
        "Python %d.%d 以上をインストールし、例えば `python3.11 kit.py start` のように実行してください。\n"
        % (MIN_PYTHON + sys.version_info[:2] + MIN_PYTHON)
    )
    sys.exit(1)

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".kit-stamp"
STAMP_VERSION = "kit-stamp-1"
REQUIREMENTS = ["requirements.txt", "requirements-test.txt"]
CONSTRAINTS = "constraints.txt"
HASHED_FILES = REQUIREMENTS + [CONSTRAINTS, "pyproject.toml"]
BUILD_SCRIPT = ROOT / "course" / "build.py"
INDEX = ROOT / "notebooks" / "index.ipynb"
BENCH_SCRIPT = ROOT / "bench" / "run_all.py"
TRAINEE_LAB_CONFIG = ROOT / "course" / "trainee_lab"
GRADE_SCRIPT = ROOT / "grader" / "grade_cohort.py"
DEFAULT_PORT = 8888
VENV_BASE_PYTHON = sys.executable  # the Python that .venv is made from

# JupyterLab を日本語 UI にし、「Jupyter のニュースを受け取りますか？」の通知を出さない設定。
LAB_OVERRIDES = {
    "@jupyterlab/translation-extension:plugin": {"locale": "ja_JP"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}


class KitError(Exception):
    """利用者に日本語で伝えるエラー（トレースバックは出さない）。"""


def say(message):
    print("[kit] " + message, flush=True)


def warn(message):
    print("[kit] 注意: " + message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- 仮想環境

def venv_bin(name):
    if os.name == "nt":
        exe = VENV / "Scripts" / (name + ".exe")
        return exe if name == "python" or exe.exists() else VENV / "Scripts" / name
    return VENV / "bin" / name


def venv_python():
    return venv_bin("python")


def venv_is_usable():
    py = venv_python()
    if not py.exists():
        return False
    try:
        out = subprocess.run(
            [str(py), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    if out.returncode != 0:
        return False
    major, minor = (int(x) for x in out.stdout.strip().split("."))
    return (major, minor) >= MIN_PYTHON


def create_venv():
    if VENV.exists():
        warn(".venv が壊れているか Python が古いため、作り直します。")
        shutil.rmtree(VENV)
    say("仮想環境 .venv を作成しています...")
    result = subprocess.run([VENV_BASE_PYTHON, "-m", "venv", str(VENV)],
                            capture_output=True, text=True)
    if result.returncode != 0 or not venv_python().exists():
        sys.stderr.write(result.stdout + result.stderr)
        hint = ""
        if "ensurepip" in (result.stdout + result.stderr) or sys.platform.startswith("linux"):
            hint = ("\nDebian/Ubuntu では venv 機能が別パッケージです: "
                    "sudo apt-get install python3-venv（または python3.11-venv）")
        raise KitError("仮想環境 .venv を作成できませんでした。" + hint)


def requirement_hash():
    h = hashlib.sha256(STAMP_VERSION.encode())
    for name in HASHED_FILES:
        path = ROOT / name
        h.update(b"\0" + name.encode() + b"\0")
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    cfg = VENV / "pyvenv.cfg"
    h.update(b"\0pyvenv.cfg\0")
    h.update(cfg.read_bytes() if cfg.exists() else b"<missing>")
    return h.hexdigest()


@contextmanager
def setup_lock():
    """同時に2つの setup が pip を走らせないための排他ロック（POSIX のみ）。"""
    try:
        import fcntl
    except ImportError:
        yield
        return
    key = hashlib.sha256(str(ROOT).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / ("cnkit-kit-%s.lock" % key)
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def pip_install():
    for name in HASHED_FILES:
        if not (ROOT / name).exists():
            raise KitError("%s が見つかりません。リポジトリが欠けていないか確認してください。" % name)
    cmd = [str(venv_python()), "-m", "pip", "install",
           "--disable-pip-version-check", "--quiet", "--progress-bar", "off"]
    for name in REQUIREMENTS:
        cmd += ["-r", str(ROOT / name)]
    cmd += ["-c", str(ROOT / CONSTRAINTS), "-e", str(ROOT)]
    say("パッケージをインストールしています（初回は数分かかります）...")
    result = subprocess.run(cmd, cwd=str(ROOT))
    if result.returncode != 0:
        raise KitError(
            "パッケージのインストールに失敗しました（pip の終了コード %d）。\n"
            "上に表示された pip のメッセージを確認してください。多くの場合はネットワーク接続"
            "（社内プロキシなら環境変数 HTTPS_PROXY）の問題です。直したら同じコマンドをもう一度実行してください。"
            % result.returncode
        )


def lab_settings_dir():
    return VENV / "share" / "jupyter" / "lab" / "settings"


def write_lab_overrides():
    """<venv>/share/jupyter/lab/settings/overrides.json に日本語化の設定を書く（既存の設定とは統合）。"""
    path = lab_settings_dir() / "overrides.json"
    data = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            warn("%s が読めないため書き直します。" % path)
            data = {}
    merged = dict(data)
    for plugin, values in LAB_OVERRIDES.items():
        current = merged.get(plugin)
        merged[plugin] = dict(current) if isinstance(current, dict) else {}
        merged[plugin].update(values)
    if merged != data or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        say("JupyterLab を日本語表示に設定しました。")


def setup(force=False):
    started = time.monotonic()
    with setup_lock():
        if not venv_is_usable():
            create_venv()
        digest = requirement_hash()
        current = STAMP.read_text().strip() if STAMP.exists() else ""
        if force or current != digest:
            if STAMP.exists():
                STAMP.unlink()
            pip_install()
            STAMP.write_text(requirement_hash() + "\n")
            say("インストール完了（%.0f 秒）。" % (time.monotonic() - started))
        else:
            say("環境は準備済みです（依存パッケージに変更なし）。")
        write_lab_overrides()


# ---------------------------------------------------------------- コマンド

def venv_env(extra=None):
    """The environment of an activated .venv: its bin folder first on PATH.

    nbgrader calls the ``alembic`` command for its gradebook, so the venv's tools must be on PATH
    (for the Lab's Formgrader and assignment list, the build and the tests alike).
    """
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(venv_python().parent) + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def run(cmd, env=None):
    return subprocess.call([str(c) for c in cmd], cwd=str(ROOT), env=env or venv_env())


def display_available():
    if sys.platform in ("darwin", "win32", "cygwin"):
        return True
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    # WSL はブラウザを Windows 側で開けることが多い
    return "microsoft" in platform.release().lower()


def ensure_index():
    if INDEX.exists():
        return True
    if not BUILD_SCRIPT.exists():
        warn("notebooks/index.ipynb も course/build.py もありません。ファイル一覧から開いてください。")
        return False
    say("目次ノートブック notebooks/index.ipynb を作成しています...")
    rc = run([venv_python(), BUILD_SCRIPT, "--index-only"])
    if rc != 0 or not INDEX.exists():
        warn("目次の作成に失敗しました（終了コード %d）。ファイル一覧から開いてください。" % rc)
        return False
    return True


def launch_lab(root_dir, open_path, port, no_browser, extra, cwd, env_extra=None):
    jupyter = venv_bin("jupyter")
    cmd = [str(jupyter), "lab"]
    if open_path:
        cmd.append(open_path)
    cmd += [
        "--ServerApp.root_dir=%s" % root_dir,
        "--ServerApp.port=%d" % port,
        "--ServerApp.ip=127.0.0.1",
    ]
    if no_browser or not display_available():
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # コンテナや CI では root で動くことが多い。Jupyter は既定では root での起動を拒む。
        cmd.append("--allow-root")
    cmd += list(extra)
    say("JupyterLab を起動します: http://127.0.0.1:%d/lab" % port)
    say("（ポートが使用中なら別の番号になります。下に表示される URL を使ってください。"
        "終了するにはこの画面で Ctrl+C を押します。）")
    os.chdir(str(cwd))
    if os.name == "nt":
        try:
            return subprocess.call(cmd, env=venv_env(env_extra))
        except KeyboardInterrupt:
            return 0
    os.execve(cmd[0], cmd, venv_env(env_extra))  # 戻らない


def lab_arguments(argv, prog):
    parser = argparse.ArgumentParser(prog=prog, add_help=True)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="ポート番号（既定 %d）" % DEFAULT_PORT)
    parser.add_argument("--no-browser", action="store_true", help="ブラウザを自動で開かない")
    return parser.parse_known_args(argv)


def cmd_setup(argv):
    parser = argparse.ArgumentParser(prog="kit.py setup")
    parser.add_argument("--force", action="store_true", help="変更がなくても pip install をやり直す")
    args = parser.parse_args(argv)
    setup(force=args.force)
    say("準備ができました。`python3 kit.py start` で講座を開けます。")
    return 0


def cmd_start(argv):
    args, extra = lab_arguments(argv, "kit.py start")
    setup()
    has_index = ensure_index()
    # 自習用: nbgrader の配布・提出・講師用の画面は出さない（交換ディレクトリがなく、英語のエラーになるため）。
    # Validate ボタンは残す。設定は course/trainee_lab/labconfig/page_config.json（Binder は postBuild が同じものを使う）。
    config_path = os.pathsep.join(p for p in (str(TRAINEE_LAB_CONFIG), os.environ.get("JUPYTER_CONFIG_PATH")) if p)
    return launch_lab(ROOT, "notebooks/index.ipynb" if has_index else None,
                      args.port, args.no_browser, extra, ROOT, {"JUPYTER_CONFIG_PATH": config_path})


def cmd_instructor(argv):
    args, extra = lab_arguments(argv, "kit.py instructor")
    setup()
    course = ROOT / "course"
    say("講師用: course/ をルートにします。採点はメニューの Nbgrader → Formgrader から。")
    return launch_lab(course, None, args.port, args.no_browser, extra, course)


def cmd_app(argv):
    """The client workbench (Voilà app apps/client_workbench.ipynb) on 127.0.0.1."""
    parser = argparse.ArgumentParser(prog="kit.py app")
    parser.add_argument("--port", type=int, default=8866, help="ポート番号（既定 8866）")
    parser.add_argument("--no-browser", action="store_true", help="ブラウザを自動で開かない")
    parser.add_argument("--out", default=str(Path.home() / "cnkit-clients"), help="Excel と PDF を書き出すフォルダ")
    args = parser.parse_args(argv)
    setup()
    out = Path(args.out).expanduser().resolve()
    say("支援ツールを開きます: http://127.0.0.1:%d/  出力フォルダ: %s  （終了は Ctrl+C）" % (args.port, out))
    cmd = [venv_python(), "-m", "voila", str(ROOT / "apps" / "client_workbench.ipynb"), "--port", str(args.port),
           "--Voila.ip=127.0.0.1", "--show_tracebacks=False"]
    if args.no_browser:
        cmd.append("--no-browser")
    return run(cmd, env=venv_env({"CNKIT_APP_OUT": str(out), "MPLBACKEND": "Agg"}))


def cmd_test(argv):
    setup()
    env = venv_env({"MPLBACKEND": "Agg"})
    say("テストを実行しています...")
    rc = run([venv_python(), "-m", "pytest", "-n", "2", "-q"] + list(argv), env=env)
    if rc == 0:
        say("すべてのテストに合格しました。")
    elif rc == 5:
        say("テストが1件も見つかりませんでした（失敗として扱います）。")
    else:
        say("失敗したテストがあります（pytest の終了コード %d）。" % rc)
    return rc


def cmd_build(argv):
    setup()
    if not BUILD_SCRIPT.exists():
        raise KitError("course/build.py がありません。")
    say("教材を生成しています（course/build.py）...")
    return run([venv_python(), BUILD_SCRIPT] + list(argv))


def cmd_bench(argv):
    setup()
    if not BENCH_SCRIPT.exists():
        say("bench/run_all.py はまだありません。何もしません。")
        return 0
    return run([venv_python(), BENCH_SCRIPT] + list(argv))


def cmd_grade(argv):
    """course/submitted/ の提出物を並列に自動採点する（引数は grader/grade_cohort.py へ）。"""
    setup()
    if not GRADE_SCRIPT.exists():
        raise KitError("grader/grade_cohort.py がありません。")
    return run([venv_python(), GRADE_SCRIPT] + list(argv))


def cmd_report(argv):
    """採点済みの gradebook から理解度レポートを作る（引数は grader/cohort_report.py へ）。"""
    setup()
    return run([venv_python(), ROOT / "grader" / "cohort_report.py"] + list(argv))
HUB_SCRIPT = ROOT / "hub" / "hubctl.py"
HUB_APT = {"node": "nodejs", "npm": "npm", "runuser": "util-linux"}
HUB_PROXY = "configurable-http-proxy@5.3.0"  # npm; hub/kubernetes/ names the same version
HUB_NODE = VENV / "node"


def hub_prerequisites():
    """Debian の nodejs・npm・postgresql と、.venv/node に configurable-http-proxy を入れる（root）。"""
    missing = [pkg for tool, pkg in HUB_APT.items() if not shutil.which(tool)]
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        missing.append("postgresql")
    if missing:
        if not shutil.which("apt-get"):
            raise KitError("次のパッケージを入れてから実行してください: " + " ".join(missing))
        say("apt-get で入れます: " + " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600"]
        if subprocess.call(apt + ["update", "-q"], env=env) != 0 or subprocess.call(
                apt + ["install", "-y", "-q", "--no-install-recommends"] + missing, env=env) != 0:
            raise KitError("apt-get install %s に失敗しました。ネットワークと apt の設定を確認してください。"
                           % " ".join(missing))
    proxy = HUB_NODE / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        say("configurable-http-proxy を入れています（npm）...")
        if subprocess.call(["npm", "install", "--prefix", str(HUB_NODE), "--no-audit", "--no-fund",
                            "--loglevel=error", HUB_PROXY]) != 0 or not proxy.exists():
            raise KitError("npm install %s に失敗しました。" % HUB_PROXY)


def readable_by_all(path):
    """Every user may run ``path`` (each trainee's server runs the venv's Python as that trainee)."""
    path = Path(os.path.realpath(path))
    return all(p.stat().st_mode & 0o001 for p in [path] + list(path.parents))


def use_shared_python():
    """A Python under a private folder (pyenv in /root) cannot run as a trainee: then the hub gets
    a copy of that Python in .hub-python and its own environment .venv-hub, with the same pins."""
    global VENV, STAMP, VENV_BASE_PYTHON
    if readable_by_all(sys.executable) and (not venv_python().exists()
                                            or readable_by_all(venv_python())):
        return
    base = Path(sys.base_prefix)
    copy = ROOT / ".hub-python"
    exe = copy / "bin" / ("python%d.%d" % sys.version_info[:2])
    if not exe.exists():
        say("%s は受講者のアカウントから実行できないため、Hub 用に %s へ複製します。" % (base, copy))
        shutil.copytree(base, copy, symlinks=True)
        subprocess.call(["chmod", "-R", "a+rX", str(copy)])
    VENV = ROOT / ".venv-hub"
    STAMP = VENV / ".kit-stamp"
    VENV_BASE_PYTHON = str(exe)


def cmd_hub(argv):
    """講座 Hub（JupyterHub + PostgreSQL + nbgrader の交換・採点サービス）を準備して起動する。"""
    if sys.platform != "linux" or not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise KitError("kit.py hub は Linux（Debian/Ubuntu）のサーバで root として実行してください"
                       "（例: sudo python3 kit.py hub --roster roster.csv）。")
    if "-h" not in argv and "--help" not in argv:
        hub_prerequisites()
    use_shared_python()
    setup()
    ensure_index()
    cmd = [str(venv_python()), str(HUB_SCRIPT)] + list(argv)
    os.execve(cmd[0], cmd, venv_env())  # Ctrl+C / SIGTERM go to hubctl.py, which stops everything


def cmd_lock(argv):
    """requirements*.txt だけから一時的な環境を作り、その pip freeze を constraints.txt に書く。"""
    if argv:
        raise KitError("lock は引数を取りません。")
    with tempfile.TemporaryDirectory(prefix="cnkit-lock-") as tmp:
        env_dir = Path(tmp) / "venv"
        say("一時的な仮想環境で依存関係を解決しています...")
        if subprocess.call([sys.executable, "-m", "venv", str(env_dir)]) != 0:
            raise KitError("一時的な仮想環境を作成できませんでした。")
        py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
        for name in REQUIREMENTS:
            cmd += ["-r", str(ROOT / name)]
        if subprocess.call(cmd) != 0:
            raise KitError("依存関係を解決できませんでした。")
        frozen = subprocess.run([str(py), "-m", "pip", "freeze", "--exclude-editable"],
                                capture_output=True, text=True, check=True).stdout
    lines = sorted((l for l in frozen.splitlines() if l.strip() and not l.startswith("-e ")),
                   key=str.lower)
    header = (
        "# requirements.txt と requirements-test.txt から作った環境の pip freeze（全依存を固定）。\n"
        "# 手で編集しない。作り直すには: python3 kit.py lock（Python %d.%d で作成）\n"
        % sys.version_info[:2]
    )
    (ROOT / CONSTRAINTS).write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    say("constraints.txt を書き直しました（%d パッケージ）。" % len(lines))
    return 0


def cmd_factors(argv):
    """電力の排出係数ファイルの検査（cnkit.suppliers.check_factor_file。行と列を日本語で示す）。"""
    setup()
    return run([venv_python(), "-m", "cnkit.suppliers"] + (list(argv) or ["check"]))


COMMANDS = {
    "setup": cmd_setup,
    "start": cmd_start,
    "test": cmd_test,
    "build": cmd_build,
    "bench": cmd_bench,
    "instructor": cmd_instructor,
    "app": cmd_app,
    "grade": cmd_grade,
    "report": cmd_report,
    "lock": cmd_lock,
    "factors": cmd_factors,
    "hub": cmd_hub,
}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        sys.stdout.reconfigure(errors="replace")
        sys.stderr.reconfigure(errors="replace")
    except (AttributeError, ValueError):
        pass
    if not argv or argv[0] in ("-h", "--help", "help") or argv[0] not in COMMANDS:
        print(__doc__)
        if argv and argv[0] not in ("-h", "--help", "help"):
            print("不明なコマンドです: %s" % argv[0], file=sys.stderr)
            return 2
        return 0
    try:
        return COMMANDS[argv[0]](argv[1:])
    except KitError as exc:
        print("[kit] エラー: %s" % exc, file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n[kit] 中断しました。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
