# SPDX-License-Identifier: BSD-3-Clause
"""The control plane: reconfiguring ports while the peer stays connected,
one server per vif, invalid peer states answered once, and its own CPU."""

import os
import sys
import time

import pytest

from xnit import XENBUS, traffic_args
from test_traffic import BACKEND, FRONTEND, assert_clean, assert_received_all

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("XENNET_BUILD",
                                       os.path.join(REPO, "build")))
PLUGIN = os.path.join(BUILD, "drivers", "net", "xennet",
                      "librte_net_xennet.so")
sys.path.insert(0, os.path.join(REPO, "app", "xennet-demo"))
import testpmd as tpmd  # noqa: E402

XENEMU_BIN = os.path.join(BUILD, "app", "xenemu", "xenstored", "xenemu")
CONNECTED = XENBUS["Connected"]
CLOSING = XENBUS["Closing"]
CLOSED = XENBUS["Closed"]


@pytest.fixture
def testpmd(machine, monkeypatch):
    """Start interactive testpmds as emulated domains; quit them after."""
    monkeypatch.setenv("XENEMU_DIR", machine.dir)
    monkeypatch.setenv("XENNET_BUILD", BUILD)
    started = []

    def start(dom, vdev, core, name, extra=()):
        # The name is the file prefix: one of this run's own, so that a
        # suite running beside this one cannot take it.
        t = tpmd.TestPmd(XENEMU_BIN, dom, "%s-%d" % (name, os.getpid()),
                         PLUGIN, [vdev], "0@%d,1@%d" % (core, core),
                         machine.mem_mode,
                         log=os.path.join(machine.dir, name + ".log"),
                         extra=extra)
        started.append(t)
        return t
    yield start
    for t in started:
        t.quit()


def burst(sender, receiver, seconds=1.0):
    """txonly on sender, rxonly on receiver: frames the receiver got."""
    receiver.cmd("set fwd rxonly")
    receiver.cmd("clear port stats all")
    receiver.cmd("start")
    sender.cmd("set fwd txonly")
    sender.cmd("start")
    time.sleep(seconds)
    sender.cmd("stop")
    time.sleep(0.3)
    receiver.cmd("stop")
    return receiver.port_stats()["RX-packets"]


# Each step is what an application (testpmd here, OVS alike) does to
# change a started port: stop it, change queue settings, start it again.
RECONFIG_STEPS = [
    ["port config all rxd 128", "port config all txd 128"],
    ["port config all rxq 2", "port config all txq 2"],
    ["port config all rxd 512", "port config all txd 64",
     "port config all rxq 1", "port config all txq 1"],
]


@pytest.mark.parametrize("role", ["backend", "frontend"])
def test_stop_reconfigure_start(machine, guest, testpmd, role):
    """port stop / port config / port start on a connected port works in
    both roles, the link comes back and traffic passes both ways."""
    be = testpmd(0, BACKEND, 0, "be")
    fe = testpmd("guest1", FRONTEND, 1, "fe")
    assert be.wait_link() and fe.wait_link()
    t, other = (be, fe) if role == "backend" else (fe, be)
    for step in RECONFIG_STEPS:
        out = t.cmd("port stop 0")
        assert "Fail" not in out, out
        for c in step:
            t.cmd(c)
        out = t.cmd("port start 0")
        assert "Fail" not in out and "error" not in out.lower(), out
        assert t.wait_link() and other.wait_link(), (step, t.out[-2000:])
        assert burst(t, other) > 0, (step, t.out[-2000:])
        assert burst(other, t) > 0, (step, t.out[-2000:])
    # The backend's link never went down: a stopped port keeps the vif.
    x = be.xstats()
    assert x["fatal_errors"] == 0, x
    if role == "backend":
        assert (x["connects"], x["disconnects"]) == (1, 0), x


