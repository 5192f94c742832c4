#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the QEMU guest's initramfs: busybox, the 9p modules and our init.
#
# Usage: mkinitramfs.sh KVER OUTPUT [MODDIR]
#
# Only what is needed to mount the host root over virtio-9p goes in; the
# guest chroots into the host root and loads every other module from
# MODDIR/KVER (default /lib/modules; a kernel package unpacked under
# build/ has its own, BASE/lib/modules). The modules are resolved from
# their `depends` field (modinfo -k) and indexed with depmod -b, so busybox
# modprobe loads them in the right order. Compressed modules (.ko.xz,
# .ko.zst) go in uncompressed: busybox modprobe need not know the format.
set -euo pipefail

KVER=${1:?usage: mkinitramfs.sh KVER OUTPUT}
OUT=${2:?usage: mkinitramfs.sh KVER OUTPUT}
MODDIR=${3:-/lib/modules}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT_MODULES=(virtio_pci 9pnet_virtio 9p)
BUSYBOX=$(command -v busybox || true)

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

[ -x /bin/busybox ] && BUSYBOX=/bin/busybox
[ -n "$BUSYBOX" ] || die "busybox not found; apt-get install busybox-static"
case $(ldd "$BUSYBOX" 2>&1 || true) in
*"not a dynamic"*) ;;
*) die "$BUSYBOX is not static; apt-get install busybox-static" ;;
esac
case $MODDIR in
*/lib/modules) BASE=${MODDIR%/lib/modules} ;;
*) die "$MODDIR: the modules folder must end in /lib/modules" ;;
esac
[ -d "$MODDIR/$KVER/kernel" ] ||
	die "no $MODDIR/$KVER; make deps installs or unpacks that kernel"
modinfo_k=(modinfo -k "$KVER")
[ -z "$BASE" ] || modinfo_k+=(-b "$BASE")

STAGE=$(mktemp -d "${OUT}.stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

mkdir -p "$STAGE"/{bin,dev,proc,sys,host,tmp} "$STAGE/lib/modules/$KVER"
cp "$BUSYBOX" "$STAGE/bin/busybox"
for applet in $("$BUSYBOX" --list); do
	[ -e "$STAGE/bin/$applet" ] || ln -s busybox "$STAGE/bin/$applet"
done
install -m 0755 "$HERE/init" "$STAGE/init"
# The kernel runs its module loader (request_module: `ip link add type
# veth`, configfs functions, ...) in init's root, this initramfs: hand
# the request to the host's kmod in the chroot.
printf '#!/bin/sh\nexec /bin/chroot /host /sbin/modprobe "$@"\n' \
	>"$STAGE/bin/host-modprobe"
chmod 0755 "$STAGE/bin/host-modprobe"

# Walk the dependency graph breadth first; `seen` guards against cycles.
declare -A seen=()
queue=("${ROOT_MODULES[@]}")
while [ ${#queue[@]} -gt 0 ]; do
	mod=${queue[0]}
	queue=("${queue[@]:1}")
	[ -n "${seen[$mod]:-}" ] && continue
	seen[$mod]=1
	file=$("${modinfo_k[@]}" -F filename "$mod") ||
		die "module $mod not found for $KVER in $MODDIR"
	[ "$file" = "(builtin)" ] && continue
	dest="$STAGE/lib/modules/$KVER/${file#"$MODDIR/$KVER"/}"
	mkdir -p "$(dirname "$dest")"
	case $file in
	*.ko.xz) xz -d -c "$file" >"${dest%.xz}" ;;
	*.ko.zst) zstd -q -d -c "$file" >"${dest%.zst}" ;;
	*.ko.gz) gzip -d -c "$file" >"${dest%.gz}" ;;
	*) cp "$file" "$dest" ;;
	esac
	deps=$("${modinfo_k[@]}" -F depends "$mod")
	IFS=, read -r -a more <<<"$deps"
	queue+=("${more[@]}")
done
cp "$MODDIR/$KVER/modules.builtin" \
	"$MODDIR/$KVER/modules.builtin.modinfo" \
	"$MODDIR/$KVER/modules.order" "$STAGE/lib/modules/$KVER/"
depmod -b "$STAGE" "$KVER"

(cd "$STAGE" && find . -print0 | sort -z |
	cpio --null -o -H newc --quiet --reproducible) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT ($(du -k "$OUT" | cut -f1) KiB," \
	"modules: ${!seen[*]})" >&2
