#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-host.sh - the nmb-agent host suite: the control socket API against
# the ASan/UBSan builds of nmb-server and nmb-agent, with fake exporters
# (import description errors, matching, conflicts, queue, TCP forward,
# auto_return, stop); then OpenID Connect against a not-my-board style
# hub with auth (auth_test.py: login, token store, --token-cmd), and
# nmb's own server, exporter, agents and nmbctl together with auth
# (farm_auth_test.py). TAP on stdout.
#
# Usage: selftests/agent/run-host.sh [BUILD_DIR]   (default build/asan)
set -u
cd "$(dirname "$0")/../.."
B=${1:-${O:-build}/asan}
[[ $B == */asan ]] || B=$B/asan
PY=/usr/bin/python3

if ! $PY -c 'import websockets' 2>/dev/null; then
	echo "# installing python3-websockets" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		python3-websockets >/dev/null 2>&1
fi
for b in nmb-server nmb-agent nmbctl nmb-exporter; do
	if [[ ! -x $B/$b ]]; then
		echo "TAP version 13"
		echo "1..1"
		echo "not ok 1 - $B/$b not built (make userspace-asan)"
		exit 1
	fi
done
WORK=$(mktemp -d /tmp/nmb-agent-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
rc=0
$PY selftests/agent/host_test.py "$B/nmb-server" "$B/nmb-agent" "$WORK" || rc=1
echo "# OpenID Connect"
$PY selftests/agent/auth_test.py "$B/nmb-agent" "$B/nmbctl" "$WORK/auth" ||
	rc=1
echo "# OpenID Connect: nmb-server, nmb-exporter, two agents, nmbctl"
$PY selftests/agent/farm_auth_test.py "$B/nmb-server" "$B/nmb-exporter" \
	"$B/nmb-agent" "$B/nmbctl" "$WORK/farm-auth" || rc=1
exit $rc
