"""The filter interface; the Protocol's own method body is `...`."""
from typing import Protocol

import numpy as np


class Filter(Protocol):
    def apply(self, img: np.ndarray) -> np.ndarray: ...
