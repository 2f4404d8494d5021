"""Kernels for grading: a fork server ("zygote") and the sandbox of each kernel.

Standard library only at import time: the zygote imports this module first, then the
modules it preloads.

Why a fork server
-----------------
Starting a python3 kernel and importing pandas, matplotlib and cnkit costs about 1–1.5 s of
CPU per notebook, as much as grading a small notebook itself. The zygote is a plain Python
process that imports those modules once, *without* starting IPython or ZeroMQ, and then
forks one fresh process per notebook. The child becomes an ordinary ipykernel
(``python -m ipykernel_launcher -f <connection file>``, run in-process): a new process for
every notebook, with nothing left over from the previous one, but with the imports done.

Each child, before it starts the kernel:

1. starts a new session (the kernel's process group, signalled for interrupts and kills);
2. enters new namespaces where the OS allows: a user namespace (so that the process limit
   counts only this kernel's processes, also for root), a network namespace (no network at
   all: not even loopback), a mount namespace in which every file system is read-only except
   the worker's scratch folders (its submission folder, its private temporary folder and the
   folder of its ZeroMQ sockets);
3. sets resource limits: CPU seconds, address space (memory), file size, processes, no core;
4. falls back, where a namespace is not available, to a Python-level guard that refuses
   network connections;
5. caps the text a cell can print (per stream), so that an enormous output cannot flood the
   grader.

The zygote speaks JSON lines: requests on stdin, replies and exit events on the file
descriptor that was its stdout (its own stdout then goes to stderr).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import selectors
import signal
import sys
import traceback

try:
    import resource
except ImportError:  # Windows: no rlimits, no sandbox
    resource = None

# --- Linux constants -----------------------------------------------------------------------
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

PR_SET_PDEATHSIG = 1

_MOUNT_OPTION_FLAGS = {
    "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME,
}

OUTPUT_CAP_MARKER = "…（出力が多すぎるため、ここから先は採点時に省略しました / output truncated while grading）"
NETWORK_BLOCKED_MESSAGE = "採点中はネットワークに接続できません / network access is disabled while grading"

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Linux: get ``sig`` when the parent process dies (best effort)."""
    if sys.platform.startswith("linux"):
        try:
            libc().prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except Exception:
            pass


# --------------------------------------------------------------------------------------------
# the sandbox of one kernel process (called in the child, single-threaded, before the kernel)
# --------------------------------------------------------------------------------------------
def _unshare(flags: int) -> None:
    _check(libc().unshare(ctypes.c_int(flags)), "unshare")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


class Handshake:
    """Two pipes between a forked child and the zygote: as root, the zygote writes the child's
    uid/gid maps (a process cannot map ids other than its own)."""

    def __init__(self):
        self.to_parent = os.pipe()
        self.to_child = os.pipe()

    def fds(self) -> set[int]:
        return {*self.to_parent, *self.to_child}

    # in the child
    def ask(self, message: bytes) -> bytes:
        os.write(self.to_parent[1], message)
        return os.read(self.to_child[0], 1)

    # in the zygote
    def serve(self, pid: int, uid: int, gid: int, timeout: float = 10.0) -> None:
        import select

        try:
            ready, _, _ = select.select([self.to_parent[0]], [], [], timeout)
            message = os.read(self.to_parent[0], 1) if ready else b""
            answer = b"x"
            if message == b"u":
                try:
                    _write(f"/proc/{pid}/uid_map", f"0 {uid} 1")
                    _write(f"/proc/{pid}/gid_map", f"0 {gid} 1")
                    answer = b"m"
                except OSError:
                    answer = b"x"
            if message:
                os.write(self.to_child[1], answer)
        finally:
            self.close()

    def close(self) -> None:
        for fd in self.fds():
            try:
                os.close(fd)
            except OSError:
                pass


