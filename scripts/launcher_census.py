#!/usr/bin/env python3
"""Compare `numgil tasks` with a grep for the standard thread/process launch APIs on the corpus.

Usage:
    scripts/launcher_census.py [--numgil PATH] [--project NAME ...] [--json]
                               [--cases DIR] [--cache DIR] [--fetch] [--mirror DIR] [--timeout S]

The claim checked: on the real-world corpus (tests/realworld/cases/*.toml, the projects that
scripts/realworld.py scores), `numgil tasks` finds every launcher site that a plain grep for
the standard thread/process APIs finds, plus the launchers a grep cannot see (library
launchers, pools and callables passed through variables), and lists what it could not resolve.
This is a benchmark report, not a gate: it prints the gaps so a human can read them.

Per project (sources and root found with scripts/realworld.py's load_projects/obtain), run
from the project root over the project's `check` paths:

  grep hits   Every .py file under the check paths is scanned (nothing is skipped, not even
              tests or vendored folders). String literals (all quote forms, triple-quoted ones
              across lines, with backslash escapes) and comments (an unquoted `#` to the end of
              the line) are first blanked out by a small lexical scanner, so docstrings, strings
              and commented-out code never match; f-string {...} fields are blanked too.
              `def NAME(` is then read as a definition, not a call (`def to_thread():` is no
              hit). A grep hit is a source line whose remaining code matches any row of this
              table (one hit per line, however many rows match; the row names are printed):
                submit           \\.submit\\(
                Thread           \\bThread\\(           (threading.Thread( too)
                Timer            \\bTimer\\(
                Process          \\bProcess\\(          (multiprocessing.Process, ctx.Process)
                run_in_executor  \\brun_in_executor\\(
                to_thread        \\bto_thread\\(
                apply_async      \\.apply_async\\(
                map_async        \\.map_async\\(
                starmap          \\.starmap(_async)?\\(
                imap             \\.imap(_unordered)?\\(
                Parallel         \\bParallel\\(         (joblib)
                thread_map       \\b(thread|process)_map\\(   (tqdm.contrib.concurrent)
                create_worker    \\bcreate_worker\\(    (superqt / napari)
                thread_worker    @\\s*([\\w.]+\\.)?thread_worker\\b
                pool.map         (?i)(pool|executor|\\b(exe|ex|tpe|ppe|p))\\.map\\(
                                 or (?i)(Pool|Executor)\\(.*\\)\\.map\\(
                pool.apply       the same pool-like receivers with \\.apply\\(
              `.map(` and `.apply(` count only with a pool-like receiver (a name ending in
              pool or executor, as self._thread_pool, or exactly exe, ex, tpe, ppe or p), since
              most of them are builtins, pandas or numpy.
  numgil      `numgil tasks --output-format json CHECK...`; its sites are (filename, row).
  matching    A grep hit is matched when numgil reports a site in the same file whose row is
              in [hit line - 3, hit line + 3] (a call spans lines and numgil reports where it
              starts) and no other hit is nearer to that site (hits at the same distance all
              match it), so that a non-launch line (`psutil.Process()`) next to a launch does
              not count as found through the launch's site. numgil sites that no hit matches are
              listed as "numgil only" (library launchers, value-flow launchers, or launch
              forms outside the table), with their launcher name; sites whose `unresolved`
              list is not empty are listed with it. numgil also reads .ipynb notebooks; their
              sites are never grep hits (only .py files are grepped), so they are numgil only.

Sources are used only where they are already unpacked under CACHE/src/ (as realworld.py
leaves them); a project whose sources are absent is skipped, unless --fetch lets
realworld.obtain download (pip) or extract (git mirror) them.

Examples:
    scripts/launcher_census.py                              # all projects, text report
    scripts/launcher_census.py --numgil /tmp/numgil --project zarr --project dask
    scripts/launcher_census.py --json > census.json         # machine-readable summary
Standard library only (Python 3.11+). Exits 0 unless the script itself fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import realworld  # noqa: E402

REPO = realworld.REPO
WINDOW = 3

_POOLISH = r"(?i:(?:pool|executor|\b(?:exe|ex|tpe|ppe|p)))"  # a name ending in pool/executor
PATTERNS: list[tuple[str, re.Pattern]] = [
    ("submit", re.compile(r"\.submit\(")),
    ("Thread", re.compile(r"\bThread\(")),
    ("Timer", re.compile(r"\bTimer\(")),
    ("Process", re.compile(r"\bProcess\(")),
    ("run_in_executor", re.compile(r"\brun_in_executor\(")),
    ("to_thread", re.compile(r"\bto_thread\(")),
    ("apply_async", re.compile(r"\.apply_async\(")),
    ("map_async", re.compile(r"\.map_async\(")),
    ("starmap", re.compile(r"\.starmap(?:_async)?\(")),
    ("imap", re.compile(r"\.imap(?:_unordered)?\(")),
    ("Parallel", re.compile(r"\bParallel\(")),
    ("thread_map", re.compile(r"\b(?:thread|process)_map\(")),
    ("create_worker", re.compile(r"\bcreate_worker\(")),
    ("thread_worker", re.compile(r"@\s*(?:[\w.]+\.)?thread_worker\b")),
    ("pool.map", re.compile(_POOLISH + r"\.map\(|(?i:(?:Pool|Executor)\(.*\)\.map\()")),
    ("pool.apply", re.compile(_POOLISH + r"\.apply\(|(?i:(?:Pool|Executor)\(.*\)\.apply\()")),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- grep


_SPECIAL = re.compile(r"[\\'\"#]")
_STRING_END = {q: re.compile(r"\\.|" + re.escape(q)) for q in ("'", '"', "'''", '"""')}
_DEF_NAME = re.compile(r"\bdef\s+\w+")
# Substrings one of which every PATTERNS match contains: a cheap filter before the regexes.
_NEEDLES = ("submit(", "Thread(", "Timer(", "Process(", "run_in_executor(", "to_thread(",
            "apply_async(", "map_async(", "starmap", "imap", "Parallel(", "_map(",
            "create_worker(", "thread_worker", ".map(", ".apply(")


