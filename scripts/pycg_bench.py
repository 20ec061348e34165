#!/usr/bin/env python3
"""Score numgil's call graph on PyCG's micro-benchmark, beside PyCG and JARVIS, in one run.

The benchmark is PyCG's (github.com/vitsalis/PyCG, ICSE 2021): 119 small programs in
micro-benchmark/snippets/<category>/<name>/, each with main.py (and other modules) and a
callgraph.json ground truth mapping each caller node to its callee nodes.

Scoring: for each program, each tool's call graph is turned into edges (caller, callee); an edge
counts only where the callee is a node the ground truth knows (one of its keys or callees), so
nodes some tools emit and the ground truth never names (class nodes for constructor calls, say)
are neither rewarded nor punished. tp / fp / fn are summed over all programs; precision =
tp / (tp + fp), recall = tp / (tp + fn). A program on which a tool fails (crash, timeout, no or
unreadable output) counts all its ground-truth edges as misses (fn) and is reported as failed.

Tools:
  numgil  `numgil callgraph --output-format pycg .`, run in the program's directory.
  pycg    PyCG from the snapshot's own sources (`python -m pycg --package . *.py -o OUT`); its
          PyPI release does not import, and its sources need setuptools<70 (pkg_resources).
  jarvis  JARVIS from PyPI (`jarviscg==0.1.0rc7`), `jarviscg --package . *.py -o OUT`.
PyCG and JARVIS are given every top-level .py file of the program, as entry points.

The benchmark's programs are not kept in this repository. The script needs a git directory of a
PyCG snapshot, given as --pycg-git DIR or $PYCG_GIT; to get one:
    git clone https://github.com/vitsalis/PyCG /some/where/PyCG   # then DIR = /some/where/PyCG/.git
(a bare clone, `git clone --bare`, works as well). The snapshot's micro-benchmark/ and pycg/ are
extracted with `git archive` into the cache directory (target/pycg/ by default, --cache DIR), and
a virtual environment with jarviscg and setuptools<70 is built there on first use (needs pip to
reach the package index once). Python 3.11+, standard library only.

Examples:
    scripts/pycg_bench.py --pycg-git ~/src/PyCG/.git                # all three tools
    scripts/pycg_bench.py --only numgil --verbose                   # numgil alone, with its diffs
    scripts/pycg_bench.py --category mro --json                     # one category, JSON figures
numgil is target/release/numgil, else target/debug/numgil, else `numgil` on PATH, unless
--numgil PATH names it. Without one (or while it lacks the command) numgil scores as failed on
every program and the other tools are scored as usual.
"""
import argparse
import concurrent.futures
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ("numgil", "pycg", "jarvis")
JARVIS_PIN = "jarviscg==0.1.0rc7"
SETUPTOOLS_PIN = "setuptools<70"
NUMGIL_TIMEOUT = 30
TOOL_TIMEOUT = 60


def git(git_dir, *args):
    return subprocess.run(["git", "--git-dir", git_dir, *args], capture_output=True, check=True).stdout


def extract(git_dir, cache):
    """Extract micro-benchmark/ and pycg/ of the snapshot's HEAD into cache/<commit>/; return that dir."""
    commit = git(git_dir, "rev-parse", "HEAD").decode().strip()
    dest = os.path.join(cache, "src-" + commit[:12])
    done = os.path.join(dest, ".extracted")
    if not os.path.exists(done):
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        data = git(git_dir, "archive", "HEAD", "micro-benchmark", "pycg")
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            try:
                tar.extractall(dest, filter="data")
            except TypeError:  # Python without extraction filters
                tar.extractall(dest)
        with open(done, "w") as f:
            f.write(commit + "\n")
    return dest


def build_venv(cache):
    """A venv with jarviscg and setuptools<70 (PyCG's sources import pkg_resources); return its python."""
    venv = os.path.join(cache, "venv")
    marker = os.path.join(venv, ".numgil-pins")
    pins = f"{JARVIS_PIN} {SETUPTOOLS_PIN}\n"
    if not (os.path.exists(marker) and open(marker).read() == pins):
        print(f"building {venv} ({JARVIS_PIN}, {SETUPTOOLS_PIN}) ...", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, JARVIS_PIN], check=True)
        # jarviscg declares setuptools>=75 but runs with an older one; PyCG needs pkg_resources,
        # gone from setuptools 70 on. Installed after jarviscg, so pip's conflict note is expected.
        subprocess.run([*pip, SETUPTOOLS_PIN], check=True, capture_output=True)
        with open(marker, "w") as f:
            f.write(pins)
    return os.path.join(venv, "bin", "python")


