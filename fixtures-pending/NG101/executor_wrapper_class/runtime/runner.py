"""A wrapper holding a ThreadPoolExecutor, with its own `submit` and `map_chunks`."""
from concurrent.futures import ThreadPoolExecutor


class TileRunner:
    def __init__(self, workers=4):
        self._ex = ThreadPoolExecutor(max_workers=workers)
        self._pending = []

    def submit(self, fn, *args):
        fut = self._ex.submit(fn, *args)
        self._pending.append(fut)
        return fut

    def map_chunks(self, fn, chunks):
        return list(self._ex.map(fn, chunks))

    def run_now(self, fn, *args):
        # calls fn in the caller's thread
        return fn(*args)

    def close(self):
        self._ex.shutdown(wait=True)