def _maybe(text: str) -> bool:
    return any(n in text for n in _NEEDLES)


def blank_strings_and_comments(lines: list[str]) -> list[str]:
    """Return the lines with string literal contents and comments replaced by spaces.

    A lexical scan only: it knows ' " \'\'\' \"\"\" quotes, backslash escapes and `#`;
    string prefixes (r, b, f, u) need no handling since only the quotes matter here."""
    out = []
    quote = None  # the open string's delimiter, carried across lines
    for line in lines:
        if quote is None and not _SPECIAL.search(line):
            out.append(line)
            continue
        parts = []  # the kept code, with blanked runs
        i, n = 0, len(line)
        while i < n:
            if quote is None:
                m = _SPECIAL.search(line, i)
                if not m:
                    parts.append(line[i:])
                    break
                j = m.start()
                parts.append(line[i:j])
                c = line[j]
                if c == "#":
                    parts.append(" " * (n - j))
                    i = n
                    break
                if c == "\\":
                    parts.append(c)
                    i = j + 1
                    continue
                quote = line[j:j + 3] if line.startswith(c * 3, j) else c
                parts.append(" " * len(quote))
                i = j + len(quote)
            else:
                end, k = _STRING_END[quote], i
                while True:
                    m = end.search(line, k)
                    if m is None or m.group() == quote:
                        break
                    k = m.end()  # an escape: skip it
                if m is None:
                    parts.append(" " * (n - i))
                    i = n
                    break
                parts.append(" " * (m.end() - i))
                i = m.end()
                quote = None
        # A one-quote string ends at the end of its line unless the newline is escaped.
        if quote is not None and len(quote) == 1 and not line.rstrip("\r").endswith("\\"):
            quote = None
        out.append("".join(parts))
    return out


def read_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # Split on "\n" only, as numgil's line numbers count.
    return text.split("\n")


def python_files(root: Path, check: list[str]) -> list[Path]:
    seen: dict[str, Path] = {}
    for c in check:
        p = root / c
        if p.is_file():
            cands = [p] if p.suffix == ".py" else []
        elif p.is_dir():
            cands = sorted(q for q in p.rglob("*.py") if q.is_file())
        else:
            cands = []
        for q in cands:
            rel = realworld.norm_path(os.path.relpath(q, root))
            seen.setdefault(rel, q)
    return [seen[k] for k in sorted(seen)]


def grep_hits(root: Path, check: list[str]) -> list[dict]:
    hits = []
    for path in python_files(root, check):
        rel = realworld.norm_path(os.path.relpath(path, root))
        try:
            lines = read_lines(path)
        except OSError as exc:
            log(f"  cannot read {rel}: {exc}")
            continue
        if not any(_maybe(line) for line in lines):
            continue
        for row, code in enumerate(blank_strings_and_comments(lines), start=1):
            if not _maybe(code):
                continue
            code = _DEF_NAME.sub("def _", code)
            names = [name for name, rx in PATTERNS if rx.search(code)]
            if names:
                hits.append({"path": rel, "row": row, "patterns": names,
                             "text": lines[row - 1].strip()})
    return hits


