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
# Building blocks: ns_create NAME... (lo up), ns_link A ADDR_A B ADDR_B
# (a veth), ns_exec NAME CMD..., ns_ping NAME ADDR, ns_addr NAME,
# ns_cleanup (kills what runs inside, deletes them all), ns_leftovers.
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

# ns_add NAME...: empty namespaces (lo still down), one `ip` for all.
ns_add() {
	local ns

	for ns in "$@"; do
		echo "netns add $NS_PREFIX$ns"
	done | ip -batch - || ns_err "cannot create namespaces $*" || return
	NS_CREATED+=("$@")
}

# ns_create NAME...: empty namespaces with lo up.
ns_create() {
	local ns

	ns_add "$@" || return
	for ns in "$@"; do
		ip -n "$NS_PREFIX$ns" link set lo up || return
	done
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
# and interface names (default eth0), up. Few `ip` runs: each exec costs
# ~0.1 s under TCG.
ns_link() {
	local a=$NS_PREFIX$1 b=$NS_PREFIX$3 ifa=${5:-eth0} ifb=${6:-eth0}

	ip link add "$ifa" netns "$a" type veth peer name "$ifb" netns "$b" ||
		ns_err "cannot create veth between $1 and $3" || return
	ns_up "$a" "$ifa" "$2" && ns_up "$b" "$ifb" "$4"
}

# ns_up NETNS IF ADDR [MASTER]: address (if any) and link up, lo up too,
# one `ip`.
ns_up() {
	{
		echo "link set lo up"
		[ -z "$3" ] || echo "addr add $3 dev $2"
		[ -z "${4:-}" ] || echo "link set $2 master $4"
		echo "link set $2 up"
	} | ip -n "$1" -batch - ||
		ns_err "cannot set $2 up in $1"
}

# ns_pair A B: see the header.
ns_pair() {
	ns_add "$1" "$2" &&
	ns_link "$1" 198.18.1.1/24 "$2" 198.18.1.2/24 || return
	NS_ADDR[$1]=198.18.1.1
	NS_ADDR[$2]=198.18.1.2
}

# ns_lan HOST...: see the header (at most 253 hosts).
ns_lan() {
	local i=0 host

	ns_add lan "$@" || return
	printf 'link set lo up\nlink add br0 type bridge\nlink set br0 up\n' |
		ip -n "${NS_PREFIX}lan" -batch - ||
		ns_err "cannot create the bridge in ${NS_PREFIX}lan" || return
	for host in "$@"; do
		i=$((i + 1))
		ip link add eth0 netns "$NS_PREFIX$host" type veth \
			peer name "lan$i" netns "${NS_PREFIX}lan" ||
			ns_err "cannot link $host to the lan" || return
		ns_up "$NS_PREFIX$host" eth0 "198.18.0.$i/24" &&
		ns_up "${NS_PREFIX}lan" "lan$i" "" br0 || return
		NS_ADDR[$host]=198.18.0.$i
	done
}

# ns_pids NAME...: pids of the processes in these namespaces (one find(1)
# for all, instead of `ip netns pids` scanning /proc once per namespace).
ns_pids() {
	local ns ino match=()

	for ns in "$@"; do
		ino=$(stat -L -c %i "/run/netns/$NS_PREFIX$ns" 2>/dev/null) ||
			continue
		match+=(${match[0]+-o} -lname "net:\[$ino\]")
	done
	[ ${#match[@]} -gt 0 ] || return 0
	find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' \
		\( "${match[@]}" \) 2>/dev/null | cut -d/ -f3
}

# ns_cleanup: kill what runs in our namespaces, delete them (newest first).
ns_cleanup() {
	local i pids cmds=()

	[ ${#NS_CREATED[@]} -gt 0 ] || return 0
	pids=$(ns_pids "${NS_CREATED[@]}")
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086 # a list of pids
		kill $pids 2>/dev/null
		sleep 0.2
		pids=$(ns_pids "${NS_CREATED[@]}")
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -9 $pids 2>/dev/null
	fi
	for ((i = ${#NS_CREATED[@]} - 1; i >= 0; i--)); do
		cmds+=("netns del $NS_PREFIX${NS_CREATED[i]}")
	done
	NS_CREATED=()
	NS_ADDR=()
	printf '%s\n' "${cmds[@]}" | ip -force -batch - >/dev/null
}

# ns_leftovers: print and fail if a namespace with our prefix still exists.
ns_leftovers() {
	local left

	left=$(ip netns list |
		awk -v p="$NS_PREFIX" 'index($1, p) == 1 { print $1 }')
	[ -z "$left" ] || ns_err "namespaces left behind:" "$left"
}
