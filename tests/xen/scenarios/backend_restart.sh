# SPDX-License-Identifier: BSD-3-Clause
# Scenario 9: the backend application is replaced under a running guest.
# A Linux guest pings (every 50 ms, iputils -D timestamps) the icmpecho
# testpmd of scenario 1 serving its vif.  The backend testpmd is stopped by
# SIGTERM (it closes its port: rings unmapped, event channels closed, the
# vif left Connected), a new one starts and must answer again; then the
# same with SIGKILL.  Nothing is done in the guest in between.  Measured:
# from the new testpmd's "Port 0: <MAC>" line (port started) to its first
# transmitted echo reply (a poll of its port stats, so an upper bound), and
# the guest's gap between replies (from which the time from port start to
# the first reply is estimated too); the guest kernel's echo requests out
# and replies in are reported next to ping's own count (iputils counts the
# requests it could not send during a long outage, ENOBUFS, as transmitted:
# they show as unanswered seqs and send_errors).  Both xenstore states
# must stay Connected throughout: every write to them is logged by
# xenstore-watch.
. /xn/lib.sh
require_xennet
BOUND=10        # generous: TCG; the target is 2 s
on_fail() {
	for n in be be2 be3; do tp_alive $n && diag_tp $n 0; done
	gdomid g1 >/dev/null && { gexec g1 20 "tail -5 /tmp/bgping"; diag_guest g1; }
	echo "---- state writes"; cat /tmp/states.log 2>/dev/null
	stop_watch
}
surrogate && fail "no surrogate for the backend_restart scenario"
no_netback
BEARGS="--log-level=pmd.net.xennet:info -d $XNPMD --vdev=net_xennet0,role=backend,domain=g1,devid=0"

# start_watch: log "<uptime> <node> <value>" for every write of the vif's
# two state nodes (and once at the start)
WPIDS=""
start_watch() {
	rm -f /tmp/states.log
	for p in $FE/state $BE/state; do
		f=/tmp/stw.$(echo $p | md5sum | cut -c1-8)
		rm -f $f; mkfifo $f
		timeout 400 xenstore-watch $p > $f 2>/dev/null &
		WPIDS="$WPIDS $!"
		(while read -r w rest; do echo "$(up) $w $(xenstore-read $w 2>/dev/null)"; done < $f >> /tmp/states.log) &
	done
}
stop_watch() { [ -n "$WPIDS" ] && kill $WPIDS 2>/dev/null; WPIDS=""; }
states_ok() { state_is $FE 4 && state_is $BE 4; }
txpkts() { set -- $(tp_stats $1 0); echo ${2:-0}; }

tp_icmpecho be $BEARGS
guest_cfg g1 linux 192 'mac=00:16:3e:00:00:02,script=vif-xennet' 'xn.ip=10.0.0.2/24' >/dev/null
gcreate g1 || fail "xl create g1"
wait_connected g1 || fail "vif not connected"
gwait g1 || fail "guest agent not ready"
FE=$(fe_path g1); BE=$(be_path g1)
o=$(gexec g1 60 "ping_n 50 0.01 10.0.0.1")
echo "$o" | grep -q '^missing=0 ' || fail "initial pings lost: $o"
start_watch
gexec g1 10 "echo \$(snmp Icmp OutEchos) \$(snmp Icmp InEchoReps) > /tmp/icmp0;
	(iping -n -D -i 0.05 10.0.0.1 > /tmp/bgping 2>&1 &) </dev/null >/dev/null 2>&1" >/dev/null
wait_for 100 '[ "$(txpkts be)" -gt 70 ]' || fail "backend be answers no pings"

