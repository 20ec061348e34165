"""Concrete filters (structural subtypes of Filter, no inheritance)."""
import numpy as np


class Denoise:
    def __init__(self, sigma):
        self.sigma = sigma

    def apply(self, img):
        noise_floor = sum(np.abs(img.ravel())) / img.size  # expect: NG101(ThreadPoolExecutor.submit)
        return np.where(np.abs(img) < noise_floor * self.sigma, 0.0, img)


class Invert:
    def apply(self, img):
        peak = max(img.ravel())  # expect: NG101(ThreadPoolExecutor.submit)
        return peak - img


class Crop:
    def __init__(self, margin):
        self.margin = margin

    def apply(self, img):
        # trap: slicing only
        m = self.margin
        return img[m:-m, m:-m]


DEFAULT_CHAIN = (Denoise(1.5), Invert(), Crop(2))
