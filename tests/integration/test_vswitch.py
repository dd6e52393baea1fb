# SPDX-License-Identifier: BSD-3-Clause
"""examples/xennet-vswitch, a learning L2 switch on xennet backend ports in
hotplug mode, between emulated guests (each an l2peer, see
tests/integration/l2peer.c): learning, flooding, no frame back out of its
ingress port, guests added, removed and rebooted while it runs, MAC
ageing, per-port counters over DPDK telemetry, a net_tap uplink.

Whether a frame reached a guest it must not reach is known without
waiting for it: the sender follows it with a broadcast "marker", and a
port's ring delivers in order, so once a guest has the marker, any copy
of the frame before it has arrived too."""

import json
import os
import re
import socket
import subprocess
import time

import pytest

from xnit import L2Peer

BUILD = os.path.abspath(os.environ.get("XENNET_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build")))
VSWITCH = os.path.join(BUILD, "examples", "xennet-vswitch")
L2PEER = os.path.join(BUILD, "tests", "integration", "l2peer")
# Enough for its 4095 mbufs; the hugepages are shared with other tests.
L2PEER_MEM_MB = 64
TELEMETRY_PY = "/usr/bin/dpdk-telemetry.py"
BCAST = "ff:ff:ff:ff:ff:ff"
UNKNOWN = "00:16:3e:00:0f:0f"


def mac_of(g):
    return "00:16:3e:00:01:%02x" % int(g[1:])


class VSwitch:
    def __init__(self, machine, *args, vdevs=()):
        assert os.access(VSWITCH, os.X_OK), "%s not built" % VSWITCH
        self.machine = machine
        self.proc = machine.spawn("0", list(vdevs), "--stats", "1", *args,
                                  name="vswitch", exe=VSWITCH)
        argv = self.proc.argv
        self.prefix = argv[argv.index("--file-prefix") + 1]
        self.wait_line(r"^xennet-vswitch: running")

    def wait_line(self, pattern, n=1, timeout=20):
        """The first n matches of pattern in the log (waiting for them)."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.findall(pattern, self.proc.log(), re.M)
            if len(found) >= n:
                return found
            assert self.proc.alive(), self.proc.tail()
            assert time.monotonic() < deadline, \
                "vswitch: no %d lines %r:\n%s" % (n, pattern,
                                                   self.proc.tail())
            time.sleep(0.05)

    def lines(self, pattern):
        return re.findall(pattern, self.proc.log(), re.M)

    def port_added(self, g, n=1):
        """The port id the guest's vif got (the n-th time)."""
        return int(self.wait_line(
            r"^xennet-vswitch: port (\d+) \(net_xennet0_%s_0\) added$" % g,
            n)[n - 1])

    def telemetry(self, cmd):
        """What the telemetry socket answers to cmd."""
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % self.prefix
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(10)
            s.connect(path)
            hello = json.loads(s.recv(16384))
            s.send(cmd.encode())
            return json.loads(s.recv(hello["max_output_len"]))[cmd]

    def wait_up(self, port, timeout=20):
        """Until the switch sees the port's link up (it floods to ports
        with their link up only)."""
        deadline = time.monotonic() + timeout
        while self.ports().get(port, {}).get("state") != "up":
            assert time.monotonic() < deadline, self.ports()
            time.sleep(0.05)

    def ports(self):
        return {int(k): v for k, v in
                self.telemetry("/xennet_vswitch/ports").items()}

    def macs(self):
        return {int(k): sorted(m.lower() for m in v) for k, v in
                self.telemetry("/xennet_vswitch/macs").items()}


def add_guest(machine, g):
    """Guest g with vif 0 (MAC mac_of(g)); its domid."""
    domid = machine.create(g)
    machine.vif_add(g, "--mac", mac_of(g))
    return domid


def start_peer(machine, g, vs, port):
    """An l2peer in guest g, once the switch forwards to its port."""
    p = L2Peer(machine.spawn(g, ["net_xennet0"], name="l2peer-%s-%d" % (
        g, len(machine.procs)), exe=L2PEER, stdin=True,
        mem_mb=L2PEER_MEM_MB))
    assert p.mac == mac_of(g)
    p.wait_link()
    vs.wait_up(port)
    return p


