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
