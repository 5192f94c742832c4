#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - `make fuzz`: runs each libFuzzer target of fuzz/ in turn (nice,
# one at a time) for SECONDS, starting from its corpus in
# fuzz/corpus/<target>/, then replaces that corpus by the smallest set of
# inputs that keeps all the coverage (libFuzzer -merge=1), so that it
# stays small. Inputs named regress-* are kept as they are: those are the
# inputs that once crashed. A crash stops that target: its input is kept
# as build/fuzz/crash-<target>-*; fix it, then add the input to the
# corpus as regress-<what>.
#
# Usage: fuzz/run.sh [SECONDS [TARGET...]]   (default 60, every target)
set -u
cd "$(dirname "$0")/.."
B=${O:-build}/fuzz
secs=${1:-60}
shift
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
	for f in fuzz/*.c; do
		t=${f#fuzz/}
		targets+=("${t%.c}")
	done
fi
# CPU seconds used by the finished children of this shell
child_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($16 + $17) / hz) }' \
		/proc/$$/stat
}

failed=0
for t in "${targets[@]}"; do
	bin=$B/$t corpus=fuzz/corpus/$t new=$B/new-$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin not built (make -f fuzz/build.mk)" >&2
		exit 2
	fi
	mkdir -p "$corpus" "$new"
	before=$(ls "$corpus" | wc -l)
	echo "  FUZZ   $t: ${secs}s from $before inputs"
	cpu=$(child_cpu)
	# -close_fd_mask=2: the targets log every error they meet; reports
	# of libFuzzer and the sanitizers still come through.
	if ! nice "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 \
		-artifact_prefix="$B/crash-$t-" "$new" "$corpus" \
		>"$B/$t.log" 2>&1; then
		echo "fuzz: $t found a crash; see $B/$t.log and $B/crash-$t-*" >&2
		tail -n 40 "$B/$t.log" >&2
		failed=1
		continue
	fi
	echo "  FUZZ   $t: $(($(child_cpu) - cpu)) CPU-seconds"
	grep -E '^stat::(number_of_executed_units|peak_rss)' "$B/$t.log" |
		sed "s/^/  FUZZ   $t: /"
	min=$B/min-$t
	rm -rf "$min"
	mkdir -p "$min"
	if nice "$bin" -merge=1 -close_fd_mask=2 "$min" "$corpus" "$new" \
		>>"$B/$t.log" 2>&1; then
		find "$corpus" -type f ! -name 'regress-*' -delete
		cp "$min"/* "$corpus"/
	fi
	rm -rf "$new" "$min"
	echo "  FUZZ   $t: corpus $before -> $(ls "$corpus" | wc -l) inputs"
done
exit $failed
