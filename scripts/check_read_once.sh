#!/usr/bin/env bash
# check_read_once.sh — verifies that `numgil check` opens every Python source
# file (.py / .pyi / .ipynb) at most once, by tracing its open syscalls.
#
# Usage:   scripts/check_read_once.sh [DIR]      (default DIR: target/corpus,
#                                                 built with scripts/corpus.sh if absent)
#          scripts/check_read_once.sh --parse STRACE_LOG [CWD]
#              only run the log parser on an existing `strace -f [-y] -o` log
#              (CWD: directory the traced program ran in, for relative paths;
#              default: the current directory). Used to test the parser.
# Env:     READ_ONCE_DUMP=FILE  also write "count<TAB>path" for every file seen.
#
# It builds numgil (cargo build --release), installs strace via apt-get if
# missing, and runs
#   strace -f -y -e trace=openat,?open,?openat2 -o target/bench/strace.txt \
#       target/release/numgil check --scope everywhere --output-format concise DIR
# (-y makes strace print the resolved path of every returned fd, so opens
#  relative to a directory fd are attributed correctly; `?` tolerates
#  architectures without open/openat2). The parser joins
# "<unfinished ...>"/"resumed>" line pairs from concurrent threads, keeps
# successful opens (return value >= 0) without O_DIRECTORY whose path ends in
# .py/.pyi/.ipynb, and fails if any file was opened more than once (or if
# numgil exited > 2, or nothing was opened). Prints the number of distinct
# files opened and the maximum open count per file.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

python3_or_install() {
    if ! command -v python3 >/dev/null 2>&1; then
        $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y python3
    fi
}

# parse_strace LOG CWD: prints the report; exit 0 iff every file opened once.
parse_strace() {
    python3_or_install
    python3 - "$1" "$2" <<'PYEOF'
import collections, os, re, sys

log, cwd = sys.argv[1], sys.argv[2]
EXTS = (".py", ".pyi", ".ipynb")

PREFIX = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
UNFINISHED = " <unfinished ...>"
CALL = re.compile(
    r"^(?P<name>open|openat|openat2)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+)"
    r"(?:<(?P<retpath>.*)>)?(?:\s.*)?$"
)

def unescape(s):
    """Decode strace's C-style string escapes into a str (surrogateescape)."""
    out, i = bytearray(), 0
    simple = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "a": 7, "b": 8,
              "\\": 92, '"': 34, "'": 39, "<": 60, ">": 62}
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in simple:
                out.append(simple[n]); i += 2; continue
            if n == "x" and re.match(r"[0-9a-fA-F]{2}", s[i + 2:i + 4]):
                out.append(int(s[i + 2:i + 4], 16)); i += 4; continue
            m = re.match(r"[0-7]{1,3}", s[i + 1:i + 4])
            if m:
                out.append(int(m.group(0), 8) & 0xFF); i += 1 + len(m.group(0)); continue
        out += c.encode("utf-8", "surrogateescape"); i += 1
    return os.fsdecode(bytes(out))

def split_args(s):
    """Split a syscall argument list at top-level commas (quotes/braces/<>-aware)."""
    args, cur, depth, inq, ang, i = [], [], 0, False, False, 0
    while i < len(s):
        c = s[i]
        if inq or ang:                    # inside "..." or a -y <...> decoration
            cur.append(c)
            if c == "\\" and i + 1 < len(s):
                cur.append(s[i + 1]); i += 2; continue
            if inq and c == '"':
                inq = False
            elif ang and c == ">":
                ang = False
        elif c == '"':
            inq = True; cur.append(c)
        elif c == "<":
            ang = True; cur.append(c)
        elif c in "{[(":
            depth += 1; cur.append(c)
        elif c in "}])":
            depth -= 1; cur.append(c)
        elif c == "," and depth == 0:
            args.append("".join(cur).strip()); cur = []
        else:
            cur.append(c)
        i += 1
    if cur or args:
        args.append("".join(cur).strip())
    return args

def quoted(a):
    m = re.match(r'^"((?:[^"\\]|\\.)*)"', a)
    return unescape(m.group(1)) if m else None

def decoration(a):
    """'3</some/dir>' or 'AT_FDCWD</cwd>' -> '/some/dir' (strace -y)."""
    m = re.match(r"^[^<]*<(.*)>$", a)
    return unescape(m.group(1)) if m else None

