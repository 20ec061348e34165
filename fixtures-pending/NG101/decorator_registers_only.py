"""Decorators that never call their argument: they register it.

A registered function is task code only if something submits it from the registry to a pool.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HOOKS = []
KERNELS = {}


def on_frame(fn):
    HOOKS.append(fn)
    return fn


def kernel(name):
    def register(fn):
        KERNELS[name] = fn
        return fn

    return register


@on_frame
def frame_brightness(frame):
    # trap: hooks are called in the main thread only
    return sum(frame.ravel())


@on_frame
def frame_saturation(frame):
    # trap: hooks are called in the main thread only
    return max(frame.ravel())


@kernel("peak")
def peak_kernel(chunk):
    return max(chunk)  # expect: NG101(ThreadPoolExecutor.submit)


@kernel("energy")
def energy_kernel(chunk):
    return sum(chunk * chunk)  # expect: NG101(ThreadPoolExecutor.submit)


def unused_kernel(chunk):
    # trap: neither registered nor submitted
    return min(chunk)


def run_hooks(frame):
    return [hook(frame) for hook in HOOKS]


def run_kernel(ex, name, chunks):
    fn = KERNELS[name]
    return [ex.submit(fn, c) for c in chunks]


def main():
    frame = np.random.default_rng(4).random((256, 256))
    chunks = np.array_split(frame.ravel(), 8)
    hooked = run_hooks(frame)
    with ThreadPoolExecutor() as ex:
        futs = run_kernel(ex, "peak", chunks) + run_kernel(ex, "energy", chunks)
    return hooked, [f.result() for f in futs]
