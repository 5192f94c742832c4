#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a command inside a QEMU guest booting Debian's kernel over the host root.
#
# Usage: run.sh [--timeout SEC] [--mem MB] [--console FILE] [--shell]
#               [--] [CMD [ARGS...]]
#
# The guest boots /boot/vmlinuz-$KVER (or the one of NMB_QEMU_KERNEL_ROOT)
# under TCG with no network card, mounts
# the host's root read-only over virtio-9p, puts tmpfs where writes happen
# (/tmp, /run, /var/tmp, /root, /dev/shm; /var/lib is an overlay), chroots
# into it and runs CMD with `bash -c` in the current directory. One argument
# is taken as a bash script (`run.sh 'make -C x && ./t'`); several are
# quoted one by one. CMD's stdout and stderr stream live to our stdout (via
# the guest's ttyS1); the kernel console (ttyS0) goes to
# build/qemu/console.log. We exit with CMD's status, 124 on timeout, 125
# when the guest itself failed (no result, panic, broken boot).
#
# --shell gives an interactive bash in the guest on this terminal (after
# CMD, if one is given); the guest powers off when that shell exits.
#
# Called inside the guest (NMB_GUEST=1), it runs CMD right there (under
# the same timeout) instead of booting a nested guest.
#
# Environment:
#   KVER                 kernel version (default: what linux-image-amd64
#                        depends on, as in the top-level Makefile; with
#                        NMB_QEMU_KERNEL_ROOT, the one unpacked there)
#   NMB_QEMU_KERNEL_ROOT a kernel package unpacked into a folder
#                        (boot/vmlinuz-KVER, lib/modules/KVER, e.g.
#                        build/trixie/kernel from `make deps-trixie`): boot
#                        that kernel; the guest sees its modules at
#                        /lib/modules, the rest is the host's root
#   NMB_QEMU_CONSOLE     like --console
#   NMB_QEMU_KERNEL_WARN ignore: do not fail when the kernel logs an
#                        Oops/BUG/WARNING (by default a run whose command
#                        passed then exits 1)
#   NMB_QEMU_OPTS        more QEMU options, e.g. "-s" for gdb
#   NMB_QEMU_APPEND      more kernel parameters, e.g. "dyndbg=..."
#   NMB_QEMU_TCG_THREAD  single or multi TCG threads (default multi; single
#                        for NMB_QEMU_KERNEL_ROOT, see below)
#   NMB_QEMU_9P_CACHE    9p cache mode of the host root (default loose:
#                        files changed on the host while the guest runs
#                        may look stale in it; "none" to see them)
#   NMB_QEMU_DEADLINE    seconds after the job starts at which the guest
#                        prints its tasks (state, kernel wait channel) and
#                        the tasks blocked in the kernel (sysrq w), then
#                        stops with 124 (default: 45 s before --timeout,
#                        none for a --timeout of 90 s or less)
# Variables NMB_*, V, KVER, ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS
# are passed into the guest; NMB_GUEST=1 and NMB_QEMU_HOST_TIME (the
# host's time at boot, in seconds) are set there.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
QDIR=$REPO/build/qemu

timeout_s=600
mem=1024
shell=0
console=${NMB_QEMU_CONSOLE:-}

usage() {
	sed -n 's/^# \{0,1\}//;5,6p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--timeout=*) timeout_s=${1#*=}; shift ;;
	--mem) mem=${2:?}; shift 2 ;;
	--mem=*) mem=${1#*=}; shift ;;
	--console) console=${2:?}; shift 2 ;;
	--console=*) console=${1#*=}; shift ;;
	--shell) shell=1; shift ;;
	--) shift; break ;;
	-h|--help) usage ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || [ $shell = 1 ] || usage
[[ $timeout_s =~ ^[0-9]+$ ]] || { echo "run.sh: bad --timeout" >&2; exit 2; }
[[ $mem =~ ^[0-9]+$ ]] || { echo "run.sh: bad --mem" >&2; exit 2; }

