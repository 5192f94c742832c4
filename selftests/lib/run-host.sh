#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-host.sh - the unit tests of lib/: every selftests/lib/*_test.c,
# built by userspace-asan into BUILD/asan/selftests/lib/, run once on the
# ASan/UBSan build. Their results are renumbered into one TAP stream,
# each prefixed by the test's name (and oidc_idp_test.py, the test
# identity provider checked against PyJWT); a program that crashes, reports a
# sanitizer error or runs fewer tests than its plan fails.
#
# Usage: selftests/lib/run-host.sh [BUILD_DIR]   (default build)
set -u
cd "$(dirname "$0")/../.."
. selftests/lib/tap.sh
B=${1:-${O:-build}}
B=${B%/asan}/asan
WORK=$(mktemp -d /tmp/nmb-lib-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# run NAME PROGRAM: its TAP lines, renumbered; its exit status checked.
run() {
	local name=$1 prog=$2 line seen=0 planned=-1 rc

	"$prog" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ -\ (.*)$ ]]; then
			seen=$((seen + 1))
			if [[ ${BASH_REMATCH[2]} == "# SKIP "* ]]; then
				tap_skip "$name" "${BASH_REMATCH[2]#\# SKIP }"
			else
				tap_result $((${#BASH_REMATCH[1]} > 0)) \
					"$name: ${BASH_REMATCH[2]}"
			fi
		elif [[ $line =~ ^1\.\.([0-9]+)$ ]]; then
			planned=${BASH_REMATCH[1]}
		elif [[ $line == \#* ]]; then
			echo "$line"
		fi
	done <"$WORK/$name.out"
	if ((rc != 0 && TAP_FAILED == 0)) || ((seen != planned)); then
		tap_result 1 "$name: exited $rc after $seen of $planned tests"
		sed 's/^/# /' <(tail -n 20 "$WORK/$name.err")
	fi
}

echo "TAP version 13"
for src in selftests/lib/*_test.c; do
	name=$(basename "$src" .c)
	if [[ -x $B/selftests/lib/$name ]]; then
		run "$name" "$B/selftests/lib/$name"
	else
		tap_result 1 "$name: $B/selftests/lib/$name not built (make userspace-asan)"
	fi
done
# The identity provider the auth tests of other suites lean on.
run oidc_idp_test selftests/lib/oidc_idp_test.py
echo "1..$TAP_N"
echo "# $((TAP_N - TAP_FAILED)) passed, $TAP_FAILED failed"
((TAP_FAILED == 0))
