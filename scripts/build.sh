#!/usr/bin/env bash
# Configures and builds the native tree (build/native) and, with --wasm, the
# WebAssembly tree (build/wasm). RECO_DATA_DIR must be set (scripts/data.sh prints it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${RECO_DATA_DIR:?set RECO_DATA_DIR (see scripts/data.sh)}"

cmake -S "$root" -B "$root/build/native" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRECO_DATA_DIR="$RECO_DATA_DIR" >/dev/null
cmake --build "$root/build/native"

if [[ "${1:-}" == "--wasm" ]]; then
  # Emscripten 3.1.6's optimiser needs Debian's acorn on NODE_PATH; the default test
  # emulator flag (--experimental-wasm-threads) is rejected by Node 20.
  export NODE_PATH=/usr/share/nodejs
  emcmake cmake -S "$root" -B "$root/build/wasm" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DRECO_DATA_DIR="$RECO_DATA_DIR" \
    -DCMAKE_CROSSCOMPILING_EMULATOR="$(command -v node);--no-experimental-fetch" >/dev/null
  cmake --build "$root/build/wasm"
fi
