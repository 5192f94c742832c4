# SPDX-License-Identifier: GPL-2.0
# guest-relay-tls.sh - sourced by selftests/bench/guest.sh in the QEMU
# guest: relay_bench.py (host-relay.sh's figures) again where the
# kernel's tls module can be loaded, so that the TLS relay runs on kTLS
# (rows "guest_relay_tls_*_ktls"): TCP through the relay plain and over
# TLS against direct, the server's CPU per GB and read/write bytes per
# byte. NMB_BENCH_GUEST_RELAY_MIB MiB per transfer (default 32), bounded
# to 600 s. The bench's agent is a Python ssl client: the server splices
# between two kTLS sockets, and the exporter's end is kTLS too.
echo "# relay over TLS with kTLS (guest)"
if modprobe tls; then
	NMB_BENCH_PREFIX=guest_ NMB_BENCH_TLS_AGENT=1 timeout --kill-after=10 600 \
		/usr/bin/python3 selftests/bench/relay_bench.py \
		"$build/nmb-server" "$build/nmb-exporter" "$runs" \
		"${NMB_BENCH_GUEST_RELAY_MIB:-32}" ||
		echo "# guest relay bench failed (exit $?)"
else
	echo "# guest relay bench: no tls module; no rows"
fi
