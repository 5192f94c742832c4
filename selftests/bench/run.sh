#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: runs every benchmark in the QEMU test bed (and the server
# load tool on the host), prints one table and writes it, with the kernel,
# the QEMU mode and the date, to Documentation/performance.rst. Figures
# are medians over NMB_BENCH_RUNS runs (default 7); ratios are taken
# within the same run. Each run of the server load tool is bounded by
# NMB_BENCH_LOAD_TIMEOUT seconds (default 300; a hang is a failed run,
# shown with the tool's last lines).
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${NMB_BENCH_RUNS:-7}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "# booting the QEMU test bed for the guest benchmarks"
NMB_BENCH_RUNS=$runs selftests/qemu/run.sh --timeout 1500 \
	selftests/bench/guest.sh | tee "$log"
for host in selftests/bench/host-*.sh; do
	[ -e "$host" ] || continue
	NMB_BENCH_RUNS=$runs "$host" | tee -a "$log"
done

kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 |
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
qemu=$(qemu-system-x86_64 --version | head -n1)
table=$(python3 selftests/bench/table.py < "$log")
echo "$table"

{
	cat <<HEAD
.. SPDX-License-Identifier: GPL-2.0

===========
Performance
===========

Written by \`\`make bench\`\` (selftests/bench/run.sh) on $(date -u +%Y-%m-%d).

- Kernel: Debian $kver, in QEMU under TCG (software emulation, -smp 2,
  no KVM), on a $(nproc)-core host. Absolute times are those of an emulated
  machine; the ratios, taken side by side in one run, are what carries
  over.
- QEMU: $qemu
- Each figure is the median over $runs runs unless its row says otherwise.

HEAD
	echo "$table"
} > Documentation/performance.rst
echo "# wrote Documentation/performance.rst"
