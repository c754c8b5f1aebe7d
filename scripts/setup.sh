#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need (idempotent; skips apt when
# everything is present). Node 20 and npm come with the base image: Debian's npm
# conflicts with it, so it is never installed here.
set -euo pipefail

PACKAGES=(cmake g++ ninja-build pkg-config libeigen3-dev libhnswlib-dev nlohmann-json3-dev catch2
          libcli11-dev libonnx-dev libprotobuf-dev libcpp-httplib-dev zlib1g-dev libsqlite3-dev
          emscripten clang-14 libclang-rt-14-dev chromium curl unzip)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v node >/dev/null || { echo "setup: node (20+) is required and not on PATH" >&2; exit 1; }

# The browser runtime's npm dependencies, exactly as locked (install scripts are not run:
# they try downloads that are not needed here).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ ! -d "$root/web/node_modules/onnxruntime-web" ]] || [[ "$root/web/package-lock.json" -nt "$root/web/node_modules/.package-lock.json" ]]; then
  (cd "$root/web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
