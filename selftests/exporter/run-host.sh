#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh - host-side tests of nmb-exporter, TAP: the unit tests of
# lib/usbip, lib/watch parsing and lib/http, then the proxy against a
# fake hub (host_test.py), then against the real nmb-server
# (server_test.py). Uses the ASan build (build/asan by default; O=DIR to
# change), building what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
BIN=$O/nmb-exporter
UNIT=$O/selftests/exporter/unit_test
# Debian's python3 (python3-websockets), not one earlier in PATH
PY=${PYTHON:-/usr/bin/python3}

make -s -f userspace.mk O="$O" SANITIZE=1 "$BIN" "$O/libnmb.a" >&2
mkdir -p "$(dirname "$UNIT")"
# selftests/build.mk does not list this suite; build its one C program here.
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-Iinclude/uapi -Ilib -o "$UNIT" selftests/exporter/unit_test.c \
	"$O/libnmb.a" $(pkg-config --libs libmnl)

"$PY" -c "import websockets" 2>/dev/null || {
	echo "1..0 # SKIP python3-websockets is missing (apt-get install python3-websockets)"
	exit 0
}

rc=0
echo "# unit tests"
"$UNIT" || rc=1
echo "# proxy tests"
"$PY" selftests/exporter/host_test.py "$BIN" || rc=1
echo "# against nmb-server"
if make -s -f userspace.mk O="$O" SANITIZE=1 "$O/nmb-server" >&2; then
	"$PY" selftests/exporter/server_test.py "$BIN" "$O/nmb-server" || rc=1
else
	echo "not ok 1 - nmb-server builds"
	rc=1
fi
exit $rc
