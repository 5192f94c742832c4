# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# netns.sh: separate "hosts" in one guest, network namespaces joined by veth.
#
# Source it from a bash test running as root (in the QEMU guest):
#
#	. selftests/lib/netns.sh
#	trap ns_cleanup EXIT
#	ns_lan server exporter1 exporter2
#	ns_exec server nmb-server ... &
#	ns_ping exporter1 "$(ns_addr server)"
#	ns_cleanup && ns_leftovers      # everything made is gone again
#
# ns_lan HOST...: a star around a bridge, a LAN the hosts share. HOST number
# i (from 1, in argument order) gets 198.18.0.i/24 on its eth0.
#
#                 +-------------------- lan --------------------+
#                 |  br0 (no address)                           |
#                 |  lan1          lan2          ...   lanN     |
#                 +---|-------------|-------------------|-------+
#                     | veth        | veth              | veth
#             +-------|----+ +------|-----+      +------|-----+
#             | eth0       | | eth0       |      | eth0       |
#             | 198.18.0.1 | | 198.18.0.2 | ...  | 198.18.0.N |
#             +-- HOST1 ---+ +-- HOST2 ---+      +-- HOSTN ---+
#
# ns_pair A B: two hosts and one cable, 198.18.1.1/24 (A) - 198.18.1.2/24 (B).
#
#             +-- A ------------+   veth   +-- B ------------+
#             | eth0 198.18.1.1 |----------| eth0 198.18.1.2 |
#             +-----------------+          +-----------------+
#
# Every namespace has lo up. Namespace names get the prefix $NS_PREFIX
# (default "nmb-") so `ip netns` shows whose they are; the functions take
# the short names. All addresses are in 198.18.0.0/15 (RFC 2544), so
# nothing here can be mistaken for a real network.

NS_PREFIX=${NS_PREFIX:-nmb-}
NS_CREATED=()
declare -gA NS_ADDR=()

ns_err() {
	echo "netns: $*" >&2
	return 1
}

# ns_create NAME: an empty namespace with lo up.
ns_create() {
	ip netns add "$NS_PREFIX$1" ||
		ns_err "cannot create namespace $NS_PREFIX$1" || return
	NS_CREATED+=("$1")
	ip -n "$NS_PREFIX$1" link set lo up
}

# ns_exec NAME CMD [ARGS...]: run CMD inside namespace NAME.
ns_exec() {
	local ns=$1

	shift
	ip netns exec "$NS_PREFIX$ns" "$@"
}

# ns_ping NS ADDR: one ping from NS to ADDR, 2 s to answer; iputils' ping
# when installed, busybox's otherwise.
ns_ping() {
	local ping=(ping)

	command -v ping >/dev/null || ping=(busybox ping)
	ns_exec "$1" "${ping[@]}" -c 1 -W 2 "$2" >/dev/null
}

# ns_addr NAME: the address NAME got from ns_lan or ns_pair.
ns_addr() {
	[ -n "${NS_ADDR[$1]:-}" ] || ns_err "no address for $1" || return
	echo "${NS_ADDR[$1]}"
}

# ns_link A ADDR_A B ADDR_B [IF_A [IF_B]]: a veth pair between A and B
# with the given addresses (ADDR with its prefix length, or "" for none)
# and interface names (default eth0).
ns_link() {
	local a=$NS_PREFIX$1 b=$NS_PREFIX$3 ifa=${5:-eth0} ifb=${6:-eth0}
	local tmp=nmbv$$

	ip link add "${tmp}a" netns "$a" type veth \
		peer name "${tmp}b" netns "$b" ||
		ns_err "cannot create veth between $1 and $3" || return
	ip -n "$a" link set "${tmp}a" name "$ifa" &&
	ip -n "$b" link set "${tmp}b" name "$ifb" || return
	if [ -n "$2" ]; then
		ip -n "$a" addr add "$2" dev "$ifa" || return
	fi
	if [ -n "$4" ]; then
		ip -n "$b" addr add "$4" dev "$ifb" || return
	fi
	ip -n "$a" link set "$ifa" up && ip -n "$b" link set "$ifb" up
}

# ns_pair A B: see the header.
ns_pair() {
	ns_create "$1" && ns_create "$2" &&
	ns_link "$1" 198.18.1.1/24 "$2" 198.18.1.2/24 || return
	NS_ADDR[$1]=198.18.1.1
	NS_ADDR[$2]=198.18.1.2
}

# ns_lan HOST...: see the header (at most 253 hosts).
ns_lan() {
	local i=0 host

	ns_create lan || return
	ip -n "${NS_PREFIX}lan" link add br0 type bridge &&
	ip -n "${NS_PREFIX}lan" link set br0 up ||
		ns_err "cannot create the bridge in ${NS_PREFIX}lan" || return
	for host in "$@"; do
		i=$((i + 1))
		ns_create "$host" &&
		ns_link "$host" "198.18.0.$i/24" lan "" eth0 "lan$i" &&
		ip -n "${NS_PREFIX}lan" link set "lan$i" master br0 || return
		NS_ADDR[$host]=198.18.0.$i
	done
}

# ns_cleanup: kill what runs in our namespaces, delete them (newest first).
ns_cleanup() {
	local i ns pids rc=0

	for ((i = ${#NS_CREATED[@]} - 1; i >= 0; i--)); do
		ns=$NS_PREFIX${NS_CREATED[i]}
		pids=$(ip netns pids "$ns" 2>/dev/null)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086 # a list of pids
			kill $pids 2>/dev/null
			sleep 0.2
			pids=$(ip netns pids "$ns" 2>/dev/null)
			# shellcheck disable=SC2086
			[ -z "$pids" ] || kill -9 $pids 2>/dev/null
		fi
		ip netns del "$ns" 2>/dev/null || rc=1
	done
	NS_CREATED=()
	NS_ADDR=()
	return $rc
}

# ns_leftovers: print and fail if a namespace with our prefix still exists.
ns_leftovers() {
	local left

	left=$(ip netns list | awk -v p="$NS_PREFIX" 'index($1, p) == 1 { print $1 }')
	[ -z "$left" ] || ns_err "namespaces left behind:" "$left"
}
