# SPDX-License-Identifier: BSD-3-Clause
# Shell library of the xennet real-Xen harness; sourced by dom0's /init, the
# guests' /init and every scenario script (busybox sh).
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu
PMDS=/opt/dpdk
XNPMD=/opt/xennet/librte_net_xennet.so
OUT=${OUT:-/tmp/out}

up() { cut -d' ' -f1 /proc/uptime; }
secs_since() { awk "BEGIN{printf \"%.1f\", $(up) - $1}"; }
# key=value facts the host runner records for the current scenario
info() { echo "XNT INFO ${XN_SCEN:-?} $*"; }
say() { echo "XNT ${XN_SCEN:-?}: $*"; }
# fail MSG: record the reason, run the scenario's diagnostics hook (on_fail,
# if defined; once), exit 1
fail() {
	echo "XNT FAIL-REASON ${XN_SCEN:-?}: $*"
	if [ -z "$_in_fail" ] && type on_fail >/dev/null 2>&1; then _in_fail=1; on_fail; fi
	exit 1
}
# diagnostics helpers for on_fail hooks
diag_guest() {  # diag_guest NAME: netdev counters + kernel log tail of a guest
	echo "---- $1: /proc/net/dev, dmesg tail"
	gexec $1 20 "cat /proc/net/dev; grep -E '^(Icmp|Ip):' /proc/net/snmp; cat /proc/net/raw; dmesg | tail -25"
}
diag_tp() {     # diag_tp NAME PORT: testpmd port stats + nonzero xstats
	tp_alive $1 || { echo "---- testpmd $1 is not running"; return; }
	echo "---- testpmd $1 port $2"
	tp_cmd $1 "show port stats $2"
	tp_cmd $1 "show port xstats $2" | grep -v ': 0$'
	tp_cmd $1 "show fwd stats all"
}
# wait_for TENTHS 'SHELL CONDITION': eval the condition every 0.1 s until it
# holds (quote it: "$(...)" inside must be evaluated at each try)
wait_for() {
	_wfn=$1; shift
	while [ "$_wfn" -gt 0 ]; do eval "$*" >/dev/null 2>&1 && return 0; sleep 0.1; _wfn=$((_wfn - 1)); done
	return 1
}
xs_state() { xenstore-read "$1/state" 2>/dev/null; }
state_is() { [ "$(xs_state "$1")" = "$2" ]; }

# modload NAME [PARAMS]: insmod NAME and its dependencies (from /lib/modules/xn.dep)
modload() {
	_m=$1; shift
	for _k in $(sed -n "s/^$_m: //p" /lib/modules/xn.dep); do
		_u=$(echo "$_k" | tr - _)
		grep -q "^$_u " /proc/modules && continue
		if [ "$_k" = "$_m" ]; then insmod /lib/modules/$_k.ko "$@"; else insmod /lib/modules/$_k.ko; fi ||
			{ echo "insmod $_k failed"; return 1; }
	done
}
modloaded() { grep -q "^$(echo "$1" | tr - _) " /proc/modules; }
# modparams NAME: the NAME.KEY=VALUE words of the kernel command line as
# KEY=VALUE, what modprobe would pass (busybox insmod does not look there)
modparams() {
	_mp=$(echo "$1" | tr - _)
	for _w in $(cat /proc/cmdline); do case $_w in $_mp.*=*) echo "${_w#$_mp.}";; esac; done
}

