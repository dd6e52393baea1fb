# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures of the integration tests: DPDK processes as emulated domains.

Every test gets a fresh emulated machine (its own XENEMU_DIR) and runs
pktcheck (tests/integration/pktcheck.c) with the xennet plugin in each
domain: the backend on core 0, frontends on core 1, each process in its own
process group and with its own --file-prefix, all killed when the test ends
whatever happened.

Logs of a failed test are kept (and their tails printed); XNIT_KEEP_LOGS=1
keeps every test's.

Memory: hugepages when the machine allows (as root we reserve them and mount
hugetlbfs), else --no-huge. The mode a test ran in is part of its id where
it is parametrized, and the session summary says which modes ran.
XNIT_MEM=nohuge forces --no-huge everywhere; XNIT_MEM=huge fails the session
if hugepages cannot be had.
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("XENNET_BUILD",
                                       os.path.join(REPO, "build")))
XENEMU = os.path.join(REPO, "app", "xenemu", "xenemu")
ACCT = os.path.join(BUILD, "app", "xenemu", "lib", "xenemu-acct")
DAEMON = os.path.join(BUILD, "app", "xenemu", "xenstored", "xenemu-xenstored")
PKTCHECK = os.path.join(BUILD, "tests", "integration", "pktcheck")
PLUGIN = os.path.join(BUILD, "drivers", "net", "xennet",
                      "librte_net_xennet.so")

HUGEPAGES_WANTED = 512          # 2 MB pages: 1 GB, -m 256 for 4 processes
MEM_MB = 256

# Every process and run directory of the session, for the last-resort
# cleanup at exit.
_LIVE = []
_MODES_RAN = set()


# ---------------------------------------------------------------- memory

def _hugetlbfs_mounted():
    with open("/proc/mounts") as f:
        return any(line.split()[2] == "hugetlbfs" for line in f)


