"""Array-to-Python conversions in tasks reached through callables and pools held as values."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np

POOL = ThreadPoolExecutor(max_workers=4)


def as_list(chunk):
    values = list(chunk)  # expect: NG103(ThreadPoolExecutor.submit)
    return values[0]


def squares(chunk):
    return [v * v for v in chunk]  # expect: NG103(loop.run_in_executor)


def iterate_tolist(chunk):
    best = 0.0
    for v in chunk.tolist():  # expect: NG103(ThreadPoolExecutor.map)
        best = v if v > best else best
    return best


def serialise(chunk):
    # trap: tolist() only returned, never iterated
    return chunk.tolist()


def pick(kind):
    return {"list": as_list, "serialise": serialise}[kind]


async def run_async(chunks):
    loop = asyncio.get_running_loop()
    return await asyncio.gather(*[loop.run_in_executor(POOL, squares, c) for c in chunks])


class Exporter:
    def __init__(self):
        self._pool = ThreadPoolExecutor()

    def export(self, chunks):
        return list(self._pool.map(iterate_tolist, chunks))


def main():
    x = np.random.default_rng(30).random(40_000)
    chunks = np.array_split(x, 4)
    a = [POOL.submit(pick("list"), c) for c in chunks]
    s = [POOL.submit(pick("serialise"), c) for c in chunks]
    sq = asyncio.run(run_async(chunks))
    e = Exporter().export(chunks)
    # trap: main thread
    everything = list(x)
    return a, s, sq, e, everything
