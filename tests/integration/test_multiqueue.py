# SPDX-License-Identifier: BSD-3-Clause
"""Multi-queue: the frontend asks for min(its queues, the backend's
maximum), every negotiated queue pair carries byte-exact traffic in order,
split event channels are used, and Tx queues beyond the negotiated count
share the rings (Rx queues beyond it stay idle, so no flow is
reordered)."""

import pytest

from xnit import SIZES, traffic_args
from test_traffic import assert_clean, assert_received_all

COUNT = len(SIZES) * 40
BACKEND = "net_xennet0,role=backend,domain=guest1"
FRONTEND = "net_xennet0"
# Four queues of the frontend's default 256 descriptors would not fit in
# gntalloc's 1024 pages: use 128 (see the guide's Queues and descriptors).
DESC = ["--rxd", 128, "--txd", 128]


def negotiated(machine, guest):
    v = machine.xs_read("/local/domain/%d/device/vif/0/"
                        "multi-queue-num-queues" % guest)
    return 1 if v is None else int(v)


@pytest.mark.parametrize("be_q,fe_q", [(1, 1), (2, 2), (4, 4), (2, 4),
                                       (4, 1)],
                         ids=lambda v: str(v))
@pytest.mark.parametrize("sender", ["frontend", "backend"])
def test_queues(machine, guest, be_q, fe_q, sender):
    nq = min(be_q, fe_q)
    echo_args = traffic_args("echo", 1, link_timeout=30, duration=90)
    ping_args = traffic_args("pingpong", COUNT, link_timeout=30, linger=30)
    be_args = (ping_args if sender == "backend" else echo_args) + \
        ["--queues", be_q] + DESC
    fe_args = (ping_args if sender == "frontend" else echo_args) + \
        ["--queues", fe_q] + DESC
    be = machine.spawn("0", [BACKEND], *be_args)
    fe = machine.spawn("guest1", [FRONTEND], *fe_args)
    pinger = fe if sender == "frontend" else be
    done = pinger.wait_report("done", 60)
    assert_received_all(done, COUNT, who=pinger.name)
    port = done["ports"][0]
    if be_q == fe_q:
        # Queue k of one end is queue k of the other.
        assert port["rx"]["wrong_queue"] == 0, port["rx"]
    assert negotiated(machine, guest) == nq
    held = machine.held()
    # Two rings and two (split) event channels per queue pair.
    assert held[0]["mapped"] == 2 * nq and held[0]["evtchn_bound"] == 2 * nq
    assert held[guest]["evtchn_bound"] == 2 * nq
    for p in (fe, be):
        p.stop()
    bx = be.report("exit")["ports"][0]["xstats"]
    for k in range(nq):
        assert bx["rx_q%d_packets" % k] > 0, bx
        assert bx["tx_q%d_packets" % k] > 0, bx
    for p in (fe, be):
        assert_clean(p.report("exit")["ports"][0], p.name)
    machine.wait_nothing_held()


def test_grant_budget(machine, guest):
    """Four queue pairs of 256 descriptors need more pages than gntalloc
    grants a domain: the frontend's start fails and says why."""
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=30, duration=30) + ["--queues", 4])
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "echo", 1, link_timeout=5, duration=5) + ["--queues", 4])
    r = fe.wait_report("done", 30)
    assert r["error"] is not None
    assert "more than gntalloc's limit of 1024 per domain" in fe.log(), \
        fe.tail()
    fe.wait(10)
    assert be.alive()
    be.stop()