def ctl_cpu_seconds(pid):
    """CPU seconds used so far by the process's xennet control thread."""
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/%d/task" % pid):
        base = "/proc/%d/task/%s/" % (pid, tid)
        with open(base + "comm") as f:
            if f.read().strip() != "xennet-ctl":
                continue
        with open(base + "stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick
    raise AssertionError("no xennet-ctl thread in %d" % pid)


def proc_cpu_seconds(pid):
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def xenstored_pid(machine):
    with open(os.path.join(machine.dir, "xenstored", "pid")) as f:
        return int(f.read())


@pytest.mark.parametrize("value", ["0", "9", "text", "-1", "4x"])
def test_bad_frontend_state_answered_once(machine, guest, value):
    """A guest that writes no valid XenbusState into its state key gets one
    answer (Closing, or Closed for Unknown) and one count, then the backend
    waits: no release/re-take loop, no CPU spent while the value stays."""
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=60, duration=60))
    machine.wait_states(guest, 0, (XENBUS["Initialising"],
                                   XENBUS["InitWait"]))
    fe_dir, _ = machine.vif_paths(guest, 0)
    machine.xenemu("xs", "--as", "guest1", "write", fe_dir + "/state", value)
    want = CLOSED if value == "0" else CLOSING
    deadline = time.monotonic() + 5
    while machine.states(guest, 0)[1] != want:
        assert time.monotonic() < deadline, (machine.states(guest, 0),
                                             be.tail())
        time.sleep(0.05)
    ctl0 = ctl_cpu_seconds(be.pid)
    xs0 = proc_cpu_seconds(xenstored_pid(machine))
    writes0 = be.log().count("xennet_state_write")
    time.sleep(2)
    assert be.log().count("xennet_state_write") == writes0, be.tail()
    # A loop costs tens of percent of a core; idle is a few ticks at most.
    assert ctl_cpu_seconds(be.pid) - ctl0 <= 0.1
    assert proc_cpu_seconds(xenstored_pid(machine)) - xs0 <= 0.1
    assert machine.states(guest, 0)[1] == want
    # A real frontend is then served as usual.
    machine.xenemu("xs", "--as", "guest1", "write", fe_dir + "/state",
                   str(XENBUS["Initialising"]))
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", 70, link_timeout=20, linger=30))
    assert_received_all(fe.wait_report("done", 30), 70, who=fe.name)
    assert fe.stop() == 0
    assert be.stop() == 0
    x = be.report("exit")["ports"][0]["xstats"]
    assert x["bad_xenstore"] == (0 if value == "0" else 1), x
    if value != "0":
        assert 'saw state "%s"' % value in be.log()


def test_second_server_refused(machine, guest):
    """A second backend process, and a second port in one process, asking
    for a vif that is served are refused with an error naming who serves
    it; the first keeps serving; once it is gone the vif can be taken."""
    be1 = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=60, duration=60))
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", 70, link_timeout=20, linger=60))
    assert_received_all(fe.wait_report("done", 30), 70, who=fe.name)

    be2 = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=3, duration=5), core=1)
    r = be2.wait_report("done", 20)
    assert not r["ports"][0]["link_up"]
    assert "already served by pid %d port net_xennet0" % be1.pid in \
        be2.log(), be2.tail()
    be2.wait(10)

    two = machine.spawn("0", ["net_xennet1,role=backend,domain=guest1",
                              "net_xennet2,role=backend,domid=%d" % guest],
                        *traffic_args("echo", 1, link_timeout=3,
                                      duration=5), core=1)
    two.wait_report("done", 20)
    assert two.log().count("already served by pid %d" % be1.pid) == 2, \
        two.tail()
    two.wait(10)
    # The first backend never noticed.
    assert be1.alive() and fe.alive()
    assert be1.stop() == 0
    be3 = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=20, duration=60))
    be3.wait_report("link", 20)
    assert fe.stop() == 0
    assert be3.stop() == 0
    assert_clean(be3.report("exit")["ports"][0], be3.name)


def test_frontend_claim(machine, guest):
    """Two frontend processes for one vif: the second probe fails."""
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=60, duration=60))
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", 70, link_timeout=20, linger=60))
    assert_received_all(fe.wait_report("done", 30), 70, who=fe.name)
    fe2 = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "echo", 1, link_timeout=3, duration=3), core=0)
    assert fe2.wait(20) != 0
    assert "already served by pid %d" % fe.pid in fe2.log(), fe2.tail()
    assert fe.stop() == 0
    assert be.stop() == 0


@pytest.mark.parametrize("how", ["quit", "kill"])
@pytest.mark.parametrize("role", ["backend", "frontend"])
def test_reconfigure_while_peer_restarts(machine, guest, testpmd, role, how):
    """The peer app goes away (quits or is killed) and a new one comes
    while this port is stopped and reconfigured; started again, the port
    links up with the new peer and traffic passes."""
    be = testpmd(0, BACKEND, 0, "be")
    fe = testpmd("guest1", FRONTEND, 1, "fe")
    assert be.wait_link() and fe.wait_link()
    t = be if role == "backend" else fe
    t.cmd("port stop 0")
    if role == "backend":
        fe.quit() if how == "quit" else fe.kill()
        other = testpmd("guest1", FRONTEND, 1, "fe2")
    else:
        be.quit() if how == "quit" else be.kill()
        other = testpmd(0, BACKEND, 0, "be2")
    for c in ("port config all rxd 128", "port config all txd 128",
              "port config all rxq 2", "port config all txq 2"):
        t.cmd(c)
    out = t.cmd("port start 0")
    assert "Fail" not in out and "error" not in out.lower(), out
    assert t.wait_link() and other.wait_link(), t.out[-2000:]
    assert burst(t, other) > 0
    assert burst(other, t) > 0
