#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh - operations, TAP: --version of every program says VERSION,
# --check of every daemon, old key spellings accepted with a warning, .toml
# files refused with the converter's name, and what the daemons tell
# systemd (READY, STATUS, RELOADING, WATCHDOG) through a fake
# NOTIFY_SOCKET (ops_test.py). Uses the ASan build (O=DIR to change);
# builds what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
# Debian's python3, not one earlier in PATH
PY=${PYTHON:-/usr/bin/python3}

make -s -f userspace.mk O="$O" SANITIZE=1 "$O/nmb-server" "$O/nmb-exporter" \
	"$O/nmb-agent" "$O/nmbctl" >&2
# strace runs the plain binaries: ASan's runtime has system calls of its own
P=${O%/asan}
make -s -f userspace.mk O="$P" "$P/nmb-server" "$P/nmb-exporter" \
	"$P/nmb-agent" "$P/nmbctl" >&2
exec "$PY" selftests/ops/ops_test.py "$O" "$P"
