#!/usr/bin/env python3
"""Robustness fuzzing: run mutated copies of the fixtures through the release binary.

Each mutant is a fixture (`.py` or `.ipynb`) with one to three mutations: truncation, duplicated
or shuffled lines, deleted or inserted bytes and snippets, deep nesting (calls, method chains,
lists, `+` chains, unary operators, nested blocks), NUL bytes and invalid UTF-8, very long lines,
unclosed brackets and strings, and, for notebooks, JSON mutations (truncated JSON, a cell's
source replaced or made the wrong type, cells duplicated or dropped, mutated cell code).

Mutants are written in batches to a directory and each batch is checked with one numgil run per
mode: every output format (full, concise, json, json-lines, sarif, github; alternately in the
tasks and everywhere scopes) and `--fix --unsafe-fixes` on a copy. Every run has a timeout. A run
fails on a panic (exit 101 or "panicked" on stderr), a timeout, a signal (stack overflow is
SIGABRT or SIGSEGV, exit 134/139) or any exit status other than 0, 1 or 2. For a failing batch
each mutant is re-run alone in that mode, and each one that fails is saved to the failures
folder with a note of the command and the end of its stderr.

Usage:
    scripts/fuzz_inputs.py [-n 10000] [--seed 0] [--batch 500] [--timeout 120]
                           [--corpus fixtures] [--binary target/release/numgil]
                           [--failures fuzz-failures] [--jobs 1]

Exit status 0 when no run failed, 1 otherwise. Build first: `cargo build --release`.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

FORMATS = ["full", "concise", "json", "json-lines", "sarif", "github"]

SNIPPETS = [b"(", b")", b"[", b"]", b"{", b"}", b":", b"\n    ", b"\n\t", b"def ", b"class ", b"lambda",
            b"'", b'"', b"'''", b'"""', b"\\", b"f'{", b"f\"{x!r:>{w}}\"", b"async ", b"await ", b"yield ",
            b"\xff", b"\x00", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"match x:\n  case ",
            b"ThreadPoolExecutor().submit(", b"sum(", b"np.", b"import numpy as np\n", b"global g\n",
            b"nonlocal n\n", b"# noqa: NG101\n", b"%timeit x\n", b"!pip install numpy\n", b"\r", b"\r\n",
            b"\x0c", b"\u2028".decode("unicode_escape").encode(), b"\xe2\x80\xae", b"@", b":=", b"*", b"**"]


def deep(rng):
    n = rng.choice([50, 199, 201, 500, 2000, 5000, rng.randrange(1, 12000)])
    kind = rng.randrange(8)
    if kind == 0:
        return b"y = " + b"f(" * n + b"0" + b")" * n + b"\n"
    if kind == 1:
        return b"y = a" + b".b()" * n + b"\n"
    if kind == 2:
        return b"y = " + b"[" * n + b"0" + b"]" * n + b"\n"
    if kind == 3:
        return b"y = a" + b" + a" * n + b"\n"
    if kind == 4:
        return b"y = " + b"-" * n + b"1\n"
    if kind == 5:
        return b"y = " + b"not " * n + b"x\n"
    if kind == 6:
        n = min(n, 1500)
        out = [b"def deep(x):\n"]
        out += [b" " * i + b"for v in x:\n" for i in range(1, n + 1)]
        out.append(b" " * (n + 1) + b"pass\nThreadPoolExecutor().submit(deep, np.zeros(3))\n")
        return b"".join(out)
    return b"y = " + b"(" * n + b"\n"  # unclosed


