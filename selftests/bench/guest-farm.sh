#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guest-farm.sh - issue 7 items 2 to 5, in the QEMU guest of `make bench`:
# attach time (nmbctl attach vs usbipd + usbip attach), re-attach after a
# board reboot, bulk throughput of a RAM-backed mass-storage gadget (local,
# usbip, nmb), 1-byte round trips over CDC-ACM (usbip, nmb), and the TCP
# tunnel against a direct connection (throughput, time to first byte);
# issue 13: the same place as a dial-out place through nmb-server's relay
# (attach time, round trips, bulk throughput, relayed against direct),
# the bulk again with the relay on TLS (kernel TLS where the tls module
# loads: agent, server and exporter sockets), and the server's CPU time
# and read()/write() bytes per relayed byte, plain and over TLS.
#
# guest.sh sources it; it then runs itself as a separate bash so that a
# failure here ends only these benchmarks (and their rows are missing).
#
# One farm as in selftests/demo/farm.sh, three hosts on one LAN:
#   nmb-server   198.18.0.1  nmb-server :2092
#   nmb-exporter 198.18.0.2  nmb-exporter, place "bench" (:2192): the gadget
#                            on dummy_hcd (watched port), TCP target :5201;
#                            usbipd :3240 exporting the same device
#   nmb-user     198.18.0.3  nmb-agent, nmbctl, usbip attach
# Both paths import the same gadget into the same user namespace; the
# comparisons alternate which path runs first, run after run.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	bash "$(dirname "${BASH_SOURCE[0]}")/guest-farm.sh" ||
		echo "# farm benchmarks ended early (status $?); their rows are missing"
	return 0
fi
set -euo pipefail
[ -z "${NMB_BENCH_TRACE:-}" ] || set -x
cd "$(dirname "$0")/../.."
REPO=$PWD
BIN=$REPO/build
# shellcheck source=selftests/lib/gadget.sh
. selftests/lib/gadget.sh
# shellcheck source=selftests/lib/netns.sh
. selftests/lib/netns.sh

runs=${NMB_BENCH_RUNS:-7}
TCP_MB=${NMB_BENCH_TCP_MB:-200}		# per throughput run
DISK_MB=${NMB_BENCH_DISK_MB:-64}	# mass-storage gadget, read in full
RTT_N=${NMB_BENCH_RTT_N:-50}		# 1-byte round trips per run
RUN=/tmp/nmb-bench
LOG=$RUN/log
RES=$RUN/res
UDC=dummy_udc.0
GADGET=bench
PORT_NUM=3		# vhci port of the imported board (bench.yaml)
TCP_PORT=5201		# the target's port, and the local port of the tunnel
EXP_ADDR=198.18.0.2
export NMB_AGENT_SOCKET=$RUN/agent.sock
VHCI=/sys/devices/platform/vhci_hcd.0
TTY_GLOB='/sys/devices/platform/vhci_hcd.*/usb*/*/*:*/tty/ttyACM*'
DISK_GLOB='/sys/devices/platform/vhci_hcd.*/usb*/*/*:*/host*/target*/*/block/sd*'
LOCAL_DISK_GLOB='/sys/devices/platform/dummy_hcd.0/usb*/*/*:*/host*/target*/*/block/sd*'

# --- helpers --------------------------------------------------------------

fail() {
	echo "# farm: $*"
	exit 1
}

# The timing helper: built by make (selftests/bench/build.mk) or here.
PROBE=$BIN/selftests/bench/probe
if [ ! -x "$PROBE" ] || [ selftests/bench/probe.c -nt "$PROBE" ]; then
	mkdir -p "$RUN"
	PROBE=$RUN/probe
	gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$PROBE" \
		selftests/bench/probe.c || fail "cannot build probe.c"
fi

