#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# farm.sh - the simulated board farm of `make demo`, run inside the QEMU
# guest of selftests/qemu/run.sh (root, Debian's kernel, the repository at
# the same path, read-only; scratch files under /tmp/nmb-demo).
#
# Usage: farm.sh demo     start the farm, run the narrated session, stop it
#        farm.sh check    the same session printing TAP (run-guest.sh)
#        farm.sh shell    start the farm and leave it running for a shell
#        farm.sh board on|off   power the fake board (the power switch's
#                         hook): console + gadget plug, or the reverse
#
# Three hosts, each a network namespace on one LAN (selftests/lib/netns.sh):
#
#   nmb-server   198.18.0.1  nmb-server :2092
#   nmb-exporter 198.18.0.2  nmb-exporter, place "demo" (:2192):
#                              board.serial = CDC-ACM gadget on dummy_hcd
#                              (watched port), its console on /dev/ttyGS0
#                              power.scpi = power switch on 127.0.0.1:5025
#   nmb-user     198.18.0.3  nmb-agent (/run/nmb/agent.sock) and nmbctl,
#                            working in /tmp/nmb-demo/work (.nmb/demo.yaml)
#
# Environment: NMB_DEMO_BIN (daemons and nmbctl, default build/),
# NMB_WATCH_KO (default kmod/nmb_watch.ko), NMB_DEMO_LOGS=1 (debug logs,
# time-stamped narration, every log shown at the end).
#
# USB devices are not namespaced: the gadget is visible from every host.
# Switching the power off unplugs the gadget and stops the console; on
# starts the console again (boot #N+1) and replugs: a board reboot.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${NMB_DEMO_BIN:-$REPO/build}
KO=${NMB_WATCH_KO:-$REPO/kmod/nmb_watch.ko}
RUN=/tmp/nmb-demo
LOG=$RUN/log
WORK=$RUN/work
PY=/usr/bin/python3
UDC=dummy_udc.0
GADGET=board
PORT_NUM=3		# vhci port of board.serial, as in demo.yaml
POWER_PORT=5025		# local port of power.scpi, as in demo.yaml
export NMB_AGENT_SOCKET=/run/nmb/agent.sock
export PATH=$BIN:$PATH

# shellcheck source=SCRIPTDIR/../lib/gadget.sh
. "$REPO/selftests/lib/gadget.sh"
# shellcheck source=SCRIPTDIR/../lib/netns.sh
. "$REPO/selftests/lib/netns.sh"
# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$REPO/selftests/lib/tap.sh"

mode=${1:-}
# NMB_DEMO_LOGS=1: daemons log debug messages; every log is shown at the end.
V=
[ "${NMB_DEMO_LOGS:-}" != 1 ] || V=-v
T0=$(date +%s%N)

# --- the board's power: called by the power switch ----------------------

board_power() {
	local n pid

	# `ip netns exec` gives its command a fresh /sys without configfs.
	mountpoint -q /sys/kernel/config ||
		mount -t configfs configfs /sys/kernel/config
	case $1 in
	on)
		n=$(($(cat "$RUN/boot-count" 2>/dev/null || echo 0) + 1))
		echo "$n" >"$RUN/boot-count"
		setsid "$PY" "$HERE/board_console.py" \
			"$(gadget_tty_gadget "$GADGET")" "$n" \
			>>"$LOG/console.log" 2>&1 </dev/null &
		echo $! >"$RUN/console.pid"
		gadget_plug "$GADGET" "$UDC"
		;;
	off)
		gadget_unplug "$GADGET"
		pid=$(cat "$RUN/console.pid" 2>/dev/null || true)
		[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
		rm -f "$RUN/console.pid"
		;;
	*)
		echo "farm.sh: board on|off" >&2
		return 2
		;;
	esac
}

if [ "$mode" = board ]; then
	board_power "${2:-}"
	exit
fi

# --- output: narration for people, TAP for check mode -------------------

# note TEXT: one narrated line.
note() {
	if [ -n "$V" ]; then
		set -- "[$(elapsed "$T0")]" "$@"
	fi
	if [ "$mode" = check ]; then
		echo "# ==> $*"
	else
		echo "==> $*"
	fi
}

# show: copy stdin to stdout, as TAP comments in check mode.
show() {
	if [ "$mode" = check ]; then
		sed 's/^/#   /'
	else
		sed 's/^/    /'
	fi
}

# result STATUS DESC: a TAP line in check mode, a failure line otherwise.
result() {
	local st=$1

	shift
	set -- "$st" "$*"
	if [ "$mode" = check ]; then
		tap_result "$1" "$2" || true
	elif [ "$1" = 0 ]; then
		echo "    [ok] $2"
	else
		echo "    [FAILED] $2"
		FAILED=$((FAILED + 1))
	fi
}
FAILED=0

