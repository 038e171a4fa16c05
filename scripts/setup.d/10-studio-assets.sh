#!/usr/bin/env bash
# Installs the Elsa Studio 3.8.2 designer (npm @elsa-workflows/elsa-studio-wasm, MIT) that `elsa-migrate serve` serves.
# The version is pinned exactly by src/Host/Studio/assets/package.json + package-lock.json (integrity hash); the assets
# (92 MB) are installed at setup time and never committed. Quiet when already installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/src/Host/Studio/assets"
pkg="$dir/node_modules/@elsa-workflows/elsa-studio-wasm"

if [[ -f "$pkg/package.json" && -f "$pkg/_framework/blazor.webassembly.js" ]] && grep -q '"version": "3.8.2"' "$pkg/package.json"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "setup: npm is needed to install the Elsa Studio assets; installing Debian's nodejs and npm" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "setup: installing Elsa Studio 3.8.2 from npm into $dir/node_modules ..." >&2
# npm ci installs exactly what package-lock.json records (version and integrity) and fails if it cannot.
(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
[[ -f "$pkg/_framework/blazor.webassembly.js" ]] || { echo "setup: Elsa Studio assets missing after npm ci in $dir" >&2; exit 1; }