def marker(sender, receivers):
    """A broadcast from sender that every receiver gets: what sender sent
    to them before has arrived."""
    before = [r.received(sender.mac, BCAST)["ok"] for r in receivers]
    sender.send(BCAST, 1)
    for r, n in zip(receivers, before):
        assert r.wait_received(n + 1, sender.mac, BCAST)["ok"] == n + 1, \
            r.stats()


def three(machine, *args):
    """A switch (with args) and three guests g1..g3 on it: ({name:
    L2Peer}, {name: port id}, the switch)."""
    vs = VSwitch(machine, *args)
    peers, ports = {}, {}
    for g in ("g1", "g2", "g3"):
        add_guest(machine, g)
        ports[g] = vs.port_added(g)
        peers[g] = start_peer(machine, g, vs, ports[g])
    assert len(set(ports.values())) == 3
    return peers, ports, vs


def test_learning_flooding_and_telemetry(machine):
    """Broadcast and unknown unicast go to every other guest; after
    learning, unicast only to its destination; a frame to a MAC learnt on
    its own port goes nowhere; telemetry and the stats line count every
    frame of each port."""
    p, port, vs = three(machine)
    g1, g2, g3 = p["g1"], p["g2"], p["g3"]
    # Broadcast from g1: g2 and g3, not back to g1.
    g1.send(BCAST, 5)
    for r in (g2, g3):
        assert r.wait_received(5, g1.mac, BCAST) == {"ok": 5, "bad": 0}
    marker(g2, [g1, g3])
    assert g1.received(g1.mac) == {"ok": 0, "bad": 0}
    # g1 is learnt: unicast to it from g2 reaches g1 only.
    g2.send(g1.mac, 7, 1000)
    assert g1.wait_received(7, g2.mac, g1.mac) == {"ok": 7, "bad": 0}
    marker(g2, [g1, g3])
    assert g3.received(g2.mac, g1.mac) == {"ok": 0, "bad": 0}
    # And the answer to g2 reaches g2 only.
    g1.send(g2.mac, 3)
    assert g2.wait_received(3, g1.mac, g2.mac) == {"ok": 3, "bad": 0}
    marker(g1, [g2, g3])
    assert g3.received(g1.mac, g2.mac) == {"ok": 0, "bad": 0}
    # Unknown unicast floods.
    g1.send(UNKNOWN, 4)
    for r in (g2, g3):
        assert r.wait_received(4, g1.mac, UNKNOWN) == {"ok": 4, "bad": 0}
    # A host behind g1's port (a MAC learnt there) talking to g1: the
    # frame does not go back out of the port it came in on.
    behind = "00:16:3e:00:0e:01"
    g1.send(BCAST, 1, src=behind)
    g1.send(behind, 2)
    marker(g1, [g2, g3])
    for r in (g2, g3):
        assert r.received(dst=behind) == {"ok": 0, "bad": 0}

    assert vs.macs() == {port["g1"]: sorted([g1.mac, behind]),
                         port["g2"]: [g2.mac]}
    # Frames each guest sent (rx) and got (tx); g3 sent nothing.
    sent = {"g1": 5 + 3 + 1 + 4 + 1 + 2 + 1, "g2": 1 + 7 + 1, "g3": 0}
    got = {"g1": 7 + 1 + 1, "g2": 5 + 3 + 1 + 4 + 1 + 1,
           "g3": 5 + 1 + 1 + 1 + 4 + 1 + 1}
    tel = vs.ports()
    assert sorted(tel) == sorted(port.values())
    for g in ("g1", "g2", "g3"):
        t = tel[port[g]]
        assert t["name"] == "net_xennet0_%s_0" % g and t["state"] == "up"
        assert (t["rx"], t["tx"], t["dropped"], t["bad"]) == \
            (sent[g], got[g], 0, 0), (g, t)
        assert t["filtered"] == (2 if g == "g1" else 0)
    # The stats line says the same.
    for g in ("g1", "g2", "g3"):
        vs.wait_line(r"\| port %d net_xennet0_%s_0 up rx %d tx %d dropped 0"
                     % (port[g], g, sent[g], got[g]), timeout=5)
    # dpdk-telemetry.py, as the guide shows it, answers the same.
    if os.path.exists(TELEMETRY_PY):
        out = subprocess.run(
            ["/usr/bin/python3", TELEMETRY_PY, "-f", vs.prefix],
            input="/xennet_vswitch/ports\n", capture_output=True,
            text=True, timeout=30).stdout
        reply = json.loads(out.strip().splitlines()[-1])
        assert reply["/xennet_vswitch/ports"][str(port["g3"])]["tx"] == \
            got["g3"], out
    for g in p.values():
        assert g.proc.stop() == 0
    assert vs.proc.stop() == 0
    machine.wait_nothing_held()


