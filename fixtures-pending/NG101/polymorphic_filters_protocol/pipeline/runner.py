"""Submits each tile to a thread pool; the task walks the filter chain."""
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np

from .filters import DEFAULT_CHAIN
from .protocol import Filter


def process_tile(tile: np.ndarray, chain: Sequence[Filter]) -> np.ndarray:
    for flt in chain:
        tile = flt.apply(tile)
    return tile


def process_image(image: np.ndarray):
    tiles = np.array_split(image, 16)
    with ThreadPoolExecutor() as ex:
        futures = [ex.submit(process_tile, t, DEFAULT_CHAIN) for t in tiles]
        return [f.result() for f in futures]
