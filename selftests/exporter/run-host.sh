#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh - host-side tests of nmb-exporter, TAP: an emulated
# board's gpio and power lines (virtual_line_test), the proxy against
# a fake hub (host_test.py), SIGHUP reloads (reload_test.py), then
# against the real nmb-server (server_test.py), a dial_out place through
# its relay (dial_out_test.py). Uses the ASan build
# (build/asan by default; O=DIR to change). The unit tests of lib/ are
# the lib suite's.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
BIN=$O/nmb-exporter
# Debian's python3 (python3-websockets), not one earlier in PATH
PY=${PYTHON:-/usr/bin/python3}

for f in "$BIN" "$O/nmb-server" \
	"$O/selftests/exporter/virtual_line_test"; do
	if [ ! -x "$f" ]; then
		echo "1..0 # SKIP $f is not built (make userspace-asan)"
		exit 0
	fi
done

"$PY" -c "import websockets" 2>/dev/null || {
	echo "1..0 # SKIP python3-websockets is missing (apt-get install python3-websockets)"
	exit 0
}

rc=0
echo "# virtual board lines"
"$O/selftests/exporter/virtual_line_test" || rc=1
echo "# proxy tests"
"$PY" selftests/exporter/host_test.py "$BIN" || rc=1
echo "# reload tests"
"$PY" selftests/exporter/reload_test.py "$BIN" || rc=1
echo "# OpenID Connect (get_id_token)"
"$PY" selftests/exporter/auth_test.py "$BIN" || rc=1
echo "# against nmb-server"
"$PY" selftests/exporter/server_test.py "$BIN" "$O/nmb-server" || rc=1
echo "# a dial_out place through nmb-server's relay"
"$PY" selftests/exporter/dial_out_test.py "$BIN" "$O/nmb-server" || rc=1
exit $rc
