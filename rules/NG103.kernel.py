"""NG103 array-to-python-conversion: `a.tolist()` turns the array into Python
floats and the loop over them does the arithmetic in the interpreter, holding
the GIL throughout; a thread pool running it is serialised. The fix keeps the
data in numpy: `np.where(a > 0.5, a * a, a).sum()` computes the same value in
a few C loops that release the GIL above 500 elements. The measurement shows
the array expression many times faster per call and scaling with threads, while
the `tolist()` loop does not scale with threads.
"""
import numpy as np

SIZES = [500, 50_000, 100_000]
QUICK_SIZE = 50_000


def setup(n):
    return np.random.default_rng(0).random(n)


def before(a):
    s = 0.0
    for v in a.tolist():
        s += v * v if v > 0.5 else v
    return s


def after(a):
    return np.where(a > 0.5, a * a, a).sum()


def check(a):
    np.testing.assert_allclose(before(a), after(a), rtol=1e-9)
