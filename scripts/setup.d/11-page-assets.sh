#!/usr/bin/env bash
# Installs the libraries our own pages use (npm uPlot 1.6.32, MIT: the migration page's convergence chart), pinned
# exactly by src/Host/PageAssets/package.json + package-lock.json (integrity hash); never committed. Quiet when installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir="$root/src/Host/PageAssets"
pkg="$dir/node_modules/uplot"

if [[ -f "$pkg/dist/uPlot.iife.min.js" ]] && grep -q '"version": "1.6.32"' "$pkg/package.json"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "setup: npm is needed to install the page assets; installing Debian's nodejs and npm" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "setup: installing uPlot 1.6.32 from npm into $dir/node_modules ..." >&2
(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
[[ -f "$pkg/dist/uPlot.iife.min.js" ]] || { echo "setup: uPlot missing after npm ci in $dir" >&2; exit 1; }