# --------------------------------------------------------------------------- numgil


def run_tasks(numgil: str, root: Path, check: list[str], timeout: int):
    """Return (sites, seconds, error)."""
    data, elapsed, err = realworld.run_numgil_json(numgil, ["tasks", "--output-format", "json", *check], root, timeout)
    if err:
        return None, elapsed, err
    sites = []
    for s in data.get("sites", []) if isinstance(data, dict) else []:
        try:
            sites.append({
                "path": realworld.norm_path(s["filename"]),
                "row": int(s["row"]),
                "column": int(s.get("column", 0)),
                "launcher": s.get("launcher", "?"),
                "kind": s.get("kind", "?"),
                "entries": list(s.get("entries") or []),
                "unresolved": list(s.get("unresolved") or []),
            })
        except (KeyError, TypeError, ValueError):
            continue
    return sites, elapsed, None


# --------------------------------------------------------------------------- census


def cached_base(project, cache: Path) -> Path | None:
    """The unpack folder realworld.fetch_pypi / fetch_github use for this source."""
    m = realworld.PYPI_RE.match(project.source)
    if m:
        return cache / "src" / f"pypi-{m['name']}-{m['version']}"
    g = realworld.GITHUB_RE.match(project.source)
    if g:
        return cache / "src" / f"github-{g['owner']}+{g['name']}@{g['commit'].lower()[:12]}"
    return None


def census(project, root: Path, numgil: str, timeout: int) -> dict:
    missing = [c for c in project.check if not (root / c).exists()]
    if missing:
        log(f"  warning: check paths not found under {root}: {', '.join(missing)}")
    check = [c for c in project.check if (root / c).exists()] or ["."]
    hits = grep_hits(root, check)
    sites, secs, err = run_tasks(numgil, root, check, timeout)
    res = {"name": project.name, "source": project.source, "root": project.root, "check": check,
           "status": "ok", "reason": "", "seconds": round(secs, 3), "hits": hits}
    if sites is None:
        res.update(status="error", reason=err, sites=[], matched=[], unmatched=hits,
                   numgil_only=[], unresolved=[])
        return res
    hits_by_file: dict[str, list[dict]] = {}
    for h in hits:
        hits_by_file.setdefault(h["path"], []).append(h)
    # Each site goes to the hit(s) nearest to it within the window (all of them on a tie),
    # so a non-launch line next to a real launch does not borrow the launch's site.
    claimed: dict[int, list[dict]] = {}
    numgil_only = []
    for s in sites:
        near = [h for h in hits_by_file.get(s["path"], []) if abs(h["row"] - s["row"]) <= WINDOW]
        if not near:
            numgil_only.append(s)
            continue
        best = min(abs(h["row"] - s["row"]) for h in near)
        for h in near:
            if abs(h["row"] - s["row"]) == best:
                claimed.setdefault(id(h), []).append(s)
    matched, unmatched = [], []
    for h in hits:
        if id(h) in claimed:
            h["sites"] = [f"{s['path']}:{s['row']}:{s['column']} {s['launcher']}" for s in claimed[id(h)]]
            matched.append(h)
        else:
            unmatched.append(h)
    res.update(
        sites=sites, matched=matched, unmatched=unmatched,
        numgil_only=numgil_only,
        unresolved=[s for s in sites if s["unresolved"]],
    )
    return res


def totals(results: list[dict]) -> dict:
    ok = [r for r in results if r["status"] == "ok"]
    t = {
        "projects": len(ok),
        "skipped_or_failed": [r["name"] for r in results if r["status"] != "ok"],
        "grep_hits": sum(len(r["hits"]) for r in ok),
        "matched": sum(len(r["matched"]) for r in ok),
        "unmatched": sum(len(r["unmatched"]) for r in ok),
        "numgil_sites": sum(len(r["sites"]) for r in ok),
        "numgil_only": sum(len(r["numgil_only"]) for r in ok),
        "unresolved_sites": sum(len(r["unresolved"]) for r in ok),
        "numgil_seconds": round(sum(r.get("seconds", 0.0) for r in ok), 3),
    }
    return t


def fmt_site(s: dict) -> str:
    return f"{s['path']}:{s['row']}:{s['column']} {s['launcher']} [{s['kind']}]"


