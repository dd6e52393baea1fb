# SPDX-License-Identifier: BSD-3-Clause
"""The vif's carrier key (netif.h: absent or not "0" is up): written by
the toolstack, it takes both ports' links down and up without a
reconnection; a backend application's rte_eth_dev_set_link_down/up writes
it, and a xennet frontend's link follows."""

from xnit import XENBUS, traffic_args, wait_for
from test_control import testpmd  # noqa: F401 (fixture)
from test_traffic import assert_received_all

BACKEND = "net_xennet0,role=backend,domain=guest1"
FRONTEND = "net_xennet0"
COUNT = 70
CONNECTED = XENBUS["Connected"]


def link_lines(proc, state):
    return proc.log().count("net_xennet0: link %s" % state)


def test_toolstack_carrier(machine, guest):
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=30, duration=60))
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", COUNT, link_timeout=30, rounds=2, linger=30))
    assert_received_all(fe.wait_report("done", 30, round=1), COUNT,
                        who=fe.name)
    bdir = "/local/domain/0/backend/vif/%d/0" % guest
    machine.xenemu("xs", "write", bdir + "/carrier", "0")
    for p in (fe, be):
        wait_for(lambda: link_lines(p, "down") == 1, 10, p.name + " down")
    assert machine.states(guest, 0) == (CONNECTED, CONNECTED)
    machine.xenemu("xs", "write", bdir + "/carrier", "1")
    done = fe.wait_report("done", 30, round=2)
    assert_received_all(done, COUNT, who=fe.name)
    for p in (fe, be):
        assert link_lines(p, "up") == 2, p.tail()
    fe.stop()
    be.stop()
    # One connection all along (the backend's one disconnect is the
    # frontend's exit).
    for p in (fe, be):
        x = p.report("exit")["ports"][0]["xstats"]
        assert x["connects"] == 1, (p.name, x)


def test_backend_sets_link_down(machine, guest, testpmd):  # noqa: F811
    be = testpmd(0, BACKEND, 0, "be")
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "echo", 1, link_timeout=30, duration=60))
    be.wait_link()
    bdir = "/local/domain/0/backend/vif/%d/0" % guest
    be.cmd("set link-down port 0")
    wait_for(lambda: link_lines(fe, "down") == 1, 10, "frontend down")
    assert machine.xs_read(bdir + "/carrier") == "0"
    assert not be.link_up()
    be.cmd("set link-up port 0")
    wait_for(lambda: link_lines(fe, "up") == 2, 10, "frontend up again")
    assert machine.xs_read(bdir + "/carrier") == "1"
    be.wait_link()
    assert machine.states(guest, 0) == (CONNECTED, CONNECTED)
    fe.stop()