# ------------------------------------------------------------------ guests (dom0 side)
GUEST_KERNEL=/xn/guest/vmlinux.gz
# guest_cfg NAME KIND(linux|dpdk) MEM_MB VIFSPEC|none [EXTRA_CMDLINE]
guest_cfg() {
	_vif="'$4'"; [ "$4" = none ] && _vif=""
	cat > /tmp/$1.cfg <<EOF
name = "$1"
type = "pv"
kernel = "$GUEST_KERNEL"
ramdisk = "/xn/guest/$2.cpio.gz"
extra = "console=hvc0 loglevel=6 xn.name=$1 $5"
memory = $3
vcpus = 1
vif = [ $_vif ]
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF
	echo /tmp/$1.cfg
}
gcreate() {   # gcreate NAME: xl create /tmp/NAME.cfg (timed)
	_t=$(up)
	xl create -q /tmp/$1.cfg > /tmp/$1.create.log 2>&1
	_rc=$?
	cat /tmp/$1.create.log
	cat /tmp/$1.create.log >> $OUT/xl-create.log
	[ $_rc = 0 ] || { say "xl create $1 failed rc=$_rc"; return 1; }
	info "xl_create_$1=$(secs_since $_t)s domid=$(xl domid $1)"
}
gdomid() { xl domid "$1" 2>/dev/null; }
gdir() { echo /local/domain/$(gdomid "$1"); }
# gwait NAME [TENTHS]: wait until the guest's agent is ready
gwait() {
	_d=$(gdir "$1")
	wait_for "${2:-900}" '[ "$(xenstore-read $_d/data/agent/ready)" = 1 ]' ||
		{ say "guest $1 agent not ready"; return 1; }
}
# gexec NAME TIMEOUT_S CMD: run CMD (sh -c) in the guest; prints its output
# (tail), returns its exit status (124 = no answer in time)
gexec() {
	_d=$(gdir "$1")/data/agent; _to=$2; shift 2
	_s=$(( $(xenstore-read $_d/seq 2>/dev/null || echo 0) + 1 ))
	xenstore-write -- $_d/cmd "$*" $_d/seq $_s
	# poll every 0.1 s for 3 s, then every 0.5 s: fewer short-lived
	# processes in dom0 (they occasionally crash under TCG, see README)
	_i=0; _max=$((30 + (_to - 3) * 2))
	while [ "$(xenstore-read $_d/done 2>/dev/null)" != "$_s" ]; do
		_i=$((_i + 1)); [ $_i -gt $_max ] && { say "gexec $1 '$*': no answer in ${_to}s"; return 124; }
		[ $_i -le 30 ] && sleep 0.1 || sleep 0.5
	done
	# the agent stores the output without its last newline; a read that
	# fails (a process crash under TCG, see the harness guide) says so
	_o=$(xenstore-read -R $_d/out 2>/dev/null) ||
		{ _rc=$?; say "gexec $1: reading the answer failed (exit $_rc)"; return 125; }
	[ -z "$_o" ] || printf '%s\n' "$_o"
	_rc=$(xenstore-read $_d/rc) || { say "gexec $1: reading rc failed"; return 125; }
	return "$_rc"
}
gdestroy() {
	_t=$(up); xl destroy "$1" || return 1
	info "xl_destroy_$1=$(secs_since $_t)s"
}
# no domain but dom0 left, no zombie ("(null)"/dying) domain either
no_guests() { [ "$(xl list | awk 'NR>1 && $2 != 0' | wc -l)" = 0 ]; }
# newest first: a driver domain goes after the guests it serves
destroy_all() {
	for _dm in $(xl list | awk 'NR>1 && $2 != 0 {print $2}' | sort -rn); do
		xl destroy "$_dm" 2>/dev/null
	done
	wait_for 100 no_guests
}
guest_console() { cat /var/log/xen/console/guest-$1.log 2>/dev/null; }

# ------------------------------------------------------------------ testpmd
# tp_start NAME EAL-AND-APP-ARGS...: interactive testpmd fed through a FIFO,
# stdout line-buffered (libstdbuf) into $OUT/NAME.log
tp_start() {
	_n=$1; shift
	rm -f /tmp/$_n.in; mkfifo /tmp/$_n.in
	say "testpmd $_n: dpdk-testpmd $*"
	( LD_PRELOAD=/opt/dpdk/libstdbuf.so _STDBUF_O=L exec dpdk-testpmd "$@" \
		< /tmp/$_n.in > $OUT/$_n.log 2>&1 ) </dev/null >/dev/null 2>&1 &
	echo $! > /tmp/$_n.pid
	sleep 1000000 > /tmp/$_n.in 2>/dev/null &
	echo $! > /tmp/$_n.holder
}
tp_alive() { kill -0 "$(cat /tmp/$1.pid 2>/dev/null)" 2>/dev/null; }
# tp_ready NAME [TENTHS]: wait for the first prompt
tp_ready() {
	wait_for "${2:-600}" "grep -q 'testpmd> ' $OUT/$1.log" && return 0
	tp_alive $1 || say "testpmd $1 died"
	tail -20 $OUT/$1.log
	return 1
}
# tp_icmpecho NAME VDEV-OR-PLUGIN-ARGS...: testpmd NAME answering ARP and
# ICMP on its one port (scenarios 1, 5, 6), started and forwarding
tp_icmpecho() {
	_n=$1; shift
	tp_start $_n $(eal $_n 256) "$@" \
		-- -i --forward-mode=icmpecho --total-num-mbufs=2048
	tp_ready $_n || fail "testpmd $_n did not start"
	tp_cmd $_n start
}
# tp_cmd NAME CMD: send one command, print its output (up to the next prompt)
tp_cmd() {
	_n=$1; shift
	_o=$(wc -c < $OUT/$_n.log)
	echo "$*" > /tmp/$_n.in
	wait_for 300 "tail -c +$((_o + 1)) $OUT/$_n.log | grep -q 'testpmd> '" ||
		{ say "testpmd $_n: no prompt after '$*'"; tp_alive $_n || say "testpmd $_n died"; }
	tail -c +$((_o + 1)) $OUT/$_n.log | sed '$d'
}
# tp_stats NAME PORT: prints "RXPKTS TXPKTS RXERR TXERR RXMISSED"
tp_stats() {
	tp_cmd $1 "show port stats $2" | awk '
		/RX-packets:/ {rx=$2; miss=$4} /RX-errors:/ {rxe=$2} /TX-packets:/ {tx=$2; txe=$4}
		END {print rx+0, tx+0, rxe+0, txe+0, miss+0}'
}
tp_stop() {
	[ -e /tmp/$1.pid ] || return 0
	if tp_alive $1; then
		echo quit > /tmp/$1.in
		wait_for 150 "! kill -0 $(cat /tmp/$1.pid)" || { say "testpmd $1 did not quit: SIGKILL"; kill -9 $(cat /tmp/$1.pid); }
	fi
	kill $(cat /tmp/$1.holder) 2>/dev/null
	rm -f /tmp/$1.pid /tmp/$1.holder /tmp/$1.in
}
# EAL options for a one-vCPU PV domain: main lcore + one forwarding lcore on CPU 0
eal() {  # eal FILE_PREFIX MEM_MB
	echo "--no-huge -m ${2:-256} --no-pci --file-prefix=$1 --lcores=0@0,1@0 -d $PMDS/librte_mempool_ring.so"
}
have_xennet() { [ -e $XNPMD ]; }

