#!/usr/bin/env bash
# Builds the lab guest (kernel + initramfs from Debian packages) into .cache/guest/<key>/ when it is missing.
# Quiet when the image for the current inputs is already cached; prints where it is when it builds one.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Host tools the build uses (kmod resolves module dependencies against the guest kernel's tree, not the host's).
tools=(kmod cpio xz-utils binutils)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
if ((${#missing[@]})); then
  echo "setup: installing Debian packages for the guest image: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The cache key needs apt's package lists (versions of the kernel, busybox, qemu-guest-agent...).
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  $sudo apt-get update -qq
fi
exec "$root/scripts/guest/build-image.sh"