# emit NAME UNIT: the bench line of the figures collected in $RES/NAME;
# its median goes to MED[NAME].
declare -A MED=()
emit() {
	local line

	[ -s "$RES/$1" ] || { echo "# $1: no figures"; return 0; }
	line=$("$PROBE" stats "$1" "$2" <"$RES/$1") || return 0
	echo "$line"
	line=${line#*median=}
	MED[$1]=${line%% *}
}

# ratio NAME A B NOTE: bench NAME value=MED[A]/MED[B] unit=x.
ratio() {
	[ -n "${MED[$2]:-}" ] && [ -n "${MED[$3]:-}" ] || return 0
	awk -v n="$1" -v a="${MED[$2]}" -v b="${MED[$3]}" -v t="$4" 'BEGIN {
		if (b > 0)
			printf "bench %s value=%.2f unit=x (%s)\n", n, a / b, t
	}'
}

# add NAME VALUE: one figure of NAME.
add() {
	echo "$2" >>"$RES/$1"
}

stub_status() {
	cat "/sys/bus/usb/devices/$BUSID/usbip_status" 2>/dev/null
}

stub_available() {
	[ "$(stub_status)" = 1 ]
}

# vhci_used_ports: ports of vhci_hcd with a device (state not VDEV_ST_NULL).
vhci_used_ports() {
	awk '($1 == "hs" || $1 == "ss") && $3 != "004" { print $2 + 0 }' \
		"$VHCI"/status*
}

# vhci_port_of NODE: the vhci port of the device behind /dev/NODE.
vhci_port_of() {
	local dev busid

	dev=$(readlink -f "/sys/class/${2:-tty}/${1#/dev/}/device")
	busid=${dev##*/}
	busid=${busid%%:*}
	awk -v b="$busid" '($1 == "hs" || $1 == "ss") && $7 == b { print $2 + 0 }' \
		"$VHCI"/status*
}

nmbctl() {
	(cd "$RUN/work" && "$BIN/nmbctl" "$@")
}

# --- the farm -------------------------------------------------------------

server_listens() {
	ns_exec user bash -c 'exec 3<>/dev/tcp/198.18.0.1/2092' 2>/dev/null
}

usbipd_listens() {
	ns_exec user bash -c "exec 3<>/dev/tcp/$EXP_ADDR/3240" 2>/dev/null
}

exporter_ready() {
	grep -q 'exporting 1 place' "$LOG/exporter.log"
}

place_known() {
	nmbctl search 2>/dev/null | grep -qw "$GADGET"
}

# daemon NS NAME CMD...: CMD in namespace NS, output to NAME.log. Not
# through the function ns_exec: $! must be CMD itself (ip execs it).
daemon() {
	local ns=$1 name=$2

	shift 2
	ip netns exec "$NS_PREFIX$ns" "$@" </dev/null >"$LOG/$name.log" 2>&1 &
	echo $! >"$RUN/$name.pid"
}

stop_daemon() {
	local pid

	pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$RUN/$1.pid"
}

cleanup() {
	local st=$? p f

	set +e
	if [ $st != 0 ] && [ -d "$LOG" ]; then
		for f in "$LOG"/*.log; do
			[ -s "$f" ] || continue
			echo "# --- last lines of ${f##*/} ---"
			tail -n 15 "$f" | sed 's/^/#   /'
		done
	fi
	stop_daemon echo
	nmbctl detach "$GADGET" >/dev/null 2>&1
	stop_daemon agent
	for p in $(vhci_used_ports 2>/dev/null); do
		usbip detach -p "$p" >/dev/null 2>&1
	done
	for f in usbipd target exporter server; do
		stop_daemon $f
	done
	ns_cleanup
	gadget_remove_all
	rm -f "$RUN/disk.img"
}

