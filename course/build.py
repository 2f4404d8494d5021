"""Generate the student notebooks, the worked solutions and the course index.

    python course/build.py                     # everything, into the repository root
    python course/build.py --only 02_measure   # one assignment (and the index)
    python course/build.py --index-only        # only notebooks/index.ipynb
    python course/build.py --out /tmp/out      # somewhere else

For every assignment folder ``course/source/<id>/`` (one ``<id>.ipynb`` plus any data files):

1. in a temporary copy of the course (``nbgrader_config.py`` + the source folder, with its own
   gradebook), run ``nbgrader generate_assignment <id> --force`` and copy ``release/<id>/``
   to ``<out>/notebooks/<id>/``;
2. run ``nbgrader generate_solution <id> --force``, execute the solution notebook with nbclient
   (cwd = its folder, python3 kernel, 120 s per cell, ``NBGRADER_EXECUTION`` unset) and copy it
   with its outputs to ``<out>/solutions/<id>/``; a cell that raises stops the build;
3. write ``<out>/notebooks/index.ipynb`` from ``course/syllabus.yml``.

The output is deterministic: notebooks are written by ``nbformat`` (sorted keys), execution
timestamps, widget state and absolute paths are removed from the solutions. ``tests/`` fails
when the committed ``notebooks/`` and ``solutions/`` drift from what this script generates.

Python API (used by the tests)::

    build(out_dir, only=None, index_only=False, course_dir=COURSE_DIR)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

COURSE_DIR = Path(__file__).resolve().parent
REPO_DIR = COURSE_DIR.parent

CELL_TIMEOUT_S = 120
KERNEL_NAME = "python3"
NBGRADER_TIMEOUT_S = 1800

# Files nbgrader does not copy either (CourseDirectory.ignore).
IGNORED = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]

# Appended to the temporary copy of nbgrader_config.py: the solution is executed by this
# script (with NBGRADER_EXECUTION unset and errors reported), so nbgrader need not run it too.
_BUILD_CONFIG = """

# --- added by course/build.py for the temporary build copy ---
from nbgrader.preprocessors import ClearMarkScheme, ClearOutput, IncludeHeaderFooter, LockCells
c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme]
"""

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = "（ウィジェットはここに表示されます。このセルを実行してください / run this cell to show the widget）"


class BuildError(RuntimeError):
    """A build step failed. The message is in Japanese and English."""


# --------------------------------------------------------------------------------------------
# environment and nbgrader
# --------------------------------------------------------------------------------------------
def kernel_env(repo_dir: Path = REPO_DIR) -> dict[str, str]:
    """Environment for nbgrader and for kernels.

    - the interpreter's bin folder first on PATH: nbgrader's gradebook runs the ``alembic``
      command found on PATH (nbgrader 0.9.6, ``nbgrader.api.get_alembic_version``);
    - the repository on PYTHONPATH, so notebooks import this checkout's ``cnkit``;
    - ``NBGRADER_EXECUTION`` removed: nbgrader sets it itself where it grades or validates.
    """
    env = dict(os.environ)
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("NBGRADER_VALIDATING", None)
    env.pop("MPLBACKEND", None)  # the kernel's own default (inline), even under MPLBACKEND=Agg
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    pythonpath = [str(repo_dir)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(pythonpath))
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def run_nbgrader(args: list[str], cwd: Path, *, check: bool = True,
                 timeout: float = NBGRADER_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run ``python -m nbgrader ARGS`` in ``cwd`` (a course directory) and capture its output."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=cwd, env=kernel_env(), capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise BuildError(
            f"nbgrader {' '.join(args)} が失敗しました (終了コード {proc.returncode}) / "
            f"nbgrader {' '.join(args)} failed (exit code {proc.returncode})\n"
            + _tail(proc.stdout + proc.stderr)
        )
    return proc


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------------------------
# notebooks: reading, normalising, writing
# --------------------------------------------------------------------------------------------
def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, with a clear bilingual error for invalid JSON or missing cell ids."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(
            f"ノートブックを読み込めません（JSON が壊れています）: {path}\n"
            f"Cannot read notebook (invalid JSON): {path}: {exc}"
        ) from exc
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        raise BuildError(f"nbformat 4 のノートブックではありません: {path}\n"
                         f"Not an nbformat 4 notebook: {path}")
    if raw.get("nbformat_minor", 0) >= 5:
        missing = [i for i, c in enumerate(raw.get("cells", [])) if "id" not in c]
        if missing:
            raise BuildError(
                f"セルに id がありません（セル番号 {missing[:5]}）: {path}\n"
                "JupyterLab で開いて保存し直すと id が付きます。\n"
                f"Cells without an id (cell index {missing[:5]}) in {path}; "
                "nbformat would invent random ids and the build would not be reproducible. "
                "Open and save the notebook in JupyterLab (or nbformat.validator.normalize)."
            )
    return nbformat.reads(text, as_version=4)


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write with nbformat (sorted keys, indent 1, UTF-8) and a final newline."""
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    Path(path).write_text(text, encoding="utf-8", newline="\n")


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pat) for pat in IGNORED)


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy ``src`` to a fresh ``dst`` (content only); notebooks re-written by nbformat."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for item in sorted(src.iterdir()):
        if _ignored(item.name):
            continue
        if item.is_dir():
            _copy_tree(item, dst / item.name)
        elif item.suffix == ".ipynb":
            write_notebook(nbformat.read(item, as_version=4), dst / item.name)
        else:
            shutil.copyfile(item, dst / item.name)


