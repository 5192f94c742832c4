#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - the `make demo` session without the narration: boots the
# QEMU guest and runs selftests/demo/farm.sh in check mode, which prints
# TAP for each claim of the demo (attach, serial before and after a board
# reboot on the same vhci port, power switch, detach).
set -euo pipefail
cd "$(dirname "$0")/../.."

for f in kmod/nmb_watch.ko build/nmb-server build/nmb-exporter \
	build/nmb-agent build/nmbctl; do
	if [ ! -e "$f" ]; then
		echo "1..0 # SKIP $f is not built (make module userspace)"
		exit 0
	fi
done

exec selftests/qemu/run.sh --timeout "${NMB_GUEST_TIMEOUT:-300}" -- \
	bash selftests/demo/farm.sh check
