"""Termination: mutually recursive tasks passing arrays to each other, globals rebound from each
other in cycles, a self-referencing list, an attribute rebound from itself in a loop."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np

A = np.zeros(16)
B = A
A = B

history = []
history.append(history)


def ping(x, depth):
    if depth <= 0:
        return sum(x)  # expect: NG101(ThreadPoolExecutor.submit)
    return pong(x[1:], depth - 1)


def pong(y, depth):
    if depth <= 0:
        return max(y)  # expect: NG101(ThreadPoolExecutor.submit)
    return ping(y[:-1], depth - 1)


def swap():
    global A, B
    A, B = B, A
    return A


class Pyramid:
    def __init__(self, level0):
        self.level = level0

    def shrink(self, times):
        for _ in range(times):
            self.level = self.level[::2]
            self.level = self.shrunk()
        return min(self.level)  # expect: NG101(ThreadPoolExecutor.submit)

    def shrunk(self):
        return self.level


def loop_forever_shape(x):
    acc = x
    while acc.shape[0] > 1:
        acc = acc[::2] + acc[1::2] if acc.shape[0] % 2 == 0 else acc[:-1]
        acc = acc
    return any(acc > 0)  # expect: NG101(ThreadPoolExecutor.submit)


def global_task():
    current = swap()
    # trap: recursion through history never yields an array
    depth = len(history[0])
    return all(current >= 0), depth  # expect: NG101(ThreadPoolExecutor.submit)


def main():
    x = np.random.default_rng(29).random(1024)
    with ThreadPoolExecutor() as ex:
        f1 = ex.submit(ping, x, 6)
        f2 = ex.submit(Pyramid(x).shrink, 4)
        f3 = ex.submit(loop_forever_shape, x)
        f4 = ex.submit(global_task)
    return f1.result(), f2.result(), f3.result(), f4.result()
