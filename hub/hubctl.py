"""Set up and run the course hub: PostgreSQL, system users from the roster, the nbgrader
exchange and course, JupyterHub with configurable-http-proxy, the formgrader service and the
idle culler. Called by `python3 kit.py hub` (as root, with the kit's .venv python).

    <state>/                     (default /srv/cn-hub, root 0755)
      pg/data, pg/run            PostgreSQL cluster (postgres user), socket; 127.0.0.1:<pg port>
      hub/                       root 0700: settings.json (passwords, tokens), cookie secret, logs
      course/                    grader-<course> 2770: the nbgrader course (source, release, gradebook on PostgreSQL)
      exchange/<course>/         nbgrader exchange: outbound 0755, inbound 2733 (write, not list)
      etc/trainee, etc/formgrader  Jupyter config of the trainees' servers / of the formgrader
      initial_passwords.csv      root 0600: passwords the kit made for empty roster cells
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roster import Person, RosterError, read_roster  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"
PROXY = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
# what trainees must not read in the repository (the course's sources and answers)
PRIVATE = ["solutions", "course", "tests", ".git"]
COURSE_FILES = ["nbgrader_config.py", "syllabus.yml", "source", "rubrics"]
TRAINEE_PAGE_CONFIG = {"disabledExtensions": {
    "@jupyter/nbgrader:course-list": True,
    "@jupyter/nbgrader:create-assignment": True,
    "@jupyter/nbgrader:formgrader": True,
}}
TRAINEE_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}}}


class HubError(Exception):
    """A problem told to the user in Japanese."""


def say(msg: str) -> None:
    print("[hub] " + msg, flush=True)


def sh(cmd, user: str | None = None, check=True, **kw) -> subprocess.CompletedProcess:
    cmd = [str(c) for c in cmd]
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise HubError(f"コマンドが失敗しました（終了コード {proc.returncode}）: {' '.join(cmd)}\n"
                       f"{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# ------------------------------------------------------------------ PostgreSQL

def pg_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise HubError("PostgreSQL が見つかりません。`apt-get install postgresql` を実行してください"
                       "（kit.py hub は root なら自動で入れます）。")
    return found[-1].parent


class Postgres:
    def __init__(self, state: Path, port: int):
        self.dir = state / "pg"
        self.data = self.dir / "data"
        self.run_dir = self.dir / "run"
        self.port = port
        self.bin = pg_bindir()

    def init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(exist_ok=True)
        shutil.chown(self.dir, "postgres", "postgres")
        shutil.chown(self.run_dir, "postgres", "postgres")
        self.dir.chmod(0o700)
        if not (self.data / "PG_VERSION").exists():
            say("PostgreSQL のデータベース（クラスタ）を作ります: %s" % self.data)
            sh([self.bin / "initdb", "-D", self.data, "-U", "postgres", "-E", "UTF8",
                "--no-locale", "--auth-local=peer", "--auth-host=scram-sha-256"], user="postgres")

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.run_dir}"
        sh([self.bin / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.dir / "postgresql.log",
            "-w", "-t", "60", "start"], user="postgres")
        say(f"PostgreSQL を起動しました（127.0.0.1:{self.port}）")

    def stop(self) -> None:
        sh([self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"], user="postgres",
           check=False)

    def psql(self, sql: str, db: str = "postgres") -> str:
        return sh([self.bin / "psql", "-h", self.run_dir, "-p", self.port, "-U", "postgres",
                   "-d", db, "-v", "ON_ERROR_STOP=1", "-tAc", sql], user="postgres").stdout

    def ensure_db(self, role: str, password: str, db: str) -> str:
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname='{role}'").strip():
            self.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        else:
            self.psql(f"ALTER ROLE {role} PASSWORD '{password}'")
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'").strip():
            self.psql(f"CREATE DATABASE {db} OWNER {role}")
        return f"postgresql+psycopg2://{role}:{password}@127.0.0.1:{self.port}/{db}"


# ------------------------------------------------------------------ users, course, exchange

def ensure_user(person: Person, password: str, notebooks: Path) -> bool:
    """The person's system user with a private home and their own copy of the notebooks."""
    created = False
    if not user_exists(person.id):
        sh(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", person.name,
            "-K", "HOME_MODE=0700", person.id])
        sh(["chpasswd"], input=f"{person.id}:{password}\n")
        created = True
    info = pwd.getpwnam(person.id)
    home = Path(info.pw_dir)
    home.chmod(0o700)
    target = home / "notebooks"
    if not target.exists() and notebooks.is_dir():  # never overwrite a trainee's work
        shutil.copytree(notebooks, target)
        sh(["chown", "-R", f"{info.pw_uid}:{info.pw_gid}", target])
    return created


