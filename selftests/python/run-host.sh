#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh - host tests of the nmb Python package (python/nmb), TAP:
# the agent client against a fake agent, the serial console on ptys and
# TCP, SCPI power and the GPIO shim against local servers, the pytest
# plugin run by pytester, the TOML converter, make install's Python files,
# and `nmbctl console` (ASan build) driven through a pty. Debian's python3
# and python3-pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
PY=${PYTHON:-/usr/bin/python3}

make -s -f userspace.mk O="$O/asan" SANITIZE=1 "$O/asan/nmbctl" >&2
make -s -f userspace.mk O="$O" "$O/nmb-exporter" >&2
export NMB_TEST_BUILD=$PWD/$O
exec "$PY" selftests/python/run_pytest.py -v -p pytester selftests/python/host
