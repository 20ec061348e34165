#!/usr/bin/env python3
"""Sample numgil's findings on the real-world corpus for hand review (issue: "30 findings
sampled at random, default scope and --scope everywhere half each").

Usage:
    scripts/sample_findings.py path/to/numgil [--per-scope 15] [--seed 1] [--json]

Uses scripts/realworld.py's project list and source cache (run that script once first so
the sources are fetched). Runs `numgil check --output-format json` in each project root in the
default scope and with `--scope everywhere`, pools the findings of all projects per scope, and
draws `--per-scope` of each at random (fixed seed, so a sample can be re-drawn and re-judged).
Each line gives the project, the file (absolute, for reading), the line, the rule and the
message; the reviewer judges each one: true and worth fixing / true but negligible / noise.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realworld  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("numgil")
    ap.add_argument("--per-scope", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args(argv)
    repo = Path(__file__).resolve().parent.parent
    cases = repo / "tests" / "realworld" / "cases"
    cache = repo / "target" / "realworld"
    mirror = Path("/work/.mirror")
    numgil = realworld.resolve_binary(args.numgil)
    pools = {"default": [], "everywhere": []}
    for project in realworld.load_projects(cases):
        try:
            root = realworld.obtain(project, cache, mirror, args.timeout)
        except Exception as exc:  # a project that cannot be fetched is left out, and said so
            print(f"[{project.name}] skipped: {exc}", file=sys.stderr)
            continue
        for scope in pools:
            found, _, err = realworld.run_numgil(numgil, root, project.check, scope == "everywhere", args.timeout)
            if err:
                print(f"[{project.name}] {scope}: {err}", file=sys.stderr)
                continue
            for f in found:
                pools[scope].append(dict(f, project=project.name, file=str((root / f["path"]).resolve())))
    rng = random.Random(args.seed)
    sample = []
    for scope, found in pools.items():
        found.sort(key=lambda f: (f["project"], f["path"], f["row"], f["code"]))
        picked = rng.sample(found, min(args.per_scope, len(found)))
        sample += [dict(f, scope=scope) for f in picked]
        print(f"{scope}: {len(found)} findings, {len(picked)} sampled", file=sys.stderr)
    if args.json:
        json.dump(sample, sys.stdout, indent=1)
        print()
    else:
        for i, f in enumerate(sample, 1):
            print(f"{i:2} {f['scope']:10} {f['project']:20} {f['file']}:{f['row']} {f['code']} {f['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
