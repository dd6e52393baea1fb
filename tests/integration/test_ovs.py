# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch with defaults: Debian's OVS-DPDK switches two emulated
guests through xennet backend ports.

The test runs its own ovsdb-server and ovs-vswitchd (as emulated dom0, with
the plugin loaded through other_config:dpdk-extra) with run, database and
log directories under the machine's directory; it never talks to a system
OVS. The commands are those of doc/guides/howto/ovs-dpdk.rst, one for one:
each xennet port is added with nothing but type=dpdk and its devargs, so OVS
configures it as it would any DPDK port (2048 descriptors, Rx checksum
offload and MTU asked for). OVS: core 0 (its main thread and its one PMD
thread); the guests' pktcheck frontends: core 1, --no-huge, as a PV guest
has no hugepages.

Skips only where OVS-DPDK cannot run here: openvswitch-switch-dpdk not
installed (buildtools/install-deps.sh installs it), not root, or no
hugepages.
"""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from xnit import SIZES, XENBUS, bytes_of, traffic_args
from test_traffic import assert_clean, assert_received_all

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("XENNET_BUILD",
                                       os.path.join(REPO, "build")))
PLUGIN = os.path.join(BUILD, "drivers", "net", "xennet",
                      "librte_net_xennet.so")
XENEMU = os.path.join(REPO, "app", "xenemu", "xenemu")
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
OVS_TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vsctl", "ovs-ofctl",
             "ovs-appctl")
CONNECTED = XENBUS["Connected"]

# One direction's frames never exceed the 256 RX buffers a pktcheck
# frontend posts: the two guests share core 1, so the receiver may not run
# while the sender does, and OVS drops what a full guest ring refuses
# (ovs_tx_failure_drops). Two counts tell the directions apart in OVS's statistics.
COUNT_1TO2 = len(SIZES) * 36        # 252
COUNT_2TO1 = len(SIZES) * 30        # 210

# What OVS logs that may concern a xennet port.
XENNET_LOG = re.compile(r"vif[12]\b|net_xennet|xennet|port [01]\b|"
                        r"could not add network device")
LEVELS = ("|WARN|", "|ERR|", "|EMER|")


def ovs_unavailable(config):
    """Why OVS-DPDK cannot run on this machine, or None."""
    missing = [t for t in OVS_TOOLS if shutil.which(t) is None]
    missing += [f for f in (OVS_VSWITCHD, OVS_SCHEMA)
                if not os.path.exists(f)]
    if missing:
        return ("openvswitch-switch-dpdk not installed (missing %s): "
                "buildtools/install-deps.sh installs it" % ", ".join(missing))
    try:
        r = subprocess.run([OVS_VSWITCHD, "--version"], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return "%s does not run: %s" % (OVS_VSWITCHD, e)
    if r.returncode != 0 or "DPDK" not in r.stdout:
        return "%s --version: rc %d: %s%s" % (OVS_VSWITCHD, r.returncode,
                                              r.stdout, r.stderr)
    if os.geteuid() != 0:
        return "OVS-DPDK needs root here (hugepages, /run/xennet)"
    if "huge" not in config.xennet_mem_modes:
        return ("OVS-DPDK needs hugepages: this session has none (no usable "
                "hugepages, or XNIT_MEM=nohuge)")
    return None


def proc_alive(pid):
    """pid runs (a zombie whose parent has not reaped it does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def parse_map(text):
    """An OVSDB map as ovs-vsctl prints it, {k=v, ...}, of numbers."""
    out = {}
    for item in text.strip().strip("{}").split(","):
        k, _, v = item.strip().partition("=")
        if k:
            out[k] = int(v) if v.lstrip("-").isdigit() else v.strip('"')
    return out


class Ovs:
    """ovsdb-server and ovs-vswitchd of one test, as dom0 of the machine."""

    def __init__(self, machine):
        self.machine = machine
        self.dir = os.path.join(machine.dir, "ovs")
        self.rundir = os.path.join(self.dir, "run")
        self.dbdir = os.path.join(self.dir, "db")
        self.logdir = os.path.join(self.dir, "log")
        for d in (self.rundir, self.dbdir, self.logdir):
            os.makedirs(d, exist_ok=True)
        self.env = dict(machine.env, OVS_RUNDIR=self.rundir,
                        OVS_DBDIR=self.dbdir, OVS_LOGDIR=self.logdir)
        self.vswitchd_log = os.path.join(self.logdir, "ovs-vswitchd-dpdk.log")
        self.ovsdb_log = os.path.join(self.logdir, "ovsdb-server.log")
        self.pids = {}

    # -- commands
    def run(self, *argv, timeout=60, check=True):
        argv = [str(a) for a in argv]
        r = subprocess.run(argv, env=self.env, capture_output=True,
                           text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s\n---- ovs-vswitchd "
                                 "log:\n%s" % (" ".join(argv), r.returncode,
                                              r.stdout, r.stderr,
                                              self.log_tail()))
        return r.stdout.strip()

    def vsctl(self, *args, **kw):
        return self.run("ovs-vsctl", *args, **kw)

    def ofctl(self, *args, **kw):
        return self.run("ovs-ofctl", *args, **kw)

    def appctl(self, *args, **kw):
        return self.run("ovs-appctl", *args, **kw)

    def pidfile(self, name):
        try:
            with open(os.path.join(self.rundir, name + ".pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    # -- start and stop
    def start(self):
        db = os.path.join(self.dbdir, "conf.db")
        self.run("ovsdb-tool", "create", db, OVS_SCHEMA)
        self.run("ovsdb-server",
                 "--remote=punix:%s" % os.path.join(self.rundir, "db.sock"),
                 "--pidfile", "--log-file", "--detach", db)
        self.pids["ovsdb-server"] = self.pidfile("ovsdb-server")
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                   "other_config:dpdk-init=true",
                   "other_config:dpdk-lcore-mask=0x1",
                   "other_config:pmd-cpu-mask=0x1",
                   "other_config:dpdk-extra=-d %s --no-pci" % PLUGIN)
        # ovs-vswitchd --detach returns once DPDK is initialised and the
        # database read.
        self.run("/usr/bin/python3", XENEMU, "run", "0", "--", OVS_VSWITCHD,
                 "--pidfile", "--log-file", "--detach", timeout=120)
        self.pids["ovs-vswitchd-dpdk"] = self.pidfile("ovs-vswitchd-dpdk")
        assert self.vsctl("get", "Open_vSwitch", ".",
                          "dpdk_initialized") == "true", self.log_tail()

    def stop(self):
        """ovs-appctl exit, ovs-vswitchd first; True if both exited."""
        ok = True
        for name in ("ovs-vswitchd-dpdk", "ovsdb-server"):
            pid = self.pids.get(name)
            if pid is None or not proc_alive(pid):
                continue
            self.appctl("-t", name, "exit", check=False, timeout=30)
            deadline = time.monotonic() + 15
            while proc_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            ok = ok and not proc_alive(pid)
        return ok

    def kill(self):
        """Last resort: the daemons this test started, by pid."""
        for name, pid in self.pids.items():
            if pid is None or not proc_alive(pid):
                continue
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if name.encode() not in f.read():
                        continue        # not ours any more
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    # -- logs
    def log(self, path=None):
        try:
            with open(path or self.vswitchd_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    def xennet_messages(self):
        """ovs-vswitchd's warnings and errors about xennet ports, each once
        (without the timestamp and sequence number)."""
        seen = []
        for line in self.log().splitlines():
            if any(lv in line for lv in LEVELS) and XENNET_LOG.search(line):
                msg = line.split("|", 2)[-1]
                if msg not in seen:
                    seen.append(msg)
        return seen

    # -- what OVS says
    def iface(self, name, column):
        return self.vsctl("get", "Interface", name, column)

    def stats(self, name):
        return parse_map(self.iface(name, "statistics"))

    def flows(self):
        """[(n_packets, n_bytes, match+actions)] of br0's OpenFlow flows."""
        out = []
        for line in self.ofctl("dump-flows", "br0").splitlines():
            m = re.search(r"n_packets=(\d+), n_bytes=(\d+),", line)
            if m:
                rest = re.sub(r".*?n_bytes=\d+, ", "", line)
                rest = re.sub(r"idle_age=\d+, |hard_age=\d+, ", "", rest)
                out.append((int(m.group(1)), int(m.group(2)), rest.strip()))
        return out

    def wait_for(self, what, get, want, timeout=15):
        """Poll get() until it returns want (OVS refreshes its statistics
        every 5 s by default, link_state as its watchdog notices)."""
        deadline = time.monotonic() + timeout
        while True:
            got = get()
            if got == want:
                return got
            if time.monotonic() > deadline:
                raise AssertionError("%s: %r, wanted %r within %gs" % (
                    what, got, want, timeout))
            time.sleep(0.2)


    def report(self):
        """What OVS logged about xennet ports, for the test's output."""
        messages = self.xennet_messages()
        lines = ["OVS (%s) about xennet ports: %d distinct warnings/errors" %
                 (OVS_VSWITCHD, len(messages))]
        lines += ["  " + m for m in messages]
        return "\n".join(lines)


@pytest.fixture
def ovs(request, capsys):
    reason = ovs_unavailable(request.config)
    if reason:
        pytest.skip(reason)
    o = Ovs(request.getfixturevalue("machine"))
    try:
        o.start()
        yield o
    finally:
        # Before the machine's teardown stops xenstored under it.
        o.stop()
        o.kill()
        # Shown whatever the outcome, also where pytest captures output.
        with capsys.disabled():
            print("\n" + o.report())
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print("---- ovs-vswitchd log (%s):\n%s" % (o.vswitchd_log,
                                                    o.log_tail(80)))
            print("---- ovsdb-server log:\n%s" % "\n".join(
                o.log(o.ovsdb_log).splitlines()[-20:]))


def one_way(machine, sender_dom, receiver_dom, count, stream):
    """pktcheck recv in receiver_dom, then send in sender_dom (once the
    receiver's link is up): every frame must arrive byte for byte. Returns
    the sender, still running (it lingers); the receiver has exited."""
    recv = machine.spawn(receiver_dom, ["net_xennet0"], *traffic_args(
        "recv", count, streams=stream, link_timeout=30, first_timeout=20,
        idle_timeout=3), mem="nohuge", name="recv-" + receiver_dom)
    assert recv.wait_report("link", 30)["ports"][0]["link_up"]
    send = machine.spawn(sender_dom, ["net_xennet0"], *traffic_args(
        "send", count, streams=stream, link_timeout=30, send_timeout=20,
        linger=60), mem="nohuge", name="send-" + sender_dom)
    rc = recv.wait(60)
    rrep = recv.report("done")
    srep = send.wait_report("done", 10)
    sp = srep["ports"][0]
    assert sp["tx"]["sent"] == count and not sp["tx"]["timed_out"], sp["tx"]
    assert rrep is not None, recv.tail()
    assert_received_all(rrep, count, who=recv.name)
    assert rrep["ports"][0]["stats"]["ibytes"] == bytes_of(count)
    assert rc == 0
    assert_clean(sp, send.name)
    assert_clean(rrep["ports"][0], recv.name)
    return send


def test_ovs_switches_two_guests(machine, ovs, capsys):
    """Two guests' vifs as xennet backend ports of an OVS netdev bridge
    with the default NORMAL flow: frames go both ways byte for byte, OVS's
    flow and interface counters match, del-port releases every grant and
    event channel, OVS stops cleanly, and no port fails to be added."""
    t0 = time.monotonic()
    # guest1's vif exists before its port is added; guest2 comes after its
    # port, as with xl, which wants the backend in InitWait within 10 s.
    machine.create("guest1")
    machine.vif_add("guest1")
    ovs.vsctl("add-br", "br0", "--", "set", "Bridge", "br0",
              "datapath_type=netdev")
    for i, guest in enumerate(("guest1", "guest2")):
        vif = "vif%d" % (i + 1)
        ovs.vsctl("add-port", "br0", vif, "--", "set", "Interface", vif,
                  "type=dpdk", "options:dpdk-devargs=net_xennet%d,"
                  "role=backend,domain=%s" % (i, guest))
    g2 = machine.create("guest2")
    machine.vif_add("guest2")
    machine.wait_states(g2, 0, (XENBUS["Initialising"], XENBUS["InitWait"]),
                        timeout=10)
    assert "could not add network device" not in ovs.log(), ovs.report()
    for i, vif in enumerate(("vif1", "vif2")):
        assert ovs.iface(vif, "error") == "[]", ovs.log_tail()
        assert ovs.iface(vif, "ofport") == str(i + 1)
        status = parse_map(ovs.iface(vif, "status"))
        assert status["driver_name"] == "net_xennet", status
    t_ports = time.monotonic()

    # guest1 -> guest2, then (new frontend processes: each vif reconnects
    # to its OVS port) guest2 -> guest1.
    send1 = one_way(machine, "guest1", "guest2", COUNT_1TO2, 1)
    assert send1.stop() == 0
    send2 = one_way(machine, "guest2", "guest1", COUNT_2TO1, 2)
    t_traffic = time.monotonic()

    # OVS's view. guest2's sender still runs, so vif2 is connected.
    machine.wait_states(g2, 0, (CONNECTED, CONNECTED), timeout=5)
    ovs.wait_for("vif2 link_state", lambda: ovs.iface("vif2", "link_state"),
                 "up", timeout=10)
    n = COUNT_1TO2 + COUNT_2TO1
    ovs.wait_for("br0 flows", ovs.flows,
                         [(n, bytes_of(COUNT_1TO2) + bytes_of(COUNT_2TO1),
                           "priority=0 actions=NORMAL")], timeout=10)
    fdb = ovs.appctl("-t", "ovs-vswitchd-dpdk", "fdb/show", "br0")
    assert re.search(r"^\s*1\s+0\s+02:70:6b:63:01:01\s", fdb, re.M), fdb
    assert re.search(r"^\s*2\s+0\s+02:70:6b:63:01:02\s", fdb, re.M), fdb
    want = {"vif1": (COUNT_1TO2, COUNT_2TO1), "vif2": (COUNT_2TO1, COUNT_1TO2)}
    for vif, (rx, tx) in want.items():
        ovs.wait_for(
            "%s rx/tx packets and bytes" % vif,
            lambda vif=vif: (lambda s: (s["rx_packets"], s["rx_bytes"],
                                        s["tx_packets"], s["tx_bytes"]))(
                                            ovs.stats(vif)),
            (rx, bytes_of(rx), tx, bytes_of(tx)), timeout=12)
        stats = ovs.stats(vif)
        bad = {k: v for k, v in stats.items()
               if v and (k.endswith(("_dropped", "_drops", "_errors")) or
                         k in ("rx_errors", "tx_errors"))}
        assert not bad, "%s: %s" % (vif, bad)
    t_checks = time.monotonic()

    # Remove the ports while guest2's frontend is still connected: OVS
    # closes them and dom0 holds nothing of either guest any more.
    held = machine.held()
    assert held[0]["mapped"] > 0 and held[0]["evtchn_bound"] > 0, held
    for vif in ("vif1", "vif2"):
        ovs.vsctl("del-port", "br0", vif)
    assert ovs.vsctl("list-ports", "br0") == ""
    deadline = time.monotonic() + 10
    while any(machine.held().get(0, {}).values()):
        assert time.monotonic() < deadline, \
            "dom0 still holds %s after del-port" % machine.held()
        time.sleep(0.1)
    # The vif stays connected: the same port added again takes it over.
    assert machine.states(g2, 0) == (CONNECTED, CONNECTED)
    ovs.vsctl("add-port", "br0", "vif2", "--", "set", "Interface", "vif2",
              "type=dpdk", "options:dpdk-devargs=net_xennet1,role=backend,"
              "domain=guest2")
    deadline = time.monotonic() + 10
    while not machine.held().get(0, {}).get("mapped"):
        assert time.monotonic() < deadline, \
            "vif2 added again maps nothing: %s" % machine.held()
        time.sleep(0.1)
    ovs.vsctl("del-port", "br0", "vif2")
    assert send2.stop() == 0
    machine.wait_nothing_held()
    t_del = time.monotonic()

    assert ovs.stop(), "OVS did not exit on ovs-appctl exit:\n%s" % \
        ovs.log_tail()
    t_stop = time.monotonic()

    print("timings: ports added %.1fs, traffic %.1fs, checks %.1fs, "
          "del-port and release %.1fs, OVS stop %.1fs" % (
              t_ports - t0, t_traffic - t_ports, t_checks - t_traffic,
              t_del - t_checks, t_stop - t_del))
    log = ovs.log()
    assert "could not add network device" not in log, ovs.report()
    errors = [m for m in ovs.xennet_messages()
              if m.split("|")[1] in ("ERR", "EMER")]
    assert not errors, errors
    assert "|EMER|" not in log, ovs.log_tail()
