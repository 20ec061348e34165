"""NG101 builtin-reduction-over-array, `any(mask)` / `all(mask)` on a 1-D boolean array: the
builtin tests boxed numpy bools one by one in Python and stops at the first decisive one;
`np.any(mask)` tests in C. The mask here has its first True half-way, so the builtin walks
half the array (all-False would walk all of it and gain more; a True at the front would gain
nothing): a middle case, not the best one. `all` is the same loop. Measured from 10 elements
up.
"""
import numpy as np

SIZES = [10, 100, 500, 50_000, 1_000_000]
QUICK_SIZE = 50_000


def setup(n):
    mask = np.zeros(n, dtype=bool)
    mask[n // 2:] = np.random.default_rng(0).random(n - n // 2) > 0.5
    mask[n // 2] = True
    return mask


def before(x):
    return any(x)


def after(x):
    return np.any(x)


def check(x):
    assert before(x) == bool(after(x))