def test_guest_added_and_removed(machine):
    """A guest created while the switch runs gets a port and reaches the
    others; destroyed, its port is closed after --hold and gone from the
    switch, and frames to its MAC are flooded again."""
    vs = VSwitch(machine, "--hold", "1")
    p, port = {}, {}
    for g in ("g1", "g2"):
        add_guest(machine, g)
        port[g] = vs.port_added(g)
        p[g] = start_peer(machine, g, vs, port[g])
    p["g1"].send(BCAST, 1)
    p["g2"].wait_received(1, p["g1"].mac, BCAST)
    add_guest(machine, "g3")
    port["g3"] = vs.port_added("g3")
    p["g3"] = start_peer(machine, "g3", vs, port["g3"])
    g1, g2, g3 = p["g1"], p["g2"], p["g3"]
    g3.send(BCAST, 3)
    for r in (g1, g2):
        assert r.wait_received(3, g3.mac, BCAST) == {"ok": 3, "bad": 0}
    g1.send(g3.mac, 5)
    assert g3.wait_received(5, g1.mac, g3.mac) == {"ok": 5, "bad": 0}
    g3.send(g1.mac, 5)
    assert g1.wait_received(5, g3.mac, g1.mac) == {"ok": 5, "bad": 0}
    marker(g1, [g2, g3])
    marker(g3, [g1, g2])
    assert g2.received(dst=g3.mac) == {"ok": 0, "bad": 0}
    assert g2.received(dst=g1.mac) == {"ok": 0, "bad": 0}

    g3.proc.kill()
    machine.xenemu("destroy", "g3")
    vs.wait_line(r"^xennet-vswitch: port %d \(net_xennet0_g3_0\) removed; "
                 r"kept 1 s" % port["g3"])
    vs.wait_line(r"^xennet-vswitch: port %d \(net_xennet0_g3_0\) closed$"
                 % port["g3"])
    assert sorted(vs.ports()) == sorted([port["g1"], port["g2"]])
    assert port["g3"] not in vs.macs()
    # g3's MAC is unknown now: flooded to g2.
    g1.send(g3.mac, 2)
    assert g2.wait_received(2, g1.mac, g3.mac) == {"ok": 2, "bad": 0}
    for g in (g1, g2):
        assert g.proc.stop() == 0
    assert vs.proc.stop() == 0
    machine.wait_nothing_held()


def test_reboot_keeps_port(machine):
    """A guest destroyed and created again under its name (a reboot, new
    domid) comes back on the same port id, twice, and switches again."""
    vs = VSwitch(machine, "--hold", "60")
    p, port = {}, {}
    for g in ("g1", "g2"):
        add_guest(machine, g)
        port[g] = vs.port_added(g)
        p[g] = start_peer(machine, g, vs, port[g])
    for i in (1, 2):
        p["g1"].proc.kill()
        machine.xenemu("destroy", "g1")
        vs.wait_line(r"^xennet-vswitch: port %d \(net_xennet0_g1_0\) "
                     r"removed; kept" % port["g1"], i)
        assert vs.ports()[port["g1"]]["state"] == "gone"
        add_guest(machine, "g1")
        p["g1"] = start_peer(machine, "g1", vs, port["g1"])
        vs.wait_line(r"^xennet-vswitch: port %d \(net_xennet0_g1_0\) back$"
                     % port["g1"], i)
        g1, g2 = p["g1"], p["g2"]
        g1.send(BCAST, 2)
        assert g2.wait_received(2 * i, g1.mac, BCAST)["ok"] == 2 * i
        g2.send(g1.mac, 3)
        assert g1.wait_received(3, g2.mac, g1.mac) == {"ok": 3, "bad": 0}
        assert vs.ports()[port["g1"]]["state"] == "up"
    # No new port: the two of the start only.
    assert len(vs.lines(r"^xennet-vswitch: port \d+ .* added$")) == 2
    assert vs.lines(r"closed$") == []
    for g in p.values():
        assert g.proc.stop() == 0
    assert vs.proc.stop() == 0
    machine.wait_nothing_held()


