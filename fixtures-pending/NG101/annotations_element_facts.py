"""Container annotations with element facts: `list[np.ndarray]`, `Sequence[npt.NDArray[...]]`,
`dict[str, np.ndarray]`. The launcher arguments are unknown, so only the annotations say what
the elements are."""
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Tuple

import numpy as np
import numpy.typing as npt


def total_of_chunks(chunks: list[np.ndarray]) -> float:
    acc = 0.0
    for c in chunks:
        acc += sum(c)  # expect: NG101(ThreadPoolExecutor.submit)
    return acc


def peaks(chunks: Sequence[npt.NDArray[np.float64]]) -> list:
    return [max(c) for c in chunks]  # expect: NG101(ThreadPoolExecutor.submit)


def channel_minima(channels: dict[str, np.ndarray]) -> dict:
    out = {}
    for name, arr in channels.items():
        out[name] = min(arr)  # expect: NG101(ThreadPoolExecutor.submit)
    return out


def typing_aliases(chunks: List[np.ndarray], named: Dict[str, "np.ndarray"]) -> tuple:
    first = any(chunks[0] > 0)  # expect: NG101(ThreadPoolExecutor.submit)
    rest = [all(v >= 0) for v in named.values()]  # expect: NG101(ThreadPoolExecutor.submit)
    return first, rest


def pairs(items: Iterable[Tuple[str, np.ndarray]]) -> list:
    return [(k, sum(v)) for k, v in items]  # expect: NG101(ThreadPoolExecutor.submit)


def lookups(table: Mapping[str, npt.NDArray[np.float32]], key: str) -> float:
    return max(table[key])  # expect: NG101(ThreadPoolExecutor.submit)


def variadic(*chunks: np.ndarray) -> float:
    return sum(sum(c) for c in chunks)  # expect: NG101(ThreadPoolExecutor.submit)


def sum_of_arrays(chunks: list[np.ndarray]) -> np.ndarray:
    # trap: builtin sum over a *list* of arrays adds whole arrays (numpy releases the GIL)
    return sum(chunks)


def floats(values: list[float], weights: dict[str, float]) -> float:
    # trap: lists and dicts of Python floats
    return sum(values) + max(weights.values())


def main(batches, named, items, table):
    with ThreadPoolExecutor() as ex:
        futs = [
            ex.submit(total_of_chunks, batches),
            ex.submit(peaks, batches),
            ex.submit(channel_minima, named),
            ex.submit(typing_aliases, batches, named),
            ex.submit(pairs, items),
            ex.submit(lookups, table, "red"),
            ex.submit(variadic, *batches),
            ex.submit(sum_of_arrays, batches),
            ex.submit(floats, [1.0, 2.0], {"a": 1.0}),
        ]
    return [f.result() for f in futs]
