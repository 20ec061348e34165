"""NG301 process-pool-array-transfer: a pool maps the channel covariance
`np.dot(e, e.T)` over 4 recording epochs (60 channels x n/60 samples, float64
each), the shape of mne's `_compute_cov_epochs`. `before` is
`pool.map(np.dot, epochs, transposes)` on a process pool, as a
`ProcessPoolExecutor` (or joblib's process backend with memmapping off) runs
it: every `e` and `e.T` is pickled, sent through a pipe and unpickled, and each
60x60 result comes back the same way; the map keeps all 4 tasks queued, so
copying and computing overlap. `after` is the same map in the calling thread,
as a thread pool's task runs it: no copy, and `np.dot` releases the GIL, so the
harness's threads run in parallel. Here n is the element count of one task's
array (one epoch). The measurement shows the copies costing far more than the
covariances.
"""
import os
import threading
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

SIZES = [6_000, 60_000, 600_000]
QUICK_SIZE = 60_000
CHANNELS = 60
TASKS = 4

_POOL = None
_POOL_LOCK = threading.Lock()


def _pool():
    # One pool for the whole run, started in setup so that starting the
    # workers is not timed. `spawn` works alike on every OS; the task is
    # `np.dot` itself, which every worker can import.
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(
                max_workers=os.cpu_count() or 1,
                mp_context=multiprocessing.get_context("spawn"),
            )
            list(_POOL.map(abs, range(os.cpu_count() or 1)))
        return _POOL


def setup(n):
    _pool()
    rng = np.random.default_rng(0)
    return [rng.random((CHANNELS, max(1, n // CHANNELS))) for _ in range(TASKS)]


def before(epochs):
    return list(_pool().map(np.dot, epochs, [e.T for e in epochs]))


def after(epochs):
    return list(map(np.dot, epochs, [e.T for e in epochs]))


def check(epochs):
    for b, a in zip(before(epochs), after(epochs)):
        np.testing.assert_allclose(b, a, rtol=1e-12)
