# SPDX-License-Identifier: BSD-3-Clause
"""Rx interrupts: DPDK's own, unmodified examples/l3fwd-power (built from
the DPDK source package by `make build`) in interrupt-only mode on a
xennet port of either role sleeps while the vif is idle and forwards when
traffic comes."""

import os
import signal
import subprocess
import time

import pytest

from test_control import BUILD, PLUGIN, proc_cpu_seconds, testpmd  # noqa
from test_traffic import BACKEND, FRONTEND

L3FWD_POWER = os.path.join(BUILD, "dpdk-examples", "dpdk-l3fwd-power")
IDLE_S = 3


def start_l3fwd_power(machine, dom, vdev, core):
    assert os.access(L3FWD_POWER, os.X_OK), "%s not built" % L3FWD_POWER
    mem = (["--huge-unlink", "-m", "256"] if machine.mem_mode == "huge"
           else ["--no-huge", "-m", "512"])
    argv = ["stdbuf", "-oL", L3FWD_POWER, "-d", PLUGIN, "--no-pci",
            "-l", str(core), "--file-prefix", "l3fwdp%d" % os.getpid(),
            "--vdev=" + vdev, "--log-level", "pmd.net.xennet:info",
            *mem, "--", "-p", "0x1", "--interrupt-only",
            "--config=(0,0,%d)" % core, "--parse-ptype"]
    log_path = os.path.join(machine.dir, "l3fwd-power.log")
    log = open(log_path, "wb")
    p = subprocess.Popen(argv, env=machine.domain_env(dom), stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    p.log_path = log_path
    return p


def read_log(p):
    with open(p.log_path, errors="replace") as f:
        return f.read()


def wait_for(p, text, timeout):
    deadline = time.monotonic() + timeout
    while text not in read_log(p):
        assert p.poll() is None, read_log(p)[-3000:]
        assert time.monotonic() < deadline, read_log(p)[-3000:]
        time.sleep(0.1)


def idle_cpu(p):
    """CPU seconds the process used over IDLE_S seconds."""
    c0 = proc_cpu_seconds(p.pid)
    time.sleep(IDLE_S)
    return proc_cpu_seconds(p.pid) - c0


@pytest.mark.parametrize("role", ["backend", "frontend"])
def test_l3fwd_power_interrupt_only(machine, guest, testpmd, role):
    if role == "backend":
        l3 = start_l3fwd_power(machine, "0", BACKEND, 0)
        peer = testpmd("guest1", FRONTEND, 1, "peer")
    else:
        l3 = start_l3fwd_power(machine, "guest1", FRONTEND, 1)
        peer = testpmd(0, BACKEND, 0, "peer")
    try:
        assert peer.wait_link()
        wait_for(l3, "entering main interrupt loop", 30)
        log = read_log(l3)
        assert "Rx Intr handle unset" not in log, log
        assert "RX interrupt won't enable" not in log, log
        # Idle vif: the lcore sleeps (a busy-polling one uses ~IDLE_S).
        assert idle_cpu(l3) < 0.2 * IDLE_S
        # Traffic: testpmd io forwarding, started with a burst, and
        # l3fwd-power sending every frame back (no route: same port).
        peer.cmd("set fwd io")
        peer.cmd("clear port stats all")
        peer.cmd("start tx_first")
        time.sleep(1)
        peer.cmd("stop")
        assert peer.port_stats()["RX-packets"] > 0, read_log(l3)[-3000:]
        wait_for(l3, "is waked up from rx interrupt", 5)
        wait_for(l3, "sleeps until interrupt triggers", 5)
        # Idle again: back to sleep.
        time.sleep(0.5)
        assert idle_cpu(l3) < 0.2 * IDLE_S
        # And it wakes again for the next frames.
        wakes = read_log(l3).count("is waked up from rx interrupt")
        peer.cmd("clear port stats all")
        peer.cmd("start tx_first")
        time.sleep(0.5)
        peer.cmd("stop")
        assert peer.port_stats()["RX-packets"] > 0
        assert read_log(l3).count("is waked up from rx interrupt") > wakes
    finally:
        if l3.poll() is None:
            l3.send_signal(signal.SIGINT)      # its clean exit
            try:
                l3.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(l3.pid, signal.SIGKILL)
                l3.wait(5)
    assert l3.returncode == 0, read_log(l3)[-3000:]
