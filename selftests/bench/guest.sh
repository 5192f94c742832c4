#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks, run inside the QEMU guest by selftests/bench/run.sh.
# Each prints "bench NAME key=value ... unit=U" lines; nothing here passes
# or fails on time. NMB_BENCH_RUNS sets the runs per figure (default 7),
# NMB_WATCH_KO the module (default kmod/nmb_watch.ko), NMB_BENCH_ONLY=detect
# runs the detection benchmark alone (selftests/bench/detect-kernels.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
. selftests/lib/gadget.sh

runs=${NMB_BENCH_RUNS:-7}
build=build

bench_detect() {
	local busid

	gadget_acm board1
	gadget_plug board1 dummy_udc.0
	wait_for -t 20 gadget_busid dummy_udc.0 >/dev/null
	busid=$(gadget_busid dummy_udc.0)
	gadget_unplug board1
	"$build/selftests/bench/detect" -n "$runs" -b "$busid" \
		-g /sys/kernel/config/usb_gadget/board1/UDC -u dummy_udc.0
	gadget_remove board1
}

modprobe usbip-host
insmod "${NMB_WATCH_KO:-kmod/nmb_watch.ko}"
gadget_setup 1

echo "# detection: plug to bound to usbip-host"
bench_detect
[ "${NMB_BENCH_ONLY:-}" != detect ] || exit 0

for extra in selftests/bench/guest-*.sh; do
	[ -e "$extra" ] || continue
	# shellcheck source=/dev/null
	. "$extra"
done
