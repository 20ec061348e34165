"""NG201 unfused-dot-product: `np.sum(a * b)` allocates and fills the temporary
`a * b`, then reduces it in a second pass; both passes release the GIL above
500 elements, but the extra memory traffic limits how well a thread pool
scales. The fix `np.dot(a, b)` (1-D; `np.vdot` for any shape of real data) is
one fused BLAS pass with no temporary. The committed reference run (`rules/reference.json`) has the figures by size.
"""
import numpy as np

SIZES = [500, 50_000, 1_000_000]
QUICK_SIZE = 50_000


def setup(n):
    rng = np.random.default_rng(0)
    return rng.random(n), rng.random(n)


def before(x):
    a, b = x
    return np.sum(a * b)


def after(x):
    a, b = x
    return np.dot(a, b)


def check(x):
    np.testing.assert_allclose(before(x), after(x), rtol=1e-9)
