# SPDX-License-Identifier: BSD-3-Clause
# Scenario 11: the xennet backend in a driver domain.  A PV domain "drv"
# (driver_domain = 1) runs `xl devd` and testpmd with a hotplug=1 backend
# vdev answering ARP and ICMP (icmpecho); a Linux guest whose vif says
# backend=drv is created after it.  dom0 runs no backend at all: the vif's
# backend directory is in drv's xenstore tree, `xl devd` runs vif-xennet in
# drv, and the guest's 500 pings are answered by drv's testpmd (ARP
# resolves to its port MAC, its port counts them).  What drv may read of
# the guest's xenstore entries is reported: libxl lets only dom0 and the
# guest read its name, so the port is named by domid.  The guest is
# destroyed: the backend goes Closed, devd runs vif-xennet offline and
# removes the backend directory, which xl destroy waits for.
# One guest, not two through a testpmd switch: with a backend in a driver
# domain, short-lived processes crash in dom0 and the guests under TCG
# (doc/guides/xen-harness.rst); the fewer of them a scenario needs, the
# fewer fail it.
. /xn/lib.sh
require_xennet
surrogate && fail "no surrogate for the driver domain scenario"
no_netback
drv_exec() { gexec drv "$@"; }
on_fail() {
	if gdomid drv >/dev/null; then
		drv_exec 30 "diag_tp dd 0; echo ---- devd; tail -20 /tmp/out/devd.log;
			echo ---- hotplug.log; cat /var/log/xen/hotplug.log; echo ---- testpmd; tail -20 /tmp/out/dd.log"
		xenstore-ls -fp /local/domain/$(gdomid drv)/backend 2>/dev/null
	fi
	gdomid g1 >/dev/null && diag_guest g1
	xl list
}
t0=$(up)
guest_cfg drv dd 512 none 'xn.nonetfront' >/dev/null
echo 'driver_domain = 1' >> /tmp/drv.cfg
gcreate drv || fail "xl create drv"
gwait drv || fail "drv agent"
DD=$(gdomid drv)
o=$(drv_exec 150 "(xl devd -F > /tmp/out/devd.log 2>&1 &) </dev/null >/dev/null 2>&1
	tp_start dd \$(eal dd 256) -d $XNPMD --vdev=net_xennet0,role=backend,hotplug=1 \
		-- -i --forward-mode=icmpecho --total-num-mbufs=2048 && tp_ready dd && pidof xl"); rc=$?
echo "$o"
[ $rc = 0 ] || fail "drv: testpmd or xl devd did not start (rc=$rc)"
info "drv_ready=$(secs_since $t0)s domid=$DD"
guest_cfg g1 linux 192 'mac=00:16:3e:00:00:02,backend=drv,script=vif-xennet' 'xn.ip=10.0.0.2/24' >/dev/null
gcreate g1 || fail "xl create g1"
G=$(gdomid g1)
[ -n "$G" ] || fail "no domid for g1"
o=$(drv_exec 90 "tp_wait_ports dd 1 60 || echo missing port; tp_ports dd")
echo "$o"
info "drv_ports: $(echo "$o" | tr '\n' ' ')"
[ "$o" = "0 net_xennet0_d${G}_0" ] || fail "drv's port is not net_xennet0_d${G}_0: $(echo "$o" | tr '\n' ' ')"
drv_exec 60 "tp_take_hotplugged dd net_xennet0_d${G}_0" > $OUT/drv-start.txt || fail "drv: port not started"
grep -q "Port 0 is attached" $OUT/drv-start.txt || fail "drv: testpmd did not set up the port: $(tr '\n' ' ' < $OUT/drv-start.txt)"
FE=/local/domain/$G/device/vif/0; BE=/local/domain/$DD/backend/vif/$G/0
wait_for 900 "state_is $FE 4 && state_is $BE 4" ||
	fail "vif not connected: fe=$(xs_state $FE) be=$(xs_state $BE) hotplug-status=$(xenstore-read $BE/hotplug-status 2>/dev/null)"
info "connected=$(secs_since $t0)s"
[ "$(xenstore-read $FE/backend-id)" = $DD ] || fail "backend-id $(xenstore-read $FE/backend-id), want $DD"
[ "$(xenstore-read $BE/hotplug-status)" = connected ] || fail "hotplug-status not connected"
xenstore-ls /local/domain/0/backend/vif 2>/dev/null | grep -q . && fail "dom0 has backend vifs: $(xenstore-ls -f /local/domain/0/backend/vif)"
# what the driver domain may read (dom0 reads all)
o=$(drv_exec 30 "for p in /local/domain/$G/name /local/domain/$G/vm /local/domain/$G/domid \
		/local/domain/$G/device/vif/0/mac /local/domain/$G/device/vif/0/tx-ring-ref \
		$BE/mac $BE/script /local/domain/$DD/name /local/domain/0/name; do
		xenstore-read \$p >/dev/null 2>&1 && echo \"read \$p\" || echo \"denied \$p\"; done
	xenstore-list /local/domain >/dev/null 2>&1 && echo 'list /local/domain' || echo 'denied list /local/domain'
	xenstore-list /local/domain/$G >/dev/null 2>&1 && echo 'list /local/domain/$G' || echo 'denied list /local/domain/$G'
	echo online_runs=\$(grep -c ' online ' /var/log/xen/hotplug.log)")
echo "$o"
info "drv_reads: $(echo "$o" | grep -E '^(read|denied|list)' | tr '\n' ' ')"
echo "$o" | grep -qx "denied /local/domain/$G/name" || info "NOTE: drv can read the guest's name"
echo "$o" | grep -qx 'online_runs=1' || fail "xl devd in drv did not run vif-xennet online once: $(echo "$o" | grep online_runs)"
gwait g1 || fail "guest agent not ready"
o=$(gexec g1 90 "ping_n 500 0.01 10.0.0.1; ip neigh show 10.0.0.1")
echo "$o"
info "guest_ping500: $(echo "$o" | tr '\n' ' ')"
echo "$o" | grep -q '^missing=0 ' || fail "pings lost: $(echo "$o" | grep missing)"
echo "$o" | grep -qi 'fe:ff:ff:ff:ff:ff' || fail "ARP: 10.0.0.1 not resolved to drv's port MAC fe:ff:ff:ff:ff:ff"
o=$(drv_exec 30 "tp_stats dd 0")
info "drv_port_stats(rx tx rxerr txerr missed)=$o"
set -- $o
[ "${1:-0}" -ge 501 ] && [ "${2:-0}" -ge 501 ] || fail "drv's port counters too low: $o"
# the guest goes: the backend in drv goes Closed, devd runs vif-xennet
# offline and removes the directory
gdestroy g1 || fail "xl destroy g1"
wait_for 100 "! xenstore-exists $BE" || fail "backend dir $BE left after destroy (state $(xs_state $BE))"
o=$(drv_exec 30 "tp_link dd 0; echo offline_runs=\$(grep -c ' offline ' /var/log/xen/hotplug.log)")
echo "$o"
[ "$(echo "$o" | head -1)" = down ] || fail "drv's port link not down after the guest was destroyed: $o"
echo "$o" | grep -qx 'offline_runs=1' || fail "xl devd did not run vif-xennet offline: $o"
gdestroy drv || fail "xl destroy drv"
wait_for 100 no_guests || fail "domains left: $(xl list)"
exit 0
