"""The cohort grading command (grader/grade_cohort.py, ``python3 kit.py grade``)."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from . import gradebook as gbmod
from .report import (Cell, Sheet, summary_table, write_excel, write_feedback_index,
                     write_grades_csv, write_summary_csv)
from .settings import CohortGrader

COURSE_DIR = Path(__file__).resolve().parents[2] / "course"
EPILOG = """例:
  python3 kit.py grade 02_measure          # 02_measure の提出物をすべて採点
  python3 kit.py grade                     # 提出物のある課題をすべて採点
  python3 kit.py grade 02_measure --student s001 --student s002
  python3 kit.py grade --jobs 4 --timeout 60

制限（既定値は course/nbgrader_config.py の c.CohortGrader.* と c.Execute.timeout）:
  セルごとの時間 Execute.timeout、ノートブック全体の時間、CPU 時間、メモリ、ファイルサイズ、プロセス数、
  ネットワーク遮断、自分のフォルダ以外の読み取り専用化。詳しくは course/instructor_guide.md。
"""


class UsageError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------------
class Progress:
    def __init__(self, total: int, stream=None, quiet: bool = False):
        self.total = total
        self.done = 0
        self.start = time.monotonic()
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.quiet = quiet

    def _bar(self, width: int = 28) -> str:
        filled = int(width * self.done / self.total) if self.total else width
        return "█" * filled + "░" * (width - filled)

    def update(self, label: str) -> None:
        self.done += 1
        if self.quiet:
            return
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0
        line = (f"採点 {self._bar()} {self.done}/{self.total} "
                f"({100 * self.done / max(1, self.total):.0f}%) 経過 {_mmss(elapsed)} "
                f"残り約 {_mmss(eta)}  {label}")
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _mmss(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def say(message: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"[grade] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# what to grade
# --------------------------------------------------------------------------------------------
def _syllabus(course_dir: Path) -> tuple[list[str], dict[str, str]]:
    try:
        import yaml

        with open(course_dir / "syllabus.yml", encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        notebooks = data.get("notebooks") or []
        return [n["id"] for n in notebooks], {n["id"]: n.get("title", "") for n in notebooks}
    except (OSError, ImportError, KeyError, TypeError):
        return [], {}


def _ordered(names, order: list[str]) -> list[str]:
    rank = {a: i for i, a in enumerate(order)}
    return sorted(names, key=lambda a: (rank.get(a, len(rank)), a))


def find_jobs(submitted: Path, assignments: list[str], students: list[str] | None):
    jobs = []
    if not submitted.is_dir():
        return jobs
    for sdir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        if sdir.name.startswith("."):
            continue
        if students and sdir.name not in students:
            continue
        for aid in assignments:
            if (sdir / aid).is_dir():
                jobs.append((aid, sdir.name))
    return jobs


def _cost(course_source: Path, aid: str) -> int:
    """A rough cost per assignment (code in its source notebooks), to start big ones first."""
    total = 0
    for nb in (course_source / aid).glob("*.ipynb"):
        try:
            data = json.loads(nb.read_text(encoding="utf-8"))
            total += sum(len("".join(c.get("source", ""))) for c in data.get("cells", [])
                         if c.get("cell_type") == "code")
        except (OSError, ValueError):
            pass
    return total


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="grade_cohort.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="受講者全員の提出物を nbgrader で並列に自動採点し、成績表（CSV・Excel）と講評を作ります。"
                    " / Autograde a whole cohort with nbgrader, in parallel and in a sandbox.",
        epilog=EPILOG)
    p.add_argument("assignments", nargs="*", help="課題（例: 02_measure）。省略すると提出物のある課題すべて")
    p.add_argument("--student", action="append", default=[], metavar="ID",
                   help="この受講者だけ採点する（複数指定可）")
    p.add_argument("--course", default=str(COURSE_DIR), help="講座フォルダ（nbgrader_config.py のある所）")
    p.add_argument("--jobs", "-j", type=int, default=None, help="同時に採点する数（既定: CPU コア数）")
    p.add_argument("--out", default=None, help="成績表の出力先（既定: <講座>/cohort）")
    p.add_argument("--timeout", type=int, default=None,
                   help="セルごとの制限時間（秒）。既定は nbgrader の Execute.timeout")
    p.add_argument("--notebook-timeout", type=int, default=None, help="ノートブック全体の制限時間（秒）")
    p.add_argument("--cpu", type=int, default=None, help="カーネルの CPU 時間の上限（秒）")
    p.add_argument("--memory", type=int, default=None, help="カーネルのメモリ上限（MiB）")
    p.add_argument("--sheets-only", action="store_true",
                   help="採点せず、成績表だけを gradebook から作り直す（手採点の後など）")
    p.add_argument("--no-feedback", action="store_true", help="講評 HTML を作らない")
    p.add_argument("--no-excel", action="store_true", help="Excel の成績表を作らない")
    p.add_argument("--no-fork", action="store_true",
                   help="カーネルを毎回ふつうに起動する（遅い。問題の切り分け用）")
    p.add_argument("--quiet", "-q", action="store_true", help="進行状況と表を出さない")
    return p.parse_args(argv)


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_jobs() -> int:
    """One grader per core, plus one: a grader waits for its kernel part of the time (start,
    messages, writing results), and the extra one fills those gaps."""
    return cpu_cores() + 1


def _ensure_tools_on_path() -> None:
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _run_dir() -> Path:
    base = Path(tempfile.gettempdir())
    # ZeroMQ ipc socket paths must stay short (about 100 bytes)
    if len(str(base)) > 40:
        base = Path("/tmp")
    return Path(tempfile.mkdtemp(prefix="cngrade-", dir=str(base)))


def _load_notes(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _stop(*_):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Ctrl+C or a kill: stop the workers (and their kernels), keep what is merged already
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        return run(args)
    except UsageError as exc:
        print(f"[grade] エラー: {exc}", file=sys.stderr)
        return 2
    except gbmod.GradebookUnavailable as exc:
        print(f"[grade] エラー: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\n[grade] 中断しました。", file=sys.stderr)
        return 130


def run(args) -> int:
    import warnings

    try:  # nbgrader's own API warns about its session handling; nothing to act on
        from sqlalchemy.exc import SAWarning

        warnings.filterwarnings("ignore", category=SAWarning)
    except ImportError:
        pass
    t_start = time.monotonic()
    _ensure_tools_on_path()
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    course_dir = Path(args.course).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        raise UsageError(f"{course_dir} に nbgrader_config.py がありません（--course で講座フォルダを指定）")

    from .worker import load_nbgrader_config

    app = load_nbgrader_config(course_dir)
    coursedir = app.coursedir
    settings = CohortGrader(config=app.config)
    overrides = {}
    if args.notebook_timeout is not None:
        overrides["notebook_timeout"] = args.notebook_timeout
    if args.cpu is not None:
        overrides["cpu_seconds"] = args.cpu
    if args.memory is not None:
        overrides["memory_mb"] = args.memory
    if args.no_fork:
        overrides["fork_kernels"] = False
    for k, v in overrides.items():
        setattr(settings, k, v)
    execute_overrides = {"timeout": args.timeout} if args.timeout is not None else {}
    cell_timeout = args.timeout if args.timeout is not None else app.config.Execute.get(
        "timeout", 30)

    order, titles = _syllabus(course_dir)
    gb = gbmod.open_gradebook(coursedir.db_url, coursedir.course_id)
    known = [a.name for a in gb.assignments]
    gb.close()  # no open database while worker processes are forked
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    if args.assignments:
        missing = [a for a in args.assignments if a not in known]
        if missing:
            raise UsageError(
                "gradebook にない課題です: " + ", ".join(missing) + "。先に "
                + " ".join(f"`nbgrader generate_assignment {a}`" for a in missing)
                + " を course/ で実行してください。")
        assignments = _ordered(args.assignments, order)
    else:
        present = {p.name for p in submitted.glob("*/*") if p.is_dir()} if submitted.is_dir() \
            else set()
        assignments = _ordered([a for a in known if a in present], order)
    jobs = [] if args.sheets_only else find_jobs(submitted, assignments, args.student)
    out_dir = Path(args.out or settings.output_dir or course_dir / "cohort").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    notes_path = out_dir / "notes.json"
    all_notes = _load_notes(notes_path)

    results: dict[tuple[str, str], dict] = {}
    info = {}
    if jobs:
        source_root = Path(coursedir.format_path(coursedir.source_directory, ".", "."))
        costs = {a: _cost(source_root, a) for a in assignments}
        jobs.sort(key=lambda j: (-costs.get(j[0], 0), j[0], j[1]))
        n_workers = max(1, min(int(args.jobs or settings.jobs or default_jobs()), len(jobs)))
        say(f"{len(jobs)} 件の提出物を {n_workers} 並列で採点します（課題: {', '.join(assignments)}）",
            args.quiet)
        run_dir = _run_dir()
        try:
            base_db = run_dir / "base.db"
            gbmod.snapshot(coursedir.db_url, base_db)
            spec = {"course_dir": str(course_dir), "run_dir": str(run_dir),
                    "base_db": str(base_db), "assignments": assignments,
                    "overrides": overrides, "execute_overrides": execute_overrides}
            info = _grade_all(spec, jobs, n_workers, coursedir, out_dir, results, args,
                              feedback=settings.feedback and not args.no_feedback)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
    elif not args.sheets_only:
        say("採点する提出物がありません（submitted/<受講者ID>/<課題>/ を確認してください）", args.quiet)

    for (aid, sid), res in results.items():
        all_notes.setdefault(sid, {})[aid] = {"notes": res["notes"], "status": res["status"],
                                              "seconds": res["seconds"]}
    notes_path.write_text(json.dumps(all_notes, ensure_ascii=False, indent=1, sort_keys=True),
                          encoding="utf-8")

    gb = gbmod.open_gradebook(coursedir.db_url, coursedir.course_id)
    try:
        sheet = build_sheet(gb, _ordered(known, order), titles, all_notes, results)
    finally:
        gb.close()
    write_grades_csv(sheet, out_dir / "grades.csv")
    write_summary_csv(sheet, out_dir / "summary.csv")
    limits = settings.describe()
    run_info = [
        ("採点日時", datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
        ("講座フォルダ", str(course_dir)),
        ("採点した課題", ", ".join(assignments)),
        ("採点した提出物", str(len(jobs))),
        ("所要時間（秒）", f"{time.monotonic() - t_start:.1f}"),
        ("セルごとの制限時間（秒） Execute.timeout", str(cell_timeout)),
    ] + [(f"CohortGrader.{k}", str(v)) for k, v in sorted(limits.items()) if k != "preload"] + [
        ("サンドボックス", _sandbox_text(info.get("sandbox") or {})),
    ]
    if not args.no_excel:
        write_excel(sheet, out_dir / "grades.xlsx", run_info)
    from .cohort_report import after_grading  # the cohort report (report.html, 理解度 sheet)

    report_page = after_grading(coursedir, course_dir, _ordered(known, order), titles, out_dir,
                                None if args.no_excel else out_dir / "grades.xlsx",
                                lambda m: say(m, args.quiet))
    if jobs and settings.feedback and not args.no_feedback:
        for sid in sorted({sid for (_aid, sid) in results}):
            write_feedback_index(sheet, sid, Path(coursedir.format_path(
                coursedir.feedback_directory, sid, ".")).resolve())
    (out_dir / "run.json").write_text(json.dumps({
        "finished": datetime.now().isoformat(timespec="seconds"), "course": str(course_dir),
        "assignments": assignments, "jobs": len(jobs),
        "seconds": round(time.monotonic() - t_start, 2),
        "workers": info.get("workers"), "grading_seconds": info.get("grading_seconds"),
        "feedback_seconds": info.get("feedback_seconds"), "settings": limits,
        "cell_timeout": cell_timeout, "sandbox": info.get("sandbox"),
        "zygote": info.get("zygote"),
        "results": [{k: v for k, v in r.items() if k in ("student", "assignment", "status",
                                                          "seconds", "notes")}
                    for r in results.values()],
    }, ensure_ascii=False, indent=1), encoding="utf-8")

    if not args.quiet and jobs:
        students = sorted({sid for (_a, sid) in results})
        print(summary_table(sheet, assignments, students))
        print()
    if info.get("sandbox"):
        say("サンドボックス: " + _sandbox_text(info["sandbox"]), args.quiet)
    errors = [r for r in results.values() if r["status"] == "error"]
    zeros = [r for r in results.values() if r["status"] == "zero"]
    noted = [r for r in results.values() if r["notes"]]
    say(f"完了: {len(results)} 件（採点不能で0点 {len(zeros)} 件、備考あり {len(noted)} 件、"
        f"採点エラー {len(errors)} 件）、{time.monotonic() - t_start:.1f} 秒", args.quiet)
    say(f"成績表: {out_dir / 'grades.csv'}" + ("" if args.no_excel else
                                               f"、{out_dir / 'grades.xlsx'}")
        + f"、提出物ごとの備考: {out_dir / 'summary.csv'}", args.quiet)
    if report_page:
        say(f"理解度レポート: {report_page}", args.quiet)
    if errors:
        for r in errors:
            print(f"[grade] 採点エラー: {r['student']} {r['assignment']}: "
                  + "／".join(n["text"] for n in r["notes"]), file=sys.stderr)
        return 1
    return 0


def _sandbox_text(report: dict) -> str:
    if not report:
        return "（情報なし）"
    ns = report.get("namespaces", {})
    lim = report.get("limits", {})
    parts = [
        "ネットワーク: " + ("遮断（network namespace）" if report.get("network_blocked") else
                      "Python レベルで遮断" if report.get("network_guard") else "許可"),
        "書き込み: " + ("自分のフォルダと一時フォルダのみ（mount namespace）" if report.get("read_only")
                    else "制限なし（一時コピーで検出）"),
        "プロセス数: " + (str(lim.get("processes")) if lim.get("processes") else "制限なし"),
        "user namespace: " + ("あり" if ns.get("user") else "なし"),
    ]
    return "、".join(parts)


def _grade_all(spec, jobs, n_workers, coursedir, out_dir, results, args, feedback):
    """Grade ``jobs`` in a pool of worker processes; merge each result as it arrives.

    On Linux the workers are forked from this process, which has imported nbgrader already
    (importing nbformat alone costs about 2 s of CPU); elsewhere they are spawned. No
    database is open here while the pool forks.
    """
    from . import worker

    log_dir = out_dir / "logs"
    progress = Progress(len(jobs), quiet=args.quiet)
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    gb = None
    pending = list(jobs)
    attempts: dict[tuple[str, str], int] = {}
    info = {"workers": n_workers}
    t0 = time.monotonic()
    pool = None
    interrupted = False
    try:
        while pending:
            pool = cf.ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=worker.init,
                                          initargs=(spec,))
            futures = {pool.submit(worker.grade, job): job for job in pending}
            pending = []
            if gb is None:  # the workers exist now
                gb = gbmod.open_gradebook(coursedir.db_url, coursedir.course_id)
            if not info.get("sandbox"):
                try:
                    first = pool.submit(worker.info)
                    futures[first] = None
                except RuntimeError:
                    pass
            broken = False
            for fut in cf.as_completed(futures):
                job = futures[fut]
                try:
                    res = fut.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    if job is not None:
                        attempts[job] = attempts.get(job, 0) + 1
                        if attempts[job] < 2:
                            pending.append(job)
                        else:
                            res = _error_result(job, "採点プロセスが2回停止しました")
                            _finish(res, gb, coursedir, log_dir, results, progress)
                    continue
                except Exception as exc:
                    if job is None:
                        continue
                    res = _error_result(job, f"{type(exc).__name__}: {exc}")
                if job is None:
                    info.update(res)
                    continue
                _finish(res, gb, coursedir, log_dir, results, progress)
            if broken:
                say("採点プロセスが停止したため、作り直して続けます", args.quiet)
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
                gb.close()
                gb = None
                continue
            info["grading_seconds"] = round(time.monotonic() - t0, 2)
            if feedback:
                t1 = time.monotonic()
                done = [(r["assignment"], r["student"]) for r in results.values()
                        if r["status"] == "graded"]
                failed = []
                for res in pool.map(worker.feedback, done):
                    if not res["ok"]:
                        failed.append(res)
                for res in failed:
                    key = (res["assignment"], res["student"])
                    results[key].setdefault("feedback_log", res["log"])
                info["feedback_seconds"] = round(time.monotonic() - t1, 2)
                if failed:
                    say(f"講評を作れなかった提出物: {len(failed)} 件（ログ: {log_dir}）", args.quiet)
    except KeyboardInterrupt:
        interrupted = True
        print("\n[grade] 中断しました。ここまでの採点結果は gradebook に保存されています。", file=sys.stderr)
    finally:
        if gb is not None:
            gb.close()
        if pool is not None:
            if interrupted:
                for proc in list(getattr(pool, "_processes", {}).values()):
                    try:
                        proc.terminate()
                    except Exception:
                        pass
            pool.shutdown(wait=not interrupted, cancel_futures=True)
    if interrupted:
        raise SystemExit(130)
    return info


def _error_result(job, message: str) -> dict:
    from .notes import note

    aid, sid = job
    return {"student": sid, "assignment": aid, "status": "error",
            "notes": [note("grading_error", message=message)], "record": None, "staged": None,
            "seconds": 0.0, "log": [message]}


def _finish(res, gb, coursedir, log_dir, results, progress) -> None:
    """Merge one result into the course: gradebook, autograded folder, log."""
    aid, sid = res["assignment"], res["student"]
    dest = Path(coursedir.format_path(coursedir.autograded_directory, sid, aid))
    if res["status"] in ("graded", "zero") and res.get("record"):
        try:
            gbmod.apply(gb, aid, sid, res["record"])
            if dest.exists():
                from .worker import _rmtree

                _rmtree(dest)
            if res.get("staged"):
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(res["staged"], str(dest))
        except Exception as exc:  # keep going: this student is reported as an error
            gbmod.raise_if_unavailable(exc, coursedir.db_url)
            gb.db.rollback()
            res["status"] = "error"
            from .notes import note

            res["notes"].append(note("grading_error", message=f"{type(exc).__name__}: {exc}"))
    (log_dir / aid).mkdir(parents=True, exist_ok=True)
    (log_dir / aid / f"{sid}.log").write_text("\n".join(res.get("log") or []) + "\n",
                                              encoding="utf-8")
    results[(aid, sid)] = res
    label = f"{sid} {aid}"
    if res["notes"]:
        label += "（" + res["notes"][0]["text"] + ("…" if len(res["notes"]) > 1 else "") + "）"
    progress.update(label)


def build_sheet(gb, assignments, titles, all_notes, results) -> Sheet:
    from nbgrader.api import MissingEntry

    students = sorted(s.id for s in gb.students)
    names = {}
    for s in gb.students:
        name = " ".join(x for x in (s.last_name, s.first_name) if x)
        if name:
            names[s.id] = name
    max_scores = {}
    for aid in assignments:
        try:
            max_scores[aid] = float(gb.find_assignment(aid).max_score)
        except MissingEntry:
            max_scores[aid] = 0.0
    cells = {}
    for sid in students:
        for aid in assignments:
            sc = gbmod.scores(gb, aid, sid)
            saved = (all_notes.get(sid) or {}).get(aid) or {}
            res = results.get((aid, sid))
            if sc is None:
                if res is not None:
                    cells[(sid, aid)] = Cell(None, max_scores[aid], False, res["notes"],
                                             res["status"], res["seconds"])
                continue
            status = res["status"] if res else (saved.get("status") or "previous")
            notes = res["notes"] if res else saved.get("notes", [])
            seconds = res["seconds"] if res else saved.get("seconds")
            cells[(sid, aid)] = Cell(sc["score"], sc["max_score"], sc["needs_manual_grade"],
                                     notes, status, seconds)
    for (aid, sid), res in results.items():
        if sid not in students:
            students.append(sid)
            cells.setdefault((sid, aid), Cell(None, max_scores.get(aid, 0.0), False,
                                              res["notes"], res["status"], res["seconds"]))
    return Sheet(assignments, titles, max_scores, sorted(students), names, cells)


if __name__ == "__main__":
    sys.exit(main())
