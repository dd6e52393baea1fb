# SPDX-License-Identifier: BSD-3-Clause
# Scenario 6: hot-unplug.  `xl network-detach` the guest's vif while a ping
# runs, then `xl network-attach` a new one: the backend releases the old vif
# (Closed, link down, disconnects+1, libxl removes the backend dir) and
# serves the new one (connects+1, pings answered).
. /xn/lib.sh
require_xennet
on_fail() { diag_tp be 0; gdomid g1 >/dev/null && diag_guest g1; xl list; xenstore-ls -f /local/domain/0/backend 2>/dev/null; }
surrogate && fail "no surrogate for the hotplug scenario"
no_netback
tp_icmpecho be -d $XNPMD --vdev=net_xennet0,role=backend,domain=g1,devid=0
guest_cfg g1 linux 192 'mac=00:16:3e:00:00:02,script=vif-xennet' 'xn.ip=10.0.0.2/24' >/dev/null
gcreate g1 || fail "xl create"
D=$(gdomid g1)
wait_connected g1 || fail "vif not connected"
gwait g1 || fail "agent"
o=$(gexec g1 60 "ping_n 50 0.01 10.0.0.1")
echo "$o" | grep -q '^missing=0 ' || fail "initial pings lost: $o"
# traffic running during the detach
gexec g1 10 "(ping -i 0.05 10.0.0.1 > /tmp/bgping 2>&1 &) </dev/null >/dev/null 2>&1" >/dev/null
sleep 2
t0=$(up)
xl network-detach g1 0 || fail "xl network-detach failed"
info "network_detach=$(secs_since $t0)s"
xenstore-exists $(be_path g1 0) && fail "backend dir $(be_path g1 0) still there after detach"
wait_for 100 '[ "$(tp_link be 0)" = down ]' || fail "backend link still $(tp_link be 0) after detach"
dc=$(tp_xstat be 0 disconnects)
[ "$dc" = 1 ] || fail "disconnects=$dc after detach, want 1"
o=$(gexec g1 20 "ls /sys/class/net; tail -3 /tmp/bgping")
echo "$o"
echo "$o" | grep -qx eth0 && fail "guest eth0 still present after detach"
t1=$(up)
xl network-attach g1 mac=00:16:3e:00:00:03 script=vif-xennet || fail "xl network-attach failed"
info "network_attach=$(secs_since $t1)s devices: $(xenstore-list /local/domain/$D/device/vif | tr '\n' ' ')"
N=$(xenstore-list /local/domain/$D/device/vif | tail -1)
[ "$N" = 0 ] || fail "new vif got devid $N; the backend port serves devid 0"
wait_connected g1 0 || fail "new vif not connected"
o=$(gexec g1 60 "netup 10.0.0.2/24 && cat /sys/class/net/eth0/address && ping_n 100 0.01 10.0.0.1")
echo "$o"
echo "$o" | grep -q '00:16:3e:00:00:03' || fail "guest eth0 is not the new vif"
echo "$o" | grep -q '^missing=0 ' || fail "pings over the new vif lost: $(echo "$o" | grep missing)"
c=$(tp_xstat be 0 connects); dc=$(tp_xstat be 0 disconnects)
info "after_attach connects=$c disconnects=$dc link=$(tp_link be 0) reconnected=$(secs_since $t1)s"
[ "$c" = 2 ] || fail "connects=$c after re-attach, want 2"
gexec g1 10 "killall ping; tail -2 /tmp/bgping"
tp_cmd be "show port xstats 0" | grep -v ': 0$'
exit 0
