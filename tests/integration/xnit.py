# SPDX-License-Identifier: BSD-3-Clause
"""Constants and helpers the integration tests share (a module of its own:
every test directory has a conftest.py, so "from conftest import" is
ambiguous)."""

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
