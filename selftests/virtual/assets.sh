#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# assets.sh - the emulated Raspberry Pi's guest, from Debian packages only:
# Debian's arm64 kernel and its bcm2837-rpi-3-b.dtb (apt-get download,
# unpacked, never installed) and an initramfs built from busybox-static:arm64
# whose init gives a login shell on ttyAMA0 and runs the GPIO shim on the
# second UART (the mini UART, ttyS1). Also a 64 MiB raw base disk. The
# dtb loses its Bluetooth node (fdtput, device-tree-compiler) so that the
# first UART is a tty.
#
# Usage: assets.sh OUTDIR     (make deps: OUTDIR=build/virtual)
#
# Writes OUTDIR/vmlinuz, OUTDIR/bcm2837-rpi-3-b.dtb, OUTDIR/initramfs.gz,
# OUTDIR/disk.img. Nothing is done when they exist and were made from the
# same guest sources (their SHA-256 sums in OUTDIR/sources.sha256: a fresh
# clone's new file times alone do not rebuild them). Needs root for dpkg
# --add-architecture / apt-get update.
set -euo pipefail

OUT=${1:?usage: assets.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
MODULES=(sdhci sdhci-pltfm sdhci-iproc bcm2835)

die() {
	echo "assets.sh: $*" >&2
	exit 1
}

# The SHA-256 sums of what the assets are made from.
sources() {
	(cd "$HERE" && sha256sum assets.sh guest/*)
}

fresh() {
	local f

	for f in vmlinuz bcm2837-rpi-3-b.dtb initramfs.gz disk.img; do
		[ -s "$OUT/$f" ] || return 1
	done
	[ "$(sources)" = "$(cat "$OUT/sources.sha256" 2>/dev/null)" ]
}

fresh && exit 0
command -v fdtput >/dev/null ||
	die "fdtput not found; apt-get install device-tree-compiler"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -qq
fi
kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
	apt-get update -qq
	kpkg=$(apt-cache depends linux-image-arm64:arm64 |
		sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -n1)
fi
[ -n "$kpkg" ] || die "no linux-image-arm64:arm64 in the package lists"
kver=${kpkg#linux-image-}

STAGE=$(mktemp -d "$OUT/.stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
(cd "$STAGE" && apt-get download -q "$kpkg:arm64" busybox-static:arm64 \
	>/dev/null 2>&1) ||
	die "apt-get download $kpkg:arm64 busybox-static:arm64 failed"
mkdir "$STAGE/k" "$STAGE/bb" "$STAGE/root"
dpkg-deb -x "$STAGE"/linux-image-*.deb "$STAGE/k"
dpkg-deb -x "$STAGE"/busybox-static_*.deb "$STAGE/bb"
dtb=$(find "$STAGE/k" -name bcm2837-rpi-3-b.dtb | head -n1)
[ -n "$dtb" ] || die "$kpkg has no broadcom/bcm2837-rpi-3-b.dtb"

R=$STAGE/root
mkdir -p "$R"/{bin,dev,proc,sys,tmp,etc,root,mnt} "$R/lib/modules/$kver"
cp "$STAGE/bb/bin/busybox" "$R/bin/busybox"
for a in sh mount umount mkdir cat echo sleep ls uname dd grep stty \
	 modprobe poweroff reboot init setsid cttyhack hostname head \
	 tr sed read rm mdev; do
	ln -sf busybox "$R/bin/$a"
done
ln -sf bin/busybox "$R/init"
ln -sf ../bin/busybox "$R/bin/getty"
install -m 0755 "$HERE/guest/init" "$R/etc/rcS"
install -m 0755 "$HERE/guest/gpio-shim" "$R/bin/gpio-shim"
install -m 0755 "$HERE/guest/gpio" "$R/bin/gpio"
cat >"$R/etc/inittab" <<'TAB'
::sysinit:/etc/rcS
::respawn:/bin/gpio-shim /dev/ttyS1
::respawn:-/bin/sh
TAB
# init's stdio and the shell's: the kernel console, ttyAMA0 (append)
mknod -m 600 "$R/dev/console" c 5 1
echo 'PS1="rpi:\w# "; export PS1' >"$R/etc/profile"
for m in "${MODULES[@]}"; do
	f=$(find "$STAGE/k/lib/modules/$kver" -name "$m.ko" | head -n1)
	[ -n "$f" ] || die "$kpkg has no $m.ko"
	mkdir -p "$R/lib/modules/$kver/$(dirname "${f#"$STAGE/k/lib/modules/$kver/"}")"
	cp "$f" "$R/lib/modules/$kver/${f#"$STAGE/k/lib/modules/$kver/"}"
done
cp "$STAGE/k/lib/modules/$kver/modules.order" "$R/lib/modules/$kver/"
for f in modules.builtin modules.builtin.modinfo; do
	cp "$STAGE/k/lib/modules/$kver/$f" "$R/lib/modules/$kver/"
done
depmod -b "$R" "$kver"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -9) >"$STAGE/initramfs.gz"

cp "$STAGE"/k/boot/vmlinuz-* "$OUT/vmlinuz"
cp "$dtb" "$STAGE/board.dtb"
# The PL011 (ttyAMA0) has the Bluetooth chip as a serdev child: Linux then
# makes no tty of it and the console takes no input. Drop that node.
for s in $(fdtget -l "$STAGE/board.dtb" /soc | grep '^serial@'); do
	if fdtget -l "$STAGE/board.dtb" "/soc/$s" | grep -qx bluetooth; then
		fdtput -r "$STAGE/board.dtb" "/soc/$s/bluetooth"
	fi
done
mv "$STAGE/board.dtb" "$OUT/bcm2837-rpi-3-b.dtb"
mv "$STAGE/initramfs.gz" "$OUT/initramfs.gz"
# raspi3b wants an SD card whose size is a power of 2.
[ -s "$OUT/disk.img" ] || truncate -s 64M "$OUT/disk.img"
sources >"$OUT/sources.sha256"
echo "  VIRT   $OUT: $kpkg, busybox-static:arm64"
