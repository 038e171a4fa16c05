#!/usr/bin/env bash
# Builds the lab guest (ELF vmlinux + gzip'ed initramfs) from Debian packages only, reproducibly:
# the same inputs give the same sha256 on every build.
#
#   build-image.sh                ensure the image for the current inputs is in .cache/guest/<key>/ (quiet when cached)
#   build-image.sh --out DIR      build into DIR (no cache lookup, .cache/guest/current untouched)
#   build-image.sh --key          print the cache key and exit
#   build-image.sh --where        print the directory of the current image and exit (fails if not built)
#   --debs DIR                    where downloaded .deb files are kept (default .cache/guest/debs)
#
# The key is the sha256 of this script, scripts/guest/init.sh and the exact version of every package used, so a new
# kernel in the archive or an edited init gives a new image next to the old one. Host tools: apt-get, apt-cache,
# dpkg-deb, kmod (depmod, modprobe), cpio, gzip, xz, readelf (binutils); scripts/setup.d/20-guest-image.sh installs them.
set -euo pipefail
export LC_ALL=C
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.cache/guest"
debs="$cache/debs"
out=""
mode=ensure

while (($#)); do
  case "$1" in
    --out) out=$(realpath -m "$2"); mode=build; shift 2 ;;
    --debs) debs=$(realpath -m "$2"); shift 2 ;;
    --key) mode=key; shift ;;
    --where) mode=where; shift ;;
    *) echo "build-image.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done

trap 'echo "build-image.sh: command failed at line $LINENO (exit $?)" >&2' ERR
die() { echo "build-image.sh: $*" >&2; exit 1; }

if [[ $mode == where ]]; then
  [[ -f "$cache/current" ]] || die "no guest image yet: run ./scripts/setup.sh"
  echo "$cache/$(cat "$cache/current")"
  exit 0
fi

# Userland packages: busybox, the agent, mke2fs and every package providing a library they need (checked below:
# a missing library fails the build by name).
packages=(busybox-static qemu-guest-agent e2fsprogs libc6 libgcc-s1 libglib2.0-0 libnuma1 libudev1 liburing2 libffi8
          libmount1 libblkid1 libselinux1 libpcre2-8-0 zlib1g libcom-err2 libext2fs2 libuuid1 libss2)
# Loaded in this order with their dependencies; all are =m in Debian's kernel.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk virtio_console
         crc32c_generic jbd2 mbcache crc16 ext4)
# crc32c-intel is pulled in through the crc32c alias but fails on -cpu qemu64 (no SSE4.2); crc32c_generic serves ext4.
excluded_modules=(crc32c-intel)

kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p')
[[ -n "$kernel_pkg" ]] || die "apt knows no linux-image-amd64: run 'apt-get update' (scripts/setup.sh does it)"
all_packages=("$kernel_pkg" "${packages[@]}")
# One apt-cache call for all candidates (each call loads apt's cache: ~0.8 s).
declare -A candidate=()
while read -r p v; do candidate[$p]=$v; done < <(apt-cache show --no-all-versions "${all_packages[@]}" 2>/dev/null |
  awk '/^Package: /{p=$2} /^Version: /{print p, $2}')
versions=()
for p in "${all_packages[@]}"; do
  [[ -n "${candidate[$p]:-}" ]] || die "apt knows no version of $p: run 'apt-get update'"
  versions+=("$p=${candidate[$p]}")
done

inputs=(scripts/guest/build-image.sh scripts/guest/init.sh)
key=$( { for f in "${inputs[@]}"; do echo "input $f $(sha256sum <"$root/$f" | cut -d' ' -f1)"; done
         printf 'package %s\n' "${versions[@]}"; } | sha256sum | cut -c1-16)

if [[ $mode == key ]]; then echo "$key"; exit 0; fi
if [[ $mode == ensure ]]; then
  out="$cache/$key"
  if [[ -f "$out/manifest" ]]; then
    [[ "$(cat "$cache/current" 2>/dev/null)" == "$key" ]] || echo "$key" >"$cache/current"
    exit 0
  fi
