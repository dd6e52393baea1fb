# SPDX-License-Identifier: BSD-3-Clause
# Scenario 8: multi-queue xennet frontend against Linux netback.  dom0 loads
# xen-netback with max_queues=2; the guest (no netfront) runs testpmd
# icmpecho on a xennet frontend port with 2 rx/tx queues.  Checks: netback
# offers 2 queues and the frontend takes 2 (multi-queue-num-queues=2,
# queue-0/ and queue-1/ in its device dir); dom0 pings the guest through
# vif<domid>.0 (none lost; netback hashes them all onto one queue); pings
# from 16 more source addresses are answered on both queues (icmpecho
# answers on the queue a request came in on); 16 TCP connection attempts
# from dom0 (random hash per socket) reach the frontend on both queues.
. /xn/lib.sh
require_xennet
NQ=2
on_fail() {
	gdomid g1 >/dev/null && { gexec g1 30 "diag_tp fe 0"; diag_guest g1; }
	grep vif /proc/net/dev
	D=$(gdomid g1) && xenstore-ls -f /local/domain/0/backend/vif/$D 2>/dev/null
}
surrogate && fail "no surrogate for the multiqueue_xennetfront scenario"
modload xen-netback max_queues=$NQ || fail "cannot load xen-netback max_queues=$NQ"
info "netback max_queues=$(cat /sys/module/xen_netback/parameters/max_queues)"
t0=$(up)
guest_cfg g1 dpdk 448 'mac=00:16:3e:00:00:02,script=vif-netback' 'xn.nonetfront' >/dev/null
gcreate g1 || fail "xl create g1"
D=$(gdomid g1)
wait_for 300 "[ -e /sys/class/net/vif$D.0 ]" || fail "no vif$D.0"
ip addr add 10.0.0.1/24 dev vif$D.0 && ip link set vif$D.0 up
gwait g1 || fail "guest agent not ready"
o=$(gexec g1 120 "tp_start fe \$(eal fe 192) --log-level=pmd.net.xennet:info -d $XNPMD --vdev=net_xennet0,role=frontend,devid=0 -- -i --forward-mode=icmpecho --rxq=$NQ --txq=$NQ --total-num-mbufs=4096 && tp_ready fe && tp_cmd fe start"); rc=$?
echo "$o"
[ $rc = 0 ] || fail "frontend testpmd did not start (rc=$rc)"
wait_connected g1 || fail "vif not connected"
info "connected=$(secs_since $t0)s"
FE=$(fe_path g1); BE=$(be_path g1)
mx=$(xenstore-read $BE/multi-queue-max-queues 2>/dev/null)
nq=$(xenstore-read $FE/multi-queue-num-queues 2>/dev/null)
ev=$(xenstore-exists $FE/queue-0/event-channel-tx && echo split || echo shared)
info "backend_max_queues=$mx frontend_num_queues=$nq event_channels=$ev" \
	"queue_dirs: $(xenstore-list $FE | grep '^queue-' | tr '\n' ' ')" \
	"vif_queues: $(ls /sys/class/net/vif$D.0/queues | tr '\n' ' ')"
xenstore-ls -f $FE | grep -E 'queue|event-channel|ring-ref'
[ "$mx" = $NQ ] || fail "netback offers multi-queue-max-queues=$mx, want $NQ"
[ "$nq" = $NQ ] || fail "frontend wrote multi-queue-num-queues=$nq, want $NQ"
for k in $(seq 0 $((NQ - 1))); do
	xenstore-exists $FE/queue-$k/tx-ring-ref && xenstore-exists $FE/queue-$k/rx-ring-ref ||
		fail "no ring refs under $FE/queue-$k"
done
wait_for 100 "[ \$(cat /sys/class/net/vif$D.0/carrier) = 1 ]" || fail "vif$D.0 carrier down"
o=$(ping_n 500 0.01 10.0.0.2; ip neigh show 10.0.0.2)
echo "$o"
info "dom0_ping500: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "pings lost: $(echo "$o" | grep missing)"
q1=$(gexec g1 30 "tp_qstats fe 0")
info "after_ping $q1"
# netback picks the queue of a dom0 -> guest frame by its flow hash, which
# for ICMP covers the addresses only: ping from 16 more source addresses
# (icmpecho answers on the queue a request came in on), then TCP SYNs from
# 16 sockets (random hash each; icmpecho does not answer them)
for a in $(seq 20 35); do ip addr add 10.0.0.$a/24 dev vif$D.0; done
lost=""
for a in $(seq 20 35); do
	o=$(ping_n 10 0.02 10.0.0.2 -I 10.0.0.$a)
	echo "$o" | grep -q '^missing=0 ' || lost="$lost 10.0.0.$a:$(echo "$o" | grep missing)"
done
q2=$(gexec g1 30 "tp_qstats fe 0")
info "after_16_sources $q2"
[ -z "$lost" ] || fail "pings from extra sources lost:$lost"
for i in $(seq 1 16); do timeout 3 nc 10.0.0.2 $((6000 + i)) </dev/null >/dev/null 2>&1 & done
wait
q3=$(gexec g1 30 "tp_qstats fe 0")
info "after_syns $q3"
for s in rx_packets tx_packets rx_dropped tx_dropped; do echo "vif$D.0 $s=$(cat /sys/class/net/vif$D.0/statistics/$s)"; done
gexec g1 30 "tp_stats fe 0; tp_cmd fe 'show port xstats 0' | grep -v ': 0\$'"
bad=""
for k in $(seq 0 $((NQ - 1))); do
	[ "$(qstat "$q2" rx $k)" -gt 0 ] 2>/dev/null || bad="$bad rx_q$k"
	[ "$(qstat "$q2" tx $k)" -gt 0 ] 2>/dev/null || bad="$bad tx_q$k"
	[ "$(qstat "$q3" rx $k)" -gt "$(qstat "$q2" rx $k)" ] 2>/dev/null || bad="$bad rx_q$k(syns)"
done
[ -z "$bad" ] || fail "queues without traffic:$bad ($q3)"
gexec g1 30 "tp_stop fe" >/dev/null
exit 0
