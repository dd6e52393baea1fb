# SPDX-License-Identifier: BSD-3-Clause
# Harness self-test (no xennet): Linux netfront in a guest <-> Linux
# xen-netback in dom0.  Guest pings dom0 500x, dom0 pings the guest, 4 MiB TCP
# guest -> dom0 with sha256 check.
. /xn/lib.sh
modload xen-netback || fail "cannot load xen-netback"
guest_cfg g1 linux 192 'mac=00:16:3e:00:00:02,script=vif-netback' 'xn.ip=10.0.0.2/24' >/dev/null
t0=$(up)
gcreate g1 || fail "xl create g1"
D=$(gdomid g1)
wait_for 300 "[ -e /sys/class/net/vif$D.0 ]" || fail "no vif$D.0 in dom0"
ip addr add 10.0.0.1/24 dev vif$D.0 && ip link set vif$D.0 up
wait_for 900 state_is /local/domain/$D/device/vif/0 4 || fail "frontend not Connected: $(xs_state /local/domain/$D/device/vif/0)"
wait_for 100 state_is /local/domain/0/backend/vif/$D/0 4 || fail "backend not Connected"
info "connected=$(secs_since $t0)s"
gwait g1 || fail "guest agent"
info "agent_ready=$(secs_since $t0)s"
o=$(gexec g1 90 "ping_n 500 0.01 10.0.0.1"); rc=$?
echo "$o"
info "guest_ping500: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "guest->dom0 pings lost (rc=$rc): $(echo "$o" | grep missing)"
o=$(ping_n 100 0.01 10.0.0.2)
echo "$o"
echo "$o" | grep -q '^missing=0 ' || fail "dom0->guest pings lost: $(echo "$o" | grep missing)"
(sleep 600 | nc -l -p 5001 > /tmp/recv) </dev/null >/dev/null 2>&1 &
sleep 0.5
t1=$(up)
o=$(gexec g1 120 "dd if=/dev/urandom of=/tmp/d bs=1M count=4 2>/dev/null && sha256sum /tmp/d && nc 10.0.0.1 5001 < /tmp/d"); rc=$?
echo "$o"
wait_for 300 '[ "$(wc -c < /tmp/recv)" = 4194304 ]' || fail "TCP: received $(wc -c < /tmp/recv) of 4194304 bytes"
sent=$(echo "$o" | awk '/\/tmp\/d/ {print $1}')
got=$(sha256sum /tmp/recv | cut -d' ' -f1)
[ "$sent" = "$got" ] || fail "TCP sha256 mismatch sent=$sent got=$got"
info "tcp_4MiB=$(secs_since $t1)s sha256=ok"
for s in rx_packets tx_packets rx_dropped tx_dropped; do echo "vif$D.0 $s=$(cat /sys/class/net/vif$D.0/statistics/$s)"; done
gdestroy g1 || fail "xl destroy"
wait_for 100 no_guests || fail "guest left after destroy: $(xl list)"
exit 0
