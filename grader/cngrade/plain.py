"""Answers as plain data: the only form in which anything leaves a grading kernel.

This file is used on both sides:

- in the trainee's kernel its *source text* is sent with each request of the judge
  (``kernel_request``) and run in a fresh namespace, so what the kernel sends back is
  encoded by code the trainee did not write (the trainee's code may still have replaced
  what this code calls — then the kernel sends something else, which is all it can do);
- in the worker and in the judge, ``decode`` turns what came out back into values, and
  refuses anything that is not plain data (``NotPlain``): numbers, strings, booleans,
  None, lists, tuples, sets, dicts, numpy arrays and scalars, pandas Series, Index and
  DataFrames (as values with their dtypes), timestamps; modules and functions of the
  trusted libraries by name only; the trainee's own functions as a name the judge calls
  back into the kernel. Never a pickle, never an object of the trainee's classes.

Types are checked exactly (``type(v) is ...``), so a subclass that lies about its value or
compares equal to anything is refused on the kernel side and again on the trusted side.
"""

import json
import math
import os

# modules the judge imports by name (their functions and classes are referred to by name)
TRUSTED_MODULES = ("cnkit", "pandas", "numpy", "math", "re", "statistics", "datetime",
                   "collections", "itertools", "functools", "operator", "decimal", "fractions")
MAX_ITEMS = 200_000
MAX_DEPTH = 20


class NotPlain(Exception):
    """A value that is not plain data (its Japanese description in ``args[0]``)."""


def _trusted(module_name):
    return isinstance(module_name, str) and module_name.split(".")[0] in TRUSTED_MODULES


def encode(value, depth=0, count=None):
    """Plain JSON for ``value`` (kernel side), or NotPlain."""
    import sys

    count = count if count is not None else [0]
    count[0] += 1
    if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
        raise NotPlain("大きすぎる、または入れ子が深すぎる値")
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return {"t": "int", "v": str(value)} if abs(value) > 2 ** 53 else value
    if t is float:
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    rec = lambda v: encode(v, depth + 1, count)  # noqa: E731
    if t in (list, tuple, set, frozenset):
        items = list(value)
        if t in (set, frozenset):
            items = sorted(items, key=repr)
        return {"t": t.__name__, "v": [rec(v) for v in items]}
    if t is dict:
        return {"t": "dict", "v": [[rec(k), rec(v)] for k, v in value.items()]}
    if np is not None:
        if t is np.bool_:
            return bool(value)
        if isinstance(value, np.generic) and t.__module__ == "numpy":
            if isinstance(value, np.integer):
                return {"t": "np", "dtype": str(value.dtype), "v": rec(int(value))}
            if isinstance(value, np.floating):
                return {"t": "np", "dtype": str(value.dtype), "v": rec(float(value))}
            raise NotPlain(f"numpy の {t.__name__}")
        if t is np.ndarray:
            if value.dtype.kind not in "biufUO":
                raise NotPlain(f"numpy の配列（{value.dtype}）")
            return {"t": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape),
                    "v": [rec(v) for v in value.ravel().tolist()]}
    if pd is not None:
        if t is pd.Timestamp:
            return {"t": "timestamp", "v": value.isoformat()}
        if t in (pd.Index, pd.RangeIndex, pd.MultiIndex):
            return {"t": "index", "multi": t is pd.MultiIndex, "names": [rec(n) for n in value.names],
                    "dtype": str(value.dtype), "v": [rec(v) for v in value.tolist()]}
        if t is pd.Series:
            return {"t": "series", "name": rec(value.name), "dtype": str(value.dtype),
                    "index": rec(value.index), "v": [rec(v) for v in value.tolist()]}
        if t is pd.DataFrame:
            return {"t": "frame", "index": rec(value.index), "columns": rec(value.columns),
                    "dtypes": [str(d) for d in value.dtypes],
                    "v": [[rec(v) for v in value.iloc[:, i].tolist()]
                          for i in range(value.shape[1])]}
    if t.__name__ == "module" and t.__module__ == "builtins":
        if _trusted(value.__name__):
            return {"t": "module", "name": value.__name__}
        raise NotPlain(f"モジュール {value.__name__}")
    if t.__name__ in ("function", "builtin_function_or_method", "type", "ABCMeta"):
        module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", "")
        if _trusted(module) and "<" not in qualname:
            return {"t": "ref", "module": module, "qualname": qualname}
        if t.__name__ == "function":
            return {"t": "function"}
    raise NotPlain(f"{t.__name__} 型の値")


def _write(path, out):
    with open(path, "w", encoding="ascii") as f:
        f.write(json.dumps(out, ensure_ascii=True))


def export(namespace, names, path):
    """Kernel side: write to ``path`` the JSON {name: encoded, or {"t": "missing"/"notplain"}}."""

    out = {}
    for name in names:
        if name not in namespace:
            out[name] = {"t": "missing"}
            continue
        try:
            enc = encode(namespace[name])
            if isinstance(enc, dict) and enc.get("t") == "function":
                enc = {"t": "function", "name": name}
            out[name] = enc
        except NotPlain as exc:
            out[name] = {"t": "notplain", "what": str(exc.args[0])[:200]}
        except Exception as exc:  # a value whose methods fail
            out[name] = {"t": "notplain", "what": type(exc).__name__}
    _write(path, out)


