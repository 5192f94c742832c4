#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# host-hub-latency.sh - issue 10, on the host (run by selftests/bench/run.sh):
# time from a hub message's arrival to its handling in nmb-agent and
# nmb-exporter, p50 and p99 over 1,000 messages, plain WebSocket, TLS, and
# TLS with two messages at once (selftests/bench/hub_latency.py says what
# is measured and how the loopback is taken out).
# NMB_HUB_LATENCY_BEFORE=DIR also measures the binaries in DIR (e.g. an
# older build), in rows named *_before, for a before/after table.
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${NMB_HUB_LATENCY_N:-1000}
if [ ! -x build/nmb-agent ] || [ ! -x build/nmb-exporter ]; then
	echo "# hub latency: build/nmb-agent or build/nmb-exporter not built; no rows"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 selftests/bench/hub_latency.py build "$tmp" "$n"
before=${NMB_HUB_LATENCY_BEFORE:-}
if [ -n "$before" ]; then
	/usr/bin/python3 selftests/bench/hub_latency.py "$before" "$tmp" "$n" |
		sed 's/^\(bench [a-z0-9_]*\)/\1_before/'
fi
