# SPDX-License-Identifier: BSD-3-Clause
"""Real Xen 4.17 under QEMU TCG: xennet against Linux netfront/netback.

Run: /usr/bin/python3 -m pytest -m xen tests/xen   (see conftest.py, run.py
and doc/guides/xen-harness.rst)
"""
import pytest

import run


@pytest.mark.xen
@pytest.mark.parametrize("scenario", run.ORDER)
def test_scenario(scenario, xen, record_property):
    if not xen.runnable(scenario):
        pytest.skip("xennet plugin not built (%s/drivers/net/xennet/librte_net_xennet.so)"
                    % xen.builddir)
    r = xen.result(scenario)
    if r.secs is not None:
        record_property("wall_time_s", round(r.secs, 1))
    for i in r.info:
        record_property("info", i)
    msg = "%s: %s" % (scenario, "; ".join(r.reasons) or r.status)
    if r.logdir:
        msg += "\nlogs: %s" % r.logdir
    assert r.passed, msg
