#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ktls-probe.sh - issue 13 item 4: does USB/IP run over kernel TLS on
# Debian 12 (6.1, CONFIG_TLS=m, OpenSSL 3.0)? Boots the QEMU test bed and,
# in it, runs build/selftests/bench/ktls_probe: a TLS 1.2 and a TLS 1.3
# handshake with SSL_OP_ENABLE_KTLS (which directions OpenSSL moved into
# the kernel), then a CDC-ACM gadget bound to usbip-host and imported on
# vhci-hcd over the kTLS TLS 1.2 connection, and serial bytes both ways.
# Prints "ktls: ..." lines. Not part of make check; see
# Documentation/nmb-server.rst, "Relay and TLS".
set -euo pipefail
cd "$(dirname "$0")/../.."

probe=build/selftests/bench/ktls_probe
if [ -z "${NMB_GUEST:-}" ]; then
	[ -x "$probe" ] || { echo "ktls: $probe not built (make userspace)"; exit 1; }
	exec selftests/qemu/run.sh --timeout 300 "$0"
fi

. selftests/lib/gadget.sh
tmp=$(mktemp -d)
modprobe -a tls usbip-host vhci-hcd cdc-acm
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" \
	-out "$tmp/crt.pem" -days 1 -subj /CN=localhost 2>/dev/null
echo "ktls: $("$probe" -c "$tmp/crt.pem" -k "$tmp/key.pem")"
echo "ktls: $("$probe" -3 -c "$tmp/crt.pem" -k "$tmp/key.pem")"
gadget_setup 1
gadget_acm board1
gadget_plug board1 dummy_udc.0
wait_for -t 20 gadget_busid dummy_udc.0 >/dev/null
busid=$(gadget_busid dummy_udc.0)
usbip bind -b "$busid" >/dev/null 2>&1	# Debian's usbip tools
"$probe" -c "$tmp/crt.pem" -k "$tmp/key.pem" -b "$busid" | sed 's/^/ktls: /' &
wait_for -t 20 test -e /dev/ttyACM0
echo "ktls: usbip_status $(cat "/sys/bus/usb/devices/$busid/usbip_status"), vhci: $(sed -n 2p /sys/devices/platform/vhci_hcd.0/status)"
/usr/bin/python3 -c '
import sys; sys.path.insert(0, "selftests/lib")
from nmbtest import serial_round_trip
print("ktls: serial bytes both ways over usbip on kTLS:",
      serial_round_trip("/dev/ttyACM0"))'
