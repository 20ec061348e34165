"""Uses the wrapper class from another module."""
import numpy as np

from runtime.kernels import chunk_any, tile_mean, tile_min, tile_sum
from runtime.runner import TileRunner


def main():
    image = np.random.default_rng(26).random((512, 512))
    tiles = [image[i : i + 128, j : j + 128] for i in range(0, 512, 128) for j in range(0, 512, 128)]
    runner = TileRunner(workers=4)
    sums = [runner.submit(tile_sum, t) for t in tiles]
    means = [runner.submit(tile_mean, t) for t in tiles]
    flags = runner.map_chunks(chunk_any, np.array_split(image.ravel(), 8))
    low = runner.run_now(tile_min, tiles[0])
    runner.close()
    return [s.result() for s in sums], [m.result() for m in means], flags, low
