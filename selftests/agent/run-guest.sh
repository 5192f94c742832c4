#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - nmb-server, nmb-exporter and nmb-agent (ASan builds) in
# network namespaces of one QEMU guest (selftests/qemu/run.sh) with a
# CDC-ACM gadget board: attach, serial both ways, board reboot, detach,
# stop. TAP. The module is kmod/nmb_watch.ko (NMB_WATCH_KO= to change).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
KO=${NMB_WATCH_KO:-kmod/nmb_watch.ko}

if [ ! -e "$KO" ]; then
	echo "1..0 # SKIP $KO is not built (make module)"
	exit 0
fi
targets=("$O/nmb-agent" "$O/nmb-server" "$O/nmb-exporter")
[ -d cli ] && targets+=("$O/nmbctl")	# optional: nmbctl attach test
make -s -f userspace.mk O="$O" SANITIZE=1 "${targets[@]}" >&2

exec selftests/qemu/run.sh --timeout "${NMB_GUEST_TIMEOUT:-600}" -- \
	/usr/bin/python3 selftests/agent/guest_test.py "$O" "$KO"
