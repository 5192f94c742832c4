#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-virtual.sh - issue 11's figures, on the host (run by
# selftests/bench/run.sh): emulated Raspberry Pi boards served by
# nmb-exporter (virtual_bench.py). Medians over NMB_BENCH_VIRTUAL_RUNS
# runs (default 3: each boots the board twice under TCG) of reserve to
# console prompt, power cycle to prompt and QEMU's RSS, then the console
# echo with 1 to NMB_BENCH_VIRTUAL_BOARDS boards (default 4) at once.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${NMB_BENCH_VIRTUAL_RUNS:-3}
boards=${NMB_BENCH_VIRTUAL_BOARDS:-4}
exporter=build/nmb-exporter
assets=build/virtual
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

if [ ! -x "$exporter" ] || ! command -v qemu-system-aarch64 >/dev/null; then
	echo "# virtual places: $exporter or qemu-system-aarch64 missing; no rows"
	exit 0
fi
selftests/virtual/assets.sh "$assets" >&2
echo "# virtual places: $runs runs, up to $boards boards"
"${PYTHON:-/usr/bin/python3}" selftests/bench/virtual_bench.py "$exporter" "$PWD/$assets" \
	"$runs" "$boards" | tee "$tmp" | grep -v '^bench ' || true
# medians of the per-run values, in run.sh's format
awk '/^bench / {
		split($3, v, "="); split($4, u, "=")
		n[$2]++; x[$2, n[$2]] = v[2]; unit[$2] = u[2]
	}
	END {
		for (k in n) {
			m = n[k]
			for (i = 1; i <= m; i++)
				for (j = i + 1; j <= m; j++)
					if (x[k, j] < x[k, i]) {
						t = x[k, i]; x[k, i] = x[k, j]; x[k, j] = t
					}
			med = m % 2 ? x[k, (m + 1) / 2] : (x[k, m / 2] + x[k, m / 2 + 1]) / 2
			printf "bench %s median=%.6g min=%.6g max=%.6g n=%d unit=%s\n",
				k, med, x[k, 1], x[k, m], m, unit[k]
		}
	}' "$tmp" | sort
