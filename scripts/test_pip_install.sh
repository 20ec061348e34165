#!/usr/bin/env bash
# `pip install .` in a fresh virtualenv must put a working `numgil` on PATH (maturin,
# bindings = "bin"). Prints how long the install took. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pip-install-venv
rm -rf "$venv"
python3 -m venv "$venv"
start=$(date +%s)
"$venv/bin/pip" install --quiet --disable-pip-version-check .
echo "pip install . took $(( $(date +%s) - start )) s"
"$venv/bin/numgil" --version
set +e
out=$(PATH="$venv/bin:$PATH" numgil check fixtures/demo --output-format concise)
status=$?
set -e
echo "$out" | tail -1
[ "$status" -eq 1 ] && echo "$out" | grep -q "NG101" || { echo "FAIL: the installed numgil did not report the demo's findings"; exit 1; }
echo "OK: pip-installed numgil works"
