"""Callables as values: returned by a factory, stored in a dict of handlers, picked by a key and
sent to `asyncio.to_thread` / a ThreadPoolExecutor."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def chunk_peak(chunk):
    return max(chunk)  # expect: NG101(asyncio.to_thread)


def chunk_energy(chunk):
    return sum(chunk * chunk)  # expect: NG101(asyncio.to_thread)


def chunk_rms(chunk):
    # trap: GIL-releasing
    return float(np.linalg.norm(chunk)) / chunk.size ** 0.5


def label_widest(labels):
    # trap: never a handler; called in the event loop thread
    return max(labels, key=len)


HANDLERS = {"peak": chunk_peak, "energy": chunk_energy, "rms": chunk_rms}


def make_reducer(kind):
    if kind == "any":
        def reducer(chunk):
            return any(chunk > 0.9)  # expect: NG101(ThreadPoolExecutor.map)
    else:
        def reducer(chunk):
            # trap: GIL-releasing
            return np.count_nonzero(chunk > 0.9)
    return reducer


def make_thresholded(level):
    return lambda chunk: all(chunk < level)  # expect: NG101(ThreadPoolExecutor.map)


async def dispatch(kind, chunk):
    handler = HANDLERS[kind]
    return await asyncio.to_thread(handler, chunk)


async def run_async(chunks):
    jobs = [dispatch(k, c) for c in chunks for k in HANDLERS]
    return await asyncio.gather(*jobs), label_widest(list(HANDLERS))


def main():
    x = np.random.default_rng(33).random(200_000)
    chunks = np.array_split(x, 8)
    handled = asyncio.run(run_async(chunks))
    with ThreadPoolExecutor() as ex:
        flags = list(ex.map(make_reducer("any"), chunks))
        counts = list(ex.map(make_reducer("count"), chunks))
        below = list(ex.map(make_thresholded(0.99), chunks))
    return handled, flags, counts, below
