"""Executor subclasses defined in the project: a bounded ThreadPoolExecutor that overrides
`submit` (calling `super().submit`), one that only customises `__init__`, and a serial
`Executor` that runs tasks in the caller (a trap)."""
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np


class BoundedExecutor(ThreadPoolExecutor):
    """Blocks `submit` when too many tasks are queued."""

    def __init__(self, max_workers=4, max_pending=16):
        super().__init__(max_workers=max_workers)
        self._slots = threading.BoundedSemaphore(max_pending)

    def submit(self, fn, /, *args, **kwargs):
        self._slots.acquire()
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(lambda _: self._slots.release())
        return future


class NamedExecutor(ThreadPoolExecutor):
    def __init__(self, name):
        super().__init__(max_workers=2, thread_name_prefix=name)


class SerialExecutor(Executor):
    """Runs each task immediately, in the calling thread."""

    def submit(self, fn, /, *args, **kwargs):
        fut = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


class ForkingExecutor(ProcessPoolExecutor):
    def __init__(self):
        super().__init__(max_workers=2)


def chunk_total(chunk):
    return sum(chunk)  # expect: NG101(ThreadPoolExecutor.submit)


def chunk_peak(chunk):
    return max(chunk)  # expect: NG101(ThreadPoolExecutor.map)


def chunk_floor(chunk):
    # trap: only ever run by SerialExecutor, in the calling thread
    return min(chunk)


def parse_line(line):
    # trap: a process pool, a list of ints
    return sum([int(v) for v in line.split()])


def chunk_var(chunk):
    # trap: GIL-releasing
    return float(np.var(chunk))


def main():
    x = np.random.default_rng(25).random(400_000)
    chunks = np.array_split(x, 8)
    with BoundedExecutor(max_workers=4, max_pending=4) as bex:
        totals = [bex.submit(chunk_total, c) for c in chunks]
        vars_ = [bex.submit(chunk_var, c) for c in chunks]
    with NamedExecutor("peaks") as nex:
        peaks = list(nex.map(chunk_peak, chunks))
    with SerialExecutor() as sex:
        floors = [sex.submit(chunk_floor, c).result() for c in chunks]
    with ForkingExecutor() as fex:
        parsed = list(fex.map(parse_line, ["1 2", "3 4"]))
    return [t.result() for t in totals], [v.result() for v in vars_], peaks, floors, parsed
