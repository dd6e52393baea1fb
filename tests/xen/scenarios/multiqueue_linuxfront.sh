# SPDX-License-Identifier: BSD-3-Clause
# Scenario 7: multi-queue towards Linux netfront.  Two Linux guests (one
# vCPU each) whose netfront may use 4 queues (xen_netfront.max_queues=4 on
# the guest command line), each vif served by a port of ONE testpmd in dom0
# with 4 rx/tx queues (io forwarding: port 0 queue k <-> port 1 queue k).
# Checks: the backend offers 4 queues and both netfronts take 4 (xenstore
# multi-queue-num-queues, the guest's eth0 queues/tx-0..3, rx-0..3); A pings
# B; 48 TCP connection attempts each way (netfront picks the queue from
# the socket's random tx hash) leave every rx and tx queue of both ports
# with packets; then 16 MiB A->B over TCP, sha256 equal.
. /xn/lib.sh
require_xennet
NQ=4
on_fail() {
	diag_tp sw 0; diag_tp sw 1
	for g in ga gb; do gdomid $g >/dev/null && diag_guest $g; done
	xenstore-ls -f /local/domain/0/backend/vif 2>/dev/null
}
surrogate && fail "no surrogate for the multiqueue_linuxfront scenario"
no_netback
MB=${XN_MQ_MB:-16}
FLOWS=48
t0=$(up)
tp_start sw $(eal sw 256) --log-level=pmd.net.xennet:info -d $XNPMD \
	--vdev=net_xennet0,role=backend,domain=ga,devid=0 \
	--vdev=net_xennet1,role=backend,domain=gb,devid=0 \
	-- -i --forward-mode=io --rxq=$NQ --txq=$NQ --total-num-mbufs=8192
tp_ready sw || fail "switch testpmd did not start"
tp_cmd sw start
guest_cfg ga linux 256 'mac=00:16:3e:00:00:0a,script=vif-xennet' \
	"xn.ip=10.0.0.10/24 xen_netfront.max_queues=$NQ" >/dev/null
guest_cfg gb linux 256 'mac=00:16:3e:00:00:0b,script=vif-xennet' \
	"xn.ip=10.0.0.11/24 xen_netfront.max_queues=$NQ" >/dev/null
gcreate ga || fail "xl create ga"
gcreate gb || fail "xl create gb"
wait_connected ga || fail "ga vif not connected"
wait_connected gb || fail "gb vif not connected"
info "connected=$(secs_since $t0)s"
gwait ga || fail "ga agent"; gwait gb || fail "gb agent"

# what was negotiated
for g in ga gb; do
	fe=$(fe_path $g); be=$(be_path $g)
	mx=$(xenstore-read $be/multi-queue-max-queues 2>/dev/null)
	nq=$(xenstore-read $fe/multi-queue-num-queues 2>/dev/null)
	ev=$(xenstore-exists $fe/queue-0/event-channel-tx && echo split || echo shared)
	qs=$(gexec $g 20 "ls /sys/class/net/eth0/queues" | tr '\n' ' ')
	info "$g backend_max_queues=$mx frontend_num_queues=$nq event_channels=$ev guest_queues: $qs"
	[ "$mx" = $NQ ] || fail "$g: backend offers multi-queue-max-queues=$mx, want $NQ"
	[ "$nq" = $NQ ] || fail "$g: netfront wrote multi-queue-num-queues=$nq, want $NQ"
	for k in $(seq 0 $((NQ - 1))); do
		xenstore-exists $fe/queue-$k/tx-ring-ref || fail "$g: no $fe/queue-$k/tx-ring-ref"
		echo " $qs " | grep -q " tx-$k " && echo " $qs " | grep -q " rx-$k " ||
			fail "$g: eth0 lacks queue $k: $qs"
	done
done
grep -E 'connected to domain' $OUT/sw.log

o=$(gexec ga 60 "ping_n 100 0.01 10.0.0.11")
echo "$o"
info "a_to_b_ping100: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "A->B pings lost: $(echo "$o" | grep missing)"

# many flows both ways: connection attempts to closed ports (no server
# process: short-lived processes crash now and then in PV domains under
# TCG), each from a new socket: netfront puts its SYN on the queue of the
# socket's random tx hash, the peer kernel's RST on the queue of the flow's
# hash; only queue coverage is checked here (the bulk transfer below checks
# the data)
t1=$(up)
for g in ga gb; do
	[ $g = ga ] && peer=10.0.0.11 || peer=10.0.0.10
	gexec $g 300 "for i in \$(seq 1 $FLOWS); do nc $peer \$((7000 + i)) </dev/null >/dev/null 2>&1; done; echo flows_done" |
		grep -q flows_done || fail "$g: flows did not finish"
done
info "flows=$((2 * FLOWS)) in $(secs_since $t1)s"
bad=""
for port in 0 1; do
	qs=$(tp_qstats sw $port)
	info "port$port $qs"
	for k in $(seq 0 $((NQ - 1))); do
		for d in rx tx; do
			[ "$(qstat "$qs" $d $k)" -gt 0 ] 2>/dev/null || bad="$bad port$port/${d}_q$k"
		done
	done
done
[ -z "$bad" ] || fail "queues without packets after $((2 * FLOWS)) flows:$bad"

# bulk TCP A -> B (one connection: one queue each way)
gexec gb 10 "(sleep 100000 | nc -l -p 5001 > /tmp/recv) </dev/null >/dev/null 2>&1 &" || fail "gb: nc sink"
o=$(gexec ga 60 "dd if=/dev/urandom of=/tmp/d bs=1M count=$MB 2>/dev/null; sha256sum /tmp/d")
echo "$o"
SENT=$(echo "$o" | awk '/\/tmp\/d/ {print $1}')
[ -n "$SENT" ] || fail "ga: could not create the data"
t1=$(up)
o=$(gexec ga 300 "nc 10.0.0.11 5001 < /tmp/d; echo nc_rc=\$?")
echo "$o"
o=$(gexec gb 120 "wait_for 1000 '[ \$(wc -c < /tmp/recv) = $((MB * 1048576)) ]'; wc -c < /tmp/recv; sha256sum /tmp/recv")
echo "$o"
GOT=$(echo "$o" | awk '/\/tmp\/recv/ {print $1}')
secs=$(secs_since $t1)
info "tcp_${MB}MiB=${secs}s sent=$SENT got=$GOT"
for port in 0 1; do info "port$port after_bulk $(tp_qstats sw $port)"; done
[ "$SENT" = "$GOT" ] || fail "sha256 mismatch: sent $SENT, B received $GOT ($(echo "$o" | head -1) bytes)"
exit 0