def find_numgil(given):
    if given:
        return os.path.abspath(given) if os.path.sep in given else (shutil.which(given) or given)
    for kind in ("release", "debug"):
        p = os.path.join(REPO_ROOT, "target", kind, "numgil")
        if os.access(p, os.X_OK):
            return p
    return shutil.which("numgil")


def as_graph(obj):
    """A PyCG-format call graph (dict of caller -> list of callee names), else None."""
    if not isinstance(obj, dict):
        return None
    if not all(isinstance(v, list) and all(isinstance(c, str) for c in v) for v in obj.values()):
        return None
    return obj


def run_tool(tool, d, ctx):
    """The tool's call graph for the program in directory d, or None when the tool failed."""
    files = sorted(f for f in os.listdir(d) if f.endswith(".py"))
    try:
        if tool == "numgil":
            if not ctx["numgil"]:
                return None
            p = subprocess.run([ctx["numgil"], "callgraph", "--output-format", "pycg", "."], cwd=d,
                               capture_output=True, text=True, timeout=NUMGIL_TIMEOUT)
            return as_graph(json.loads(p.stdout))
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "cg.json")
            py = ctx["python"]
            if tool == "pycg":
                cmd = [py, "-m", "pycg", "--package", ".", *files, "-o", out]
                env = dict(os.environ, PYTHONPATH=ctx["src"])
            else:
                cmd = [os.path.join(os.path.dirname(py), "jarviscg"), "--package", ".", *files, "-o", out]
                env = None
            subprocess.run(cmd, cwd=d, capture_output=True, timeout=TOOL_TIMEOUT, env=env)
            with open(out) as f:
                return as_graph(json.load(f))
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def edges(cg):
    return {(a, b) for a, bs in cg.items() for b in bs}


def score_program(d, tools, ctx):
    with open(os.path.join(d, "callgraph.json")) as f:
        gt = json.load(f)
    known = set(gt) | {b for bs in gt.values() for b in bs}
    g = edges(gt)
    res = {"gt_edges": len(g), "tools": {}}
    for t in tools:
        cg = run_tool(t, d, ctx)
        if cg is None:
            res["tools"][t] = {"tp": 0, "fp": 0, "fn": len(g), "failed": True, "missing": sorted(g), "extra": []}
            continue
        e = {(a, b) for a, b in edges(cg) if b in known}
        res["tools"][t] = {"tp": len(e & g), "fp": len(e - g), "fn": len(g - e), "failed": False,
                           "missing": sorted(g - e), "extra": sorted(e - g)}
    return res