fi

for tool in apt-get dpkg-deb depmod modprobe cpio gzip xz readelf sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' is missing: run ./scripts/setup.sh (it installs kmod cpio xz-utils binutils)"
done

work=$(mktemp -d /tmp/elsa-guest-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$debs"

# Fetch without installing: nothing lands in /boot, no initramfs hooks run. apt verifies each file against the
# signed index. A .deb already kept with the exact version is reused.
deb_files=()
for pv in "${versions[@]}"; do
  p=${pv%%=*}; v=${pv#*=}
  found=""
  for f in "$debs/${p}_"*.deb; do
    [[ -f "$f" ]] && [[ "$(dpkg-deb -f "$f" Version)" == "$v" ]] && { found=$f; break; }
  done
  if [[ -z "$found" ]]; then
    (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$p=$v" >/dev/null) || die "apt-get download $p=$v failed"
    for f in "$debs/${p}_"*.deb; do
      [[ "$(dpkg-deb -f "$f" Version)" == "$v" ]] && { found=$f; break; }
    done
    [[ -n "$found" ]] || die "downloaded $p=$v but cannot find its .deb in $debs"
  fi
  deb_files+=("$found")
done

pkgroot="$work/pkgroot"
mkdir -p "$pkgroot"
for f in "${deb_files[@]}"; do dpkg-deb -x "$f" "$pkgroot"; done

kver=${kernel_pkg#linux-image-}
[[ -f "$pkgroot/boot/vmlinuz-$kver" ]] || die "kernel image vmlinuz-$kver not found in $kernel_pkg"

# The bzImage carries an XZ-compressed ELF vmlinux; QEMU boots that ELF through PVH, ~5 s faster under TCG.
offset=$(grep -m 1 -obUaP '\xfd7zXZ\x00' "$pkgroot/boot/vmlinuz-$kver" | cut -d: -f1)
[[ -n "$offset" ]] || die "no XZ stream in vmlinuz-$kver: cannot extract the ELF vmlinux"
# Through a file: xz stops reading at the end of the stream, which would kill a feeding pipe with SIGPIPE.
tail -c +$((offset + 1)) "$pkgroot/boot/vmlinuz-$kver" >"$work/vmlinux.xz"
xz -dc --single-stream "$work/vmlinux.xz" >"$work/vmlinux"
[[ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" == 7f454c46 ]] || die "extracted vmlinux is not an ELF file"

stage="$work/initramfs"
mkdir -p "$stage"/{bin,sbin,usr/sbin,usr/lib/elsa,etc/elsa,lib/x86_64-linux-gnu,lib64,lib/modules/"$kver"}
install -m 0755 "$here/init.sh" "$stage/init"
install -m 0755 "$pkgroot/bin/busybox" "$stage/bin/busybox"
install -m 0755 "$pkgroot/usr/sbin/qemu-ga" "$stage/usr/sbin/qemu-ga"
install -m 0755 "$pkgroot/sbin/mke2fs" "$stage/usr/lib/elsa/mke2fs"
install -m 0644 "$pkgroot/etc/mke2fs.conf" "$stage/etc/mke2fs.conf"

# Libraries: follow DT_NEEDED through the extracted packages (not the host's libraries), so the guest gets exactly
# what these package versions need.
libdirs=("$pkgroot/lib/x86_64-linux-gnu" "$pkgroot/usr/lib/x86_64-linux-gnu")
declare -A seen=()
queue=("$stage/usr/sbin/qemu-ga" "$stage/usr/lib/elsa/mke2fs")
while ((${#queue[@]})); do
  elf=${queue[0]}; queue=("${queue[@]:1}")
  while read -r lib; do
    [[ -n "${seen[$lib]:-}" ]] && continue
    seen[$lib]=1
    src=""
    for d in "${libdirs[@]}"; do [[ -e "$d/$lib" ]] && { src="$d/$lib"; break; }; done
    [[ -n "$src" ]] || die "library $lib (needed by $(basename "$elf")) is in none of the packages: add its package to 'packages'"
    install -m 0755 "$(readlink -f "$src")" "$stage/lib/x86_64-linux-gnu/$lib"
    queue+=("$stage/lib/x86_64-linux-gnu/$lib")
  done < <(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
interp=$(readelf -l "$stage/usr/sbin/qemu-ga" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
[[ "$interp" == /lib64/ld-linux-x86-64.so.2 ]] || die "unexpected program interpreter '$interp'"
[[ -f "$stage/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ]] || die "the dynamic loader was not collected"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$stage/lib64/ld-linux-x86-64.so.2"

# Modules: kmod against the extracted tree (busybox modinfo/modprobe would read the host's kernel).
depmod -b "$pkgroot" "$kver"
declare -A loaded=()
order=()
for m in "${modules[@]}"; do
  while read -r verb path _; do
    [[ "$verb" == insmod ]] || continue
    name=$(basename "$path" .ko)
    [[ -n "${loaded[$name]:-}" ]] && continue
    loaded[$name]=1
    for x in "${excluded_modules[@]}"; do [[ "$name" == "$x" ]] && continue 2; done
    rel=${path#"$pkgroot"}
    mkdir -p "$stage$(dirname "$rel")"
    install -m 0644 "$path" "$stage$rel"
    order+=("$rel")
  done < <(modprobe -d "$pkgroot" -S "$kver" --show-depends "$m")
  [[ -n "${loaded[$m]:-}" ]] || die "module $m was not resolved by modprobe --show-depends (built in or renamed?)"
done
printf '%s\n' "${order[@]}" >"$stage/etc/elsa/modules.order"
printf '%s\n' "${versions[@]}" >"$stage/etc/elsa/packages"

# Reproducible archive: sorted names, fixed mtimes and owners, renumbered inodes, no gzip name/time.
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 -printf '%P\0' | sort -z |
   cpio --null -o -H newc --reproducible --owner=0:0 --quiet) | gzip -n -9 >"$work/initrd.cpio.gz"

result="$work/result"
mkdir -p "$result"
mv "$work/vmlinux" "$work/initrd.cpio.gz" "$result/"
{
  echo "key $key"
  echo "kernel-release $kver"
  for f in vmlinux initrd.cpio.gz; do
    echo "file $f $(sha256sum <"$result/$f" | cut -d' ' -f1) $(stat -c %s "$result/$f")"
  done
  for f in "${inputs[@]}"; do echo "input $f $(sha256sum <"$root/$f" | cut -d' ' -f1)"; done
  for pv in "${versions[@]}"; do echo "package ${pv%%=*} ${pv#*=}"; done
} >"$result/manifest"

# Replace an earlier build only (never a directory that is not one), via a rename on the target's filesystem.
if [[ -e "$out" ]]; then
  [[ -f "$out/manifest" || -z "$(ls -A "$out")" ]] || die "$out exists and is not a guest image: choose another --out"
  rm -rf "$out"
fi
mkdir -p "$(dirname "$out")"
mv "$result" "$out.partial.$$"
mv "$out.partial.$$" "$out"
if [[ $mode == ensure ]]; then
  echo "$key" >"$cache/current"
  # Older images (~70 MB each) and .debs of other versions are of no further use once this one exists.
  for d in "$cache"/*/; do
    d=${d%/}
    [[ "$(basename "$d")" =~ ^[0-9a-f]{16}$ && "$d" != "$out" && -f "$d/manifest" ]] && rm -rf "$d"
  done
  keep=" ${deb_files[*]} "
  for f in "$debs"/*.deb; do
    [[ "$keep" == *" $f "* ]] || rm -f "$f"
  done
  echo "guest image: $out (vmlinux, initrd.cpio.gz, manifest)" >&2
fi
