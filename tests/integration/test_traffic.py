# SPDX-License-Identifier: BSD-3-Clause
"""Handshake and byte-exact traffic between a backend and a frontend app."""

import pytest

from xnit import SIZES, XENBUS, bytes_of, traffic_args

BACKEND = "net_xennet0,role=backend,domain=guest1"
FRONTEND = "net_xennet0"
CONNECTED = XENBUS["Connected"]

# Counters that must stay zero while two well-behaved peers talk.
ERROR_XSTATS = ("rx_errors", "tx_errors", "rx_missed_errors",
                "rx_mbuf_allocation_errors", "fatal_errors", "bad_xenstore")


def nonzero(port):
    return {k: v for k, v in port["xstats"].items() if v}


def assert_clean(port, who):
    bad = {k: port["xstats"][k] for k in ERROR_XSTATS if port["xstats"][k]}
    bad.update({k: v for k, v in port["xstats"].items()
                if v and ("_copy_errors" in k or "_peer_errors" in k or
                          "_fatal_" in k or k.endswith("_bad_response"))})
    assert not bad, "%s: error counters %s" % (who, bad)


def assert_received_all(rep, count, sizes=SIZES, who="receiver", i=0):
    """Every frame verified byte for byte and in order, nothing else."""
    p = rep["ports"][i]
    rx = p["rx"]
    assert (rx["ok"], rx["missing"], rx["bad"]) == (count, 0, 0), \
        "%s port %d: %s; xstats %s" % (who, i, rx, nonzero(p))
    assert rx["bytes_ok"] == bytes_of(count, sizes)
    assert p["stats"]["ipackets"] >= count


@pytest.mark.parametrize("first", ["backend", "frontend"])
def test_handshake(machine, guest, first):
    """Either app may start first: both reach Connected, both links up."""
    be_args = traffic_args("echo", 1, link_timeout=30, duration=60)
    fe_args = traffic_args("pingpong", 70, link_timeout=30, linger=30)
    if first == "backend":
        early = machine.spawn("0", [BACKEND], *be_args)
    else:
        early = machine.spawn("guest1", [FRONTEND], *traffic_args(
            "echo", 1, link_timeout=30, duration=60))
    r = early.wait_report("started", 20)
    assert not r["ports"][0]["link_up"]
    # The early side waits for its peer in the state the protocol says.
    want = (XENBUS["Initialising"], XENBUS["InitWait"] if first == "backend"
            else XENBUS["Initialising"])
    machine.wait_states(guest, 0, want, timeout=10)
    assert early.report("link") is None and early.alive()

    if first == "backend":
        late = machine.spawn("guest1", [FRONTEND], *fe_args)
    else:
        late = machine.spawn("0", [BACKEND], *traffic_args(
            "pingpong", 70, link_timeout=30, linger=30))
    for p in (early, late):
        assert p.wait_report("link", 20)["ports"][0]["link_up"]
    machine.wait_states(guest, 0, (CONNECTED, CONNECTED), timeout=10)
    # Link up means usable: a short round trip through the other app.
    done = late.wait_report("done", 30)
    assert done["ok"], late.tail()
    assert_received_all(done, 70, who=late.name)
    assert early.stop() == 0
    assert late.stop() == 0
    machine.wait_nothing_held()


