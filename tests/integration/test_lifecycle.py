# SPDX-License-Identifier: BSD-3-Clause
"""Restarts of either app while the other keeps running, and shutdown.

What the emulation's accounting holds while connected is measured once and
must be the same every time the same connection is made again; once apps
close their ports, nothing may be held at all.
"""

import time

import pytest

from xnit import SIZES, XENBUS, traffic_args
from test_traffic import BACKEND, FRONTEND, assert_clean, assert_received_all

CONNECTED = XENBUS["Connected"]
CLOSED = XENBUS["Closed"]
COUNT = len(SIZES) * 10


def echo_backend(machine):
    return machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=60, duration=150))


def pingpong(machine, dom, vdev, linger=30):
    p = machine.spawn(dom, [vdev], *traffic_args(
        "pingpong", COUNT, link_timeout=20, linger=linger))
    done = p.wait_report("done", 30)
    assert_received_all(done, COUNT, who=p.name)
    assert_clean(done["ports"][0], p.name)
    return p


def assert_live_connection(held, guest):
    """One vif connected: the guest grants pages and the backend maps the
    two rings; split event channels, so two bound ports each."""
    assert held[guest]["shared"] > 2 and held[guest]["evtchn_bound"] == 2, held
    assert held[0]["mapped"] == 2 and held[0]["evtchn_bound"] == 2, held
    assert held[0]["shared"] == 0 and held[guest]["mapped"] == 0, held


def test_frontend_restart_x10(machine, guest):
    """The guest app restarts 10 times while the backend app runs on:
    traffic passes each time and no restart leaves anything held."""
    be = echo_backend(machine)
    baseline = None
    for i in range(10):
        fe = pingpong(machine, "guest1", FRONTEND)
        held = machine.held()
        if baseline is None:
            assert_live_connection(held, guest)
            baseline = held
        assert held == baseline, "restart %d: %s, first time %s" % (
            i, held, baseline)
        assert fe.stop() == 0, fe.tail()
        # The backend unmaps as the frontend closes; it does not wait
        # for the next one.
        machine.wait_nothing_held()
        assert be.alive(), be.tail()
    assert be.stop() == 0
    x = be.report("exit")["ports"][0]["xstats"]
    assert (x["connects"], x["disconnects"]) == (10, 10), x
    assert x["fatal_errors"] == 0
    machine.wait_nothing_held()


def test_frontend_killed_and_restarted(machine, guest):
    """A guest app that dies without closing (SIGKILL) does not keep the
    backend from serving the next one; what it held is released."""
    be = echo_backend(machine)
    for i in range(3):
        fe = pingpong(machine, "guest1", FRONTEND)
        if i == 2:
            assert fe.stop() == 0
        else:
            fe.kill()
    machine.wait_nothing_held()
    assert be.stop() == 0
    assert be.report("exit")["ports"][0]["xstats"]["connects"] == 3


def test_killed_frontend_released_at_once(machine, guest):
    """A SIGKILLed guest app leaves its xenstore state Connected; the
    backend still notices (its TX ring's liveness byte, cleared by gntalloc
    at exit), unmaps everything and goes Closed without waiting for the
    next frontend, then serves that one."""
    be = echo_backend(machine)
    fe = pingpong(machine, "guest1", FRONTEND)
    fe.kill()
    machine.wait_nothing_held(timeout=5)
    machine.wait_states(guest, 0, (CONNECTED, CLOSED), timeout=5)
    assert "frontend process of domain %d is gone" % guest in be.log(), \
        be.tail()
    pingpong(machine, "guest1", FRONTEND).stop()
    machine.wait_nothing_held()
    assert be.stop() == 0
    xstats = be.report("exit")["ports"][0]["xstats"]
    assert (xstats["connects"], xstats["disconnects"]) == (2, 2), xstats


@pytest.mark.parametrize("how", ["sigterm", "killed"])
def test_backend_restart(machine, guest, how):
    """The backend app goes away (closing its port at SIGTERM, or
    SIGKILLed) and a new one comes while the guest app keeps running: the
    vif stays Connected in xenstore, the guest's connection is never torn
    down, and traffic passes again through the new backend."""
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "echo", 1, link_timeout=20, duration=120))
    be1 = pingpong(machine, "0", BACKEND)
    assert_live_connection(machine.held(), guest)
    guest_held = machine.held()[guest]
    if how == "sigterm":
        assert be1.stop() == 0
        assert "leaving backend/vif/%d/0 connected" % guest in be1.log()
    else:
        be1.kill()
    # Nothing mapped or bound by the gone backend; the guest keeps all.
    deadline = time.monotonic() + 5
    while machine.held()[0] != {"shared": 0, "mapped": 0, "evtchn_bound": 0}:
        assert time.monotonic() < deadline, machine.held()
        time.sleep(0.1)
    assert machine.held()[guest] == guest_held
    assert machine.states(guest, 0) == (CONNECTED, CONNECTED)
    be2 = pingpong(machine, "0", BACKEND)
    assert fe.alive(), fe.tail()
    assert_live_connection(machine.held(), guest)
    assert be2.stop() == 0
    assert fe.stop() == 0
    x = fe.report("exit")["ports"][0]["xstats"]
    assert x["fatal_errors"] == 0
    # The frontend never reconnected.
    assert (x["connects"], x["disconnects"]) == (1, 0), x
    machine.wait_nothing_held()


