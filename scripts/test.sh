#!/usr/bin/env bash
# Runs every test: installs what is missing, finds or downloads MovieLens, builds native
# and WebAssembly, runs the core's unit tests in both, then the command-line tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
RECO_DATA_DIR="$(bash scripts/data.sh)"
export RECO_DATA_DIR
echo "test: MovieLens from $RECO_DATA_DIR"

bash scripts/build.sh --wasm

echo "== native: unit and command-line tests"
ctest --test-dir build/native --output-on-failure
echo "== WebAssembly (Node): unit tests"
ctest --test-dir build/wasm --output-on-failure
echo "== fuzzing the file parsers (60 s smoke run; tests/fuzz/run.sh SECONDS for longer)"
mkdir -p build/fuzz
if bash tests/fuzz/run.sh 60 >build/fuzz/log.txt 2>&1; then
  grep -E "^Done|number_of_executed_units" build/fuzz/log.txt
  echo "fuzz: no crash"
else
  tail -40 build/fuzz/log.txt
  echo "fuzz: FAILED (reproducers in build/fuzz/artifacts)"
  exit 1
fi
