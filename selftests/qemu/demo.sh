#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - `make demo`: a simulated board farm in the QEMU guest, and a
# narrated session with it; `make demo-shell` (--shell): the same farm
# left running, with a shell in the guest to try nmbctl by hand.
#
# Usage: demo.sh [--shell]
#
# The guest (selftests/qemu/run.sh) runs selftests/demo/farm.sh: nmb-server,
# nmb-exporter with a fake board (CDC-ACM gadget on dummy_hcd, a console
# behind /dev/ttyGS0, a network power switch) and nmb-agent, each in its
# own network namespace. Needs `make module userspace` first (make demo
# does it). Prints the wall time, boot included, at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

shell=0
case ${1:-} in
--shell) shell=1 ;;
"") ;;
*)
	echo "usage: demo.sh [--shell]" >&2
	exit 2
	;;
esac

missing=
for f in kmod/nmb_watch.ko build/nmb-server build/nmb-exporter \
	build/nmb-agent build/nmbctl; do
	[ -e "$f" ] || missing+=" $f"
done
if [ -n "$missing" ]; then
	echo "demo.sh: not built:$missing; run make demo (or make module" \
		"userspace) first" >&2
	exit 1
fi

if [ $shell = 1 ]; then
	echo "==> booting the QEMU guest; the farm starts, then you get a shell" \
		"(exit or Ctrl-D powers the guest off)"
	exec selftests/qemu/run.sh --shell -- bash selftests/demo/farm.sh shell
fi

start=$(date +%s%N)
echo "==> booting the QEMU guest (Debian's kernel under TCG, no network card)"
rc=0
selftests/qemu/run.sh --timeout "${NMB_DEMO_TIMEOUT:-300}" -- \
	bash selftests/demo/farm.sh demo || rc=$?
wall=$(awk -v a="$(date +%s%N)" -v b="$start" \
	'BEGIN { printf "%.1f", (a - b) / 1e9 }')
if [ $rc = 0 ]; then
	echo "==> demo finished in $wall s wall time (boot included)"
else
	echo "==> demo FAILED (status $rc) after $wall s wall time; the guest's" \
		"kernel log is in build/qemu/console.log"
fi
exit $rc
