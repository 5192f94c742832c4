# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# guest-python.sh - sourced by selftests/bench/guest.sh in the QEMU guest:
# the demo farm (selftests/demo/farm.sh), then python_bench.py on the
# user's host: the time to the first shell prompt through the nmb package
# (what the pytest fixture does), and the echo round trip of nmbctl
# console against picocom on the same attached tty.

bench_python() {
	local f pid

	if ! command -v picocom >/dev/null; then
		echo "# python: picocom is not installed (make deps); skipped"
		return 0
	fi
	NMB_DEMO_BIN=$PWD/build bash selftests/demo/farm.sh shell \
		>/tmp/nmb-bench-python-farm.log 2>&1 </dev/null || {
		echo "# python: the demo farm did not start; skipped"
		sed 's/^/#   /' /tmp/nmb-bench-python-farm.log
		return 0
	}
	# In the root namespace: the agent's socket and the tty are reached
	# by path, and farm.sh powers the board between runs.
	(cd /tmp/nmb-demo/work && NMB_AGENT_SOCKET=/run/nmb/agent.sock \
		/usr/bin/python3 "$OLDPWD/selftests/bench/python_bench.py" \
		"$runs" "$OLDPWD/build/nmbctl" \
		"$OLDPWD/selftests/demo/farm.sh") ||
		echo "# python: python_bench.py failed (status $?)"
	for f in /tmp/nmb-demo/{agent,exporter,server,power-switch,console}.pid; do
		pid=$(cat "$f" 2>/dev/null || true)
		[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	done
	sleep 1
	# shellcheck source=SCRIPTDIR/../lib/netns.sh
	. selftests/lib/netns.sh
	ns_cleanup >/dev/null 2>&1 || true
	gadget_remove_all >/dev/null 2>&1 || true
}

bench_python
