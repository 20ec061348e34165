"""NG105 object-dtype-array: arithmetic on `dtype=object` arrays (`a * b + a`)
calls Python's float operations per element through the C API, which needs the
GIL, so numpy never releases it and a thread pool running it is serialised. The
fix is a numeric dtype (`float64`): the same expression runs in C loops that
release the GIL above 500 elements. The committed reference run (`rules/reference.json`) has the figures by size.
"""
import numpy as np

SIZES = [500, 50_000, 100_000]
QUICK_SIZE = 50_000


def setup(n):
    rng = np.random.default_rng(0)
    a, b = rng.random(n), rng.random(n)
    return a, b, a.astype(object), b.astype(object)


def before(x):
    _, _, ao, bo = x
    return ao * bo + ao


def after(x):
    a, b, _, _ = x
    return a * b + a


def check(x):
    got = before(x)
    assert got.dtype == object, got.dtype
    np.testing.assert_allclose(got.astype(np.float64), after(x), rtol=1e-12)