if [ $# -eq 1 ]; then
	cmd=$1
elif [ $# -gt 1 ]; then
	cmd=$(printf '%q ' "$@")
else
	cmd=
fi

# Already inside a guest (a script that calls run.sh was itself started in
# one): run the command right here rather than nesting QEMU under TCG.
if [ "${NMB_GUEST:-}" = 1 ]; then
	if [ $shell = 1 ]; then
		[ -z "$cmd" ] || bash -c "$cmd" || true
		exec bash -i
	fi
	exec timeout -k 5 "$timeout_s" bash -c "$cmd"
fi

# The kernel: the host's Debian one, or a package unpacked under build/.
kroot=${NMB_QEMU_KERNEL_ROOT:-}
if [ -n "$kroot" ]; then
	kroot=$(cd "$kroot" 2>/dev/null && pwd) || {
		echo "run.sh: no kernel package unpacked in" \
			"$NMB_QEMU_KERNEL_ROOT; make deps-trixie unpacks it" >&2
		exit 125
	}
	if [ -z "${KVER:-}" ]; then
		KVER=$(cat "$kroot/kver" 2>/dev/null || true)
	fi
	moddir=$kroot/lib/modules
	bootdir=$kroot/boot
	remedy="make deps-trixie unpacks it"
else
	if [ -z "${KVER:-}" ]; then
		KVER=$(dpkg-query -W -f='${Depends}' linux-image-amd64 \
			2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
	fi
	moddir=/lib/modules
	bootdir=/boot
	remedy="make deps installs linux-image-amd64 (or set KVER)"
fi
KERNEL=$bootdir/vmlinuz-$KVER
if [ -z "$KVER" ] || [ ! -r "$KERNEL" ] || [ ! -d "$moddir/$KVER" ]; then
	echo "run.sh: no kernel '$KERNEL' with modules in $moddir; $remedy" >&2
	exit 125
fi
case $moddir in
*[[:space:]]*)
	echo "run.sh: $moddir has a space; the kernel command line cannot" \
		"carry it" >&2
	exit 125 ;;
esac
mkdir -p "$QDIR"
case $QDIR in
*[[:space:]]*)
	echo "run.sh: $QDIR has a space; the kernel command line cannot" \
		"carry it" >&2
	exit 125 ;;
esac

# --- initramfs, rebuilt when one of its inputs changed ---------------------
initrd=$QDIR/initramfs-$KVER.cpio.gz
key="$KVER $(cat "$HERE/mkinitramfs.sh" "$HERE/init" | sha256sum | cut -c1-16)"
key+=" $moddir $(stat -L -c %Y:%s /bin/busybox "$moddir/$KVER/modules.dep" |
	tr '\n' ' ')"
(
	flock 9
	old=$(cat "$initrd.key" 2>/dev/null || true)
	if [ ! -s "$initrd" ] || [ "$old" != "$key" ]; then
		"$HERE/mkinitramfs.sh" "$KVER" "$initrd" "$moddir"
		echo "$key" >"$initrd.key"
	fi
) 9>"$QDIR/initramfs.lock"

# --- kernel: the ELF inside the bzImage, booted through PVH ---------------
# Under TCG, decompressing the bzImage and the real-mode path cost ~4 s of
# a ~8 s boot. The same kernel's vmlinux has a PVH entry note
# (CONFIG_PVH=y) and QEMU boots it directly: unpack it once, cache it.
# Falls back to the bzImage when that does not work.
vmlinux=$QDIR/vmlinux-$KVER
vkey=$(stat -L -c %Y:%s "$KERNEL")
(
	flock 9
	old=$(cat "$vmlinux.key" 2>/dev/null || true)
	[ -s "$vmlinux" ] && [ "$old" = "$vkey" ] && exit 0
	rm -f "$vmlinux" "$vmlinux.key"
	for fmt in xz zstd gzip; do
		case $fmt in
		xz) magic=$'\xfd7zXZ' ;;
		zstd) magic=$'\x28\xb5\x2f\xfd' ;;
		gzip) magic=$'\x1f\x8b\x08' ;;
		esac
		off=$(LC_ALL=C grep -a -b -o -m 1 "$magic" "$KERNEL" || true)
		off=${off%%:*}
		[ -n "$off" ] || continue
		tail -c +$((off + 1)) "$KERNEL" |
			$fmt -d -c 2>/dev/null >"$vmlinux.tmp" || true
		# XEN_ELFNOTE_PHYS32_ENTRY (0x12) is the PVH entry point.
		notes=$(readelf -n "$vmlinux.tmp" 2>/dev/null || true)
		if [[ $notes == *"Unknown note type: (0x00000012)"* ]]; then
			mv "$vmlinux.tmp" "$vmlinux"
			echo "$vkey" >"$vmlinux.key"
			exit 0
		fi
	done
	rm -f "$vmlinux.tmp"
	echo "# run.sh: no PVH vmlinux in $KERNEL; booting the bzImage" >&2
) 9>"$QDIR/vmlinux.lock"
[ -s "$vmlinux" ] && KERNEL=$vmlinux

