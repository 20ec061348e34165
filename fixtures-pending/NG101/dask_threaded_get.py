"""`dask.threaded.get(dsk, keys)`: every function in the task graph runs in dask's thread pool."""
import dask.threaded
from dask.multiprocessing import get as mp_get
from dask.threaded import get as threaded_get

import numpy as np


def chunk_max(chunk):
    return max(chunk)  # expect: NG101(dask.threaded.get)


def combine(*partials):
    # trap: the partial results are numpy scalars in a tuple
    return max(partials)


def chunk_min(chunk):
    return min(chunk)  # expect: NG101(dask.threaded.get)


def chunk_mean(chunk):
    # trap: GIL-releasing
    return chunk.mean()


def parse(path):
    data = np.load(path).ravel()
    # trap: run by the multiprocessing scheduler
    return sum(data)


def main(paths):
    x = np.random.default_rng(22).random(200_000)
    chunks = np.array_split(x, 4)
    dsk = {f"max-{i}": (chunk_max, c) for i, c in enumerate(chunks)}
    dsk["max"] = (combine, *[f"max-{i}" for i in range(len(chunks))])
    overall = dask.threaded.get(dsk, "max")
    graph = {"min": (chunk_min, x[::2]), "mean": (chunk_mean, x)}
    lo, avg = threaded_get(graph, ["min", "mean"], num_workers=4)
    parsed = mp_get({f"p{i}": (parse, p) for i, p in enumerate(paths)}, [f"p{i}" for i in range(len(paths))])
    return overall, lo, avg, parsed
