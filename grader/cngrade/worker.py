"""One grading worker: a process that grades one submission after another.

Each worker has, in the run's scratch folder:

    worker-<pid>/course/source/<assignment>/   the assignment's files (not its notebooks)
    worker-<pid>/course/submitted/<student>/   the submission being graded (a copy)
    worker-<pid>/course/autograded/<student>/  nbgrader's output; the kernel's working folder
    worker-<pid>/gradebook.db                  its own copy of the course gradebook
    worker-<pid>/sock/                         ZeroMQ sockets of the kernel
    worker-<pid>/scratch/                      the kernel's TMPDIR and IPYTHONDIR

and runs nbgrader's own ``Autograde`` converter on that copy, with the course's configuration
(loaded as ``nbgrader autograde`` loads it, from the course folder), except that ``Execute``
is ``CohortExecute`` and kernels come from the worker's fork server in a sandbox.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

import nbformat

from . import gradebook as gbmod
from . import kernels
from .notes import ZERO_CODES, note, notes_from_notebook
from .settings import CohortGrader
from .submission import (is_this_assignment, json_to_notebook, load_assignment_cells,
                         read_submission, repair, structure_notes)

IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]

WORKER: "Worker | None" = None


def kernel_environment() -> dict:
    """The environment a grading kernel gets (as nbgrader's kernels do: this process's,
    with NBGRADER_EXECUTION=autograde), for the fork server that becomes those kernels."""
    env = dict(os.environ)
    env["NBGRADER_EXECUTION"] = "autograde"
    # what ipykernel sets before any user code, so matplotlib is imported as in a kernel
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def load_nbgrader_config(course_dir: Path):
    """The configuration ``nbgrader autograde`` would use, run from ``course_dir``."""
    from nbgrader.apps.autogradeapp import AutogradeApp

    cwd = os.getcwd()
    os.chdir(course_dir)
    try:
        app = AutogradeApp()
        app.initialize([])
    finally:
        os.chdir(cwd)
    return app


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:
            pass


def _walk(root: Path, skip: set[Path]) -> dict[str, tuple]:
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        dirnames[:] = [n for n in dirnames if d / n not in skip]
        for name in dirnames:
            state[str((d / name).relative_to(root))] = ("dir",)
        for name in filenames:
            p = d / name
            try:
                st = p.lstat()
            except OSError:
                continue
            state[str(p.relative_to(root))] = ("file", st.st_size, st.st_mtime_ns)
    return state


class Worker:
    def __init__(self, spec: dict):
        self.spec = spec
        self.course_dir = Path(spec["course_dir"])
        self.run_dir = Path(spec["run_dir"])
        self.dir = self.run_dir / f"worker-{os.getpid()}"
        self.root = self.dir / "course"
        for sub in ("source", "submitted", "autograded"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("sock", "scratch", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "gradebook.db"
        shutil.copyfile(spec["base_db"], self.db)
        os.chmod(self.db, 0o600)  # kernels must not read it (hidden tests, other grades)
        self.run_as = None
        self.db_url = f"sqlite:///{self.db}"

        self.app = load_nbgrader_config(self.course_dir)
        from nbgrader.coursedir import CourseDirectory

        # the course as it is (the app's own coursedir is pointed at the worker's copy below)
        self.real = CourseDirectory(config=copy.deepcopy(self.app.config))
        self.real.root = self.app.coursedir.root
        self.settings = CohortGrader(config=self.app.config)
        for key, value in (spec.get("overrides") or {}).items():
            setattr(self.settings, key, value)
        self.course_id = self.app.coursedir.course_id
        self.source_root = Path(self.real.format_path(self.real.source_directory, ".", "."))
        for aid in spec["assignments"]:
            src = self.source_root / aid
            dst = self.root / "source" / aid
            if src.is_dir() and not dst.exists():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*IGNORE, "*.ipynb"))
            dst.mkdir(parents=True, exist_ok=True)

        from traitlets.config import Config
        from nbgrader.converters import Autograde
        from nbgrader.preprocessors import Execute

        pre = Autograde(parent=self.app).autograde_preprocessors
        swapped = [kernels.CohortExecute if (p is Execute or p == "nbgrader.preprocessors.Execute"
                                             or p == "nbgrader.preprocessors.execute.Execute")
                   else p for p in pre]
        overrides = Config()
        overrides.CourseDirectory.root = str(self.root)
        overrides.CourseDirectory.db_url = self.db_url
        overrides.Autograde.autograde_preprocessors = swapped
        overrides.BaseConverter.force = True
        overrides.CohortExecute.notebook_timeout = int(self.settings.notebook_timeout)
        overrides.CohortExecute.max_output_chars = int(self.settings.max_output_chars)
        for key, value in (spec.get("execute_overrides") or {}).items():
            setattr(overrides.Execute, key, value)
        self.app.update_config(overrides)
        self.app.log.setLevel(logging.INFO)
        self.app.log.propagate = False
        for handler in list(self.app.log.handlers):
            self.app.log.removeHandler(handler)
        self.coursedir = CourseDirectory(parent=self.app)

        # kernels: sandbox, fork server
        ctx = kernels.CONTEXT
        ctx.ipc_dir = str(self.dir / "sock")
        ctx.kernel_log = str(self.dir / "logs" / "kernel.log")
        ctx.report_path = str(self.dir / "logs" / "sandbox.json")
        ctx.audit_path = str(self.dir / "logs" / "writes.jsonl")
        ctx.output_cap = int(self.settings.output_chars_per_cell) or None
        self.scratch = self.dir / "scratch"
        writable = [str(self.root / "autograded"), str(self.scratch), ctx.ipc_dir]
        self.run_as_problem = None
        if os.geteuid() == 0 and self.settings.sandbox_user:
            self.run_as = _user_ids(self.settings.sandbox_user)
            if self.run_as:
                self.run_as_problem = _unreadable_for(*self.run_as)
                if self.run_as_problem:
                    self.run_as = None
            if self.run_as:  # it must be able to reach its folders
                for d in (self.run_dir, self.dir, self.root):
                    os.chmod(d, 0o711)
        ctx.sandbox_spec = {
            "network": bool(self.settings.network),
            "writable": writable if self.settings.read_only else None,
            "hide": [str(self.course_dir)] if self.settings.read_only else [],
            "limits": self.settings.limits(),
            "run_as": list(self.run_as) if self.run_as else None,
        }
        ctx.extra_env = {"TMPDIR": str(self.scratch / "tmp"),
                         "IPYTHONDIR": str(self.scratch / "ipython")}
        self._ipython_template = self._ipython_dir_template()
        ctx.zygote = None
        self.zygote_info = {}
        if self.settings.fork_kernels:
            ctx.zygote = kernels.Zygote(kernel_environment(), list(self.settings.preload),
                                        self.dir / "logs" / "zygote.log")
            self.zygote_info = ctx.zygote.info
        self.others = self._other_assignments()

    # -- helpers -----------------------------------------------------------------------------
    def _ipython_dir_template(self) -> Path:
        """The user's IPython folder (config and startup files only), copied once; each kernel
        gets a fresh copy it may write to (IPython needs a writable folder)."""
        template = self.dir / "ipython-template"
        source = Path(os.environ.get("IPYTHONDIR") or Path.home() / ".ipython")
        template.mkdir(exist_ok=True)
        if source.is_dir():
            for profile in source.glob("profile_*"):
                for part in ("startup", "ipython_config.py", "ipython_kernel_config.py"):
                    p = profile / part
                    target = template / profile.name / part
                    try:
                        if p.is_dir():
                            shutil.copytree(p, target, dirs_exist_ok=True)
                        elif p.is_file():
                            target.parent.mkdir(parents=True, exist_ok=True)
                            shutil.copyfile(p, target)
                    except OSError:
                        pass
        return template

    def _fresh_scratch(self) -> None:
        if self.scratch.exists():
            _rmtree(self.scratch)
        self.scratch.mkdir()
        (self.scratch / "tmp").mkdir()
        shutil.copytree(self._ipython_template, self.scratch / "ipython")

    def _other_assignments(self) -> dict[str, set[str]]:
        """grade_ids of every notebook of every assignment in the gradebook."""
        found: dict[str, set[str]] = {}
        gb = gbmod.open_gradebook(self.db_url, self.course_id)
        try:
            for assignment in gb.assignments:
                for nb in assignment.notebooks:
                    ids = {c.name for c in nb.source_cells} | {c.name for c in nb.grade_cells}
                    found[assignment.name] = found.get(assignment.name, set()) | ids
        finally:
            gb.close()
        return found

    def _assignment(self, assignment: str):
        """Notebook names and cells of an assignment (read once: the gradebook's source
        cells do not change during a run)."""
        cache = self.__dict__.setdefault("_assignments", {})
        if assignment not in cache:
            gb = gbmod.open_gradebook(self.db_url, self.course_id)
            try:
                names = [nb.name for nb in gb.find_assignment(assignment).notebooks]
                cells = {name: load_assignment_cells(
                    gb, name, assignment, self.source_root / assignment / f"{name}.ipynb")
                    for name in names}
            finally:
                gb.close()
            cache[assignment] = (names, cells)
        return cache[assignment]

    # -- one submission ------------------------------------------------------------------------
    def grade(self, assignment: str, student: str) -> dict:
        t0 = time.perf_counter()
        result = {"student": student, "assignment": assignment, "status": "error", "notes": [],
                  "record": None, "staged": None, "seconds": 0.0, "worker": os.getpid(),
                  "log": []}
        capture = _Capture()
        self.app.log.addHandler(capture)
        try:
            self._grade(assignment, student, result, capture)
        except Exception as exc:  # never lose the run for one submission
            result["status"] = "error"
            result["notes"].append(note("grading_error", message=f"{type(exc).__name__}: {exc}"))
            result["log"].append(traceback.format_exc())
        finally:
            self.app.log.removeHandler(capture)
            result["log"] = capture.lines + result["log"]
            self._cleanup(assignment, student)
            result["seconds"] = round(time.perf_counter() - t0, 2)
        return result

    def _grade(self, assignment: str, student: str, result: dict, capture: _Capture) -> None:
        notes = result["notes"]
        real = Path(self.real.format_path(self.real.submitted_directory, student, assignment))
        wsub = self.root / "submitted" / student / assignment
        wout = self.root / "autograded" / student / assignment
        self._cleanup(assignment, student)
        # links stay links: the grader never reads what a link in a submission points to
        shutil.copytree(real, wsub, ignore=shutil.ignore_patterns(*IGNORE), symlinks=True)
        for p in wsub.rglob("*"):  # writable copies (the originals may be read-only)
            try:
                if not p.is_symlink():
                    p.chmod(p.stat().st_mode | 0o200)
            except OSError:
                pass

        names, cells = self._assignment(assignment)
        timestamp = self.coursedir.get_existing_timestamp(str(wsub))

        readable = {}
        for name in names:
            path = wsub / f"{name}.ipynb"
            if not path.exists():
                others = sorted(p for p in wsub.glob("*.ipynb") if p.stem not in names)
                matching = []
                for p in others:
                    r = read_submission(p)
                    if r.notebook is not None and is_this_assignment(r.notebook, cells[name]):
                        matching.append(p)
                if len(matching) == 1:
                    matching[0].rename(path)
                    notes.append(note("renamed", name=matching[0].name))
                else:
                    notes.append(note("missing", name=f"{name}.ipynb"))
                    continue
            read = read_submission(path)
            notes.extend(read.notes)
            if read.fatal:
                path.unlink()
                continue
            structure = structure_notes(read.notebook, cells[name], {
                k: v for k, v in self.others.items() if k != assignment}, self.app.config)
            notes.extend(structure)
            if any(n["code"] == "other_assignment" for n in structure):
                path.unlink()  # nothing of this assignment in it: 0, like a missing notebook
                continue
            repaired, repair_notes = repair(read.notebook, cells[name])
            notes.extend(repair_notes)
            if read.repaired or repaired:
                nbformat.write(read.notebook, path)
            readable[name] = read.notebook

        gb = gbmod.open_gradebook(self.db_url, self.course_id)
        try:
            if not readable:
                if not any(n["code"] in ZERO_CODES for n in notes):
                    notes.append(note("no_submission"))
                gbmod.zero_submission(gb, assignment, student, timestamp)
                result["record"] = gbmod.extract(gb, assignment, student)
                result["status"] = "zero"
                return
        finally:
            gb.close()

        self._fresh_scratch()
        own = {self.root / "autograded", self.root / "autograded" / student, wout}
        before = _walk(self.root, own)
        kernels.RUNS.clear()
        self._run_autograde(assignment, student)
        if self.run_as:
            kernels.chown_tree(str(self.root / "autograded"), os.getuid(), os.getgid())
        after = _walk(self.root, own)
        outside = sorted(k for k in set(before) | set(after)
                         if before.get(k) != after.get(k) and not k.startswith(
                             str(Path("submitted") / student / assignment)))
        # a folder of its own (autograded/<student>/<x>) next to the submission is outside too
        extra = sorted(str(p.relative_to(self.root)) for p in (self.root / "autograded").glob("*")
                       if p.name != student) + sorted(
            str(p.relative_to(self.root)) for p in (self.root / "autograded" / student).glob("*")
            if p.name != assignment)
        outside = sorted(set(outside) | set(extra))
        if outside:
            notes.append(note("write_outside", paths=", ".join(outside[:3])
                              + (" …" if len(outside) > 3 else "")))
            self._restore_source(assignment)

        audited = [_relative(p, wout, self.dir) for p in
                   _read_audit(Path(kernels.CONTEXT.audit_path))]
        if audited:
            notes.append(note("write_attempt", paths=", ".join(audited[:3])
                              + (" …" if len(audited) > 3 else "")))
        failed = any("There was an error processing assignment" in line for line in capture.lines)
        kernel_log = _read_tail(self.dir / "logs" / "kernel.log")
        for name in readable:
            out = wout / f"{name}.ipynb"
            run = kernels.RUNS.get(name, {})
            if out.exists():
                graded = json_to_notebook(json.loads(out.read_text(encoding="utf-8")))
                notes.extend(notes_from_notebook(graded, run.get("stopped"),
                                                 run.get("exit_code"), kernel_log,
                                                 run.get("limit")))
        gb = gbmod.open_gradebook(self.db_url, self.course_id)
        try:
            if failed or not wout.exists():
                errors = [line for line in capture.lines if line.startswith("[ERROR]")
                          and "There was an error processing" not in line
                          and "Please see the" not in line]
                last = (errors[-1] if errors else "").replace("[ERROR] ", "")
                last = last.strip().splitlines()[-1] if last.strip() else "詳しくはログを参照"
                raise RuntimeError(f"nbgrader が採点できませんでした（{last[:200]}）")
            result["record"] = gbmod.extract(gb, assignment, student)
        finally:
            gb.close()
        staged = self.run_dir / "staged" / assignment / student
        if staged.exists():
            _rmtree(staged)
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(wout), str(staged))
        result["staged"] = str(staged)
        result["status"] = "graded"

    def _run_autograde(self, assignment: str, student: str) -> None:
        from nbgrader.converters import Autograde, NbGraderException

        self.coursedir.assignment_id = assignment
        self.coursedir.student_id = student
        Path(kernels.CONTEXT.kernel_log).write_bytes(b"")
        Path(kernels.CONTEXT.audit_path).write_bytes(b"")
        converter = Autograde(coursedir=self.coursedir, parent=self.app)
        try:
            converter.start()
        except NbGraderException:
            pass  # logged; the caller looks at the log and the output folder

    def _restore_source(self, assignment: str) -> None:
        dst = self.root / "source" / assignment
        if dst.exists():
            _rmtree(dst)
        src = self.source_root / assignment
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*IGNORE, "*.ipynb"))
        else:
            dst.mkdir(parents=True)

    def _cleanup(self, assignment: str, student: str) -> None:
        for p in (self.root / "submitted" / student, self.root / "autograded" / student):
            if p.exists():
                _rmtree(p)
        # anything a kernel left next to the submissions
        for top in (self.root / "autograded", self.root / "submitted"):
            for p in top.iterdir() if top.exists() else []:
                _rmtree(p) if p.is_dir() else p.unlink()
        for p in self.root.iterdir():
            if p.name not in ("source", "submitted", "autograded"):
                _rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()

    def close(self) -> None:
        if kernels.CONTEXT.zygote is not None:
            kernels.CONTEXT.zygote.close()
            kernels.CONTEXT.zygote = None


def _can(uid: int, gid: int, path: str, bit: int) -> bool:
    """Does (uid, gid) have permission ``bit`` (4 read, 1 search) on ``path``? (mode bits)"""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if st.st_uid == uid:
        return bool(st.st_mode & (bit << 6))
    if st.st_gid == gid:
        return bool(st.st_mode & (bit << 3))
    return bool(st.st_mode & bit)


def _unreadable_for(uid: int, gid: int) -> str | None:
    """The first folder the sandbox user could not read that a kernel needs, if any."""
    import importlib.util
    import sysconfig

    needed = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
              os.path.realpath(sys.executable)]
    spec = importlib.util.find_spec("cnkit")
    if spec and spec.origin:
        needed.append(os.path.dirname(os.path.dirname(spec.origin)))
    for target in needed:
        target = os.path.realpath(target)
        parts = Path(target).parts
        for i in range(1, len(parts) + 1):
            p = os.path.join(*parts[:i])
            if os.path.isdir(p) and not _can(uid, gid, p, 1):
                return p
        if not _can(uid, gid, target, 4):
            return target
    return None


def _user_ids(name: str) -> tuple[int, int] | None:
    """uid and gid of the sandbox user (``nobody``), if it exists."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    if entry.pw_uid == 0:
        return None
    return entry.pw_uid, entry.pw_gid


