"""The course hub end to end on loopback (python3 kit.py hub; hub/): real PostgreSQL, JupyterHub,
configurable-http-proxy and nbgrader, one instructor and three trainees as system users.

Driven only through real interfaces: the hub's REST API with tokens, each user's server, and
nbgrader's commands run as that user (``runuser -u <user>``; the course's commands as the
course's grader account, which the formgrader service runs as). Root on Linux only.
Cleans up its users, processes and folders.
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import grading as g
import nbformat
import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="the course hub creates system users and runs servers as them: root on Linux only")

REPO = g.REPO
AID = "02_measure"
COURSE_ID = "cn-support"
START_TIMEOUT = 480  # first run: the hub's own environment is installed
FEEDBACK_SCORE = "{aid} (Score: {points:.1f} / {points:.1f})"


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self, state: Path, port: int, users: dict[str, dict]):
        self.state, self.port, self.users = state, port, users
        self.settings = json.loads((state / "hub" / "settings.json").read_text())
        self.base = f"http://127.0.0.1:{port}"
        self.tokens: dict[str, str] = {}

    @property
    def grader(self) -> str:
        return self.settings["grader_user"]

    @property
    def course(self) -> Path:
        return Path(self.settings["course_dir"])

    @property
    def bin(self) -> Path:
        return Path(self.settings["singleuser"]).parent

    def request(self, path: str, token: str | None = None, method: str = "GET", body=None,
                timeout: float = 30):
        """(status, text) of a request through the proxy; redirects are not followed."""
        headers = {"Authorization": f"token {token}"} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def admin(self, path: str, method: str = "GET", body=None, timeout: float = 60):
        status, text = self.request("/hub/api" + path, self.settings["admin_token"], method, body,
                                    timeout)
        assert status < 300, f"{method} {path} → {status}: {text[:500]}"
        return json.loads(text) if text else None

    def user_env(self, user: str) -> dict:
        home = Path(f"/home/{user}") if user != self.grader else self.course
        return {"HOME": str(home), "PATH": self.settings["path"], "LANG": "C.UTF-8",
                "LD_LIBRARY_PATH": self.settings["ld_library_path"],
                "JUPYTERHUB_USER": user, "JUPYTERHUB_API_TOKEN": self.tokens.get(user, ""),
                "JUPYTERHUB_API_URL": f"http://127.0.0.1:{self.settings['hub_port']}/hub/api",
                "JUPYTER_CONFIG_PATH": self.settings["trainee_config"]}

    def as_user(self, user: str, *cmd, cwd: Path | None = None, check=True, timeout=300):
        env = self.user_env(user)
        if user == self.grader:
            env.pop("JUPYTER_CONFIG_PATH")
        full = ["runuser", "-u", user, "--", "env", "-i"] + [f"{k}={v}" for k, v in env.items()] \
            + [str(c) for c in cmd]
        proc = subprocess.run(full, cwd=str(cwd or env["HOME"]), capture_output=True, text=True,
                              timeout=timeout)
        if check:
            assert proc.returncode == 0, f"{user}: {' '.join(map(str, cmd))} → " \
                f"{proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        return proc

    def nbgrader(self, user: str, *args, **kw):
        cwd = self.course if user == self.grader else None
        return self.as_user(user, self.bin / "python", "-m", "nbgrader", *args, cwd=cwd, **kw)

    def start_server(self, user: str) -> None:
        status, text = self.request(f"/hub/api/users/{user}/server", self.settings["admin_token"],
                                    "POST")
        assert status in (201, 202, 400), f"{user}: {status} {text[:300]}"  # 400: already running
        self.wait_server(user)

    def wait_server(self, user: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.admin(f"/users/{user}")
            server = (info.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise AssertionError(f"{user}'s server not ready in {timeout} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _login(hub: Hub, user: str, password: str) -> int:
    """A browser login through the hub's form; returns the status of the POST."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with opener.open(hub.base + "/hub/login", timeout=30) as resp:
        resp.read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    data = urllib.parse.urlencode({"username": user, "password": password,
                                   "_xsrf": xsrf}).encode()
    try:
        with opener.open(urllib.request.Request(hub.base + "/hub/login?next=", data=data),
                         timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _remove_user(uid: str, timeout: float = 30) -> None:
    """Kill the user's processes and delete the user, retrying while processes are still exiting."""
    deadline = time.monotonic() + timeout
    while True:
        subprocess.run(["pkill", "-KILL", "-u", uid], capture_output=True)
        gone = subprocess.run(["id", uid], capture_output=True).returncode != 0
        if gone or subprocess.run(["userdel", "-r", uid], capture_output=True).returncode in (0, 6):
            return
        if time.monotonic() > deadline:
            warnings.warn(f"could not remove the test user {uid}")
            return
        time.sleep(0.5)


@pytest.fixture(scope="module")
def hub():
    tag = secrets.token_hex(2)
    users = {f"cni{tag}": {"role": "instructor", "password": "pw-" + secrets.token_hex(6)}}
    for i in (1, 2, 3):
        users[f"cn{i}{tag}"] = {"role": "trainee", "password": "pw-" + secrets.token_hex(6)}
    state = Path(tempfile.mkdtemp(prefix="cnhub-", dir="/tmp"))
    state.chmod(0o755)
    roster = state / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "role", "password"])
        for uid, u in users.items():
            w.writerow([uid, "受講 " + uid, u["role"], u["password"]])
    port = _free_port()
    log = (state / "kit-hub.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(REPO / "kit.py"), "hub", "--roster", str(roster),
                             "--port", str(port), "--state-dir", str(state / "srv")],
                            cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    ready = state / "srv" / "hub" / "ready.json"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists():
            if proc.poll() is not None:
                hub_log = state / "srv" / "hub" / "jupyterhub.log"
                pytest.fail((state / "kit-hub.log").read_text(errors="replace")[-2000:] + (
                    hub_log.read_text(errors="replace")[-4000:] if hub_log.exists() else ""))
            assert time.monotonic() < deadline, "hub not ready in time"
            time.sleep(1)
        h = Hub(state / "srv", port, users)
        h.proc = proc
        yield h
    finally:
        _stop(proc)
        for uid in list(users) + [f"grader-{COURSE_ID}"]:
            _remove_user(uid)
        shutil.rmtree(state, ignore_errors=True)


