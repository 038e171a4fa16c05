#!/usr/bin/env bash
# Installs the libraries our own pages use (npm uPlot 1.6.32, MIT: the migration page's convergence chart), pinned
# exactly by src/Host/PageAssets/package.json + package-lock.json (integrity hash); never committed. Quiet when installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/npm-assets.sh"
npm_assets "$root/src/Host/PageAssets" uplot 1.6.32 dist/uPlot.iife.min.js "uPlot 1.6.32"