# run CMD...: narrate CMD, run it, show its output (kept in $OUT).
# run_as TEXT CMD...: the same, narrated as TEXT.
OUT=
run() {
	run_as "$*" "$@"
}

run_as() {
	local rc=0 text=$1

	shift
	note "$text"
	OUT=$("$@" 2>&1) || rc=$?
	[ -z "$OUT" ] || printf '%s\n' "$OUT" | show
	[ $rc = 0 ] || echo "(exit status $rc)" | show
	return $rc
}

elapsed() {
	awk -v a="$(date +%s%N)" -v b="$1" 'BEGIN { printf "%.1f", (a - b) / 1e9 }'
}

# progress TEXT: a narrated line only with NMB_DEMO_LOGS=1.
progress() {
	[ -z "$V" ] || note "$@"
}

# --- the farm ------------------------------------------------------------

# serial_field COLUMN: a column of board.serial's row in `nmbctl status`
# (6 port, 7 up, 8 busid, 9 nodes), empty when there is no such row.
serial_field() {
	nmbctl status 2>/dev/null |
		awk -v c="$1" '$2 == "board" && $3 == "serial" { print $c }'
}

serial_up() {
	[ "$(serial_field 7)" = yes ] && [[ $(serial_field 9) == /dev/* ]]
}

serial_down() {
	[ "$(serial_field 7)" != yes ]
}

server_listens() {
	ns_exec server bash -c 'exec 3<>/dev/tcp/198.18.0.1/2092' 2>/dev/null
}

place_known() {
	nmbctl search 2>/dev/null | grep -qw demo
}

# stamp: prefix each line with the seconds since the farm script started.
stamp() {
	local line d

	while IFS= read -r line; do
		d=$((${EPOCHREALTIME/./} - T0 / 1000))
		printf '%d.%03d %s\n' $((d / 1000000)) $((d / 1000 % 1000)) \
			"$line"
	done
}

# daemon NS NAME CMD...: start a daemon in namespace NS; its stderr goes,
# time-stamped, to NAME.log.
daemon() {
	local ns=$1 name=$2

	shift 2
	# Not ns_exec, a function: $! must be the daemon, not a subshell.
	ip netns exec "$NS_PREFIX$ns" "$@" </dev/null \
		> >(stamp >>"$LOG/$name.log") 2>&1 &
	echo $! >"$RUN/$name.pid"
}

# logs: every log in full (NMB_DEMO_LOGS=1).
logs() {
	local f

	[ -n "$V" ] || return 0
	for f in "$LOG"/*.log; do
		echo "--- ${f##*/} ---"
		cat "$f"
	done | show
}

# why: the last lines of every log, after a failure.
why() {
	local f

	for f in "$LOG"/*.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of ${f##*/} ---"
		tail -n 15 "$f"
	done | show
}

farm_start() {
	local hub busid

	rm -rf "$RUN"
	mkdir -p "$LOG" "$WORK/.nmb" /run/nmb || return 1
	# The guest's devtmpfs has no /dev/fd, which bash's >(...) needs.
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd || return 1
	# dummy_hcd first so that the fake board's bus is bus 1.
	gadget_setup 1 || return 1
	modprobe -a usbip-host vhci-hcd cdc-acm usb_f_acm veth || return 1
	if [ ! -e /sys/module/nmb_watch ]; then
		insmod "$KO" || return 1
	fi
	gadget_remove_all && gadget_acm "$GADGET" || return 1
	for hub in /sys/devices/platform/dummy_hcd.0/usb*; do
		busid=${hub##*/usb}-1
	done
	progress "modules loaded, gadget made"
	ns_lan server exporter user || return 1
	progress "namespaces made"

	sed "s/@BUSID@/$busid/" "$HERE/exporter.yaml.in" \
		>"$RUN/exporter.yaml" || return 1
	cp "$HERE/demo.yaml" "$WORK/.nmb/demo.yaml" || return 1

	daemon exporter power-switch "$PY" "$HERE/power_switch.py" \
		127.0.0.1 "$POWER_PORT" "bash $HERE/farm.sh board on" \
		"bash $HERE/farm.sh board off"
	daemon server server "$BIN/nmb-server" -c "$HERE/server.yaml" ${V:+"$V"}
	wait_for -t 20 server_listens ||
		{ echo "nmb-server does not listen on 198.18.0.1:2092"; return 1; }
	progress "server listens"
	daemon exporter exporter "$BIN/nmb-exporter" -c "$RUN/exporter.yaml" ${V:+"$V"}
	daemon user agent "$BIN/nmb-agent" -c "$HERE/agent.yaml" ${V:+"$V"}
	# The exporter registers its place after it watches the USB port.
	wait_for -t 30 place_known ||
		{ echo "nmbctl search does not show place demo"; return 1; }
	progress "place demo registered"
	# Plugged once its port is watched, the board is never probed here.
	board_power on || return 1
	wait_for -t 20 grep -q listening "$LOG/power-switch.log" ||
		{ echo "the power switch does not listen"; return 1; }
	FARM_BUSID=$busid
}

# gone PID: the process has exited (gone, or a zombie not yet waited for).
gone() {
	local st

	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)
	[ -z "$st" ] || [ "$st" = Z ]
}

