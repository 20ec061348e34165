"""NG101 builtin-reduction-over-array, the `sum` rewrite numgil applies: the builtin
`sum(a)` walks a 1-D float array in Python, boxing every element as a numpy scalar while
holding the GIL; `np.sum(a)` is one C loop that releases the GIL above numpy's small-array
threshold. Measured from 10 elements up, because the gain at the finding's size decides
whether the finding is worth reporting: on a handful of elements the call overhead of
`np.sum` eats the gain.
"""
import numpy as np

SIZES = [10, 100, 500, 50_000, 1_000_000]
QUICK_SIZE = 50_000


def setup(n):
    return np.random.default_rng(0).random(n)


def before(x):
    return sum(x)


def after(x):
    return np.sum(x)


def check(x):
    np.testing.assert_allclose(before(x), after(x), rtol=1e-9)
