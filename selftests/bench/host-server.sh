#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-server.sh - issue 7 item 6, on the host (run by selftests/bench/run.sh):
# nmb-server under the load tool (build/selftests/bench/load, N exporters
# and M agents over loopback WebSockets), NMB_BENCH_RUNS times. Prints the
# medians of reserve+return cycles/s at 1, 10 and 100 agents, the time to
# reserve with 50 agents contending for 5 places (p50, p99), the server's
# RSS per idle WebSocket connection at 10,000 and how many were held.
# Each run of the load tool is bounded (NMB_BENCH_LOAD_TIMEOUT seconds,
# default 300): one that does not finish in time is killed with the
# server it started, and reported as a failed run with its last lines.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${NMB_BENCH_RUNS:-7}
secs=${NMB_BENCH_LOAD_SECONDS:-1}	# per step of the load tool
idle=${NMB_BENCH_IDLE:-10000}
limit=${NMB_BENCH_LOAD_TIMEOUT:-300}
load=${NMB_BENCH_LOAD:-build/selftests/bench/load}
server=${NMB_BENCH_SERVER:-build/nmb-server}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$load" ] || [ ! -x "$server" ]; then
	echo "# server scale: $load or $server not built; no rows"
	exit 0
fi

# stats NAME UNIT: the bench line of the numbers in $tmp/NAME.
stats() {
	[ -s "$tmp/$1" ] || { echo "# $1: no figures"; return 0; }
	sort -g "$tmp/$1" | awk -v name="$1" -v unit="$2" '
		{ v[NR] = $1 }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "bench %s median=%.6g min=%.6g max=%.6g n=%d unit=%s\n",
				name, m, v[1], v[NR], NR, unit
		}'
}

echo "# server scale: load tool, $runs runs of ${secs} s steps, up to $idle idle connections"
failed=0
for ((i = 0; i < runs; i++)); do
	# timeout signals the whole process group: the load tool and the
	# nmb-server it runs. Output goes to a file, kept when it is killed.
	rc=0
	timeout --kill-after=10 "$limit" "$load" -s "$server" -d "$secs" \
		-i "$idle" >"$tmp/run.out" 2>&1 </dev/null || rc=$?
	out=$(cat "$tmp/run.out")
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		failed=$((failed + 1))
		echo "# load run $i failed: hung, killed after ${limit} s (NMB_BENCH_LOAD_TIMEOUT); its last lines:"
		tail -n 10 <<<"$out" | sed 's/^/#   /'
		continue
	elif [ $rc != 0 ]; then
		failed=$((failed + 1))
		echo "# load run $i failed (exit $rc); its last lines:"
		tail -n 10 <<<"$out" | sed 's/^/#   /'
		continue
	fi
	awk -v d="$tmp" '
		/^bench server_cycles_[0-9]+ / {
			split($3, v, "=")
			print v[2] >> (d "/" $2)
		}
		/^contention:/ {
			for (i = 1; i <= NF; i++) {
				if ($i == "p50")
					print $(i + 1) + 0 >> (d "/server_reserve_contended_p50")
				if ($i == "p99")
					print $(i + 1) + 0 >> (d "/server_reserve_contended_p99")
			}
		}
		/^bench server_rss_per_idle_conn / {
			split($3, v, "=")
			print v[2] >> (d "/server_rss_per_idle_conn")
		}
		/^idle: +[0-9]+ connections:/ { held = $2 }
		END { if (held) print held >> (d "/server_idle_held") }
	' <<<"$out"
done

[ $failed = 0 ] || echo "# server scale: $failed of $runs load runs failed"
stats server_cycles_1 cycles/s
stats server_cycles_10 cycles/s
stats server_cycles_100 cycles/s
stats server_reserve_contended_p50 ms
stats server_reserve_contended_p99 ms
stats server_rss_per_idle_conn KiB
stats server_idle_held connections
