"""A function defined in both branches of an `if` (and in a try/except fallback) and submitted.

Both definitions may be the one that runs, so both bodies are task code.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

FAST = os.environ.get("FAST_KERNELS") == "1"

if FAST:
    def kernel(x):
        return max(x)  # expect: NG101(ThreadPoolExecutor.submit)
else:
    def kernel(x):
        acc = sum(x)  # expect: NG101(ThreadPoolExecutor.submit)
        return acc / x.size

try:
    from scipy.special import logsumexp
except ImportError:
    def logsumexp(a):
        m = max(a)  # expect: NG101(ThreadPoolExecutor.map)
        return m + np.log(np.sum(np.exp(a - m)))

if FAST:
    def describe(x):
        # trap: never submitted, only called in the main thread
        return min(x)
else:
    def describe(x):
        # trap: never submitted, only called in the main thread
        return sum(x)


def scaled(x, precise):
    if precise:
        def reduce(v):
            return sum(v)  # expect: NG101(ThreadPoolExecutor.submit)
    else:
        def reduce(v):
            # trap: numpy reduction
            return np.sum(v)
    with ThreadPoolExecutor() as ex:
        return ex.submit(reduce, x * 2.0).result()


def main():
    x = np.random.default_rng(6).random(100_000)
    parts = np.array_split(x, 4)
    with ThreadPoolExecutor() as ex:
        futs = [ex.submit(kernel, p) for p in parts]
        lse = list(ex.map(logsumexp, parts))
    return [f.result() for f in futs], lse, describe(x), scaled(x, precise=FAST)
