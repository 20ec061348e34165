"""One runner called with the default ThreadPoolExecutor and once with ProcessPoolExecutor.

The thread call site makes the mapped function task code; the process call site ships
arrays, so the same `ex.map` line is also an NG301 launcher.
"""
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np


def band_power(segment):
    return sum(segment ** 2)  # expect: NG101(ThreadPoolExecutor.map)


def band_mean(segment):
    # trap: GIL-releasing reduction, mapped on the thread pool
    return float(np.mean(segment))


def map_segments(fn, segments, executor=ThreadPoolExecutor, **kw):
    with executor(**kw) as ex:
        return list(ex.map(fn, segments))  # expect: NG301


def main():
    signal = np.random.default_rng(0).random(1_000_000)
    segments = np.array_split(signal, 16)
    threaded = map_segments(band_power, segments, max_workers=8)
    means = map_segments(band_mean, segments)
    forked = map_segments(band_power, segments, executor=ProcessPoolExecutor, max_workers=2)
    return threaded, means, forked


if __name__ == "__main__":
    main()
