#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-detect: the detection benchmark (plug to bound to usbip-host,
# nmb_watch against the udev-style bind) on Debian 12's and Debian 13's
# kernels, one QEMU boot each, and the figures side by side. Medians over
# NMB_BENCH_RUNS runs (default 7). Needs `make module module-trixie` and
# the bench's detect program (make userspace); never fails on time.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${NMB_BENCH_RUNS:-7}
trixie=${O:-build}/trixie
kver12=$(dpkg-query -W -f='${Depends}' linux-image-amd64 |
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
kver13=$(cat "$trixie/kernel/kver" 2>/dev/null) || {
	echo "bench-detect: no Debian 13 kernel in $trixie/kernel;" \
		"make deps-trixie makes it" >&2
	exit 1
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

failed=0
# one KVER KERNEL_ROOT MODULE: the detection lines of one boot, tagged.
one() {
	echo "# detection on $1"
	if ! KVER=$1 NMB_QEMU_KERNEL_ROOT=$2 NMB_WATCH_KO=$3 \
		NMB_BENCH_ONLY=detect NMB_BENCH_RUNS=$runs \
		selftests/qemu/run.sh --timeout 900 selftests/bench/guest.sh |
		while IFS= read -r line; do
			echo "$line"
			[[ $line != "bench "* ]] || echo "$1 ${line#bench }" >>"$log"
		done; then
		echo "bench-detect: the detection benchmark failed on $1" >&2
		failed=1
	fi
}

one "$kver12" "" "$PWD/kmod/nmb_watch.ko"
one "$kver13" "$PWD/$trixie/kernel" "$PWD/$trixie/nmb_watch.ko"

# "KVER NAME median=... ..." -> one row per kernel.
awk -v runs="$runs" '
	function val(key,   i, kv) {
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == key)
				return kv[2]
		}
		return "-"
	}
	{ k = $1; if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
	$2 == "detect_nmb" { nmb[k] = val("median") }
	$2 == "detect_uevent" { ue[k] = val("median") }
	$2 == "detect_ratio" { ratio[k] = val("value") }
	$2 == "detect_tail_nmb" { tnmb[k] = val("median") }
	$2 == "detect_tail_uevent" { tue[k] = val("median") }
	END {
		printf "plug to bound to usbip-host (add event to bound), "
		printf "median of %s runs, ms\n", runs
		printf "%-24s %18s %18s %6s\n", "kernel", "nmb_watch",
			"uevent+bind", "ratio"
		for (i = 1; i <= n; i++) {
			k = order[i]
			printf "%-24s %9s (%6s) %9s (%6s) %6s\n", k, nmb[k],
				tnmb[k], ue[k], tue[k], ratio[k]
		}
	}' "$log"
exit $failed
