#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - the `make demo` session without the narration: runs
# selftests/demo/farm.sh in check mode inside the QEMU guest
# (selftests/run_all.sh boots it), which prints TAP for each claim of the
# demo (attach, serial before and after a board reboot on the same vhci
# port, power switch, detach) and for a clean stop of the daemons. Uses
# the ASan/UBSan daemons of build/asan when they are built (make check
# builds them), else those of build/.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=build
[ -x build/asan/nmb-server ] && [ -x build/asan/nmb-exporter ] &&
	[ -x build/asan/nmb-agent ] && [ -x build/asan/nmbctl ] &&
	bin=build/asan
for f in kmod/nmb_watch.ko $bin/nmb-server $bin/nmb-exporter \
	$bin/nmb-agent $bin/nmbctl; do
	if [ ! -e "$f" ]; then
		echo "1..0 # SKIP $f is not built (make module userspace)"
		exit 0
	fi
done
echo "# daemons and nmbctl from $bin/"
NMB_DEMO_BIN=$PWD/$bin exec bash selftests/demo/farm.sh check
