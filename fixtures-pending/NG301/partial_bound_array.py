"""`functools.partial(f, big_array, ...)` sent to a process pool pickles the bound array with every task."""
import functools
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np


def correlate(template, seed):
    rng = np.random.default_rng(seed)
    return float(np.dot(template, rng.standard_normal(template.shape[0])))


def score(reference, path, threshold=0.5):
    return float(np.mean(np.load(path) > threshold)) + float(reference[0])


def simulate(n_samples, seed):
    return float(np.random.default_rng(seed).standard_normal(n_samples).std())


def count_words(vocabulary, line):
    return sum(1 for w in line.split() if w in vocabulary)


def main(paths, lines):
    template = np.random.default_rng(0).standard_normal(1_000_000)
    reference = np.load("reference.npy")
    vocab = frozenset(["alpha", "beta"])
    with ProcessPoolExecutor(max_workers=4) as ex:
        c = list(ex.map(partial(correlate, template), range(32)))  # expect: NG301
        s = [ex.submit(functools.partial(score, reference, threshold=0.9), p) for p in paths]  # expect: NG301
        bound = partial(score, reference)
        s2 = list(ex.map(bound, paths))  # expect: NG301
        # trap: the partial binds a frozenset of strings, the items are strings
        w = list(ex.map(partial(count_words, vocab), lines))
        # trap: partial binds an int, the items are ints
        s3 = list(ex.map(partial(simulate, 100_000), range(16)))
    return c, [f.result() for f in s], s2, w, s3