# restart OLD NEW SIGNAL: replace backend testpmd OLD by NEW
restart() {
	_old=$1 _new=$2 _sig=$3
	tx0=$(txpkts $_old)
	t_kill=$(up)
	kill -$_sig "$(cat /tmp/$_old.pid)"
	wait_for 600 "! tp_alive $_old" || fail "$_sig: testpmd $_old still running"
	t_gone=$(up)
	tp_stop $_old
	if [ $_sig = TERM ]; then
		grep -q "leaving .*backend/vif/.* connected for the next backend" $OUT/$_old.log ||
			fail "TERM: $_old did not hand over the vif (log: $(grep -i xennet $OUT/$_old.log | tail -3))"
	fi
	states_ok || fail "$_sig: states fe=$(xs_state $FE) be=$(xs_state $BE) after $_old ended"
	tp_start $_new $(eal $_new 256) $BEARGS -- -i --auto-start \
		--forward-mode=icmpecho --total-num-mbufs=2048
	t_port=""; t_conn=""; _n=0
	while [ -z "$t_port" ] || [ -z "$t_conn" ]; do
		[ -z "$t_port" ] && grep -q '^Port 0: [0-9A-F][0-9A-F]:' $OUT/$_new.log && t_port=$(up)
		[ -z "$t_conn" ] && grep -q 'connected to domain' $OUT/$_new.log && t_conn=$(up)
		_n=$((_n + 1))
		[ $_n -gt 3000 ] && fail "$_sig: $_new: port_started=${t_port:-no} connected=${t_conn:-no}"
		tp_alive $_new || { tail -20 $OUT/$_new.log; fail "$_sig: testpmd $_new died"; }
		sleep 0.05
	done
	tp_ready $_new || fail "$_sig: testpmd $_new has no prompt"
	wait_for $((BOUND * 10)) '[ "$(txpkts $_new)" -gt 0 ]'
	t_ans=$(up)
	tx1=$(txpkts $_new)
	resume=$(awk "BEGIN{printf \"%.2f\", $t_ans - $t_port}")
	info "$_sig: $_old had answered $tx0; gone after $(awk "BEGIN{printf \"%.2f\", $t_gone - $t_kill}")s;" \
		"$_new port started $(awk "BEGIN{printf \"%.2f\", $t_port - $t_kill}")s after the kill," \
		"connected $(awk "BEGIN{printf \"%.2f\", $t_conn - $t_port}")s after port start," \
		"answering ${resume}s after port start (poll: upper bound), $(secs_since $t_kill)s after the kill"
	[ "$tx1" -gt 0 ] || fail "$_sig: $_new answers no pings ${BOUND}s after its port started"
	awk "BEGIN{exit !($resume <= $BOUND)}" || fail "$_sig: answering ${resume}s after port start (> ${BOUND}s)"
	states_ok || fail "$_sig: states fe=$(xs_state $FE) be=$(xs_state $BE) after $_new started"
	grep -E 'xennet|connected' $OUT/$_new.log | tail -5
	eval "RESUME_$_sig=$resume PORT_$_sig=$(awk "BEGIN{printf \"%.2f\", $t_port - $t_kill}")"
}
restart be be2 TERM
sleep 3
restart be2 be3 KILL
sleep 3
set -- $(tp_stats be3 0)
info "be3 after 3 s: rx=$1 tx=$2 connects=$(tp_xstat be3 0 connects) fatal_errors=$(tp_xstat be3 0 fatal_errors)"
stop_watch
# the guest: ping's view (gaps between replies), carrier, netfront messages
o=$(gexec g1 30 'kill -INT $(pidof iping); sleep 1; ping_gaps /tmp/bgping
	set -- $(cat /tmp/icmp0); echo kernel_echo_requests_out=$(($(snmp Icmp OutEchos) - $1)) kernel_echo_replies_in=$(($(snmp Icmp InEchoReps) - $2))
	echo carrier=$(carrier); dmesg | grep -i -E "netfront|vif" | tail -5')
echo "$o"
info "guest: $(echo "$o" | grep -E 'transmitted|gap=|unanswered=|kernel_echo|carrier' | tr '\n' ' ')"
echo "---- state writes"; cat /tmp/states.log
info "state_writes=$(wc -l < /tmp/states.log) non_connected=$(awk '$3 != 4' /tmp/states.log | wc -l)"
awk '$3 != 4' /tmp/states.log | grep -q . && fail "a state left Connected: $(awk '$3 != 4' /tmp/states.log | head -3 | tr '\n' ' ')"
echo "$o" | grep -q 'carrier=1' || fail "guest carrier not up at the end"
[ "$(tp_xstat be3 0 connects)" = 1 ] || fail "be3 connects=$(tp_xstat be3 0 connects), want 1"
# The guest's view: its last reply before a kill came within ~50 ms of
# it (SIGKILL; a SIGTERMed testpmd may answer a little longer), so
# "gap - (port started - kill)" estimates when after the port start the
# first reply came (both clocks are Xen system time; the port start is
# seen by a 50 ms log poll, so it may read a little late)
set -- $(echo "$o" | sed -n 's/^gap=\([0-9.]*\)s .*/\1/p' | awk '$1 >= 5')
[ $# = 2 ] && est="TERM=$(awk "BEGIN{printf \"%.2f\", $1 - $PORT_TERM}")s KILL=$(awk "BEGIN{printf \"%.2f\", $2 - $PORT_KILL}")s" ||
	est="(outage gaps: $*)"
info "resume_after_port_start TERM=${RESUME_TERM}s KILL=${RESUME_KILL}s (dom0 poll, upper bound); guest view $est"
exit 0
