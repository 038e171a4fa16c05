#!/usr/bin/env bash
# Keeps the kernel from handing out the migration port range (60000-60099, NBD and RAM migration on a target node) as
# ephemeral ports: Linux's default ephemeral range (32768-60999) overlaps it, so an outgoing connection (an ssh to a
# node, a TIME-WAIT left by one) can hold a port the migration picked moments earlier, and QEMU's nbd-server-start then
# fails with "Address already in use". This machine is the lab's nodes; a real node needs the same setting
# (README: "Nodes reached over SSH"). Quiet when already set; a warning, not a failure, where the kernel refuses it.
set -euo pipefail
range=60000-60099
setting=/proc/sys/net/ipv4/ip_local_reserved_ports
current=$(cat "$setting" 2>/dev/null || true)
case ",$current," in *",$range,"*) exit 0 ;; esac
sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
value=${current:+$current,}$range
if ! $sudo sysctl -q -w "net.ipv4.ip_local_reserved_ports=$value" 2>/dev/null; then
  echo "setup: could not reserve ports $range from ephemeral use (net.ipv4.ip_local_reserved_ports); migrations over TCP may" \
       "now and then find their port taken by an outgoing connection" >&2
fi
