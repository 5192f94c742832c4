#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# evlib_test.sh - without libwebsockets' libuv event library
# (libwebsockets-evlib-uv), nmb-server, nmb-agent and nmb-exporter refuse
# to start and name the package; never a quiet fallback. The plugin is
# hidden in a private mount namespace only (unshare -m, root), so nothing
# else on the machine notices. TAP on stdout.
#
# Usage: selftests/server/evlib_test.sh BUILD_DIR WORKDIR
set -u
B=$1
W=$2
PLUGIN=$(ls /usr/lib/*/libwebsockets-evlib_uv.so 2>/dev/null | head -n1)
if [[ $(id -u) != 0 || -z $PLUGIN ]] || ! unshare -m true 2>/dev/null; then
	echo "1..0 # SKIP needs root, unshare -m and $PLUGIN"
	exit 0
fi
# libwebsockets 4.1.6 leaks its plugin directory listing when a plugin
# fails to load: not ours to report here.
export ASAN_OPTIONS=detect_leaks=0
cat >"$W/evlib-agent.yaml" <<CONF
server: ws://127.0.0.1:9
socket: $W/evlib-agent.sock
CONF
cat >"$W/evlib-exporter.yaml" <<CONF
server: ws://127.0.0.1:9
state_dir: $W
places:
  - name: evlib
    port: 9
    parts: []
CONF
n=0
failed=0
check() {
	local name=$1 out rc; shift

	out=$(timeout 10 unshare -m sh -c \
		'mount --bind /dev/null "$0" && exec "$@"' "$PLUGIN" "$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if ((rc != 0 && rc != 124)) &&
	   grep -q 'install the Debian package libwebsockets-evlib-uv' <<<"$out"; then
		echo "ok $n - $name refuses to start without the plugin (exit $rc)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name refuses to start without the plugin (exit $rc)"
		sed 's/^/# /' <<<"$out" | tail -n 10
	fi
}
check nmb-server "$B/nmb-server" --listen 127.0.0.1:9
check nmb-agent "$B/nmb-agent" -c "$W/evlib-agent.yaml"
check nmb-exporter "$B/nmb-exporter" -c "$W/evlib-exporter.yaml"
echo "1..$n"
((failed == 0))
