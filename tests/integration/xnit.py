# SPDX-License-Identifier: BSD-3-Clause
"""Constants and helpers the integration tests share (a module of its own:
every test directory has a conftest.py, so "from conftest import" is
ambiguous)."""

import json
import time

SIZES = [60, 64, 65, 128, 1000, 1513, 1514]

XENBUS = {"Unknown": 0, "Initialising": 1, "InitWait": 2, "Initialised": 3,
          "Connected": 4, "Closing": 5, "Closed": 6}


def traffic_args(mode, count, sizes=SIZES, **kw):
    """pktcheck's options: mode, count, sizes, then --key value of kw."""
    args = ["--mode", mode, "--count", count,
            "--sizes", ",".join(map(str, sizes))]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), v]
    return args


def bytes_of(count, sizes=SIZES):
    return sum(sizes[i % len(sizes)] for i in range(count))


def wait_for(pred, timeout, what="condition"):
    """Poll pred() every 0.1 s until it is true, at most timeout s."""
    import time
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %gs" % (what, timeout))
        time.sleep(0.1)


def frame_bytes(stream, queue, seq, size):
    """Every byte of a pktcheck frame, as pc_frame_build() makes it."""
    m = 0xffffffff
    x = ((seq * 2654435761) ^ (size << 16) ^ (stream * 40503) ^
         (queue * 2246822519) ^ 0x9e3779b9) & m
    buf = bytearray([0x02, 0x70, 0x6b, 0x63, queue, stream & 0xff,
                     0x02, 0x70, 0x6b, 0x63, 0x01, stream & 0xff,
                     0x88, 0xb5])
    buf += b"XNPC" + stream.to_bytes(2, "big") + seq.to_bytes(4, "big") + \
        size.to_bytes(2, "big")
    for i in range(len(buf), size):
        x = (x * 1103515245 + 12345) & m
        buf.append(((x >> 24) ^ i) & 0xff)
    return bytes(buf)


class L2Peer:
    """An l2peer process (tests/integration/l2peer.c): an Ethernet host on
    one port that sends frames on command and counts what it receives by
    (source, destination) MAC."""

    def __init__(self, proc):
        self.proc = proc
        self.next_id = 1
        self.mac = self.wait("started", timeout=30)["mac"].lower()

    def _lines(self):
        out = []
        for line in self.proc.log().splitlines():
            if line.startswith("L2PEER "):
                try:
                    out.append(json.loads(line[len("L2PEER "):]))
                except ValueError:
                    pass        # still being written
        return out

    def wait(self, event, id=None, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for r in self._lines():
                if r["event"] == event and id in (None, r.get("id")):
                    return r
            assert self.proc.alive(), self.proc.tail()
            assert time.monotonic() < deadline, \
                "%s: no %r reply within %gs:\n%s" % (
                    self.proc.name, event, timeout, self.proc.tail())
            time.sleep(0.05)

    def _cmd(self, line, event, timeout=30):
        i = self.next_id
        self.next_id += 1
        self.proc.popen.stdin.write((line + "\n").encode())
        self.proc.popen.stdin.flush()
        return self.wait(event, i, timeout)

    def wait_link(self, timeout=30):
        return self.wait("link", timeout=timeout)

    def send(self, dst, count, size=60, src=None):
        """Send count frames to dst (from src, default the port's MAC);
        every one of them must be accepted by the PMD."""
        line = "send %s %d %d" % (dst, count, size)
        if src is not None:
            line += " " + src
        r = self._cmd(line, "sent")
        assert r["error"] is None and r["sent"] == count, r
        return r

    def stats(self):
        return self._cmd("stats", "stats")

    def received(self, src=None, dst=None):
        """{"ok": n, "bad": n} of the frames from src to dst (None: any)."""
        tot = {"ok": 0, "bad": 0}
        for f in self.stats()["rx"]:
            if src in (None, f["src"].lower()) and \
                    dst in (None, f["dst"].lower()):
                tot["ok"] += f["ok"]
                tot["bad"] += f["bad"]
        return tot

    def wait_received(self, want, src=None, dst=None, timeout=20):
        """Wait until want frames from src to dst arrived intact; the
        counts then (more than want is an error the caller sees)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.received(src, dst)
            if got["ok"] + got["bad"] >= want or \
                    time.monotonic() > deadline:
                return got
            time.sleep(0.05)
