#!/bin/busybox sh
# /init of the Elsa.Migration lab guest (busybox sh, PID 1, never returns).
# Knobs arrive as kernel parameters without dots: the kernel hands unknown key=value parameters to init's
# environment (dotted ones are module parameters and never get here).
#   elsa_disk=vda            data disk under /dev (letters and digits only)
#   elsa_format=auto         auto: format with ext4 only when the disk is blank; never; force
#   elsa_rate=20             fsync'ed 64 KiB blocks per second, or max
#   elsa_region_blocks=256   the writer cycles over this many 64 KiB blocks of /data/elsa-writer.dat
# Console lines meant for machines start with ELSA- or HEARTBEAT (parsed by GuestConsole in the Lab).

/bin/busybox mkdir -p /dev /proc /sys /run /tmp /data /sbin /usr/bin /usr/sbin
/bin/busybox mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node (the archive is built without root), so open it now.
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /run/qga /var && ln -sf /run /var/run

fatal() {
  echo "ELSA-FATAL $*"
  sync
  # A writer that silently wrote to the in-memory root would prove nothing: stop the VM instead.
  poweroff -f
  while :; do sleep 3600; done
}

disk=${elsa_disk:-vda}
format=${elsa_format:-auto}
rate=${elsa_rate:-20}
region=${elsa_region_blocks:-256}
case "$disk" in ''|*[!a-z0-9]*) fatal "elsa_disk='$disk' must be letters and digits (e.g. vda)" ;; esac
case "$format" in auto|never|force) ;; *) fatal "elsa_format='$format' must be auto, never or force" ;; esac
case "$rate" in max) ;; ''|*[!0-9]*|0) fatal "elsa_rate='$rate' must be a positive integer or max" ;; esac
case "$region" in ''|*[!0-9]*|0) fatal "elsa_region_blocks='$region' must be a positive integer" ;; esac
read kver _ </proc/sys/kernel/osrelease
echo "ELSA-BOOT kernel=$kver disk=$disk format=$format rate=$rate region_blocks=$region"

# Modules in dependency order, resolved at build time with kmod (busybox modprobe would read the host's tree).
while read -r ko; do
  insmod "$ko" || fatal "insmod $ko failed"
done </etc/elsa/modules.order

# No udev: give the agent port the name qemu-ga looks for.
port=""
i=0
while [ $i -lt 50 ]; do
  for n in /sys/class/virtio-ports/vport*/name; do
    [ -r "$n" ] || continue
    read -r pname <"$n"
    if [ "$pname" = org.qemu.guest_agent.0 ]; then port=${n%/name}; port=${port##*/}; fi
  done
  [ -n "$port" ] && break
  i=$((i + 1)); usleep 100000
done
if [ -n "$port" ]; then
  mkdir -p /dev/virtio-ports
  ln -sf "../$port" /dev/virtio-ports/org.qemu.guest_agent.0
  (
    while :; do
      /usr/sbin/qemu-ga -m virtio-serial -p /dev/virtio-ports/org.qemu.guest_agent.0 -t /run/qga
      echo "ELSA-QGA exited rc=$? restarting"
      sleep 1
    done
  ) &
  echo "ELSA-QGA started port=$port"
else
  echo "ELSA-QGA no org.qemu.guest_agent.0 port: the agent is not started"
fi

# Data disk: wait for the block device, format when asked, mount (fatal if that fails).
i=0
while [ ! -b "/dev/$disk" ] && [ $i -lt 50 ]; do i=$((i + 1)); usleep 100000; done
[ -b "/dev/$disk" ] || fatal "data disk /dev/$disk not found (is a virtio-blk disk attached?)"
magic=$(hexdump -s 1080 -n 2 -e '2/1 "%02x"' "/dev/$disk")
if [ "$format" = force ] || { [ "$format" = auto ] && [ "$magic" != 53ef ] && cmp -s -n 1048576 "/dev/$disk" /dev/zero; }; then
  echo "ELSA-FORMAT /dev/$disk ext4"
  # By absolute path: busybox's mke2fs applet of the same name rejects -t.
  /usr/lib/elsa/mke2fs -q -F -t ext4 -L elsadata "/dev/$disk" || fatal "mke2fs on /dev/$disk failed"
elif [ "$magic" != 53ef ]; then
  fatal "/dev/$disk has no ext filesystem (elsa_format=$format; auto formats only a blank disk, force always)"
fi
mount -t ext4 "/dev/$disk" /data || fatal "mount of /dev/$disk on /data failed"
echo "ELSA-MOUNTED /dev/$disk /data"

# Heartbeat: one line a second with the writer's sequence, also while the filesystem is frozen.
echo 0 >/run/seq
(
  last=0
  while :; do
    s=""
    read -r s </run/seq
    [ -n "$s" ] || s=$last
    last=$s
    read -r up _ </proc/uptime
    echo "HEARTBEAT seq=$s uptime=$up"
    sleep 1
  done
) &

# Writer: numbered 64 KiB blocks, each fsync'ed; the sequence is only published after the fsync returned.
file=/data/elsa-writer.dat
blk=/run/block
dd if=/dev/zero of=$blk bs=65536 count=1 2>/dev/null
seq=0
sec=-1
n=0
while :; do
  read -r up _ </proc/uptime
  now=${up%.*}
  if [ "$now" != "$sec" ]; then sec=$now; n=0; fi
  if [ "$rate" != max ] && [ $n -ge "$rate" ]; then
    while [ "$now" = "$sec" ]; do usleep 20000; read -r up _ </proc/uptime; now=${up%.*}; done
    sec=$now; n=0
  fi
  seq=$((seq + 1))
  slot=$(((seq - 1) % region))
  # 1<> rewrites the header in place without truncating the 64 KiB block.
  printf 'ELSA-BLOCK seq=%020d slot=%010d\n' "$seq" "$slot" 1<>$blk
  dd if=$blk of=$file bs=65536 count=1 seek=$slot conv=notrunc,fsync 2>/dev/null || fatal "write of block $seq failed"
  echo $seq >/run/seq
  n=$((n + 1))
done
