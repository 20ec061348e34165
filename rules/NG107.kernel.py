"""NG107 gil-holding-numpy-call: `a @ b` on two 1-D vectors goes through the
matmul gufunc, which decides whether to release the GIL from the size of its
output, one element here, so it keeps the GIL for the whole dot product and a
thread pool running it is serialised. The fix `np.dot(a, b)` computes the same
value on the BLAS path, which releases the GIL unconditionally. The committed reference run (`rules/reference.json`) has the figures by size.
"""
import numpy as np

SIZES = [500, 50_000, 1_000_000]
QUICK_SIZE = 50_000


def setup(n):
    rng = np.random.default_rng(0)
    return rng.random(n), rng.random(n)


def before(x):
    a, b = x
    return a @ b


def after(x):
    a, b = x
    return np.dot(a, b)


def check(x):
    np.testing.assert_allclose(before(x), after(x), rtol=1e-12)
