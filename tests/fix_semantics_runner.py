"""Runs the original and the fixed case modules of tests/fix_semantics.rs on fresh inputs and
prints one JSON object per case: what each returned (type, dtype, shape and the exact bytes of
the value) or raised (the exception type), and whether the two values are close.

Usage: python fix_semantics_runner.py ORIGINAL.py FIXED.py CASES.json
"""
import importlib.util
import json
import math
import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")

SIGNED = {"int8", "int16", "int32", "int64"}
UNSIGNED = {"uint8", "uint16", "uint32", "uint64"}


def mk(dtype, shape, seed=0, nan=None, values=None):
    """A fresh input array: seeded random values of `dtype` and `shape`, or the given values,
    with a NaN put first, in the middle or last."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape)) if shape else 1
    if values is not None:
        a = np.array(values, dtype=dtype)
    elif dtype == "bool":
        a = rng.random(n) > 0.5
    elif dtype in SIGNED:
        a = rng.integers(-120, 120, n).astype(dtype)
    elif dtype in UNSIGNED:
        a = rng.integers(100, 250, n).astype(dtype)
    elif dtype.startswith("complex"):
        a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dtype)
    elif dtype == "object":
        a = (rng.standard_normal(n) * 10).astype(object)
    elif dtype.startswith("timedelta64"):
        a = rng.integers(1, 100, n).astype("m8[s]")
    else:
        a = (rng.standard_normal(n) * 10).astype(dtype)
    if nan is not None and n > 0:
        a = a.copy()
        a[{"first": 0, "middle": n // 2, "last": n - 1}[nan]] = np.nan
    return a.reshape(shape)


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def run(mod, case):
    args = [eval(a, {"np": np, "math": math, "mk": mk}) for a in case["args"]]
    try:
        return True, getattr(mod, "case_%d" % case["id"])(*args)
    except Exception as e:  # the exception type is part of the result
        return False, e


def describe(r):
    ok, v = r
    if not ok:
        return {"exc": type(v).__name__}
    d = {"type": type(v).__module__ + "." + type(v).__qualname__}
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.asarray(v)
        d["dtype"] = str(a.dtype)
        d["shape"] = list(a.shape)
        d["value"] = repr(a.tolist()) if a.dtype == object else a.tobytes().hex()
    elif isinstance(v, float):
        d["value"] = v.hex()
    elif isinstance(v, complex):
        d["value"] = v.real.hex() + "," + v.imag.hex()
    else:
        d["value"] = repr(v)
    return d


def close(a, b):
    """Both returned numbers of the same shape that agree to the result's precision."""
    if not (a[0] and b[0]):
        return False
    try:
        x, y = np.asarray(a[1]), np.asarray(b[1])
        if x.shape != y.shape or x.dtype.kind not in "biufcO" or y.dtype.kind not in "biufcO":
            return False
        kind = np.result_type(x.dtype, y.dtype) if "O" not in (x.dtype.kind, y.dtype.kind) else np.dtype("f8")
        rtol = {2: 1e-2, 4: 1e-4, 8: 1e-4}.get(getattr(kind, "itemsize", 8), 1e-9)
        if kind.kind == "f" and kind.itemsize == 8 or kind.kind == "c" and kind.itemsize == 16:
            rtol = 1e-9
        x = x.astype(np.complex128)
        y = y.astype(np.complex128)
        return bool(np.allclose(x, y, rtol=rtol, atol=0.0, equal_nan=True))
    except Exception:
        return False


def rel(a, b):
    """The largest relative difference between two returned numbers of the same shape (NaN
    positions must agree), or None."""
    if not (a[0] and b[0]):
        return None
    try:
        x = np.asarray(a[1]).astype(np.complex128)
        y = np.asarray(b[1]).astype(np.complex128)
        if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
            return None
        ok = ~np.isnan(x)
        x, y = x[ok], y[ok]
        if x.size == 0:
            return 0.0
        scale = np.maximum(np.abs(x), np.finfo(np.float64).tiny)
        r = float(np.max(np.abs(x - y) / scale))
        return r if math.isfinite(r) else None
    except Exception:
        return None


def main():
    orig = load("cases_orig", sys.argv[1])
    fixed = load("cases_fixed", sys.argv[2])
    with open(sys.argv[3]) as f:
        cases = json.load(f)
    out = []
    for case in cases:
        a = run(orig, case)
        b = run(fixed, case)
        out.append({"id": case["id"], "orig": describe(a), "fixed": describe(b), "close": close(a, b), "rel": rel(a, b)})
    json.dump(out, sys.stdout)


main()
