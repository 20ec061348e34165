"""NG102 python-loop-over-array: `for i in range(len(a)): s += a[i] * b[i]`
indexes the array element by element in Python, so the task holds the GIL for
the whole loop and a thread pool gains nothing from more threads. The fix is
the vectorised expression the loop computes, here `np.dot(a, b)`, one BLAS call
that releases the GIL. The committed reference run (`rules/reference.json`) has the figures by size.
"""
import numpy as np

SIZES = [500, 10_000, 100_000]
QUICK_SIZE = 10_000


def setup(n):
    rng = np.random.default_rng(0)
    return rng.random(n), rng.random(n)


def before(x):
    a, b = x
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


def after(x):
    a, b = x
    return np.dot(a, b)


def check(x):
    np.testing.assert_allclose(before(x), after(x), rtol=1e-9)
