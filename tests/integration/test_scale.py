# SPDX-License-Identifier: BSD-3-Clause
"""Many vifs: 8 guests with 4 vifs each, 32 ports (RTE_MAX_ETHPORTS of
Debian's DPDK 22.11) served by one backend process polling them all on
one lcore through hotplug mode. Every vif connects and carries byte-exact
traffic; once idle, the control thread costs (next to) nothing."""

import time

from xnit import SIZES, traffic_args
from test_control import ctl_cpu_seconds
from test_hotplug import HOTPLUG, events, start_hpecho, wait_event
from test_traffic import assert_received_all

GUESTS = 8
VIFS = 4
COUNT = len(SIZES) * 10


def test_32_vifs_one_lcore(machine):
    hp = start_hpecho(machine, HOTPLUG)
    t0 = time.monotonic()
    for g in range(GUESTS):
        machine.create("g%d" % g)
        for _ in range(VIFS):
            machine.vif_add("g%d" % g)
    wait_event(hp, "new", GUESTS * VIFS, timeout=60)
    assert all(e["error"] is None for e in events(hp, "new"))
    # Four frontend ports per guest app; small rings keep each guest
    # within gntalloc's 1024 pages.
    fes = [machine.spawn("g%d" % g, ["net_xennet%d,devid=%d" % (v, v)
                                     for v in range(VIFS)],
                         *traffic_args("pingpong", COUNT, link_timeout=60,
                                       linger=60) +
                         ["--rxd", 64, "--txd", 64], mem="nohuge")
           for g in range(GUESTS)]
    links = [fe.wait_report("link", 90) for fe in fes]
    connect_s = time.monotonic() - t0
    for fe in fes:
        done = fe.wait_report("done", 60)
        for i in range(VIFS):
            assert_received_all(done, COUNT, who=fe.name, i=i)
    print("\n%d vifs: all linked %.1f s after the first vif-add "
          "(slowest frontend link %.2f s after its start)" % (
              GUESTS * VIFS, connect_s,
              max(r["elapsed_s"] for r in links)))
    c0 = ctl_cpu_seconds(hp.pid)
    time.sleep(3)
    used = ctl_cpu_seconds(hp.pid) - c0
    print("control thread CPU with %d idle vifs: %.2f s in 3 s" % (
        GUESTS * VIFS, used))
    assert used <= 0.1
    for fe in fes:
        assert fe.stop() == 0
    stats = events(hp, "stats")[-1]["ports"]
    assert len(stats) == GUESTS * VIFS
    assert all(s["echoed"] >= COUNT and s["dropped"] == 0
               for s in stats.values()), stats
    assert hp.stop() == 0
    machine.wait_nothing_held(timeout=30)
