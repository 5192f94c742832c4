#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-web.sh - issue 14, on the host (run by selftests/bench/run.sh):
# nmb-server with 100 farm pages open (subscribe_farm), web_load.py
# NMB_BENCH_RUNS times: RSS and descriptors per page, snapshot size, time
# until all pages saw a reservation, server CPU per change.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${NMB_BENCH_RUNS:-7}
server=build/nmb-server
if [ ! -x "$server" ]; then
	echo "# farm page load: $server not built; no rows"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 selftests/bench/web_load.py "$server" "$tmp" "$runs"
