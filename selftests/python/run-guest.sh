#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - an end-to-end pytest session against a real farm, inside
# the QEMU guest (selftests/run_all.sh boots it): the demo farm of
# selftests/demo/farm.sh (ASan daemons when built), then Debian's pytest
# with the nmb plugin on the user's host (namespace nmb-user), running
# selftests/python/guest/test_farm.py (console login, DTR seen on the
# exporter's USB bus by usbmon, power cycle) and the shipped example
# Documentation/examples/test_board.py. TAP; the figures measured
# (time to the first prompt through the fixture) as comments.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
RUN=/tmp/nmb-python
bin=build
[ -x build/asan/nmb-agent ] && [ -x build/asan/nmb-exporter ] &&
	[ -x build/asan/nmb-server ] && [ -x build/asan/nmbctl ] &&
	bin=build/asan
for f in kmod/nmb_watch.ko $bin/nmb-server $bin/nmb-exporter \
	$bin/nmb-agent $bin/nmbctl; do
	if [ ! -e "$f" ]; then
		echo "1..0 # SKIP $f is not built (make module userspace)"
		exit 0
	fi
done

. selftests/lib/tap.sh
. selftests/lib/netns.sh
. selftests/lib/gadget.sh

# TAP: the plan comes last, after pytest's results.
echo "TAP version 13"
rm -rf "$RUN"
mkdir -p "$RUN/debug"
: >"$RUN/figures"

# The farm runs on; this script stops it.
stop_farm() {
	local f pid

	for f in /tmp/nmb-demo/{agent,exporter,server,power-switch,console}.pid; do
		pid=$(cat "$f" 2>/dev/null || true)
		[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	done
	sleep 1
	ns_cleanup >/dev/null 2>&1 || true
	gadget_remove_all >/dev/null 2>&1 || true
}
trap stop_farm EXIT

st=0
NMB_DEMO_BIN=$REPO/$bin bash selftests/demo/farm.sh shell \
	>"$RUN/farm.log" 2>&1 </dev/null || st=$?
tap_result $st "the demo farm is up ($bin)" ||
	{ sed 's/^/# /' "$RUN/farm.log"; exit 1; }

# usbmon's text interface of the board's bus (dummy_hcd, the exporter's);
# debugfs outside /sys, which `ip netns exec` mounts afresh.
bus=
for hub in /sys/devices/platform/dummy_hcd.0/usb*; do
	bus=${hub##*/usb}
done
mon=$RUN/debug/usb/usbmon/${bus}u
st=0
{ modprobe usbmon && mount -t debugfs debugfs "$RUN/debug" &&
	[ -r "$mon" ]; } || st=1
tap_result $st "usbmon reads bus $bus (the exporter's dummy_hcd)" || true

st=0
(cd /tmp/nmb-demo/work &&
	ip netns exec "${NS_PREFIX}user" env NMB_USBMON="$mon" \
		NMB_FIGURES="$RUN/figures" NMB_TAP_FIRST=$((TAP_N + 1)) \
		NMB_AGENT_SOCKET=/run/nmb/agent.sock \
		/usr/bin/python3 "$REPO/selftests/python/run_pytest.py" -v \
		-p nmb.pytest_plugin --nmb-place demo \
		"$REPO/selftests/python/guest/test_farm.py" \
		"$REPO/Documentation/examples/test_board.py") \
	>"$RUN/pytest.tap" 2>&1 || st=$?
# One result per test of the session (console, DTR on the bus, power
# cycle, the example), numbered on from ours.
cat "$RUN/pytest.tap"
n=$(grep -c -E '^(not )?ok ' "$RUN/pytest.tap" || true)
bad=$(grep -c '^not ok ' "$RUN/pytest.tap" || true)
TAP_N=$((TAP_N + n))
TAP_FAILED=$((TAP_FAILED + bad))
[ "$n" -gt 0 ] || tap_result 1 "pytest with the nmb plugin ran (exit $st)" ||
	true
[ "$st" = 0 ] && [ "$bad" = 0 ] ||
	for f in /tmp/nmb-demo/log/*.log; do
		echo "# --- last lines of $f"
		tail -n 15 "$f" | sed 's/^/#   /'
	done
sed 's/^/# measured: /' "$RUN/figures"

out=$(ip netns exec "${NS_PREFIX}user" env \
	NMB_AGENT_SOCKET=/run/nmb/agent.sock "$bin/nmbctl" list 2>&1) || true
st=0
[ -z "$out" ] || st=1
tap_result $st "the session returned its reservation (nmbctl list is empty)" ||
	echo "$out" | sed 's/^/# /'
umount "$RUN/debug" || true
echo "1..$TAP_N"
tap_done
