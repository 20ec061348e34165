#!/usr/bin/env bash
# corpus.sh — build the large Python benchmark corpus used by bench_corpus.sh
# and check_read_once.sh.
#
# What it builds (only *.py files are kept, everything else is deleted):
#   DIR/cpython-3.11.7-stdlib/   every *.py of CPython 3.11.7's lib/python3.11
#                                (site-packages excluded)
#   DIR/numpy-<ver>/ DIR/scipy-<ver>/ DIR/pandas-<ver>/ DIR/scikit_learn-<ver>/
#                                the *.py files of the cp311 manylinux x86_64
#                                wheels from PyPI
# Reference build (2025-11): 5,361 .py files, 99,388,395 bytes, with
#   numpy 2.4.6, scipy 1.17.1, pandas 3.1.1, scikit-learn 1.9.1.
#
# Usage:   scripts/corpus.sh [DIR]          (default DIR: target/corpus)
# Env:     PYTHON=/path/to/python3.11.7   interpreter whose stdlib is copied
#          NUMPY_VERSION, SCIPY_VERSION, PANDAS_VERSION, SKLEARN_VERSION
#            pin other wheel versions ("latest" = newest on PyPI)
#
# Idempotent: if DIR already exists it is left untouched and only its
# statistics are printed. The corpus is built in DIR.tmp.* and renamed into
# place at the end, so an interrupted run never leaves a half-built DIR.
# Needs: python3 with pip (installed via apt-get if missing), network access
# to PyPI; if no CPython 3.11.7 interpreter is found, the stdlib is taken from
# the python.org Python-3.11.7.tgz source tarball instead (that tree lacks
# the two build-generated files _sysconfigdata_*.py and python-config.py).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# DIR given on the command line is relative to the caller's cwd; the default
# is relative to the repository root.
if [[ $# -ge 1 ]]; then DIR="$(realpath -m -- "$1")"; else DIR="$REPO_ROOT/target/corpus"; fi
cd "$REPO_ROOT"

NUMPY_VERSION="${NUMPY_VERSION:-2.4.6}"
SCIPY_VERSION="${SCIPY_VERSION:-1.17.1}"
PANDAS_VERSION="${PANDAS_VERSION:-3.1.1}"
SKLEARN_VERSION="${SKLEARN_VERSION:-1.9.1}"
STDLIB_VERSION="3.11.7"

print_stats() {
    local d="$1"
    local files bytes
    files=$(find "$d" -type f -name '*.py' | wc -l)
    bytes=$(find "$d" -type f -name '*.py' -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
    echo "corpus: $d"
    echo "  .py files: $files"
    echo "  bytes:     $bytes"
    echo "  components (files, bytes):"
    local sub
    for sub in "$d"/*/; do
        sub="${sub%/}"
        printf '    %-28s %6d %11d\n' "$(basename "$sub")" \
            "$(find "$sub" -type f -name '*.py' | wc -l)" \
            "$(find "$sub" -type f -name '*.py' -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')"
    done
}

if [[ -d "$DIR" ]]; then
    echo "corpus.sh: $DIR already exists, skipping build (delete it to rebuild)"
    print_stats "$DIR"
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# Host interpreter for pip / zipfile (any python3 works; wheel tags are forced below).
HOST_PY="$(command -v python3 || true)"
if [[ -z "$HOST_PY" ]] || ! "$HOST_PY" -m pip --version >/dev/null 2>&1; then
    echo "corpus.sh: installing python3 + pip via apt-get"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y python3 python3-pip
    HOST_PY="$(command -v python3)"
fi

# Find a CPython 3.11.7 interpreter whose installed stdlib we copy.
is_3117() { "$1" -c 'import sys, platform; sys.exit(not (sys.version_info[:3] == (3, 11, 7) and platform.python_implementation() == "CPython"))' 2>/dev/null; }
STDLIB_PY=""
for cand in "${PYTHON:-}" python3.11 python3 "$HOME/.pyenv/versions/3.11.7/bin/python3" /usr/local/bin/python3.11 /usr/bin/python3.11; do
    [[ -n "$cand" ]] || continue
    if command -v "$cand" >/dev/null 2>&1 && is_3117 "$cand"; then STDLIB_PY="$(command -v "$cand")"; break; fi
done

mkdir -p "$(dirname "$DIR")"
TMP="$(mktemp -d "${DIR}.tmp.XXXXXX")"
WHEELS="$(mktemp -d "${DIR}-wheels.XXXXXX")"
cleanup() { rm -rf "$TMP" "$WHEELS"; }
trap cleanup EXIT

# 1. CPython 3.11.7 standard library.
mkdir -p "$TMP/cpython-$STDLIB_VERSION-stdlib"
if [[ -n "$STDLIB_PY" ]]; then
    LIBDIR="$("$STDLIB_PY" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"
    echo "corpus.sh: copying stdlib from $LIBDIR ($STDLIB_PY)"
else
    echo "corpus.sh: no CPython $STDLIB_VERSION interpreter found; downloading the python.org source tarball"
    curl -fsSL "https://www.python.org/ftp/python/$STDLIB_VERSION/Python-$STDLIB_VERSION.tgz" -o "$WHEELS/python.tgz"
    tar -xzf "$WHEELS/python.tgz" -C "$WHEELS" "Python-$STDLIB_VERSION/Lib"
    LIBDIR="$WHEELS/Python-$STDLIB_VERSION/Lib"
fi
(cd "$LIBDIR" && find . -path ./site-packages -prune -o -name '*.py' -type f -print0 | tar --null -cf - -T -) \
    | tar -xf - -C "$TMP/cpython-$STDLIB_VERSION-stdlib"

# 2. Wheels: cp311 manylinux x86_64 regardless of the host's own tags.
spec() { if [[ "$2" == latest ]]; then echo "$1"; else echo "$1==$2"; fi; }
"$HOST_PY" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
    --implementation cp --python-version 3.11 --abi cp311 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 \
    "$(spec numpy "$NUMPY_VERSION")" "$(spec scipy "$SCIPY_VERSION")" \
    "$(spec pandas "$PANDAS_VERSION")" "$(spec scikit-learn "$SKLEARN_VERSION")" \
    -d "$WHEELS"
for w in "$WHEELS"/*.whl; do
    n="$(basename "$w" | cut -d- -f1-2)"      # e.g. numpy-2.4.6, scikit_learn-1.9.1
    mkdir -p "$TMP/$n"
    (cd "$TMP/$n" && "$HOST_PY" -m zipfile -e "$w" .)
    echo "corpus.sh: $(basename "$w") sha256=$(sha256sum "$w" | cut -d' ' -f1)"
done

# 3. Keep only regular *.py files.
find "$TMP" \( -type l -o -type f ! -name '*.py' \) -delete
find "$TMP" -depth -type d -empty -delete
chmod -R u+rwX,go+rX "$TMP"

mv "$TMP" "$DIR"
print_stats "$DIR"
