# SPDX-License-Identifier: BSD-3-Clause
"""Drive an interactive dpdk-testpmd running as an emulated Xen domain."""

import os
import re
import shlex
import signal
import subprocess
import threading
import time

PROMPT = "testpmd> "
PLUGIN_DIR = "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0"


def hugepages_usable(min_free=256):
    """True when 2 MiB hugepages are mounted and enough are free."""
    try:
        with open("/proc/meminfo") as f:
            info = dict(l.split(":", 1) for l in f)
        free = int(info["HugePages_Free"].split()[0])
        with open("/proc/mounts") as f:
            mounted = any(l.split()[2] == "hugetlbfs" for l in f)
    except (OSError, KeyError, ValueError):
        return False
    return mounted and free >= min_free


def mem_args(mode, prefix):
    if mode == "huge":
        return ["-m", "256", "--file-prefix=" + prefix]
    return ["--no-huge", "-m", "256", "--file-prefix=" + prefix]


class TestPmd:
    """One interactive testpmd; commands go to stdin, output is collected."""

    def __init__(self, xenemu, dom, name, plugin, vdevs, lcores, mem="nohuge",
                 log=None, extra=()):
        self.name = name
        # The sanitizer pass (buildtools/test-asan.sh) loads an ASan-built
        # plugin into Debian's testpmd: XNIT_TESTPMD_ENV (VAR=value words)
        # preloads the runtime into testpmd only (env runs after xenemu's
        # Python; stdbuf keeps it first in LD_PRELOAD).
        wrap = shlex.split(os.environ.get("XNIT_TESTPMD_ENV", ""))
        wrap = ["env"] + wrap if wrap else []
        # testpmd printf()s its answers: line-buffer them into the pipe.
        cmd = [xenemu, "run", str(dom), "--", *wrap, "stdbuf", "-oL",
               "dpdk-testpmd", "-d", plugin,
               "--no-pci", "--lcores=" + lcores, *mem_args(mem, name),
               *("--vdev=" + v for v in vdevs),
               "--", "-i", "--nb-cores=1", "--total-num-mbufs=8192", *extra]
        self.out = ""
        self.lock = threading.Lock()
        self.log = open(log, "w") if log else None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self._wait_prompt(0, timeout=60)

    def _read(self):
        while True:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                return
            text = data.decode(errors="replace")
            with self.lock:
                self.out += text
            if self.log:
                self.log.write(text)
                self.log.flush()

    def _wait_prompt(self, start, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                i = self.out.find(PROMPT, start)
                if i >= 0:
                    return self.out[start:i]
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("%s: no prompt within %ss (exit %s); output:\n%s"
                           % (self.name, timeout, self.proc.poll(),
                              self.out[-3000:]))

    def cmd(self, line, timeout=30):
        with self.lock:
            start = len(self.out)
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        text = self._wait_prompt(start, timeout)
        return text

    def port_stats(self, port=0):
        text = self.cmd("show port stats %d" % port)
        stats = {}
        for key, val in re.findall(r"([A-Za-z-]+):\s+(\d+)", text):
            stats.setdefault(key, int(val))
        return stats

    def xstats(self, port=0):
        text = self.cmd("show port xstats %d" % port)
        return {k: int(v) for k, v in re.findall(r"(\w+):\s+(\d+)", text)}

    def link_up(self, port=0):
        text = self.cmd("show port info %d" % port)
        return re.search(r"Link status:\s+up", text) is not None

    def wait_link(self, port=0, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.link_up(port):
                return True
            time.sleep(0.2)
        return False

    def quit(self, timeout=30):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self.reader.join(5)
        if self.log:
            self.log.close()
            self.log = None
        return self.proc.returncode

    def kill(self, sig=signal.SIGKILL):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
