#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boot Xen + dom0 under QEMU TCG and run harness scenarios inside dom0.

One boot runs one or more scenarios (dom0 /init runs /xn/scenarios/<name>.sh
in order, cleaning up between them).  Every serial line (Xen and dom0
consoles share COM1) is timestamped with host seconds since QEMU started.
On failure the consoles are kept under <builddir>/xen-logs/<scenario>-<ts>/:
  serial.log   everything (Xen + dom0), timestamped
  xen.log      the "(XEN)" lines only
  dom0.log     dom0 console lines of that scenario
  out/         files dom0 copied through the 9p share: guest consoles
               (xenconsoled --log=guest), testpmd logs, hotplug log,
               xl dmesg, dom0 dmesg, xenstore dump, the scenario's output
"""
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import time

BOOT_OVERHEAD = 90      # seconds allowed for boot + power-off per boot


class Result:
    def __init__(self, name):
        self.name = name
        self.status = "NOT-RUN"     # PASS | FAIL | NOT-RUN
        self.secs = None            # host wall time BEGIN -> RESULT
        self.reasons = []
        self.info = []
        self.logdir = None
        self.t_begin = None

    @property
    def passed(self):
        return self.status == "PASS"

    def summary(self):
        s = "%-24s %-7s %s" % (self.name, self.status,
                               "%6.1fs" % self.secs if self.secs is not None else "     -")
        if self.reasons:
            s += "  " + " | ".join(self.reasons[:3])
        return s


def qemu_cmdline(info, scenarios, share, limit, smp=2, mem=3072, dom0_mem=1024,
                 extra_dom0="", extra_xen=""):
    # -cpu max,-svm and one vCPU per PV domain: otherwise processes in the PV
    # domains crash randomly under TCG (wrong FS base after VMLOAD/VMSAVE);
    # smap=0: QEMU TCG checks the PV kernel's ring-3 IRET frame pop as a
    # supervisor access (README of the recipe, section 1).
    xen_cmd = ("console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all "
               "dom0_mem=%dM,max:%dM dom0_max_vcpus=1 smap=0 %s" %
               (dom0_mem, dom0_mem, extra_xen)).strip()
    dom0_cmd = "console=hvc0 earlyprintk=xen loglevel=6 xn.limit=%d " % limit
    if scenarios:
        dom0_cmd += "xn.run=%s " % "+".join(scenarios)
    dom0_cmd += extra_dom0
    # QEMU multiboot modules: ',' separates modules, a literal ',' is ',,'
    mods = "%s %s,%s" % (info["vmlinuz"], dom0_cmd.strip().replace(",", ",,"),
                         info["dom0_initrd"])
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-cpu", "max,-svm",
           "-smp", str(smp), "-m", str(mem), "-no-reboot", "-nic", "none",
           "-kernel", info["xen"], "-append", xen_cmd, "-initrd", mods,
           "-display", "none", "-monitor", "none", "-serial", "stdio"]
    if share:
        cmd += ["-virtfs", "local,path=%s,mount_tag=xnhost,security_model=none,id=xnhost"
                % share]
    return cmd


def run_boot(info, scenarios, builddir, limit=300, timeout=None, verbose=False,
             extra_dom0="", echo=print):
    """Boot once, run `scenarios` in order; return {name: Result}."""
    builddir = os.path.abspath(builddir)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    logroot = os.path.join(builddir, "xen-logs")
    rundir = os.path.join(logroot, ".run-%s-%d" % (stamp, os.getpid()))
    share = os.path.join(rundir, "share")
    os.makedirs(share)
    results = {s: Result(s) for s in scenarios}
    if timeout is None:
        timeout = BOOT_OVERHEAD + limit * len(scenarios) + 30
    cmd = qemu_cmdline(info, scenarios, share, limit, extra_dom0=extra_dom0)
    serial_path = os.path.join(rundir, "serial.log")
    log = open(serial_path, "w")
    log.write("+ " + " ".join(shlex.quote(x) for x in cmd) + "\n")
    echo("[xen-run] boot for %s (limit %ds each, boot timeout %ds), serial log %s"
         % ("+".join(scenarios), limit, timeout, serial_path))
    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    lines = []          # (t, text)
    cur = None
    alldone = False
    timed_out = False
    buf = b""

    def handle(raw):
        nonlocal cur, alldone
        t = time.time() - t0
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        lines.append((t, text))
        log.write("[%8.2f] %s\n" % (t, text))
        log.flush()
        m = re.search(r"XNT (BEGIN|RESULT|INFO|FAIL-REASON|ALLDONE)\s*(\S*)\s*(.*)", text)
        show = verbose
        if m:
            kind, name, rest = m.groups()
            name = name.rstrip(":")
            r = results.get(name)
            if kind == "BEGIN" and r:
                cur, r.t_begin, r.status = name, t, "RUNNING"
                show = True
            elif kind == "RESULT" and r:
                st = rest.split()
                r.status = st[0] if st and st[0] in ("PASS", "FAIL") else "FAIL"
                r.secs = t - (r.t_begin if r.t_begin is not None else t)
                cur = None
                show = True
            elif kind == "INFO" and r:
                r.info.append(rest)
                show = True
            elif kind == "FAIL-REASON" and r:
                r.reasons.append(rest.strip())
                show = True
            elif kind == "ALLDONE":
                alldone = True
                show = True
        if re.search(r"\(XEN\) \*\*\*|Kernel panic|BUG:|Oops|Segmentation fault|"
                     r"Aborted|general protection|domain_crash", text):
            show = True
            if cur:
                results[cur].reasons.append("console: " + text.strip()[:160])
        if show:
            echo("[%8.2f] %s" % (t, text))

    try:
        while True:
            if time.time() - t0 > timeout:
                timed_out = True
                echo("[xen-run] TIMEOUT after %ds: killing QEMU" % timeout)
                log.write("TIMEOUT\n")
                os.killpg(p.pid, signal.SIGTERM)
                break
            ev = sel.select(timeout=1.0)
            if not ev:
                if p.poll() is not None:
                    break
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                handle(line)
    finally:
        if buf:
            handle(buf)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        msg = "qemu exited rc=%s after %.1fs%s" % (p.returncode, time.time() - t0,
                                                   "" if alldone else " (scenarios not all done)")
        log.write(msg + "\n")
        log.close()
        echo("[xen-run] " + msg)

    for r in results.values():
        if r.status == "RUNNING":
            r.status = "FAIL"
            r.secs = (time.time() - t0) - r.t_begin
            r.reasons.append("boot ended during the scenario (%s)" %
                             ("timeout" if timed_out else "qemu exited rc=%s" % p.returncode))
        elif r.status == "NOT-RUN":
            r.reasons.append("not reached (%s)" % ("timeout" if timed_out else
                                                   "qemu exited rc=%s" % p.returncode))
    # keep logs of failures
    for r in results.values():
        if r.passed:
            continue
        d = os.path.join(logroot, "%s-%s" % (r.name, stamp))
        n = 1
        while os.path.exists(d):
            n += 1
            d = os.path.join(logroot, "%s-%s.%d" % (r.name, stamp, n))
        os.makedirs(d)
        shutil.copyfile(serial_path, os.path.join(d, "serial.log"))
        with open(os.path.join(d, "xen.log"), "w") as f:
            for t, s in lines:
                if "(XEN)" in s:
                    f.write("[%8.2f] %s\n" % (t, s))
        with open(os.path.join(d, "dom0.log"), "w") as f:
            inside = r.t_begin is None
            for t, s in lines:
                if ("XNT BEGIN %s " % r.name) in s + " ":
                    inside = True
                if inside and "(XEN)" not in s:
                    f.write("[%8.2f] %s\n" % (t, s))
                if ("XNT RESULT %s " % r.name) in s:
                    inside = False
        src = os.path.join(share, "out", r.name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(d, "out"))
        r.logdir = d
        echo("[xen-run] %s %s: logs kept in %s" % (r.name, r.status, d))
    shutil.copyfile(serial_path, os.path.join(logroot, "last-serial.log"))
    shutil.rmtree(rundir, ignore_errors=True)
    return results


if __name__ == "__main__":
    sys.exit("use tests/xen/run.py")
