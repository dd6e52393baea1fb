# SPDX-License-Identifier: BSD-3-Clause
"""Checksum offload, both roles: a frame the application hands over with
Tx checksum offload reaches the peer with a partial checksum where the
peer takes one (feature-no-csum-offload, feature-ipv6-csum-offload) and
completed in software where it does not; a received partial checksum is
completed, so every frame the application sees has a valid checksum (the
byte comparison checks it), flagged RTE_MBUF_F_RX_L4_CKSUM_GOOD when the
application enabled Rx checksum offload; a partial checksum that cannot
be completed is dropped and counted."""

import pytest

from xnit import traffic_args
from test_traffic import assert_clean, assert_received_all

BACKEND = "net_xennet0,role=backend,domain=guest1"
FRONTEND = "net_xennet0"
SIZES = [86, 100, 128, 1514, 3000, 9018]
COUNT = len(SIZES) * 10
JUMBO = ["--mtu", 9000, "--scatter"]


def fe_key(machine, guest, key):
    return machine.xs_read("/local/domain/%d/device/vif/0/%s" % (guest, key))


def run(machine, sender, proto, tx_extra, rx_extra):
    """The sender pingpongs, the other end echoes; both byte-exact."""
    echo = traffic_args("echo", 1, sizes=SIZES, link_timeout=30,
                        duration=90) + ["--proto", proto] + JUMBO + rx_extra
    ping = traffic_args("pingpong", COUNT, sizes=SIZES, link_timeout=30,
                        linger=30) + ["--proto", proto] + JUMBO + tx_extra
    if sender == "frontend":
        fe = machine.spawn("guest1", [FRONTEND], *ping)
        be = machine.spawn("0", [BACKEND], *echo)
    else:
        be = machine.spawn("0", [BACKEND], *ping)
        fe = machine.spawn("guest1", [FRONTEND], *echo)
    pinger, echoer = (fe, be) if sender == "frontend" else (be, fe)
    done = pinger.wait_report("done", 60)
    assert_received_all(done, COUNT, sizes=SIZES, who=pinger.name)
    for p in (pinger, echoer):
        p.stop()
    for p in (pinger, echoer):
        assert_clean(p.report("exit")["ports"][0], p.name)
    return (pinger.report("exit")["ports"][0],
            echoer.report("exit")["ports"][0])


@pytest.mark.parametrize("proto", ["udp4", "tcp4", "udp6", "tcp6"])
@pytest.mark.parametrize("sender", ["frontend", "backend"])
def test_partial_checksums(machine, guest, sender, proto):
    """Both ends offload: the sender's frames cross with a partial
    checksum, the receiver completes each one and flags it good."""
    ping, echo = run(machine, sender, proto, ["--tx-csum"], ["--rx-csum"])
    assert ping["xstats"]["tx_q0_csum_partial"] == COUNT, ping["xstats"]
    assert ping["xstats"]["tx_q0_csum_completed"] == 0
    assert echo["xstats"]["rx_q0_csum_partial"] == COUNT, echo["xstats"]
    assert echo["xstats"]["rx_q0_csum_completed"] == COUNT
    assert echo["rx"]["csum_good"] == COUNT and echo["rx"]["csum_bad"] == 0
    if sender == "backend":
        assert fe_key(machine, guest, "feature-no-csum-offload") == "0"
        assert fe_key(machine, guest, "feature-ipv6-csum-offload") == "1"


@pytest.mark.parametrize("proto", ["tcp4", "udp6"])
def test_frontend_without_rx_offload(machine, guest, proto):
    """A frontend whose application did not enable Rx checksum offload
    asks for complete checksums: the backend computes them before the
    copy, and the frontend flags nothing."""
    ping, echo = run(machine, "backend", proto, ["--tx-csum"], [])
    assert fe_key(machine, guest, "feature-no-csum-offload") == "1"
    assert fe_key(machine, guest, "feature-ipv6-csum-offload") == "0"
    assert ping["xstats"]["tx_q0_csum_partial"] == 0, ping["xstats"]
    assert ping["xstats"]["tx_q0_csum_completed"] == COUNT
    assert echo["xstats"]["rx_q0_csum_partial"] == 0, echo["xstats"]
    assert echo["rx"]["csum_good"] == 0


def test_no_offload_no_flags(machine, guest):
    """Without offloads nothing is partial and nothing flagged, frames
    keep the checksums their sender computed."""
    ping, echo = run(machine, "frontend", "tcp4", [], [])
    for port in (ping, echo):
        for d in ("rx", "tx"):
            assert port["xstats"][d + "_q0_csum_partial"] == 0
            assert port["xstats"][d + "_q0_csum_completed"] == 0
    assert echo["rx"]["csum_good"] == 0


@pytest.mark.parametrize("receiver", ["backend", "frontend"])
def test_partial_not_tcp_udp_dropped(machine, guest, receiver):
    """An application asks for a UDP checksum on a frame that is not IP:
    the peer cannot complete it, drops the frame and counts it once."""
    send = traffic_args("send", 20, sizes=[100], link_timeout=30,
                        linger=30) + ["--tx-csum"]
    recv = traffic_args("recv", 20, sizes=[100], link_timeout=30,
                        first_timeout=10, idle_timeout=3) + ["--rx-csum"]
    if receiver == "backend":
        rx = machine.spawn("0", [BACKEND], *recv)
        tx = machine.spawn("guest1", [FRONTEND], *send)
    else:
        rx = machine.spawn("guest1", [FRONTEND], *recv)
        tx = machine.spawn("0", [BACKEND], *send)
    tx.wait_report("done", 60)
    r = rx.wait_report("done", 60)
    port = r["ports"][0]
    assert port["rx"]["ok"] == 0 and port["rx"]["bad"] == 0, port["rx"]
    assert port["xstats"]["rx_q0_bad_csum"] == 20, port["xstats"]
    assert port["stats"]["ierrors"] == 20
    for p in (tx, rx):
        p.stop()