def _relative(path: str, own: Path, scratch_root: Path) -> str:
    """A path as the trainee wrote it: relative to the submission folder when it is in the
    grader's scratch copy, absolute otherwise."""
    try:
        if Path(path).resolve().is_relative_to(scratch_root.resolve()):
            return os.path.relpath(path, own)
    except (OSError, ValueError):
        pass
    return path


def _read_audit(path: Path) -> list[str]:
    found = []
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line)["path"])
            except (ValueError, KeyError):
                continue
    except OSError:
        pass
    return list(dict.fromkeys(found))


def _read_tail(path: Path, limit: int = 20000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-limit:].decode("utf-8", "replace")


def _rmtree(path: Path) -> None:
    def onerror(func, p, _exc):
        try:
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    for dirpath, dirnames, _ in os.walk(path):
        for d in dirnames:
            try:
                os.chmod(os.path.join(dirpath, d), 0o700)
            except OSError:
                pass
    shutil.rmtree(path, onerror=onerror)


# --------------------------------------------------------------------------------------------
# entry points for the process pool
# --------------------------------------------------------------------------------------------
def init(spec: dict) -> None:
    global WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl+C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from .sandbox import set_parent_death_signal

    set_parent_death_signal(signal.SIGKILL)  # never outlive the command (its zygote follows)
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    WORKER = Worker(spec)
    import atexit

    atexit.register(WORKER.close)


