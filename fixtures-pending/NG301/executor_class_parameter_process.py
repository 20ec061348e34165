"""An executor class parameter that every call site fills with ProcessPoolExecutor.

No thread task exists here, so GIL rules never fire; NG301 only where arrays are shipped.
"""
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np


def load_and_reduce(path):
    tile = np.load(path).ravel()
    # trap: runs in a worker process (every call site passes ProcessPoolExecutor)
    return sum(tile)


def tile_histogram(tile):
    # trap: runs in a worker process
    return max(np.histogram(tile, bins=32)[0])


def reduce_files(paths, executor=ThreadPoolExecutor, **kw):
    with executor(**kw) as ex:
        # trap: only file paths cross the process boundary
        return list(ex.map(load_and_reduce, paths))


def reduce_tiles(tiles, executor=ThreadPoolExecutor, **kw):
    with executor(**kw) as ex:
        return list(ex.map(tile_histogram, tiles))  # expect: NG301


def main(root):
    paths = [f"{root}/tile_{i:03d}.npy" for i in range(64)]
    totals = reduce_files(paths, executor=ProcessPoolExecutor, max_workers=4)
    image = np.load(f"{root}/mosaic.npy")
    tiles = np.array_split(image.ravel(), 8)
    hists = reduce_tiles(tiles, executor=ProcessPoolExecutor)
    return totals, hists


if __name__ == "__main__":
    main("/data/survey")