def _enter_namespaces(want_net: bool, want_fs: bool, run_as: tuple[int, int] | None = None,
                      handshake: Handshake | None = None) -> dict:
    """Enter new user/network/mount namespaces, as far as the OS allows.

    Not root: a user namespace in which the kernel keeps its own uid and gid.
    Root (``run_as`` = an unprivileged uid, gid; ``handshake`` to the zygote): a user
    namespace whose root is that uid outside — the kernel never runs as the real root.
    """
    got = {"user": False, "net": False, "mount": False, "uid": os.geteuid()}
    if not sys.platform.startswith("linux"):
        return got
    flags = (CLONE_NEWNET if want_net else 0) | (CLONE_NEWNS if want_fs else 0)
    uid, gid = os.geteuid(), os.getegid()
    try:
        if run_as is not None and handshake is None:
            raise OSError(errno.EPERM, "root without a zygote: no user namespace")
        _unshare(CLONE_NEWUSER | flags)
        entered = True
    except OSError:
        entered = False
    if entered and run_as is not None and handshake is not None:
        if handshake.ask(b"u") != b"m":
            raise OSError(errno.EPERM, "the zygote could not map the sandbox user")
        os.setgroups([])
        os.setresgid(0, 0, 0)  # = run_as gid outside
        os.setresuid(0, 0, 0)  # = run_as uid outside
        got["user"] = True
    elif entered:
        if handshake is not None:
            handshake.ask(b"n")
        try:
            _write("/proc/self/setgroups", "deny")
        except OSError:
            pass
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        got["user"] = True
    else:
        if handshake is not None:
            handshake.ask(b"f")
        try:  # root without user namespaces
            if flags:
                _unshare(flags)
        except OSError:
            flags = 0
    got["net"] = bool(flags & CLONE_NEWNET)
    got["mount"] = bool(flags & CLONE_NEWNS)
    return got


