# SPDX-License-Identifier: BSD-3-Clause
# Scenario 12: driver-domain learning switch.  examples/xennet-vswitch in
# dom0 serves every vif in hotplug mode (a port per vif as it appears) and
# switches two Linux guests: A pings B.  A third guest created while it
# runs gets a port and reaches both; unicast between A and C is not
# flooded to B once learnt (B's rx counter grows by a few ARP broadcasts at
# most, not by the 100 pings).  SIGTERM closes every port and leaves the
# vifs Connected for the next backend.
. /xn/lib.sh
require_xennet
VS=/opt/xennet/xennet-vswitch
vs_stats() { grep 'xennet-vswitch: stats' $OUT/vs.log | tail -1; }
on_fail() { echo "---- vswitch"; tail -30 $OUT/vs.log; for g in ga gb gc; do gdomid $g >/dev/null && diag_guest $g; done; }
surrogate && fail "no surrogate for the vswitch scenario"
no_netback
[ -x $VS ] || fail "$VS not in the image"
say "vswitch: $VS $(eal vs 256) -d $XNPMD -- --stats 5"
( LD_PRELOAD=/opt/dpdk/libstdbuf.so _STDBUF_O=L exec $VS $(eal vs 256) -d $XNPMD \
	-- --stats 5 ) </dev/null > $OUT/vs.log 2>&1 &
VSPID=$!
wait_for 600 "grep -q '^xennet-vswitch: running' $OUT/vs.log" ||
	fail "vswitch did not start: $(tail -5 $OUT/vs.log)"
for g in a b c; do
	guest_cfg g$g linux 256 "mac=00:16:3e:00:00:0$g,script=vif-xennet" \
		"xn.ip=10.0.0.1$(echo $g | tr abc 012)/24" >/dev/null
done
gcreate ga || fail "xl create ga"
gcreate gb || fail "xl create gb"
wait_connected ga || fail "ga vif not connected"
wait_connected gb || fail "gb vif not connected"
gwait ga || fail "ga agent"; gwait gb || fail "gb agent"
o=$(gexec ga 60 "ping_n 100 0.01 10.0.0.11")
echo "$o"
echo "$o" | grep -q '^missing=0 ' || fail "A->B pings lost: $(echo "$o" | grep missing)"
# The third guest, while the switch runs.
t0=$(up)
gcreate gc || fail "xl create gc"
wait_connected gc || fail "gc vif not connected"
grep -q '^xennet-vswitch: port [0-9]* (net_xennet0_gc_0) added$' $OUT/vs.log ||
	fail "no port added for gc: $(grep port $OUT/vs.log)"
gwait gc || fail "gc agent"
info "third_guest_connected=$(secs_since $t0)s"
for ip in 10.0.0.10 10.0.0.11; do
	o=$(gexec gc 60 "ping_n 100 0.01 $ip")
	echo "$o"
	echo "$o" | grep -q '^missing=0 ' || fail "C->$ip pings lost: $(echo "$o" | grep missing)"
done
# Learnt: A <-> C unicast does not reach B.
b0=$(gexec gb 10 "cat /sys/class/net/eth0/statistics/rx_packets")
o=$(gexec ga 60 "ping_n 100 0.01 10.0.0.12")
echo "$o" | grep -q '^missing=0 ' || fail "A->C pings lost: $(echo "$o" | grep missing)"
b1=$(gexec gb 10 "cat /sys/class/net/eth0/statistics/rx_packets")
info "b_rx_during_a_to_c=$((b1 - b0)) $(vs_stats)"
[ $((b1 - b0)) -lt 20 ] || fail "B received $((b1 - b0)) frames during 100 A<->C pings: flooded"
kill -TERM $VSPID
wait_for 150 "! kill -0 $VSPID 2>/dev/null" || fail "vswitch did not exit on SIGTERM"
grep -q '^xennet-vswitch: bye' $OUT/vs.log || fail "vswitch did not exit cleanly: $(tail -5 $OUT/vs.log)"
for g in ga gb gc; do
	state_is $(be_path $g) 4 || fail "$g: backend state $(xs_state $(be_path $g)) after the switch exit, want 4 (left Connected)"
done
exit 0
