#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-host.sh - the parser robustness suite: every corpus of fuzz/corpus/
# replayed by its libFuzzer target (one TAP line per target; built by
# `make fuzz-build`, which `make check` runs), then deeply nested YAML
# against nmb-server, nmb-exporter --check and nmb-agent (nesting_test.py)
# and the URLs and paths of the daemons' configurations (config_test.py)
# (lib/url's own unit tests are the lib suite's), on the ASan/UBSan builds. One TAP
# stream on stdout.
#
# Usage: selftests/fuzz/run-host.sh [BUILD_DIR]   (default build)
set -u
cd "$(dirname "$0")/../.."
. selftests/lib/tap.sh
B=${1:-${O:-build}}
B=${B%/asan}
WORK=$(mktemp -d /tmp/nmb-fuzz-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "TAP version 13"
for f in fuzz/*.c; do
	t=${f#fuzz/}
	t=${t%.c}
	inputs=(fuzz/corpus/"$t"/*)
	if [[ ! -x $B/fuzz/$t ]]; then
		tap_result 1 "fuzz $t: $B/fuzz/$t not built (make fuzz-build)"
		continue
	fi
	if [[ ! -e ${inputs[0]} ]]; then
		tap_result 1 "fuzz $t: no corpus in fuzz/corpus/$t"
		continue
	fi
	# each input once; any crash, leak or sanitizer report fails it
	"$B/fuzz/$t" -close_fd_mask=2 -timeout=30 -rss_limit_mb=2048 \
		"${inputs[@]}" >"$WORK/$t.log" 2>&1
	rc=$?
	tap_result $rc "fuzz $t: ${#inputs[@]} corpus inputs replayed"
	((rc == 0)) || tail -n 30 "$WORK/$t.log" | sed 's/^/# /'
done
# renumber NAME CMD...: CMD's TAP results, renumbered into this stream.
renumber() {
	local name=$1 line rc seen=0

	shift
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]*\ ?-\ (.*)$ ]]; then
			seen=$((seen + 1))
			rc=0
			[[ -n ${BASH_REMATCH[1]} ]] && rc=1
			if [[ ${BASH_REMATCH[2]} == *" # SKIP "* ]]; then
				tap_skip "$name: ${BASH_REMATCH[2]%% # SKIP *}" \
					"${BASH_REMATCH[2]#* # SKIP }"
			else
				tap_result $rc "$name: ${BASH_REMATCH[2]}"
			fi
		elif [[ $line =~ ^1\.\.([0-9]+)$ ]]; then
			planned=${BASH_REMATCH[1]}
		elif [[ $line == \#* ]]; then
			echo "$line"
		fi
	done < <("$@" 2>&1)
	((seen == planned)) || tap_result 1 "$name: ran $seen of $planned"
}

planned=0
if [[ -x $B/asan/nmb-server && -x $B/asan/nmb-agent &&
      -x $B/asan/nmb-exporter ]]; then
	planned=0
	renumber nesting /usr/bin/python3 selftests/fuzz/nesting_test.py \
		"$B/asan" "$WORK"
	planned=0
	renumber config /usr/bin/python3 selftests/fuzz/config_test.py \
		"$B/asan" "$WORK"
else
	tap_result 1 "nesting, config: $B/asan daemons not built (make userspace-asan)"
fi
echo "1..$TAP_N"
((TAP_FAILED == 0))