def _meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _setup_hugepages():
    """True if 2 MB hugepages are usable (reserving/mounting them as root)."""
    try:
        if _meminfo("HugePages_Total") < HUGEPAGES_WANTED and os.geteuid() == 0:
            with open("/proc/sys/vm/nr_hugepages", "w") as f:
                f.write(str(HUGEPAGES_WANTED))
        if not _hugetlbfs_mounted() and os.geteuid() == 0:
            os.makedirs("/dev/hugepages", exist_ok=True)
            subprocess.run(["mount", "-t", "hugetlbfs", "nodev",
                            "/dev/hugepages"], check=True,
                           capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    # Two processes of -m MEM_MB each at least.
    return (_hugetlbfs_mounted() and
            _meminfo("HugePages_Free") * _meminfo("Hugepagesize") >=
            2 * MEM_MB * 1024)


def pytest_configure(config):
    forced = os.environ.get("XNIT_MEM")
    if forced == "nohuge":
        config.xennet_mem_modes = ["nohuge"]
        return
    huge = _setup_hugepages()
    if forced == "huge" and not huge:
        raise pytest.UsageError("XNIT_MEM=huge: no usable hugepages")
    config.xennet_mem_modes = ["huge", "nohuge"] if huge else ["nohuge"]


def pytest_generate_tests(metafunc):
    """'mem_mode' in a test's arguments: run it in every mode available."""
    if "mem_mode" in metafunc.fixturenames:
        metafunc.parametrize("mem_mode", metafunc.config.xennet_mem_modes)


@pytest.fixture
def default_mem(request):
    """The mode tests that are not parametrized over it use: the best."""
    return request.config.xennet_mem_modes[0]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    avail = config.xennet_mem_modes
    terminalreporter.write_line(
        "xennet integration: memory modes available: %s; ran: %s" % (
            ", ".join("hugepages" if m == "huge" else "--no-huge"
                      for m in avail),
            ", ".join(sorted(_MODES_RAN)) or "none"))


# ---------------------------------------------------------------- processes

class Proc:
    """A pktcheck process running as a domain, in its own process group."""

    def __init__(self, name, argv, env, log_path, stdin=False):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(argv, env=env, stdout=self._log,
                                      stderr=subprocess.STDOUT,
                                      stdin=subprocess.PIPE if stdin
                                      else subprocess.DEVNULL,
                                      start_new_session=True)
        self.pid = self.popen.pid
        _LIVE.append(self)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def reports(self):
        """Every PKTCHECK line so far, parsed."""
        out = []
        for line in self.log().splitlines():
            if line.startswith("PKTCHECK "):
                try:
                    out.append(json.loads(line[len("PKTCHECK "):]))
                except ValueError:
                    pass        # still being written
        return out

    def report(self, phase, round=None):
        """The first report of phase (in that round), None if none yet."""
        for r in self.reports():
            if r["phase"] == phase and round in (None, r.get("round")):
                return r
        return None

    def alive(self):
        return self.popen.poll() is None

    def wait_report(self, phase, timeout, round=None):
        """The report of phase; fails if it does not come within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.report(phase, round)
            if r is not None:
                return r
            if not self.alive():
                r = self.report(phase, round)
                if r is not None:
                    return r
                raise AssertionError(
                    "%s exited (rc %s) without a %r report:\n%s" % (
                        self.name, self.popen.returncode, phase,
                        self.tail()))
            if time.monotonic() > deadline:
                raise AssertionError("%s: no %r report within %gs:\n%s" % (
                    self.name, phase, timeout, self.tail()))
            time.sleep(0.05)

    def wait(self, timeout):
        """Exit status; the process is killed if it does not exit in time."""
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not exit within %gs:\n%s" % (
                self.name, timeout, self.tail()))

    def signal(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout=15):
        """SIGTERM (pktcheck closes its ports cleanly) and wait: the rc."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self):
        self.signal(signal.SIGKILL)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def close(self):
        if self.alive():
            self.kill()
        if self.popen.stdin is not None:
            self.popen.stdin.close()
        self._log.close()

    def tail(self, n=60, width=400):
        """The last n lines of the log, long ones (the JSON) cut short."""
        return "\n".join(line if len(line) <= width else line[:width] + "..."
                         for line in self.log().splitlines()[-n:])


class Machine:
    """One emulated Xen machine: xenstored, domains, vifs, accounting."""

    def __init__(self, run_dir, mem_mode, log_dir):
        self.dir = run_dir
        self.mem_mode = mem_mode
        self.log_dir = log_dir
        self.env = dict(os.environ, XENEMU_DIR=self.dir, XENNET_BUILD=BUILD)
        self.procs = []
        self.prefixes = []

    # -- toolstack
    def xenemu(self, *args, check=True, timeout=30):
        r = subprocess.run(["/usr/bin/python3", XENEMU] +
                           [str(a) for a in args], env=self.env,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("xenemu %s failed (%d): %s%s" % (
                " ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
        return r.stdout.strip()

    def create(self, name):
        return int(self.xenemu("create", name))

    def vif_add(self, guest, *args):
        return int(self.xenemu("vif-add", guest, *args).splitlines()[0])

    def xs_read(self, path):
        r = subprocess.run(["/usr/bin/python3", XENEMU, "xs", "read", path],
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        return r.stdout.rstrip("\n") if r.returncode == 0 else None

    @staticmethod
    def vif_paths(fe, devid, be=0):
        return ("/local/domain/%d/device/vif/%d" % (fe, devid),
                "/local/domain/%d/backend/vif/%d/%d" % (be, fe, devid))

    def states(self, fe, devid, be=0):
        """(frontend state, backend state) of a vif, None where unset."""
        fp, bp = self.vif_paths(fe, devid, be)
        out = []
        for p in (fp, bp):
            v = self.xs_read(p + "/state")
            out.append(int(v) if v is not None and v.isdigit() else None)
        return tuple(out)

    def wait_states(self, fe, devid, want, timeout=20, be=0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.states(fe, devid, be)
            if got == tuple(want):
                return got
            if time.monotonic() > deadline:
                raise AssertionError("vif %d/%d: states %s, wanted %s "
                                     "within %gs" % (fe, devid, got,
                                                     tuple(want), timeout))
            time.sleep(0.1)

    # -- accounting
    def acct(self):
        r = subprocess.run([ACCT, "--json"], env=self.env,
                           capture_output=True, text=True, timeout=30,
                           check=True)
        return {int(k): v for k, v in json.loads(r.stdout).items()}

    def held(self):
        """{domid: {shared, mapped, evtchn_bound}} for what is held now."""
        return {d: {k: c[k] for k in ("shared", "mapped", "evtchn_bound")}
                for d, c in self.acct().items()}

    def wait_nothing_held(self, timeout=10):
        """Every domain's shared/mapped/evtchn_bound reaches zero."""
        deadline = time.monotonic() + timeout
        while True:
            held = self.held()
            if all(v == 0 for c in held.values() for v in c.values()):
                return held
            if time.monotonic() > deadline:
                raise AssertionError("still held after %gs: %s" %
                                     (timeout, held))
            time.sleep(0.1)

    # -- DPDK processes
    def domain_env(self, dom):
        """What `xenemu env` says a process of domain dom needs (asked
        each time: a name may come back as a new domid)."""
        env = dict(self.env)
        for line in self.xenemu("env", dom).splitlines():
            k, _, v = line[len("export "):].partition("=")
            env[k] = shlex.split(v)[0] if v else ""
        return env

    def spawn(self, dom, vdevs, *args, core=None, mem=None, name=None,
              exe=PKTCHECK, eal=(), env=None, wrap=(), stdin=False,
              mem_mb=MEM_MB):
        """pktcheck (or exe) as domain dom with --vdev each of vdevs, then
        args; stdin=True gives it a pipe (Proc.popen.stdin), mem_mb its -m.

        dom "0" (the backend domain) runs on core 0, guests on core 1.
        eal: more EAL arguments (a later --log-level wins); env: variables
        set over the domain's (None removes one); wrap: a command that runs
        the process (setpriv ...).
        """
        mem = mem or self.mem_mode
        _MODES_RAN.add("hugepages" if mem == "huge" else "--no-huge")
        if core is None:
            core = 0 if str(dom) == "0" else 1
        prefix = "xnit%d-%d" % (os.getpid(), len(_LIVE))
        self.prefixes.append(prefix)
        name = name or "%s-%d" % ("backend" if str(dom) == "0" else
                                  "frontend-" + str(dom), len(self.procs))
        argv = [exe, "-d", PLUGIN, "--no-pci", "-m", str(mem_mb),
                "--file-prefix", prefix, "--lcores",
                "0@%d,1@%d" % (core, core), "--log-level", "pmd.net.xennet:info"]
        argv += ["--huge-unlink"] if mem == "huge" else ["--no-huge"]
        argv += ["--vdev=%s" % v for v in vdevs] + list(eal)
        argv = list(wrap) + argv + ["--"] + [str(a) for a in args]
        penv = self.domain_env(str(dom))
        for k, v in (env or {}).items():
            if v is None:
                penv.pop(k, None)
            else:
                penv[k] = v
        p = Proc(name, argv, penv,
                 os.path.join(self.log_dir, "%s.log" % name), stdin=stdin)
        self.procs.append(p)
        return p

    def cleanup(self):
        for p in self.procs:
            p.close()
        self.xenemu("stop", check=False)
        for prefix in self.prefixes:
            # A process that is not root's keeps its files under /tmp.
            for run in ("/var/run/dpdk/", "/tmp/dpdk/"):
                shutil.rmtree(run + prefix, ignore_errors=True)


def port_report(rep, i=0):
    return rep["ports"][i]


@pytest.fixture
def machine(request, default_mem):
    for f in (PKTCHECK, PLUGIN, ACCT, DAEMON):
        if not os.path.exists(f):
            pytest.skip("%s not built" % f)
    mem = request.getfixturevalue("mem_mode") \
        if "mem_mode" in request.fixturenames else default_mem
    # Short paths: unix socket names live in the run directory.
    run_dir = tempfile.mkdtemp(prefix="xnit-")
    m = Machine(run_dir, mem, run_dir)
    m.xenemu("start")
    yield m
    m.cleanup()
    failed = getattr(request.node, "rep_call", None)
    if os.environ.get("XNIT_KEEP_LOGS"):
        print("\nlogs kept in %s" % run_dir)
    elif failed is not None and failed.failed:
        # Keep the logs of a failed test, and say where they are.
        print("\nlogs kept in %s" % run_dir)
        for p in m.procs:
            print("---- %s: %s\n%s" % (p.name, " ".join(p.argv), p.tail(30)))
    else:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def pytest_unconfigure(config):
    for p in _LIVE:
        p.close()


@pytest.fixture
def guest(machine):
    """A guest domain "guest1" with vif 0 whose backend is dom0."""
    domid = machine.create("guest1")
    machine.vif_add("guest1")
    return domid
