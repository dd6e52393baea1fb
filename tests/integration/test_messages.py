# SPDX-License-Identifier: BSD-3-Clause
"""What the driver says about common mistakes, and that it says it once:
a backend waiting for a guest or vif that is not there yet, no xenstore
(not running, or not root), and a vif that another backend (Linux
xen-netback) drives. doc/guides/nics/xennet.rst (Troubleshooting) lists
these lines."""

import re
import time

import pytest

from xnit import XENBUS, traffic_args
from test_devargs import assert_probe_failed
from test_lifecycle import pingpong
from test_traffic import BACKEND, FRONTEND, assert_received_all

INIT = XENBUS["Initialising"]
INITWAIT = XENBUS["InitWait"]
# At NOTICE the driver says only what an operator needs by default.
NOTICE = ["--log-level", "pmd.net.xennet:notice"]


def driver_lines(p, pattern):
    return [l for l in p.log().splitlines()
            if re.match(r"xennet_\w+\(\): ", l) and re.search(pattern, l)]


def wait_line(p, pattern, timeout=20):
    """The driver's log line matching pattern; fails if none comes."""
    deadline = time.monotonic() + timeout
    while not driver_lines(p, pattern):
        assert p.alive(), "%s exited:\n%s" % (p.name, p.tail())
        assert time.monotonic() < deadline, \
            "no line matching %r within %gs:\n%s" % (pattern, timeout,
                                                     p.tail())
        time.sleep(0.05)


# (id, vdev, what the backend says while it waits)
WAITS = [
    ("domain", "net_xennet0,role=backend,domain=guest1",
     r"net_xennet0: waiting for vif 0 of guest guest1: no guest named guest1 "
     r"has a vif served by this domain yet \(xl list; xl network-list "
     r"guest1\); watching backend/vif$"),
    ("domid", "net_xennet0,role=backend,domid=2",
     r"net_xennet0: waiting for vif 0 of domid 2: domid 2 has no vif served "
     r"by this domain yet \(xl list; xl network-list 2\); watching "
     r"backend/vif$"),
    ("devid", "net_xennet0,role=backend,domain=guest1,devid=1",
     r"net_xennet0: waiting for vif 1 of guest guest1: domid 2 has no vif 1 "
     r"served by this domain yet \(xl network-list guest1\); watching "
     r"backend/vif/2$"),
]


@pytest.mark.parametrize("key,vdev,waiting", WAITS,
                         ids=[w[0] for w in WAITS])
def test_backend_waits_for_its_vif(machine, key, vdev, waiting):
    """A backend started before its guest or vif says once, at NOTICE, what
    it waits for and how to look, and again when the vif appears."""
    assert machine.create("other") == 1
    if key == "devid":
        assert machine.create("guest1") == 2
        machine.vif_add("guest1")
    be = machine.spawn("0", [vdev], *traffic_args("recv", 1,
                                                  link_timeout=120),
                       eal=NOTICE)
    wait_line(be, waiting)
    # Other vifs come and go meanwhile: nothing more to say.
    machine.vif_add("other")
    machine.xenemu("vif-del", "other", "0", timeout=30)
    if key == "devid":
        devid = machine.vif_add("guest1")
    else:
        assert machine.create("guest1") == 2
        devid = machine.vif_add("guest1")
    assert devid == (1 if key == "devid" else 0)
    guest = "domid 2" if key == "domid" else "guest guest1"
    wait_line(be, r"net_xennet0: vif %d of %s appeared: serving "
              r"backend/vif/2/%d \(frontend /local/domain/2/device/vif/%d\)$"
              % (devid, guest, devid, devid))
    machine.wait_states(2, devid, (INIT, INITWAIT))
    assert len(driver_lines(be, waiting)) == 1, be.tail()
    assert len(driver_lines(be, "appeared")) == 1, be.tail()
    be.kill()


def test_xenstore_not_running(machine, guest):
    """No xenstored at the path: the probe fails and names the path."""
    path = machine.dir + "/no-xenstored.sock"
    p = machine.spawn("0", [BACKEND], *traffic_args("recv", 1,
                                                    link_timeout=2),
                      env={"XENSTORED_PATH": path})
    assert_probe_failed(machine, p, r"cannot reach xenstore \(%s\): No such "
                        r"file or directory: is xenstored running \(in "
                        r"dom0\), or XENSTORED_PATH set for an emulated "
                        r"domain \(xenemu env\)\?" % re.escape(path), guest)


