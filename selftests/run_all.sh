#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run_all.sh: run every test suite, count their TAP results, print a summary.
#
# Usage: selftests/run_all.sh [--kernel-only] [--suite NAME]...
#                             [--kernel NAME]... [--parallel] [--list]
#
# A suite is a folder of selftests/ with a run-host.sh (run here, on the
# host) and/or a run-guest.sh (run in its own QEMU boot through
# selftests/qemu/run.sh). Host suites run first, then guest suites (qemu,
# the test bed's own smoke test, first of them). --kernel-only runs only
# guest suites, --suite NAME only that folder's (may be repeated).
#
# Guest suites run on each kernel their settings name (kernels=...,
# default debian12): debian12 is the host's Debian kernel
# (linux-image-amd64) with kmod/nmb_watch.ko; debian13 the Debian 13
# kernel of `make deps-trixie` (build/trixie/kernel) with
# build/trixie/nmb_watch.ko (`make module-trixie`). --kernel NAME runs
# guest suites on that kernel only (may be repeated). A setting
# subset_<kernel>=NAME is passed to the suite as NMB_TEST_SUBSET, for a
# smaller run on that kernel. Summary lines name the kernel:
# "# ==== kmod (guest 6.12.NN+deb13-amd64): ...". A kernel that is not
# there counts as one failure, with the make target that makes it.
# --parallel runs the guest suites, one after the other, while the host
# suites run, one after the other (a TCG guest keeps about one CPU busy):
# the host suites' output is shown live, the guest suites' is kept in
# $O/run_all/.guest-lane.PID.out (tail -f it) and shown once the host
# suites are done; each suite's log is its own file as ever.
# A run-guest.sh runs inside the guest, as root, over the host's root
# file system. Nothing is built here: `make check` / `make selftests` build first.
#
# Every suite prints TAP. Top-level lines are counted: "ok N" passed,
# "ok N ... # SKIP" skipped, "not ok N" failed ("not ok N ... # TODO" is
# counted as skipped). A suite that exits non-zero without a "not ok"
# counts as one failure, as does one that ran fewer tests than it planned;
# exit status 4 (kselftest's skip) without any result counts as one skip,
# as does a plan of "1..0". A selftests/<suite>/settings file may set
# timeout=SECONDS (default 600). Each suite's output is shown live and kept
# in $O/run_all/ (O defaults to build); a guest suite's kernel console in
# $O/run_all/<suite>-console.log (NMB_QEMU_CONSOLE, read by run.sh).
#
# The last two lines are the total wall time and "N passed, N failed" (",
# N skipped" when some were). Exit status 1 when anything failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
LOGDIR=${O:-build}/run_all
[[ $LOGDIR == /* ]] || LOGDIR=$PWD/$LOGDIR

kernel_only=0
list=0
parallel=0
only=()
kernels_only=()
TRIXIE=${O:-build}/trixie
[[ $TRIXIE == /* ]] || TRIXIE=$PWD/$TRIXIE

usage() {
	sed -n 's/^# \{0,1\}//;5,6p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel-only) kernel_only=1; shift ;;
	--suite) only+=("${2:?--suite needs a name}"); shift 2 ;;
	--suite=*) only+=("${1#*=}"); shift ;;
	--kernel) kernels_only+=("${2:?--kernel needs a name}"); shift 2 ;;
	--kernel=*) kernels_only+=("${1#*=}"); shift ;;
	--list) list=1; shift ;;
	--parallel) parallel=1; shift ;;
	-h|--help) usage ;;
	*) echo "run_all.sh: unknown argument $1" >&2; usage ;;
	esac
done

for s in "${only[@]}"; do
	if [ ! -e "selftests/$s/run-host.sh" ] &&
		[ ! -e "selftests/$s/run-guest.sh" ]; then
		echo "run_all.sh: no suite '$s'" \
			"(selftests/$s/run-{host,guest}.sh)" >&2
		exit 2
	fi
done

for k in "${kernels_only[@]}"; do
	case $k in
	debian12|debian13) ;;
	*) echo "run_all.sh: no kernel '$k' (debian12, debian13)" >&2; exit 2 ;;
	esac
done

# setting SUITE KEY: the value of KEY=... in selftests/SUITE/settings.
setting() {
	sed -n "s/^$2=\(.*\)\$/\1/p" "selftests/$1/settings" 2>/dev/null |
		tail -n 1
}

kernel_wanted() {
	local k

	[ ${#kernels_only[@]} = 0 ] && return 0
	for k in "${kernels_only[@]}"; do
		[ "$k" = "$1" ] && return 0
	done
	return 1
}

# kernel_setup NAME: set kver, kroot and ko for a kernel, or say why not.
kernel_setup() {
	case $1 in
	debian12)
		kroot=
		ko=$PWD/kmod/nmb_watch.ko
		kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 \
			2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
		if [ -z "$kver" ] || [ ! -r "/boot/vmlinuz-$kver" ]; then
			kerr="no Debian 12 kernel (linux-image-amd64);"
			kerr+=" make deps installs it"
			return 1
		fi
		;;
	debian13)
		kroot=$TRIXIE/kernel
		ko=$TRIXIE/nmb_watch.ko
		kver=$(cat "$kroot/kver" 2>/dev/null || true)
		if [ -z "$kver" ] || [ ! -r "$kroot/boot/vmlinuz-$kver" ]; then
			kerr="no Debian 13 kernel in $kroot;"
			kerr+=" make deps-trixie makes it"
			return 1
		fi
		;;
	*)
		kerr="unknown kernel '$1' (debian12, debian13)"
		return 1 ;;
	esac
}

wanted() {
	local s

	[ ${#only[@]} = 0 ] && return 0
	for s in "${only[@]}"; do
		[ "$s" = "$1" ] && return 0
	done
	return 1
}

# "kind suite" pairs, in the order they run.
plan=()
if [ $kernel_only = 0 ]; then
	for f in selftests/*/run-host.sh; do
		[ -e "$f" ] || continue
		s=${f#selftests/}
		s=${s%/run-host.sh}
		wanted "$s" && plan+=("host $s")
	done
fi
guests=()
[ -e selftests/qemu/run-guest.sh ] && guests+=(qemu)
for f in selftests/*/run-guest.sh; do
	[ -e "$f" ] || continue
	s=${f#selftests/}
	s=${s%/run-guest.sh}
	[ "$s" = qemu ] || guests+=("$s")
done
for s in "${guests[@]}"; do
	wanted "$s" || continue
	ks=$(setting "$s" kernels)
	for k in ${ks:-debian12}; do
		kernel_wanted "$k" && plan+=("guest $s $k")
	done
done

if [ $list = 1 ]; then
	printf '%s\n' "${plan[@]}"
	exit 0
fi

mkdir -p "$LOGDIR" || exit 2
pass=0
fail=0
skip=0
failures=()
pidfile=$LOGDIR/.running.$$.pid
lane=$LOGDIR/.guest-lane.$$
lane_pid=
# The suite runs under timeout(1), in a process group of its own: stop it,
# and the guest lane of --parallel (whose own stop() stops its suite).
stop() {
	[ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	rm -f "$pidfile"
	if [ -n "$lane_pid" ]; then
		[ -s "$lane.pid" ] && kill "$(cat "$lane.pid")" 2>/dev/null
		kill "$lane_pid" 2>/dev/null
		wait "$lane_pid"
		rm -f "$lane.out" "$lane.res"
	fi
	exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

suite_timeout() {
	local t

	t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' \
		"selftests/$1/settings" 2>/dev/null | tail -n 1)
	echo "${t:-600}"
}

count() {
	grep -c -E "$1" "$2"
}

# timeout_detail LOG: where a suite that timed out was, for the summary:
# its last line of its own (before run.sh's report), and the tasks the
# guest found blocked in the kernel at its deadline.
timeout_detail() {
	local last

	last=$(sed '/^# run.sh: /,$d' "$1" |
		grep -a -v -E '^([#[:space:]]*|qemu-system.*)$' |
		tail -n 1 | tr -d '\r' | cut -c 1-160)
	echo "last line: ${last:-none}"
	grep -a -o -E 'task:[^ ]+ +state:D.*pid:[0-9]+' "$1" | head -n 3 |
		sed 's/  */ /g; s/^/blocked in the kernel: /'
	grep -a -m 1 -o -E '(soft lockup|detected stall|Oops:|BUG:|blocked for more than).*' \
		"$1" | cut -c 1-120 | sed 's/^/kernel: /'
	grep -a -m 1 -o -E 'RIP: 0010:[^ ]+' "$1" | sed 's/^/kernel: /'
}

# run_suite KIND SUITE [KERNEL]: run it with its output live and in
# $LOGDIR, count.
run_suite() {
	local kind=$1 suite=$2 kernel=${3:-} name="$2 ($1)" log t start
	local p f s todo planned ran cmd line console status rc_file
	local tag=$kind kver kroot ko kerr subset

	if [ -n "$kernel" ]; then
		# The Debian 12 kernel keeps the logs' old names.
		[ "$kernel" = debian12 ] || tag=$kind-$kernel
		if ! kernel_setup "$kernel"; then
			name="$suite ($kind $kernel)"
			echo "# ==== $name ===="
			echo "# $suite: $kerr"
			fail=$((fail + 1))
			failures+=("$name: $kerr")
			echo "# ==== $name: 0 passed, 1 failed, 0 skipped ===="
			return
		fi
		name="$suite ($kind $kver)"
	fi
	# Written under a private name, renamed when done: another run_all.sh
	# (another engineer's make check) may share $LOGDIR.
	log=$LOGDIR/.$suite-$tag.$$.log
	# The tag too: with --parallel, agent (host) and agent (guest) may run
	# at once.
	console=$LOGDIR/.$suite-console-$tag.$$.log
	rc_file=$log.rc
	t=$(suite_timeout "$suite")
	if [ "$kind" = host ]; then
		cmd=("selftests/$suite/run-host.sh")
		[ -x "${cmd[0]}" ] || cmd=(bash "${cmd[0]}")
		cmd=(timeout -k 10 "$t" "${cmd[@]}")
	else
		cmd=("selftests/$suite/run-guest.sh")
		[ -x "${cmd[0]}" ] || cmd=(bash "${cmd[0]}")
		# Every run-guest.sh runs inside a guest of its own; the
		# Makefile built on the host what it uses.
		export NMB_QEMU_CONSOLE=$console
		subset=$(setting "$suite" "subset_$kernel")
		cmd=(env KVER="$kver" NMB_QEMU_KERNEL_ROOT="$kroot"
			NMB_WATCH_KO="$ko"
			NMB_TEST_SUBSET="$subset"
			timeout -k 10 $((t + 60)) selftests/qemu/run.sh
			--timeout "$t" -- "${cmd[@]}")
		[ -z "$subset" ] || echo "# $suite on $kver: subset $subset"
	fi

	echo "# ==== $name ===="
	start=$(date +%s)
	rm -f "$rc_file"
	{
		"${cmd[@]}" </dev/null 2>&1 &
		echo $! >"$pidfile"
		wait $!
		echo $? >"$rc_file"
	} | tee "$log"
	status=$(cat "$rc_file" 2>/dev/null || echo 255)
	rm -f "$rc_file" "$pidfile"

	p=$(count '^ok [0-9]+' "$log")
	s=$(count '^ok [0-9]+.*#[[:space:]]*[Ss][Kk][Ii][Pp]' "$log")
	f=$(count '^not ok [0-9]+' "$log")
	todo=$(count '^not ok [0-9]+.*#[[:space:]]*[Tt][Oo][Dd][Oo]' "$log")
	p=$((p - s))
	f=$((f - todo))
	s=$((s + todo))
	ran=$((p + f + s))
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)

	while IFS= read -r line; do
		failures+=("$name: $line")
	done < <(grep -E '^not ok [0-9]+' "$log" |
		grep -v -E '#[[:space:]]*[Tt][Oo][Dd][Oo]')

	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		f=$((f + 1))
		failures+=("$name: timed out after ${t}s")
		while IFS= read -r line; do
			failures+=("$name:   $line")
		done < <(timeout_detail "$log")
	elif [ "$status" = 4 ] && [ "$f" = 0 ]; then
		[ $ran != 0 ] || s=$((s + 1))
	elif [ "$status" != 0 ] && [ "$f" = 0 ]; then
		f=$((f + 1))
		failures+=("$name: exited with status $status")
	elif [ "$planned" = 0 ] && [ $ran = 0 ]; then
		s=$((s + 1))
	elif [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
		f=$((f + 1))
		failures+=("$name: planned $planned tests, ran $ran")
	elif [ -z "$planned" ] && [ $ran = 0 ]; then
		f=$((f + 1))
		failures+=("$name: printed no TAP result")
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	mv -f "$log" "$LOGDIR/$suite-$tag.log"
	log=$LOGDIR/$suite-$tag.log
	[ ! -e "$console" ] ||
		mv -f "$console" "$LOGDIR/$suite-console${tag#"$kind"}.log"
	echo "# ==== $name: $p passed, $f failed, $s skipped in" \
		"$(($(date +%s) - start)) s (log: $log) ===="
}

# run_plan ENTRY...: run_suite on each, in order.
run_plan() {
	local entry

	for entry in "$@"; do
		# shellcheck disable=SC2086 # "kind suite [kernel]"
		run_suite $entry
	done
}

begin=$(date +%s)
if [ $parallel = 1 ]; then
	host_plan=()
	guest_plan=()
	for entry in "${plan[@]}"; do
		case $entry in
		host\ *) host_plan+=("$entry") ;;
		*) guest_plan+=("$entry") ;;
		esac
	done
	echo "# guest suites run meanwhile; their output: $lane.out"
	(
		pidfile=$lane.pid
		run_plan "${guest_plan[@]}" >"$lane.out" 2>&1
		{
			echo "$pass $fail $skip"
			printf '%s\n' "${failures[@]}"
		} >"$lane.res"
	) &
	lane_pid=$!
	run_plan "${host_plan[@]}"
	echo "# ==== host suites done; waiting for the guest suites ===="
	wait "$lane_pid"
	lane_pid=
	cat "$lane.out"
	if read -r p f s <"$lane.res"; then
		pass=$((pass + p))
		fail=$((fail + f))
		skip=$((skip + s))
		while IFS= read -r line; do
			[ -z "$line" ] || failures+=("$line")
		done < <(tail -n +2 "$lane.res")
	else
		fail=$((fail + 1))
		failures+=("guest suites: no result from the guest lane")
	fi
	rm -f "$lane.out" "$lane.res"
else
	run_plan "${plan[@]}"
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
elapsed=$(($(date +%s) - begin))
echo "total wall time: $((elapsed / 60))m$(printf %02d $((elapsed % 60)))s" \
	"(${#plan[@]} suites)"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail = 0 ]
