"""joblib with values: the function is a parameter, the backend comes from a variable or a
config dict, and `Parallel` objects are built once and reused."""
from joblib import Parallel, delayed

import numpy as np

THREADING = {"n_jobs": 4, "prefer": "threads"}


def feature_peak(window):
    return max(window)  # expect: NG101(joblib.Parallel)


def feature_any(window):
    return any(window < 0)  # expect: NG101(joblib.Parallel)


def feature_total(window):
    return sum(window)  # expect: NG101(joblib.Parallel)


def feature_mean(window):
    # trap: GIL-releasing
    return window.mean()


def parse_row(row):
    # trap: loky (process) backend with strings
    return sum(int(v) for v in row.split(","))


def run_features(fn, windows, backend="threading"):
    return Parallel(n_jobs=4, backend=backend)(delayed(fn)(w) for w in windows)


def main(rows):
    x = np.random.default_rng(34).standard_normal(100_000)
    windows = np.array_split(x, 16)
    peaks = run_features(feature_peak, windows)
    means = run_features(feature_mean, windows)
    anys = Parallel(**THREADING)(delayed(feature_any)(w) for w in windows)
    runner = Parallel(n_jobs=2, prefer="threads")
    totals = runner(delayed(feature_total)(w) for w in windows)
    parsed = Parallel(n_jobs=2)(delayed(parse_row)(r) for r in rows)
    return peaks, means, anys, totals, parsed
