"""A dask graph whose task arguments are keys of other entries: `(fn, "raw")` receives the
*value* computed for key "raw" (an array), not the string."""
from dask.threaded import get

import numpy as np


def load(path):
    return np.load(path).ravel()


def detrend(raw):
    return raw - np.linspace(raw[0], raw[-1], raw.shape[0])


def peak(signal):
    return max(signal)  # expect: NG101(dask.threaded.get)


def label(name):
    # trap: "name" is a literal string that is not a key of the graph
    return max(name)


def main(path):
    x = np.random.default_rng(24).random(10_000)
    dsk = {
        "raw": (load, path),
        "clean": (detrend, "raw"),
        "peak": (peak, "clean"),
        "inline": x,
        "inline-peak": (peak, "inline"),
        "label": (label, "station-7"),
    }
    return get(dsk, ["peak", "inline-peak", "label"])
