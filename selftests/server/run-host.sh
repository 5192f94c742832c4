#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-host.sh - the nmb-server suite: the scheduler alone
# (scheduler_test), then loopback protocol tests against the ASan/UBSan build
# of nmb-server with real WebSocket clients, then its restarts with a
# state file (restart_test.py), then against hostile peers
# (hardening_test.py), then OpenID Connect against a test provider
# (auth_test.py: also a second issuer trusted through a permission's
# iss, the CI case), the relay of dial-out places (relay_test.py),
# then, with libwebsockets-evlib-uv hidden, that
# each daemon refuses to start (evlib_test.sh).
# One TAP stream on stdout.
#
# Usage: selftests/server/run-host.sh [BUILD_DIR]   (default build/asan)
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

WORK=$(mktemp -d /tmp/nmb-server-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
n=0
failed=0

# Runs one TAP producer and renumbers its results into the common stream
# as they come; the plan is printed at the end.
suite() {
	local name=$1 line rc seen=0; shift

	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ (.*)$ ]]; then
			n=$((n + 1)); seen=1
			[[ -n ${BASH_REMATCH[1]} ]] && failed=$((failed + 1))
			echo "${BASH_REMATCH[1]}ok $n - $name: ${BASH_REMATCH[2]}"
		elif [[ $line == \#* ]]; then
			echo "$line"
		fi
	done < <("$@" 2>"$WORK/$name.err"; echo $? >"$WORK/$name.rc")
	rc=$(cat "$WORK/$name.rc")
	if ((rc != 0 || !seen)); then
		if ((!seen || failed == 0)); then
			n=$((n + 1)); failed=$((failed + 1))
			echo "not ok $n - $name: exited $rc"
		fi
		sed 's/^/# /' <(tail -n 20 "$WORK/$name.err")
	fi
}

echo "TAP version 13"
for t in scheduler_test; do
	if [[ -x $B/selftests/server/$t ]]; then
		suite "$t" "$B/selftests/server/$t"
	else
		n=$((n + 1)); failed=$((failed + 1))
		echo "not ok $n - $t: $B/selftests/server/$t not built (make userspace-asan)"
	fi
done
if [[ -x $B/nmb-server ]]; then
	suite server $PY selftests/server/server_test.py "$B/nmb-server" "$WORK"
	suite restart $PY selftests/server/restart_test.py "$B/nmb-server" \
		"$WORK"
	suite hardening $PY selftests/server/hardening_test.py \
		"$B/nmb-server" "$WORK"
	suite auth $PY selftests/server/auth_test.py "$B/nmb-server" "$WORK"
	suite relay $PY selftests/server/relay_test.py "$B/nmb-server" \
		"$WORK"
	suite evlib selftests/server/evlib_test.sh "$B" "$WORK"
else
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - server: $B/nmb-server not built (make userspace-asan)"
fi
echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
((failed == 0))
