# SPDX-License-Identifier: BSD-3-Clause
"""Every command block of README.md and doc/guides is marked with how it is
tested (tests/doccmd.py); those marked ``emu NAME`` are taken from the
documents now and run here as written, in scenario NAME, which checks what
the text says they do.

A documented command assumes a machine of its own: /tmp/xe, DPDK's
default --file-prefix (/run/dpdk/rte) and hugepage files. Each scenario
therefore runs in a mount namespace with its own /tmp and /run/xennet, and
each command in a nested one with its own /run/dpdk and hugetlbfs mount
(one per domain, as on separate Xen domains), so that the commands run
unchanged beside other DPDK processes of the host. Commands that run "in
dom0" or "in a guest" run through ``xenemu run DOM --``. The commands that
assume an installed xennet run with the package of README's "make deb;
apt install" block installed (removed again at the end of the module).
Namespaces and the package need root (CI runs as root).
"""

import json
import os
import re
import shlex
import signal
import subprocess
import time
import uuid

import pytest

import debpkg
import doccmd
from interactive import Pmd, Session

REPO = doccmd.REPO
BUILD = debpkg.BUILD
SCENARIOS = ("readme-make", "readme-xenemu", "readme-deb", "readme-driver",
             "nics-examples", "xenemu-guide", "l2fwd")
# The frontends a scenario adds to a guest itself, with the package's
# plugin, on core 1 (backends on core 0).
FRONTEND = ("dpdk-testpmd --no-huge -m 256 --lcores=0@1,1@1 "
            "--vdev=net_xennet0 -- -i --total-num-mbufs=8192")

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="mount namespaces and the package need root")


def test_every_block_is_marked():
    blocks = doccmd.blocks()
    assert len(blocks) > 20
    bad = [b for b in blocks if b.kind not in doccmd.KINDS]
    assert not bad, "blocks without a valid test marker: %s" % bad
    for b in blocks:
        if b.kind == "emu":
            assert b.arg in SCENARIOS, "%s: no scenario %r" % (b, b.arg)
        if b.kind == "by":
            assert os.path.exists(os.path.join(REPO, b.arg)), \
                "%s: %s does not exist" % (b, b.arg)
        if b.kind != "text":
            assert b.commands(), "%s: no command in the block" % b
    used = {b.arg for b in blocks if b.kind == "emu"}
    assert used == set(SCENARIOS), "scenarios no document uses: %s" % (
        set(SCENARIOS) - used)


def commands(name, nblocks=1):
    blocks = doccmd.emu_blocks(name)
    assert len(blocks) == nblocks, "scenario %s: blocks %s" % (name, blocks)
    return [b.commands() for b in blocks]


def words(cmd):
    """A command without its trailing comment."""
    return " ".join(shlex.split(cmd, comments=True))


# ---------------------------------------------------------------- a host