def ensure_system_user(name: str, home: Path) -> None:
    if not user_exists(name):
        sh(["useradd", "--system", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin",
            name])


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def setup_course(state: Path, course_id: str, grader: str, db_url: str) -> tuple[Path, Path]:
    course = state / "course"
    exchange = state / "exchange"
    if not course.exists():
        course.mkdir(parents=True)
        for name in COURSE_FILES:
            src = ROOT / "course" / name
            if src.is_dir():
                shutil.copytree(src, course / name)
            elif src.exists():
                shutil.copy2(src, course / name)
        with (course / "nbgrader_config.py").open("a", encoding="utf-8") as f:
            f.write("\n# --- the course hub (written by python3 kit.py hub) ---\n"
                    f'c.CourseDirectory.course_id = "{course_id}"\n'
                    f'c.Exchange.root = "{exchange}"\n'
                    'exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '
                    '".hub_db.py"), encoding="utf-8").read())\n')
    # the gradebook's URL (with its password) in a file only the grader account reads
    (course / ".hub_db.py").write_text(f'c.CourseDirectory.db_url = "{db_url}"\n', encoding="utf-8")
    sh(["chown", "-R", f"{grader}:{grader}", course])
    course.chmod(0o2770)
    (course / ".hub_db.py").chmod(0o600)
    # the exchange: nbgrader's permissions (outbound readable, inbound writable but not listable)
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o1777)  # nbgrader requires a world-writable root; sticky: nobody deletes others
    for sub, mode in (("", 0o755), ("outbound", 0o755), ("inbound", 0o2733), ("feedback", 0o711)):
        d = exchange / course_id / sub
        d.mkdir(parents=True, exist_ok=True)
        shutil.chown(d, grader, grader)
        d.chmod(mode)
    return course, exchange


def setup_jupyter_config(state: Path, course_id: str, exchange: Path) -> tuple[Path, Path]:
    trainee = state / "etc" / "trainee"
    formgrader = state / "etc" / "formgrader"
    nbg = (f'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "{course_id}"\n'
           f'c.Exchange.root = "{exchange}"\n'
           "from nbgrader.auth import JupyterHubAuthPlugin\n"
           "c.Authenticator.plugin_class = JupyterHubAuthPlugin\n")
    for d in (trainee, formgrader):
        d.mkdir(parents=True, exist_ok=True)
    (trainee / "nbgrader_config.py").write_text(nbg, encoding="utf-8")
    write_json(trainee / "labconfig" / "page_config.json", TRAINEE_PAGE_CONFIG)
    write_json(trainee / "jupyter_server_config.json", TRAINEE_SERVER_CONFIG)
    write_json(formgrader / "labconfig" / "page_config.json", {})
    for p in [state / "etc"] + list((state / "etc").rglob("*")):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return trainee, formgrader


def hide_private_files() -> None:
    """Trainees' servers run as their own users: the repository's sources and answers are closed."""
    for name in PRIVATE:
        p = ROOT / name
        if p.is_dir():
            p.chmod(p.stat().st_mode & 0o7770 & ~0o007)


# ------------------------------------------------------------------ apply the roster

def load_secrets(hub_dir: Path) -> dict:
    path = hub_dir / "secrets.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for key in ("hub_db", "gradebook_db", "proxy_token", "formgrader_token", "admin_token"):
        data.setdefault(key, secrets.token_hex(24))
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    path.chmod(0o600)
    return data


def apply_roster(people: list[Person], state: Path) -> dict[str, str]:
    """Create missing users; returns the passwords made for the new ones without a password."""
    made: dict[str, str] = {}
    for person in people:
        password = person.password or secrets.token_urlsafe(9)
        if ensure_user(person, password, ROOT / "notebooks") and not person.password:
            made[person.id] = password
    if made:
        path = state / "initial_passwords.csv"
        rows = []
        if path.exists():
            rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))[1:]
        rows += [[uid, pw] for uid, pw in made.items()]
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["id", "password"]] + rows)
        path.chmod(0o600)
        say(f"初期パスワードを作りました（{len(made)} 人）: {path}（root だけが読めます。本人に渡してください）")
    return made


