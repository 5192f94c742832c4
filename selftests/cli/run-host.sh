#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh - host-side tests of nmbctl, TAP: the ASan build of nmbctl
# (build/asan by default; O=DIR to change) against a fake nmb-agent
# (fake_agent.py) on a temporary Unix socket. Builds what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
# Debian's python3, not one earlier in PATH
PY=${PYTHON:-/usr/bin/python3}

make -s -f userspace.mk O="$O" SANITIZE=1 "$O/nmbctl" >&2
exec "$PY" selftests/cli/cli_test.py "$O/nmbctl"