# --- console log: build/qemu/console.log unless another run holds it ------
exec {lockfd}>>"$QDIR/console.lock"
if [ -z "$console" ]; then
	console=$QDIR/console.log
	if ! flock -n "$lockfd"; then
		console=$QDIR/console.$$.log
		echo "# run.sh: another guest is running;" \
			"console in $console" >&2
	fi
fi
: >"$console"

# --- the job file the guest's init runs (the host root is shared) ---------
# Job files of runs killed hard (SIGKILL) are left behind; sweep old ones.
find "$QDIR" -maxdepth 1 -name 'job.*' -mmin +1440 -delete 2>/dev/null || true
job=$(mktemp "$QDIR/job.XXXXXX")
qpid=
keep_console=1
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -f "$job"
	# A private console log is only worth keeping when something failed.
	if [[ $console == */console.$$.log ]] && [ "$keep_console" = 0 ]; then
		rm -f "$console"
	fi
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

{
	echo "# Generated by selftests/qemu/run.sh; run by the guest's init."
	while IFS= read -r var; do
		printf 'export %s=%q\n' "$var" "${!var}"
	done < <(compgen -e | grep -E '^(NMB_.*|V|KVER|[AUL]SAN_OPTIONS)$' |
		grep -v '^NMB_GUEST$')
	printf 'export TERM=%q\n' "${TERM:-dumb}"
	# The host's clock at boot, for tests of the guest's clock.
	printf 'export NMB_QEMU_HOST_TIME=%s\n' "$(date +%s)"
	printf 'cd -- %q || exit 125\n' "$PWD"
	if [ $shell = 1 ]; then
		if size=$(stty size 2>/dev/null); then
			printf 'stty rows %d cols %d\n' \
				"${size% *}" "${size#* }"
		fi
		[ -n "$cmd" ] && printf 'bash -c %q\n' "$cmd"
		echo 'exec setsid -c -w bash -i'
	else
		printf 'exec bash -c %q\n' "$cmd"
	fi
} >"$job"
chmod 0644 "$job"

# no_timer_check: on a busy host, TCG can be too slow for the IO-APIC timer
# probe, and the boot panics ("IO-APIC + timer doesn't work!").
append="console=ttyS0 panic=-1 no_timer_check rdinit=/init nmb_job=$job"
append+=" nmb_repo=$REPO"
[ "$moddir" = /lib/modules ] || append+=" nmb_moddir=$moddir"
# Boot-time savings under TCG: no crypto self-tests (~0.3 s), and a
# preset loops_per_jiffy (the host's clock rate; the second CPU otherwise
# calibrates for ~0.3 s).
append+=" cryptomgr.notests"
hz=$(sed -n 's/^CONFIG_HZ=\([0-9]*\)$/\1/p' "$bootdir/config-$KVER" 2>/dev/null ||
	true)
mhz=$(awk '/^cpu MHz/ { print int($4); exit }' /proc/cpuinfo 2>/dev/null ||
	true)
if [ -n "$hz" ] && [ -n "$mhz" ] && [ "$mhz" -gt 0 ]; then
	append+=" lpj=$((mhz * 1000000 / hz))"
fi
append+=" nmb_9p_cache=${NMB_QEMU_9P_CACHE:-loose} ${NMB_QEMU_APPEND:-}"
# The guest's own deadline, 45 s before ours (boot included): a job still
# running then is stuck, and the guest prints where before it stops.
deadline=${NMB_QEMU_DEADLINE:-}
[ -n "$deadline" ] || [ "$timeout_s" -le 90 ] || deadline=$((timeout_s - 45))
[[ $deadline =~ ^[0-9]*$ ]] || { echo "run.sh: bad NMB_QEMU_DEADLINE" >&2; exit 2; }
[ -z "$deadline" ] || append+=" nmb_deadline=$deadline"
[ $shell = 1 ] && append+=" nmb_shell=1"