def groups_of(people: list[Person], course_id: str) -> dict[str, list[str]]:
    trainees = [p.id for p in people if p.role == "trainee"]
    instructors = [p.id for p in people if p.role == "instructor"]
    return {"trainees": trainees, "instructors": instructors,
            "nbgrader-" + course_id: trainees, "formgrade-" + course_id: instructors}


def api(settings: dict, method: str, path: str, body=None, timeout=10):
    url = "http://127.0.0.1:%d/hub/api%s" % (settings["hub_port"], path)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": "token " + settings["admin_token"], "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def sync_running_hub(settings: dict, people: list[Person]) -> bool:
    """Add late users and their groups to a hub that is already running."""
    try:
        known = {u["name"] for u in api(settings, "GET", "/users")}
    except OSError:
        return False
    new = [p.id for p in people if p.id not in known]
    if new:
        api(settings, "POST", "/users", {"usernames": new})
    for group, users in settings["groups"].items():
        if users:
            api(settings, "POST", f"/groups/{group}/users", {"users": users})
    say(f"起動中の Hub に名簿を反映しました（追加 {len(new)} 人）")
    return True


# ------------------------------------------------------------------ run

def stop_servers(settings: dict) -> None:
    try:
        users = api(settings, "GET", "/users")
    except OSError:
        return
    for u in users:
        for name in (u.get("servers") or {}):
            try:
                api(settings, "DELETE", f"/users/{u['name']}/servers/{name}" if name else
                    f"/users/{u['name']}/server", timeout=30)
            except OSError:
                pass


