# SPDX-License-Identifier: BSD-3-Clause
# Scenario 5: guest lifecycle under a running backend app.  The xennet
# backend port is bound by guest NAME (domain=g1), so it must follow the
# guest through `xl destroy` + `xl create` (new domid each time), 3 times:
# link goes down and up, ping works after each, and nothing from an earlier
# incarnation stays mapped: the destroyed domain must vanish from `xl list`
# (a PV domain whose pages dom0 still maps through gntdev stays a dying
# "(null)" zombie) and connects/disconnects xstats must balance.
. /xn/lib.sh
require_xennet
on_fail() { diag_tp be 0; gdomid g1 >/dev/null && diag_guest g1; xl list; }
surrogate && fail "no surrogate for the lifecycle scenario"
no_netback
tp_icmpecho be -d $XNPMD --vdev=net_xennet0,role=backend,domain=g1,devid=0
guest_cfg g1 linux 192 'mac=00:16:3e:00:00:02,script=vif-xennet' 'xn.ip=10.0.0.2/24' >/dev/null
prev=""
for i in 1 2 3; do
	t0=$(up)
	gcreate g1 || fail "round $i: xl create"
	D=$(gdomid g1)
	[ "$D" != "$prev" ] || fail "round $i: same domid $D"
	wait_connected g1 || fail "round $i: vif not connected"
	gwait g1 || fail "round $i: agent"
	l=$(tp_link be 0)
	o=$(gexec g1 60 "ping_n 100 0.01 10.0.0.1; echo carrier=\$(carrier)")
	echo "$o"
	echo "$o" | grep -q '^missing=0 ' || fail "round $i (domid $D): pings lost: $(echo "$o" | grep missing)"
	echo "$o" | grep -q 'carrier=1' || fail "round $i: guest carrier not up"
	[ "$l" = up ] || fail "round $i: backend port link '$l' while connected"
	c=$(tp_xstat be 0 connects); dc=$(tp_xstat be 0 disconnects)
	info "round$i domid=$D up_and_pinging=$(secs_since $t0)s link=$l connects=$c disconnects=$dc"
	[ "$c" = $i ] && [ "$dc" = $((i - 1)) ] || fail "round $i: connects=$c disconnects=$dc, want $i/$((i - 1))"
	gdestroy g1 || fail "round $i: xl destroy"
	wait_for 100 no_guests || { xl list; fail "round $i: domain $D still listed after destroy (grant mappings left?)"; }
	wait_for 100 '[ "$(tp_link be 0)" = down ]' || fail "round $i: backend link still $(tp_link be 0) after destroy"
	dc=$(tp_xstat be 0 disconnects)
	[ "$dc" = $i ] || fail "round $i: disconnects=$dc after destroy, want $i"
	xenstore-ls /local/domain/0/backend/vif 2>/dev/null | grep -q . &&
		{ xenstore-ls -f /local/domain/0/backend/vif; fail "round $i: backend vif entries left"; }
	info "round$i destroyed: link=down disconnects=$dc total=$(secs_since $t0)s"
	prev=$D
done
tp_cmd be "show port xstats 0" | grep -v ': 0$'
exit 0
