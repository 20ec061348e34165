"""Consumer functions run as thread targets; they read arrays from channels.FRAMES."""
import queue

import numpy as np

from channels import EVENTS, FRAMES


def integrate_frames(stop):
    while not stop.is_set():
        try:
            frame = FRAMES.get(timeout=0.5)
        except queue.Empty:
            continue
        flux = sum(frame.ravel())  # expect: NG101(threading.Thread)
        EVENTS.put(("flux", float(flux)))


def log_events(stop):
    seen = []
    while not stop.is_set():
        kind, value = EVENTS.get()
        seen.append(value)
        # trap: a list of Python floats
        print(kind, max(seen))


def drain_quickly():
    out = []
    while not FRAMES.empty():
        frame = FRAMES.get_nowait()
        # trap: GIL-releasing reduction
        out.append(np.max(frame))
    return out
