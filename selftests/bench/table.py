#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Turns "bench NAME key=value ... unit=U" lines on stdin into an RST table.
import sys

DESCRIPTIONS = {
    "detect_nmb": "Detection, nmb_watch: plug to event, device on usbip-host",
    "detect_uevent": "Detection, udev style: plug to uevent + bind done",
    "detect_ratio": "Detection ratio nmb / udev style",
    "detect_tail_nmb": "Detection, nmb_watch: device added to bound",
    "detect_tail_uevent": "Detection, udev style: uevent to bind done",
    "detect_tail_ratio": "Detection ratio, add to bound, nmb / udev",
}

rows = []
for line in sys.stdin:
    parts = line.split()
    if len(parts) < 2 or parts[0] != "bench":
        continue
    fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    value = fields.get("median", fields.get("value", "?"))
    extra = ", ".join("%s %s" % (k, v) for k, v in fields.items()
                      if k in ("min", "max", "n"))
    rows.append((DESCRIPTIONS.get(parts[1], parts[1]),
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