farm_start() {
	local hub

	mkdir -p "$LOG" "$RES" "$RUN/work/.nmb"
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	modprobe -a usbip-host vhci-hcd cdc-acm usb_f_acm usb_f_mass_storage \
		usb-storage sd_mod veth
	[ -e /sys/module/nmb_watch ] || insmod kmod/nmb_watch.ko
	mountpoint -q /sys/kernel/config ||
		mount -t configfs configfs /sys/kernel/config
	gadget_remove_all
	for hub in /sys/devices/platform/dummy_hcd.0/usb*; do
		BUSID=${hub##*/usb}-1
	done
	ns_lan server exporter user

	# grace 0: the place leaves at once when the exporter restarts as a
	# dial-out one (exporter_as)
	cat >"$RUN/server.yaml" <<-EOF
	listen:
	  - "198.18.0.1:2092"
	grace: 0
	log_level: info
	EOF
	# the relay's certificate for the TLS rows (server_as tls); the hub
	# listener stays plain
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$RUN/hub.key" \
		-out "$RUN/hub.crt" -days 1 -subj /CN=nmb-bench \
		-addext subjectAltName=IP:198.18.0.1 >"$LOG/openssl.log" 2>&1 ||
		fail "openssl req failed"
	cat >"$RUN/server-tls.yaml" <<-EOF
	listen:
	  - {address: "198.18.0.1:2092", plain: true}
	tls: {cert: $RUN/hub.crt, key: $RUN/hub.key}
	grace: 0
	log_level: info
	EOF
	cat >"$RUN/exporter.yaml" <<-EOF
	server: ws://198.18.0.1:2092
	tls: {ca_file: $RUN/hub.crt}
	places:
	  - name: $GADGET
	    port: 2192
	    parts:
	      - compatible: [bench-board]
	        usb:
	          dev: {usbid: "$BUSID"}
	      - compatible: [bench-target]
	        tcp:
	          data: {host: 127.0.0.1, port: $TCP_PORT}
	EOF
	sed 's/^    port: 2192$/    dial_out: true/' "$RUN/exporter.yaml" \
		>"$RUN/exporter-relay.yaml"
	cat >"$RUN/agent.yaml" <<-EOF
	server: ws://198.18.0.1:2092
	tls: {ca_file: $RUN/hub.crt}
	socket: $NMB_AGENT_SOCKET
	EOF
	cat >"$RUN/work/.nmb/$GADGET.yaml" <<-EOF
	parts:
	  board:
	    compatible: [bench-board]
	    usb:
	      dev: {port_num: $PORT_NUM}
	  target:
	    compatible: [bench-target]
	    tcp:
	      data: {local_port: $TCP_PORT}
	EOF

	daemon exporter target "$PROBE" serve 0.0.0.0 "$TCP_PORT"
	daemon server server "$BIN/nmb-server" -c "$RUN/server.yaml"
	wait_for -t 20 server_listens || fail "nmb-server does not listen"
	daemon exporter exporter "$BIN/nmb-exporter" -c "$RUN/exporter.yaml"
	daemon user agent "$BIN/nmb-agent" -c "$RUN/agent.yaml"
	wait_for -t 20 exporter_ready || fail "nmb-exporter is not exporting"
	daemon exporter usbipd usbipd
	wait_for -t 20 usbipd_listens || fail "usbipd does not listen"
	wait_for -t 20 place_known || fail "the agent does not see place $GADGET"
}

# plug_board: plug the gadget into the watched port; nmb_watch gives it
# to usbip-host.
plug_board() {
	gadget_plug "$GADGET" "$UDC"
	wait_for -t 20 stub_available ||
		fail "busid $BUSID not on usbip-host (usbip_status '$(stub_status)')"
}

# exporter_as direct|relay: nmb-exporter again, its place on its own port
# or dial-out (through the server's relay); the board back on usbip-host.
exporter_as() {
	local conf=$RUN/exporter.yaml

	[ "$1" = direct ] || conf=$RUN/exporter-relay.yaml
	stop_daemon exporter
	: >"$LOG/exporter.log"
	daemon exporter exporter "$BIN/nmb-exporter" -c "$conf"
	wait_for -t 20 grep -q 'registered at the hub' "$LOG/exporter.log" ||
		fail "nmb-exporter ($1) did not register"
	wait_for -t 20 stub_available || fail "board not on usbip-host ($1)"
}

# server_as plain|tls: nmb-server again, its relay plain or with TLS; the
# exporter and the agent connect again by themselves.
server_as() {
	local conf=$RUN/server.yaml

	[ "$1" = plain ] || conf=$RUN/server-tls.yaml
	stop_daemon server
	daemon server server "$BIN/nmb-server" -c "$conf"
	wait_for -t 20 server_listens || fail "nmb-server ($1) does not listen"
}

# proc_server FIELD: the server's CPU ticks (cpu) or rchar + wchar (io).
proc_server() {
	local pid

	pid=$(cat "$RUN/server.pid")
	if [ "$1" = cpu ]; then
		awk '{ print $14 + $15 }' "/proc/$pid/stat"
	else
		awk '/^(rchar|wchar):/ { n += $2 } END { print n }' \
			"/proc/$pid/io"
	fi
}

# relay_cost NAME RUNS: rows NAME_cpu_per_gb (server CPU s per relayed GB)
# and NAME_rwchar_per_byte since relay_cost_start (RUNS bulk reads).
relay_cost_start() {
	COST_CPU=$(proc_server cpu)
	COST_IO=$(proc_server io)
}

relay_cost() {
	local gb

	gb=$(awk -v n="$2" -v mb="$DISK_MB" 'BEGIN { print n * mb * 1048576 / 1e9 }')
	awk -v c0="$COST_CPU" -v c1="$(proc_server cpu)" -v hz="$(getconf CLK_TCK)" \
		-v gb="$gb" -v n="$1" 'BEGIN {
		printf "bench %s_cpu_per_gb value=%.2f unit=s\n", n, (c1 - c0) / hz / gb }'
	awk -v i0="$COST_IO" -v i1="$(proc_server io)" -v gb="$gb" \
		-v n="$1" 'BEGIN {
		printf "bench %s_rwchar_per_byte value=%.6f unit=bytes\n", n,
			(i1 - i0) / (gb * 1e9) }'
}