def _copy_missing_files(src: Path, dst: Path) -> None:
    """Copy non-notebook files of ``src`` that are not yet in ``dst`` (recursively)."""
    for item in sorted(src.iterdir()):
        if _ignored(item.name) or item.suffix == ".ipynb":
            continue
        target = dst / item.name
        if item.is_dir():
            target.mkdir(exist_ok=True)
            _copy_missing_files(item, target)
        elif not target.exists():
            shutil.copyfile(item, target)


def _sanitize_text(text: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def normalize_solution(nb: nbformat.NotebookNode, metadata: dict,
                       replacements: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """Remove what changes from run to run or machine to machine from an executed notebook
    (timing metadata, widget model ids, absolute paths, how printed text was split into messages)."""
    nb.metadata = copy.deepcopy(metadata)  # no language_info.version, no widget state
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            if out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if data.pop(_WIDGET_VIEW, None) is not None:
                    # random model ids and no saved state: say how to see the widget instead
                    data["text/plain"] = _WIDGET_NOTE
                    data.pop("text/html", None)
                if not data:
                    continue
                for mime, value in list(data.items()):
                    if mime.startswith("text/") and isinstance(value, str):
                        data[mime] = _sanitize_text(value, replacements)
                out.metadata.pop("transient", None)
            elif out.output_type == "stream":
                out.text = _sanitize_text(out.text, replacements)
                last = outputs[-1] if outputs else None
                if last is not None and last.output_type == "stream" and last.name == out.name:
                    # the kernel splits printed text into messages as it flushes, differently each run
                    last.text += out.text
                    continue
            elif out.output_type == "error":
                out.traceback = [_sanitize_text(t, replacements) for t in out.traceback]
                out.evalue = _sanitize_text(out.evalue, replacements)
            outputs.append(out)
        cell.outputs = outputs
    return nb


def _path_replacements(workdir: Path) -> list[tuple[str, str]]:
    """Absolute paths that may appear in outputs → neutral text (longest first)."""
    pairs = {
        str(workdir) + os.sep: "",
        str(workdir): ".",
        str(REPO_DIR): "<repo>",
        sys.prefix: "<python>",
        sys.base_prefix: "<python>",
        tempfile.gettempdir(): "<tmp>",
        str(Path.home()): "~",
    }
    for p in list(pairs):
        real = os.path.realpath(p)
        if real != p:
            pairs.setdefault(real, pairs[p])
    return sorted(((k, v) for k, v in pairs.items() if len(k) > 1),
                  key=lambda kv: len(kv[0]), reverse=True)


def _describe_cell(nb: nbformat.NotebookNode, index: int) -> str:
    cell = nb.cells[index]
    parts = [f"セル {index + 1} / cell {index + 1}"]
    if cell.get("id"):
        parts.append(f"id={cell.id}")
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id:
        parts.append(f"grade_id={grade_id}")
    return ", ".join(parts)


def execute_solution(path: Path, *, timeout: int = CELL_TIMEOUT_S) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` in its folder; raise BuildError on the first error."""
    from nbclient import NotebookClient

    nb = read_notebook(path)
    metadata = copy.deepcopy(nb.metadata)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=KERNEL_NAME, allow_errors=True,
        # store_widget_state=False breaks Output widgets in nbclient 0.10 (KeyError); the state
        # is dropped afterwards with the rest of the notebook metadata.
        record_timing=False, store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # The kernel's own stderr (e.g. ipykernel's "running over TCP" warning) goes to a file,
    # shown only when the execution fails.
    with tempfile.TemporaryFile(mode="w+b") as kernel_log:
        try:
            client.execute(env=kernel_env(), cwd=str(path.parent), stderr=kernel_log,
                           stdout=kernel_log)
        except Exception as exc:  # kernel died, timeout, …
            kernel_log.seek(0)
            log_text = kernel_log.read().decode("utf-8", "replace")
            raise BuildError(
                f"解答ノートブックを実行できませんでした: {path.name}\n"
                f"Could not execute solution notebook {path.name}: {type(exc).__name__}: {exc}"
                + (f"\n--- kernel log ---\n{_tail(log_text)}" if log_text.strip() else "")
            ) from exc
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                source = "\n".join(cell.source.splitlines()[:8])
                raise BuildError(
                    f"解答ノートブック {path.name} の{_describe_cell(nb, index)} でエラーが出ました: "
                    f"{out.ename}: {out.evalue}\n"
                    f"Solution notebook {path.name} failed in cell {index + 1} "
                    f"({_describe_cell(nb, index)}): {out.ename}: {out.evalue}\n"
                    f"--- cell source ---\n{source}"
                )
    return normalize_solution(nb, metadata, _path_replacements(path.parent))


def stderr_cells(nb: nbformat.NotebookNode) -> list[str]:
    """Cells that wrote to stderr (warnings). In a grade cell that would cost the points."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(
            o.output_type == "stream" and o.name == "stderr" for o in cell.outputs
        ):
            found.append(_describe_cell(nb, index))
    return found


# --------------------------------------------------------------------------------------------
# assignments
# --------------------------------------------------------------------------------------------
def source_assignments(course_dir: Path = COURSE_DIR) -> list[str]:
    """Assignment ids = folders of ``course/source`` that hold at least one notebook."""
    source = Path(course_dir) / "source"
    if not source.is_dir():
        return []
    return sorted(
        d.name for d in source.iterdir()
        if d.is_dir() and not d.name.startswith((".", "_")) and any(d.glob("*.ipynb"))
    )


def make_temp_course(course_dir: Path, workdir: Path, assignment_ids: list[str],
                     *, build_config: bool = True) -> Path:
    """A throw-away course: nbgrader_config.py (root = that folder) + the given sources."""
    root = Path(workdir) / "course"
    (root / "source").mkdir(parents=True, exist_ok=True)
    config = (Path(course_dir) / "nbgrader_config.py").read_text(encoding="utf-8")
    if build_config:
        config += _BUILD_CONFIG
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    for aid in assignment_ids:
        shutil.copytree(Path(course_dir) / "source" / aid, root / "source" / aid,
                        ignore=shutil.ignore_patterns(*IGNORED))
    return root


def build_assignment(aid: str, out_dir: Path, course_dir: Path = COURSE_DIR,
                     log=print) -> dict:
    """Generate notebooks/<aid> and solutions/<aid> into ``out_dir``."""
    t0 = time.perf_counter()
    src_dir = Path(course_dir) / "source" / aid
    notebooks = sorted(p for p in src_dir.glob("*.ipynb"))
    for nb_path in notebooks:
        read_notebook(nb_path)  # fail early and clearly on a broken source
    if not (src_dir / f"{aid}.ipynb").exists():
        log(f"[build] 注意/warning: {aid}/ に {aid}.ipynb がありません (the notebook should be "
            f"named after its folder)")
    with tempfile.TemporaryDirectory(prefix=f"cn-build-{aid}-") as tmp:
        root = make_temp_course(course_dir, Path(tmp), [aid])
        log(f"[build] {aid}: 生徒用 / student copy (nbgrader generate_assignment)")
        run_nbgrader(["generate_assignment", aid, "--force"], cwd=root)
        log(f"[build] {aid}: 解答 / solution (nbgrader generate_solution)")
        run_nbgrader(["generate_solution", aid, "--force"], cwd=root)

        release = root / "release" / aid
        solution = root / "solution" / aid
        if not release.is_dir() or not solution.is_dir():
            raise BuildError(f"nbgrader が {aid} を出力しませんでした / nbgrader produced no "
                             f"output for {aid}")
        _copy_missing_files(src_dir, release)
        _copy_missing_files(src_dir, solution)

        warnings = []
        for nb_path in sorted(solution.glob("*.ipynb")):
            log(f"[build] {aid}: 解答を実行 / executing {nb_path.name}")
            t1 = time.perf_counter()
            nb = execute_solution(nb_path)
            write_notebook(nb, nb_path)
            for where in stderr_cells(nb):
                warnings.append(f"{nb_path.name}: {where}")
                log(f"[build] 注意/warning: {aid}/{nb_path.name} {where} が stderr に出力しました "
                    "(wrote to stderr; in a test cell this scores 0)")
            log(f"[build] {aid}: 実行 {time.perf_counter() - t1:.1f} s / executed")

        # Copy last: files the solution run created stay in the temporary folder.
        _copy_tree(release, Path(out_dir) / "notebooks" / aid)
        _copy_tree(solution, Path(out_dir) / "solutions" / aid)
    seconds = time.perf_counter() - t0
    log(f"[build] {aid}: 完了 / done ({seconds:.1f} s)")
    return {"id": aid, "seconds": round(seconds, 1), "warnings": warnings}


# --------------------------------------------------------------------------------------------
# the course index
# --------------------------------------------------------------------------------------------
def load_syllabus(course_dir: Path = COURSE_DIR) -> dict:
    import yaml

    with open(Path(course_dir) / "syllabus.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


CONCEPTS_FILE = "concepts.yml"


def load_concepts(course_dir: Path = COURSE_DIR) -> dict:
    """course/concepts.yml: assignment → grade_id → {concept, section} ({} if there is none)."""
    import yaml

    path = Path(course_dir) / CONCEPTS_FILE
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def graded_cells(nb_path: Path) -> tuple[list[str], set[str]]:
    """(grade_ids of the graded cells, headings of the notebook without their '#')."""
    nb = read_notebook(nb_path)
    ids, headings = [], set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings.update(line.lstrip("#").strip() for line in cell.source.splitlines()
                            if line.startswith("#"))
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id"):
            ids.append(meta["grade_id"])
    return ids, headings


def concept_problems(course_dir: Path = COURSE_DIR, ids: list[str] | None = None) -> list[str]:
    """What is wrong with course/concepts.yml for the assignments ``ids`` (all by default):
    a graded cell without a concept and section, an entry for a cell that is gone, a section
    that is not a heading of the notebook. Japanese messages; [] when all is well."""
    concepts = load_concepts(course_dir)
    all_ids = source_assignments(course_dir)
    problems = []
    for aid in ids or all_ids:
        entries = concepts.get(aid) or {}
        seen = set()
        for nb_path in sorted((Path(course_dir) / "source" / aid).glob("*.ipynb")):
            grade_ids, headings = graded_cells(nb_path)
            for gid in grade_ids:
                seen.add(gid)
                entry = entries.get(gid)
                where = f"{CONCEPTS_FILE} の {aid}: {gid}"
                if not isinstance(entry, dict) or not str(entry.get("concept") or "").strip():
                    problems.append(f"{where}: 概念（concept）がありません（{nb_path.name} の採点セル）")
                    continue
                section = str(entry.get("section") or "").strip()
                if section not in headings:
                    problems.append(f"{where}: section「{section}」は {nb_path.name} の見出しにありません")
        for gid in sorted(set(entries) - seen):
            problems.append(f"{CONCEPTS_FILE} の {aid}: {gid}: ノートブックにこの採点セルがありません"
                            "（古い項目です。削除してください）")
    if ids is None:
        for aid in sorted(set(concepts) - set(all_ids)):
            problems.append(f"{CONCEPTS_FILE} の {aid}: course/source にない課題です")
    return problems


def _md_cell(cell_id: str, text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text.strip("\n"))
    cell.id = cell_id
    return cell


def _fmt_minutes(minutes: int) -> str:
    hours, mins = divmod(int(minutes), 60)
    if hours and mins:
        return f"{hours}時間{mins}分"
    if hours:
        return f"{hours}時間"
    return f"{mins}分"


def index_notebook(syllabus: dict, available: set[str]) -> nbformat.NotebookNode:
    """The course index (Japanese). Links only to notebooks whose source exists."""
    course = syllabus["course"]
    notebooks = syllabus["notebooks"]
    by_id = {n["id"]: n for n in notebooks}

    def link(nid: str) -> str:
        n = by_id[nid]
        label = f"{nid[:2]} {n['title']}"
        if nid in available:
            return f"[{label}]({nid}/{nid}.ipynb)"
        return f"{label}（準備中）"

    cells = []
    cells.append(_md_cell("index-title", f"""
# {course['title']}

{course['summary'].strip()}

- 対象: {course['audience']}
- 事例: {course['case']}
- 全体の流れ: {' → '.join(s['name'] for s in syllabus['stages'])}
"""))

    cells.append(_md_cell("index-how-to", """
## この講座の使い方

1. **上から順に読み、セルを実行します。** セルをクリックして `Shift` + `Enter` を押すと、そのセルが実行されて次のセルに進みます。
   最初からやり直したいときは、メニューの「カーネル」→「カーネルを再起動して全セルを実行」を使います。
2. **演習（○点）** の見出しがある所では、`# ここに解答を書いてください` の行と `raise NotImplementedError(...)` の行を消して、答えを書きます。
   多くの演習は `変数名 = 値` の形で答えます。文章で答える演習は、そのセルをダブルクリックして書き込みます。
3. **自己チェック**: 解答のすぐ下のセルを実行します。✅ が出たら、答えの形（数値か、単位や桁が合っているか）はOKです。
   ⚠ が出たら、何を見直せばよいかが日本語で出ます。正解そのものは表示されません。採点では、さらに隠れたテストで値を確かめます。
4. **提出**: 研修では、講師の指示に従って、左のサイドバーの「Assignments」（課題一覧）から **Submit** を押します。
   提出の前に、ツールバーの「Validate」（検証）ボタンで、失敗する自己チェックやテストがないか確かめられます。
5. **ひとりで学ぶ場合**: 提出は不要です。解答例は `solutions/` フォルダーにあります。まず自分で解いてから見比べてください。
"""))

    rows = ["| # | ノートブック | 段階 | 所要時間 |", "|---|---|---|---|"]
    for n in notebooks:
        rows.append(f"| {n['id'][:2]} | {link(n['id'])} | {n['stage']} | {n['minutes']}分 |")
    total = sum(n["minutes"] for n in notebooks)
    cells.append(_md_cell("index-notebooks", f"""
## ノートブック一覧

{chr(10).join(rows)}

合計 約{_fmt_minutes(total)}。「準備中」のノートブックは、用意ができしだい追加されます。
"""))

    plans = syllabus["plans"]
    live = plans["live_2day"]
    parts = [f"## 受講プラン\n\n### {live['title']}\n\n{live['description'].strip()}\n"]
    for day in live["days"]:
        rows = [f"#### {day['title']}", "", "| 内容 | 時間 |", "|---|---|"]
        for item in day["sessions"]:
            if "notebook" in item:
                label = link(item["notebook"])
                if item.get("focus"):
                    label += f"<br>（{item['focus']}）"
            else:
                label = item["label"]
            rows.append(f"| {label} | {item['minutes']}分 |")
        day_total = sum(i["minutes"] for i in day["sessions"])
        rows.append(f"| **計** | **{day_total}分** |")
        parts.append("\n".join(rows) + "\n")
    selfp = plans["self_study"]
    rows = [f"### {selfp['title']}", "", selfp["description"].strip(), "",
            "| 順番 | ノートブック | 時間 |", "|---|---|---|"]
    for i, item in enumerate(selfp["sessions"], start=1):
        rows.append(f"| {i} | {link(item['notebook'])} | {item['minutes']}分 |")
    rows.append(f"| | **計** | **{_fmt_minutes(sum(i['minutes'] for i in selfp['sessions']))}** |")
    parts.append("\n".join(rows) + "\n")
    cells.append(_md_cell("index-plans", "\n".join(parts)))

    cells.append(_md_cell("index-start", f"""
## はじめましょう

まず {link(notebooks[0]['id'])} を開いてください。JupyterLab の使い方と、演習・自己チェック・提出の流れを体験します。
"""))

    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def build_index(out_dir: Path, course_dir: Path = COURSE_DIR, log=print) -> Path:
    syllabus = load_syllabus(course_dir)
    available = set(source_assignments(course_dir))
    unknown = sorted(available - {n["id"] for n in syllabus["notebooks"]})
    if unknown:
        log(f"[build] 注意/warning: syllabus.yml にない課題 / not in syllabus.yml: {unknown}")
    path = Path(out_dir) / "notebooks" / "index.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_notebook(index_notebook(syllabus, available), path)
    log(f"[build] 目次 / index: {path.relative_to(out_dir)} "
        f"({len(available & {n['id'] for n in syllabus['notebooks']})}/"
        f"{len(syllabus['notebooks'])} 公開 / available)")
    return path


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------
def build(out_dir: Path | str = REPO_DIR, only: list[str] | None = None, *,
          index_only: bool = False, course_dir: Path | str = COURSE_DIR,
          jobs: int | None = None, log=print) -> dict:
    """Build into ``out_dir``; returns ``{"assignments": [...], "index": path}``."""
    out_dir = Path(out_dir).resolve()
    course_dir = Path(course_dir).resolve()
    ids = source_assignments(course_dir)
    if only:
        unknown = sorted(set(only) - set(ids))
        if unknown:
            raise BuildError(f"course/source にない課題です: {unknown}\n"
                             f"No such assignment in course/source: {unknown} (have: {ids})")
        ids = [i for i in ids if i in set(only)]
    results = []
    if not index_only and (course_dir / CONCEPTS_FILE).is_file():
        problems = concept_problems(course_dir, ids if only else None)
        if problems:
            raise BuildError("course/concepts.yml を直してください / fix course/concepts.yml:\n"
                             + "\n".join(problems))
    if not index_only:
        if not ids:
            log("[build] course/source に課題がありません / no assignments in course/source")
        jobs = jobs or min(4, os.cpu_count() or 1, max(1, len(ids)))
        if jobs <= 1 or len(ids) <= 1:
            results = [build_assignment(aid, out_dir, course_dir, log) for aid in ids]
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(build_assignment, aid, out_dir, course_dir, log)
                           for aid in ids]
                results = [f.result() for f in futures]
    index = build_index(out_dir, course_dir, log)
    orphans = orphan_folders(out_dir, course_dir)
    for folder in orphans:
        log(f"[build] 注意/warning: {folder} に対応する course/source がありません。不要なら削除して"
            f"ください / has no source assignment: delete it if it is obsolete")
    return {"assignments": results, "index": index, "orphans": orphans}


def orphan_folders(out_dir: Path | str = REPO_DIR, course_dir: Path | str = COURSE_DIR) -> list[str]:
    """Generated folders (notebooks/<id>, solutions/<id>) whose source no longer exists."""
    ids = set(source_assignments(Path(course_dir)))
    found = []
    for kind in ("notebooks", "solutions"):
        base = Path(out_dir) / kind
        if base.is_dir():
            found += [f"{kind}/{d.name}" for d in sorted(base.iterdir())
                      if d.is_dir() and not _ignored(d.name) and not d.name.startswith(".")
                      and d.name not in ids]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="course/source から notebooks/・solutions/・目次を生成します "
                    "(generate student notebooks, solutions and the index)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="この課題だけ / only these ids")
    parser.add_argument("--index-only", action="store_true", help="目次だけ / only the index")
    parser.add_argument("--out", default=str(REPO_DIR), help="出力先 / output folder "
                        "(default: repository root)")
    parser.add_argument("--jobs", type=int, default=None, help="並列数 / parallel builds")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        build(args.out, args.only, index_only=args.index_only, jobs=args.jobs)
    except BuildError as exc:
        print(f"\n[build] 失敗 / FAILED\n{exc}", file=sys.stderr)
        return 1
    print(f"[build] 完了 / done in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
