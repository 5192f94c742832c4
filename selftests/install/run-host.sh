#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installation, as TAP: `make install DESTDIR=...` puts every file where
# it belongs (the example import description in the docs, not /etc/nmb),
# the DKMS copy holds sources only and carries the version of VERSION,
# `make install` plus `dkms install` leaves one nmb_watch.ko, a tarball
# without git builds programs that print VERSION, and systemd-analyze
# verify accepts the units with the installed binaries and man pages.
set -u
cd "$(dirname "$0")/../.."

. selftests/lib/tap.sh

dest=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$dest" "$work"' EXIT
kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 |
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
version=$(cat VERSION)
dkmsdir=usr/src/nmb_watch-$version
moddir=lib/modules/$kver/updates/dkms

tap_plan 11

out=$(make -s install DESTDIR="$dest" 2>&1)
rc=$?
[ $rc = 0 ] || echo "$out" | tail -20 | sed 's/^/# /'
tap_result $rc "make install DESTDIR=... succeeds"

missing=
for f in usr/sbin/nmb-server usr/sbin/nmb-exporter usr/sbin/nmb-agent \
	usr/bin/nmbctl lib/systemd/system/nmb-server.service \
	lib/systemd/system/nmb-exporter.service \
	lib/systemd/system/nmb-agent.service \
	lib/systemd/system/nmb-agent.socket \
	usr/lib/modules-load.d/nmb.conf usr/lib/sysusers.d/nmb.conf \
	"$dkmsdir/dkms.conf" "$dkmsdir/kmod/main.c" \
	"$moddir/nmb_watch.ko" \
	etc/nmb/server.yaml etc/nmb/exporter.yaml etc/nmb/agent.yaml \
	usr/share/doc/nmb/examples/demo.yaml \
	usr/share/doc/nmb/examples/exporter.yaml \
	usr/share/man/man1/nmbctl.1 usr/share/man/man8/nmb-server.8 \
	usr/share/man/man8/nmb-exporter.8 usr/share/man/man8/nmb-agent.8 \
	usr/share/man/man5/nmb.yaml.5 \
	usr/share/bash-completion/completions/nmbctl; do
	[ -e "$dest/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] || echo "# missing:$missing"
[ -z "$missing" ]
tap_result $? "every binary, unit, module, config example, man page is installed"

# /etc/nmb holds the three configurations and nothing else: the import
# description is an example for users, not a setting of the machine.
extra=$(cd "$dest/etc/nmb" &&
	ls | grep -vx -e server.yaml -e exporter.yaml -e agent.yaml)
[ -z "$extra" ] || echo "# in /etc/nmb besides the configurations: $extra"
[ -z "$extra" ]
tap_result $? "/etc/nmb holds only server, exporter and agent.yaml"

grep -q nmb_watch "$dest/lib/modules/$kver/modules.dep" 2>/dev/null
tap_result $? "depmod ran on the installed module"

# nmb-server.service runs as a dynamic user: it must be able to read it.
mode=$(stat -c %a "$dest/etc/nmb/server.yaml" 2>/dev/null)
[ "$mode" = 644 ]
tap_result $? "server.yaml is readable by the server's dynamic user (mode $mode)"

# DKMS: the version of VERSION, in dkms.conf and the folder name, and the
# repository's dkms.conf says the same.
inst=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$dest/$dkmsdir/dkms.conf" 2>/dev/null)
repo=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
echo "# VERSION $version, installed dkms.conf '$inst', repository '$repo'"
[ "$inst" = "$version" ] && [ "$repo" = "$version" ]
tap_result $? "DKMS PACKAGE_VERSION and folder name are VERSION ($version)"

# The DKMS copy ships sources only: exactly the files the module is
# built from, even after a build in the tree (kmod/nmb_watch.mod.c, ...).
want=$( (echo Makefile; echo dkms.conf; echo Kbuild
	echo include/uapi/linux/nmb_watch.h; echo kmod/Kbuild
	ls kmod/*.c kmod/*.h | grep -v '\.mod\.c$') | sort)
have=$(cd "$dest/$dkmsdir" 2>/dev/null && find . -type f | sed 's|^\./||' | sort)
[ "$want" = "$have" ] || diff <(echo "$want") <(echo "$have") | sed 's/^/# /'
[ -e kmod/nmb_watch.mod.c ] || echo "# kmod/nmb_watch.mod.c absent: build the module first for a stronger check"
[ "$want" = "$have" ]
tap_result $? "the DKMS source copy holds sources only, no build output"

# make install, then dkms add/build/install into the same tree: one
# module, where both put it. No signing key is made (sign_file unset).
if command -v dkms >/dev/null; then
	mkdir -p "$dest/var/lib/dkms"
	T=(--dkmstree "$dest/var/lib/dkms" --sourcetree "$dest/usr/src"
	   --installtree "$dest/lib/modules")
	out=$( (export sign_file=/nonexistent
		dkms "${T[@]}" add "nmb_watch/$version" &&
		dkms "${T[@]}" build "nmb_watch/$version" -k "$kver" &&
		dkms "${T[@]}" install --no-depmod --force \
			"nmb_watch/$version" -k "$kver") 2>&1)
	rc=$?
	# "Cleaning build area...(bad exit status: 2)": the DKMS copy's
	# make clean failed
	if echo "$out" | grep -q 'bad exit status'; then
		echo "$out" | grep 'bad exit status' | sed 's/^/# /'
		rc=1
	fi
	[ $rc = 0 ] || echo "$out" | tail -15 | sed 's/^/# /'
	mods=$(cd "$dest" && find lib/modules -name 'nmb_watch.ko*')
	echo "# after make install + dkms install: ${mods//$'\n'/ }"
	[ $rc = 0 ] && [ "$mods" = "$moddir/nmb_watch.ko" ]
	tap_result $? "make install plus dkms add, build (clean too) and install leave one nmb_watch.ko ($moddir)"
else
	tap_result 1 "make install plus dkms install leaves one module: dkms missing (make deps)"
fi

# A tarball of the tree (the working tree's tracked files, as committed
# or not) builds without git, and every program prints VERSION.
rev=$(git stash create 2>/dev/null); rev=${rev:-HEAD}
if git archive --prefix=nmb/ "$rev" | tar -x -C "$work" 2>/dev/null; then
	# CFLAGS from the environment: appended to, not replacing, the
	# makefile's flags; -O0 as the build is only run for --version.
	out=$(cd "$work/nmb" && GIT_CEILING_DIRECTORIES="$work" CFLAGS=-O0 \
		make -s -j2 -f userspace.mk O=b b/nmb-server \
		b/nmb-exporter b/nmb-agent b/nmbctl 2>&1)
	rc=$?
	[ $rc = 0 ] || echo "$out" | tail -10 | sed 's/^/# /'
	bad=
	for p in nmb-server nmb-exporter nmb-agent nmbctl; do
		v=$("$work/nmb/b/$p" --version 2>&1)
		[ "$v" = "$p $version" ] || bad="$bad [$p: '$v']"
	done
	[ -z "$bad" ] || echo "# wrong --version:$bad"
	[ $rc = 0 ] && [ -z "$bad" ] && [ ! -e "$work/nmb/.git" ]
	tap_result $? "a git archive builds without git; every --version says $version"
else
	tap_result 1 "git archive of the tree"
fi

# Verify the units as installed, with ExecStart pointing into DESTDIR
# and man pages looked up there.
units=$(mktemp -d)
for u in "$dest"/lib/systemd/system/nmb-*; do
	sed "s|/usr/sbin/|$dest/usr/sbin/|" "$u" > "$units/$(basename "$u")"
done
out=$(cd "$units" && MANPATH="$dest/usr/share/man" SYSTEMD_LOG_LEVEL=notice \
	systemd-analyze verify --man=yes ./nmb-*.service ./nmb-*.socket 2>&1)
rc=$?
[ -z "$out" ] || { echo "$out" | sed 's/^/# /'; rc=1; }
tap_result $rc "systemd-analyze verify accepts the units"

# Hardening: the exporter and agent units carry the server's system call
# filter and the settings below, and their systemd-analyze exposure figure
# (lower is better; printed for the log) stays at or under 3.5. Before
# this hardening both were 5.0; the server's is the reference.
worst=0 lacks=
for u in "$units"/nmb-*.service; do
	line=$(systemd-analyze security --offline=yes "$u" 2>/dev/null |
		grep -o 'Overall exposure level for .*')
	echo "# $line"
	fig=$(echo "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
	[ -n "$fig" ] || fig=10
	worst=$(echo "$fig $worst" | awk '{print ($1 > $2) ? $1 : $2}')
	for k in SystemCallFilter=@system-service RestrictSUIDSGID=yes \
		ProtectProc=invisible UMask=0077 WatchdogSec=; do
		case $u in *server*) [ $k = RestrictSUIDSGID=yes ] && continue ;; esac
		grep -q "^$k" "$u" || lacks="$lacks $(basename "$u"):$k"
	done
done
rm -rf "$units"
[ -z "$lacks" ] || echo "# lacking:$lacks"
awk -v w="$worst" 'BEGIN { exit !(w <= 3.5) }' && [ -z "$lacks" ]
tap_result $? "units hardened: filter, SUID/SGID, /proc, umask, watchdog; exposure <= 3.5 (worst $worst)"
[ "$TAP_FAILED" = 0 ]
