"""NG101 builtin-reduction-over-array: the builtin `sum(a * b)` walks the array
in Python, boxing every element as a numpy scalar while holding the GIL, so a
thread pool running it is serialised. The fix `np.dot(a, b)` (1-D float arrays)
is one BLAS call that releases the GIL. The committed reference run (`rules/reference.json`) has the figures by size.
"""
import numpy as np

SIZES = [10, 100, 500, 50_000, 1_000_000]
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
