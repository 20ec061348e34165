"""dask.bag: `bag.map(f).compute(scheduler="threads")` runs f in threads (bags default to processes)."""
import dask
import dask.bag as db

import numpy as np


def record_peak(record):
    return max(record)  # expect: NG101


def record_flag(record):
    return any(record < 0)  # expect: NG101


def record_total(path):
    data = np.load(path).ravel()
    # trap: computed with the process scheduler
    return sum(data)


def record_norm(record):
    # trap: GIL-releasing
    return float(np.linalg.norm(record))


def main(paths):
    rng = np.random.default_rng(23)
    records = [rng.standard_normal(10_000) for _ in range(64)]
    bag = db.from_sequence(records, npartitions=8)
    peaks = bag.map(record_peak).compute(scheduler="threads")
    with dask.config.set(scheduler="threads"):
        flags = bag.map(record_flag).compute()
    norms = bag.map(record_norm).compute(scheduler="threads")
    totals = db.from_sequence(paths).map(record_total).compute(scheduler="processes")
    return peaks, flags, norms, totals