def grade(job: tuple[str, str]) -> dict:
    assignment, student = job
    assert WORKER is not None
    return WORKER.grade(assignment, student)


def info(_=None) -> dict:
    assert WORKER is not None
    report = {}
    path = Path(kernels.CONTEXT.report_path or "")
    if path.is_file():
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            report = {}
    return {"pid": os.getpid(), "zygote": WORKER.zygote_info, "sandbox": report,
            "forked": kernels.CONTEXT.forked}


def feedback(job: tuple[str, str]) -> dict:
    assignment, student = job
    assert WORKER is not None
    return WORKER.feedback(assignment, student)


def _feedback(self: Worker, assignment: str, student: str) -> dict:
    """nbgrader's GenerateFeedback for one submission, on the course folder and gradebook."""
    from nbgrader.converters import GenerateFeedback, NbGraderException
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    if getattr(self, "_feedback_app", None) is None:
        _share_template_bytecode()
        app = load_nbgrader_config(self.course_dir)
        force = Config()
        force.BaseConverter.force = True
        app.update_config(force)
        app.log.setLevel(logging.INFO)
        app.log.propagate = False
        for handler in list(app.log.handlers):
            app.log.removeHandler(handler)
        self._feedback_app = app
    app = self._feedback_app
    capture = _Capture()
    app.log.addHandler(capture)
    ok = False
    try:
        coursedir = CourseDirectory(parent=app)
        coursedir.assignment_id = assignment
        coursedir.student_id = student
        try:
            GenerateFeedback(coursedir=coursedir, parent=app).start()
            ok = True
        except NbGraderException:
            ok = False
    except Exception as exc:
        capture.lines.append(f"{type(exc).__name__}: {exc}")
    finally:
        app.log.removeHandler(capture)
    return {"student": student, "assignment": assignment, "ok": ok,
            "log": capture.lines[-20:]}


Worker.feedback = _feedback


def _share_template_bytecode() -> None:
    """nbconvert builds a new Jinja environment for every notebook and compiles the feedback
    templates again (~0.4 s); keep the compiled bytecode in memory for this process. The HTML
    is the same; only the compilation is skipped."""
    import jinja2
    from nbconvert.exporters.templateexporter import TemplateExporter

    if getattr(TemplateExporter, "_cngrade_cache", None) is not None:
        return

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        def __init__(self):
            self.store: dict[str, bytes] = {}

        def load_bytecode(self, bucket):
            data = self.store.get(bucket.key)
            if data is not None:
                bucket.bytecode_from_string(data)

        def dump_bytecode(self, bucket):
            self.store[bucket.key] = bucket.bytecode_to_string()

    cache = MemoryBytecodeCache()
    original = TemplateExporter._create_environment

    def create_environment(self):
        env = original(self)
        env.bytecode_cache = cache
        return env

    TemplateExporter._create_environment = create_environment
    TemplateExporter._cngrade_cache = cache
