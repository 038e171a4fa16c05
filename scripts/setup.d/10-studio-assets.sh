#!/usr/bin/env bash
# Installs the Elsa Studio 3.8.2 designer (npm @elsa-workflows/elsa-studio-wasm, MIT) that `elsa-migrate serve` serves.
# The version is pinned exactly by src/Host/Studio/assets/package.json + package-lock.json (integrity hash); the assets
# (92 MB) are installed at setup time and never committed. Quiet when already installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$root/scripts/npm-assets.sh"
npm_assets "$root/src/Host/Studio/assets" @elsa-workflows/elsa-studio-wasm 3.8.2 _framework/blazor.webassembly.js "Elsa Studio 3.8.2"
