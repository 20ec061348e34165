"""NG203 chained-small-ops: a loop over the rows of a (rows, 64) array doing
`np.sqrt(row) / np.linalg.norm(row)` makes several numpy calls per row on 64
elements each, below numpy's 500-element threshold, so every call keeps the
GIL and the Python loop around them holds it in between: the task is GIL-bound
and a thread pool running it is serialised. The fix is one batched expression
over the stacked data, `np.sqrt(X) / np.linalg.norm(X, axis=1, keepdims=True)`,
whose large C loops release the GIL. Here n is the total element count
(n // 64 rows). The measurement shows the batched form much faster per call and
scaling with threads where the row loop does not.
"""
import numpy as np

SIZES = [320, 64_000, 1_000_000]
QUICK_SIZE = 64_000
WIDTH = 64


def setup(n):
    rows = max(1, n // WIDTH)
    return np.random.default_rng(0).random((rows, WIDTH))


def before(X):
    out = np.empty_like(X)
    for i, row in enumerate(X):
        out[i] = np.sqrt(row) / np.linalg.norm(row)
    return out


def after(X):
    return np.sqrt(X) / np.linalg.norm(X, axis=1, keepdims=True)


def check(X):
    np.testing.assert_allclose(before(X), after(X), rtol=1e-12)