# ------------------------------------------------------------------ guest side
# netup IP/PREFIX [DEV]: wait for DEV (eth0), configure and bring it up
netup() {
	_dev=${2:-eth0}
	wait_for 600 "[ -e /sys/class/net/$_dev ]" || { echo "no $_dev"; return 1; }
	ip addr flush dev $_dev 2>/dev/null
	ip addr add $1 dev $_dev && ip link set $_dev up
}
carrier() { cat /sys/class/net/${1:-eth0}/carrier 2>/dev/null; }
# ping_n COUNT INTERVAL ADDR [IPING-ARGS]: iputils ping (build.py says why
# not busybox's); prints its summary and "missing=N [seqs: ...] dups=N"
# (icmp_seq numbers, 1..COUNT, never answered).  A deadline (-w), not -W:
# with -c and some replies in, iputils waits only two of the longest RTTs
# seen for the last replies, and a late one (a vCPU stall under TCG) was
# counted as lost although it arrived (seen: 10 pings of 1 ms, 9 counted,
# the vif had received all 10 replies).  With -w, ping waits until COUNT
# replies are in or the deadline passes, sending more requests meanwhile:
# its summary may then show a loss (requests beyond COUNT still in flight
# at its exit); missing= is what counts.
ping_n() {
	_pc=$1 _pi=$2 _pa=$3; shift 3
	iping -n -c "$_pc" -i "$_pi" -w $(awk "BEGIN{print int($_pc * $_pi * 4) + 20}") "$@" "$_pa" \
		> /tmp/ping.out 2>&1
	awk -v n="$_pc" '
		/seq=/ { s = $0; sub(/.*seq=/, "", s); sub(/ .*/, "", s); if (s in got) dup++; got[s] = 1 }
		/transmitted|rtt|round-trip/ { print }
		END { c = 0; m = ""
		      for (i = 1; i <= n; i++) if (!(i in got)) { c++; if (c <= 20) m = m " " i }
		      print "missing=" c (c ? " seqs:" m : "") " dups=" dup + 0 }' /tmp/ping.out
}

# ping_gaps FILE [MIN_S]: the summary of an `iping -D` log, every gap
# longer than MIN_S (0.5) between two replies ("gap=S before_icmp_seq=N"),
# the icmp_seq numbers below the highest answered one that were never
# answered ("unanswered=N seqs: A-B C ..."), how many "Destination Host
# Unreachable" (ARP gave up) and "sendmsg: ..." errors it reported (after
# -W/10 s of ENOBUFS, iputils counts a request it could not send as
# transmitted)
ping_gaps() {
	awk -v min="${2:-0.5}" '/transmitted/ { print }
		/Unreachable/ { unr++ }
		/sendmsg/ { sendfail++ }
		/bytes from/ { t = substr($1, 2, length($1) - 2)
			if (p != "" && t - p > min) printf "gap=%.2fs before_%s\n", t - p, $6
			p = t; q = $6; sub(/icmp_seq=/, "", q); got[q + 0] = 1; if (q + 0 > hi) hi = q + 0 }
		END { c = 0; r = ""
			for (i = 1; i <= hi; i++) {
				if (i in got) continue
				c++; for (j = i; j + 1 <= hi && !((j + 1) in got); j++) c++
				r = r " " (j > i ? i "-" j : i); i = j
			}
			print "unanswered=" c (c ? " seqs:" r : "") " unreachable=" unr + 0 " send_errors=" sendfail + 0 }' "$1"
}

