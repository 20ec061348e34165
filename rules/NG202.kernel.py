"""NG202 unfused-norm: `np.sqrt(np.sum(x ** 2))` materialises `x ** 2` and
reduces it in a second pass, doubling memory traffic, which limits how well a
thread pool scales. The fix `np.linalg.norm(x)` computes the 2-norm of a 1-D
float array as `sqrt(dot(x, x))`, one BLAS pass with no temporary that releases
the GIL. The committed reference run (`rules/reference.json`) has the figures by size.
"""
import numpy as np

SIZES = [500, 50_000, 1_000_000]
QUICK_SIZE = 50_000


def setup(n):
    return np.random.default_rng(0).random(n)


def before(x):
    return np.sqrt(np.sum(x ** 2))


def after(x):
    return np.linalg.norm(x)


def check(x):
    np.testing.assert_allclose(before(x), after(x), rtol=1e-12)