class Host:
    """A machine of its own for documented commands, as described above."""

    DOMAIN = ("mkdir -p /run/dpdk && mount -t tmpfs tmpfs /run/dpdk && "
              "mount -t hugetlbfs nodev /dev/hugepages && exec bash -c \"$0\"")

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.tag = uuid.uuid4().hex
        self.env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                            "/usr/bin:/sbin:/bin",
                    "HOME": os.environ.get("HOME", "/root"),
                    "LANG": "C.UTF-8", "TERM": "dumb",
                    "XENNET_DOCTEST": self.tag}
        # From the top of the tree, with build/ the build tree.
        if os.path.realpath(os.path.join(REPO, "build")) == BUILD:
            self.cwd = REPO
        else:
            self.cwd = str(tmp_path / "top")
            os.makedirs(self.cwd)
            os.symlink(BUILD, os.path.join(self.cwd, "build"))
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             "mount -t tmpfs tmpfs /tmp && mkdir -p /run/xennet && "
             "mount -t tmpfs tmpfs /run/xennet && echo ready && "
             "exec sleep 100000"],
            stdout=subprocess.PIPE, text=True, start_new_session=True)
        assert self.holder.stdout.readline() == "ready\n"
        self.sessions = []
        self.n = 0

    def argv(self, cmd):
        return ["nsenter", "-t", str(self.holder.pid), "-m",
                "--wd=" + self.cwd, "--", "unshare", "--mount",
                "--propagation", "private", "sh", "-c", self.DOMAIN, cmd]

    def export(self, cmd):
        """An export line changes this terminal's environment."""
        for w in shlex.split(cmd, comments=True)[1:]:
            k, v = w.split("=", 1)
            self.env[k] = os.path.expandvars(v)

    def run(self, cmd, timeout=120):
        """A command typed at a shell prompt: its output; it must succeed."""
        if cmd.startswith("export "):
            self.export(cmd)
            return ""
        r = subprocess.run(self.argv(cmd), env=self.env, cwd=self.cwd,
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, "%r: exit %d\n%s%s" % (
            cmd, r.returncode, r.stdout[-4000:], r.stderr[-4000:])
        return r.stdout

    def start(self, cmd, dom=None, pmd=False):
        """A command in a terminal of its own, in domain dom if given."""
        if dom is not None:
            cmd = "xenemu run %s -- bash -c %s" % (dom, shlex.quote(cmd))
        self.n += 1
        cls = Pmd if pmd else Session
        s = cls(self.argv(cmd), env=dict(self.env), cwd=self.cwd,
                log=str(self.tmp / ("terminal-%d.log" % self.n)))
        self.sessions.append(s)
        return s

    def close(self):
        for s in self.sessions:
            s.close()
        # Whatever the commands left running (a xenstored, a reaper).
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    if ("XENNET_DOCTEST=" + self.tag).encode() in \
                            f.read().split(b"\0"):
                        os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        self.holder.kill()
        self.holder.wait()


@pytest.fixture
def host(tmp_path):
    h = Host(tmp_path)
    yield h
    h.close()


def machine(host, *guests):
    """The scenario's own emulated machine, with a vif for each guest."""
    host.run("export XENEMU_DIR=/tmp/xe")
    host.run("xenemu start")
    for g in guests:
        host.run("xenemu create " + g)
        host.run("xenemu vif-add " + g)


# ------------------------------------------- scenarios without the package

@needs_root
def test_readme_make(host):
    [cmds] = commands("readme-make")
    assert [words(c) for c in cmds] == ["make demo", "make test"]
    out = host.run(cmds[0], timeout=900)
    for d in ("frontend->backend", "backend->frontend"):
        m = re.search(r"^xennet demo %s: sent=(\d+) received=(\d+) "
                      r"dropped=(\d+) mpps=[\d.]+$" % re.escape(d), out,
                      re.M)
        assert m, out[-3000:]
        sent, received, dropped = map(int, m.groups())
        assert received > 0 and received == sent - dropped
    # make test is what CI runs, as written.
    with open(os.path.join(REPO, ".ci", "run")) as f:
        assert "\nexec make test\n" in f.read()


def vif_line(listing, guest_domid=1):
    lines = listing.splitlines()
    i = [n for n, l in enumerate(lines) if re.match(r"%d\s" % guest_domid, l)]
    assert i, listing
    return lines[i[0] + 1]


@needs_root
def test_readme_xenemu(host):
    setup, terminals, third = commands("readme-xenemu", 3)
    for c in setup:
        host.run(c)
    assert len(terminals) == 2
    back = host.start(terminals[0], pmd=True)
    front = host.start(terminals[1], pmd=True)
    for p in (back, front):
        assert "Driver name: net_xennet" in p.wait_link_up(0, timeout=60)
    out = [host.run(c) for c in third]
    assert "frontend 4(Connected) backend 4(Connected)" in vif_line(out[0])
    rows = {l.split()[0]: l.split() for l in out[1].splitlines()[1:]}
    head = out[1].splitlines()[0].split()
    dom0, dom1 = dict(zip(head, rows["0"])), dict(zip(head, rows["1"]))
    # The guest grants its rings and buffers, dom0 maps the rings.
    assert int(dom1["shared"]) > 0 and int(dom0["mapped"]) > 0
    assert front.quit() == 0 and back.quit() == 0
    host.run("build/app/xenemu/xenstored/xenemu stop")


# ------------------------------------------------ with the package installed

@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """README's block, as written, from the top of the tree: make deb, then
    apt install. The package is purged at the end of the module."""
    if os.geteuid() != 0:
        pytest.skip("installs a package: needs root")
    if debpkg.status():
        pytest.skip("a xennet package is installed here already")
    [cmds] = commands("readme-deb")
    assert [words(c) for c in cmds] == [
        "make deb", "apt install ./build/deb/xennet_*.deb"]
    if os.path.realpath(os.path.join(REPO, "build")) != BUILD:
        pytest.skip("README's block builds in build/, not in %s" % BUILD)
    env = {k: v for k, v in debpkg.APT_ENV.items()
           if not k.startswith(("MAKE", "MFLAGS", "XENNET_"))}
    r = subprocess.run(cmds[0], shell=True, cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-3000:]
    deb = [f for f in os.listdir(os.path.join(BUILD, "deb"))
           if re.match(r"xennet_.*\.deb$", f)]
    assert len(deb) == 1, deb

    def apt_install():
        r = subprocess.run(cmds[1], shell=True, cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stdout + r.stderr

    with debpkg.Installed(os.path.join(BUILD, "deb", deb[0]),
                          install=apt_install) as pkg:
        yield pkg


@needs_root
def test_readme_deb(installed):
    assert debpkg.status() == "ii"
    assert os.path.exists("/usr/bin/xenemu")
    assert [f for f in installed.files
            if f.endswith("/dpdk/pmds-23.0/librte_net_xennet.so")]


@needs_root
def test_readme_driver(installed, host):
    [cmds] = commands("readme-driver")
    assert len(cmds) == 2
    machine(host, "web1")
    back = host.start(cmds[0], dom=0, pmd=True)
    front = host.start(cmds[1], dom="web1", pmd=True)
    for p in (back, front):
        assert "Driver name: net_xennet" in p.wait_link_up(0, timeout=60)
    assert front.quit() == 0 and back.quit() == 0


@needs_root
def test_nics_examples(installed, host):
    [cmds] = commands("nics-examples")
    assert len(cmds) == 2
    machine(host, "web1", "web2")
    back = host.start(cmds[0], dom=0, pmd=True)
    fronts = [host.start(cmds[1], dom=g, pmd=True) for g in ("web1", "web2")]
    for port, front in enumerate(fronts):
        back.wait_link_up(port, timeout=60)
        front.wait_link_up(0, timeout=60)
    for p in fronts + [back]:
        assert p.quit() == 0


@needs_root
def test_xenemu_guide(installed, host):
    [cmds] = commands("xenemu-guide")
    checks = [
        (r"^xenemu create web1\b", lambda out: out.strip() == "1"),
        (r"^xenemu run web1 -- xenstore-read name\b",
         lambda out: out.strip() == "web1"),
        (r"^xenemu run 0 -- xenstore-ls backend/vif\b",
         lambda out: 'frontend = "/local/domain/1/device/vif/0"' in out),
        (r"^xenemu list\b",
         lambda out: "mac 00:16:3e:00:00:02" in vif_line(out)),
        (r"^xenemu stats --json\b",
         lambda out: isinstance(json.loads(out), dict)),
        (r"^xenemu xs read /local/domain/1/device/vif/0/mac\b",
         lambda out: out.strip() == "00:16:3e:00:00:02"),
    ]
    done = set()
    for c in cmds:
        out = host.run(c)
        for i, (pat, check) in enumerate(checks):
            if re.match(pat, c):
                assert check(out), "%r printed:\n%s" % (c, out)
                done.add(i)
        if re.match(r"^xenemu destroy web1\b", c):
            assert "web1" not in host.run("xenemu list")
    assert done == set(range(len(checks))), "commands the guide lost: %s" % [
        checks[i][0] for i in set(range(len(checks))) - done]
    assert words(cmds[-1]) == "xenemu stop"


@needs_root
def test_l2fwd(installed, host):
    [cmds] = commands("l2fwd")
    assert len(cmds) == 1
    machine(host, "web1", "web2")
    l2fwd = host.start(cmds[0], dom=0)
    web1 = host.start(FRONTEND, dom="web1", pmd=True)
    web2 = host.start(FRONTEND, dom="web2", pmd=True)
    for p in (web1, web2):
        p.wait_link_up(0, timeout=60)
    # --stats 5: both ports up in a report.
    start = len(l2fwd.output())
    l2fwd.wait_for("port 1: link up", 30, start)
    # A frame from one guest reaches the other.
    web2.cmd("set fwd rxonly")
    web2.cmd("start")
    web1.cmd("set fwd txonly")
    web1.cmd("start")
    deadline = time.monotonic() + 30
    while True:
        stats = web2.cmd("show port stats 0")
        rx = int(re.search(r"RX-packets:\s+(\d+)", stats).group(1))
        if rx > 0:
            break
        assert time.monotonic() < deadline, l2fwd.output()[-3000:]
        time.sleep(0.5)
    web1.cmd("stop")
    web2.cmd("stop")
    l2fwd.signal(signal.SIGINT)
    assert l2fwd.wait(30) == 0, l2fwd.output()[-3000:]
    assert "xennet-l2fwd: bye" in l2fwd.output()
    listing = host.run("xenemu list")
    for domid in (1, 2):
        assert "backend 4(Connected)" in vif_line(listing, domid), listing
    for p in (web1, web2):
        assert p.quit() == 0
