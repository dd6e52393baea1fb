# SPDX-License-Identifier: BSD-3-Clause
"""A command run as a user runs it in a terminal: on a pseudo-terminal (so
its stdout is line-buffered, as in a terminal), lines typed on it, its
output collected, in its own process group (killed at the end)."""

import os
import pty
import signal
import subprocess
import threading
import time


class Session:
    def __init__(self, argv, env=None, cwd=None, log=None):
        self.argv = argv
        self.out = ""
        self.lock = threading.Lock()
        self.log = open(log, "w") if log else None
        self.tty, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=slave,
                                     stdout=slave, stderr=slave,
                                     start_new_session=True)
        os.close(slave)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.tty, 65536)
            except OSError:     # EIO: every process closed the terminal
                return
            if not data:
                return
            text = data.decode(errors="replace")
            with self.lock:
                self.out += text
            if self.log:
                self.log.write(text)
                self.log.flush()

    def output(self):
        with self.lock:
            return self.out

    def type(self, line):
        os.write(self.tty, (line + "\r").encode())

    def wait_for(self, text, timeout, start=0):
        """Output from start up to text's end; fails if it does not come."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.output()
            i = out.find(text, start)
            if i >= 0:
                return out[start:i + len(text)]
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.reader.join(2)
                raise AssertionError(
                    "%r: no %r within %ss (exit %s); output:\n%s" % (
                        " ".join(self.argv)[-300:], text, timeout,
                        self.proc.poll(), self.output()[-4000:]))
            time.sleep(0.05)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%r did not exit within %ss:\n%s" % (
                " ".join(self.argv)[-300:], timeout, self.output()[-4000:]))

    def signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        self.signal(signal.SIGKILL)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def close(self):
        if self.proc.poll() is None:
            self.kill()
        self.reader.join(5)
        if self.tty is not None:
            os.close(self.tty)
            self.tty = None
        if self.log:
            self.log.close()
            self.log = None


class Pmd(Session):
    """An interactive dpdk-testpmd (-- -i) as a user drives it."""

    PROMPT = "testpmd> "

    def __init__(self, argv, **kw):
        super().__init__(argv, **kw)
        self.wait_for(self.PROMPT, 90)

    def cmd(self, line, timeout=30):
        start = len(self.output())
        self.type(line)
        return self.wait_for(self.PROMPT, timeout, start)

    def wait_link_up(self, port=0, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            info = self.cmd("show port info %d" % port)
            if "Link status: up" in info:
                return info
            assert time.monotonic() < deadline, \
                "port %d: link not up within %ss:\n%s" % (
                    port, timeout, self.output()[-4000:])
            time.sleep(0.3)

    def quit(self, timeout=30):
        """quit, as typed: testpmd's exit status."""
        self.type("quit")
        return self.wait(timeout)
