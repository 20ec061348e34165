"""Starts the consumer threads and fills the frame queue with arrays."""
import threading

import numpy as np

from channels import FRAMES
from consumer import drain_quickly, integrate_frames, log_events


def main(paths):
    stop = threading.Event()
    workers = [
        threading.Thread(target=integrate_frames, args=(stop,)),
        threading.Thread(target=log_events, args=(stop,), daemon=True),
        threading.Thread(target=drain_quickly),
    ]
    for w in workers:
        w.start()
    for p in paths:
        FRAMES.put(np.load(p))
    FRAMES.put(np.zeros((64, 64)))
    stop.set()
    for w in workers:
        w.join(timeout=1.0)
