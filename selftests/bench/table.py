#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Turns "bench NAME key=value ... unit=U" lines on stdin into an RST table.
import sys

DESCRIPTIONS = {
    "attach_nmb_relay": "Attach, nmb, dial-out place through the server relay",
    "attach_relay_ratio": "Attach ratio relayed / direct",
    "rtt_nmb_relay": "CDC-ACM 1-byte echo round trip, nmb through the relay",
    "rtt_relay_ratio": "Echo round trip ratio relayed / direct",
    "bulk_nmb_relay": "Bulk read through nmb and the server relay: dd 1 MiB",
    "bulk_relay_ratio": "Bulk ratio relayed / direct nmb (target >= 0.9)",
    "bulk_relay_cpu_per_gb": "Bulk through the relay: server CPU per GB",
    "bulk_relay_rwchar_per_byte":
        "Bulk through the relay: server read()/write() bytes per byte",
    "relay_tcp_direct": "TCP through a place's proxy, direct (host loopback)",
    "relay_tcp_relayed": "TCP through a dial-out place: server relay + proxy",
    "relay_tcp_ratio": "TCP throughput ratio relayed / direct",
    "relay_cpu_per_gb": "Server CPU (user + system) per relayed GB",
    "relay_rwchar_per_byte": "Server read()/write() bytes per relayed byte",
    "relay_splice_calls_64m": "Server splice() calls relaying 64 MiB (strace)",
    "relay_copy_calls_64m": "Server read/write/recv/send calls, same 64 MiB",
    "relay_tls_tcp_relayed_ktls":
        "TCP through the relay over TLS, kTLS both sides (spliced)",
    "relay_tls_tcp_ratio_ktls":
        "TCP ratio relayed over kTLS / direct",
    "relay_tls_cpu_per_gb_ktls":
        "Server CPU per relayed GB, kTLS both sides",
    "relay_tls_rwchar_per_byte_ktls":
        "Server read()/write() bytes per relayed byte, kTLS",
    "relay_tls_tcp_relayed_userspace_tls":
        "TCP through the relay over TLS, user-space TLS pump",
    "relay_tls_tcp_ratio_userspace_tls":
        "TCP ratio relayed TLS (user-space pump) / direct",
    "relay_tls_cpu_per_gb_userspace_tls":
        "Server CPU per relayed GB, TLS in user space",
    "relay_tls_rwchar_per_byte_userspace_tls":
        "Server read()/write() bytes per relayed byte, user-space TLS",
    "tcp_mbps_tunnel_1g": "TCP through the nmb tunnel, 1 Gbit/s link: throughput",
    "tcp_mbps_direct_1g": "TCP direct to the target, 1 Gbit/s link: throughput",
    "tcp_ratio_1g": "TCP throughput ratio tunnel / direct, 1 Gbit/s link",
    "detect_nmb": "Detection, nmb_watch: plug to event, device on usbip-host",
    "detect_uevent": "Detection, udev style: plug to uevent + bind done",
    "detect_ratio": "Detection ratio nmb / udev style",
    "detect_tail_nmb": "Detection, nmb_watch: device added to bound",
    "detect_tail_uevent": "Detection, udev style: uevent to bind done",
    "detect_tail_ratio": "Detection ratio, add to bound, nmb / udev",
    "attach_nmb": "Attach, nmb: nmbctl attach (reserve + attach) to tty opens",
    "attach_usbip": "Attach, usbip: usbip attach to tty opens",
    "attach_ratio": "Attach ratio nmb / usbip (target <= 1.2)",
    "attach_nmb_reserve": "Attach, nmb, split: nmbctl reserve alone",
    "attach_nmb_reserved": "Attach, nmb, split: attach of a reserved place",
    "attach_reserved_ratio": "Attach ratio, reserved place nmb / usbip",
    "reattach": "Re-attach, nmb: gadget replug to tty opens, same vhci port",
    "bulk_local": "Bulk read, local dummy_hcd: dd O_DIRECT 1 MiB",
    "bulk_usbip": "Bulk read through usbip: dd O_DIRECT 1 MiB",
    "bulk_nmb": "Bulk read through nmb: dd O_DIRECT 1 MiB",
    "bulk_ratio": "Bulk ratio nmb / usbip (target >= 0.95)",
    "rtt_nmb": "CDC-ACM 1-byte echo round trip, nmb (median per run)",
    "rtt_usbip": "CDC-ACM 1-byte echo round trip, usbip (median per run)",
    "rtt_ratio": "Echo round trip ratio nmb / usbip",
    "tcp_mbps_tunnel": "TCP through the nmb tunnel: throughput",
    "tcp_mbps_direct": "TCP direct to the target: throughput",
    "tcp_ratio": "TCP throughput ratio tunnel / direct (target >= 0.8)",
    "tcp_connect_tunnel": "TCP through the nmb tunnel: connect to 1st byte",
    "tcp_connect_direct": "TCP direct: connect to first byte",
    "tcp_connect_ratio": "TCP connect ratio tunnel / direct",
    "py_first_prompt": "Python: Agent.attach (reserve + attach) to the "
        "board's shell prompt, as the pytest fixture",
    "echo_console": "Console 1-byte echo round trip, nmbctl console",
    "echo_picocom": "Console 1-byte echo round trip, picocom, same tty",
    "echo_console_ratio": "Console echo ratio nmbctl console / picocom",
    "server_cycles_1": "Server: reserve+return cycles, 1 agent (host)",
    "server_cycles_10": "Server: reserve+return cycles, 10 agents (host)",
    "server_cycles_100": "Server: reserve+return cycles, 100 agents (host)",
    "server_reserve_contended_p50":
        "Server: time to reserve, 50 agents on 5 places, p50",
    "server_reserve_contended_p99":
        "Server: time to reserve, 50 agents on 5 places, p99",
    "server_rss_per_idle_conn":
        "Server: RSS per idle WebSocket connection, at 10,000",
    "server_idle_held": "Server: idle WebSocket connections held",
    "virtual_reserve_prompt":
        "Virtual Pi 3B (host, TCG): grant to console prompt",
    "virtual_cycle_prompt": "Virtual Pi 3B: power CYCLE to console prompt",
    "virtual_rss": "Virtual Pi 3B: RSS of one board's QEMU at its prompt",
    "virtual_echo_1": "Virtual Pi 3B: console echo, 1 board running",
    "virtual_echo_2": "Virtual Pi 3B: console echo (worst board), 2 boards",
    "virtual_echo_3": "Virtual Pi 3B: console echo (worst board), 3 boards",
    "virtual_echo_4": "Virtual Pi 3B: console echo (worst board), 4 boards",
    "virtual_boards_100ms":
        "Virtual Pi 3B: boards with console echo under 100 ms",
    "web_rss_per_page": "Server: RSS per open farm page, 100 pages (host)",
    "web_fds_per_page": "Server: descriptors per open farm page, 100 pages",
    "web_snapshot_bytes": "Server: one farm snapshot, 20 places",
    "web_fanout_p50": "Server: reservation seen by all 100 pages, p50",
    "web_fanout_p99": "Server: reservation seen by all 100 pages, p99",
    "web_cpu_per_change": "Server: CPU time per change, 100 pages",
    "hub_loopback_transit":
        "Hub latency: loopback transit taken out (host), median",
}
for _path, _text in (("ktls", "kernel TLS"), ("userspace_tls",
                                               "user-space TLS")):
    DESCRIPTIONS["bulk_nmb_relay_tls_" + _path] = (
        "Bulk read through nmb and the relay over %s" % _text)
    DESCRIPTIONS["bulk_relay_tls_ratio_" + _path] = (
        "Bulk ratio relayed over %s / direct nmb" % _text)
    DESCRIPTIONS["bulk_relay_tls_%s_cpu_per_gb" % _path] = (
        "Bulk through the relay over %s: server CPU per GB" % _text)
    DESCRIPTIONS["bulk_relay_tls_%s_rwchar_per_byte" % _path] = (
        "Bulk, relay over %s: server read()/write() bytes per byte"
        % _text)
