# SPDX-License-Identifier: BSD-3-Clause
"""Secondary processes on a primary's xennet port: dpdk-proc-info reads its
stats and xstats, dpdk-dumpcap and dpdk-pdump capture its traffic.

The primary is dpdk-testpmd serving the backend of guest1's vif with
hugepages (a secondary maps them; --no-huge memory is private); a pktcheck
frontend in guest1 sends deterministic frames to it. The secondaries run
outside every emulated domain: they must not need Xen or xenstore.
"""

import glob
import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from xnit import SIZES, XENBUS, bytes_of, frame_bytes, traffic_args
from test_traffic import BACKEND, FRONTEND

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("XENNET_BUILD",
                                       os.path.join(REPO, "build")))
PLUGIN = os.path.join(BUILD, "drivers", "net", "xennet",
                      "librte_net_xennet.so")
XENEMU_BIN = os.path.join(BUILD, "app", "xenemu", "xenstored", "xenemu")
sys.path.insert(0, os.path.join(REPO, "app", "xennet-demo"))
import testpmd as tpmd  # noqa: E402

CONNECTED = XENBUS["Connected"]
COUNT = len(SIZES) * 20
STREAM = 7
PORT = "net_xennet0"
_PREFIXES = itertools.count()


def expected_frames(count, first=0):
    return [frame_bytes(STREAM, 0, i, SIZES[i % len(SIZES)])
            for i in range(first, first + count)]


def drivers_of_testpmd():
    """The driver libraries Debian's dpdk-testpmd links. Their constructors
    register mempool drivers before the plugin directory is loaded, so a
    secondary must load them first too, or its capture mempool's driver
    index means another driver in testpmd (doc/guides/nics/xennet.rst)."""
    out = subprocess.run(["ldd", shutil.which("dpdk-testpmd")],
                         capture_output=True, text=True, check=True).stdout
    return [l.split()[2] for l in out.splitlines()
            if "=>" in l and "/dpdk/pmds-" in l]


def secondary_env(preload=()):
    """A secondary runs as no domain: the emulation's variables removed.
    The sanitizer pass preloads libasan into Debian's tools, which load an
    instrumented plugin (XNIT_TESTPMD_ENV, buildtools/test-asan.sh)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XENEMU", "XENSTORED")) and
           k != "LD_LIBRARY_PATH"}
    for word in shlex.split(os.environ.get("XNIT_TESTPMD_ENV", "")):
        k, _, v = word.partition("=")
        env[k] = v
    libs = [env["LD_PRELOAD"]] if env.get("LD_PRELOAD") else []
    if libs or preload:
        env["LD_PRELOAD"] = " ".join(libs + list(preload))
    return env


def need_tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip("%s missing: run buildtools/install-deps.sh" % name)
    return path


@pytest.fixture
def start_primary(request, machine, monkeypatch):
    """Start dpdk-testpmd with a vdev in dom0, on hugepages that
    secondaries can map; quit it after the test."""
    if "huge" not in request.config.xennet_mem_modes:
        pytest.skip("secondary processes map the primary's hugepages, and "
                    "none are usable here (buildtools/hugepages.sh)")
    monkeypatch.setenv("XENEMU_DIR", machine.dir)
    monkeypatch.setenv("XENNET_BUILD", BUILD)
    started = []

    def start(vdev):
        # A prefix of its own: nothing of an earlier primary is reused.
        name = "xsec%d-%d" % (os.getpid(), next(_PREFIXES))
        t = tpmd.TestPmd(XENEMU_BIN, 0, name, PLUGIN, [vdev], "0@0,1@0",
                         "huge", log=os.path.join(machine.dir,
                                                  name + ".log"))
        started.append(t)
        return t
    yield start
    for t in started:
        t.quit()
        # A killed testpmd leaves its hugepage files behind (one that
        # exits frees them itself, maybe while we look).
        for f in glob.glob("/dev/hugepages/%smap_*" % t.name):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
        shutil.rmtree("/var/run/dpdk/" + t.name, ignore_errors=True)


@pytest.fixture
def primary(guest, start_primary):
    """testpmd with the backend port of guest1's vif, forwarding rxonly."""
    t = start_primary(BACKEND)
    t.cmd("set fwd rxonly")
    t.cmd("start")
    return t


def send(machine, count):
    """A frontend in guest1 sends count frames; it stays connected."""
    fe = machine.spawn("guest1", [FRONTEND], *traffic_args(
        "send", count, link_timeout=30, send_timeout=20, linger=120,
        streams=STREAM))
    done = fe.wait_report("done", 60)
    assert done["ports"][0]["tx"]["sent"] == count, fe.tail()
    return fe


def fwd_rx(t):
    """Frames testpmd's forwarding loop took in: counted after the burst
    returned, so after the capture callbacks ran on them."""
    m = re.search(r"RX-packets:\s+(\d+)", t.cmd("show fwd stats all"))
    return int(m.group(1))


