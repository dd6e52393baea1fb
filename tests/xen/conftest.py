# SPDX-License-Identifier: BSD-3-Clause
"""pytest glue of the real-Xen harness (tests/xen).

Each scenario is its own test (marker ``xen``, registered in pytest.ini).
The first scenario test that runs boots Xen once for ALL selected scenarios
(they run one after the other in that boot, dom0 cleaning up in between);
each test then reports its own scenario's result.  --xen-separate-boots
gives every scenario a boot of its own.

Options: --xen-builddir (default $XENNET_BUILD or <repo>/build),
--xen-separate-boots, --xen-surrogate (run the xennet scenarios with Linux
netback/netfront + af_packet stand-ins; only to check the harness itself).
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build   # noqa: E402
import run     # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def pytest_addoption(parser):
    g = parser.getgroup("xen", "real Xen under QEMU (tests/xen)")
    g.addoption("--xen-builddir", default=os.environ.get("XENNET_BUILD",
                                                         os.path.join(REPO, "build")))
    g.addoption("--xen-separate-boots", action="store_true")
    g.addoption("--xen-surrogate", action="store_true")


def pytest_configure(config):
    # harmless if pytest.ini already registers it
    config.addinivalue_line("markers", "xen: needs real Xen under QEMU (tests/xen); slow")


class XenSession:
    def __init__(self, config):
        self.config = config
        # options are unknown when this conftest was not loaded at startup
        # (e.g. `pytest tests`): fall back to the defaults
        self.builddir = os.path.abspath(config.getoption(
            "--xen-builddir", os.environ.get("XENNET_BUILD", os.path.join(REPO, "build"))))
        self.surrogate = config.getoption("--xen-surrogate", False)
        self.separate = config.getoption("--xen-separate-boots", False)
        self.selected = []
        self.results = None
        self.info = None
        self.error = None

    def plugin(self):
        return build.find_plugin(self.builddir)

    def runnable(self, name):
        return not run.SCENARIOS[name][0] or self.plugin() or self.surrogate

    def result(self, name):
        if self.results is None and self.error is None:
            names = [n for n in self.selected if self.runnable(n)]
            tr = self.config.pluginmanager.get_plugin("terminalreporter")

            def echo(s):
                if tr:
                    tr.write_line(s)
                else:
                    print(s, flush=True)
            try:
                self.info, self.results = run.run_scenarios(
                    names, self.builddir, separate=self.separate,
                    surrogate=self.surrogate, echo=echo)
            except SystemExit as e:
                self.error = "harness build failed: %s" % e
            except Exception as e:   # keep the real error visible in every test
                self.error = "harness error: %r" % e
                raise
        if self.error:
            pytest.fail(self.error)
        return self.results[name]


def _scenario_items(items):
    for it in items:
        cs = getattr(it, "callspec", None)
        if it.get_closest_marker("xen") and cs and "scenario" in cs.params:
            yield cs.params["scenario"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    s = getattr(config, "_xen_session", None) or XenSession(config)
    config._xen_session = s


@pytest.fixture(scope="session")
def xen(request):
    s = request.config._xen_session
    # the final selection (after -k/-m deselection): boot only for those
    s.selected = list(_scenario_items(request.session.items))
    return s


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    s = getattr(config, "_xen_session", None)
    if not s or not s.results:
        return
    terminalreporter.section("real Xen scenarios: wall time")
    for n in s.selected:
        r = s.results.get(n)
        if r:
            terminalreporter.write_line(r.summary())
            if r.logdir:
                terminalreporter.write_line("    logs: " + r.logdir)
