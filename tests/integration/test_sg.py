# SPDX-License-Identifier: BSD-3-Clause
"""Multi-slot frames (feature-sg) and the MTU, both roles: frames of every
size up to 65535 bytes cross the rings byte for byte, around page and
buffer boundaries, from chained and single mbufs into small and large
ones; frames longer than the receiver's MTU are dropped and counted; an
MTU the mbufs cannot hold without scattered Rx is refused; the backend
publishes its MTU in the vif's mtu key."""

import pytest

from xnit import traffic_args, wait_for
from test_traffic import assert_clean, assert_received_all

BACKEND = "net_xennet0,role=backend,domain=guest1"
FRONTEND = "net_xennet0"
# Around the frontend's 2 KiB and 4 KiB TX buffers, the 4 KiB slots, the
# 18-slot limit, and the largest frame a TX request can say.
SIZES = [60, 1514, 2047, 2048, 2049, 4095, 4096, 4097, 8191, 8193, 9018,
         16385, 32768, 40000, 61441, 65535]
JUMBO = ["--mtu", 65521, "--scatter"]


def pair(machine, sender, be_extra, fe_extra, sizes, count):
    echo = traffic_args("echo", 1, sizes=sizes, link_timeout=30,
                        duration=90)
    ping = traffic_args("pingpong", count, sizes=sizes, link_timeout=30,
                        linger=30)
    be = machine.spawn("0", [BACKEND], *(
        (ping if sender == "backend" else echo) + be_extra))
    fe = machine.spawn("guest1", [FRONTEND], *(
        (ping if sender == "frontend" else echo) + fe_extra))
    return be, fe, (fe if sender == "frontend" else be)


@pytest.mark.parametrize("mbufs", ["2k", "10k", "chained-tx"])
@pytest.mark.parametrize("sender", ["frontend", "backend"])
def test_jumbo_byte_exact(machine, guest, sender, mbufs):
    """Every size, both ways (the pinger's frames are echoed), in order."""
    extra = JUMBO + {"2k": [], "10k": ["--mbuf-size", 10368],
                     "chained-tx": ["--tx-seg", 700]}[mbufs]
    count = len(SIZES) * 8
    be, fe, pinger = pair(machine, sender, extra, extra, SIZES, count)
    done = pinger.wait_report("done", 90)
    assert_received_all(done, count, sizes=SIZES, who=pinger.name)
    for p in (fe, be):
        p.stop()
    for p in (fe, be):
        port = p.report("exit")["ports"][0]
        assert_clean(port, p.name)
        assert port["xstats"]["rx_q0_too_long"] == 0
    # Both rings carried multi-slot frames: more slots than frames.
    fx = fe.report("exit")["ports"][0]["xstats"]
    assert fx["tx_q0_packets"] >= count
    machine.wait_nothing_held()


@pytest.mark.parametrize("receiver", ["backend", "frontend"])
def test_longer_than_mtu_dropped(machine, guest, receiver):
    """A receiver at MTU 1500 drops the 9000-byte frames a jumbo peer
    sends, counts each once, and takes the 1514-byte ones."""
    sizes = [1514, 9018]
    count = 40
    small = []
    big = ["--mtu", 9000, "--scatter"]
    send = traffic_args("send", count, sizes=sizes, link_timeout=30,
                        linger=30)
    recv = traffic_args("recv", count, sizes=sizes, link_timeout=30,
                        first_timeout=30, idle_timeout=3)
    if receiver == "backend":
        rx = machine.spawn("0", [BACKEND], *(recv + small))
        tx = machine.spawn("guest1", [FRONTEND], *(send + big))
    else:
        rx = machine.spawn("guest1", [FRONTEND], *(recv + small))
        tx = machine.spawn("0", [BACKEND], *(send + big))
    tx.wait_report("done", 60)
    r = rx.wait_report("done", 60)
    x = r["ports"][0]["xstats"]
    rxc = r["ports"][0]["rx"]
    assert (rxc["ok"], rxc["missing"], rxc["bad"]) == \
        (count // 2, count // 2, 0), rxc
    assert x["rx_q0_too_long"] == count // 2, x
    for p in (tx, rx):
        p.stop()
    if receiver == "backend":
        # The guest had each dropped frame answered with an error.
        fx = tx.report("exit")["ports"][0]["xstats"]
        assert fx["tx_q0_peer_errors"] == count // 2, fx


def test_mtu_needs_scatter(machine, guest):
    """MTU 9000 with 2 KiB mbufs and no scattered Rx: start fails, says
    why; with mbufs that hold the frame it starts."""
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "echo", 1, link_timeout=5, duration=5) + ["--mtu", 9000])
    r = fe.wait_report("done", 30)
    assert r["error"] is not None and "rte_eth_dev_start" in r["error"]
    assert "enable scattered Rx or use larger mbufs" in fe.log(), fe.tail()
    fe.wait(10)
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=5, duration=30) + [
            "--mtu", 9000, "--mbuf-size", 9216 + 128])
    be.wait_report("started", 30)
    be.stop()


def test_mtu_key_and_sg_offered(machine, guest):
    """The backend offers feature-sg and writes its MTU to the vif's mtu
    key; a frontend reads both."""
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=30, duration=60) + ["--mtu", 9000,
                                                     "--scatter"])
    be.wait_report("started", 30)
    bdir = "/local/domain/0/backend/vif/%d/0" % guest
    wait_for(lambda: machine.xs_read(bdir + "/mtu") == "9000", 10)
    assert machine.xs_read(bdir + "/feature-sg") == "1"
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", 20, sizes=[9018], link_timeout=30) + ["--mtu", 9000,
                                                          "--scatter"])
    done = fe.wait_report("done", 60)
    assert_received_all(done, 20, sizes=[9018], who="frontend")
    assert machine.xs_read("/local/domain/%d/device/vif/0/feature-sg" %
                           guest) == "1"
    for p in (fe, be):
        p.stop()


def test_backend_without_sg(machine, guest):
    """A backend that does not offer feature-sg (as one with SG off): the
    frontend sends one-slot frames only, drops longer ones and counts
    them, and refuses an MTU above 1500 once connected."""
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, sizes=[1514], link_timeout=30, duration=60))
    be.wait_report("started", 30)
    bdir = "/local/domain/0/backend/vif/%d/0" % guest
    wait_for(lambda: machine.xs_read(bdir + "/feature-sg") == "1",
                     10)
    machine.xenemu("xs", "write", bdir + "/feature-sg", "0")
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", 20, sizes=[1514, 9018], link_timeout=30,
        idle_timeout=3) + ["--mtu", 9000, "--scatter"])
    done = fe.wait_report("done", 60)
    port = done["ports"][0]
    assert port["rx"]["ok"] == 10, port["rx"]
    assert port["xstats"]["tx_q0_not_supported"] == 10, port["xstats"]
    assert "lacks feature-sg" in fe.log()
    for p in (fe, be):
        p.stop()
