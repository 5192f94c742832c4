#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the Debian 13 (trixie) build root and kernel of `make deps-trixie`.
#
# Usage: trixie-root.sh DIR MIRROR PACKAGE...
#
# DIR/root: a Debian 13 root made by mmdebstrap with PACKAGEs (gcc, make,
# sparse, linux-headers-amd64): the module is built for Debian 13's
# kernel there, by Debian 13's compiler and kbuild tools. Nothing is
# installed into the host. DIR/kernel: the linux-image package of the
# version the root's linux-headers-amd64 depends on, unpacked (not
# installed), its modules indexed by depmod, the version in DIR/kernel/kver.
# Does nothing when both are there; `rm -rf DIR` first for a newer kernel.
# shellcheck disable=SC2016 # the hook's $ are for the hook's shells
set -euo pipefail

DIR=${1:?usage: trixie-root.sh DIR MIRROR PACKAGE...}
MIRROR=${2:?usage: trixie-root.sh DIR MIRROR PACKAGE...}
shift 2
[ $# -gt 0 ] || { echo "usage: trixie-root.sh DIR MIRROR PACKAGE..." >&2; exit 2; }
ROOT=$DIR/root
KERNEL=$DIR/kernel

if [ -s "$KERNEL/kver" ] &&
	[ -d "$ROOT/lib/modules/$(cat "$KERNEL/kver")/build" ]; then
	exit 0
fi
command -v mmdebstrap >/dev/null ||
	{ echo "deps-trixie: no mmdebstrap; make deps-host installs it" >&2; exit 1; }

rm -rf "$DIR"
mkdir -p "$DIR"
log=$DIR/mmdebstrap.log
echo "  DEPS   Debian 13 build root in $ROOT (about 700 MB, a few minutes)"
# The hook runs while the root still resolves names: fetch the image
# package of the headers' version there, and move it out.
hook='chroot "$1" sh -c '\''cd /tmp && v=$(dpkg-query -W -f="\${Depends}" '
hook+='linux-headers-amd64 | sed -n "s/^linux-headers-\([^ ,]*\).*/\1/p") && '
hook+='apt-get -qq download "linux-image-$v"'\'' && '
hook+='mv "$1"/tmp/linux-image-*.deb "$1/.."'
if ! mmdebstrap --mode=root --variant=apt --include="$(IFS=,; echo "$*")" \
	--customize-hook="$hook" trixie "$ROOT.tmp" "$MIRROR" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "deps-trixie: mmdebstrap of Debian 13 failed; see $log" >&2
	rm -rf "$ROOT.tmp"
	exit 1
fi
mv "$ROOT.tmp" "$ROOT"

debs=("$DIR"/linux-image-*.deb)
deb=${debs[0]}
[ -e "$deb" ] ||
	{ echo "deps-trixie: no linux-image package was fetched; see $log" >&2; exit 1; }
kver=$(dpkg-deb -f "$deb" Package)
kver=${kver#linux-image-}
[ -d "$ROOT/lib/modules/$kver/build" ] || {
	echo "deps-trixie: $deb is not the headers' version" \
		"($(ls "$ROOT/lib/modules"))" >&2
	exit 1
}
dpkg-deb -x "$deb" "$KERNEL.tmp"
# Debian 13 may ship modules under /usr/lib only.
if [ ! -d "$KERNEL.tmp/lib/modules" ] && [ -d "$KERNEL.tmp/usr/lib/modules" ]; then
	ln -s usr/lib "$KERNEL.tmp/lib"
fi
depmod -b "$KERNEL.tmp" "$kver"
echo "$kver" >"$KERNEL.tmp/kver"
rm -f "$deb"
mv "$KERNEL.tmp" "$KERNEL"
echo "  DEPS   Debian 13 kernel $kver in $KERNEL"
