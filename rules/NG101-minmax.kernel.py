"""NG101 builtin-reduction-over-array, `min(a)` / `max(a)` on a 1-D float array: the
builtin compares boxed numpy scalars one by one in Python while holding the GIL; `np.min(a)`
is one C loop. Comparisons are cheaper than additions in Python, so this gains less than the
`sum` rewrite; `max` is the same loop. Measured from 10 elements up.
"""
import numpy as np

SIZES = [10, 100, 500, 50_000, 1_000_000]
QUICK_SIZE = 50_000


def setup(n):
    return np.random.default_rng(0).random(n)


def before(x):
    return min(x)


def after(x):
    return np.min(x)


def check(x):
    assert before(x) == after(x)
