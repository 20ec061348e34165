"""A list of filter objects of different classes; the task calls `flt.apply(tile)` on each.

Every concrete `apply` of an object that can be in the list is task code.
"""
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np


class Threshold:
    def __init__(self, level):
        self.level = level

    def apply(self, img):
        flat = img.ravel()
        if max(flat) < self.level:  # expect: NG101(ThreadPoolExecutor.map)
            return np.zeros_like(img)
        return np.where(img >= self.level, img, 0.0)


class Normalize:
    def apply(self, img):
        lo = min(img.ravel())  # expect: NG101(ThreadPoolExecutor.map)
        span = np.ptp(img) or 1.0
        return (img - lo) / span


class Gamma:
    def __init__(self, gamma):
        self.gamma = gamma

    def apply(self, img):
        # trap: GIL-releasing ufuncs only
        return np.power(np.clip(img, 0.0, None), self.gamma)


class Sharpen:
    """Has an `apply` too, but is never put into a filter list."""

    def apply(self, img):
        # trap: this class never reaches the pipeline
        return img * (1.0 + sum(img.ravel()) * 0.0)


def run_filters(filters, tile):
    for flt in filters:
        tile = flt.apply(tile)
    return tile


def main():
    image = np.random.default_rng(2).random((1024, 1024))
    tiles = [t for band in np.array_split(image, 8) for t in np.array_split(band, 8, axis=1)]
    filters = [Threshold(0.1), Normalize()]
    filters.append(Gamma(2.2))
    with ThreadPoolExecutor(max_workers=8) as ex:
        out = list(ex.map(partial(run_filters, filters), tiles))
    preview = Sharpen().apply(image[:64, :64])
    return out, preview