def test_xenstore_not_root(machine, guest):
    """Run as another user than root: the probe fails and says so."""
    p = machine.spawn("0", [BACKEND], *traffic_args("recv", 1,
                                                    link_timeout=2),
                      mem="nohuge", wrap=["setpriv", "--reuid=nobody",
                                          "--regid=nogroup",
                                          "--clear-groups"])
    assert_probe_failed(machine, p, r"cannot reach xenstore \(.*/d0\.sock\): "
                        r"Permission denied: run as root, or give this user "
                        r"read and write access to it", guest)


# What Linux xen-netback writes into a vif's backend directory as it binds
# it (netback_probe()), before it goes InitWait.
NETBACK_KEYS = {"feature-sg": "1", "feature-gso-tcpv4": "1",
                "feature-gso-tcpv6": "1", "feature-ipv6-csum-offload": "1",
                "feature-rx-copy": "1", "feature-rx-flip": "0",
                "feature-multicast-control": "1",
                "feature-dynamic-multicast-control": "1",
                "feature-split-event-channels": "1",
                "multi-queue-max-queues": "2", "feature-ctrl-ring": "1"}


def test_vif_served_by_another_backend(machine, guest):
    """A vif that xen-netback drives is left alone, with one error saying
    what to do; once the vif is attached again, the port serves it."""
    _, be_dir = machine.vif_paths(guest, 0)
    for k, v in NETBACK_KEYS.items():
        machine.xenemu("xs", "write", be_dir + "/" + k, v)
    machine.xenemu("xs", "write", be_dir + "/state", str(INITWAIT))
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=120, duration=120))
    refusal = (r"net_xennet0: backend/vif/%d/0 is served by another backend "
               r"\(Linux xen-netback\?\): it is InitWait and no xennet "
               r"served it; keep xen-netback out of this domain \(modprobe "
               r"-r xen-netback, or blacklist it\), then attach the vif "
               r"again \(xl network-detach, xl network-attach\)$" % guest)
    wait_line(be, refusal)
    assert machine.xs_read(be_dir + "/state") == str(INITWAIT)
    assert machine.xs_read(be_dir + "/feature-sg") == "1"
    assert machine.xs_read(be_dir + "/xennet-backend") is None
    assert not driver_lines(be, "waiting for vif")

    # Netback goes on with its vif: still nothing more to say.
    machine.xenemu("xs", "write", be_dir + "/state",
                   str(XENBUS["Connected"]))
    machine.xenemu("vif-del", "guest1", "0", "--force", timeout=30)
    assert machine.vif_add("guest1") == 0
    machine.wait_states(guest, 0, (INIT, INITWAIT))
    assert machine.xs_read(be_dir + "/xennet-backend") == "1"
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", 70, link_timeout=30))
    assert_received_all(fe.wait_report("done", 30), 70, who=fe.name)
    assert fe.stop() == 0, fe.tail()
    assert len(driver_lines(be, "served by another backend")) == 1, be.tail()
    assert be.stop() == 0, be.tail()


def test_vif_left_connected_by_an_older_xennet(machine, guest):
    """A xennet from before the xennet-backend key left its vif connected:
    the next backend still takes it over (its feature-ctrl-ring=0 tells it
    from xen-netback)."""
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "echo", 1, link_timeout=20, duration=120))
    be1 = pingpong(machine, "0", BACKEND)
    assert be1.stop() == 0, be1.tail()
    _, be_dir = machine.vif_paths(guest, 0)
    machine.xenemu("xs", "rm", be_dir + "/xennet-backend")
    assert machine.states(guest, 0) == (XENBUS["Connected"],
                                        XENBUS["Connected"])
    be2 = pingpong(machine, "0", BACKEND)
    assert not driver_lines(be2, "served by another backend"), be2.tail()
    assert machine.xs_read(be_dir + "/xennet-backend") == "1"
    assert be2.stop() == 0, be2.tail()
    assert fe.stop() == 0, fe.tail()
