"""One generic runner, several call sites: which function runs on which kind of pool is decided
per call site. Only the pairings that really put a function on a thread pool make it task code;
only the pairings that really ship arrays to a process pool are NG301."""
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np


def run_all(items, fn, executor=ThreadPoolExecutor):
    with executor() as ex:
        return list(ex.map(fn, items))


def run_on(pool, fn, items):
    return [pool.submit(fn, item) for item in items]


def chunk_peak(chunk):
    return max(chunk)  # expect: NG101(ThreadPoolExecutor.map)


def file_total(path):
    data = np.load(path).ravel()
    # trap: only ever paired with ProcessPoolExecutor
    return sum(data)


def tile_energy(tile):
    return sum(tile.ravel() ** 2)  # expect: NG101(ThreadPoolExecutor.submit)


def parse(line):
    values = np.array([float(v) for v in line.split()])
    # trap: only ever submitted to the process pool
    return max(values)


def main(paths, lines):
    x = np.random.default_rng(36).random(100_000)
    chunks = np.array_split(x, 8)
    peaks = run_all(chunks, chunk_peak)
    # trap: paths to a process pool, so no NG301 on the ex.map line either
    totals = run_all(paths, file_total, executor=ProcessPoolExecutor)
    with ThreadPoolExecutor() as tex, ProcessPoolExecutor() as pex:
        energies = run_on(tex, tile_energy, chunks)
        # trap: strings to the process pool, so no NG301 on the pool.submit line
        parsed = run_on(pex, parse, lines)
    return peaks, totals, [e.result() for e in energies], [p.result() for p in parsed]
