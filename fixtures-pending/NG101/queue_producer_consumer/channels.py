"""Module-level queues shared by the producer and the consumer threads."""
import queue

FRAMES = queue.Queue(maxsize=16)
EVENTS = queue.SimpleQueue()
