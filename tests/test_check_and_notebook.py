"""cnkit.check (visible self-checks) and cnkit.notebook (Japanese messages instead of tracebacks)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import cnkit
from cnkit import CheckFailed, CnkitError
from cnkit import check
from cnkit.notebook import japanese_message

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")

# a "hidden" answer and a wide plausibility range around it, as a notebook would use them
HIDDEN = 269.44
LOW, HIGH = 100, 1000


def fails(func, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        func(*args, **kwargs)
    err = info.value
    assert isinstance(err, AssertionError)  # nbgrader counts the cell as failed
    assert isinstance(err, CnkitError)
    msg = str(err)
    assert JAPANESE.search(msg), msg
    assert str(HIDDEN) not in msg and f"{HIDDEN:,.1f}" not in msg and f"{HIDDEN:.0f}" not in msg
    return msg


# ---------------------------------------------------------------- number

@pytest.mark.parametrize("value", [HIDDEN, 270, 100, 1000, np.float64(300.5), np.int64(500), pd.Series([1.0, 2.0]).sum() * 100])
def test_number_passes(value, capsys):
    check.number(value, "電力CO2_t", "t-CO2", LOW, HIGH)
    out = capsys.readouterr().out
    assert "✅" in out and "電力CO2_t" in out


@pytest.mark.parametrize("value, words", [
    ("269.4", ["文字列"]),
    (True, ["True/False"]),
    (np.True_, ["True/False"]),
    (None, ["まだ"]),
    (..., ["まだ"]),
    (pd.Series([HIDDEN]), ["sum"]),
    (pd.DataFrame({"co2_t": [HIDDEN]}), ["表"]),
    ([HIDDEN], ["複数"]),
    (float("nan"), ["NaN"]),
    (float("inf"), ["無限大"]),
    (-HIDDEN, ["負"]),
    (HIDDEN * 1000, ["単位", "1000倍"]),
    (HIDDEN / 1000, ["単位", "1000分の1"]),
    (HIDDEN * 1003, ["単位"]),
    (5_000_000.0, ["大きすぎ"]),
    (0.00001, ["小さすぎ"]),
    (object(), ["数値ではありません"]),
])
def test_number_fails(value, words, capsys):
    msg = fails(check.number, value, "電力CO2_t", "t-CO2", LOW, HIGH)
    for word in words:
        assert word in msg, msg
    assert "電力CO2_t" in msg
    assert "✅" not in capsys.readouterr().out


def test_number_hint_is_shown():
    msg = fails(check.number, 5_000_000.0, "x", "t-CO2", LOW, HIGH, hint="kWh のまま掛けていませんか？")
    assert "kWh のまま掛けていませんか？" in msg


# ---------------------------------------------------------------- share, rate

@pytest.mark.parametrize("value", [0, 0.0, 0.25, 1, np.float64(0.8)])
def test_share_passes(value, capsys):
    check.share(value, "割合")
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("value, word", [(25, "百分率"), (80.0, "百分率"), (-0.1, "0 以上 1 以下"),
                                         (150, "0 以上 1 以下"), ("0.25", "文字列"), (None, "まだ"),
                                         (float("nan"), "NaN")])
def test_share_fails(value, word):
    assert word in fails(check.share, value, "割合")


@pytest.mark.parametrize("value", [-0.05, 0.0, 0.042, 1.0, -1.0])
def test_rate_passes(value, capsys):
    check.rate(value, "増減率")
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("value", [-5, 4.2, 150, "−0.05", None])
def test_rate_fails(value):
    fails(check.rate, value, "増減率")


# ---------------------------------------------------------------- flag

@pytest.mark.parametrize("value", [True, False, np.True_, np.float64(1600.0) >= 1500, pd.Series([1, 2]).sum() > 5])
def test_flag_passes(value, capsys):
    check.flag(value, "特定事業者")
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("value, word", [("True", "文字列"), ("はい", "文字列"), (1, "True か False"),
                                         (0, "True か False"), (None, "まだ"), (..., "まだ"),
                                         (pd.Series([True]), "True か False")])
def test_flag_fails(value, word):
    assert word in fails(check.flag, value, "特定事業者")


# ---------------------------------------------------------------- choice

STAGES = ["知る", "測る", "減らす", "知らせる", "備える"]


def test_choice_passes(capsys):
    check.choice("測る", "段階", STAGES)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["はかる", "測る ", 2, None, ..., pd.Series(["測る"]), ["測る"]])
def test_choice_fails(value):
    msg = fails(check.choice, value, "段階", STAGES)
    assert "知る" in msg and "備える" in msg  # the options (not secret) are listed


# ---------------------------------------------------------------- series

LABELS = ["電力", "都市ガス", "A重油"]
GOOD = pd.Series({"電力": 269.4, "都市ガス": 82.0, "A重油": 132.0})


def test_series_passes(capsys):
    check.series(GOOD, "エネルギー別CO2", LABELS, "t-CO2", 1, 1000)
    check.series(GOOD[::-1], "エネルギー別CO2", LABELS, "t-CO2", 1, 1000)  # any order
    assert capsys.readouterr().out.count("✅") == 2


@pytest.mark.parametrize("value, word", [
    (GOOD.to_frame("co2_t"), "DataFrame"),
    (GOOD.to_dict(), "Series"),
    (list(GOOD), "Series"),
    (None, "Series"),
    (GOOD.drop("A重油"), "足りないラベル"),
    (pd.concat([GOOD, pd.Series({"灯油": 12.0})]), "余分なラベル"),
    (GOOD.rename({"電力": "electricity"}), "ラベル"),
    (GOOD.where(GOOD < 200), "NaN"),
    (GOOD * 1000, "t-CO2"),
    (GOOD.astype(str), "数値"),
])
def test_series_fails(value, word):
    msg = fails(check.series, value, "エネルギー別CO2", LABELS, "t-CO2", 1, 1000)
    assert word in msg, msg
    assert "269.4" not in msg


# ---------------------------------------------------------------- japanese_message

def test_japanese_message_for_common_errors():
    try:
        undefined_answer  # noqa: F821
    except NameError as exc:
        msg = japanese_message(NameError, exc)
    assert "undefined_answer" in msg and "定義されていません" in msg
    msg = japanese_message(NotImplementedError, NotImplementedError())
    assert "NotImplementedError" in msg and JAPANESE.search(msg)
    err = cnkit.BillError(["a.csv 3行目 列「使用量」の値「-5」: 使用量が負の値です"])
    assert japanese_message(type(err), err) == str(err)
    assert japanese_message(CheckFailed, CheckFailed("「x」を見直してください")) == "「x」を見直してください"
    assert japanese_message(ZeroDivisionError, ZeroDivisionError("division by zero")) == "division by zero"


# ---------------------------------------------------------------- a real IPython shell

@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance()
    ip.history_manager.enabled = False
    cnkit.setup_notebook()
    yield ip
    ip.set_custom_exc((), None)
    InteractiveShell.clear_instance()
    pd.reset_option("display.float_format")


def _run(ip, code, capsys):
    capsys.readouterr()
    res = ip.run_cell(code)
    out = capsys.readouterr()
    return res, out.out + out.err


def test_cnkit_error_shows_japanese_without_traceback(shell, capsys):
    res, text = _run(shell, "import cnkit\nraise cnkit.CnkitError('係数がデータにありません。factor_fy= を使ってください。')", capsys)
    assert "係数がデータにありません" in text
    assert "Traceback" not in text and 'File "' not in text
    assert isinstance(res.error_in_exec, CnkitError)
    assert not res.success


def test_bill_error_and_check_failure_in_shell(shell, capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("拠点,エネルギー,使用月,使用量,単位\n本社,電気,2025年4月,-5,kWh\n", encoding="utf-8")
    res, text = _run(shell, f"import cnkit\ncnkit.read_bills({str(path)!r})", capsys)
    assert "bad.csv 2行目" in text and "使用量" in text and "Traceback" not in text
    assert isinstance(res.error_in_exec, cnkit.BillError)
    res, text = _run(shell, "from cnkit import check\ncheck.number('12', '電力CO2_t', 't-CO2', 1, 100)", capsys)
    assert "文字列" in text and "Traceback" not in text
    assert isinstance(res.error_in_exec, AssertionError)
    assert not res.success


def test_name_error_and_unanswered_exercise_in_shell(shell, capsys):
    res, text = _run(shell, "a社_電力CO2_t * 2", capsys)
    assert "a社_電力CO2_t" in text and "定義されていません" in text and "Traceback" not in text
    assert isinstance(res.error_in_exec, NameError)
    res, text = _run(shell, "raise NotImplementedError()", capsys)
    assert "解答" in text and "Traceback" not in text
    assert isinstance(res.error_in_exec, NotImplementedError)


def test_other_errors_keep_their_traceback(shell, capsys):
    res, text = _run(shell, "1 / 0", capsys)
    assert "ZeroDivisionError" in text
    assert isinstance(res.error_in_exec, ZeroDivisionError)


def test_setup_notebook_outside_ipython_is_harmless():
    cnkit.setup_notebook()
    try:
        assert math.isfinite(1.0)
        text = pd.DataFrame({"x": [1234.5678, 0.000421]}).to_string()
        assert "1,234.568" in text
    finally:
        pd.reset_option("display.float_format")


def test_real_kernel_cell_fails_with_japanese_error_output():
    """In a Jupyter kernel the message must be an *error output* of the cell: nbgrader gives no credit
    for a test cell only when it finds one (a silent failure would be graded as passed)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    import os
    from pathlib import Path

    root = Path(cnkit.__file__).resolve().parent.parent
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import cnkit\ncnkit.setup_notebook()"),
                nbformat.v4.new_code_cell("raise cnkit.CnkitError('係数がデータにありません')"),
                nbformat.v4.new_code_cell("from cnkit import check\ncheck.flag('True', '特定事業者')"),
                nbformat.v4.new_code_cell("a社_電力CO2_t")]
    env_before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(root) + (os.pathsep + env_before if env_before else "")
    try:
        nbclient.NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
    finally:
        if env_before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = env_before
    assert not [o for o in nb.cells[0].outputs if o.output_type == "error"]
    for cell, ename, words in [(nb.cells[1], "CnkitError", "係数がデータにありません"),
                               (nb.cells[2], "CheckFailed", "文字列"),
                               (nb.cells[3], "NameError", "a社_電力CO2_t")]:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert len(errors) == 1, cell.outputs
        assert errors[0].ename == ename
        text = "\n".join(errors[0].traceback)
        assert words in text and "Traceback" not in text


