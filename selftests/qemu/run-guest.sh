#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh: the qemu suite for run_all.sh, the test bed's smoke test.
#
# run_all.sh boots a guest for it:
#	selftests/qemu/run.sh selftests/qemu/run-guest.sh
exec "$(dirname "${BASH_SOURCE[0]}")/smoke.sh" "$@"
