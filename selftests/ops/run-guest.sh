#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - in the QEMU guest: nmb-exporter and nmb-agent, traced
# with strace while a USB gadget board is attached over USB/IP, make only
# system calls their units' SystemCallFilter= allows (guest_syscalls.py).
# TAP. Uses the plain builds (build/) and kmod/nmb_watch.ko
# (NMB_WATCH_KO= to change).
set -euo pipefail
cd "$(dirname "$0")/../.."
P=${O:-build}
KO=${NMB_WATCH_KO:-kmod/nmb_watch.ko}

for f in "$KO" "$P/nmb-agent" "$P/nmb-server" "$P/nmb-exporter" \
	"$P/nmbctl" /usr/bin/strace; do
	if [ ! -e "$f" ]; then
		echo "1..0 # SKIP $f is missing (make module userspace; make deps)"
		exit 0
	fi
done
exec /usr/bin/python3 selftests/ops/guest_syscalls.py "$P" "$KO"