def pr(c):
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("numgil_pos", nargs="?", metavar="NUMGIL", help="the numgil binary (same as --numgil)")
    ap.add_argument("--numgil", help="the numgil binary (default: target/release, target/debug, PATH)")
    ap.add_argument("--pycg-git", default=os.environ.get("PYCG_GIT"),
                    help="git dir of a PyCG snapshot (default: $PYCG_GIT)")
    ap.add_argument("--cache", default=os.path.join(REPO_ROOT, "target", "pycg"),
                    help="where the benchmark is extracted and the venv built (default: target/pycg)")
    ap.add_argument("--category", action="append", metavar="CAT", help="only this category (repeatable)")
    ap.add_argument("--only", action="append", metavar="TOOL",
                    help="only these tools: numgil, pycg, jarvis (repeatable or comma-separated)")
    ap.add_argument("--verbose", action="store_true", help="per-program missing and extra edges for numgil")
    ap.add_argument("--json", action="store_true",
                    help="print JSON: per category and total tp/fp/fn/precision/recall per tool; per program tp/fp/fn and "
                         "the missing and extra edges")
    ap.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1), help="programs run in parallel")
    a = ap.parse_args()

    tools = list(TOOLS)
    if a.only:
        wanted = {t.strip() for o in a.only for t in o.split(",") if t.strip()}
        bad = wanted - set(TOOLS)
        if bad:
            ap.error(f"unknown tool(s) {sorted(bad)}; choose from {', '.join(TOOLS)}")
        tools = [t for t in TOOLS if t in wanted]
    if not a.pycg_git:
        ap.error("give the PyCG git dir with --pycg-git DIR or $PYCG_GIT (`git clone https://github.com/vitsalis/PyCG` has one, .git)")
    if not os.path.isdir(a.pycg_git):
        ap.error(f"no such git dir: {a.pycg_git}")

    cache = os.path.abspath(a.cache)
    os.makedirs(cache, exist_ok=True)
    src = extract(a.pycg_git, cache)
    ctx = {"src": src, "numgil": None, "python": None}
    if "numgil" in tools:
        ctx["numgil"] = find_numgil(a.numgil or a.numgil_pos)
        if not ctx["numgil"]:
            print("note: no numgil binary found; numgil scores as failed", file=sys.stderr)
    if "pycg" in tools or "jarvis" in tools:
        ctx["python"] = build_venv(cache)

    root = os.path.join(src, "micro-benchmark", "snippets")
    cats = sorted(os.listdir(root))
    if a.category:
        unknown = set(a.category) - set(cats)
        if unknown:
            ap.error(f"unknown category {sorted(unknown)}; categories: {', '.join(cats)}")
        cats = [c for c in cats if c in a.category]
    progs = [(c, n) for c in cats for n in sorted(os.listdir(os.path.join(root, c)))
             if os.path.exists(os.path.join(root, c, n, "callgraph.json"))]

    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        results = list(ex.map(lambda p: score_program(os.path.join(root, *p), tools, ctx), progs))

    def zero():
        return {"tp": 0, "fp": 0, "fn": 0, "failed": 0}

    per_cat = {c: {"programs": 0, "gt_edges": 0, "tools": {t: zero() for t in tools}} for c in cats}
    total = {"programs": 0, "gt_edges": 0, "tools": {t: zero() for t in tools}}
    for (c, _), r in zip(progs, results):
        for agg in (per_cat[c], total):
            agg["programs"] += 1
            agg["gt_edges"] += r["gt_edges"]
            for t in tools:
                for k in ("tp", "fp", "fn"):
                    agg["tools"][t][k] += r["tools"][t][k]
                agg["tools"][t]["failed"] += r["tools"][t]["failed"]
    for agg in [*per_cat.values(), total]:
        for t in tools:
            p, rc = pr(agg["tools"][t])
            agg["tools"][t]["precision"] = round(p, 4)
            agg["tools"][t]["recall"] = round(rc, 4)

    if a.verbose and "numgil" in tools:
        for (c, n), r in zip(progs, results):
            x = r["tools"]["numgil"]
            if x["missing"] or x["extra"]:
                head = f"{c}/{n}:" + (" FAILED" if x["failed"] else "")
                print(head, file=sys.stderr if a.json else sys.stdout)
                for kind in ("missing", "extra"):
                    for caller, callee in x[kind]:
                        print(f"  {kind:7} {caller} -> {callee}", file=sys.stderr if a.json else sys.stdout)

    if a.json:
        out = {"pycg_commit": open(os.path.join(src, ".extracted")).read().strip(), "tools": tools,
               "categories": per_cat, "total": total,
               "programs": [{"category": c, "name": n, "gt_edges": r["gt_edges"],
                             "tools": {t: {**{k: r["tools"][t][k] for k in ("tp", "fp", "fn", "failed")},
                                           "missing": [list(e) for e in r["tools"][t]["missing"]],
                                           "extra": [list(e) for e in r["tools"][t]["extra"]]}
                                       for t in tools}}
                            for (c, n), r in zip(progs, results)]}
        json.dump(out, sys.stdout, indent=1)
        print()
        return

    w = 14
    print(f"{'category':<{w}} {'progs':>5} {'edges':>5}" + "".join(f" | {t + ' tp/fp/fn':>20}" for t in tools))
    for c in cats + ["TOTAL"]:
        agg = total if c == "TOTAL" else per_cat[c]
        if c == "TOTAL":
            print("-" * (w + 12 + 23 * len(tools)))
        cells = "".join(" | {:>20}".format("{tp}/{fp}/{fn}".format(**agg["tools"][t])
                                          + (f" F{agg['tools'][t]['failed']}" if agg["tools"][t]["failed"] else ""))
                        for t in tools)
        print(f"{c:<{w}} {agg['programs']:>5} {agg['gt_edges']:>5}{cells}")
    print("(F n: programs on which the tool failed; their ground-truth edges count as misses)")
    parts = []
    for t in tools:
        x = total["tools"][t]
        prec, rec = pr(x)
        parts.append(f"{t} precision {prec:.1%} recall {rec:.1%} (failed {x['failed']})")
    print(f"PyCG micro-benchmark, {total['programs']} programs: " + "; ".join(parts))


if __name__ == "__main__":
    main()