def wait_ready(settings: dict, proc, timeout=90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HubError("JupyterHub が起動直後に終了しました。ログ: %s" % settings["log"])
        try:  # through the proxy: ready once the hub's route is there
            host = "127.0.0.1" if settings["ip"] in ("0.0.0.0", "") else settings["ip"]
            urllib.request.urlopen("http://%s:%d/hub/api" % (host, settings["port"]), timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise HubError("JupyterHub が %d 秒以内に起動しませんでした。ログ: %s" % (timeout, settings["log"]))


def start_hub(settings: dict, hub_dir: Path):
    env = dict(os.environ, CNHUB_SETTINGS=str(hub_dir / "settings.json"), PATH=settings["path"])
    log = open(settings["log"], "ab")
    return subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(CONFIG)], cwd=str(hub_dir),
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="kit.py hub", description="講座用の JupyterHub を準備して起動する（root で実行）")
    p.add_argument("--roster", required=True, help="名簿 CSV（列: id,name,role,password）")
    p.add_argument("--ip", default="127.0.0.1", help="待ち受けるアドレス（既定 127.0.0.1）")
    p.add_argument("--port", type=int, default=8000, help="待ち受けるポート（既定 8000）")
    p.add_argument("--course-id", default="cn-support", help="nbgrader の講座 ID（既定 cn-support）")
    p.add_argument("--state-dir", default="/srv/cn-hub", help="Hub のデータを置くフォルダ（既定 /srv/cn-hub）")
    p.add_argument("--pg-port", type=int, default=0, help="PostgreSQL のポート（既定: 空いている番号）")
    p.add_argument("--cull-timeout", type=int, default=3600, help="操作のないサーバを止めるまでの秒数（既定 3600）")
    p.add_argument("--apply-only", action="store_true",
                   help="名簿だけを反映する（起動中の Hub にも遅れて来た受講者を追加）")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if os.geteuid() != 0:
        raise HubError("kit.py hub は root で実行してください（システムユーザーを作り、各自の権限でサーバを起動するため）。")
    people = read_roster(Path(args.roster))
    state = Path(args.state_dir).resolve()
    hub_dir = state / "hub"
    hub_dir.mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)
    hub_dir.chmod(0o700)
    settings_path = hub_dir / "settings.json"
    old = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.exists() else {}
    keys = load_secrets(hub_dir)
    course_id = args.course_id
    grader = "grader-" + course_id
    hide_private_files()
    apply_roster(people, state)
    ensure_system_user(grader, state / "course")
    pg = Postgres(state, args.pg_port or old.get("pg_port") or free_port())
    settings = dict(old)
    settings.update({
        "course_id": course_id, "ip": args.ip, "port": args.port,
        "hub_port": old.get("hub_port") or free_port(),
        "proxy_api_port": old.get("proxy_api_port") or free_port(),
        "formgrader_port": old.get("formgrader_port") or free_port(),
        "pg_port": pg.port, "proxy_command": str(PROXY), "proxy_token": keys["proxy_token"],
        "formgrader_token": keys["formgrader_token"], "admin_token": keys["admin_token"],
        "hub_dir": str(hub_dir), "singleuser": str(VENV_BIN / "jupyterhub-singleuser"),
        "python": sys.executable, "grader_user": grader, "cull_timeout": args.cull_timeout,
        "path": os.pathsep.join([str(VENV_BIN), str(PROXY.parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        # a copied Python (kit.py hub's .hub-python) must find its own libpython, not the system's
        "ld_library_path": str(Path(sys.base_prefix) / "lib"),
        "log": str(hub_dir / "jupyterhub.log"), "state_dir": str(state),
    })
    roster_ids = [p.id for p in people]
    settings["allowed_users"] = sorted(set(old.get("allowed_users", [])) | set(roster_ids))
    new_groups = groups_of(people, course_id)
    settings["groups"] = {g: sorted(set(old.get("groups", {}).get(g, [])) | set(u))
                          for g, u in new_groups.items()}
    if args.apply_only:
        write_json(settings_path, settings)
        settings_path.chmod(0o600)
        if old and not sync_running_hub(settings, people):
            say("Hub は起動していません。次に起動したときに名簿が反映されます。")
        return 0
    pg.init()
    pg.start()
    try:
        settings["hub_db_url"] = pg.ensure_db("cnhub", keys["hub_db"], "jupyterhub")
        gb_db = "gradebook_" + course_id.replace("-", "_")
        settings["gradebook_db_url"] = pg.ensure_db("gradebook", keys["gradebook_db"], gb_db)
        course, exchange = setup_course(state, course_id, grader, settings["gradebook_db_url"])
        trainee_cfg, formgrader_cfg = setup_jupyter_config(state, course_id, exchange)
        settings.update(course_dir=str(course), trainee_config=str(trainee_cfg),
                        formgrader_config=str(formgrader_cfg))
        write_json(settings_path, settings)
        settings_path.chmod(0o600)
        return run_hub(settings, hub_dir)
    finally:
        pg.stop()
        say("PostgreSQL を停止しました。")


def run_hub(settings: dict, hub_dir: Path) -> int:
    stopping = []

    def stop(*_):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    proc = start_hub(settings, hub_dir)
    wait_ready(settings, proc)
    say("講座 Hub を起動しました: http://%s:%d/ （終了は Ctrl+C）" % (settings["ip"], settings["port"]))
    say("講師の採点画面: http://%s:%d/services/%s/formgrader" % (settings["ip"], settings["port"],
                                                               settings["course_id"]))
    write_json(hub_dir / "ready.json", {"pid": os.getpid(), "hub_pid": proc.pid})
    try:
        while not stopping:
            if proc.poll() is not None:  # the hub died: start it again, the servers keep running
                say("JupyterHub が終了したため再起動します（受講者のサーバはそのまま）")
                proc = start_hub(settings, hub_dir)
                wait_ready(settings, proc)
                write_json(hub_dir / "ready.json", {"pid": os.getpid(), "hub_pid": proc.pid})
            time.sleep(0.5)
    finally:
        (hub_dir / "ready.json").unlink(missing_ok=True)
        say("停止しています: 受講者のサーバ、Hub、プロキシ...")
        stop_servers(settings)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        stop_proxy(hub_dir)
    return 0


def stop_proxy(hub_dir: Path) -> None:
    pid_file = hub_dir / "jupyterhub-proxy.pid"
    try:
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    except (OSError, ValueError):
        pass
    pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (HubError, RosterError) as exc:
        print("[hub] エラー: %s" % exc, file=sys.stderr)
        sys.exit(2)
