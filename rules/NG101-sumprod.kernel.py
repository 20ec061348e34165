"""NG101 builtin-reduction-over-array, `sum(a * b)` rewritten as numgil's fix writes it,
`np.sum(a * b)` (the product is computed by numpy on both sides, so the gain is smaller than
for a plain `sum(a)`; `np.dot(a, b)`, the faster rewrite the help names, is the `NG101`
kernel). Measured from 10 elements up: the gain at the finding's size decides whether the
finding is worth reporting.
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
    return np.sum(a * b)


def check(x):
    np.testing.assert_allclose(before(x), after(x), rtol=1e-9)
