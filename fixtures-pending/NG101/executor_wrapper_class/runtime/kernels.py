"""Kernels handed to the TileRunner from app.py."""
import numpy as np


def tile_sum(tile):
    return sum(tile.ravel())  # expect: NG101(ThreadPoolExecutor.submit)


def chunk_any(chunk):
    return any(chunk > 0.75)  # expect: NG101(ThreadPoolExecutor.map)


def tile_min(tile):
    # trap: run_now runs it in the caller's thread
    return min(tile.ravel())


def tile_mean(tile):
    # trap: GIL-releasing
    return float(np.mean(tile))
