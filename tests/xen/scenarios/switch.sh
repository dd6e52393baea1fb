# SPDX-License-Identifier: BSD-3-Clause
# Scenario 4: driver-domain switch.  Two Linux guests, each with a netfront
# vif served by a xennet backend port of ONE DPDK app in dom0 that forwards
# between them (testpmd io forwarding, ports paired 0<->1).  Guest A pings
# guest B, then sends 64 MiB over TCP; sha256 of what B received must equal
# what A sent.
. /xn/lib.sh
require_xennet
on_fail() { diag_tp sw 0; diag_tp sw 1; for g in ga gb; do gdomid $g >/dev/null && diag_guest $g; done; }
surrogate && fail "no surrogate for the switch scenario"
no_netback
MB=${XN_SWITCH_MB:-64}
t0=$(up)
tp_start sw $(eal sw 256) -d $XNPMD \
	--vdev=net_xennet0,role=backend,domain=ga,devid=0 \
	--vdev=net_xennet1,role=backend,domain=gb,devid=0 \
	-- -i --forward-mode=io --total-num-mbufs=4096
tp_ready sw || fail "switch testpmd did not start"
tp_cmd sw start
guest_cfg ga linux 256 'mac=00:16:3e:00:00:0a,script=vif-xennet' 'xn.ip=10.0.0.10/24' >/dev/null
guest_cfg gb linux 256 'mac=00:16:3e:00:00:0b,script=vif-xennet' 'xn.ip=10.0.0.11/24' >/dev/null
gcreate ga || fail "xl create ga"
gcreate gb || fail "xl create gb"
wait_connected ga || fail "ga vif not connected"
wait_connected gb || fail "gb vif not connected"
info "connected=$(secs_since $t0)s"
gwait ga || fail "ga agent"; gwait gb || fail "gb agent"
o=$(gexec ga 60 "ping_n 100 0.01 10.0.0.11")
echo "$o"
info "a_to_b_ping100: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "A->B pings lost: $(echo "$o" | grep missing)"
gexec gb 10 "(sleep 100000 | nc -l -p 5001 > /tmp/recv) </dev/null >/dev/null 2>&1 &" || fail "gb: nc sink"
o=$(gexec ga 60 "dd if=/dev/urandom of=/tmp/d bs=1M count=$MB 2>/dev/null; sha256sum /tmp/d")
echo "$o"
SENT=$(echo "$o" | awk '/\/tmp\/d/ {print $1}')
[ -n "$SENT" ] || fail "ga: could not create the data"
t1=$(up)
o=$(gexec ga 600 "nc 10.0.0.11 5001 < /tmp/d; echo nc_rc=\$?"); rc=$?
echo "$o"
o=$(gexec gb 120 "wait_for 1000 '[ \$(wc -c < /tmp/recv) = $((MB * 1048576)) ]'; wc -c < /tmp/recv; sha256sum /tmp/recv")
echo "$o"
GOT=$(echo "$o" | awk '/\/tmp\/recv/ {print $1}')
secs=$(secs_since $t1)
info "tcp_${MB}MiB=${secs}s ($(awk "BEGIN{printf \"%.2f\", $MB / $secs}") MiB/s) sent=$SENT got=$GOT"
tp_cmd sw "show port stats all" | grep -E 'statistics for port|packets'
[ "$SENT" = "$GOT" ] || fail "sha256 mismatch: sent $SENT, B received $GOT ($(echo "$o" | head -1) bytes)"
exit 0