@pytest.mark.parametrize("first", ["frontend", "backend"])
def test_clean_shutdown(machine, guest, first):
    """Both apps close their ports (either first): the emulation holds no
    granted or mapped page and no bound port. The frontend ends Closed; a
    backend that closes first leaves its side Connected for the next
    backend process, one that closes last follows the frontend to
    Closed."""
    be = echo_backend(machine)
    fe = pingpong(machine, "guest1", FRONTEND)
    machine.wait_states(guest, 0, (CONNECTED, CONNECTED), timeout=5)
    assert_live_connection(machine.held(), guest)
    order = (fe, be) if first == "frontend" else (be, fe)
    assert order[0].stop() == 0, order[0].tail()
    assert order[1].stop() == 0, order[1].tail()
    held = machine.wait_nothing_held()
    assert set(held) >= {0, guest}
    machine.wait_states(guest, 0, (CLOSED, CONNECTED if first == "backend"
                                   else CLOSED), timeout=5)


def test_vif_detach_reattach(machine, guest):
    """xl network-detach with both apps running: the backend closes, the
    frontend follows, everything is released and both links go down; a
    new vif-add connects the same two apps again and traffic passes."""
    be = echo_backend(machine)
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", COUNT, link_timeout=20, rounds=2, linger=30))
    assert_received_all(fe.wait_report("done", 30, round=1), COUNT,
                        who=fe.name)
    assert_live_connection(machine.held(), guest)
    machine.xenemu("vif-del", "guest1", "0", timeout=30)
    assert machine.states(guest, 0) == (None, None)
    machine.wait_nothing_held()
    # Neither end writes its state into a removed directory afterwards.
    time.sleep(1)
    assert machine.states(guest, 0) == (None, None)
    assert fe.report("done", round=2) is None
    assert machine.vif_add("guest1") == 0
    done = fe.wait_report("done", 30, round=2)
    assert_received_all(done, COUNT, who=fe.name)
    assert_live_connection(machine.held(), guest)
    assert be.alive() and fe.alive()
    assert fe.stop() == 0
    assert be.stop() == 0
    # "exit" reports come before the app closes its port: the frontend,
    # closing first, is still connected then; the backend saw it close.
    for p, disconnects in ((fe, 1), (be, 2)):
        x = p.report("exit")["ports"][0]["xstats"]
        assert (x["connects"], x["disconnects"]) == (2, disconnects), \
            (p.name, x)
    machine.wait_nothing_held()


# Frames in flight when a peer goes away may be lost: at most what the two
# rings and the echo app hold, per restart (and once more at the end).
LOSS_PER_RESTART = 2048


@pytest.mark.parametrize("restarting", ["frontend", "backend"])
def test_traffic_across_peer_restarts(machine, guest, restarting):
    """Traffic flows without pause while the other app restarts 4 times,
    closing cleanly or SIGKILLed in turn: frames are lost only while a
    peer is away, none arrives damaged, duplicated or out of order, and
    every new peer carries traffic again."""
    gens = 4
    if restarting == "frontend":
        steady_dom, steady_vdev, peer_dom, peer_vdev = \
            "0", BACKEND, "guest1", FRONTEND
    else:
        steady_dom, steady_vdev, peer_dom, peer_vdev = \
            "guest1", FRONTEND, "0", BACKEND
    steady = machine.spawn(steady_dom, [steady_vdev], *traffic_args(
        "pingpong", 4000000000, link_timeout=20, send_timeout=60,
        first_timeout=20, idle_timeout=20))
    echoed = []
    for i in range(gens):
        peer = machine.spawn(peer_dom, [peer_vdev], *traffic_args(
            "echo", 1, link_timeout=20, duration=60))
        peer.wait_report("link", 20)
        time.sleep(0.7)
        if i % 2 == 0:
            assert peer.stop() == 0
            echoed.append(peer.report("exit")["ports"][0]["echo"]["echoed"])
        else:
            peer.kill()
        assert steady.alive(), steady.tail()
    rc = steady.stop()
    assert rc == 1          # stopped before its (unreachable) count
    r = steady.report("done")["ports"][0]
    assert all(e > 0 for e in echoed), echoed
    assert r["rx"]["bad"] == 0, r["rx"]
    lost = r["tx"]["sent"] - r["rx"]["ok"]
    assert 0 <= lost <= LOSS_PER_RESTART * (gens + 1), (r["tx"], r["rx"])
    assert r["rx"]["ok"] > sum(echoed) / 2
    assert r["xstats"]["fatal_errors"] == 0
    machine.wait_nothing_held()


def test_guest_destroyed_and_recreated(machine, guest):
    """The guest dies and is destroyed by the toolstack, then created again
    under the same name (a new domid, as on Xen): the backend app, which
    serves it by name, releases the old vif and serves the new one."""
    be = echo_backend(machine)
    fe = pingpong(machine, "guest1", FRONTEND)
    fe.kill()
    machine.xenemu("destroy", "guest1")
    machine.wait_nothing_held()
    new = machine.create("guest1")
    assert new != guest
    machine.vif_add("guest1")
    pingpong(machine, "guest1", FRONTEND)
    held = machine.held()
    assert_live_connection(held, new)
    assert held.get(guest, {}).get("shared", 0) == 0
    assert be.alive()
    assert be.stop() == 0
    # Handed over for the next backend: the guest app keeps its grants.
    assert machine.held()[new]["shared"] > 0
    machine.procs[-1].stop()
    machine.wait_nothing_held()
