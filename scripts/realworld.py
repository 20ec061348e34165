#!/usr/bin/env python3
"""Score numgil against the hand-checked real-world corpus in tests/realworld/cases/.

Usage:
    scripts/realworld.py path/to/numgil [--project NAME ...] [--unlabelled] [--json]
                         [--cases DIR] [--cache DIR] [--mirror DIR] [--timeout S]

Every tests/realworld/cases/*.toml describes one project (where its sources come from, its
root folder and the paths to check) and its cases (positives that numgil should report and
traps that it must not). The script fetches each project's sources into a cache folder,
runs `numgil check --output-format json` on them twice (default scope and
`--scope everywhere`) from the project root, and prints a per-case table, recall,
precision, the runtime of each numgil run, and how many findings match no case.

Scoring:
  * positive, scope "default":    found if the default-scope run reports `code` in `path`
                                  on a row in [line, end_line or line].
  * positive, scope "everywhere": the same, against the `--scope everywhere` run.
  * trap, scope "default":        false positive (FP) if the default-scope run reports
                                  `code` there (the construct is outside thread tasks, so
                                  the everywhere run may report it).
  * trap, scope "everywhere":     FP if either run reports `code` there (not a problem in
                                  any scope).
  recall = found positives / positives;
  precision = found positives / (found positives + trap FPs).

Standard library only (Python 3.11+). Exits 0 unless the script itself fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CASES = REPO / "tests" / "realworld" / "cases"
DEFAULT_CACHE = REPO / "target" / "realworld"
DEFAULT_MIRROR = Path("/work/.mirror")

PYPI_RE = re.compile(r"^pypi:(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9._+!-]+)$")
GITHUB_RE = re.compile(
    r"^github:(?P<owner>[A-Za-z0-9][A-Za-z0-9_.-]*)/(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)@(?P<commit>[0-9a-fA-F]{40})$"
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data


@dataclass
class Case:
    id: str
    kind: str
    code: str
    path: str
    line: int
    end_line: int
    scope: str
    form: str
    launcher: str = ""
    result: str = "?"  # found / missed / FP / ok / error
    hits: list = field(default_factory=list)


@dataclass
class Project:
    name: str
    source: str
    root: str
    check: list
    cases: list
    toml: Path
    status: str = "pending"  # ok / skipped / error
    reason: str = ""
    runtimes: dict = field(default_factory=dict)
    findings: dict = field(default_factory=dict)  # scope -> list of findings
    unlabelled: dict = field(default_factory=dict)


def norm_path(p: str) -> str:
    p = p.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return os.path.normpath(p).replace("\\", "/") if p else p


def load_projects(cases_dir: Path) -> list[Project]:
    projects = []
    for toml_path in sorted(cases_dir.glob("*.toml")):
        try:
            with open(toml_path, "rb") as fh:
                data = tomllib.load(fh)
            proj = data["project"]
            cases = []
            for raw in data.get("case", []):
                line = int(raw["line"])
                end_line = int(raw.get("end_line", line))
                kind = raw["kind"]
                if kind not in ("positive", "trap"):
                    raise ValueError(f"case {raw.get('id')}: kind must be positive or trap")
                scope = raw.get("scope", "default")
                if scope not in ("default", "everywhere"):
                    raise ValueError(f"case {raw.get('id')}: scope must be default or everywhere")
                cases.append(
                    Case(
                        id=raw["id"],
                        kind=kind,
                        code=raw["code"],
                        path=norm_path(raw["path"]),
                        line=line,
                        end_line=max(line, end_line),
                        scope=scope,
                        form=raw.get("form", ""),
                        launcher=raw.get("launcher", ""),
                    )
                )
            check = proj.get("check", ["."])
            if isinstance(check, str):
                check = [check]
            projects.append(
                Project(
                    name=proj["name"],
                    source=proj["source"],
                    root=proj.get("root", "."),
                    check=list(check),
                    cases=cases,
                    toml=toml_path,
                )
            )
        except Exception as exc:  # a broken file must not stop the others
            log(f"error: {toml_path.name}: cannot read: {exc}")
            projects.append(
                Project(name=toml_path.stem, source="?", root=".", check=[], cases=[], toml=toml_path,
                        status="error", reason=f"bad toml: {exc}")
            )
    return projects


# --------------------------------------------------------------------------- sources


def safe_extract_tar(tf: tarfile.TarFile, dest: Path) -> int:
    """Extract with tarfile's "data" filter, skipping members it refuses (absolute or
    escaping links, device files...). Returns the number of skipped members."""
    skipped = 0
    if hasattr(tarfile, "data_filter"):
        def _filter(member, path):
            nonlocal skipped
            try:
                return tarfile.data_filter(member, path)
            except tarfile.FilterError:
                skipped += 1
                return None

        tf.extractall(dest, filter=_filter)
        return skipped
    dest_res = dest.resolve()
    members = []
    for member in tf.getmembers():
        target = (dest / member.name).resolve()
        if not str(target).startswith(str(dest_res)) or member.issym() or member.islnk() \
                or member.isdev():
            skipped += 1
            continue
        members.append(member)
    tf.extractall(dest, members=members)
    return skipped


def unpack_archive(archive: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    name = archive.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            dest_res = dest.resolve()
            for member in zf.namelist():
                target = (dest / member).resolve()
                if not str(target).startswith(str(dest_res)):
                    raise ValueError(f"unsafe path in archive: {member}")
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            safe_extract_tar(tf, dest)


def fetch_pypi(name: str, version: str, cache: Path, timeout: int) -> Path:
    """Download and unpack the sdist of name==version; return the unpack folder."""
    dest = cache / "src" / f"pypi-{name}-{version}"
    if (dest / ".complete").exists():
        return dest
    sdists = cache / "sdist"
    sdists.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="realworld-pip-", dir=cache) as tmp:
        # `--no-binary NAME` asks for the sdist of the project only; `:all:` would also build
        # the project's build dependencies (numpy, Cython...) from source to prepare metadata,
        # which takes far too long for projects with compiled build requirements.
        errors = []
        for no_binary in (name, ":all:"):
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", no_binary,
                   "--disable-pip-version-check", f"{name}=={version}", "-d", tmp]
            log(f"  $ {' '.join(cmd[2:])}")
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                errors.append(f"pip download timed out after {timeout}s (--no-binary {no_binary})")
                continue
            except OSError as exc:
                errors.append(f"cannot run pip: {exc}")
                break
            files = [p for p in Path(tmp).iterdir() if p.is_file()]
            if proc.returncode == 0 and files:
                break
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            errors.append(f"pip download failed (rc={proc.returncode}, --no-binary {no_binary}): "
                          + " | ".join(tail))
        files = [p for p in Path(tmp).iterdir() if p.is_file()]
        if not files:
            raise RuntimeError("; ".join(errors) or "pip download produced no file")
        archive = files[0]
        kept = sdists / archive.name
        shutil.copy2(archive, kept)
    if dest.exists():
        shutil.rmtree(dest)
    unpack_archive(kept, dest)
    (dest / ".complete").write_text(f"{name}=={version}\n")
    return dest


class SkipProject(Exception):
    pass


def extract_tree(git_dir: Path, commit: str, dest: Path) -> int:
    """Write the regular files of `commit` under dest with git ls-tree + cat-file --batch.
    Returns how many blobs were missing from the repository."""
    ls = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", commit],
                        capture_output=True)
    if ls.returncode != 0:
        raise RuntimeError(f"git ls-tree failed: {ls.stderr.decode(errors='replace').strip()}")
    entries = []
    for rec in ls.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        mode, otype, oid = meta.split()
        if otype != b"blob" or mode == b"120000":  # skip submodules and symlinks
            continue
        entries.append((path.decode("utf-8", "surrogateescape"), oid.decode()))
    dest_res = dest.resolve()
    missing = 0
    proc = subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for path, oid in entries:
            proc.stdin.write(oid.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                missing += 1
                continue
            size = int(header[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # trailing newline
            target = (dest / path).resolve()
            if not str(target).startswith(str(dest_res)):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    finally:
        proc.stdin.close()
        proc.wait()
    return missing


def fetch_github(owner: str, name: str, commit: str, cache: Path, mirror: Path) -> Path:
    dest = cache / "src" / f"github-{owner}+{name}@{commit[:12]}"
    if (dest / ".complete").exists():
        return dest
    git_dir = mirror / f"{owner}+{name}" / "repo"
    # Some snapshots arrive as a work-tree-less clone whose git dir is repo/.git.
    if (git_dir / ".git").is_dir():
        git_dir = git_dir / ".git"
    if not git_dir.exists():
        raise SkipProject(
            f"mirror {git_dir} is missing: bring it with the search tool's "
            f"`fetch github:{owner}/{name}` (or pass --mirror DIR where "
            f"{owner}+{name}/repo is a git directory holding commit {commit})"
        )
    check = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise SkipProject(f"commit {commit} is not in the mirror {git_dir}; fetch a newer snapshot")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tempfile.TemporaryFile() as tarball:
        proc = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "--format=tar", commit],
                              stdout=tarball, stderr=subprocess.PIPE)
        if proc.returncode == 0:
            tarball.seek(0)
            with tarfile.open(fileobj=tarball) as tf:
                skipped = safe_extract_tar(tf, dest)
            if skipped:
                log(f"  note: {skipped} archive members skipped (unsafe links or special files)")
        else:
            # A snapshot may lack some (large) blobs; git archive then fails as a whole.
            # Write the tree file by file instead, leaving out what the mirror does not hold.
            log("  git archive failed ("
                + proc.stderr.decode(errors="replace").strip().splitlines()[0][:120]
                + "); extracting blob by blob")
            missing = extract_tree(git_dir, commit, dest)
            if missing:
                log(f"  note: {missing} files are absent from the mirror and were left out")
    (dest / ".complete").write_text(f"{owner}/{name}@{commit}\n")
    return dest


def obtain(project: Project, cache: Path, mirror: Path, timeout: int) -> Path:
    m = PYPI_RE.match(project.source)
    if m:
        base = fetch_pypi(m["name"], m["version"], cache, timeout)
    else:
        g = GITHUB_RE.match(project.source)
        if not g:
            raise RuntimeError(f"unknown source {project.source!r} "
                               "(expected pypi:NAME==VERSION or github:owner/name@<40-hex commit>)")
        base = fetch_github(g["owner"], g["name"], g["commit"].lower(), cache, mirror)
    root = (base / project.root).resolve()
    if not root.is_dir():
        raise RuntimeError(f"root folder {project.root!r} not found in {base}")
    return root


# --------------------------------------------------------------------------- numgil


def resolve_binary(numgil: str) -> str:
    """A numgil path made absolute (runs happen in project folders), or found on PATH."""
    if os.sep in numgil or (os.altsep and os.altsep in numgil):
        return str(Path(numgil).resolve())
    return shutil.which(numgil) or numgil


def select_projects(projects: list, names: list, cases_dir: Path) -> list:
    """The projects named (by name or case-file stem), all when none is."""
    if not names:
        return projects
    wanted = set(names)
    chosen = [p for p in projects if p.name in wanted or p.toml.stem in wanted]
    if not chosen:
        log(f"no project named {', '.join(sorted(wanted))} in {cases_dir}")
    return chosen


def run_numgil_json(numgil: str, args: list, root: Path, timeout: int):
    """Run `numgil ARGS` in `root`; return (parsed JSON output or None when empty, seconds,
    error). Exit status 1 (findings) is not an error."""
    start = time.perf_counter()
    try:
        proc = subprocess.run([numgil, *args], cwd=root, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, f"timed out after {timeout}s"
    except OSError as exc:
        return None, 0.0, f"cannot run numgil: {exc}"
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return None, elapsed, f"numgil exited {proc.returncode}: {tail}"
    out = proc.stdout.strip()
    if not out:
        return None, elapsed, None
    try:
        return json.loads(out), elapsed, None
    except json.JSONDecodeError as exc:
        return None, elapsed, f"numgil output is not JSON: {exc}"


def run_numgil(numgil: str, root: Path, check: list, everywhere: bool, timeout: int):
    """Return (findings, seconds, error)."""
    args = ["check", "--output-format", "json"]
    if everywhere:
        args += ["--scope", "everywhere"]
    data, elapsed, err = run_numgil_json(numgil, args + list(check), root, timeout)
    if err:
        return None, elapsed, err
    if data is None:
        return [], elapsed, None
    if isinstance(data, dict):  # tolerate a wrapper object
        data = data.get("findings") or data.get("diagnostics") or []
    findings = []
    for item in data:
        try:
            findings.append({
                "code": item["code"],
                "path": norm_path(item["filename"]),
                "row": int(item["location"]["row"]),
                "column": int(item["location"].get("column", 0)),
                "message": item.get("message", ""),
                "task": item.get("task"),
            })
        except (KeyError, TypeError, ValueError):
            continue
    return findings, elapsed, None


def matches(case: Case, f: dict) -> bool:
    return f["code"] == case.code and f["path"] == case.path and case.line <= f["row"] <= case.end_line


def finding_key(f: dict):
    return (f["code"], f["path"], f["row"], f["column"])


# --------------------------------------------------------------------------- scoring


def score_project(project: Project) -> None:
    default = project.findings.get("default")
    everywhere = project.findings.get("everywhere")
    for case in project.cases:
        if case.kind == "positive":
            run = default if case.scope == "default" else everywhere
            if run is None:
                case.result = "error"
                continue
            case.hits = [f for f in run if matches(case, f)]
            case.result = "found" if case.hits else "missed"
        else:
            runs = [default] if case.scope == "default" else [default, everywhere]
            if any(r is None for r in runs):
                case.result = "error"
                continue
            case.hits = [f for r in runs for f in r if matches(case, f)]
            case.result = "FP" if case.hits else "ok"
    for scope, run in project.findings.items():
        if run is None:
            continue
        project.unlabelled[scope] = [f for f in run if not any(matches(c, f) for c in project.cases)]


def totals(projects: list[Project]) -> dict:
    cases = [c for p in projects if p.status == "ok" for c in p.cases]
    pos = [c for c in cases if c.kind == "positive" and c.result != "error"]
    traps = [c for c in cases if c.kind == "trap" and c.result != "error"]
    found = sum(c.result == "found" for c in pos)
    fps = sum(c.result == "FP" for c in traps)
    return {
        "positives": len(pos),
        "found": found,
        "traps": len(traps),
        "trap_fp": fps,
        "recall": (found / len(pos)) if pos else None,
        "precision": (found / (found + fps)) if (found + fps) else None,
    }


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.3f}"


def print_report(projects: list[Project], show_unlabelled: bool) -> None:
    out = sys.stdout
    for p in projects:
        print(f"\n== {p.name}  ({p.source}, root {p.root}, check {' '.join(p.check) or '-'})", file=out)
        if p.status != "ok":
            print(f"   {p.status.upper()}: {p.reason}", file=out)
            continue
        for scope in ("default", "everywhere"):
            rt = p.runtimes.get(scope)
            run = p.findings.get(scope)
            n = "error" if run is None else f"{len(run)} findings"
            print(f"   numgil --scope {scope:<10} {rt:7.2f}s  {n}" if rt is not None
                  else f"   numgil --scope {scope:<10}   (not run)", file=out)
        idw = max([len(c.id) for c in p.cases] + [4])
        print(f"   {'id':<{idw}}  {'kind':<8} {'code':<6} {'scope':<10} {'result':<7} form", file=out)
        for c in p.cases:
            form = c.form if len(c.form) <= 70 else c.form[:67] + "..."
            print(f"   {c.id:<{idw}}  {c.kind:<8} {c.code:<6} {c.scope:<10} {c.result:<7} {form}", file=out)
        t = totals([p])
        ud = len(p.unlabelled.get("default", []))
        default_keys = {finding_key(f) for f in p.findings.get("default") or []}
        ue = [f for f in p.unlabelled.get("everywhere", []) if finding_key(f) not in default_keys]
        print(f"   recall {t['found']}/{t['positives']}  trap FPs {t['trap_fp']}/{t['traps']}  "
              f"unlabelled findings: {ud} default, {len(ue)} more with --scope everywhere", file=out)
        if show_unlabelled:
            for label, items in (("default", p.unlabelled.get("default", [])), ("everywhere-only", ue)):
                for f in sorted(items, key=lambda f: (f["path"], f["row"], f["code"])):
                    msg = f["message"].replace("\n", " ")
                    if len(msg) > 100:
                        msg = msg[:97] + "..."
                    print(f"     [{label}] {f['path']}:{f['row']}:{f['column']} {f['code']} {msg}", file=out)
    t = totals(projects)
    ok = [p for p in projects if p.status == "ok"]
    skipped = [p for p in projects if p.status != "ok"]
    total_rt = sum(v for p in ok for v in p.runtimes.values() if v is not None)
    print("\n== total", file=out)
    print(f"   projects scored {len(ok)}, skipped/failed {len(skipped)}"
          + (f" ({', '.join(p.name for p in skipped)})" if skipped else ""), file=out)
    print(f"   positives found {t['found']}/{t['positives']}   recall {fmt_ratio(t['recall'])}", file=out)
    print(f"   trap FPs {t['trap_fp']}/{t['traps']}   precision {fmt_ratio(t['precision'])}", file=out)
    ud = sum(len(p.unlabelled.get("default", [])) for p in ok)
    print(f"   unlabelled default-scope findings {ud}"
          + ("" if show_unlabelled else " (list them with --unlabelled)"), file=out)
    print(f"   numgil time {total_rt:.2f}s over {sum(len(p.runtimes) for p in ok)} runs", file=out)


def json_report(projects: list[Project]) -> dict:
    res = {"total": totals(projects), "projects": []}
    for p in projects:
        entry = {
            "name": p.name, "source": p.source, "root": p.root, "check": p.check,
            "status": p.status, "reason": p.reason, "runtimes": p.runtimes,
            "totals": totals([p]) if p.status == "ok" else None,
            "cases": [
                {"id": c.id, "kind": c.kind, "code": c.code, "path": c.path, "line": c.line,
                 "end_line": c.end_line, "scope": c.scope, "form": c.form, "result": c.result,
                 "hits": [{"row": f["row"], "column": f["column"], "message": f["message"]} for f in c.hits]}
                for c in p.cases
            ],
            "unlabelled": {
                scope: [{k: f[k] for k in ("code", "path", "row", "column", "message")} for f in items]
                for scope, items in p.unlabelled.items()
            },
        }
        res["projects"].append(entry)
    return res


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("numgil", help="path to the numgil binary")
    ap.add_argument("--project", action="append", default=[],
                    help="only this project (name or toml stem); repeatable")
    ap.add_argument("--unlabelled", action="store_true",
                    help="list findings that match no case, so a reviewer can label them")
    ap.add_argument("--json", action="store_true", help="print a JSON report instead of the table")
    ap.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="folder of case files")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                    help="where sources are downloaded and unpacked (default target/realworld)")
    ap.add_argument("--mirror", type=Path, default=DEFAULT_MIRROR,
                    help="folder of git mirrors, OWNER+NAME/repo (default /work/.mirror)")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds allowed for one pip download or one numgil run (default 600)")
    args = ap.parse_args(argv)

    numgil = resolve_binary(args.numgil)
    projects = select_projects(load_projects(args.cases), args.project, args.cases)
    args.cache.mkdir(parents=True, exist_ok=True)

    for p in projects:
        if p.status == "error":
            continue
        log(f"[{p.name}] {p.source}")
        try:
            root = obtain(p, args.cache.resolve(), args.mirror, args.timeout)
        except SkipProject as exc:
            p.status, p.reason = "skipped", str(exc)
            log(f"  skipped: {exc}")
            continue
        except Exception as exc:
            p.status, p.reason = "error", f"cannot obtain sources: {exc}"
            log(f"  error: {p.reason}")
            continue
        missing = [c for c in p.check if not (root / c).exists()]
        if missing:
            log(f"  warning: check paths not found under {root}: {', '.join(missing)}")
        check = [c for c in p.check if (root / c).exists()] or ["."]
        p.status = "ok"
        for scope, everywhere in (("default", False), ("everywhere", True)):
            findings, secs, err = run_numgil(numgil, root, check, everywhere, args.timeout)
            p.runtimes[scope] = round(secs, 3)
            p.findings[scope] = findings
            if err:
                log(f"  numgil --scope {scope}: {err}")
                p.reason = (p.reason + "; " if p.reason else "") + f"{scope}: {err}"
            else:
                log(f"  numgil --scope {scope}: {len(findings)} findings in {secs:.2f}s")
        score_project(p)

    if args.json:
        json.dump(json_report(projects), sys.stdout, indent=2)
        print()
    else:
        print_report(projects, args.unlabelled)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
