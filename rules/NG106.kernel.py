"""NG106 legacy-global-random: `np.random.random(n)` draws from numpy's global
RandomState, whose single lock every thread must take, so a thread pool
drawing random numbers runs one draw at a time. The fix is a Generator per
thread (`np.random.default_rng(seed)` with seeds from `SeedSequence.spawn`, kept
in a `threading.local()`), which needs no shared lock. The streams differ, so
the fix is never "safe" and `check` only compares shapes, dtypes and ranges.
The committed reference run (`rules/reference.json`) has the figures by size.
"""
import threading

import numpy as np

SIZES = [500, 50_000, 1_000_000]
QUICK_SIZE = 50_000

_local = threading.local()
_seeds = np.random.SeedSequence(20_240_601)
_seeds_lock = threading.Lock()


def _thread_rng():
    rng = getattr(_local, "rng", None)
    if rng is None:
        with _seeds_lock:  # SeedSequence.spawn mutates the parent
            seed = _seeds.spawn(1)[0]
        rng = _local.rng = np.random.default_rng(seed)
    return rng


def setup(n):
    np.random.seed(0)
    return n


def before(n):
    return np.random.random(n)


def after(n):
    return _thread_rng().random(n)


def check(n):
    for got in (before(n), after(n)):
        assert got.shape == (n,), got.shape
        assert got.dtype == np.float64, got.dtype
        assert got.min() >= 0.0 and got.max() < 1.0, (got.min(), got.max())