pending = {}          # pid -> text of an "<unfinished ...>" call
counts = collections.Counter()
stats = collections.Counter()
with open(log, encoding="utf-8", errors="surrogateescape") as f:
    for raw in f:
        line = raw.rstrip("\n")
        m = PREFIX.match(line)
        pid = m.group(1) or m.group(2)
        body = line[m.end():]
        if body.endswith(UNFINISHED):
            pending[pid] = body[: -len(UNFINISHED)]
            continue
        r = RESUMED.match(body)
        if r:
            if pid not in pending:
                stats["orphan resumed"] += 1
                continue
            body = pending.pop(pid) + r.group(2)
        c = CALL.match(body)
        if not c:
            continue
        stats["open calls"] += 1
        if int(c.group("ret")) < 0:
            stats["failed"] += 1
            continue
        args = split_args(c.group("args"))
        if c.group("name") == "open":
            dirfd, path, flags = "AT_FDCWD", quoted(args[0]), " ".join(args[1:])
        else:
            dirfd, path, flags = args[0], quoted(args[1]), " ".join(args[2:])
        if path is None:
            stats["unparsed"] += 1
            continue
        if "O_DIRECTORY" in flags:
            stats["O_DIRECTORY"] += 1
            continue
        retpath = unescape(c.group("retpath")) if c.group("retpath") else None
        if not (path.endswith(EXTS) or (retpath or "").endswith(EXTS)):
            continue
        if retpath and retpath.startswith("/"):
            key = retpath                         # resolved by strace -y
        elif path.startswith("/"):
            key = os.path.normpath(path)
        else:
            base = decoration(dirfd)
            if base is None and dirfd.startswith("AT_FDCWD"):
                base = cwd
            key = os.path.normpath(os.path.join(base, path)) if base else f"{dirfd}:{path}"
        counts[key] += 1

stats["still unfinished"] = len(pending)
dump = os.environ.get("READ_ONCE_DUMP")
if dump:                                   # "count<TAB>path" per file, for debugging
    with open(dump, "w", encoding="utf-8", errors="surrogateescape") as out:
        for p in sorted(counts):
            out.write(f"{counts[p]}\t{p}\n")
total = sum(counts.values())
maxc = max(counts.values(), default=0)
dups = [(n, p) for p, n in counts.items() if n > 1]
print(f"open/openat calls parsed:        {stats['open calls']} "
      f"(failed {stats['failed']}, O_DIRECTORY {stats['O_DIRECTORY']}, "
      f"unfinished {stats['still unfinished']}, orphan resumed {stats['orphan resumed']})")
print(f"successful .py/.pyi/.ipynb opens: {total}")
print(f"distinct files opened:            {len(counts)}")
print(f"max open count per file:          {maxc}")
if dups:
    dups.sort(key=lambda t: (-t[0], t[1]))
    print(f"FAIL: {len(dups)} file(s) opened more than once, e.g.:")
    for n, p in dups[:20]:
        print(f"  {n}x {p}")
    sys.exit(1)
if not counts:
    print("FAIL: no successful .py/.pyi/.ipynb opens found in the trace")
    sys.exit(1)
print("OK: every file was opened exactly once")
PYEOF
}

if [[ "${1:-}" == "--parse" ]]; then
    [[ $# -ge 2 ]] || { echo "usage: $0 --parse STRACE_LOG [CWD]" >&2; exit 2; }
    parse_strace "$2" "$(realpath -m -- "${3:-$PWD}")"
    exit $?
fi

if [[ $# -ge 1 ]]; then DIR="$(realpath -m -- "$1")"; else DIR="$REPO_ROOT/target/corpus"; fi
cd "$REPO_ROOT"
BENCH_OUT="$REPO_ROOT/target/bench"
BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/numgil"
mkdir -p "$BENCH_OUT"

if [[ ! -d "$DIR" ]]; then
    "$REPO_ROOT/scripts/corpus.sh" "$DIR"
fi
if ! command -v strace >/dev/null 2>&1; then
    $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y strace
fi
if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then . "$HOME/.cargo/env"; fi
cargo build --release
[[ -x "$BIN" ]] || { echo "check_read_once.sh: $BIN not found after build" >&2; exit 1; }

TRACE="$BENCH_OUT/strace.txt"
OUTPUT="$BENCH_OUT/strace-numgil-output.txt"
rc=0
strace -f -y -e trace='openat,?open,?openat2' -o "$TRACE" \
    "$BIN" check --scope everywhere --output-format concise "$DIR" >"$OUTPUT" 2>&1 || rc=$?
echo "numgil under strace: exit code $rc (output in $OUTPUT, trace in $TRACE)"
if (( rc > 2 )) || [[ ! -s "$TRACE" ]]; then
    echo "FAIL: numgil (or strace) exited with $rc; last lines:" >&2
    tail -20 "$OUTPUT" >&2
    exit 1
fi
echo "source files in DIR:              $(find "$DIR" -type f \( -name '*.py' -o -name '*.pyi' -o -name '*.ipynb' \) | wc -l)"
parse_strace "$TRACE" "$REPO_ROOT"
