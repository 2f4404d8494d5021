"""The trusted judge: runs the hidden tests on the trainee's answers, outside the kernel.

Started by a grading worker as ``python -I judge.py`` (isolated: no PYTHONPATH, no user site,
not the submission folder on ``sys.path``), in the assignment's own folder, never inside the
sandbox and never running a line the trainee wrote. It speaks JSON lines on stdin/stdout:

    worker → judge   {"op": "reset"}                       a new notebook: a fresh namespace
    worker → judge   {"op": "test", "source": ..., "values": {name: plain}, "cell": n}
    judge  → worker  {"op": "call", "name": ..., "args": plain}   a trainee's function
    worker → judge   {"reply": {...}}                             what the kernel answered
    judge  → worker  {"op": "done", "outputs": [nbformat outputs]}

The test cell runs as IPython would run it (last expression displayed, stdout, stderr and
warnings captured), so its outputs decide the grade exactly as nbgrader decides it.
"""

import ast
import contextlib
import io
import json
import os
import sys
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plain  # noqa: E402

PROTOCOL = sys.stdout
sys.stdout = sys.stderr  # nothing a test prints can reach the protocol


def send(obj):
    PROTOCOL.write(json.dumps(obj, ensure_ascii=True) + "\n")
    PROTOCOL.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        raise SystemExit(0)
    return json.loads(line)


def _exception(error):
    """The trusted exception class named by the kernel (its first trusted base)."""
    import builtins

    message = str(error.get("message", ""))
    for module, qualname in error.get("mro", []):
        try:
            cls = (getattr(builtins, str(qualname)) if module == "builtins"
                   else plain.resolve(str(module), str(qualname)))
        except Exception:
            continue
        if isinstance(cls, type) and issubclass(cls, Exception):
            try:
                return cls(message)
            except Exception:
                exc = cls.__new__(cls)
                exc.args = (message,)
                return exc
    return RuntimeError(message)


def call_kernel(name, args, kwargs):
    try:
        payload = plain.encode((tuple(args), dict(kwargs)))
    except plain.NotPlain as exc:
        raise TypeError(f"「{name}」に渡す値をカーネルに送れません（{exc.args[0]}）") from None
    send({"op": "call", "name": name, "args": payload})
    reply = receive().get("reply") or {}
    if "ok" in reply:
        try:
            return plain.decode(reply["ok"], call_kernel)
        except plain.NotPlain as exc:
            raise TypeError(f"「{name}」が返した値は採点できるデータではありません（{exc.args[0]}）") \
                from None
    if "notplain" in reply:
        raise TypeError(f"「{name}」が返した値は採点できるデータではありません（{reply['notplain']}）")
    if "error" in reply:
        raise _exception(reply["error"])
    raise RuntimeError(f"「{name}」を呼び出せませんでした（{reply.get('failed', '応答なし')}）")


def run_cell(source, namespace):
    """Outputs of ``source`` run in ``namespace`` as an IPython cell."""
    outputs = []
    out, err = io.StringIO(), io.StringIO()
    result = None
    error = None
    try:
        tree = ast.parse(source, "<テストセル>")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
            exec(compile(tree, "<テストセル>", "exec"), namespace)
            if last is not None:
                result = eval(compile(last, "<テストセル>", "eval"), namespace)
    except BaseException as exc:  # noqa: BLE001 - becomes the cell's error output
        error = exc
    if out.getvalue():
        outputs.append({"output_type": "stream", "name": "stdout", "text": out.getvalue()})
    if err.getvalue():
        outputs.append({"output_type": "stream", "name": "stderr", "text": err.getvalue()})
    if error is not None:
        tb = traceback.format_exception(type(error), error, error.__traceback__)
        outputs.append({"output_type": "error", "ename": type(error).__name__,
                        "evalue": str(error), "traceback": [line.rstrip("\n") for line in tb]})
    elif result is not None:
        outputs.append({"output_type": "execute_result", "execution_count": None,
                        "metadata": {}, "data": {"text/plain": repr(result)}})
    return outputs, error


def main():
    os.environ.setdefault("MPLBACKEND", "Agg")
    import cnkit  # noqa: F401 - imported before the first notebook (as the kernels preload it)
    import pandas  # noqa: F401

    namespace = None
    send({"op": "ready"})
    while True:
        msg = receive()
        if msg.get("op") == "reset" or namespace is None:
            namespace = {"__name__": "__main__", "__builtins__": __builtins__}
            if msg.get("cwd") and os.path.isdir(msg["cwd"]):
                os.chdir(msg["cwd"])
        if msg.get("op") != "test":
            continue
        rejected = {}
        for name, value in (msg.get("values") or {}).items():
            if isinstance(value, dict) and value.get("t") == "missing":
                continue
            if isinstance(value, dict) and value.get("t") == "notplain":
                rejected[name] = value.get("what", "")
                namespace.pop(name, None)
                continue
            try:
                namespace[name] = plain.decode(value, call_kernel)
            except (plain.NotPlain, ValueError, TypeError, KeyError, AttributeError,
                    ImportError) as exc:
                rejected[name] = exc.args[0] if exc.args else type(exc).__name__
                namespace.pop(name, None)
        outputs, error = run_cell(msg["source"], namespace)
        if isinstance(error, NameError) and getattr(error, "name", None) in rejected:
            name = error.name
            outputs[-1].update(ename="TypeError", evalue=(
                f"「{name}」は採点できる値（数・文字列・真偽値・リスト・辞書・表）ではありません"
                f"（{rejected[name]}）"))
            outputs[-1]["traceback"] = [f"TypeError: {outputs[-1]['evalue']}"]
        send({"op": "done", "outputs": outputs})


if __name__ == "__main__":
    main()
