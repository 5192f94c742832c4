#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side checks of the ABI and of code hygiene, as TAP: the uapi header
# agrees with the netlink spec, user space has no clang-tidy bugprone
# findings, no daemon's files call each other in a circle of three or more,
# and the documentation parses cleanly.
set -u
cd "$(dirname "$0")/../.."

. selftests/lib/tap.sh

tap_plan 4

python3 selftests/abi/check-uapi.py \
	Documentation/netlink/specs/nmb_watch.yaml \
	"$PWD/include/uapi/linux/nmb_watch.h"
tap_result $? "uapi header agrees with Documentation/netlink/specs/nmb_watch.yaml"

# clang-tidy's bugprone checks over every user-space C file.
mapfile -t srcs < <(git ls-files 'lib/*.c' 'daemon/*.c' 'cli/*.c' \
	'selftests/*.c' 'selftests/**/*.c')
# -Idaemon/server: selftests/server/scheduler_test.c tests the scheduler;
# -Idaemon/exporter -Iselftests/lib (after it): virtual_line_test.c.
cflags=(-std=c11 -D_GNU_SOURCE -Iinclude/uapi -Ilib -Iselftests/server
	-Idaemon/server -Ibuild/include/kselftest -Idaemon/exporter
	-Iselftests/lib
	$(pkg-config --cflags libuv libwebsockets openssl json-c yaml-0.1 libmnl \
		libsystemd))
out=$(clang-tidy --quiet \
	"${srcs[@]}" -- "${cflags[@]}" 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | grep -E 'warning:|error:' | sed 's/^/# /'
tap_result $rc "clang-tidy bugprone-* finds nothing in ${#srcs[@]} user-space files"
# Circles of calls between a daemon's files (nm of the objects of make
# userspace); two-file circles (a module and its callback user) are allowed.
out=$(python3 scripts/call-circles.py "${O:-build}" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
tap_result $rc "no circle of calls over three files or more in any daemon"
mapfile -t rsts < <(git ls-files 'Documentation/*.rst')
python3 selftests/abi/check-rst.py "${rsts[@]}" 2>/dev/null
tap_result $? "every Documentation/*.rst parses without docutils warnings"
[ "$TAP_FAILED" = 0 ]
