#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-host.sh - every error exit of nmb-server, nmb-exporter, nmb-agent and
# nmbctl (bad options, missing, unreadable, malformed and wrong
# configurations, a .toml file, a TLS key or a port it cannot use, a
# description that does not parse, no agent) under valgrind: each must exit with its own non-zero status and
# leave no definitely or indirectly lost block (valgrind's exit 99). The
# plain build (build/, not build/asan/: ASan and valgrind exclude each
# other). One TAP line per case.
#
# Usage: selftests/valgrind/run-host.sh [BUILD_DIR]   (default build)
set -u
cd "$(dirname "$0")/../.."
B=${1:-${O:-build}}
. selftests/lib/tap.sh

if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind is not installed (apt-get install valgrind)"
	exit 0
fi
for p in nmb-server nmb-exporter nmb-agent nmbctl; do
	if [ ! -x "$B/$p" ]; then
		echo "1..0 # SKIP $B/$p is not built (make userspace)"
		exit 0
	fi
done

W=$(mktemp -d /tmp/nmb-valgrind.XXXXXX)
# A port in use, for the listeners that cannot bind.
BUSY=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(3600)' "$BUSY" &
HOLDER=$!
trap 'kill $HOLDER; rm -rf "$W"' EXIT

printf 'places: [\n  - name: x\n' >"$W/syntax.yaml"
printf 'bogus_key: 1\nlisten: 5\n' >"$W/unknown.yaml"
printf 'auth:\n  issuer: http://x\n  client_id: [1]\n  permissions:\n    - claims: {groups: [a, {b: [c]}], iss: 5}\n      roles: [importer]\n  issuers: {"https://x": {show_claims: [a], bogus: 1}}\n' >"$W/auth.yaml"
printf 'server: ws://127.0.0.1:1\nplaces:\n  - name: "a b"\n    port: 0\n    parts: {}\n' >"$W/exporter-bad.yaml"
printf 'server: ftp://x\nsocket: 5\nbogus: [1, 2]\n' >"$W/agent-bad.yaml"
printf '[place]\nname = "x"\n' >"$W/place.toml"
printf 'parts: [' >"$W/descr-bad.yaml"
python3 -c 'print("a: " + "[" * 5000 + "]" * 5000)' >"$W/deep.yaml"
: >"$W/empty.yaml"
mkdir "$W/dir.yaml"
printf 'tls:\n  cert: %s/none.pem\n  key: %s/none.key\n' "$W" "$W" >"$W/tls.yaml"
printf 'server: ws://127.0.0.1:1\nstate_dir: %s\nplaces:\n  - name: a\n    port: %s\n    parts: []\n' \
	"$W" "$BUSY" >"$W/exporter-busy.yaml"
printf 'server: ws://127.0.0.1:1\nsocket: %s/no/such/dir/agent.sock\n' "$W" \
	>"$W/agent-socket.yaml"

# Each case: expected exit status, program, arguments.
CASES=(
	"2 nmb-server --bogus"
	"1 nmb-server -c $W/missing.yaml"
	"1 nmb-server -c $W/syntax.yaml"
	"1 nmb-server -c $W/unknown.yaml"
	"1 nmb-server -c $W/auth.yaml"
	"1 nmb-server -c $W/deep.yaml"
	"1 nmb-server -c $W/dir.yaml"
	"1 nmb-server -c $W/place.toml"
	"1 nmb-server -c $W/tls.yaml"
	"1 nmb-server --listen 127.0.0.1:$BUSY"
	"2 nmb-exporter --bogus"
	"1 nmb-exporter -c $W/missing.yaml"
	"1 nmb-exporter -c $W/syntax.yaml --check"
	"1 nmb-exporter -c $W/exporter-bad.yaml --check"
	"1 nmb-exporter -c $W/empty.yaml"
	"1 nmb-exporter -c $W/deep.yaml"
	"1 nmb-exporter -c $W/exporter-busy.yaml"
	"2 nmb-agent --bogus"
	"1 nmb-agent -c $W/missing.yaml"
	"1 nmb-agent -c $W/syntax.yaml"
	"1 nmb-agent -c $W/agent-bad.yaml"
	"1 nmb-agent -c $W/deep.yaml"
	"1 nmb-agent -c $W/agent-socket.yaml"
	"2 nmbctl --bogus"
	"2 nmbctl frobnicate"
	"2 nmbctl reserve"
	"2 nmbctl list --bogus"
)

run_case() {
	local want=$1 prog=$2 rc
	shift 2

	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$B/$prog" "$@" >"$W/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" = "$want" ]; then
		tap_result 0 "$prog $*: exit $rc, no leak"
		return
	fi
	tap_result 1 "$prog $*: exit $rc, want $want (99: valgrind errors)"
	sed 's/^/# /' <(tail -n 40 "$W/out")
}

CTL_CASES=(
	"attach $W/descr-bad.yaml"
	"attach $W/place.toml"
	"reserve $W/missing.yaml"
	"status"
)

tap_plan $((${#CASES[@]} + ${#CTL_CASES[@]}))
for c in "${CASES[@]}"; do
	# shellcheck disable=SC2086 # the case is split into words on purpose
	run_case $c
done
# nmbctl against a socket nobody listens on: its own error status.
for c in "${CTL_CASES[@]}"; do
	valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$B/nmbctl" -s "$W/no-agent.sock" $c >"$W/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 99 ]; then
		tap_result 0 "nmbctl -s no-agent.sock $c: exit $rc, no leak"
	else
		tap_result 1 "nmbctl -s no-agent.sock $c: exit $rc (99: valgrind errors)"
		sed 's/^/# /' <(tail -n 40 "$W/out")
	fi
done
tap_done
