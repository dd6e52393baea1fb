# SPDX-License-Identifier: BSD-3-Clause
"""Hotplug mode: one vdev makes a port for each vif as it appears
(RTE_ETH_EVENT_NEW), announces removal (RTE_ETH_EVENT_INTR_RMV), and a
port the application keeps serves the guest's next incarnations with the
same port id. The application is tests/integration/hpecho.c."""

import json
import os
import time

import pytest

from xnit import SIZES, traffic_args
from test_traffic import assert_received_all

HPECHO = os.path.join(os.path.abspath(os.environ.get(
    "XENNET_BUILD", os.path.join(os.path.dirname(__file__), "..", "..",
                                 "build"))), "tests", "integration", "hpecho")
HOTPLUG = "net_xennet0,role=backend,hotplug=1"
COUNT = len(SIZES) * 10


def start_hpecho(machine, vdev=HOTPLUG, *args):
    """hpecho as dom0 (its lines are HPECHO ones, see events())."""
    p = machine.spawn("0", [vdev], *args, name="hpecho", exe=HPECHO)
    wait_event(p, "started", timeout=20)
    return p


def events(p, kind=None):
    out = []
    for line in p.log().splitlines():
        if line.startswith("HPECHO "):
            try:
                e = json.loads(line[len("HPECHO "):])
            except ValueError:
                continue
            if kind is None or e["event"] == kind:
                out.append(e)
    return out


def wait_event(p, kind, n=1, timeout=20):
    deadline = time.monotonic() + timeout
    while len(events(p, kind)) < n:
        assert p.alive(), p.tail()
        assert time.monotonic() < deadline, \
            "no %d %r events:\n%s" % (n, kind, p.tail())
        time.sleep(0.05)
    return events(p, kind)


def pingpong(machine, dom="guest1", vdev="net_xennet0"):
    fe = machine.spawn(dom, [vdev], *traffic_args(
        "pingpong", COUNT, link_timeout=20, linger=60))
    assert_received_all(fe.wait_report("done", 30), COUNT, who=fe.name)
    return fe


def test_new_rmv_and_reboots(machine):
    """A vif created after the app started gets a port named after the
    guest; traffic passes; three reboots (destroy, create under the same
    name) announce removal each time and keep the port and its id."""
    hp = start_hpecho(machine)
    assert events(hp, "new") == []
    guest = machine.create("guest1")
    machine.vif_add("guest1")
    new = wait_event(hp, "new")[0]
    assert new["name"] == "net_xennet0_guest1_0" and new["error"] is None
    port = new["port"]
    fe = pingpong(machine)
    for i in range(3):
        fe.kill()
        machine.xenemu("destroy", "guest1")
        wait_event(hp, "rmv", i + 1)
        assert events(hp, "rmv")[-1]["port"] == port
        domid = machine.create("guest1")
        assert domid != guest
        machine.vif_add("guest1")
        fe = pingpong(machine)
        assert [e["port"] for e in events(hp, "new")] == [port]
    fe.stop()
    assert hp.stop() == 0
    machine.wait_nothing_held()


def test_detach_close_and_reattach(machine):
    """An app that closes the port on removal gets a new port (NEW) when
    the vif comes back; two vifs of one guest are two ports."""
    hp = start_hpecho(machine, HOTPLUG, "--close-on-rmv")
    machine.create("guest1")
    machine.vif_add("guest1")
    machine.vif_add("guest1")
    names = sorted(e["name"] for e in wait_event(hp, "new", 2))
    assert names == ["net_xennet0_guest1_0", "net_xennet0_guest1_1"]
    fe0 = pingpong(machine)
    fe1 = pingpong(machine, vdev="net_xennet0,devid=1")
    machine.xenemu("vif-del", "guest1", "1", timeout=30)
    wait_event(hp, "closed")
    assert events(hp, "closed")[0]["name"] == "net_xennet0_guest1_1"
    assert machine.vif_add("guest1") == 1
    new = wait_event(hp, "new", 3)[-1]
    assert new["name"] == "net_xennet0_guest1_1"
    fe1.stop()
    fe1 = pingpong(machine, vdev="net_xennet0,devid=1")
    # vif 0 never noticed.
    assert fe0.alive()
    for p in (fe0, fe1):
        p.stop()
    assert hp.stop() == 0


def test_match(machine):
    """match=<pattern>: only guests whose name matches get a port."""
    hp = start_hpecho(machine, HOTPLUG + ",match=web*")
    machine.create("db1")
    machine.vif_add("db1")
    machine.create("web1")
    machine.vif_add("web1")
    new = wait_event(hp, "new")
    time.sleep(1)
    assert [e["name"] for e in events(hp, "new")] == ["net_xennet0_web1_0"]
    pingpong(machine, dom="web1").stop()
    assert hp.stop() == 0
