#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - nmb-server, nmb-exporter and nmb-agent (ASan builds) in
# network namespaces of the QEMU guest, with a CDC-ACM and a mass-storage
# gadget board: attach, serial both ways, board reboot, exporter restart,
# queue, kill -9, detach, stop. TAP. Runs inside the guest
# (selftests/run_all.sh boots it); `make check` builds what it uses. The
# module is kmod/nmb_watch.ko (NMB_WATCH_KO= to change).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
KO=${NMB_WATCH_KO:-kmod/nmb_watch.ko}

for f in "$KO" "$O/nmb-agent" "$O/nmb-server" "$O/nmb-exporter" \
	"$O/nmbctl"; do
	if [ ! -e "$f" ]; then
		echo "1..0 # SKIP $f is not built (make module userspace-asan)"
		exit 0
	fi
done
exec /usr/bin/python3 selftests/agent/guest_test.py "$O" "$KO"
