# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# gadget.sh: fake USB boards for guest tests, configfs gadgets on dummy_hcd.
#
# Source it from a bash test running as root in the QEMU guest:
#
#	. selftests/lib/gadget.sh
#	gadget_setup 2                  # dummy_udc.0/.1 <-> dummy_hcd.0/.1
#	gadget_acm board1               # CDC-ACM function acm.usb0
#	gadget_plug board1 dummy_udc.0  # "power on": the host enumerates it
#	busid=$(gadget_busid dummy_udc.0)      # e.g. 1-1
#	tty=$(gadget_tty_host "$busid")        # e.g. /dev/ttyACM0
#	gs=$(gadget_tty_gadget board1)         # e.g. /dev/ttyGS0
#	gadget_unplug board1            # "power off" (replug with gadget_plug)
#	gadget_remove board1            # full configfs teardown
#
# Every function returns non-zero (with a message on stderr) on failure;
# none of them exits.

GADGET_CFS=${GADGET_CFS:-/sys/kernel/config/usb_gadget}
GADGET_VID=${GADGET_VID:-0x1d6b}	# Linux Foundation
GADGET_PID=${GADGET_PID:-0x0104}	# Multifunction Composite Gadget

gadget_err() {
	echo "gadget: $*" >&2
	return 1
}

# wait_for [-t SECONDS] CMD [ARGS...]: run CMD every 0.1 s until it
# succeeds (returns 0) or SECONDS (default 10) have passed (returns 1).
wait_for() {
	local timeout=10 deadline

	if [ "${1:-}" = -t ]; then
		timeout=$2
		shift 2
	fi
	# EPOCHREALTIME (bash 5) in microseconds: no date(1) per round.
	deadline=$((${EPOCHREALTIME/./} + timeout * 1000000))
	until "$@"; do
		if [ "${EPOCHREALTIME/./}" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.1
	done
}

gadget_udc_count() {
	local n=0 udc

	for udc in /sys/class/udc/dummy_udc.*; do
		[ -e "$udc" ] && n=$((n + 1))
	done
	echo "$n"
}

gadget_udcs_ready() {
	[ "$(gadget_udc_count)" -ge "$1" ]
}

# gadget_setup [N]: load dummy_hcd with N (default 1) controller pairs
# dummy_udc.0..N-1 / dummy_hcd.0..N-1, libcomposite, and mount configfs.
gadget_setup() {
	local num=${1:-1} cur

	if [ -r /sys/module/dummy_hcd/parameters/num ]; then
		cur=$(cat /sys/module/dummy_hcd/parameters/num)
		if [ "$cur" != "$num" ]; then
			modprobe -r dummy_hcd ||
				gadget_err "dummy_hcd is loaded with num=$cur" \
					"and cannot be unloaded" || return
		fi
	fi
	modprobe dummy_hcd num="$num" ||
		gadget_err "cannot load dummy_hcd num=$num" || return
	modprobe libcomposite || gadget_err "cannot load libcomposite" || return
	if ! mountpoint -q /sys/kernel/config; then
		mount -t configfs configfs /sys/kernel/config ||
			gadget_err "cannot mount configfs" || return
	fi
	wait_for -t 5 gadget_udcs_ready "$num" ||
		gadget_err "expected $num dummy UDCs, found $(gadget_udc_count)"
}

# gadget_new NAME PRODUCT: the gadget skeleton with one configuration c.1.
gadget_new() {
	local g=$GADGET_CFS/$1

	[ -d "$GADGET_CFS" ] || gadget_err "$GADGET_CFS missing;" \
		"run gadget_setup first" || return
	[ ! -e "$g" ] || gadget_err "gadget $1 already exists" || return
	mkdir "$g" || return
	mkdir "$g/strings/0x409" "$g/configs/c.1" \
		"$g/configs/c.1/strings/0x409" &&
	echo "$GADGET_VID" >"$g/idVendor" &&
	echo "$GADGET_PID" >"$g/idProduct" &&
	echo 0x0100 >"$g/bcdDevice" &&
	echo 0x0200 >"$g/bcdUSB" &&
	echo "nmb-$1" >"$g/strings/0x409/serialnumber" &&
	echo "nmb selftests" >"$g/strings/0x409/manufacturer" &&
	echo "$2" >"$g/strings/0x409/product" &&
	echo "$2" >"$g/configs/c.1/strings/0x409/configuration" &&
	echo 100 >"$g/configs/c.1/MaxPower"
}

# gadget_acm NAME: a gadget with one CDC-ACM function (acm.usb0).
gadget_acm() {
	local g=$GADGET_CFS/$1

	gadget_new "$1" "nmb $1 serial" || return
	if ! mkdir "$g/functions/acm.usb0" ||
		! ln -s "$g/functions/acm.usb0" "$g/configs/c.1/"; then
		gadget_err "cannot create acm.usb0 in $1"
	fi
}

# gadget_msc NAME FILE: a gadget with one mass_storage function
# (mass_storage.usb0) whose LUN 0 is backed by FILE (on a writable fs).
gadget_msc() {
	local g=$GADGET_CFS/$1 f=mass_storage.usb0

	[ -f "$2" ] || gadget_err "backing file $2 missing" || return
	gadget_new "$1" "nmb $1 storage" || return
	if ! mkdir "$g/functions/$f" ||
		! echo 1 >"$g/functions/$f/lun.0/removable" ||
		! echo "$2" >"$g/functions/$f/lun.0/file" ||
		! ln -s "$g/functions/$f" "$g/configs/c.1/"; then
		gadget_err "cannot create $f in $1"
	fi
}

# gadget_plug NAME UDC: bind the gadget to a controller (dummy_udc.N).
gadget_plug() {
	echo "$2" >"$GADGET_CFS/$1/UDC" ||
		gadget_err "cannot plug $1 into $2"
}

# gadget_unplug NAME: unbind the gadget from its controller, if bound.
gadget_unplug() {
	local udc=$GADGET_CFS/$1/UDC

	local cur=

	[ -e "$udc" ] || gadget_err "no gadget $1" || return
	read -r cur <"$udc"
	[ -n "$cur" ] || return 0
	echo "" >"$udc" || gadget_err "cannot unplug $1"
}

# gadget_remove NAME: unplug and tear the configfs tree down, in reverse.
# One rm and one rmdir (in order) for the whole tree: execs are slow in
# the guest.
gadget_remove() {
	local g=$GADGET_CFS/$1 c f links=() dirs=()

	[ -d "$g" ] || return 0
	gadget_unplug "$1" || return
	for c in "$g"/configs/*; do
		[ -d "$c" ] || continue
		for f in "$c"/*; do
			[ -L "$f" ] && links+=("$f")
		done
		for f in "$c"/strings/*; do
			[ -d "$f" ] && dirs+=("$f")
		done
		dirs+=("$c")
	done
	for f in "$g"/functions/* "$g"/strings/*; do
		[ -d "$f" ] && dirs+=("$f")
	done
	dirs+=("$g")
	if [ ${#links[@]} -gt 0 ]; then
		rm "${links[@]}" ||
			gadget_err "cannot unlink functions of $1" || return
	fi
	rmdir "${dirs[@]}" || gadget_err "cannot remove gadget $1"
}

# gadget_remove_all: remove every gadget in configfs.
gadget_remove_all() {
	local g rc=0

	for g in "$GADGET_CFS"/*; do
		[ -d "$g" ] || continue
		gadget_remove "${g##*/}" || rc=1
	done
	return $rc
}