# --- one import each way --------------------------------------------------

# import_nmb GLOB [-r]: nmbctl attach (reserve + attach) until the node
# opens; T (ms) and NODE.
import_nmb() {
	local out

	out=$(cd "$RUN/work" && ns_exec user "$PROBE" wait ${2:+"$2"} \
		-t 30000 "$1" "$BIN/nmbctl" attach "$GADGET" 2>>"$LOG/nmbctl.log") ||
		fail "nmbctl attach: no device node"
	T=${out%% *}
	NODE=${out#* }
}

# import_usbip GLOB [-r]: usbip attach until the node opens; T and NODE.
import_usbip() {
	local out

	out=$(ns_exec user "$PROBE" wait ${2:+"$2"} -t 30000 "$1" \
		usbip attach -r "$EXP_ADDR" -b "$BUSID" 2>>"$LOG/usbip.log") ||
		fail "usbip attach: no device node"
	T=${out%% *}
	NODE=${out#* }
}

# release_nmb GLOB / release_usbip GLOB: detach (nmb also returns the
# reservation) until the node is gone and the device is available again.
release_nmb() {
	nmbctl detach "$GADGET" >>"$LOG/nmbctl.log" 2>&1 ||
		fail "nmbctl detach failed"
	"$PROBE" gone -t 20000 "$1" || fail "node still there after detach"
	wait_for -t 20 stub_available || fail "device not available again"
}

# The same through the relay (the exporter runs as exporter_as relay).
import_nmb_relay() {
	import_nmb "$@"
}

release_nmb_relay() {
	release_nmb "$@"
}

# The same with the relay on TLS (server_as tls).
import_nmb_relay_tls() {
	import_nmb "$@"
}

release_nmb_relay_tls() {
	release_nmb "$@"
}

release_usbip() {
	local p

	for p in $(vhci_used_ports); do
		usbip detach -p "$p" >>"$LOG/usbip.log" 2>&1 ||
			fail "usbip detach -p $p failed"
	done
	"$PROBE" gone -t 20000 "$1" || fail "node still there after detach"
	wait_for -t 20 stub_available || fail "device not available again"
}

# --- 2 + 4b: attach time and 1-byte round trips ---------------------------

# attach_once nmb|usbip: attach, round trips, detach.
attach_once() {
	local rtt

	"import_$1" "$TTY_GLOB"
	add "attach_$1" "$T"
	rtt=$("$PROBE" rtt "$NODE" "$RTT_N") || fail "$1: round trips on $NODE"
	add "rtt_$1" "$rtt"
	"release_$1" "$TTY_GLOB"
}

# attach_split: nmbctl reserve, then nmbctl attach of the reserved place
# until the node opens: where nmb's attach time goes.
attach_split() {
	local t

	t=$(cd "$RUN/work" && "$PROBE" time "$BIN/nmbctl" reserve "$GADGET" \
		2>>"$LOG/nmbctl.log") || fail "nmbctl reserve failed"
	add attach_nmb_reserve "$t"
	import_nmb "$TTY_GLOB"
	add attach_nmb_reserved "$T"
	release_nmb "$TTY_GLOB"
}

bench_attach() {
	local i

	echo "# attach: nmbctl attach vs usbip attach until /dev/ttyACM* opens; $RTT_N 1-byte echoes each"
	daemon exporter echo "$PROBE" echo "$(gadget_tty_gadget "$GADGET")"
	for ((i = 0; i < runs; i++)); do
		if ((i % 2)); then
			attach_split
			attach_once usbip
			attach_once nmb
		else
			attach_once nmb
			attach_once usbip
			attach_split
		fi
	done
	stop_daemon echo
	emit attach_nmb ms
	emit attach_usbip ms
	ratio attach_ratio attach_nmb attach_usbip nmb/usbip
	emit attach_nmb_reserve ms
	emit attach_nmb_reserved ms
	ratio attach_reserved_ratio attach_nmb_reserved attach_usbip \
		"nmb reserved/usbip"
	emit rtt_nmb ms
	emit rtt_usbip ms
	ratio rtt_ratio rtt_nmb rtt_usbip nmb/usbip
}

# --- 5: TCP tunnel (the place is attached) ----------------------------------

fetch() {
	ns_exec user "$PROBE" fetch "$@" 2>>"$LOG/fetch.log" ||
		fail "fetch $* failed"
}

# tcp_once tunnel|direct [SUFFIX]: one connect and one transfer.
tcp_once() {
	local addr=127.0.0.1 out tag=$1${2:-}

	[ "$1" = tunnel ] || addr=$EXP_ADDR
	out=$(fetch "$addr" "$TCP_PORT" 1)
	add "tcp_connect_$tag" "${out%% *}"
	out=$(fetch "$addr" "$TCP_PORT" $((TCP_MB * 1000000)))
	add "tcp_mbps_$tag" "${out##* }"
}

# The same over a lab-like link: the exporter's eth0 (which the data of
# both paths leaves by) shaped to 1 Gbit/s. Without a limit both paths are
# bound by the emulated CPUs, and the tunnel does three TCP connections'
# and two relays' work where the direct path does one connection's.
bench_tcp_1g() {
	local i

	if ! ns_exec exporter tc qdisc add dev eth0 root tbf rate 1gbit \
		burst 512kb latency 50ms 2>>"$LOG/tc.log"; then
		echo "# TCP at 1 Gbit/s: cannot shape the link (tc tbf); skipped"
		return 0
	fi
	echo "# TCP at 1 Gbit/s: the same, the exporter's link shaped with tbf"
	for ((i = 0; i < runs; i++)); do
		if ((i % 2)); then
			tcp_once direct _1g
			tcp_once tunnel _1g
		else
			tcp_once tunnel _1g
			tcp_once direct _1g
		fi
	done
	ns_exec exporter tc qdisc del dev eth0 root 2>>"$LOG/tc.log" || true
	emit tcp_mbps_tunnel_1g MB/s
	emit tcp_mbps_direct_1g MB/s
	ratio tcp_ratio_1g tcp_mbps_tunnel_1g tcp_mbps_direct_1g tunnel/direct
}

bench_tcp() {
	local i

	echo "# TCP: $TCP_MB MB and time to first byte, tunnel (localhost:$TCP_PORT) vs direct ($EXP_ADDR:$TCP_PORT)"
	for ((i = 0; i < runs; i++)); do
		if ((i % 2)); then
			tcp_once direct
			tcp_once tunnel
		else
			tcp_once tunnel
			tcp_once direct
		fi
	done
	emit tcp_mbps_tunnel MB/s
	emit tcp_mbps_direct MB/s
	ratio tcp_ratio tcp_mbps_tunnel tcp_mbps_direct tunnel/direct
	emit tcp_connect_tunnel ms
	emit tcp_connect_direct ms
	ratio tcp_connect_ratio tcp_connect_tunnel tcp_connect_direct \
		tunnel/direct
	bench_tcp_1g
}

# --- 3: re-attach after a board reboot (the place is attached) --------------

bench_reattach() {
	local i out port same=0

	echo "# re-attach: gadget replug until /dev/ttyACM* opens again, vhci port $PORT_NUM"
	for ((i = 0; i < runs; i++)); do
		gadget_unplug "$GADGET"
		"$PROBE" gone -t 20000 "$TTY_GLOB" ||
			fail "the imported tty stays after the unplug"
		out=$("$PROBE" wait -t 30000 -w "$GADGET_CFS/$GADGET/UDC" "$UDC" \
			"$TTY_GLOB") || fail "no re-attach within 30 s"
		port=$(vhci_port_of "${out#* }")
		if [ "$port" = "$PORT_NUM" ]; then
			add reattach "${out%% *}"
			same=$((same + 1))
		else
			echo "# re-attach $i: on vhci port '$port', not $PORT_NUM: not counted"
		fi
	done
	emit reattach ms
	echo "# re-attach: $same of $runs runs on the same vhci port $PORT_NUM"
}

# --- 4: bulk throughput ------------------------------------------------------

# dd_mbps NODE: MB/s of reading the whole disk, O_DIRECT, 1 MiB blocks.
dd_mbps() {
	local out

	out=$(dd if="$1" of=/dev/null bs=1M count="$DISK_MB" iflag=direct 2>&1) ||
		fail "dd of $1 failed: $out"
	awk -v want=$((DISK_MB * 1048576)) '/copied/ {
		if ($1 != want) exit 1
		printf "%.1f\n", $1 / $(NF - 3) / 1e6 }' <<<"$out" ||
		fail "dd of $1: short read: $out"
}

bulk_once() {
	local mbps

	"import_$1" "$DISK_GLOB" -r
	mbps=$(dd_mbps "$NODE")
	add "bulk_$1" "$mbps"
	"release_$1" "$DISK_GLOB"
}

bench_bulk() {
	local i out mbps

	echo "# bulk: dd iflag=direct bs=1M of a $DISK_MB MiB RAM-backed mass-storage gadget"
	gadget_remove "$GADGET"
	dd if=/dev/zero of="$RUN/disk.img" bs=1M count="$DISK_MB" status=none
	gadget_msc "$GADGET" "$RUN/disk.img"
	plug_board
	for ((i = 0; i < runs; i++)); do
		if ((i % 2)); then
			bulk_once usbip
			bulk_once nmb
		else
			bulk_once nmb
			bulk_once usbip
		fi
	done
	exporter_as relay
	relay_cost_start
	for ((i = 0; i < runs; i++)); do
		bulk_once nmb_relay
	done
	relay_cost bulk_relay "$runs"
	bench_bulk_tls
	# Local: with the exporter gone its watch ends and the device gets
	# its default drivers (usb-storage) on dummy_hcd.
	stop_daemon exporter
	out=$("$PROBE" wait -r -t 30000 "$LOCAL_DISK_GLOB") ||
		fail "no local disk after the exporter stopped"
	for ((i = 0; i < runs; i++)); do
		mbps=$(dd_mbps "${out#* }")
		add bulk_local "$mbps"
	done
	emit bulk_local MB/s
	emit bulk_usbip MB/s
	emit bulk_nmb MB/s
	ratio bulk_ratio bulk_nmb bulk_usbip nmb/usbip
	emit bulk_nmb_relay MB/s
	ratio bulk_relay_ratio bulk_nmb_relay bulk_nmb relayed/direct
	emit "$BULK_TLS" MB/s
	ratio "bulk_relay_tls_ratio_${BULK_TLS#bulk_nmb_relay_tls_}" \
		"$BULK_TLS" bulk_nmb "relayed over TLS/direct"
}

# The relayed bulk with TLS on the relay: kernel TLS at the agent, both
# server sockets (spliced) and the exporter when the tls module loads,
# else user-space TLS (the row names say which; BULK_TLS names the rows'
# file). The server stays on TLS: the local reads come next.
bench_bulk_tls() {
	local i path=userspace_tls

	BULK_TLS=bulk_nmb_relay_tls_none
	modprobe tls 2>>"$LOG/modprobe.log" || true
	server_as tls
	exporter_as relay
	wait_for -t 30 place_known || fail "the agent does not see $GADGET (TLS)"
	relay_cost_start
	for ((i = 0; i < runs; i++)); do
		bulk_once nmb_relay_tls
	done
	! grep -q "TLS 1.2, kernel TLS both ways" "$LOG/server.log" ||
		path=ktls
	relay_cost "bulk_relay_tls_$path" "$runs"
	echo "# bulk over the TLS relay: $(grep -c 'TLS 1.2, kernel TLS' \
		"$LOG/server.log") kTLS and $(grep -c 'TLS 1.2, user-space' \
		"$LOG/server.log") user-space TLS connections at the server"
	mv "$RES/bulk_nmb_relay_tls" "$RES/bulk_nmb_relay_tls_$path"
	BULK_TLS=bulk_nmb_relay_tls_$path
}

# --- 6: the place as a dial-out place, through the server's relay ----------

bench_relay_attach() {
	local i

	echo "# relay: the same place dial-out (nmb-server relays with splice); attach and $RTT_N 1-byte echoes"
	exporter_as relay
	daemon exporter echo "$PROBE" echo "$(gadget_tty_gadget "$GADGET")"
	for ((i = 0; i < runs; i++)); do
		attach_once nmb_relay
	done
	stop_daemon echo
	exporter_as direct
	emit attach_nmb_relay ms
	ratio attach_relay_ratio attach_nmb_relay attach_nmb relayed/direct
	emit rtt_nmb_relay ms
	ratio rtt_relay_ratio rtt_nmb_relay rtt_nmb relayed/direct
}

# --- main --------------------------------------------------------------------

trap cleanup EXIT
rm -rf "$RUN/res" "$RUN/log"
farm_start
gadget_acm "$GADGET"
plug_board
bench_attach
import_nmb "$TTY_GLOB"
port=$(vhci_port_of "$NODE")
echo "# nmb attached $NODE on vhci port $port"
bench_tcp
bench_reattach
release_nmb "$TTY_GLOB"
bench_relay_attach
bench_bulk
