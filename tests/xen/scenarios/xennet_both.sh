# SPDX-License-Identifier: BSD-3-Clause
# Scenario 3: xennet frontend in a guest <-> xennet backend in dom0.
# Phase A: dom0 txonly -> guest rxonly; phase B: guest txonly -> dom0 rxonly.
# After each phase (sender stopped, receiver drained) the sender's ethdev
# TX-packets must equal the receiver's RX-packets exactly.
# Phase C: the guest's testpmd is SIGKILLed (its xenstore state stays
# Connected); gntalloc's unmap notification clears the TX ring's liveness
# byte and the backend must release the vif and go Closed by itself.
. /xn/lib.sh
require_xennet
on_fail() { diag_tp be 0; gdomid g1 >/dev/null && { gexec g1 30 "diag_tp fe 0"; diag_guest g1; }; }
surrogate && fail "no surrogate for xennet<->xennet"
no_netback
GMAC=00:16:3e:00:00:02
PMAC=fe:ff:ff:ff:ff:ff
t0=$(up)
tp_start be $(eal be 256) -d $XNPMD --vdev=net_xennet0,role=backend,domain=g1,devid=0 \
	-- -i --forward-mode=rxonly --total-num-mbufs=4096 --eth-peer=0,$GMAC --txpkts=64
tp_ready be || fail "backend testpmd did not start"
guest_cfg g1 dpdk 448 "mac=$GMAC,script=vif-xennet" 'xn.nonetfront' >/dev/null
gcreate g1 || fail "xl create g1"
gwait g1 || fail "guest agent not ready"
o=$(gexec g1 120 "tp_start fe \$(eal fe 128) -d $XNPMD --vdev=net_xennet0,role=frontend,devid=0 -- -i --forward-mode=rxonly --total-num-mbufs=4096 --eth-peer=0,$PMAC --txpkts=64 && tp_ready fe"); rc=$?
echo "$o"
[ $rc = 0 ] || fail "frontend testpmd did not start (rc=$rc)"
wait_connected g1 || fail "vif not connected"
info "connected=$(secs_since $t0)s"
info "backend_link=$(tp_link be 0) frontend_link=$(gexec g1 20 'tp_link fe 0')"
# phase A: dom0 -> guest
gexec g1 20 "tp_cmd fe start" >/dev/null
tp_cmd be "set fwd txonly"; tp_cmd be start
sleep 5
tp_cmd be stop > $OUT/phaseA-be-stop.txt
sleep 2
set -- $(tp_stats be 0); A_TX=$2
set -- $(gexec g1 20 "tp_stats fe 0"); A_RX=$1
gexec g1 20 "tp_cmd fe stop" > $OUT/phaseA-fe-stop.txt
info "phaseA dom0_tx=$A_TX guest_rx=$A_RX"
# phase B: guest -> dom0
tp_cmd be "clear port stats all" >/dev/null
gexec g1 20 "tp_cmd fe 'clear port stats all'" >/dev/null
tp_cmd be "set fwd rxonly"; tp_cmd be start
gexec g1 20 "tp_cmd fe 'set fwd txonly'; tp_cmd fe start" >/dev/null
sleep 5
gexec g1 20 "tp_cmd fe stop" > $OUT/phaseB-fe-stop.txt
sleep 2
set -- $(gexec g1 20 "tp_stats fe 0"); B_TX=$2
set -- $(tp_stats be 0); B_RX=$1
tp_cmd be stop > $OUT/phaseB-be-stop.txt
info "phaseB guest_tx=$B_TX dom0_rx=$B_RX"
tp_cmd be "show port xstats 0" | grep -v ': 0$'
gexec g1 20 "tp_cmd fe 'show port xstats 0' | grep -v ': 0\$'"
[ "${A_TX:-0}" -gt 1000 ] || fail "phase A: dom0 sent only ${A_TX:-0}"
[ "${B_TX:-0}" -gt 1000 ] || fail "phase B: guest sent only ${B_TX:-0}"
[ "$A_TX" = "$A_RX" ] || fail "phase A: dom0 TX $A_TX != guest RX $A_RX"
[ "$B_TX" = "$B_RX" ] || fail "phase B: guest TX $B_TX != dom0 RX $B_RX"
# phase C: the frontend process dies without closing
BE=/local/domain/0/backend/vif/$(gdomid g1)/0
FE=$(gdir g1)/device/vif/0
gexec g1 20 'kill -9 $(cat /tmp/fe.pid)' >/dev/null
t1=$(up)
wait_for 100 "[ \"\$(xenstore-read $BE/state)\" = 6 ]" ||
	fail "phase C: backend state $(xenstore-read $BE/state) after the frontend died"
info "phaseC backend_closed=$(secs_since $t1)s frontend_state=$(xenstore-read $FE/state) backend_link=$(tp_link be 0) disconnects=$(tp_xstat be 0 disconnects)"
[ "$(tp_link be 0)" = down ] || fail "phase C: backend link still up"
[ "$(tp_xstat be 0 disconnects)" = 1 ] || fail "phase C: backend did not disconnect"
exit 0