@pytest.mark.parametrize("direction", ["front_to_back", "back_to_front"])
def test_payload_byte_exact(machine, guest, direction, mem_mode):
    """Frames of every size arrive byte for byte, in order, counted exactly."""
    print("memory mode: %s" % ("hugepages" if mem_mode == "huge"
                               else "--no-huge"))
    count = len(SIZES) * 100
    recv = traffic_args("recv", count, link_timeout=30, first_timeout=20,
                        idle_timeout=3)
    send = traffic_args("send", count, link_timeout=30, send_timeout=20,
                        linger=30)
    if direction == "front_to_back":
        receiver = machine.spawn("0", [BACKEND], *recv)
        sender = machine.spawn("guest1", [FRONTEND], *send)
    else:
        receiver = machine.spawn("guest1", [FRONTEND], *recv)
        sender = machine.spawn("0", [BACKEND], *send)
    rc = receiver.wait(60)
    rrep = receiver.report("done")
    srep = sender.wait_report("done", 10)
    for rep in (rrep, srep):
        assert rep["hugepages"] == (mem_mode == "huge")
    sp, rp = srep["ports"][0], rrep["ports"][0]
    # Only frames the PMD accepted count as sent; each of them arrived.
    assert sp["tx"]["sent"] == count and not sp["tx"]["timed_out"]
    assert sp["stats"]["opackets"] == count
    assert sp["stats"]["obytes"] == bytes_of(count)
    assert_received_all(rrep, count, who=receiver.name)
    assert rp["stats"]["ipackets"] == count
    assert rp["stats"]["ibytes"] == bytes_of(count)
    assert rc == 0
    assert_clean(sp, sender.name)
    assert_clean(rp, receiver.name)
    assert sender.stop() == 0
    machine.wait_nothing_held()


def test_two_vifs_of_one_guest(machine):
    """Two backend ports in one process serve two vifs of one guest whose
    two frontend ports share another process; streams do not cross."""
    guest = machine.create("guest1")
    assert machine.vif_add("guest1") == 0
    assert machine.vif_add("guest1") == 1
    count = len(SIZES) * 40
    be = machine.spawn("0", ["net_xennet0,role=backend,domain=guest1,devid=0",
                             "net_xennet1,role=backend,domain=guest1,devid=1"],
                       *traffic_args("echo", 1, link_timeout=30, duration=60))
    fe = machine.spawn("guest1", ["net_xennet0,devid=0", "net_xennet1,devid=1"],
                       *traffic_args("pingpong", count, link_timeout=30,
                                     streams="10,11", linger=30))
    done = fe.wait_report("done", 40)
    for devid in (0, 1):
        machine.wait_states(guest, devid, (CONNECTED, CONNECTED), timeout=5)
    assert [p["name"] for p in done["ports"]] == ["net_xennet0",
                                                  "net_xennet1"]
    for i in (0, 1):
        assert_received_all(done, count, who=fe.name, i=i)
        assert done["ports"][i]["rx"]["wrong_stream"] == 0
    assert fe.stop() == 0
    assert be.alive()
    assert be.stop() == 0
    berep = be.report("exit")
    for i in (0, 1):
        st = berep["ports"][i]["stats"]
        assert (st["ipackets"], st["opackets"]) == (count, count), \
            "backend port %d: %s" % (i, st)
        assert berep["ports"][i]["echo"]["echoed"] == count
    machine.wait_nothing_held()


def test_two_guests_one_backend_process(machine):
    """One backend process with a port per guest; a frontend app in each."""
    g1 = machine.create("guest1")
    g2 = machine.create("guest2")
    machine.vif_add("guest1")
    machine.vif_add("guest2")
    count = len(SIZES) * 40
    be = machine.spawn("0", ["net_xennet0,role=backend,domain=guest1",
                             "net_xennet1,role=backend,domid=%d" % g2],
                       *traffic_args("echo", 1, link_timeout=30, duration=60))
    fes = [machine.spawn(g, [FRONTEND], *traffic_args(
        "pingpong", count, link_timeout=30, streams=s, linger=30))
        for g, s in (("guest1", 1), ("guest2", 2))]
    for fe in fes:
        done = fe.wait_report("done", 40)
        assert_received_all(done, count, who=fe.name)
        assert done["ports"][0]["rx"]["wrong_stream"] == 0
    for domid in (g1, g2):
        machine.wait_states(domid, 0, (CONNECTED, CONNECTED), timeout=5)
    for fe in fes:
        assert fe.stop() == 0
    assert be.stop() == 0
    berep = be.report("exit")
    for i in (0, 1):
        assert berep["ports"][i]["echo"]["echoed"] == count
    machine.wait_nothing_held()
