#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh - virtual places on the host, TAP: nmb-exporter (ASan build)
# boots the emulated Raspberry Pi of assets.sh under QEMU (TCG) and serves
# it through a place's proxy against a fake hub. The guest assets come from
# `make deps` (build/virtual); they are built here when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
BIN=$O/asan/nmb-exporter
PY=${PYTHON:-/usr/bin/python3}

if [ ! -x "$BIN" ]; then
	echo "1..0 # SKIP $BIN is not built (make userspace-asan)"
	exit 0
fi
for p in qemu-system-aarch64 qemu-img; do
	command -v $p >/dev/null || {
		echo "1..0 # SKIP $p missing (make deps: qemu-system-arm qemu-utils)"
		exit 0
	}
done
selftests/virtual/assets.sh "$O/virtual" >&2
exec "$PY" selftests/virtual/virtual_test.py "$BIN" "$PWD/$O/virtual"