# TCG threads: one per vCPU, except for a kernel package under build/
# (Debian 13's 6.12): its int3-based code patching (static keys, seen in
# tcp_connect) hit "Oops: int3" under multi-threaded TCG on a loaded
# host, once in three farm runs; one TCG thread for all vCPUs makes the
# patching coherent. NMB_QEMU_TCG_THREAD=single|multi overrides.
tcg_thread=${NMB_QEMU_TCG_THREAD:-}
[ -n "$tcg_thread" ] || { [ -n "$kroot" ] && tcg_thread=single || tcg_thread=multi; }
case $tcg_thread in
single|multi) ;;
*) echo "run.sh: NMB_QEMU_TCG_THREAD is single or multi" >&2; exit 2 ;;
esac

# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
qemu=(qemu-system-x86_64 -nodefaults -no-user-config
	-accel "tcg,thread=$tcg_thread"
	-machine pc -smp 2 -m "$mem" -nic none -no-reboot -display none
	-monitor none
	-kernel "$KERNEL" -initrd "$initrd" -append "$append"
	-fsdev local,id=h,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=h,mount_tag=hostroot
	-serial "file:$console"
	-chardev stdio,id=out,signal=off -serial chardev:out)
if [ -n "${NMB_QEMU_OPTS:-}" ]; then
	read -r -a extra <<<"$NMB_QEMU_OPTS"
	qemu+=("${extra[@]}")
fi

console_tail() {
	echo "# --- last 50 lines of $console ---" >&2
	tail -n 50 "$console" | tr -d '\r' | sed 's/^/# /' >&2
}

start=$(date +%s.%N)
# A boot that dies before the job started (TCG on a busy host has timing
# trouble the kernel may not survive) is retried once: the job never ran.
for attempt in 1 2; do
	: >"$console"
	if [ $shell = 1 ]; then
		"${qemu[@]}" || true
		status=0
	else
		timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null &
		qpid=$!
		wait "$qpid" && status=0 || status=$?
		qpid=
	fi
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		break
	fi
	grep -a -q 'nmb-init: running' "$console" && break
	[ $attempt = 1 ] || break
	echo "# run.sh: the guest died before the job started;" \
		"booting again" >&2
	console_tail
	cp "$console" "$console.failed-boot"
done
elapsed=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')

pattern='Oops:|BUG:|WARNING:|general protection fault|UBSAN:|KASAN:'
pattern+='|kernel BUG at|INFO: task .* blocked for more than|detected stall'

if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	echo "# run.sh: timeout after ${timeout_s}s, guest killed" >&2
	# A guest whose CPUs are stuck in the kernel cannot reach its own
	# deadline: the kernel's first complaint says where they are.
	if grep -a -q -E "$pattern" "$console"; then
		echo "# run.sh: the kernel's first problem report:" >&2
		{ grep -a -m 1 -E -A 40 "$pattern" "$console" || true; } |
			tr -d '\r' | sed 's/^/# /' >&2
	fi
	console_tail
	exit 124
fi

rc=$(grep -a -o 'NMB_QEMU_EXIT=[0-9]*' "$console" | tail -n 1 | cut -d= -f2 ||
	true)
if [ -z "$rc" ] || grep -a -q 'Kernel panic' "$console"; then
	echo "# run.sh: guest ended without a result (qemu status $status)" >&2
	console_tail
	exit 125
fi

if [ "$rc" = 124 ] && grep -a -q 'nmb-init: job still running' "$console"; then
	echo "# run.sh: the job was still running at the guest's deadline;" \
		"its tasks, and those blocked in the kernel:" >&2
	sed -n '/nmb-init: job still running/,$p' "$console" | head -n 150 |
		tr -d '\r' | sed 's/^/# /' >&2
	printf '# run.sh: guest stopped at its deadline after %.1fs' "$elapsed" >&2
	printf ' (console: %s)\n' "${console#"$REPO"/}" >&2
	exit 124
fi

if grep -a -q -E "$pattern" "$console"; then
	echo "# run.sh: the kernel logged a problem:" >&2
	{ grep -a -E -A 20 "$pattern" "$console" || true; } | head -n 60 |
		tr -d '\r' | sed 's/^/# /' >&2 || true
	if [ "$rc" = 0 ] && [ "${NMB_QEMU_KERNEL_WARN:-}" != ignore ]; then
		echo "# run.sh: failing" \
			"(NMB_QEMU_KERNEL_WARN=ignore to allow)" >&2
		rc=1
	fi
fi
[ "$rc" = 0 ] && keep_console=0
printf '# run.sh: guest exited %s after %.1fs (console: %s)\n' \
	"$rc" "$elapsed" "${console#"$REPO"/}" >&2
exit "$rc"
