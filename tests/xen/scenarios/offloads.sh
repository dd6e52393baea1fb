# SPDX-License-Identifier: BSD-3-Clause
# Scenario 13: offloads towards Linux netfront.  Scenario 4's switch (two
# Linux guests through testpmd io forwarding in dom0) with Rx LRO and
# scattered Rx on the xennet ports and MTU 9000 everywhere: the backend
# offers feature-sg and feature-gso-tcpv4/v6, netfront takes them, so the
# guests' 64 KiB TSO frames cross the switch whole (a GSO extra in, an LRO
# mbuf through testpmd, a GSO extra out) with partial checksums. Checks:
# the keys both ends wrote, MTU 9000 pings of 8972 bytes, 64 MiB A->B over
# TCP with sha256 equal, GSO frames counted on both ports, no frame
# dropped for length or checksum. Reports MiB/s: compare with scenario 4
# run in the same boot.
. /xn/lib.sh
require_xennet
on_fail() { diag_tp sw 0; diag_tp sw 1; for g in ga gb; do gdomid $g >/dev/null && diag_guest $g; done; }
surrogate && fail "no surrogate for the offloads scenario"
no_netback
MB=${XN_SWITCH_MB:-64}
t0=$(up)
tp_start sw $(eal sw 256) -d $XNPMD \
	--vdev=net_xennet0,role=backend,domain=ga,devid=0 \
	--vdev=net_xennet1,role=backend,domain=gb,devid=0 \
	-- -i --forward-mode=io --total-num-mbufs=8192 \
	--enable-lro --enable-scatter --max-pkt-len=9018
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
for g in ga gb; do
	fe=$(fe_path $g); be=$(be_path $g)
	keys=""
	for k in feature-sg feature-gso-tcpv4 feature-gso-tcpv6 feature-ipv6-csum-offload; do
		keys="$keys be.$k=$(xenstore-read $be/$k 2>/dev/null) fe.$k=$(xenstore-read $fe/$k 2>/dev/null)"
	done
	info "$g$keys"
	for k in feature-sg feature-gso-tcpv4; do
		[ "$(xenstore-read $be/$k 2>/dev/null)" = 1 ] || fail "$g: backend $k not 1"
		[ "$(xenstore-read $fe/$k 2>/dev/null)" = 1 ] || fail "$g: netfront $k not 1"
	done
	o=$(gexec $g 20 "ip link set eth0 mtu 9000 && cat /sys/class/net/eth0/mtu")
	[ "$(echo "$o" | tail -1)" = 9000 ] || fail "$g: MTU 9000 not taken: $o"
done
o=$(gexec ga 60 "ping_n 20 0.05 10.0.0.11 -s 8972")
echo "$o"
info "a_to_b_ping20_8972: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "A->B 9000-byte pings lost: $(echo "$o" | grep missing)"
gexec gb 10 "(sleep 100000 | nc -l -p 5001 > /tmp/recv) </dev/null >/dev/null 2>&1 &" || fail "gb: nc sink"
o=$(gexec ga 60 "dd if=/dev/urandom of=/tmp/d bs=1M count=$MB 2>/dev/null; sha256sum /tmp/d")
SENT=$(echo "$o" | awk '/\/tmp\/d/ {print $1}')
[ -n "$SENT" ] || fail "ga: could not create the data"
t1=$(up)
o=$(gexec ga 600 "nc 10.0.0.11 5001 < /tmp/d; echo nc_rc=\$?")
echo "$o"
o=$(gexec gb 120 "wait_for 1000 '[ \$(wc -c < /tmp/recv) = $((MB * 1048576)) ]'; wc -c < /tmp/recv; sha256sum /tmp/recv")
echo "$o"
GOT=$(echo "$o" | awk '/\/tmp\/recv/ {print $1}')
secs=$(secs_since $t1)
info "tcp_${MB}MiB_offloads=${secs}s ($(awk "BEGIN{printf \"%.2f\", $MB / $secs}") MiB/s) sent=$SENT got=$GOT"
[ "$SENT" = "$GOT" ] || fail "sha256 mismatch: sent $SENT, B received $GOT ($(echo "$o" | head -1) bytes)"
x0=$(tp_cmd sw "show port xstats 0"); x1=$(tp_cmd sw "show port xstats 1")
xs() { echo "$1" | awk -v k="$2:" '$1 == k {print $2}'; }
info "port0 rx_gso=$(xs "$x0" rx_q0_gso) rx_packets=$(xs "$x0" rx_q0_packets) tx_gso=$(xs "$x0" tx_q0_gso)" \
	"port1 tx_gso=$(xs "$x1" tx_q0_gso) tx_packets=$(xs "$x1" tx_q0_packets) rx_gso=$(xs "$x1" rx_q0_gso)"
[ "$(xs "$x0" rx_q0_gso)" -gt 0 ] 2>/dev/null || fail "no GSO frame from ga on port 0"
[ "$(xs "$x1" tx_q0_gso)" -gt 0 ] 2>/dev/null || fail "no GSO frame to gb on port 1"
for x in "$x0" "$x1"; do
	for k in rx_q0_too_long rx_q0_bad_csum rx_q0_gso_unsupported tx_q0_gso_unsupported tx_q0_not_supported; do
		[ "$(xs "$x" $k)" = 0 ] || fail "$k = $(xs "$x" $k)"
	done
done
exit 0