def _drop_to(run_as: tuple[int, int]) -> None:
    """Root without a user namespace: become the unprivileged user (after the mounts)."""
    uid, gid = run_as
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _unescape_mount_path(path: str) -> str:
    out, i = [], 0
    while i < len(path):
        if path[i] == "\\" and i + 3 < len(path) and path[i + 1:i + 4].isdigit():
            out.append(chr(int(path[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _mounts() -> list[tuple[str, int]]:
    """(mount point, per-mount flags to keep) from /proc/self/mountinfo."""
    result = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6:
                continue
            point = _unescape_mount_path(fields[4])
            flags = 0
            for opt in fields[5].split(","):
                flags |= _MOUNT_OPTION_FLAGS.get(opt, 0)
            result.append((point, flags))
    return result


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _hide(paths: list[str], keep: list[str]) -> list[str]:
    """Mount an empty read-only tmpfs over each path (not over a writable folder's parent)."""
    mount = libc().mount
    hidden = []
    for p in paths:
        p = os.path.realpath(p)
        if not os.path.isdir(p) or any(_under(k, p) for k in keep):
            continue
        if mount(b"tmpfs", p.encode(), b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 b"size=4k,mode=755") == 0:
            hidden.append(p)
    return hidden


def _read_only_except(writable: list[str]) -> bool:
    """In a fresh mount namespace: everything read-only except ``writable`` (and /proc, /sys)."""
    mount = libc().mount
    mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                      ctypes.c_void_p]
    _check(mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    keep = []
    for d in writable:
        d = os.path.realpath(d)
        _check(mount(d.encode(), d.encode(), None, MS_BIND | MS_REC, None), f"bind {d}")
        keep.append(d)
    for point, flags in _mounts():
        if point in keep or _under(point, "/proc") or _under(point, "/sys"):
            continue
        if any(_under(point, k) for k in keep):
            continue
        mount(None, point.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, None)
    return _probe_read_only(keep)


def _probe_read_only(keep: list[str]) -> bool:
    """True when a write next to the first writable folder is refused."""
    if not keep:
        return False
    probe = os.path.join(os.path.dirname(keep[0]), f".cngrade-probe-{os.getpid()}")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError as exc:
        return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    os.close(fd)
    os.unlink(probe)
    return False


MEMORY_HEADROOM = 512 * 1024 * 1024


def _mapped_bytes() -> int:
    """VmSize of this process (bytes), 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _count_user_tasks(uid: int) -> int:
    n = 0
    try:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    n += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    except OSError:
        return 0
    return n


def _set_limits(limits: dict, own_user_ns: bool, outside_uid: int) -> dict:
    """resource.setrlimit for the kernel; returns what was applied (None: not enforced).

    RLIMIT_NPROC never applies to the real root (uid 0 outside every user namespace): then
    the zygote counts the kernel's processes itself (``processes_watched``).
    """
    applied = {}

    def setr(name: str, res: int, soft: int, hard: int | None = None) -> None:
        hard = soft if hard is None else hard
        try:
            old_soft, old_hard = resource.getrlimit(res)
            if old_hard != resource.RLIM_INFINITY:
                hard = min(hard, old_hard)
                soft = min(soft, hard)
            resource.setrlimit(res, (soft, hard))
            applied[name] = soft
        except (ValueError, OSError):
            applied[name] = None

    if limits.get("cpu_seconds"):
        cpu = int(limits["cpu_seconds"])
        setr("cpu_seconds", resource.RLIMIT_CPU, cpu, cpu + 5)
    if limits.get("memory_bytes"):
        # never below what the process maps already (+ headroom): a many-core machine maps
        # more for BLAS threads and malloc arenas before the first cell runs
        setr("memory_bytes", resource.RLIMIT_AS,
             max(int(limits["memory_bytes"]), _mapped_bytes() + MEMORY_HEADROOM))
    if limits.get("file_size_bytes"):
        setr("file_size_bytes", resource.RLIMIT_FSIZE, int(limits["file_size_bytes"]))
    if limits.get("processes"):
        n = int(limits["processes"])
        if outside_uid == 0:
            applied["processes"] = None
        elif own_user_ns:
            setr("processes", resource.RLIMIT_NPROC, n)
        elif os.geteuid() != 0:
            # the limit counts every process and thread of this user: add what runs already
            setr("processes", resource.RLIMIT_NPROC, n + _count_user_tasks(os.geteuid()))
        else:
            applied["processes"] = None  # root outside a user namespace: not enforced
    setr("core", resource.RLIMIT_CORE, 0)
    return applied


def _install_network_guard() -> None:
    """Refuse internet connections at the Python level (when no network namespace)."""
    import socket

    inet = {socket.AF_INET, getattr(socket, "AF_INET6", socket.AF_INET)}

    def blocked(*_args, **_kwargs):
        raise OSError(errno.ENETUNREACH, NETWORK_BLOCKED_MESSAGE)

    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto

    def connect(self, address):
        if self.family in inet:
            blocked()
        return original_connect(self, address)

    def connect_ex(self, address):
        if self.family in inet:
            blocked()
        return original_connect_ex(self, address)

    def sendto(self, *args):
        if self.family in inet:
            blocked()
        return original_sendto(self, *args)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto


def install_write_audit(allowed: list[str], record) -> None:
    """Report writes outside ``allowed`` folders (Python audit hooks; cannot be removed).

    ``record(event, path)`` is called at most 20 times. The write itself is left to the file
    system: refused by the read-only mount where there is one.
    """
    allowed = [os.path.realpath(a) for a in allowed] + ["/dev", "/proc/self"]
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    seen: set = set()

    def outside(path) -> str | None:
        try:
            if isinstance(path, int):
                return None
            p = os.fsdecode(path)
            full = os.path.realpath(p) if os.path.isabs(p) else os.path.realpath(
                os.path.join(os.getcwd(), p))
        except Exception:
            return None
        for a in allowed:
            if full == a or full.startswith(a.rstrip("/") + "/"):
                return None
        return full

    def hook(event, args):
        if len(seen) >= 20:
            return
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            if isinstance(mode, str):
                if not any(ch in mode for ch in "wax+"):
                    return
            elif not (isinstance(flags, int) and flags & write_flags):
                return
        elif event in ("os.remove", "os.rmdir", "os.mkdir", "shutil.rmtree", "os.rename",
                       "os.symlink", "os.link", "os.truncate", "shutil.copyfile",
                       "shutil.move"):
            path = args[1] if event in ("shutil.copyfile", "shutil.move") and len(args) > 1 \
                else args[0]
        else:
            return
        full = outside(path)
        if full and (event, full) not in seen:
            seen.add((event, full))
            try:
                record(event, full)
            except Exception:
                pass

    sys.addaudithook(hook)


def apply_sandbox(spec: dict, handshake: Handshake | None = None) -> dict:
    """Namespaces, read-only file systems, rlimits; returns a report of what is in force.

    ``spec``: {"network": bool (False = no network), "writable": [folders] or None (None = no
    file-system restriction), "limits": {...}}.
    """
    want_net = not spec.get("network", False)
    writable = spec.get("writable")
    run_as = tuple(spec["run_as"]) if spec.get("run_as") and os.geteuid() == 0 else None
    report = {"pid": os.getpid(), "namespaces": {}, "read_only": False, "network_blocked": False,
              "network_guard": False, "limits": {}}
    got = _enter_namespaces(want_net, writable is not None, run_as, handshake)
    report["namespaces"] = got
    if got["mount"] and writable is not None:
        try:
            report["read_only"] = bool(_read_only_except(list(writable)))
            report["hidden"] = _hide(list(spec.get("hide") or []),
                                     [os.path.realpath(w) for w in writable])
        except OSError as exc:
            report["read_only_error"] = str(exc)
    if want_net:
        if got["net"]:
            report["network_blocked"] = True
        else:
            _install_network_guard()
            report["network_guard"] = True
    if run_as is not None and not got["user"]:
        _drop_to(run_as)
    report["uid"] = os.getuid()
    report["outside_uid"] = run_as[0] if run_as else os.getuid()
    report["limits"] = _set_limits(spec.get("limits") or {}, got["user"],
                                   report["outside_uid"])
    report["processes_watched"] = (report["limits"].get("processes") is None
                                   and bool((spec.get("limits") or {}).get("processes")))
    return report


# --------------------------------------------------------------------------------------------
# the kernel, in the child
# --------------------------------------------------------------------------------------------
def _install_output_cap(app, max_chars: int) -> None:
    """Cap what each stream (stdout, stderr) prints per cell to ``max_chars`` characters.

    The first write past the cap is cut and ends with a marker; later writes in the same cell
    are dropped. A stream that printed something still has an output (stderr stays stderr, so
    a test cell that wrote to stderr still scores 0 as nbgrader decides).
    """
    from ipykernel.iostream import OutStream

    counts: dict[int, int] = {}
    original = OutStream.write

    def write(self, string):
        if not isinstance(string, str):
            return original(self, string)
        key = id(self)
        used = counts.get(key, 0)
        if used > max_chars:
            return len(string)
        if used + len(string) > max_chars:
            counts[key] = max_chars + 1
            original(self, string[: max(0, max_chars - used)] + "\n" + OUTPUT_CAP_MARKER + "\n")
            return len(string)
        counts[key] = used + len(string)
        return original(self, string)

    OutStream.write = write
    shell = getattr(app, "shell", None)
    if shell is not None:
        shell.events.register("pre_run_cell", lambda *a, **k: counts.clear())


def _run_kernel(argv: list[str], output_cap: int | None) -> None:
    """What ``python -m ipykernel_launcher ARGV`` does (ipykernel_launcher.py), in-process."""
    import runpy  # noqa: F401  (same state as a fresh interpreter after -m: sys.argv[0] = path)

    import ipykernel_launcher
    from ipykernel import kernelapp as app

    sys.argv = [ipykernel_launcher.__file__, *argv]
    instance = app.IPKernelApp.instance()
    instance.initialize(argv)
    if output_cap:
        _install_output_cap(instance, int(output_cap))
    instance.start()


def _reseed() -> None:
    """Forked children would share the zygote's random state: reseed what is loaded."""
    rnd = sys.modules.get("random")
    if rnd is not None:
        rnd.seed()
    np = sys.modules.get("numpy")
    if np is not None:
        try:
            np.random.seed()
        except Exception:
            pass


def _wait_exit(pid: int) -> int:
    """waitpid until ``pid`` exits; its status as an exit code (128 + signal if killed)."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return 70
        if os.WIFSIGNALED(status):
            return 128 + os.WTERMSIG(status)
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)


def _become_pid_namespace_init(report: dict) -> None:
    """Run the kernel in a new PID namespace, so that every process it starts dies with it.

    This process (outside) forks the namespace's init, which forks the kernel (an ordinary
    process in the namespace: signals behave as usual) and reaps orphans until the kernel
    exits. The exit status travels back out; a kernel killed by signal N makes this process
    die of signal N, which is what the grader sees.
    """
    try:
        _unshare(CLONE_NEWPID)
    except OSError:
        report["pid_namespace"] = False
        return
    report["pid_namespace"] = True
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)  # interrupts are for the kernel (same group)
    init = os.fork()
    if init == 0:
        set_parent_death_signal(signal.SIGKILL)
        kernel = os.fork()
        if kernel == 0:
            set_parent_death_signal(signal.SIGKILL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
                signal.signal(sig, signal.SIG_DFL)
            return  # go on: become the kernel
        code = 70
        while True:  # reap everything; leave when the kernel is gone
            try:
                pid, status = os.waitpid(-1, 0)
            except InterruptedError:
                continue
            except ChildProcessError:
                break
            if pid == kernel:
                code = (128 + os.WTERMSIG(status)) if os.WIFSIGNALED(status) else \
                    os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70
                break
        os._exit(code)  # the namespace ends: every process left in it is killed
    code = _wait_exit(init)
    if code > 128 and code - 128 in (signal.SIGKILL, signal.SIGXCPU, signal.SIGSEGV,
                                     signal.SIGABRT, signal.SIGTERM, signal.SIGBUS,
                                     signal.SIGFPE, signal.SIGILL, signal.SIGXFSZ):
        sig = code - 128
        signal.signal(sig, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), sig)
    os._exit(code)


def _close_fds_except(keep: set[int]) -> None:
    low = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def _child_main(request: dict, base_path: list[str], handshake: Handshake | None = None) -> None:
    """In the forked child: sandbox, then become the kernel. Never returns."""
    code = 0
    try:
        os.setsid()
        set_parent_death_signal(signal.SIGKILL)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # as CPython does: writes fail, no kill
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as CPython does
        # stdio: stdin /dev/null, stdout+stderr to the kernel log
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        _close_fds_except(handshake.fds() if handshake else set())
        sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace",
                               closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace",
                               closefd=False)
        sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr
        sys.stdin = open(os.devnull)
        sys.__stdin__ = sys.stdin

        env = dict(request["env"])
        env.pop("JPY_PARENT_PID", None)
        os.environ.clear()
        os.environ.update(env)
        # opened before the sandbox: they may be outside the writable folders
        if request.get("audit"):
            audit_file = open(request["audit"], "a", encoding="utf-8", buffering=1)
        report_file = open(request["report"], "w", encoding="utf-8") if request.get("report") \
            else None
        report = apply_sandbox(request.get("sandbox") or {}, handshake)
        if handshake is not None:
            handshake.close()
        if request.get("pid_namespace", True) and sys.platform.startswith("linux"):
            _become_pid_namespace_init(report)
        if report_file is not None:
            json.dump(report, report_file)
            report_file.close()
        os.chdir(request["cwd"])
        if request.get("audit"):
            def record(event, path, _f=audit_file):
                _f.write(json.dumps({"event": event, "path": path}) + "\n")

            install_write_audit([request["cwd"], *request.get("audit_allowed", [])], record)
        sys.path[:] = list(base_path)
        _reseed()
        _run_kernel(list(request["argv"]), request.get("output_cap"))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        try:
            traceback.print_exc()
        except Exception:
            pass
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(code)


# --------------------------------------------------------------------------------------------
# the zygote
# --------------------------------------------------------------------------------------------
def _count_namespace_tasks(pids: list[int]) -> dict[int, int]:
    """Tasks (processes and threads) in the PID namespace each kernel started (or, before it
    has one, in its session)."""
    targets: dict[str, int] = {}
    sessions: dict[int, int] = {}
    for pid in pids:
        try:
            own = os.readlink(f"/proc/{pid}/ns/pid")
            children = os.readlink(f"/proc/{pid}/ns/pid_for_children")
        except OSError:
            continue
        if children != own:
            targets[children] = pid
        else:
            sessions[pid] = pid
    counts = {pid: 0 for pid in pids}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
            fields = stat[stat.rindex(")") + 2:].split()
            threads = int(fields[17])
            owner = None
            if targets:
                ns = os.readlink(f"/proc/{entry}/ns/pid")
                owner = targets.get(ns)
            if owner is None and sessions:
                owner = sessions.get(int(fields[3]))
        except (OSError, ValueError, IndexError):
            continue
        if owner is not None:
            counts[owner] += threads
    return counts


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return 255


def zygote_main(preload: list[str]) -> None:
    """Serve ``spawn`` requests until stdin closes; then kill every kernel still running."""
    # sys.path of ``python -m ipykernel_launcher`` once the launcher has removed the cwd:
    base_path = list(sys.path[1:])
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # anything the preloaded modules print goes to stderr
    set_parent_death_signal(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when to stop

    # no parent poller in the kernels (ipykernel reads JPY_PARENT_PID when it is imported):
    # their parent is the init of their PID namespace, and every process of the chain gets
    # SIGKILL when its parent dies (PR_SET_PDEATHSIG)
    os.environ.pop("JPY_PARENT_PID", None)
    loaded, failed = [], {}
    for name in preload:
        try:
            __import__(name)
            loaded.append(name)
        except BaseException as exc:  # a preload is an optimisation only
            failed[name] = f"{type(exc).__name__}: {exc}"
    children: set[int] = set()

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            watch.pop(pid, None)
            send({"exit": pid, "code": _exit_code(status)})

    watch: dict[int, int] = {}  # kernel pid → process limit the zygote enforces itself

    def check_watched() -> None:
        counts = _count_namespace_tasks(list(watch))
        for pid, count in counts.items():
            if count > watch.get(pid, count):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
                send({"limit": pid, "reason": "processes", "count": count})
                watch.pop(pid, None)

    send({"ready": True, "pid": os.getpid(), "preloaded": loaded, "failed": failed})
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    buffer = b""
    running = True
    while running:
        events = sel.select(0.2 if watch else None)
        if watch:
            check_watched()
        for key, _ in events:
            if key.data == "wake":
                try:
                    while os.read(wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                reap()
                continue
            chunk = os.read(sys.stdin.fileno(), 65536)
            if not chunk:
                running = False
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if not line.strip():
                    continue
                request = json.loads(line)
                if request.get("op") == "spawn":
                    spec = request.get("sandbox") or {}
                    run_as = spec.get("run_as") if os.geteuid() == 0 else None
                    handshake = Handshake() if run_as else None
                    try:
                        pid = os.fork()
                    except OSError as exc:
                        if handshake:
                            handshake.close()
                        send({"id": request["id"], "error": str(exc)})
                        continue
                    if pid == 0:
                        _child_main(request, base_path, handshake)
                    children.add(pid)
                    if handshake:
                        handshake.serve(pid, int(run_as[0]), int(run_as[1]))
                    limit = (spec.get("limits") or {}).get("processes")
                    if limit and os.geteuid() == 0 and not run_as:
                        watch[pid] = int(limit)  # RLIMIT_NPROC does not bind the real root
                    send({"id": request["id"], "pid": pid})
                elif request.get("op") == "ping":
                    send({"id": request["id"], "pong": True})
        reap()
    for pid in list(children):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    os._exit(0)


if __name__ == "__main__":  # python sandbox.py '<json list of modules to preload>'
    zygote_main(json.loads(sys.argv[1]))
