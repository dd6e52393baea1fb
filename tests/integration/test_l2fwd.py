# SPDX-License-Identifier: BSD-3-Clause
"""L2 forwarders between two xennet backend ports, each serving a guest:
examples/xennet-l2fwd, and DPDK's own, unmodified examples/l2fwd (built
from the DPDK source package by `make build`). With MAC updating, frames
arrive with DPDK l2fwd's rewritten addresses and the rest intact; without,
byte for byte as sent."""

import os
import re

import pytest

from xnit import SIZES, L2Peer, traffic_args
from test_traffic import assert_received_all

BUILD = os.path.abspath(os.environ.get("XENNET_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build")))
XENNET_L2FWD = os.path.join(BUILD, "examples", "xennet-l2fwd")
DPDK_L2FWD = os.path.join(BUILD, "dpdk-examples", "dpdk-l2fwd")
L2PEER = os.path.join(BUILD, "tests", "integration", "l2peer")
# Enough for its 4095 mbufs; the hugepages are shared with other tests.
L2PEER_MEM_MB = 64
GUEST_MAC = {"guest1": "00:16:3e:00:00:01", "guest2": "00:16:3e:00:00:02"}
# Distinct backend MACs, so that the source a frame gets tells the port.
PORT_MAC = ["52:54:00:00:00:10", "52:54:00:00:00:11"]
BACKENDS = ["net_xennet%d,role=backend,domain=guest%d,mac=%s" %
            (i, i + 1, PORT_MAC[i]) for i in (0, 1)]
COUNT = 40


def guests(machine):
    for g, mac in GUEST_MAC.items():
        machine.create(g)
        machine.vif_add(g, "--mac", mac)


def l2fwd_args(app, mac_updating):
    """The forwarder's own options. DPDK's l2fwd: one lcore (-q 2) for
    both ports, no periodic stats (-T 0): its print_stats() shifts
    1 << 31 in an int, undefined behaviour the sanitizer pass stops at."""
    if app == "xennet-l2fwd":
        return (XENNET_L2FWD, ["--stats", "1"] +
                ([] if mac_updating else ["--no-mac-updating"]))
    return (DPDK_L2FWD, ["-p", "0x3", "-q", "2", "-T", "0"] +
            ([] if mac_updating else ["--no-mac-updating"]))


def start_l2fwd(machine, app, mac_updating):
    exe, args = l2fwd_args(app, mac_updating)
    assert os.access(exe, os.X_OK), "%s not built" % exe
    return machine.spawn("0", BACKENDS, *args, name=app, exe=exe)


def peer(machine, g):
    p = L2Peer(machine.spawn(g, ["net_xennet0"], name="l2peer-" + g,
                             exe=L2PEER, stdin=True,
                             mem_mb=L2PEER_MEM_MB))
    assert p.mac == GUEST_MAC[g]
    p.wait_link()
    return p


@pytest.mark.parametrize("app", ["xennet-l2fwd", "dpdk-l2fwd"])
@pytest.mark.parametrize("mac_updating", [True, False],
                         ids=["mac-updating", "no-mac-updating"])
def test_l2fwd_macs(machine, app, mac_updating):
    """Frames of three sizes each way between two guests: with MAC
    updating each arrives with destination 02:00:00:00:00:<output port>
    and the output port's MAC as source, without it with the sender's
    addresses; the payload intact either way, nothing else arriving."""
    guests(machine)
    fwd = start_l2fwd(machine, app, mac_updating)
    p = {g: peer(machine, g) for g in GUEST_MAC}
    for src, dst, out_port in (("guest1", "guest2", 1),
                               ("guest2", "guest1", 0)):
        for size in (60, 1000, 1514):
            p[src].send(GUEST_MAC[dst], COUNT, size)
        if mac_updating:
            want = (PORT_MAC[out_port], "02:00:00:00:00:%02x" % out_port)
        else:
            want = (GUEST_MAC[src], GUEST_MAC[dst])
        got = p[dst].wait_received(3 * COUNT, *want)
        assert got == {"ok": 3 * COUNT, "bad": 0}, p[dst].stats()
        # Every frame that came is one of those.
        assert p[dst].received() == got, p[dst].stats()
    for g in p.values():
        assert g.proc.stop() == 0
    assert fwd.stop() == 0
    log = fwd.log()
    if app == "xennet-l2fwd":
        # The periodic stats line, and its last word at exit.
        last = {}
        for port, rx, tx, drop in re.findall(
                r"^port (\d): link \w+ rx (\d+) tx (\d+) .* tx_dropped "
                r"(\d+)$", log, re.M):
            last[int(port)] = (int(rx), int(tx), int(drop))
        assert last == {0: (3 * COUNT, 3 * COUNT, 0),
                        1: (3 * COUNT, 3 * COUNT, 0)}, log[-2000:]
    machine.wait_nothing_held()


def test_dpdk_l2fwd_byte_exact(machine):
    """DPDK's l2fwd --no-mac-updating between two guests: frames of every
    size go from guest1 to guest2, which echoes them back, and arrive at
    guest1 byte for byte, in order."""
    guests(machine)
    fwd = start_l2fwd(machine, "dpdk-l2fwd", False)
    # l2fwd drops what a full ring refuses (it has no back pressure):
    # fewer frames than a ring holds (256) are never refused, however the
    # two guests sharing a core are scheduled.
    count = len(SIZES) * 25
    echo = machine.spawn("guest2", ["net_xennet0"], *traffic_args(
        "echo", 1, link_timeout=30, duration=120))
    ping = machine.spawn("guest1", ["net_xennet0"], *traffic_args(
        "pingpong", count, link_timeout=30, linger=30))
    assert_received_all(ping.wait_report("done", 60), count, who=ping.name)
    assert ping.stop() == 0
    assert echo.stop() == 0
    assert echo.report("exit")["ports"][0]["echo"]["echoed"] == count
    assert fwd.stop() == 0
    machine.wait_nothing_held()
