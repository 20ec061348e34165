#!/usr/bin/env bash
# bench_corpus.sh — end-to-end wall-clock benchmark of `numgil check` against
# `ruff check --select NPY,PERF` on the large corpus built by corpus.sh
# (CPython 3.11.7 stdlib + numpy/scipy/pandas/scikit-learn wheels, ~5.4k .py
# files, ~100 MB).
#
# Usage:   scripts/bench_corpus.sh [DIR]    (default DIR: target/corpus,
#                                             built with scripts/corpus.sh if absent)
# Env:     RUFF_SPEC   pip requirement for ruff (default ruff==0.17.6)
#          RUNS        hyperfine runs (default 5)
#
# Steps:
#   0. cargo build --release; ruff into the venv target/bench-venv;
#      hyperfine (>= 1.13, for -N) via apt-get, or cargo install as fallback.
#   a. one smoke run of numgil over DIR (output in target/bench/numgil-corpus.txt);
#      fails if it panicked or exited > 2 (0 clean / 1 findings / 2 errors are OK).
#   b. hyperfine -N -i --warmup 1 --runs 5 of numgil vs ruff in one invocation,
#      JSON in target/bench/corpus.json; prints both medians and the ratio.
#   c. prints the number of files and bytes in DIR.
# Timings are only meaningful on an otherwise idle machine.
# Note: ruff's default excludes skip DIR/cpython-3.11.7-stdlib/venv/ (2 files).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -ge 1 ]]; then DIR="$(realpath -m -- "$1")"; else DIR="$REPO_ROOT/target/corpus"; fi
cd "$REPO_ROOT"

RUFF_SPEC="${RUFF_SPEC:-ruff==0.17.6}"
RUNS="${RUNS:-5}"
BENCH_OUT="$REPO_ROOT/target/bench"
VENV="$REPO_ROOT/target/bench-venv"
BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/numgil"
mkdir -p "$BENCH_OUT"

SUDO=""
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "$@"
}

# --- corpus ------------------------------------------------------------------
if [[ ! -d "$DIR" ]]; then
    "$REPO_ROOT/scripts/corpus.sh" "$DIR"
fi

# --- numgil (release) --------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
    [[ -f "$HOME/.cargo/env" ]] && . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "bench_corpus.sh: installing Rust via rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    . "$HOME/.cargo/env"
fi
cargo build --release
[[ -x "$BIN" ]] || { echo "bench_corpus.sh: $BIN not found after build" >&2; exit 1; }

# --- ruff (venv) ---------------------------------------------------------------
RUFF="$VENV/bin/ruff"
if [[ ! -x "$RUFF" ]]; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        apt_install python3 python3-venv
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --disable-pip-version-check -q "$RUFF_SPEC"
fi

# --- hyperfine (>= 1.13 for -N) ------------------------------------------------
hyperfine_ok() {
    command -v hyperfine >/dev/null 2>&1 || return 1
    local v; v="$(hyperfine --version | awk '{print $2}')"
    [[ "$(printf '%s\n1.13.0\n' "$v" | sort -V | head -1)" == "1.13.0" ]]
}
if ! hyperfine_ok; then
    apt_install hyperfine || true
fi
if ! hyperfine_ok; then
    echo "bench_corpus.sh: installing hyperfine with cargo (apt version missing or < 1.13)"
    cargo install --locked hyperfine
fi

echo "numgil: $("$BIN" --version 2>/dev/null || echo "$BIN")"
echo "ruff:   $("$RUFF" --version)"
echo "hyperfine: $(hyperfine --version)"
echo "corpus: $DIR"
echo

NUMGIL_CMD="$BIN check --scope everywhere --output-format concise $DIR"
RUFF_CMD="$RUFF check --no-cache --select NPY,PERF --isolated --output-format concise $DIR"

# --- a) smoke run ----------------------------------------------------------------
SMOKE="$BENCH_OUT/numgil-corpus.txt"
rc=0
$NUMGIL_CMD >"$SMOKE" 2>&1 || rc=$?
echo "a) smoke run: exit code $rc, $(wc -l <"$SMOKE") output lines (saved to $SMOKE)"
if grep -q 'panicked' "$SMOKE"; then
    echo "FAIL: numgil panicked on the corpus:" >&2
    grep -n -A3 'panicked' "$SMOKE" | head -40 >&2
    exit 1
fi
if (( rc > 2 )); then
    echo "FAIL: numgil exited with $rc (> 2) on the corpus; last lines:" >&2
    tail -20 "$SMOKE" >&2
    exit 1
fi
echo

# --- b) hyperfine ----------------------------------------------------------------
JSON="$BENCH_OUT/corpus.json"
hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$JSON" \
    --command-name numgil "$NUMGIL_CMD" \
    --command-name ruff "$RUFF_CMD"
echo
python3 - "$JSON" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
n, r = res["numgil"]["median"], res["ruff"]["median"]
print(f"b) median numgil: {n * 1000:9.1f} ms")
print(f"   median ruff:   {r * 1000:9.1f} ms")
print(f"   numgil/ruff:   {n / r:9.3f}x   (ruff/numgil: {r / n:.3f}x)")
EOF
echo

# --- c) corpus size --------------------------------------------------------------
files=$(find "$DIR" -type f | wc -l)
bytes=$(find "$DIR" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
echo "c) corpus $DIR: $files files, $bytes bytes"
