"""Grading kernels on the worker side: the zygote client, a kernel provisioner and kernel
manager that use it, and nbgrader's Execute preprocessor with the cohort's limits.

Nothing here changes what nbgrader decides: the notebook is still executed cell by cell by
nbgrader's ``Execute`` (nbclient), with the course's ``Execute.*`` settings. What changes:

- where the kernel comes from (forked from the zygote, in a sandbox);
- what happens when the kernel dies, or stops answering: nbgrader gives up on the student
  (no grade at all); here the cells not run get an error output, so the cells that did run
  keep their points and the others score 0, and the run goes on;
- a per-notebook wall-clock limit on top of nbgrader's per-cell timeout;
- a cap on the outputs the grader keeps in memory (never an error, a stderr stream or a
  result: they decide the grade).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

from . import sandbox

HERE = Path(__file__).resolve().parent

# ename of the error outputs this module adds (read by notes.py)
NOT_RUN = "GradingStopped"
KERNEL_DIED = "KernelDied"
NOTEBOOK_TIMEOUT = "NotebookTimeout"
OUTPUT_DROPPED = "（出力が多すぎるため、採点では一部を保存していません / some output was not kept while grading）"


# --------------------------------------------------------------------------------------------
# the zygote, seen from the worker
# --------------------------------------------------------------------------------------------
class Zygote:
    """A fork server process (sandbox.zygote_main) and its JSON-lines protocol."""

    def __init__(self, env: dict, preload: list[str], log_path: Path):
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "sandbox.py"), json.dumps(list(preload))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, env=env,
            cwd=str(self.log_path.parent), start_new_session=True,
        )
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._replies: dict[int, dict] = {}
        self._exits: dict[int, int] = {}
        self.limit_kills: dict[int, str] = {}
        self._next = 0
        self._ready: dict | None = None
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True, name="zygote-reader")
        self._reader.start()
        with self._cond:
            self._cond.wait_for(lambda: self._ready is not None or self._closed, timeout=120)
        if self._ready is None:
            raise RuntimeError("採点用カーネルの準備（zygote）に失敗しました / the zygote did not "
                               f"start; see {self.log_path}")

    @property
    def info(self) -> dict:
        return dict(self._ready or {})

    def _read(self) -> None:
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            with self._cond:
                if "ready" in msg:
                    self._ready = msg
                elif "exit" in msg:
                    self._exits[int(msg["exit"])] = int(msg["code"])
                elif "limit" in msg:
                    self.limit_kills[int(msg["limit"])] = msg.get("reason", "")
                elif "id" in msg:
                    self._replies[int(msg["id"])] = msg
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def alive(self) -> bool:
        return self.proc.poll() is None and not self._closed

    def spawn(self, argv: list[str], env: dict, cwd: str, log: str, **extra) -> int:
        """Fork a kernel; ``extra``: sandbox, report, output_cap, audit, audit_allowed."""
        with self._lock:
            self._next += 1
            rid = self._next
            request = {"op": "spawn", "id": rid, "argv": argv, "env": env, "cwd": cwd,
                       "log": log, **extra}
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        with self._cond:
            self._cond.wait_for(lambda: rid in self._replies or self._closed, timeout=60)
            reply = self._replies.pop(rid, None)
        if reply is None or "pid" not in reply:
            raise RuntimeError(f"カーネルを起動できませんでした / could not fork a kernel: {reply}")
        return int(reply["pid"])

    def exit_code(self, pid: int) -> int | None:
        with self._cond:
            if pid in self._exits:
                return self._exits[pid]
            if self._closed:
                return -signal.SIGKILL
        return None

    def wait(self, pid: int, timeout: float | None = None) -> int | None:
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or self._closed, timeout=timeout)
        return self.exit_code(pid)

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


class ForkedProcess:
    """The bits of ``subprocess.Popen`` that LocalProvisioner uses, for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.wait(self.pid, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)
            if sig == signal.SIGKILL:  # the zygote reports the exit within milliseconds
                self.wait(timeout=2)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


# --------------------------------------------------------------------------------------------
# per-worker state (one worker process grades one notebook at a time)
# --------------------------------------------------------------------------------------------
class KernelContext:
    """What the provisioner needs to start a kernel for the current notebook."""

    zygote: Zygote | None = None
    sandbox_spec: dict = {}
    output_cap: int | None = None
    ipc_dir: str | None = None
    kernel_log: str | None = None
    report_path: str | None = None
    last_pid: int | None = None
    last_exit: int | None = None
    forked: bool = False
    extra_env: dict = {}
    audit_path: str | None = None


