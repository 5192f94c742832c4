#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-relay.sh - issue 13, on the host (run by selftests/bench/run.sh):
# TCP through a direct place and through nmb-server's relay (a dial_out
# place) side by side, the server's CPU time per relayed GB, its
# read/write bytes and syscalls while it relays (relay_bench.py).
# NMB_BENCH_RUNS runs of NMB_BENCH_RELAY_MIB MiB (default 512).
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${NMB_BENCH_RUNS:-7}
mib=${NMB_BENCH_RELAY_MIB:-512}
server=${NMB_BENCH_SERVER:-build/nmb-server}
exporter=${NMB_BENCH_EXPORTER:-build/nmb-exporter}

if [ ! -x "$server" ] || [ ! -x "$exporter" ]; then
	echo "# relay: $server or $exporter not built; no rows"
	exit 0
fi
if ! command -v strace >/dev/null; then
	echo "# relay: strace is missing (apt-get install strace); no rows"
	exit 0
fi
timeout --kill-after=10 600 /usr/bin/python3 selftests/bench/relay_bench.py \
	"$server" "$exporter" "$runs" "$mib" ||
	echo "# relay bench failed (exit $?)"
