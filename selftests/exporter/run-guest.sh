#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-guest.sh - nmb-exporter with the real nmb_watch module, USB/IP and
# a CDC-ACM gadget board in the QEMU guest, first against a fake hub, then
# against nmb-server as a separate host, then a dial-out place through
# the server's relay with exporter and agent behind NATs
# (guest_relay_test.py), then two nmb-agents behind one NAT address
# (per-reservation secrets, guest_nat_test.py). TAP. Runs inside the guest
# (selftests/run_all.sh boots it); `make check` builds the ASan exporter,
# server and import client. The module is kmod/nmb_watch.ko
# (NMB_WATCH_KO= to change).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}/asan
KO=${NMB_WATCH_KO:-kmod/nmb_watch.ko}
CLIENT=$O/selftests/exporter/import_client

for f in "$KO" "$O/nmb-exporter" "$O/nmb-server" "$O/nmb-agent" "$CLIENT"; do
	if [ ! -e "$f" ]; then
		echo "1..0 # SKIP $f is not built (make module userspace-asan)"
		exit 0
	fi
done
a=0
b=0
c=0
d=0
/usr/bin/python3 selftests/exporter/guest_test.py "$O/nmb-exporter" \
	"$CLIENT" "$KO" || a=$?
/usr/bin/python3 selftests/exporter/guest_server_test.py "$O/nmb-exporter" \
	"$CLIENT" "$KO" "$O/nmb-server" || b=$?
/usr/bin/python3 selftests/exporter/guest_relay_test.py "$O/nmb-exporter" \
	"$CLIENT" "$KO" "$O/nmb-server" "$O/nmb-agent" || c=$?
/usr/bin/python3 selftests/exporter/guest_nat_test.py "$O/nmb-exporter" \
	"$O/nmb-server" "$O/nmb-agent" || d=$?
[ $a = 0 ] && [ $b = 0 ] && [ $c = 0 ] && [ $d = 0 ]
