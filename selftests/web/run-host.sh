#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-host.sh - the web suite: the farm page of the ASan/UBSan build of
# nmb-server in headless Chromium (Debian's chromium), with fake exporters,
# the real nmb-agent and nmbctl on loopback, and /metrics of the three
# daemons under promtool (Debian's prometheus). Screenshots go to
# $O/web/. One TAP stream on stdout.
#
# Usage: selftests/web/run-host.sh [BUILD_DIR]   (default build/asan)
set -u
cd "$(dirname "$0")/../.."
OUT=${O:-build}
B=${1:-$OUT/asan}
[[ $B == */asan ]] || B=$B/asan
PY=/usr/bin/python3

missing=
command -v chromium >/dev/null || missing="$missing chromium"
command -v promtool >/dev/null || missing="$missing prometheus"
$PY -c 'import websockets' 2>/dev/null || missing="$missing python3-websockets"
if [[ -n $missing ]]; then
	echo "# installing$missing" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null 2>&1
fi
for b in nmb-server nmb-agent nmb-exporter nmbctl; do
	if [[ ! -x $B/$b ]]; then
		echo "TAP version 13"
		echo "1..1"
		echo "not ok 1 - $B/$b not built (make userspace-asan)"
		exit 1
	fi
done
WORK=$(mktemp -d /tmp/nmb-web-test.XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$WORK"' EXIT
echo "TAP version 13"
$PY selftests/web/web_test.py "$B/nmb-server" "$B/nmb-agent" \
	"$B/nmb-exporter" "$B/nmbctl" "$WORK" "$OUT/web"
