# SPDX-License-Identifier: BSD-3-Clause
# Scenario 1: Linux netfront in a guest -> xennet backend in dom0 running
# testpmd --forward-mode=icmpecho.  The guest's link comes up; it pings the
# address testpmd answers (ARP + ICMP): 500 pings, none lost.
# Start order: the backend app runs and watches BEFORE `xl create` (libxl
# waits at most 10 s for backend state InitWait before it runs vif-xennet).
. /xn/lib.sh
require_xennet
on_fail() { diag_tp be 0; gdomid g1 >/dev/null && diag_guest g1; }
t0=$(up)
if surrogate; then
	modload xen-netback; SCRIPT=vif-netback
else
	no_netback; SCRIPT=vif-xennet
	tp_icmpecho be -d $XNPMD --vdev=net_xennet0,role=backend,domain=g1,devid=0
fi
guest_cfg g1 linux 192 "mac=00:16:3e:00:00:02,script=$SCRIPT" 'xn.ip=10.0.0.2/24' >/dev/null
gcreate g1 || fail "xl create g1"
D=$(gdomid g1)
if surrogate; then
	wait_for 300 "[ -e /sys/class/net/vif$D.0 ]" || fail "no vif$D.0"
	tp_icmpecho be -d $PMDS/librte_net_af_packet.so --vdev=net_af_packet0,iface=vif$D.0
fi
wait_connected g1 || fail "vif not connected"
info "connected=$(secs_since $t0)s"
gwait g1 || fail "guest agent not ready"
o=$(gexec g1 30 'wait_for 100 "[ \$(carrier) = 1 ]"; echo carrier=$(carrier) operstate=$(cat /sys/class/net/eth0/operstate)')
echo "$o"
echo "$o" | grep -q 'carrier=1' || fail "guest link not up: $o"
o=$(gexec g1 90 "ping_n 500 0.01 10.0.0.1; ip neigh show 10.0.0.1; grep eth0 /proc/net/dev")
echo "$o"
info "guest_ping500: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "pings lost: $(echo "$o" | grep missing)"
surrogate || echo "$o" | grep -qi 'fe:ff:ff:ff:ff:ff' || fail "ARP: 10.0.0.1 not resolved to the port MAC fe:ff:ff:ff:ff:ff"
st=$(tp_stats be 0); info "backend_port_stats(rx tx rxerr txerr missed)=$st"
set -- $st
[ "$1" -ge 501 ] && [ "$2" -ge 501 ] || fail "backend counters too low: rx=$1 tx=$2"
tp_cmd be "show port xstats 0" | grep -v ': 0$'
exit 0
