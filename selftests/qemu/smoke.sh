#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# smoke.sh: prove the QEMU test bed works (fake USB boards, namespaces); TAP.
#
#	selftests/qemu/run.sh selftests/qemu/smoke.sh
#
# Run on the host, it re-executes itself that way. In the guest it checks
# the clocks, plugs a CDC-ACM gadget into dummy_hcd, moves bytes both ways
# between /dev/ttyACM* and /dev/ttyGS*, unplugs and replugs it, enumerates
# a second board on a second controller and a mass-storage gadget, and
# pings between network namespaces (a pair, then a three-host LAN).
# Everything it made is gone at the end.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${NMB_GUEST:-}" != 1 ]; then
	exec "$HERE/run.sh" "$HERE/smoke.sh" "$@"
fi
# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$HERE/../lib/tap.sh"
# shellcheck source=SCRIPTDIR/../lib/gadget.sh
. "$HERE/../lib/gadget.sh"
# shellcheck source=SCRIPTDIR/../lib/netns.sh
. "$HERE/../lib/netns.sh"

TMP=$(mktemp -d)
cleanup() {
	close_ttys
	ns_cleanup
	gadget_remove_all
	rm -rf "$TMP"
}
trap cleanup EXIT
acm=
gs=

# send FROM_FD TO_FD: write a random line into one end, read it at the other.
send() {
	local msg pid

	msg="nmb-smoke-$RANDOM$RANDOM-$(date +%s%N)"
	timeout 5 head -c ${#msg} <&"$2" >"$TMP/rx" &
	pid=$!
	sleep 0.2
	printf '%s' "$msg" >&"$1"
	wait $pid || { echo "no data within 5 s"; return 1; }
	[ "$(cat "$TMP/rx")" = "$msg" ] ||
		{ echo "sent '$msg', got '$(cat "$TMP/rx")'"; return 1; }
}

# open_ttys BUSID: open both ends of board1's serial line, raw, no echo.
open_ttys() {
	local host gadget

	host=$(gadget_tty_host "$1") && gadget=$(gadget_tty_gadget board1) ||
		return
	exec {acm}<>"$host" || return
	exec {gs}<>"$gadget" || return
	stty raw -echo <&"$acm" && stty raw -echo <&"$gs"
}

close_ttys() {
	[ -z "$acm" ] || exec {acm}>&-
	[ -z "$gs" ] || exec {gs}>&-
	acm=
	gs=
}

gone() {
	! gadget_busid "$1" >/dev/null 2>&1
}

tap_plan 20

# --- clocks -------------------------------------------------------------------
# clock_ok: the wall clock agrees with the host's (within 2 minutes of the
# boot); monotonic_ok: CLOCK_MONOTONIC advances as the wall clock does.
clock_ok() {
	local now=${EPOCHREALTIME%.*} host=${NMB_QEMU_HOST_TIME:-0}

	if [ $((now - host)) -lt 0 ] || [ $((now - host)) -gt 120 ]; then
		echo "guest time $now, host time at boot $host"
		return 1
	fi
}
# CLOCK_MONOTONIC in ns, from /proc/timer_list's "now at N nsecs": builtins
# only, where a python3 start costs ~2 s in the guest.
monotonic_ns() {
	local a b c

	while read -r a b c _; do
		if [ "$a $b" = "now at" ]; then
			echo "$c"
			return 0
		fi
	done </proc/timer_list
	return 1
}
monotonic_ok() {
	local m0 m1 w0 w1 dm dw

	m0=$(monotonic_ns) && w0=${EPOCHREALTIME/./} || return
	sleep 0.5
	m1=$(monotonic_ns) && w1=${EPOCHREALTIME/./} || return
	dm=$(((m1 - m0) / 1000))
	dw=$((w1 - w0))
	# microseconds: at least the 0.5 s slept, within 0.1 s of the wall
	# clock (the two reads are not atomic).
	if [ $dm -lt 500000 ] || [ $((dm - dw)) -gt 100000 ] ||
		[ $((dw - dm)) -gt 100000 ]; then
		echo "over sleep 0.5: monotonic ${dm} us, wall ${dw} us"
		return 1
	fi
}
tap_check "guest wall clock agrees with the host's" clock_ok
tap_check "CLOCK_MONOTONIC advances with the wall clock" monotonic_ok

# --- USB: one ACM board -----------------------------------------------------
tap_check "dummy_hcd num=2, libcomposite, configfs" gadget_setup 2
tap_check "cdc_acm loads (host side of the serial line)" modprobe cdc_acm
tap_check "ACM gadget board1 created in configfs" gadget_acm board1
tap_check "board1 plugged into dummy_udc.0" gadget_plug board1 dummy_udc.0
wait_for gadget_busid dummy_udc.0 >/dev/null
busid=$(gadget_busid dummy_udc.0)
tap_result $? "board1 enumerated (busid ${busid:-none})"
wait_for -t 5 gadget_tty_host "$busid" >/dev/null
tap_check "host side tty appears ($(gadget_tty_host "$busid"))" \
	test -c "$(gadget_tty_host "$busid")"
tap_check "gadget side tty appears ($(gadget_tty_gadget board1))" \
	test -c "$(gadget_tty_gadget board1)"
open_ttys "$busid"
tap_check "bytes host -> board over the serial line" send "$acm" "$gs"
tap_check "bytes board -> host over the serial line" send "$gs" "$acm"
close_ttys

# --- unplug / replug (a board reboot) ---------------------------------------
gadget_unplug board1 && wait_for -t 5 gone dummy_udc.0
tap_result $? "board1 unplugged: $busid is gone"
gadget_plug board1 dummy_udc.0 && wait_for gadget_busid dummy_udc.0 >/dev/null
busid=$(gadget_busid dummy_udc.0)
wait_for -t 5 gadget_tty_host "$busid" >/dev/null
open_ttys "$busid"
tap_check "board1 replugged ($busid), serial line works again" \
	send "$acm" "$gs"
close_ttys

# --- a second controller, a mass-storage board --------------------------------
truncate -s 4M "$TMP/disk.img"
gadget_msc board2 "$TMP/disk.img" && gadget_plug board2 dummy_udc.1 &&
	wait_for gadget_busid dummy_udc.1 >/dev/null
busid2=$(gadget_busid dummy_udc.1)
tap_result $? "board2 (mass storage) on dummy_udc.1: busid ${busid2:-none}"
tap_check "the two boards have distinct busids" test "$busid" != "$busid2"
tap_check "board2 is a mass-storage device (class 08)" \
	grep -qx 08 "/sys/bus/usb/devices/$busid2:1.0/bInterfaceClass"
gadget_remove_all && [ -z "$(ls "$GADGET_CFS")" ]
tap_result $? "gadgets removed, configfs empty"

# --- network namespaces -------------------------------------------------------
ns_pair a b && ns_ping a "$(ns_addr b)"
tap_result $? "ping across a veth pair (a -> b)"
ns_lan h1 h2 h3 && ns_ping h1 "$(ns_addr h3)" && ns_ping h3 "$(ns_addr h2)"
tap_result $? "ping across a bridged LAN (h1 -> h3, h3 -> h2)"
ns_cleanup && ns_leftovers
tap_result $? "namespaces deleted"

tap_done
