"""NG104 python-callback-ufunc: `np.vectorize(lambda v: 2 * v + 1)(a)` looks
vectorised but calls the Python lambda once per element with the GIL held, so
a thread pool running it is serialised. The fix is the real ufunc expression
`2 * a + 1`, whose C loops release the GIL above 500 elements. The committed reference run (`rules/reference.json`) has the figures by size.
"""
import numpy as np

SIZES = [500, 10_000, 100_000]
QUICK_SIZE = 10_000


def setup(n):
    return np.random.default_rng(0).random(n)


def before(a):
    return np.vectorize(lambda v: 2.0 * v + 1.0)(a)


def after(a):
    return 2.0 * a + 1.0


def check(a):
    np.testing.assert_allclose(before(a), after(a), rtol=1e-12)
