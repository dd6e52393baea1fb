# SPDX-License-Identifier: BSD-3-Clause
# Scenario 2: xennet frontend in a guest (testpmd icmpecho) -> Linux
# xen-netback in dom0: dom0 pings the guest through vif<domid>.0, 500 pings,
# none lost.  The guest boots without xen-netfront (xn.nonetfront) so
# device/vif/0 is left to the userspace frontend.
. /xn/lib.sh
require_xennet
on_fail() { gdomid g1 >/dev/null && { gexec g1 30 "diag_tp fe 0"; diag_guest g1; }; D=$(gdomid g1); grep vif /proc/net/dev; }
modload xen-netback || fail "cannot load xen-netback"
t0=$(up)
if surrogate; then
	guest_cfg g1 dpdk 448 'mac=00:16:3e:00:00:02,script=vif-netback' '' >/dev/null
	FE="-d $PMDS/librte_net_af_packet.so --vdev=net_af_packet0,iface=eth0"
else
	guest_cfg g1 dpdk 448 'mac=00:16:3e:00:00:02,script=vif-netback' 'xn.nonetfront' >/dev/null
	FE="-d $XNPMD --vdev=net_xennet0,role=frontend,devid=0"
fi
gcreate g1 || fail "xl create g1"
D=$(gdomid g1)
wait_for 300 "[ -e /sys/class/net/vif$D.0 ]" || fail "no vif$D.0"
ip addr add 10.0.0.1/24 dev vif$D.0 && ip link set vif$D.0 up
gwait g1 || fail "guest agent not ready"
surrogate && gexec g1 10 "wait_for 300 '[ -e /sys/class/net/eth0 ]'; ip link set eth0 up"
o=$(gexec g1 120 "tp_start fe \$(eal fe 128) $FE -- -i --forward-mode=icmpecho --total-num-mbufs=2048 && tp_ready fe && tp_cmd fe start"); rc=$?
echo "$o"
[ $rc = 0 ] || fail "frontend testpmd did not start (rc=$rc)"
wait_connected g1 || fail "vif not connected"
info "connected=$(secs_since $t0)s"
wait_for 100 "[ \$(cat /sys/class/net/vif$D.0/carrier) = 1 ]" || fail "vif$D.0 carrier down"
o=$(ping_n 500 0.01 10.0.0.2; ip neigh show 10.0.0.2)
echo "$o"
info "dom0_ping500: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "pings lost: $(echo "$o" | grep missing)"
for s in rx_packets tx_packets rx_dropped tx_dropped; do echo "vif$D.0 $s=$(cat /sys/class/net/vif$D.0/statistics/$s)"; done
o=$(gexec g1 30 "tp_stats fe 0; tp_cmd fe 'show port xstats 0' | grep -v ': 0\$'")
echo "$o"
info "frontend_port_stats(rx tx rxerr txerr missed)=$(echo "$o" | head -1)"
gexec g1 30 "tp_stop fe" >/dev/null
exit 0
