#!/usr/bin/env python3
"""Latency of `numgil server`: time from a didChange on a 5,000-line file to the
publishDiagnostics that answers it, in a workspace of about 2,000 Python files.

Each edit toggles one line between `np.sum(chunk)` and `sum(chunk)` inside a thread task, so
every edit changes the findings and must be re-published. Prints p50/p95/max over the edits.

Usage: scripts/lsp_latency.py [--server target/release/numgil] [--files 2000] [--edits 60]
                              [--corpus DIR]   (take the workspace files from DIR instead of
                                                generating them)
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import queue

MODULE = '''"""Generated module {i}."""
import numpy as np
from concurrent.futures import ThreadPoolExecutor

from mod{j} import helper_{j}


def helper_{i}(x):
    y = np.asarray(x, dtype=float)
    return y * 2.0 + {i}


'''
FUNC = '''def f_{i}_{k}(a, b):
    c = a * b + {k}
    d = np.sqrt(np.abs(c))
    if d.size > 3:
        d = d[1:]
    total = 0.0
    for v in [1, 2, 3]:
        total += v
    return d.mean() + total


'''
TASKS = '''def task_{k}(chunk):
    scaled = chunk * 2.0
    return np.sum(scaled)  # toggle-{k}


def run_{k}(data):
    with ThreadPoolExecutor(4) as ex:
        return list(ex.map(task_{k}, np.array_split(np.asarray(data, dtype=float), 8)))


'''


def generate(root, n_files):
    rng = random.Random(0)
    for i in range(n_files):
        parts = [MODULE.format(i=i, j=rng.randrange(n_files))]
        parts += [FUNC.format(i=i, k=k) for k in range(8)]
        if i % 10 == 0:
            parts.append(TASKS.format(k=i))
        with open(os.path.join(root, f"mod{i}.py"), "w") as f:
            f.write("".join(parts))
    big = [MODULE.format(i="big", j=1)]
    k = 0
    while sum(p.count("\n") for p in big) < 5000:
        big.append(TASKS.format(k=k) if k % 20 == 0 else FUNC.format(i="big", k=k))
        k += 1
    path = os.path.join(root, "big.py")
    with open(path, "w") as f:
        f.write("".join(big))
    return path


def copy_corpus(src, root, n_files):
    files = []
    for d, _, fs in os.walk(src):
        files += [os.path.join(d, f) for f in fs if f.endswith(".py")]
    files.sort()
    for i, f in enumerate(files[: n_files]):
        shutil.copy(f, os.path.join(root, f"c{i}_{os.path.basename(f)}"))


class Client:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.id = 0

    def _read(self):
        out = self.p.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.q.put((time.perf_counter(), json.loads(out.read(length))))

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.p.stdin.flush()
        return time.perf_counter()

    def request(self, method, params):
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        while True:
            _, m = self.q.get(timeout=300)
            if m.get("id") == self.id and "method" not in m:
                return m

    def notify(self, method, params):
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_publish(self, uri):
        while True:
            t, m = self.q.get(timeout=120)
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
                return t, m["params"]["diagnostics"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="target/release/numgil")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--corpus", default=None)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="numgil-lsp-")
    big = generate(root, 0 if args.corpus else args.files - 1)
    if args.corpus:
        copy_corpus(args.corpus, root, args.files - 1)
    n_files = sum(1 for f in os.listdir(root) if f.endswith(".py"))
    lines = open(big).read().count("\n")
    print(f"workspace: {n_files} files, big.py {lines} lines")
    c = Client([os.path.abspath(args.server), "server"])
    t0 = time.perf_counter()
    c.request("initialize", {"processId": None, "rootUri": "file://" + root, "capabilities": {}})
    c.notify("initialized", {})
    uri = "file://" + big
    text = open(big).read()
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    _, diags = c.wait_publish(uri)
    print(f"initialize + first publish: {(time.perf_counter() - t0) * 1e3:.0f} ms ({len(diags)} findings)")
    lat = []
    for i in range(args.edits):
        k = 20 * (i % 5)
        flagged = "    return sum(scaled)  # toggle-%d" % k
        clean = "    return np.sum(scaled)  # toggle-%d" % k
        text = text.replace(clean, flagged) if clean in text else text.replace(flagged, clean)
        sent = c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": text}]})
        got, _ = c.wait_publish(uri)
        lat.append((got - sent) * 1e3)
    lat = lat[5:]
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"edit -> publish over {len(lat)} edits: p50 {statistics.median(lat):.1f} ms, p95 {p(0.95):.1f} ms, max {lat[-1]:.1f} ms")
    c.request("shutdown", None)
    c.notify("exit", None)
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