for _who in ("agent", "exporter"):
    for _kind, _text in (("", "ws"), ("_tls", "wss"),
                         ("_tls_burst", "wss, 2 messages at once")):
        for _when, _note in (("", ""), ("_before", ", before issue 10")):
            for _q in ("p50", "p99"):
                DESCRIPTIONS["hub_latency_%s%s_%s%s" % (
                    _who, _kind, _q, _when)] = (
                    "Hub message arrival to its handling, %s, %s, %s%s"
                    % (_who, _text, _q, _note))
            DESCRIPTIONS["hub_rtt_%s%s_p99%s" % (_who, _kind, _when)] = (
                "Hub round trip incl. loopback, %s, %s, p99%s"
                % (_who, _text, _note))

rows = []
for line in sys.stdin:
    parts = line.split()
    if len(parts) < 2 or parts[0] != "bench":
        continue
    fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    value = fields.get("median", fields.get("value", "?"))
    extra = ", ".join("%s %s" % (k, v) for k, v in fields.items()
                      if k in ("min", "max", "n"))
    name = parts[1]
    where = ""
    if name.startswith("guest_") and name[6:] in DESCRIPTIONS:
        name, where = name[6:], " (QEMU guest)"
    rows.append((DESCRIPTIONS.get(name, name) + where,
                 "%s %s" % (value, fields.get("unit", "")), extra))

head = ("Benchmark", "Median", "Spread")
widths = [max(len(r[i]) for r in rows + [head]) for i in range(3)]
rule = "  ".join("=" * w for w in widths)
print(rule)
print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
print(rule)
for r in rows:
    print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
print(rule)