def wait_fwd_rx(t, want, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        got = fwd_rx(t)
        assert got <= want, "testpmd got %d frames, %d sent" % (got, want)
        if got == want:
            return
        assert time.monotonic() < deadline, \
            "testpmd got %d of %d frames within %gs" % (got, want, timeout)
        time.sleep(0.1)


def proc_info(prefix, *args):
    r = subprocess.run([need_tool("dpdk-proc-info"), "-d", PLUGIN,
                        "--no-pci", "--file-prefix", prefix, "--"] +
                       list(args), env=secondary_env(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    # The driver has nothing to complain about.
    assert not re.search(r"^xennet_\w+\(\): ", r.stderr, re.M), r.stderr
    return r.stdout


def read_capture(path):
    """The frames of a pcap or pcapng file, as tcpdump reads them."""
    r = subprocess.run([need_tool("tcpdump"), "-r", path, "-nn", "-xx"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    frames = []
    for line in r.stdout.splitlines():
        if not line.startswith(("\t", " ")):
            frames.append(bytearray())
        else:
            frames[-1] += bytes.fromhex("".join(line.split(":", 1)[1]
                                                .split()))
    return [bytes(f) for f in frames]


class Capture:
    """A capture tool as a secondary process, its output in a log."""

    def __init__(self, machine, name, argv, env, ready):
        self.log_path = os.path.join(machine.dir, name + ".log")
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(argv, env=env, stdout=self._log,
                                      stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        deadline = time.monotonic() + 60
        while ready not in self.log():
            assert self.popen.poll() is None, \
                "%s exited (rc %s):\n%s" % (name, self.popen.returncode,
                                            self.log())
            assert time.monotonic() < deadline, \
                "%s not capturing within 60s:\n%s" % (name, self.log())
            time.sleep(0.05)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait(self, timeout=60):
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("did not exit within %gs:\n%s" %
                                 (timeout, self.log()))

    def close(self):
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        self._log.close()


def test_proc_info(machine, guest, primary):
    """dpdk-proc-info shows the port's stats and every xstat as testpmd
    does; an xstats reset from it reaches the primary; its exit leaves the
    primary's port connected and serving."""
    fe = send(machine, COUNT)
    wait_fwd_rx(primary, COUNT)
    primary.cmd("stop")     # nothing moves while both views are read

    out = proc_info(primary.name, "--stats")
    port_lines = out.split("Stats reg")[0]   # then per-queue lines
    stats = {k: int(v) for k, v in
             re.findall(r"\b(RX-packets|RX-bytes|RX-errors|TX-packets|"
                        r"TX-bytes|TX-errors):\s+(\d+)", port_lines)}
    assert stats == {"RX-packets": COUNT, "RX-bytes": bytes_of(COUNT),
                     "RX-errors": 0, "TX-packets": 0, "TX-bytes": 0,
                     "TX-errors": 0}, out

    out = proc_info(primary.name, "--xstats")
    xstats = {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", out,
                                                re.M)}
    assert xstats == primary.xstats(), out
    assert xstats["rx_good_packets"] == COUNT
    assert xstats["rx_good_bytes"] == bytes_of(COUNT)
    assert xstats["connects"] == 1 and xstats["disconnects"] == 0, xstats

    proc_info(primary.name, "--xstats-reset")
    assert set(primary.xstats().values()) == {0}, primary.xstats()

    # The secondary closed its view of the port only.
    assert primary.link_up()
    machine.wait_states(guest, 0, (CONNECTED, CONNECTED), timeout=5)
    primary.cmd("start")
    assert fe.stop() == 0, fe.tail()
    send(machine, COUNT)
    wait_fwd_rx(primary, COUNT)
    assert primary.xstats()["rx_good_packets"] == COUNT


def test_proc_info_hotplug(machine, guest, start_primary):
    """With hotplug=1, a secondary attaches the port the primary made for
    guest1's vif; the hotplug vdev itself has no port to attach."""
    t = start_primary("net_xennet0,role=backend,hotplug=1")
    machine.wait_states(guest, 0, (XENBUS["Initialising"],
                                   XENBUS["InitWait"]))
    out = proc_info(t.name, "--show-port")
    assert re.search(r"-- driver net_xennet device net_xennet0_guest1_0 ",
                     out), out
    assert len(re.findall(r"===== Port \d+ =====", out)) == 1, out
    out = proc_info(t.name, "--xstats")
    xstats = {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", out,
                                                re.M)}
    assert xstats and xstats == t.xstats(), out


def test_dumpcap(machine, guest, primary):
    """dpdk-dumpcap writes every frame the port received, byte for byte and
    in order, to a pcapng file tcpdump reads."""
    pcap = os.path.join(machine.dir, "xennet.pcapng")
    cap = Capture(machine, "dumpcap", [
        need_tool("dpdk-dumpcap"), "--file-prefix", primary.name,
        "-i", PORT, "-w", pcap, "-c", str(COUNT)],
        secondary_env(drivers_of_testpmd() + [PLUGIN]), "Packets captured:")
    try:
        send(machine, COUNT)
        assert cap.wait() == 0, cap.log()
    finally:
        cap.close()
    wait_fwd_rx(primary, COUNT)
    assert ("Packets received/dropped on interface '%s': %d/0" %
            (PORT, COUNT)) in cap.log(), cap.log()
    assert read_capture(pcap) == expected_frames(COUNT)


def test_pdump(machine, guest, primary):
    """dpdk-pdump writes the port's received frames, byte for byte and in
    order, to one pcap file and its (no) transmitted frames to another."""
    rx, tx = (os.path.join(machine.dir, n) for n in ("rx.pcap", "tx.pcap"))
    cap = Capture(machine, "pdump", [
        "stdbuf", "-oL", need_tool("dpdk-pdump"), "-d", PLUGIN, "--no-pci",
        "--file-prefix", primary.name, "--", "--pdump",
        "device_id=%s,queue=*,rx-dev=%s,tx-dev=%s" % (PORT, rx, tx)],
        secondary_env(drivers_of_testpmd()), "capture for (1) tuples")
    try:
        send(machine, COUNT)
        wait_fwd_rx(primary, COUNT)
        # It drains what the primary queued for it before it exits.
        os.killpg(cap.popen.pid, signal.SIGINT)
        assert cap.wait() == 0, cap.log()
    finally:
        cap.close()
    assert re.search(r"packets dequeued:\s+%d\n" % COUNT, cap.log()), \
        cap.log()
    assert read_capture(rx) == expected_frames(COUNT)
    assert read_capture(tx) == []
