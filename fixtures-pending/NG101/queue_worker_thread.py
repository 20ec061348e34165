"""`Thread(target=self._worker, args=(q,))`: the worker loops on `q.get()`; the producer puts arrays."""
import queue
import threading

import numpy as np


class ChunkConsumer:
    def __init__(self):
        self.totals = []
        self.sizes = []
        self._q = queue.Queue(maxsize=8)
        self._meta = queue.Queue()
        self._thread = threading.Thread(target=self._worker, args=(self._q,), daemon=True)
        self._meta_thread = threading.Thread(target=self._meta_worker, args=(self._meta,), daemon=True)

    def _worker(self, q):
        while True:
            chunk = q.get()
            if chunk is None:
                q.task_done()
                break
            total = sum(chunk)  # expect: NG101(threading.Thread)
            self.totals.append(total)
            if any(chunk < 0):  # expect: NG101(threading.Thread)
                self.totals.append(-1)
            q.task_done()

    def _meta_worker(self, q):
        while True:
            item = q.get()
            if item is None:
                break
            self.sizes.append(item)
            # trap: a list of ints put by the producer
            running = sum(self.sizes)
            print(running)

    def start(self):
        self._thread.start()
        self._meta_thread.start()

    def feed(self, paths):
        for p in paths:
            arr = np.load(p).ravel()
            self._q.put(arr)
            self._meta.put(int(arr.size))
        self._q.put(np.zeros(1000))
        self._q.put(None)
        self._meta.put(None)

    def close(self):
        self._thread.join()
        self._meta_thread.join()
        # trap: totals is a list of numpy scalars, reduced in the main thread
        return sum(self.totals)


def main(paths):
    consumer = ChunkConsumer()
    consumer.start()
    consumer.feed(paths)
    return consumer.close()
