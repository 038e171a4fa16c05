#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian 12 machine. Idempotent and quiet when done.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# postgresql: the store tests start their own cluster from its initdb/pg_ctl (as its postgres user when run as root).
debian_packages=(qemu-system-x86 qemu-utils zfs-fuse socat libnbd-bin openssh-server openssh-client iproute2
                 e2fsprogs chromium curl postgresql)

missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }

# Further steps (Elsa Studio assets from npm, the lab guest image) are added by scripts/setup.d/*.sh.
for step in "$root"/scripts/setup.d/*.sh; do
  [[ -e "$step" ]] && bash "$step"
done
exit 0
