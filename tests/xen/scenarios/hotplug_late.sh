# SPDX-License-Identifier: BSD-3-Clause
# Scenario 10: hotplug mode with guests that come later.  testpmd in dom0
# starts with one backend vdev in hotplug mode (hotplug=1) while no guest
# exists: it has no port.  Two Linux guests are created afterwards; each
# vif must become a port named after its guest (net_xennet0_<guest>_0,
# what an operator reads in "show port summary"), be set up (testpmd's
# "port attach") and forward (io, ports paired 0<->1): A pings B and sends
# it 4 MiB over TCP, sha256 equal.
. /xn/lib.sh
require_xennet
on_fail() { diag_tp hp 0; diag_tp hp 1; for g in ga gb; do gdomid $g >/dev/null && diag_guest $g; done; }
surrogate && fail "no surrogate for the hotplug_late scenario"
no_netback
MB=4
t0=$(up)
tp_start hp $(eal hp 256) -d $XNPMD --vdev=net_xennet0,role=backend,hotplug=1 \
	-- -i --forward-mode=io --total-num-mbufs=4096
tp_ready hp || fail "hotplug testpmd did not start"
n=$(tp_ports hp | wc -l)
[ "$n" = 0 ] || fail "$n ports before any guest exists: $(tp_ports hp | tr '\n' ' ')"
info "backend_ready=$(secs_since $t0)s ports=0"
guest_cfg ga linux 192 'mac=00:16:3e:00:00:0a,script=vif-xennet' 'xn.ip=10.0.0.10/24' >/dev/null
guest_cfg gb linux 192 'mac=00:16:3e:00:00:0b,script=vif-xennet' 'xn.ip=10.0.0.11/24' >/dev/null
t1=$(up)
gcreate ga || fail "xl create ga"
gcreate gb || fail "xl create gb"
tp_wait_ports hp 2 60 || fail "ports: $(tp_ports hp | tr '\n' ' ')"
o=$(tp_ports hp)
echo "$o"
info "ports: $(echo "$o" | tr '\n' ' ') ($(secs_since $t1)s after the first xl create)"
[ "$o" = "0 net_xennet0_ga_0
1 net_xennet0_gb_0" ] || fail "ports are not net_xennet0_ga_0 and net_xennet0_gb_0: $(echo "$o" | tr '\n' ' ')"
tp_take_hotplugged hp net_xennet0_ga_0 > $OUT/hp-start.txt
grep -q "Port 1 is attached" $OUT/hp-start.txt || fail "testpmd did not set up the hotplugged ports: $(tr '\n' ' ' < $OUT/hp-start.txt)"
wait_connected ga || fail "ga vif not connected"
wait_connected gb || fail "gb vif not connected"
info "connected=$(secs_since $t1)s after the first xl create"
gwait ga || fail "ga agent"; gwait gb || fail "gb agent"
o=$(gexec ga 60 "ping_n 100 0.01 10.0.0.11")
echo "$o"
info "a_to_b_ping100: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "A->B pings lost: $(echo "$o" | grep missing)"
gexec gb 30 "nc_sink 5001 /tmp/recv" || fail "gb: no TCP sink"
o=$(gexec ga 60 "dd if=/dev/urandom of=/tmp/d bs=1M count=$MB 2>/dev/null; sha256sum /tmp/d")
SENT=$(echo "$o" | awk '/\/tmp\/d/ {print $1}')
[ -n "$SENT" ] || fail "ga: could not create the data"
t2=$(up)
gexec ga 300 "nc 10.0.0.11 5001 < /tmp/d; echo nc_rc=\$?"
o=$(gexec gb 120 "wait_for 1000 '[ \$(wc -c < /tmp/recv) = $((MB * 1048576)) ]'; wc -c < /tmp/recv; sha256sum /tmp/recv")
echo "$o"
GOT=$(echo "$o" | awk '/\/tmp\/recv/ {print $1}')
info "tcp_${MB}MiB=$(secs_since $t2)s sent=$SENT got=$GOT"
[ "$SENT" = "$GOT" ] || fail "sha256 mismatch: sent $SENT, B received $GOT ($(echo "$o" | head -1) bytes)"
tp_cmd hp "show port stats all" | grep -E 'statistics for port|packets'
exit 0