# snmp PROTO FIELD: one counter of /proc/net/snmp (snmp Icmp InEchoReps)
snmp() {
	awk -v p="$1:" -v f="$2" '$1 == p { if (!n++) { for (i = 2; i <= NF; i++) if ($i == f) k = i } else print $k }' /proc/net/snmp
}

# nc_sink PORT FILE: a TCP sink (busybox nc) writing to FILE, in the
# background; returns once it listens (busybox nc listens on an IPv6
# socket: /proc/net/tcp6), 1 if it does not
nc_sink() {
	(sleep 100000 | nc -l -p $1 > $2) </dev/null >/dev/null 2>&1 &
	_hp=$(printf ':%04X' $1)
	wait_for 100 "awk '\$4 == \"0A\" && \$2 ~ /$_hp\$/ {f = 1} END {exit !f}' /proc/net/tcp /proc/net/tcp6" ||
		{ echo "nc -l -p $1 is not listening"; return 1; }
}

# ------------------------------------------------------------------ scenario helpers
surrogate() { grep -qw 'xn.surrogate=1' /proc/cmdline; }
# require_backend_mode: xennet backend in dom0 needs xen-netback absent (it
# would claim every backend/vif/*); surrogate mode stands in with netback
require_xennet() {
	if surrogate; then say "SURROGATE mode: Linux netback/netfront + af_packet stand in for xennet"; return 0; fi
	have_xennet || fail "xennet plugin absent ($XNPMD)"
}
no_netback() { modloaded xen-netback && fail "xen-netback is loaded: it would claim backend/vif/*"; return 0; }
fe_path() { echo /local/domain/$(gdomid $1)/device/vif/${2:-0}; }
be_path() { echo /local/domain/0/backend/vif/$(gdomid $1)/${2:-0}; }
# wait_connected GUEST [DEVID]: frontend and backend both XenbusState 4
wait_connected() {
	_fe=$(fe_path $1 $2); _be=$(be_path $1 $2)
	wait_for 900 "state_is $_fe 4 && state_is $_be 4" ||
		{ say "vif not connected: fe=$(xs_state $_fe) be=$(xs_state $_be) hotplug-status=$(xenstore-read $_be/hotplug-status 2>/dev/null)"; return 1; }
}
# tp_xstat NAME PORT XSTAT: value of one xstat
tp_xstat() {
	tp_cmd $1 "show port xstats $2" | awk -v k="$3:" '$1 == k {print $2; f=1} END {if (!f) print "none"}'
}
# tp_qstats NAME PORT: "rx_q0_packets=N ... tx_q0_packets=N ..." (per-queue
# xstats the ethdev layer adds)
tp_qstats() {
	tp_cmd $1 "show port xstats $2" | awk '$1 ~ /^(rx|tx)_q[0-9]+_packets:$/ {
		sub(":", "", $1); printf "%s%s=%s", sep, $1, $2; sep = " " } END { print "" }'
}
# qstat "$(tp_qstats ...)" rx|tx K: one queue's packet count from that line
qstat() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2_q$3_packets=//p"; }
tp_link() {
	tp_cmd $1 "show port info $2" | awk '/Link status:/ {print $3}'
}
# tp_ports NAME: "PORT_ID NAME" of every port testpmd NAME has
tp_ports() {
	tp_cmd $1 "show port summary all" | awk '$1 ~ /^[0-9]+$/ {print $1, $3}'
}
# tp_wait_ports NAME N [SECONDS]: wait (1 s polls) until testpmd NAME has N ports
tp_wait_ports() {
	_tw=${3:-60}
	while [ "$(tp_ports $1 | wc -l)" -lt $2 ]; do
		_tw=$((_tw - 1)); [ $_tw -ge 0 ] || return 1; sleep 1
	done
}
# tp_take_hotplugged NAME PORTNAME: set up, start and forward the ports a
# hotplug=1 vdev made: testpmd leaves a port that appears
# (RTE_ETH_EVENT_NEW) to "port attach", which sets up every such port once
# a probe succeeded (PORTNAME, one of them: already probed, which EAL
# accepts)
tp_take_hotplugged() {
	tp_cmd $1 "port attach $2"
	tp_cmd $1 "port start all"
	tp_cmd $1 start
}
