#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-host.sh - docs coverage, TAP: every nmbctl subcommand, configuration
# key and daemon option is documented, the man pages render without
# warnings, and the daemons accept the example configurations
# (check_docs.py). Builds the user-space binaries into $O (default build)
# when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
# Debian's python3, not one earlier in PATH
PY=${PYTHON:-/usr/bin/python3}

make -s -f userspace.mk O="$O" "$O/nmb-server" "$O/nmb-exporter" \
	"$O/nmb-agent" "$O/nmbctl" >&2
exec "$PY" selftests/docs/check_docs.py "$O"
