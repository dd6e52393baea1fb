# SPDX-License-Identifier: BSD-3-Clause
"""A frontend that writes nonsense into xenstore.

The backend must refuse the connection the way Linux netback does (go
Closing, wait for the frontend to reset), log the key, count it, hold
nothing, and serve the next well-behaved frontend of the same vif.
"""

import time

import pytest

from xnit import XENBUS, traffic_args
from test_traffic import BACKEND, FRONTEND, assert_received_all

CLOSING = XENBUS["Closing"]
INITWAIT = XENBUS["InitWait"]
COUNT = 70


def xs_as_guest(machine, path, value):
    machine.xenemu("xs", "--as", "guest1", "write", path, value)


BAD_FRONTENDS = [
    # (id, keys the fake frontend writes, driver log line, counter)
    ("ring-ref-not-a-number",
     {"tx-ring-ref": "abc", "rx-ring-ref": "9", "event-channel": "3",
      "request-rx-copy": "1"},
     "missing or malformed tx-ring-ref", "bad_xenstore"),
    ("ring-ref-missing",
     {"rx-ring-ref": "9", "event-channel": "3", "request-rx-copy": "1"},
     "missing or malformed tx-ring-ref", "bad_xenstore"),
    ("no-rx-copy",
     {"tx-ring-ref": "8", "rx-ring-ref": "9", "event-channel": "3"},
     "did not request rx-copy", "fatal_errors"),
    ("too-many-queues",
     {"tx-ring-ref": "8", "rx-ring-ref": "9", "event-channel": "3",
      "request-rx-copy": "1", "multi-queue-num-queues": "4"},
     "asks for 4 queues", "fatal_errors"),
    ("ungranted-rings",
     {"tx-ring-ref": "8", "rx-ring-ref": "9", "event-channel": "3",
      "request-rx-copy": "1"},
     "cannot map grant 8", "fatal_errors"),
]


@pytest.mark.parametrize("keys,logline,counter",
                         [b[1:] for b in BAD_FRONTENDS],
                         ids=[b[0] for b in BAD_FRONTENDS])
def test_bad_frontend_keys(machine, guest, keys, logline, counter):
    be = machine.spawn("0", [BACKEND], *traffic_args(
        "echo", 1, link_timeout=60, duration=60))
    machine.wait_states(guest, 0, (XENBUS["Initialising"], INITWAIT))
    fe_dir, _ = machine.vif_paths(guest, 0)
    for k, v in keys.items():
        xs_as_guest(machine, fe_dir + "/" + k, v)
    xs_as_guest(machine, fe_dir + "/state", str(XENBUS["Connected"]))

    # Refused as xenbus_dev_fatal() would: Closing, nothing held.
    machine.wait_states(guest, 0, (XENBUS["Connected"], CLOSING))
    machine.wait_nothing_held()
    assert logline in be.log(), be.tail()

    # The frontend resets; a real one then connects and traffic passes.
    xs_as_guest(machine, fe_dir + "/state", str(XENBUS["Closed"]))
    machine.wait_states(guest, 0, (XENBUS["Closed"], XENBUS["Closed"]))
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "pingpong", COUNT, link_timeout=20))
    assert_received_all(fe.wait_report("done", 30), COUNT, who=fe.name)
    assert fe.stop() == 0, fe.tail()

    assert be.stop() == 0, be.tail()
    xstats = be.report("exit")["ports"][0]["xstats"]
    assert xstats[counter] >= 1, xstats
    assert xstats["connects"] == 1, xstats
    machine.wait_nothing_held()


def test_backend_without_rx_copy(machine, guest):
    """A backend that does not offer feature-rx-copy is refused, as Linux
    netfront refuses it, once: no retry loop until the backend resets."""
    fe_dir, be_dir = machine.vif_paths(guest, 0)
    machine.xenemu("xs", "write", be_dir + "/feature-rx-copy", "0")
    machine.xenemu("xs", "write", be_dir + "/state", str(INITWAIT))
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "recv", 1, link_timeout=60))
    machine.wait_states(guest, 0, (XENBUS["Closed"], INITWAIT))
    machine.wait_nothing_held()
    refusal = "does not offer feature-rx-copy"
    time.sleep(2)
    assert fe.log().count(refusal) == 1, fe.tail()

    # The backend resets and offers rx-copy: the frontend connects.
    machine.xenemu("xs", "write", be_dir + "/state", str(XENBUS["Closed"]))
    machine.xenemu("xs", "write", be_dir + "/feature-rx-copy", "1")
    machine.xenemu("xs", "write", be_dir + "/state", str(INITWAIT))
    machine.wait_states(guest, 0, (XENBUS["Connected"], INITWAIT))
    for key in ("tx-ring-ref", "rx-ring-ref", "event-channel"):
        assert machine.xs_read(fe_dir + "/" + key).isdigit()
    fe.kill()