def test_ageing(machine):
    """A MAC silent for --age seconds is forgotten: unicast to it is
    flooded again."""
    p, port, vs = three(machine, "--age", "2")
    g1, g2, g3 = p["g1"], p["g2"], p["g3"]
    g1.send(BCAST, 1)
    g2.wait_received(1, g1.mac, BCAST)
    g2.send(g1.mac, 3)
    assert g1.wait_received(3, g2.mac, g1.mac)["ok"] == 3
    marker(g2, [g1, g3])
    assert g3.received(g2.mac, g1.mac) == {"ok": 0, "bad": 0}
    assert g1.mac in vs.macs().get(port["g1"], [])
    deadline = time.monotonic() + 20
    while g1.mac in vs.macs().get(port["g1"], []):
        assert time.monotonic() < deadline, vs.macs()
        time.sleep(0.2)
    g2.send(g1.mac, 3)
    assert g3.wait_received(3, g2.mac, g1.mac) == {"ok": 3, "bad": 0}
    assert g1.wait_received(6, g2.mac, g1.mac)["ok"] == 6
    for g in p.values():
        assert g.proc.stop() == 0
    assert vs.proc.stop() == 0
    machine.wait_nothing_held()


def test_tap_uplink(machine):
    """A net_tap port is an uplink: a guest's broadcast reaches the tap
    interface, and a frame the host sends there to a learnt guest reaches
    that guest only."""
    iface = "xnvs%d" % os.getpid()
    vs = VSwitch(machine, vdevs=["net_tap0,iface=%s" % iface])
    tap = int(vs.wait_line(r"^xennet-vswitch: port (\d+) \(net_tap0\) "
                           r"added$")[0])
    p = {}
    for g in ("g1", "g2"):
        add_guest(machine, g)
        p[g] = start_peer(machine, g, vs, vs.port_added(g))
    g1, g2 = p["g1"], p["g2"]
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                       socket.htons(0x88b5)) as s:
        s.bind((iface, 0))
        s.settimeout(10)
        g1.send(BCAST, 1, 128)
        while True:
            frame = s.recv(2048)
            if frame[6:12] == bytes.fromhex(g1.mac.replace(":", "")):
                break
        assert frame[:6] == b"\xff" * 6 and frame[14:18] == b"XNL2"
        assert len(frame) == 128
        # From the host to g1 (learnt): a copy of an l2peer frame with
        # the host's source MAC, which the switch learns on the tap.
        host = bytes.fromhex("020000aa0001")
        s.send(bytes.fromhex(g1.mac.replace(":", "")) + host + frame[12:])
        host_mac = "02:00:00:aa:00:01"
        assert g1.wait_received(1, host_mac, g1.mac) == {"ok": 1, "bad": 0}
        s.send(b"\xff" * 6 + host + frame[12:])
        assert g2.wait_received(1, host_mac, BCAST)["ok"] == 1
        assert g2.received(host_mac, g1.mac) == {"ok": 0, "bad": 0}
    assert host_mac in vs.macs()[tap]
    for g in p.values():
        assert g.proc.stop() == 0
    assert vs.proc.stop() == 0
    machine.wait_nothing_held()


def test_restart_takes_over(machine):
    """A switch stopped with SIGTERM leaves the vifs connected; the next
    one takes them over (a port per vif at start) and the guests, which
    were not restarted, reach each other again."""
    vs = VSwitch(machine)
    p, port, domid = {}, {}, {}
    for g in ("g1", "g2"):
        domid[g] = add_guest(machine, g)
        port[g] = vs.port_added(g)
        p[g] = start_peer(machine, g, vs, port[g])
    g1, g2 = p["g1"], p["g2"]
    g1.send(BCAST, 2)
    assert g2.wait_received(2, g1.mac, BCAST)["ok"] == 2
    assert vs.proc.stop() == 0
    for g in ("g1", "g2"):
        assert machine.states(domid[g], 0) == (4, 4)
    vs = VSwitch(machine)
    for g in ("g1", "g2"):
        vs.wait_up(vs.port_added(g))
    g1.send(BCAST, 3)
    assert g2.wait_received(5, g1.mac, BCAST) == {"ok": 5, "bad": 0}
    g2.send(g1.mac, 4)
    assert g1.wait_received(4, g2.mac, g1.mac) == {"ok": 4, "bad": 0}
    for g in p.values():
        assert g.proc.stop() == 0
    assert vs.proc.stop() == 0
    machine.wait_nothing_held()
