#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - nmb-exporter with the real nmb_watch module, USB/IP and
# a CDC-ACM gadget board, in one QEMU guest (selftests/qemu/run.sh), first
# against a fake hub, then against nmb-server as a separate host. TAP.
# Builds the ASan exporter and the import client on the host first; the
# module is kmod/nmb_watch.ko (NMB_WATCH_KO= to change).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
KO=${NMB_WATCH_KO:-kmod/nmb_watch.ko}
CLIENT=$O/selftests/exporter/import_client

if [ ! -e "$KO" ]; then
	echo "1..0 # SKIP $KO is not built (make module)"
	exit 0
fi
make -s -f userspace.mk O="$O" SANITIZE=1 "$O/nmb-exporter" "$O/libnmb.a" >&2
mkdir -p "$(dirname "$CLIENT")"
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-Iinclude/uapi -Ilib -o "$CLIENT" selftests/exporter/import_client.c \
	"$O/libnmb.a"

make -s -f userspace.mk O="$O" SANITIZE=1 "$O/nmb-server" >&2

# Two scripts, one boot: the fake hub (full control of the allow-list),
# then nmb-server, exporter and agent as three hosts.
args="$O/nmb-exporter $CLIENT $KO"
exec selftests/qemu/run.sh --timeout "${NMB_GUEST_TIMEOUT:-600}" \
	"/usr/bin/python3 selftests/exporter/guest_test.py $args; a=\$?;
	 /usr/bin/python3 selftests/exporter/guest_server_test.py $args \
		$O/nmb-server; b=\$?; [ \$a = 0 ] && [ \$b = 0 ]"