# ---------------------------------------------------------------- choices (several answers, one OK line)

def test_choices_by_key_pass_with_one_line(capsys):
    check.choices({1: "測る", 2: "知る", 3: "減らす"}, "stage_answers", STAGES, keys=[1, 2, 3])
    out = capsys.readouterr().out
    assert out.count("✅") == 1 and "3件" in out


def test_choices_in_a_list_pass_with_one_line(capsys):
    check.choices(["測る", "知る"], "段階の一覧", STAGES)
    assert capsys.readouterr().out.count("✅") == 1


@pytest.mark.parametrize("answers, words", [
    (None, ["まだ", "辞書"]),
    (["測る", "知る"], ["辞書"]),
    ({1: "測る", 3: "知る"}, ["番号 2", "3件"]),            # a missing key is named
    ({1: "測る", 2: "はかる", 3: "知る"}, ["stage_answers[2]", "はかる", "備える"]),  # the wrong item is named
    ({1: "測る", 2: ["知る"], 3: "知る"}, ["stage_answers[2]", "複数"]),
])
def test_choices_by_key_fail(answers, words):
    msg = fails(check.choices, answers, "stage_answers", STAGES, keys=[1, 2, 3])
    for word in words:
        assert word in msg, (word, msg)


@pytest.mark.parametrize("answers, words", [
    (None, ["まだ", "リスト"]), ("測る", ["リスト"]), ([], ["1つ以上"]),
    (["測る", "はかる"], ["段階の一覧（はかる）", "備える"]),
])
def test_choices_in_a_list_fail(answers, words):
    msg = fails(check.choices, answers, "段階の一覧", STAGES)
    for word in words:
        assert word in msg, (word, msg)
