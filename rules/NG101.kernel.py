"""NG101 builtin-reduction-over-array: the builtin `sum(a * b)` walks the array
in Python, boxing every element as a numpy scalar while holding the GIL, so a
thread pool running it is serialised. The fix `np.dot(a, b)` (1-D float arrays)
is one BLAS call that releases the GIL. Measured in pool workers (1e6 float64): `sum(a*b)` scales 1.01x from 1 to 2 threads, and `np.dot` is about
540x faster at 2 threads.
"""
import numpy as np

SIZES = [500, 50_000, 1_000_000]
QUICK_SIZE = 50_000


def setup(n):
    rng = np.random.default_rng(0)
    return rng.random(n), rng.random(n)


def before(x):
    a, b = x
    return sum(a * b)


def after(x):
    a, b = x
    return np.dot(a, b)


def check(x):
    np.testing.assert_allclose(before(x), after(x), rtol=1e-9)