def _ids(hub: Hub):
    inst = next(u for u, v in hub.users.items() if v["role"] == "instructor")
    t1, t2, t3 = (u for u, v in hub.users.items() if v["role"] == "trainee")
    return inst, t1, t2, t3


def test_training_day_on_the_hub(hub):
    inst, t1, t2, t3 = _ids(hub)
    trainees = [t1, t2, t3]

    # logins: roster passwords work (PAM), a login outside the roster is refused
    assert _login(hub, t1, hub.users[t1]["password"]) == 302
    assert _login(hub, t1, "wrong-password") == 403
    assert _login(hub, "root", "x") == 403
    assert _login(hub, "nobody-" + secrets.token_hex(3), "x") == 403

    groups = {grp["name"]: set(grp["users"]) for grp in hub.admin("/groups")}
    assert groups["instructors"] == {inst} and groups[f"formgrade-{COURSE_ID}"] == {inst}
    assert groups["trainees"] == set(trainees) == groups[f"nbgrader-{COURSE_ID}"]

    for user in hub.users:
        hub.tokens[user] = hub.admin(f"/users/{user}/tokens", "POST",
                                     {"note": "test", "expires_in": 3600})["token"]
    for user in trainees:
        hub.start_server(user)

    # each trainee's server: the kit's Japanese Lab with the course index, as its own user
    status, text = hub.request(f"/user/{t1}/api/contents/notebooks/index.ipynb", hub.tokens[t1])
    assert status == 200, text[:300]
    status, text = hub.request(
        f"/user/{t1}/lab/api/settings/@jupyterlab/translation-extension:plugin", hub.tokens[t1])
    # the kit's overrides.json (kit.py setup) makes ja_JP the default of every user's Lab
    assert status == 200, text[:300]
    assert json.loads(text)["schema"]["properties"]["locale"]["default"] == "ja_JP"
    status, text = hub.request(f"/user/{t1}/lab", hub.tokens[t1])
    assert status == 200
    assert '"@jupyter/nbgrader:formgrader": true' in text.replace("\\", "") or \
        "@jupyter/nbgrader:formgrader" in text
    assert "@jupyter/nbgrader:assignment-list" not in text  # the Assignment List is shown
    owner = subprocess.run(["ps", "-o", "user=", "-u", t1], capture_output=True, text=True)
    assert t1 in owner.stdout

    # the instructor releases 02_measure (the course's commands run as its grader account)
    hub.nbgrader(hub.grader, "generate_assignment", AID, "--force")
    hub.nbgrader(hub.grader, "release_assignment", AID)
    status, text = hub.request(f"/user/{t1}/assignments?course_id={COURSE_ID}", hub.tokens[t1])
    assert status == 200 and AID in text, text[:500]  # the server's Assignment List sees it

    source = g.source_notebook(hub.course, AID)
    full = g.full_submission(source)
    partial = g.partial_submission(source)
    answers = {t1: full, t3: partial.notebook}
    for user in trainees:
        hub.nbgrader(user, "fetch_assignment", AID, "--course", COURSE_ID)
        nb_path = Path(f"/home/{user}/{AID}/{AID}.ipynb")
        assert nb_path.is_file()
        if user in answers:
            proc = subprocess.run(["runuser", "-u", user, "--", "tee", str(nb_path)],
                                  input=nbformat.writes(answers[user]), text=True,
                                  capture_output=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
        hub.nbgrader(user, "submit", AID, "--course", COURSE_ID)

    # security: trainee 2 sees nothing of the others, the sources, the answers or the formgrader
    for path in [f"/home/{t1}", f"/home/{t1}/{AID}/{AID}.ipynb",
                 str(hub.state / "exchange" / COURSE_ID / "inbound"),
                 str(hub.course / "source" / AID / f"{AID}.ipynb"),
                 str(REPO / "solutions"), str(REPO / "course" / "source"),
                 str(hub.state / "hub" / "settings.json")]:
        proc = hub.as_user(t2, "ls", path, check=False)
        assert proc.returncode != 0, f"{t2} can read {path}: {proc.stdout[:300]}"
    status, _ = hub.request(f"/user/{t1}/api/contents/{AID}", hub.tokens[t2])
    assert status in (302, 403), status
    status, _ = hub.request(f"/services/{COURSE_ID}/formgrader/api/assignments", hub.tokens[t2])
    assert status in (302, 403), status
    status, text = hub.request(f"/services/{COURSE_ID}/formgrader/api/assignments",
                               hub.tokens[inst], timeout=60)
    assert status == 200 and AID in text, (status, text[:500])

    # collect and grade with kit.py grade's script (grader/grade_cohort.py) on the PostgreSQL gradebook
    hub.nbgrader(hub.grader, "collect", AID)
    proc = hub.as_user(hub.grader, hub.bin / "python", REPO / "grader" / "grade_cohort.py",
                       "--course", hub.course, AID, "--jobs", "2", cwd=hub.course, timeout=600,
                       check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    src_nb = nbformat.read(source, as_version=4)
    auto_points = sum(p for gid, p in g.grade_points(src_nb).items()
                      if gid not in g.manual_grade_ids(src_nb))
    expected = {t1: auto_points, t2: 0.0, t3: partial.expected_total}
    assert hub.settings["gradebook_db_url"].startswith("postgresql")
    scores = _pg_scores(hub)
    assert scores == pytest.approx(expected), scores
    with (hub.course / "cohort" / "grades.csv").open(encoding="utf-8-sig") as f:
        rows = {r[next(iter(r))]: r for r in csv.DictReader(f)}
    assert set(trainees) <= set(rows), rows.keys()

    # feedback: generated, released, fetched by trainee 1 with the score in it
    hub.nbgrader(hub.grader, "generate_feedback", AID, "--force")
    hub.nbgrader(hub.grader, "release_feedback", AID)
    hub.nbgrader(t1, "fetch_feedback", AID, "--course", COURSE_ID)
    html = list(Path(f"/home/{t1}/{AID}/feedback").glob(f"*/{AID}.html"))
    assert len(html) == 1
    assert FEEDBACK_SCORE.format(aid=AID, points=auto_points) in html[0].read_text("utf-8")


def _pg_scores(hub: Hub) -> dict[str, float]:
    sql = ("SELECT s.student_id, SUM(COALESCE(g.manual_score, g.auto_score, 0)) "
           "FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id "
           "JOIN submitted_assignment s ON n.assignment_id = s.id "
           "JOIN assignment a ON s.assignment_id = a.id "
           f"WHERE a.name = '{AID}' GROUP BY s.student_id")
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))[-1]
    proc = subprocess.run(["runuser", "-u", "postgres", "--", str(pg_bin), "-h",
                           str(hub.state / "pg" / "run"), "-p", str(hub.settings["pg_port"]),
                           "-d", "gradebook_" + COURSE_ID.replace("-", "_"), "-tAF,", "-c", sql],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return {line.split(",")[0]: float(line.split(",")[1])
            for line in proc.stdout.splitlines() if line.strip()}
