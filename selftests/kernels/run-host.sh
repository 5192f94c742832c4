#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernels nmb_watch supports, on the host, as TAP: Debian 12's (the
# host's linux-headers-amd64) and Debian 13's (the build root of
# `make deps-trixie`).
#
# - The probes of kmod/compat.h differ between them, and a build that fails
#   against one kernel only fails with that kernel's name (make module,
#   make module-trixie), while the other still builds.
# - The Debian 13 module (make module-trixie) is built for Debian 13's
#   kernel (vermagic).
# - A missing build root or kernel package: one line naming the make
#   target that makes it (make module-trixie, selftests/qemu/run.sh,
#   run_all.sh --kernel debian13).
# - A guest job still running at its deadline (NMB_QEMU_DEADLINE) is
#   stopped with 124 after the guest printed its tasks and kernel waits.
# - dkms.conf: dkms builds on 6.1, and refuses a kernel outside 6.1..6.12
#   with a message that names the range (dkms run in private trees).
# - User space's usbip-host states (lib/usbip.h, USBIP_ST_*) are those of
#   both kernels' uapi <linux/usbip.h> (compiled against each).
set -u
cd "$(dirname "$0")/../.." || exit 2
REPO=$PWD
# shellcheck source=selftests/lib/tap.sh
. selftests/lib/tap.sh

