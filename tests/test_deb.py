# SPDX-License-Identifier: BSD-3-Clause
"""make deb: the package installs where Debian users expect it, DPDK's own
dpdk-testpmd loads the driver from DPDK's plugin directory without -d (on
the emulated Xen the package's xenemu provides), and removing the package
takes the driver away.

make deb fails when lintian reports a warning or an error, so the build
here also checks that. Installing needs root (CI runs as root).
"""

import glob
import os
import re
import subprocess

import pytest

import debpkg
from interactive import Pmd

LIBDIR = subprocess.run(["pkg-config", "--variable=libdir", "libdpdk"],
                        capture_output=True, text=True).stdout.strip()
PLUGIN = "librte_net_xennet.so"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="installs a package: needs root")


def eal_plugin_dir():
    """DPDK's plugin directory: where Debian's own PMDs are."""
    dirs = glob.glob(os.path.join(LIBDIR, "dpdk", "pmds-*"))
    assert len(dirs) == 1, dirs
    assert os.path.exists(os.path.join(dirs[0], "librte_net_null.so"))
    return dirs[0]


def mapped(pid):
    """Files a process and its descendants have mapped."""
    files = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/maps" % p) as f:
                files |= {l.split(None, 5)[5].strip() for l in f
                          if len(l.split(None, 5)) == 6}
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return files


def test_deb_installs_loads_without_d_and_removes(tmp_path):
    if debpkg.status():
        pytest.skip("a xennet package is installed here already (%s); the "
                    "test would replace and remove it" % debpkg.status())
    path = debpkg.deb()
    pmds = eal_plugin_dir()
    plugin = os.path.join(pmds, PLUGIN)
    libexec = os.path.join(LIBDIR, "xennet", "xenemu")
    # What a user has after apt install: the installed xenemu, not the
    # build tree's (XENNET_BUILD would make it use the build tree).
    env = {k: v for k, v in os.environ.items() if k != "XENNET_BUILD"}
    env["XENEMU_DIR"] = str(tmp_path / "xe")
    with debpkg.Installed(path) as pkg:
        assert debpkg.status() == "ii"
        for f in (plugin, "/usr/bin/xenemu", "/usr/bin/xennet-l2fwd",
                  "/usr/bin/xennet-vswitch",
                  "/etc/xen/scripts/vif-xennet",
                  os.path.join(libexec, "libxengnttab.so.1"),
                  os.path.join(libexec, "libxenevtchn.so.1"),
                  os.path.join(libexec, "xenemu-xenstored"),
                  os.path.join(libexec, "xenemu-acct"),
                  "/usr/share/doc/xennet/html/index.html",
                  "/usr/share/doc/xennet/html/nics/xennet.html",
                  "/usr/share/man/man1/xenemu.1.gz",
                  "/usr/share/man/man1/xennet-l2fwd.1.gz",
                  "/usr/share/man/man1/xennet-vswitch.1.gz"):
            assert f in pkg.files and os.path.exists(f), f
        # Only xenemu's LD_LIBRARY_PATH finds the drop-in Xen libraries.
        assert not [f for f in pkg.files
                    if os.path.dirname(f) == LIBDIR]

        def xe(*args):
            return subprocess.run(["/usr/bin/xenemu", *args], env=env,
                                  check=True, capture_output=True,
                                  text=True, timeout=60).stdout
        assert "LD_LIBRARY_PATH=" + libexec in xe("env", "0")
        xe("start")
        pmd = []
        try:
            xe("create", "web1")
            xe("vif-add", "web1")
            for dom, cores, vdev in (
                    ("0", "0@0,1@0", "net_xennet0,role=backend,domain=web1"),
                    ("web1", "0@1,1@1", "net_xennet0")):
                pmd.append(Pmd(
                    ["/usr/bin/xenemu", "run", dom, "--", "dpdk-testpmd",
                     "--log-level=lib.eal:debug", "--no-pci", "--no-huge",
                     "-m", "256", "--lcores=" + cores,
                     "--file-prefix=xennet-deb-%s-%d" % (dom, os.getpid()),
                     "--vdev=" + vdev, "--", "-i", "--nb-cores=1",
                     "--total-num-mbufs=8192"],
                    env=env, log=str(tmp_path / ("testpmd-%s.log" % dom))))
            for p in pmd:
                assert re.search(r"^EAL: open shared lib %s\r?$" %
                                 re.escape(plugin), p.output(), re.M)
                info = p.wait_link_up(0, timeout=60)
                assert "Driver name: net_xennet" in info
                # The driver from the package, on the package's emulation.
                files = mapped(p.proc.pid)
                assert plugin in files
                assert os.path.join(libexec, "libxengnttab.so.1") in files
                assert os.path.join(libexec, "libxenevtchn.so.1") in files
            for p in reversed(pmd):
                assert p.quit() == 0, p.output()[-3000:]
        finally:
            for p in pmd:
                p.close()
            subprocess.run(["/usr/bin/xenemu", "stop"], env=env,
                           capture_output=True, timeout=60)

        pkg.remove()
        assert debpkg.status().startswith("rc")     # conffile left
        for f in pkg.files:
            if not f.startswith("/etc/"):
                assert not os.path.lexists(f), f
        run = subprocess.run(
            ["dpdk-testpmd", "--log-level=lib.eal:debug", "--no-pci",
             "--no-huge", "-m", "256",
             "--file-prefix=xennet-deb-gone-%d" % os.getpid(),
             "--vdev=net_xennet0,role=backend,domid=1", "--", "-i",
             "--total-num-mbufs=8192"], input="quit\n",
            capture_output=True, text=True, timeout=60)
        out = run.stdout + run.stderr
        assert run.returncode != 0
        assert PLUGIN not in out
        assert "failed to parse device \"net_xennet0\"" in out
    assert debpkg.status() == ""
    assert not [f for f in pkg.files
                if os.path.lexists(f) and f not in pkg.preexisting]