def call(namespace, name, args_json, path):
    """Kernel side: call the trainee's function ``name`` with decoded arguments; print the
    encoded result, or the exception (names of its classes and its message)."""

    args, kwargs = decode(json.loads(args_json))
    args = list(args)
    try:
        result = namespace[name](*args, **kwargs)
        out = {"ok": encode(result)}
    except NotPlain as exc:
        out = {"notplain": str(exc.args[0])[:200]}
    except BaseException as exc:  # noqa: BLE001 - reported to the judge as data
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            out = {"error": {"mro": [["builtins", "RuntimeError"]], "message": type(exc).__name__}}
        else:
            mro = [[c.__module__, c.__qualname__] for c in type(exc).__mro__]
            try:
                message = str(exc)[:2000]
            except Exception:
                message = ""
            out = {"error": {"mro": mro, "message": message}}
    _write(path, out)


# --------------------------------------------------------------------------------------------
# the trusted side
# --------------------------------------------------------------------------------------------
class RemoteFunction:
    """Stands for a function the trainee wrote; calling it asks the kernel (``caller``)."""

    def __init__(self, name, caller):
        self.name, self._caller = name, caller

    def __call__(self, *args, **kwargs):
        return self._caller(self.name, args, kwargs)

    def __repr__(self):
        return f"<関数 {self.name}>"


def resolve(module, qualname):
    """A module's attribute by name, for trusted modules only (else NotPlain)."""
    import importlib

    if not _trusted(module):
        raise NotPlain(f"{module} の値")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if type(obj).__name__ == "module" or not _trusted(getattr(obj, "__module__", None)):
        raise NotPlain(f"{module}.{qualname}")  # e.g. a module that a trusted one imported
    return obj


def decode(data, caller=None, depth=0):
    """Values from plain JSON; NotPlain for anything else."""
    if depth > MAX_DEPTH + 5:
        raise NotPlain("入れ子が深すぎる値")
    if data is None or type(data) in (bool, str, int, float):
        return data
    rec = lambda v: decode(v, caller, depth + 1)  # noqa: E731
    if type(data) is not dict or type(data.get("t")) is not str:
        raise NotPlain("データではない値")
    t = data["t"]
    if t == "int":
        return int(data["v"])
    if t == "float":
        return float(data["v"])
    if t in ("list", "tuple", "set", "frozenset"):
        items = [rec(v) for v in data["v"]]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[t](items)
    if t == "dict":
        return {_hashable(rec(k)): rec(v) for k, v in data["v"]}
    if t == "np":
        import numpy as np
        return np.dtype(data["dtype"]).type(rec(data["v"]))
    if t == "ndarray":
        import numpy as np
        return np.array([rec(v) for v in data["v"]], dtype=data["dtype"]).reshape(data["shape"])
    if t == "timestamp":
        import pandas as pd
        return pd.Timestamp(data["v"])
    if t == "index":
        import pandas as pd
        values = [rec(v) for v in data["v"]]
        names = [rec(n) for n in data["names"]]
        if data["multi"]:
            return pd.MultiIndex.from_tuples([tuple(v) for v in values], names=names)
        return pd.Index(values, dtype=_dtype(data["dtype"]), name=names[0] if names else None)
    if t == "series":
        import pandas as pd
        return pd.Series([rec(v) for v in data["v"]], index=rec(data["index"]),
                         dtype=_dtype(data["dtype"]), name=rec(data["name"]))
    if t == "frame":
        import pandas as pd
        index, columns = rec(data["index"]), rec(data["columns"])
        cols = [pd.Series([rec(v) for v in col], index=index, dtype=_dtype(dt))
                for col, dt in zip(data["v"], data["dtypes"])]
        frame = pd.concat(cols, axis=1) if cols else pd.DataFrame(index=index)
        frame.columns = columns
        return frame
    if t == "module":
        import importlib
        if not _trusted(data["name"]):
            raise NotPlain(f"モジュール {data['name']}")
        return importlib.import_module(data["name"])
    if t == "ref":
        return resolve(str(data["module"]), str(data["qualname"]))
    if t == "function" and caller is not None and type(data.get("name")) is str:
        return RemoteFunction(data["name"], caller)
    raise NotPlain("データではない値")


def _dtype(name):
    import pandas as pd

    try:
        return pd.api.types.pandas_dtype(name)
    except TypeError:
        return object


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, set):
        return frozenset(v)
    return v


def kernel_request(kind, names_or_name, path, args_json=None):
    """The code of one request to the kernel: this file's source, run in a fresh namespace."""
    with open(__file__, encoding="utf-8") as f:
        source = f.read()
    if kind == "export":
        action = f"_g['export'](globals(), {list(names_or_name)!r}, {path!r})"
    else:
        action = f"_g['call'](globals(), {names_or_name!r}, {args_json!r}, {path!r})"
    return f"(lambda _g: (exec({source!r}, _g), {action}))({{'__name__': 'cngrade_plain'}})\n"


def read_reply(path, limit=200_000_000):
    """The JSON the kernel wrote to ``path`` (removed), or None."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
        os.unlink(path)
    except OSError:
        return None
    if len(data) > limit:
        return None
    try:
        return json.loads(data.decode("ascii"))
    except ValueError:
        return None
