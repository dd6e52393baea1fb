# SPDX-License-Identifier: BSD-3-Clause
"""Bad devargs, or no vif to serve: the probe fails with an error that
names what is wrong, and the emulation holds nothing afterwards."""

import re

import pytest

from xnit import XENBUS, traffic_args

INIT = XENBUS["Initialising"]

# (id, domain the app runs as, --vdev, regex the driver's error must match)
BAD_DEVARGS = [
    ("unknown-key", "0", "net_xennet0,role=backend,domain=guest1,colour=blue",
     r"unknown devarg colour\b"),
    ("duplicate-key", "0", "net_xennet0,role=backend,domid=1,role=frontend",
     r"devarg role given more than once"),
    ("role-bogus", "0", "net_xennet0,role=bogus", r"\brole=bogus\b"),
    ("backend-without-guest", "0", "net_xennet0,role=backend",
     r"\bdomain=.*\bdomid="),
    ("backend-domain-and-domid", "0",
     "net_xennet0,role=backend,domain=guest1,domid=1",
     r"\bdomain=.*\bdomid="),
    ("domid-abc", "0", "net_xennet0,role=backend,domid=abc", r"\bdomid=abc\b"),
    ("domid-negative", "0", "net_xennet0,role=backend,domid=-1",
     r"\bdomid=-1\b"),
    ("backend-mac-zz", "0", "net_xennet0,role=backend,domain=guest1,mac=zz",
     r"\bmac=zz\b"),
    ("backend-devid-abc", "0", "net_xennet0,role=backend,domain=guest1,"
     "devid=abc", r"\bdevid=abc\b"),
    ("frontend-with-domain", "guest1", "net_xennet0,role=frontend,domain=guest1",
     r"\bdomain="),
    ("frontend-with-domid", "guest1", "net_xennet0,domid=0", r"\bdomid="),
    ("frontend-mac-zz", "guest1", "net_xennet0,mac=zz", r"\bmac=zz\b"),
    ("frontend-mac-multicast", "guest1", "net_xennet0,mac=01:00:5e:00:00:01",
     r"\bmac=01:00:5e:00:00:01\b"),
]


def driver_errors(log):
    """The lines the PMD logged (XN_LOG prefixes its function's name)."""
    return [l for l in log.splitlines() if re.match(r"xennet_\w+\(\): ", l)]


def assert_probe_failed(machine, p, pattern, guest):
    rc = p.wait(30)
    log = p.log()
    rep = p.report("done")
    assert rc == 2 and rep is not None and rep["error"] == "no ports", \
        "probe did not fail (rc %s):\n%s" % (rc, p.tail())
    lines = driver_errors(log)
    assert any(re.search(pattern, l) for l in lines), \
        "no driver error matching %r in:\n%s" % (pattern, "\n".join(lines))
    # The failed probe held nothing and touched nothing in xenstore.
    machine.wait_nothing_held(timeout=5)
    if guest is not None:
        assert machine.states(guest, 0) == (INIT, INIT)


# A key without "=value": rte_kvargs (22.11) hands the handler value NULL
# (rte_kvargs.h: "it may be NULL (e.g. only with key)"); the PMD crashed on
# it in probe until 8cca6c4.
KEY_ONLY = [
    ("key-only-role", "0", "net_xennet0,role", r"\brole\b"),
    ("key-only-domain", "0", "net_xennet0,role=backend,domain", r"\bdomain\b"),
    ("key-only-domid", "0", "net_xennet0,role=backend,domid", r"\bdomid\b"),
    ("key-only-devid", "guest1", "net_xennet0,devid", r"\bdevid\b"),
    ("key-only-mac", "guest1", "net_xennet0,mac", r"\bmac\b"),
]


@pytest.mark.parametrize(
    "dom,vdev,pattern",
    [pytest.param(*c[1:], id=c[0]) for c in BAD_DEVARGS + KEY_ONLY])
def test_bad_devargs(machine, guest, dom, vdev, pattern):
    p = machine.spawn(dom, [vdev], *traffic_args("recv", 1, link_timeout=2))
    assert_probe_failed(machine, p, pattern, guest)


def test_frontend_without_vif(machine):
    """A guest with no vif in xenstore: the frontend says so and fails."""
    machine.create("guest1")
    p = machine.spawn("guest1", ["net_xennet0"],
                      *traffic_args("recv", 1, link_timeout=2))
    assert_probe_failed(machine, p, r"no vif 0 in xenstore", None)


def test_frontend_wrong_devid(machine, guest):
    """devid= naming a vif the guest does not have fails the same way."""
    p = machine.spawn("guest1", ["net_xennet0,devid=3"],
                      *traffic_args("recv", 1, link_timeout=2))
    assert_probe_failed(machine, p, r"no vif 3 in xenstore", guest)
