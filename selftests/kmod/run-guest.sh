#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel selftests of nmb_watch; runs inside the QEMU guest as root:
#
#   selftests/qemu/run.sh selftests/kmod/run-guest.sh
#
# Loads dummy_hcd (two UDCs: two fake boards on two buses), the configfs
# ACM gadget function, cdc_acm, usbip-host and vhci-hcd, inserts
# kmod/nmb_watch.ko, then runs the kselftest-harness programs of
# build/selftests/kmod/ (rmmod_test last: it reloads the module). Their
# results are merged into one TAP stream, renumbered, named
# <program>:<fixture>.<test>. Exits 1 when a test failed, 4 when the
# module is missing (everything skipped), else 0.
#
# Environment: NMB_WATCH_KO (module, default kmod/nmb_watch.ko),
# NMB_KMOD_TESTS (programs to run, default all), NMB_KMOD_BIN (where the
# programs are, default build/selftests/kmod).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${NMB_KMOD_BIN:-$REPO/build/selftests/kmod}
export NMB_WATCH_KO=${NMB_WATCH_KO:-$REPO/kmod/nmb_watch.ko}

say() {
	echo "# $*"
}

if [ "$(id -u)" != 0 ]; then
	say "run-guest.sh: needs root; run it in the guest:" \
		"selftests/qemu/run.sh $0"
	exit 4
fi

# --- modules ----------------------------------------------------------------
if [ -r /sys/module/dummy_hcd/parameters/num ] &&
	[ "$(cat /sys/module/dummy_hcd/parameters/num)" != 2 ]; then
	modprobe -r dummy_hcd 2>/dev/null ||
		say "dummy_hcd is loaded with one UDC; tests share one port"
fi
modprobe dummy_hcd num=2 || say "cannot load dummy_hcd"
for m in libcomposite usb_f_acm cdc_acm usbip-host vhci-hcd; do
	modprobe "$m" || say "cannot load $m"
done
if ! mountpoint -q /sys/kernel/config; then
	mount -t configfs configfs /sys/kernel/config
fi

module=0
if [ -d /sys/module/nmb_watch ]; then
	say "nmb_watch already loaded"
	module=1
elif [ ! -r "$NMB_WATCH_KO" ]; then
	say "SKIP: $NMB_WATCH_KO not built (make module)"
elif insmod "$NMB_WATCH_KO"; then
	module=1
else
	say "insmod $NMB_WATCH_KO failed"
fi
say "kernel $(uname -r), nmb_watch loaded: $module," \
	"UDCs: $(ls /sys/class/udc 2>/dev/null | tr '\n' ' ')"

# --- tests --------------------------------------------------------------------
if [ -n "${NMB_KMOD_TESTS:-}" ]; then
	read -r -a tests <<<"$NMB_KMOD_TESTS"
else
	tests=()
	for f in "$HERE"/*_test.c; do
		t=$(basename "$f" .c)
		[ "$t" = rmmod_test ] || tests+=("$t")
	done
	[ -e "$HERE/rmmod_test.c" ] && tests+=(rmmod_test)
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
start=$(date +%s)
echo "TAP version 13"
n=0
for t in "${tests[@]}"; do
	say "--- $t"
	if [ ! -x "$BIN/$t" ]; then
		n=$((n + 1))
		echo "not ok $n $t # not built (make -f userspace.mk)" |
			tee -a "$results"
		continue
	fi
	fails=$(grep -c '^not ok' "$results")
	# Renumber the program's results into ours; keep its comments.
	"$BIN/$t" 2>&1 | awk -v base="$n" -v prog="$t" -v out="$results" '
		function result(line) {
			print line
			print line >>out
			fflush()
		}
		/^TAP version/ { next }
		# A skipped test reports "ok N # SKIP why", without its name.
		/^#  RUN  / { name = $3 }
		/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
		/^(not )?ok [0-9]+/ {
			ok = ($1 == "ok")
			num = ok ? $2 : $3
			rest = $0
			sub(/^(not )?ok [0-9]+ ?/, "", rest)
			if (rest ~ /^#/)
				rest = (name != "" ? name " " : "") rest
			rest = prog ":" rest
			seen++
			result((ok ? "ok " : "not ok ") (base + num) " " rest)
			next
		}
		{ print; fflush() }
		END {
			for (i = seen + 1; i <= plan; i++)
				result("not ok " (base + i) " " prog \
				       ": test " i " did not report")
		}'
	status=${PIPESTATUS[0]}
	n=$(grep -c '^\(not \)\?ok' "$results")
	# A crash outside any test would otherwise go unnoticed.
	if [ "$status" != 0 ] && [ "$status" != 4 ] &&
		[ "$(grep -c '^not ok' "$results")" = "$fails" ]; then
		n=$((n + 1))
		echo "not ok $n $t: exited with status $status" |
			tee -a "$results"
	fi
done
echo "1..$n"

pass=$(grep -c '^ok [0-9]* [^#]*$' "$results")
skip=$(grep -c '^ok [0-9]* .*# SKIP' "$results")
fail=$(grep -c '^not ok' "$results")
say "kmod: $pass passed, $fail failed, $skip skipped in" \
	"$(($(date +%s) - start)) s"
if [ "$fail" != 0 ]; then
	exit 1
fi
if [ "$module" = 0 ]; then
	exit 4
fi
exit 0