def long_line(rng):
    n = rng.choice([20_000, 70_000, 150_000])
    kind = rng.randrange(3)
    if kind == 0:
        return b"x = [" + b"0, " * (n // 3) + b"sum(np.arange(3))]\n"
    if kind == 1:
        return b"s = '" + b"a" * n + b"'\n"
    return b"x = 1" + b" " * n + b")\n"


def mutate_code(rng, data):
    kind = rng.randrange(12)
    if kind == 0 and len(data) > 1:
        return data[: rng.randrange(len(data))]
    if kind == 1:
        lines = data.split(b"\n")
        for _ in range(rng.randrange(1, 10)):
            i = rng.randrange(len(lines))
            lines[i:i] = [lines[i]] * rng.randrange(1, 5)
        return b"\n".join(lines)
    if kind == 2 and len(data) > 1:
        for _ in range(rng.randrange(1, 20)):
            if not data:
                break
            p = rng.randrange(len(data))
            data = data[:p] + data[p + rng.randrange(1, 40):]
        return data
    if kind == 3:
        for _ in range(rng.randrange(1, 20)):
            p = rng.randrange(len(data) + 1)
            top = 256 if rng.random() < 0.3 else 128  # mostly ASCII, so most mutants stay UTF-8
            data = data[:p] + bytes(rng.randrange(top) for _ in range(rng.randrange(1, 8))) + data[p:]
        return data
    if kind == 4:
        for _ in range(rng.randrange(1, 20)):
            p = rng.randrange(len(data) + 1)
            data = data[:p] + rng.choice(SNIPPETS) + data[p:]
        return data
    if kind == 5:
        lines = data.split(b"\n")
        rng.shuffle(lines)
        return b"\n".join(lines[: rng.randrange(1, len(lines) + 1)])
    if kind == 6:
        p = data.rfind(b"\n", 0, rng.randrange(len(data) + 1)) + 1
        return data[:p] + deep(rng) + data[p:]
    if kind == 7:
        if rng.random() < 0.3:
            return b"\x00" * rng.randrange(1, 200_000)
        for _ in range(rng.randrange(1, 10)):
            p = rng.randrange(len(data) + 1)
            data = data[:p] + rng.choice([b"\x00", b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\x00" * 100]) + data[p:]
        return data
    if kind == 8:
        p = data.rfind(b"\n", 0, rng.randrange(len(data) + 1)) + 1
        return b"import numpy as np\n" + data[:p] + long_line(rng) + data[p:]
    if kind == 9:
        p = rng.randrange(len(data) + 1)
        return data[:p] + rng.choice([b"(", b"[", b"{", b"'''", b'"""', b"'", b"f'{", b"f'''{"]) + data[p:]
    if kind == 10:
        return data.replace(b"    ", b"\t", rng.randrange(1, 50))
    return data.replace(b"\n", b"\r", rng.randrange(1, 20))


def as_text(data):
    return data.decode("utf-8", errors="surrogateescape")


def mutate_notebook(rng, data):
    try:
        doc = json.loads(data)
    except ValueError:
        return mutate_code(rng, data)
    cells = doc.get("cells") if isinstance(doc, dict) else None
    kind = rng.randrange(8)
    if kind == 0 or not isinstance(cells, list) or not cells:
        return data[: rng.randrange(len(data) + 1)]
    if kind == 1:
        doc["cells"] = rng.choice([None, 3, "cells", {}, [1, 2], [{"cell_type": "code"}]])
    elif kind == 2:
        c = rng.choice(cells)
        if isinstance(c, dict):
            c["source"] = rng.choice([None, 7, {"a": 1}, [1, "x"], ["%%time\n", "x = ("], "x = '''"])
    elif kind == 3:
        cells.extend(rng.choice(cells) for _ in range(rng.randrange(1, 50)))
    elif kind == 4:
        del cells[rng.randrange(len(cells))]
    elif kind == 5:
        c = rng.choice(cells)
        if isinstance(c, dict):
            c["cell_type"] = rng.choice(["markdown", "raw", "code", 5, None])
    else:
        for _ in range(rng.randrange(1, 4)):
            c = rng.choice(cells)
            if not isinstance(c, dict):
                continue
            src = c.get("source", "")
            src = "".join(x for x in src if isinstance(x, str)) if isinstance(src, list) else str(src)
            new = as_text(mutate_code(rng, src.encode("utf-8", errors="surrogatepass")))
            c["source"] = new.splitlines(keepends=True) if rng.random() < 0.5 else new
    text = json.dumps(doc, indent=rng.choice([None, 1]), ensure_ascii=rng.random() < 0.5)
    # A mutated cell can hold lone surrogates (not only surrogateescape's): write them as
    # the invalid UTF-8 they are.
    return text.encode("utf-8", errors="surrogatepass")


def make_mutant(sources, seed, i):
    rng = random.Random(seed * 1_000_003 + i)
    path = rng.choice(sources)
    with open(path, "rb") as f:
        data = f.read()
    notebook = path.endswith(".ipynb") or rng.random() < 0.05
    if notebook and not path.endswith(".ipynb"):
        code = as_text(data)
        data = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c}
                                     for c in code.split("\n\n\n")], "metadata": {}, "nbformat": 4,
                           "nbformat_minor": 5}).encode("utf-8", errors="surrogateescape")
    for _ in range(rng.randrange(1, 4)):
        data = mutate_notebook(rng, data) if notebook else mutate_code(rng, data)
    return f"m{i:06}" + (".ipynb" if notebook else ".py"), data


def modes():
    out = []
    for k, fmt in enumerate(FORMATS):
        scope = "tasks" if k % 2 == 0 else "everywhere"
        out.append((f"{fmt}/{scope}", ["check", "--scope", scope, "--output-format", fmt], False))
    out.append(("fix", ["check", "--scope", "everywhere", "--fix", "--unsafe-fixes",
                        "--output-format", "concise"], True))
    return out