TRIXIE=$REPO/${O:-build}/trixie
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kver12=$(dpkg-query -W -f='${Depends}' linux-image-amd64 |
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
kver13=$(cat "$TRIXIE/kernel/kver" 2>/dev/null || true)

tap_plan 15

# result STATUS WORDS...: tap_result with the words as one description.
result() {
	local rc=$1

	shift
	tap_result "$rc" "$*"
}

# show TEXT: as TAP comments.
show() {
	printf '%s\n' "$1" | tail -n 15 | sed 's/^/# /'
}

# tree NAME: a copy of what builds the module, in $tmp/NAME.
tree() {
	mkdir -p "$tmp/$1"
	cp -r Makefile Kbuild dkms.conf kmod include "$tmp/$1/"
	rm -f "$tmp/$1"/kmod/*.o "$tmp/$1"/kmod/*.ko "$tmp/$1"/kmod/.*.cmd
	echo "$tmp/$1"
}

# --- a build root or kernel that is not there --------------------------------
out=$(make -s -C "$REPO" module-trixie TRIXIE="$tmp/none" 2>&1)
rc=$?
line=$(grep -c 'make deps-trixie' <<<"$out")
[ $rc != 0 ] && [ "$line" = 1 ] && ! grep -q -i 'chroot\|No such' <<<"$out"
result $? "no build root: make module-trixie fails with one line" \
	"naming make deps-trixie" || show "$out"

out=$(NMB_QEMU_KERNEL_ROOT=$tmp/none selftests/qemu/run.sh true 2>&1)
rc=$?
[ $rc = 125 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
	grep -q 'make deps-trixie' <<<"$out"
result $? "no kernel package: run.sh exits 125 with one line naming" \
	"make deps-trixie" || show "$out"

out=$(KVER=0.0.0-none selftests/qemu/run.sh true 2>&1)
rc=$?
[ $rc = 125 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q 'make deps' <<<"$out"
result $? "no Debian 12 kernel of that version: run.sh exits 125 with" \
	"one line naming make deps" || show "$out"

# A stuck job: the guest shows where it waits before the runner kills it.
start=$(date +%s)
out=$(NMB_QEMU_DEADLINE=3 NMB_QEMU_CONSOLE=$tmp/console.log \
	selftests/qemu/run.sh --timeout 120 -- \
	'sleep 117 & wait' 2>&1)
rc=$?
took=$(($(date +%s) - start))
[ $rc = 124 ] && [ $took -lt 100 ] &&
	grep -q "the job was still running at the guest's deadline" <<<"$out" &&
	grep -q -E '^# +[0-9]+ S hrtimer_nanosleep +sleep 117' <<<"$out" &&
	grep -q 'sysrq: Show Blocked State' <<<"$out"
result $? "a stuck guest job: stopped at its deadline (${took} s) with 124," \
	"its tasks and their kernel wait shown" || show "$out"

out=$(O=$tmp/out selftests/run_all.sh --suite kmod --kernel debian13 2>&1)
rc=$?
[ $rc = 1 ] && grep -q '^0 passed, 1 failed$' <<<"$out" &&
	grep -q 'kmod (guest debian13): no Debian 13 kernel .*make deps-trixie' \
		<<<"$out"
result $? "run_all.sh without the Debian 13 kernel: one failure naming" \
	"make deps-trixie" || show "$out"

# --- both kernels --------------------------------------------------------------
if [ -z "$kver13" ] || [ ! -d "$TRIXIE/root/lib/modules/$kver13/build" ]; then
	for t in "6.12 probe" "6.12 failure named" "6.1 still builds" \
		"6.1 failure named" "vermagic"; do
		result 1 "$t: no Debian 13 build root in $TRIXIE;" \
			"make deps-trixie makes it"
	done
else
	# Fails on the kernel whose headers have the const bus type only.
	t=$(tree only61)
	printf '#ifdef NMBW_HAVE_CONST_BUS_TYPE\n#error probe says 6.3+\n#endif\n' \
		>>"$t/kmod/compat.h"
	out=$(make -s -C "$t" module-trixie TRIXIE="$TRIXIE" \
		TRIXIE_KO="$tmp/only61.ko" 2>&1)
	rc=$?
	[ $rc != 0 ] && grep -q 'probe says 6.3+' <<<"$out"
	result $? "the const-bus-type probe fires on $kver13" || show "$out"
	grep -q "module-trixie: nmb_watch does not build against $kver13 (Debian 13)" \
		<<<"$out"
	result $? "a build failing on Debian 13 only names $kver13" ||
		show "$out"
	out=$(make -s -C "$t" module 2>&1)
	result $? "the same sources still build against $kver12" ||
		show "$out"

	t=$(tree only612)
	printf '#ifndef NMBW_HAVE_CONST_BUS_TYPE\n#error probe says 6.1\n#endif\n' \
		>>"$t/kmod/compat.h"
	out=$(make -s -C "$t" module 2>&1)
	rc=$?
	[ $rc != 0 ] && grep -q 'probe says 6.1' <<<"$out" &&
		grep -q "module: nmb_watch does not build against $kver12 (Debian 12)" \
			<<<"$out"
	result $? "a build failing on Debian 12 only names $kver12" ||
		show "$out"

	# make check and make selftests built it (make module-trixie).
	vm=$(modinfo -F vermagic "$TRIXIE/nmb_watch.ko" 2>&1)
	[[ $vm == "$kver13 "* ]]
	result $? "$TRIXIE/nmb_watch.ko is built for $kver13 (vermagic:" \
		"$vm; make module-trixie builds it)"
fi

# --- user space against both kernels' usbip-host states ----------------------
# states HEADER: lib/usbip.h's USBIP_ST_* against the kernel's enum.
states() {
	printf '#include "%s"\n#include "lib/usbip.h"\n%s\n%s\n%s\n' "$1" \
		'_Static_assert(SDEV_ST_AVAILABLE == USBIP_ST_AVAILABLE, "av");' \
		'_Static_assert(SDEV_ST_USED == USBIP_ST_USED, "used");' \
		'_Static_assert(SDEV_ST_ERROR == USBIP_ST_ERROR, "error");' |
		gcc -std=c11 -fsyntax-only -x c - 2>&1
}
h12=$(dpkg -L "linux-headers-$kver12" 2>/dev/null | grep -m1 '/linux-headers-.*/Makefile$')
h12=$(sed -n 's/^include \(.*\)\/Makefile$/\1/p' "$h12" 2>/dev/null)
out=$(states "$h12/include/uapi/linux/usbip.h")
result $? "usbip-host states of $kver12 are lib/usbip.h's" || show "$out"
h13=$TRIXIE/root/usr/src/linux-headers-${kver13%-*}-common
out=$(states "$h13/include/uapi/linux/usbip.h")
result $? "usbip-host states of ${kver13:-Debian 13} are lib/usbip.h's" ||
	show "$out"

# --- dkms.conf ------------------------------------------------------------------
if ! command -v dkms >/dev/null; then
	result 1 "dkms refuses 6.13: no dkms; make deps installs it"
	result 1 "dkms refuses 5.10: no dkms; make deps installs it"
	result 1 "dkms builds on 6.1: no dkms; make deps installs it"
else
	src=$tmp/dkms-src/nmb_watch-0.1
	mkdir -p "$src" "$tmp/dkms"
	cp -r dkms.conf Kbuild kmod include "$src/"
	rm -f "$src"/kmod/*.o "$src"/kmod/*.ko "$src"/kmod/.*.cmd
	# The Makefile `make install` writes for DKMS.
	# shellcheck disable=SC2016 # make's $(...), not the shell's
	printf 'KDIR ?= /lib/modules/$(shell uname -r)/build\nmodule:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) modules\nclean:\n\t$(MAKE) -C $(KDIR) M=$(CURDIR) clean\n' \
		>"$src/Makefile"
	dk=(dkms --dkmstree "$tmp/dkms" --sourcetree "$tmp/dkms-src"
		-m nmb_watch -v 0.1)
	"${dk[@]}" add >/dev/null 2>&1
	for k in 6.13.0-1-amd64 5.10.0-30-amd64; do
		out=$("${dk[@]}" build -k "$k" 2>&1)
		rc=$?
		[ $rc = 77 ] &&
			grep -q "kernel $k is outside the supported range 6.1 to 6.12" \
				<<<"$out" && [ ! -e "$tmp/dkms/nmb_watch/0.1/$k" ]
		result $? "dkms build on $k: refused (77), the message names" \
			"the range 6.1 to 6.12, nothing built" || show "$out"
	done
	out=$("${dk[@]}" build -k "$kver12" 2>&1)
	rc=$?
	[ $rc = 0 ] && ls "$tmp/dkms/nmb_watch/0.1/$kver12"/*/module/nmb_watch.ko* \
		>/dev/null 2>&1 && ! grep -q 'outside the supported' <<<"$out"
	result $? "dkms build on $kver12 builds nmb_watch.ko" || show "$out"
fi

tap_done
