# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# tap.sh: print TAP 13 from bash tests (used by selftests/qemu/smoke.sh).
#
#	. selftests/lib/tap.sh
#	tap_plan 3
#	tap_check "module loads" modprobe veth    # ok if the command succeeds
#	tap_result $? "last step"                  # ok if the status is 0
#	tap_skip "mass storage" "no usb-storage"
#	tap_done                                   # returns 1 if a test failed
#
# tap_check runs CMD in a subshell (its output is captured and shown as
# "# " comments only when it fails): variables it sets are lost. Call
# functions that keep state (ns_lan, exec fds) directly and use tap_result.

TAP_N=0
TAP_FAILED=0

tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

tap_diag() {
	local line

	for line in "$@"; do
		echo "# $line"
	done
}

# tap_result STATUS DESC: ok when STATUS is 0.
tap_result() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TAP_N - $2"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $2"
	fi
	return "$1"
}

# tap_check DESC CMD [ARGS...]: run CMD, ok when it succeeds.
tap_check() {
	local desc=$1 out rc=0

	shift
	out=$("$@" 2>&1) || rc=$?
	if [ $rc != 0 ] && [ -n "$out" ]; then
		echo "# ${out//$'\n'/$'\n'# }"
	fi
	tap_result $rc "$desc"
}

# tap_skip DESC REASON
tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

tap_done() {
	[ "$TAP_FAILED" = 0 ]
}