CONTEXT = KernelContext()

# notebook name → {"stopped": ..., "exit_code": ...} of the last run (read by the worker)
RUNS: dict[str, dict] = {}


def chown_tree(path: str, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            try:
                os.chown(name, uid, gid, follow_symlinks=False)
            except OSError:
                pass


def _same_python(executable: str) -> bool:
    try:
        return os.path.realpath(executable) == os.path.realpath(sys.executable)
    except OSError:
        return False


class CohortProvisioner(LocalProvisioner):
    """LocalProvisioner that forks the kernel from the zygote (or, when the kernel command is
    not this interpreter's ipykernel, starts it normally inside the same sandbox)."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        ctx = CONTEXT
        env = dict(kwargs.get("env") or os.environ)
        env.update(ctx.extra_env or {})
        for folder in (ctx.extra_env or {}).values():
            os.makedirs(folder, exist_ok=True)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        ctx.last_pid = ctx.last_exit = None
        log = ctx.kernel_log or os.devnull
        run_as = (ctx.sandbox_spec or {}).get("run_as")
        if run_as and os.geteuid() == 0:
            # the kernel runs as an unprivileged user: give it its folders
            for path in (cwd, *(ctx.extra_env or {}).values(), ctx.ipc_dir):
                if path:
                    chown_tree(path, *run_as)
            if self.parent is not None and getattr(self.parent, "connection_file", None):
                try:
                    os.chown(self.parent.connection_file, *run_as)
                except OSError:
                    pass
        forkable = (ctx.zygote is not None and ctx.zygote.alive() and len(cmd) >= 3
                    and _same_python(cmd[0]) and cmd[1:3] == ["-m", "ipykernel_launcher"])
        if forkable:
            pid = ctx.zygote.spawn(
                cmd[3:], env, cwd, log, sandbox=ctx.sandbox_spec, report=ctx.report_path,
                output_cap=ctx.output_cap, audit=ctx.audit_path,
                audit_allowed=[ctx.ipc_dir or "", *(ctx.extra_env or {}).values()])
            self.process = ForkedProcess(ctx.zygote, pid)
            ctx.forked = True
        else:
            spec = ctx.sandbox_spec
            report = ctx.report_path

            def preexec() -> None:  # in the child, before exec
                out = open(report, "w", encoding="utf-8") if report else None
                rep = sandbox.apply_sandbox(spec)
                if out is not None:
                    json.dump(rep, out)
                    out.close()

            posix = os.name == "posix" and sandbox.resource is not None
            with open(log, "ab") as log_file:
                self.process = subprocess.Popen(
                    cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log_file,
                    stderr=log_file, start_new_session=posix,
                    preexec_fn=preexec if posix else None)
            ctx.forked = False
        self.pid = self.process.pid
        self.pgid = self.process.pid if os.name == "posix" else None  # its own process group
        self.cwd = cwd
        ctx.last_pid = self.pid
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        await super().send_signal(signum)
        if signum == signal.SIGKILL and isinstance(self.process, ForkedProcess):
            self.process.wait(timeout=2)  # so that is_alive() is False at once

    async def poll(self):
        ret = await super().poll()
        if ret is not None and CONTEXT.last_exit is None:
            CONTEXT.last_exit = ret
        return ret


class CohortKernelManager(AsyncKernelManager):
    """AsyncKernelManager with ZeroMQ over Unix sockets in the worker's folder (no TCP: the
    kernel may live in a network namespace without even a loopback) and CohortProvisioner."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if CONTEXT.ipc_dir:
            self.transport = "ipc"
            self.ip = os.path.join(CONTEXT.ipc_dir, "k")
            self.connection_file = os.path.join(CONTEXT.ipc_dir, "kernel.json")

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or "cohort"
            self.provisioner = CohortProvisioner(kernel_id=self.kernel_id,
                                                 kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


# --------------------------------------------------------------------------------------------
# nbgrader's Execute, with a notebook deadline and a dead kernel that does not stop grading
# --------------------------------------------------------------------------------------------
def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class CohortExecute(Execute):
    """nbgrader's Execute preprocessor (same ``Execute.*`` configuration), plus:

    - ``notebook_timeout``: wall-clock seconds for the whole notebook; a cell never gets more
      than what is left; when nothing is left, the remaining cells are not run;
    - a kernel that dies or stops answering ends the run of *this* notebook only: the cell that
      was running and the cells after it get an error output (so they score 0 as nbgrader
      scores any failing cell), and grading goes on;
    - ``max_output_chars``: outputs kept per notebook by the grader; past it, display data and
      stream text are dropped (an error, a stderr stream and a result are always kept).
    """

    notebook_timeout = Integer(600, help="Wall-clock seconds for one notebook (0: none)").tag(
        config=True)
    max_output_chars = Integer(20_000_000, help="Output characters kept per notebook").tag(
        config=True)
    kill_grace = Float(1.0).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = CohortKernelManager
        super().__init__(*args, **kwargs)
        self.shutdown_kernel = "immediate"  # results are in; no need for a graceful exit
        self.stopped: dict | None = None
        self._deadline: float | None = None
        self._kept_chars = 0

    # -- timeouts -------------------------------------------------------------------------
    def _get_timeout(self, cell) -> int | None:
        timeout = super()._get_timeout(cell)
        if self._deadline is not None and cell is not None:
            left = max(1, int(self._deadline - time.monotonic()) + 1)
            timeout = left if timeout is None else min(timeout, left)
        return timeout

    def preprocess(self, nb, resources=None, km=None):
        self.stopped = None
        self._kept_chars = 0
        self._deadline = (time.monotonic() + self.notebook_timeout
                          if self.notebook_timeout and self.notebook_timeout > 0 else None)
        name = ((resources or {}).get("nbgrader") or {}).get("notebook", "")
        try:
            return super().preprocess(nb, resources, km)
        finally:
            limit = None
            if CONTEXT.zygote is not None and CONTEXT.last_pid:
                limit = CONTEXT.zygote.limit_kills.get(CONTEXT.last_pid)
            RUNS[name] = {"stopped": self.stopped, "exit_code": CONTEXT.last_exit,
                          "limit": limit}

    def _stop(self, index: int, ename: str, evalue: str, reason: str) -> None:
        self.stopped = {"cell": index, "reason": reason, "ename": ename}
        # nothing more will run in this kernel: kill it with its process group
        try:
            pid = CONTEXT.last_pid
            if pid:
                os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def preprocess_cell(self, cell, resources, index):
        if self.stopped is not None:
            if cell.cell_type == "code" and cell.source.strip():
                cell.outputs = [_error_output(
                    NOT_RUN, "採点を中断したため実行されませんでした / not run: grading of this "
                    "notebook stopped at an earlier cell")]
            return cell, resources
        if self._deadline is not None and time.monotonic() >= self._deadline:
            self._stop(index, NOTEBOOK_TIMEOUT, "", "notebook_timeout")
            return self.preprocess_cell(cell, resources, index)
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs = list(cell.get("outputs", [])) + [_error_output(
                KERNEL_DIED, "このセルの実行中にカーネルが停止しました / the kernel died while "
                "running this cell")]
            self._stop(index, KERNEL_DIED, "", "kernel_died")
            return cell, resources
        except CellTimeoutError:
            # the kernel did not answer after the interrupt (nbclient's iopub timeout)
            cell.outputs = list(cell.get("outputs", [])) + [_error_output(
                "CellTimeoutError", "時間切れ: 中断しても応答がありません / timed out and the "
                "kernel did not respond to the interrupt")]
            reason = "notebook_timeout" if (self._deadline is not None
                                            and time.monotonic() >= self._deadline) else \
                "unresponsive"
            self._stop(index, "CellTimeoutError", "", reason)
            return cell, resources

    # -- keep the grader's memory bounded ---------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return out
        size = _output_size(out)
        self._kept_chars += size
        if self._kept_chars <= self.max_output_chars:
            return out
        if out.output_type in ("error", "execute_result"):
            return out
        if out.output_type == "stream":
            same = [o for o in outs[:-1] if o.get("output_type") == "stream"
                    and o.get("name") == out.name]
            if not same:  # keep the stream (stderr must stay visible), without its text
                out.text = OUTPUT_DROPPED + "\n"
                return out
        if outs and outs[-1] is out:
            outs.pop()
        return out


def _output_size(out) -> int:
    if out.get("output_type") == "stream":
        return len(out.get("text", ""))
    data = out.get("data") or {}
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())
