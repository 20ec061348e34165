#!/usr/bin/env python3
"""Robustness check: write mutated copies of real Python files (truncated at random points,
random bytes inserted or deleted, lines shuffled, bad encodings) and run `numgil check` over
them. Fails if numgil panics or exits with a status other than 0, 1 or 2.

Usage: scripts/fuzz_inputs.py CORPUS_DIR [N_FILES] [SEED]
"""
import os
import random
import subprocess
import sys
import tempfile

corpus = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
binary = os.environ.get("NUMGIL", "target/release/numgil")

sources = []
for root, _, files in os.walk(corpus):
    sources += [os.path.join(root, f) for f in files if f.endswith(".py")]
sources.sort()
snippets = [b"(", b")", b"[", b"]", b":", b"\n    ", b"def ", b"lambda", b"'", b'"""', b"\\",
            b"f'{", b"}", b"async ", b"await ", b"\xff", b"\x00", b"match x:\n  case ",
            b"ThreadPoolExecutor().submit(", b"sum(", b"np.", b"import numpy as np\n"]

with tempfile.TemporaryDirectory() as out:
    for i in range(n):
        data = open(rng.choice(sources), "rb").read()
        kind = rng.randrange(5)
        if kind == 0 and len(data) > 1:
            data = data[: rng.randrange(len(data))]
        elif kind == 1:
            for _ in range(rng.randrange(1, 20)):
                p = rng.randrange(len(data) + 1)
                data = data[:p] + rng.choice(snippets) + data[p:]
        elif kind == 2 and len(data) > 1:
            for _ in range(rng.randrange(1, 20)):
                if not data:
                    break
                p = rng.randrange(len(data))
                data = data[:p] + data[p + rng.randrange(1, 40):]
        elif kind == 3:
            lines = data.split(b"\n")
            rng.shuffle(lines)
            data = b"\n".join(lines[: rng.randrange(1, len(lines) + 1)])
        else:
            data = data.replace(b"    ", b"\t", rng.randrange(1, 50))
        with open(os.path.join(out, f"m{i:05}.py"), "wb") as f:
            f.write(data)
    for scope in ("tasks", "everywhere"):
        r = subprocess.run([binary, "check", "--scope", scope, "--output-format", "concise", out],
                           capture_output=True, text=True, errors="replace")
        if "panicked" in r.stderr or r.returncode not in (0, 1, 2):
            print(r.stderr[-3000:])
            sys.exit(f"FAIL: exit {r.returncode} with --scope {scope}")
        print(f"--scope {scope}: exit {r.returncode}, {r.stdout.count(chr(10))} output lines, no panic")
print(f"OK: {n} mutated files")