def print_report(results: list[dict]) -> None:
    for r in results:
        print(f"\n== {r['name']}  ({r['source']}, root {r['root']}, check {' '.join(r['check']) or '-'})")
        if r["status"] != "ok":
            print(f"   {r['status'].upper()}: {r['reason']}")
            continue
        print(f"   numgil tasks {r['seconds']:.2f}s: {len(r['sites'])} sites, "
              f"{len(r['unresolved'])} with unresolved callables")
        print(f"   grep hits {len(r['hits'])}: matched {len(r['matched'])}, "
              f"unmatched {len(r['unmatched'])}")
        if r["unmatched"]:
            print("   unmatched grep hits:")
            for h in r["unmatched"]:
                print(f"     {h['path']}:{h['row']}: [{','.join(h['patterns'])}] {h['text']}")
        if r["numgil_only"]:
            print(f"   numgil sites no grep hit matches ({len(r['numgil_only'])}):")
            for s in r["numgil_only"]:
                ent = ", ".join(s["entries"]) or "-"
                print(f"     {fmt_site(s)} -> {ent}")
        if r["unresolved"]:
            print(f"   sites with unresolved callables ({len(r['unresolved'])}):")
            for s in r["unresolved"]:
                print(f"     {fmt_site(s)}: {'; '.join(s['unresolved'])}")
    t = totals(results)
    print("\n== total")
    sk = t["skipped_or_failed"]
    print(f"   projects {t['projects']}, skipped/failed {len(sk)}" + (f" ({', '.join(sk)})" if sk else ""))
    print(f"   grep hits {t['grep_hits']}: matched {t['matched']}, unmatched {t['unmatched']}; "
          f"numgil sites {t['numgil_sites']}: {t['numgil_only']} numgil only, "
          f"{t['unresolved_sites']} with unresolved callables; numgil time {t['numgil_seconds']:.2f}s")


def json_report(results: list[dict]) -> dict:
    out = {"total": totals(results), "projects": []}
    for r in results:
        out["projects"].append({
            k: r.get(k) for k in ("name", "source", "root", "check", "status", "reason", "seconds")
        } | {
            "grep_hits": len(r.get("hits", [])),
            "numgil_sites": len(r.get("sites", [])),
            "matched": r.get("matched", []),
            "unmatched": r.get("unmatched", []),
            "numgil_only": r.get("numgil_only", []),
            "unresolved": r.get("unresolved", []),
        })
    return out


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--numgil", default=str(REPO / "target" / "release" / "numgil"),
                    help="the numgil binary (default target/release/numgil)")
    ap.add_argument("--project", action="append", default=[],
                    help="only this project (name or toml stem); repeatable")
    ap.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    ap.add_argument("--cases", type=Path, default=realworld.DEFAULT_CASES, help="folder of case files")
    ap.add_argument("--cache", type=Path, default=realworld.DEFAULT_CACHE,
                    help="where realworld.py unpacks sources (default target/realworld)")
    ap.add_argument("--fetch", action="store_true",
                    help="let realworld.obtain download or extract sources that are not unpacked yet")
    ap.add_argument("--mirror", type=Path, default=realworld.DEFAULT_MIRROR,
                    help="git mirrors for --fetch (default /work/.mirror)")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds allowed for one numgil run or download (default 600)")
    args = ap.parse_args(argv)

    numgil = realworld.resolve_binary(args.numgil)
    projects = realworld.select_projects(realworld.load_projects(args.cases), args.project, args.cases)
    cache = args.cache.resolve()

    results = []
    for p in projects:
        base = {"name": p.name, "source": p.source, "root": p.root, "check": p.check}
        if p.status == "error":
            results.append(base | {"status": "error", "reason": p.reason})
            continue
        log(f"[{p.name}] {p.source}")
        cached = cached_base(p, cache)
        if not args.fetch and (cached is None or not (cached / ".complete").exists()):
            reason = f"sources not unpacked under {cache / 'src'} (rerun with --fetch)"
            log(f"  skipped: {reason}")
            results.append(base | {"status": "skipped", "reason": reason})
            continue
        try:
            root = realworld.obtain(p, cache, args.mirror, args.timeout)
        except realworld.SkipProject as exc:
            log(f"  skipped: {exc}")
            results.append(base | {"status": "skipped", "reason": str(exc)})
            continue
        except Exception as exc:
            log(f"  skipped: cannot obtain sources: {exc}")
            results.append(base | {"status": "skipped", "reason": f"cannot obtain sources: {exc}"})
            continue
        r = census(p, root, numgil, args.timeout)
        if r["status"] != "ok":
            log(f"  numgil: {r['reason']}")
        else:
            log(f"  {len(r['hits'])} grep hits, {len(r['sites'])} numgil sites in {r['seconds']:.2f}s")
        results.append(r)

    if args.json:
        json.dump(json_report(results), sys.stdout, indent=2)
        print()
    else:
        print_report(results)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
