"""Arrays repacked through list comprehensions, `dict.items()`, `list.append` and `[arr] * n`."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def doubled_peak(chunk):
    return max(chunk)  # expect: NG101(ThreadPoolExecutor.map)


def channel_floor(name, pixels):
    return name, min(pixels)  # expect: NG101(ThreadPoolExecutor.submit)


def loaded_total(frame):
    return sum(frame.ravel())  # expect: NG101(ThreadPoolExecutor.submit)


def template_any(template):
    return any(template > 0.99)  # expect: NG101(ThreadPoolExecutor.map)


def batch_total(batch):
    acc = 0.0
    for arr in batch:
        acc += sum(arr)  # expect: NG101(ThreadPoolExecutor.submit)
    return acc


def sizes_total(sizes):
    # trap: a list of ints built from `.size`
    return sum(sizes)


def values_peak(values):
    # trap: dict values that are Python floats
    return max(values)


def main(paths):
    rng = np.random.default_rng(13)
    chunks = np.array_split(rng.random(80_000), 8)
    image = rng.random((256, 256, 3))
    channels = {"red": image[..., 0].ravel(), "green": image[..., 1].ravel(), "blue": image[..., 2].ravel()}
    exposures = {"red": 0.5, "green": 0.75}
    frames = []
    for p in paths:
        frames.append(np.load(p))
    template = np.linspace(0.0, 1.0, 4096)
    with ThreadPoolExecutor() as ex:
        doubled = list(ex.map(doubled_peak, [c * 2 for c in chunks]))
        floors = [ex.submit(channel_floor, name, px) for name, px in channels.items()]
        loaded = [ex.submit(loaded_total, f) for f in frames]
        anys = list(ex.map(template_any, [template] * 8))
        batch = ex.submit(batch_total, [c[::2] for c in chunks]).result()
        sizes = ex.submit(sizes_total, [c.size for c in chunks]).result()
        peak = ex.submit(values_peak, list(exposures.values())).result()
    return doubled, [f.result() for f in floors], [f.result() for f in loaded], anys, batch, sizes, peak