def run_once(binary, args, target, timeout):
    """Returns None when the run is fine, else a short reason, and the end of stderr."""
    try:
        r = subprocess.run([binary, *args, target], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=timeout, env={**os.environ, "NO_COLOR": "1", "NUMGIL_CACHE_DIR": "/nonexistent"})
    except subprocess.TimeoutExpired as e:
        return "timeout", (e.stderr or b"")[-3000:].decode(errors="replace")
    err = r.stderr[-3000:].decode(errors="replace")
    code = r.returncode
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return f"signal:{name}", err
    if code == 101 or b"panicked" in r.stderr:
        return "panic", err
    if code in (134, 139):
        return f"signal:exit{code}", err
    if code not in (0, 1, 2):
        return f"exit:{code}", err
    return None, err


def with_copy(target, fn):
    tmp = tempfile.mkdtemp(prefix="numgil-fuzz-fix-")
    try:
        dst = os.path.join(tmp, os.path.basename(target))
        if os.path.isdir(target):
            shutil.copytree(target, dst)
        else:
            shutil.copy(target, dst)
        return fn(dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check(binary, mode, target, timeout):
    _, args, needs_copy = mode
    if needs_copy:
        return with_copy(target, lambda dst: run_once(binary, args, dst, timeout))
    return run_once(binary, args, target, timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=2000, help="number of mutants")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=500, help="mutants per numgil run")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per numgil run")
    ap.add_argument("--corpus", default="fixtures")
    ap.add_argument("--binary", default=os.environ.get("NUMGIL", "target/release/numgil"))
    ap.add_argument("--failures", default="fuzz-failures", help="where failing mutants are saved")
    ap.add_argument("--jobs", type=int, default=1, help="batches checked at once")
    a = ap.parse_args()
    if not os.path.exists(a.binary):
        sys.exit(f"{a.binary} not found: run `cargo build --release` first")
    sources = sorted(os.path.join(r, f) for r, _, fs in os.walk(a.corpus) for f in fs
                     if f.endswith((".py", ".ipynb")))
    if not sources:
        sys.exit(f"no .py or .ipynb files under {a.corpus}")
    started = time.time()
    counts = {"runs": 0, "failed_runs": 0}
    failures = []  # (mode, reason, mutant name)

    def do_batch(first):
        last = min(first + a.batch, a.n)
        with tempfile.TemporaryDirectory(prefix="numgil-fuzz-") as d:
            batch = os.path.join(d, "batch")
            os.mkdir(batch)
            names = []
            for i in range(first, last):
                name, data = make_mutant(sources, a.seed, i)
                with open(os.path.join(batch, name), "wb") as f:
                    f.write(data)
                names.append(name)
            found = []
            runs = 0
            for mode in modes():
                runs += 1
                reason, _ = check(a.binary, mode, batch, a.timeout)
                if reason is None:
                    continue
                found.append((mode[0], reason, None, ""))
                for name in names:  # find the mutants that fail in this mode
                    r, err = check(a.binary, mode, os.path.join(batch, name), a.timeout)
                    if r is not None:
                        os.makedirs(a.failures, exist_ok=True)
                        shutil.copy(os.path.join(batch, name), os.path.join(a.failures, name))
                        with open(os.path.join(a.failures, name + ".txt"), "w") as f:
                            f.write(f"mode: {mode[0]}\nreason: {r}\ncommand: {a.binary} {' '.join(mode[1])} {name}\n"
                                    f"seed: {a.seed} index: {name[1:7]}\n\n{err}\n")
                        found.append((mode[0], r, name, err))
            return last - first, runs, found

    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        for n_done, runs, found in pool.map(do_batch, range(0, a.n, a.batch)):
            counts["runs"] += runs
            counts["failed_runs"] += len([f for f in found if f[2] is None])
            failures += [f for f in found if f[2] is not None]
            for mode, reason, name, _ in found:
                if name is None:
                    print(f"batch run failed: {mode}: {reason}", flush=True)
                else:
                    print(f"  {name}: {mode}: {reason}", flush=True)

    by_reason = {}
    for _, reason, _, _ in failures:
        key = reason.split(":")[0]
        by_reason[key] = by_reason.get(key, 0) + 1
    wall = time.time() - started
    print(f"{a.n} mutants (seed {a.seed}), {counts['runs']} batch runs of up to {a.batch} mutants "
          f"in {len(modes())} modes, {wall:.0f} s")
    print(f"panics: {by_reason.get('panic', 0)}, timeouts: {by_reason.get('timeout', 0)}, "
          f"signals: {by_reason.get('signal', 0)}, other exits: {by_reason.get('exit', 0)}, "
          f"failed batch runs: {counts['failed_runs']}")
    if failures or counts["failed_runs"]:
        print(f"failing mutants saved to {a.failures}/")
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