# stop_daemon NAME [any]: SIGTERM, 10 s to exit, then SIGKILL. Fails (and
# says why in STOP_ERRORS) unless it exited with status 0, or with "any"
# (python's status on SIGTERM is 143) unless it had to be killed.
STOP_ERRORS=()
stop_daemon() {
	local name=$1 any=${2:-} pid st=0

	pid=$(cat "$RUN/$name.pid" 2>/dev/null || true)
	[ -n "$pid" ] || return 0
	rm -f "$RUN/$name.pid"
	kill "$pid" 2>/dev/null || true
	if ! wait_for -t 10 gone "$pid"; then
		STOP_ERRORS+=("$name did not stop within 10 s of SIGTERM")
		kill -9 "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || st=$?
	[ -z "$any" ] || [ $st = 137 ] || st=0
	[ $st = 0 ] || STOP_ERRORS+=("$name exited with status $st")
	return $st
}

# farm_stop: every process of the farm, the namespaces, the gadget. Fails
# when a daemon did not stop cleanly on SIGTERM.
farm_stop() {
	local name pid rc=0

	# The agent detaches and returns on SIGTERM, then the others go.
	for name in agent exporter server; do
		stop_daemon $name || rc=1
	done
	stop_daemon power-switch any || rc=1
	pid=$(cat "$RUN/console.pid" 2>/dev/null || true)
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -f "$RUN/console.pid"
	ns_cleanup || true
	gadget_remove_all || true
	sleep 0.2	# the log time-stampers drain
	return $rc
}

# sanitizer_clean: no ASan/UBSan/LSan report in the daemons' logs.
sanitizer_clean() {
	! grep -l -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' \
		"$LOG"/{agent,exporter,server}.log
}

# --- the session ---------------------------------------------------------

# console TTY LINE...: type each LINE (and Enter) into the board's
# console through TTY and show what the board answers.
console() {
	local tty=$1 text

	shift
	text=$(printf "'%s', " "$@")
	text=${text//\'\'/<Enter>}
	run_as "type into $tty: ${text%, }" "$PY" "$HERE/say.py" "$tty" "$@"
}

# power CMD...: send SCPI lines to the forwarded power switch and show
# the answers of the queries (from the user's host: localhost:5025).
power() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	ns_exec user bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		shift
		for cmd; do
			echo "> $cmd"
			printf "%s\n" "$cmd" >&3
			case $cmd in
			*\?) IFS= read -r -t 15 line <&3 || exit 1
			     echo "< $line" ;;
			esac
		done' power "$POWER_PORT" "$@"
}