# gadget_busid UDC: print the busid (e.g. 1-1) under which the gadget on
# UDC (dummy_udc.N) is enumerated: the device hanging off dummy_hcd.N's
# root hub(s). Bus numbers depend on load order, so they are looked up.
gadget_busid() {
	local n=${1##*.} hub dev

	[ -e "/sys/class/udc/$1" ] || gadget_err "no UDC $1" || return
	for hub in /sys/devices/platform/dummy_hcd."$n"/usb*; do
		[ -d "$hub" ] || continue
		for dev in "$hub"/[0-9]*-[0-9]*; do
			case ${dev##*/} in
			*:*) continue ;;
			esac
			if [ -e "$dev/devnum" ]; then
				echo "${dev##*/}"
				return 0
			fi
		done
	done
	return 1
}

# gadget_tty_host BUSID: the host side's /dev/ttyACM* of an ACM device.
gadget_tty_host() {
	local t

	for t in /sys/bus/usb/devices/"$1":*/tty/tty*; do
		if [ -e "$t" ]; then
			echo "/dev/${t##*/}"
			return 0
		fi
	done
	return 1
}

# gadget_tty_gadget NAME: the gadget side's /dev/ttyGS* of its ACM function.
gadget_tty_gadget() {
	local p=$GADGET_CFS/$1/functions/acm.usb0/port_num

	[ -r "$p" ] || gadget_err "gadget $1 has no acm.usb0" || return
	echo "/dev/ttyGS$(cat "$p")"
}