session() {
	local tty port busid tty2 port2 busid2 t rc st

	rc=0
	run nmbctl attach demo || rc=$?
	tty=$(grep -o '/dev/ttyACM[0-9]*' <<<"$OUT" | head -n 1 || true)
	run nmbctl status || true
	port=$(serial_field 6)
	busid=$(serial_field 8)
	st=1
	[ $rc = 0 ] && [ -n "$tty" ] && [ "$port" = $PORT_NUM ] && st=0
	result $st "attach reported a serial node ($tty, vhci port $port)"

	rc=1
	[ -z "$tty" ] ||
		{ rc=0; console "$tty" "" "uname -a" "uptime" ||
			rc=$?; }
	st=1
	[ $rc = 0 ] && grep -q 'boot #1' <<<"$OUT" && st=0
	result $st "serial: the board answered on $tty before its reboot"

	rc=0
	run_as "power switch through the forwarded localhost:$POWER_PORT" \
		power '*IDN?' 'OUTP?' 'OUTP ON' 'OUTP?' || rc=$?
	st=1
	[ $rc = 0 ] && grep -q '^< 1$' <<<"$OUT" && st=0
	result $st "power switch answered through localhost:$POWER_PORT"

	run_as "reboot the board: power off (the switch unplugs the gadget, the console stops)" \
		power 'OUTP OFF' 'OUTP?' || true
	wait_for -t 30 serial_down || true
	run nmbctl status || true
	run_as "power on again (the console starts, the gadget is plugged)" \
		power 'OUTP ON' 'OUTP?' || true
	note "waiting for the agent to re-attach the board by itself"
	t=$(date +%s%N)
	rc=0
	wait_for -t 60 serial_up || rc=$?
	if [ $rc = 0 ]; then
		note "re-attached after $(elapsed "$t") s, nobody ran nmbctl"
	else
		note "not re-attached within 60 s"
	fi
	run nmbctl status || true
	port2=$(serial_field 6)
	busid2=$(serial_field 8)
	tty2=$(serial_field 9 | grep -o '/dev/ttyACM[0-9]*' | head -n 1 ||
	       true)
	st=1
	[ $rc = 0 ] && [ "$port2" = "$port" ] && [ "$busid2" = "$busid" ] &&
		[ "$tty2" = "$tty" ] && st=0
	result $st "re-attached by itself on the same port (vhci port $port2," \
		"busid $busid2, $tty2; before: $port, $busid, $tty)"

	rc=1
	[ -z "$tty2" ] ||
		{ rc=0; console "$tty2" "" "uptime" || rc=$?; }
	st=1
	[ $rc = 0 ] && grep -q 'boot #2' <<<"$OUT" && st=0
	result $st "serial: the board answered on $tty2 after its reboot"

	rc=0
	run nmbctl detach demo || rc=$?
	st=1
	[ $rc = 0 ] && [ -z "$(serial_field 6)" ] && st=0
	result $st "detach succeeded"

	if [ "$mode" = demo ]; then
		note "summary"
		{
			echo "before the reboot: $tty (vhci port $port, busid $busid) answered, boot #1"
			echo "after the reboot:  $tty2 (vhci port $port2, busid $busid2) answered, boot #2"
			if [ $FAILED = 0 ]; then
				echo "The board answered over the attached serial line before and after its"
				echo "reboot, on the same local port; the agent re-attached it by itself."
			else
				echo "$FAILED check(s) failed; see above."
			fi
		} | show
	fi
}

case $mode in
demo)
	trap farm_stop EXIT
	note "starting the farm: nmb-server (198.18.0.1), nmb-exporter with" \
	     "place demo (198.18.0.2), nmb-agent (198.18.0.3)"
	if ! farm_start; then
		why
		exit 1
	fi
	note "farm up after $(elapsed "$T0") s; board busid $FARM_BUSID on" \
	     "dummy_hcd, power switch on the exporter's 127.0.0.1:5025"
	cd "$WORK"
	session
	[ $FAILED = 0 ] || why
	logs
	note "stopping the farm"
	st=0
	farm_stop || st=1
	trap - EXIT
	sanitizer_clean || st=1
	if [ $st != 0 ]; then
		printf '%s\n' "${STOP_ERRORS[@]}" | show
		result 1 "the daemons did not stop cleanly"
	fi
	[ $FAILED = 0 ]
	;;
check)
	trap farm_stop EXIT
	tap_plan 8
	st=0
	farm_start || st=1
	tap_result $st "farm up: server, exporter, power switch, agent" ||
		why
	cd "$WORK"
	session
	st=0
	farm_stop || st=1
	trap - EXIT
	sanitizer_clean || st=1
	[ ${#STOP_ERRORS[@]} = 0 ] || printf '%s\n' "${STOP_ERRORS[@]}" | show
	tap_result $st "farm stopped: nmb-agent, nmb-exporter, nmb-server exit 0 on SIGTERM, no sanitizer report" ||
		true
	[ "$TAP_FAILED" = 0 ] || why
	logs
	tap_done
	;;
shell)
	# The interactive bash that run.sh starts next reads /root/.bashrc
	# (a tmpfs in the guest): it moves into the user's namespace.
	cat >/root/.bashrc <<-EOF
	# Written by selftests/demo/farm.sh shell for make demo-shell.
	if [ -z "\${NMB_DEMO_HOST:-}" ] && [ -e /run/netns/nmb-user ]; then
		export NMB_DEMO_HOST=user
		exec ip netns exec nmb-user bash -i
	fi
	export NMB_DEMO_REPO=$REPO
	. $HERE/shellrc
	EOF
	note "starting the farm: nmb-server (198.18.0.1), nmb-exporter with" \
	     "place demo (198.18.0.2), nmb-agent (198.18.0.3)"
	if ! farm_start; then
		why
		exit 1
	fi
	note "farm up after $(elapsed "$T0") s"
	;;
*)
	sed -n 's/^# \{0,1\}//;6,11p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
