#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Build the boot artefacts of the real-Xen-under-QEMU harness.

Everything comes from Debian 12 packages fetched with ``apt-get download``
(never installed) plus the host's DPDK 22.11 testpmd and our own plugin:

  xen            gunzipped multiboot1 ELF32 Xen 4.17 hypervisor (QEMU -kernel)
  vmlinuz        Debian 6.1 kernel for dom0 (bzImage)
  dom0.cpio.gz   dom0 initramfs: busybox, Xen toolstack (xl, xenstored,
                 xenconsoled...), kernel modules, DPDK payload, hotplug
                 scripts, scenario scripts, and the guest kernel (gzip'ed ELF
                 vmlinux, fast for libxenguest) + guest initramfs images
                 (Linux netfront guest, DPDK guest, driver domain).

Two cache levels under <builddir>/xen-cache:
  pkgs-<key>/    extracted .debs + vmlinux.gz, keyed by package versions
  img-<key>/     the images above, keyed by the package key + a hash of every
                 harness input file and payload file (rebuilt when any changes)

Host packages needed (buildtools/install-deps.sh installs them):
  apt, dpkg, busybox-static, cpio, gzip, qemu-system-x86, dpdk (dpdk-testpmd),
  python3 (+ python3-pytest for the pytest entry point).
"""
import argparse
import hashlib
import json
import lzma
import os
import re
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The hotplug script users install (app/xen-scripts) is the one tested.
VIF_XENNET = os.path.join(HERE, "..", "..", "app", "xen-scripts", "vif-xennet")
XENV = "4.17"
ARCH_LIB = "lib/x86_64-linux-gnu"
PMD_DIR = "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0"
TESTPMD = "/usr/bin/dpdk-testpmd"

# Debian packages a fresh host needs for building and running the harness.
HOST_PKGS = {
    "qemu-system-x86_64": "qemu-system-x86",
    "busybox": "busybox-static",   # must be the static one, checked below
    "cpio": "cpio",
    "gzip": "gzip",
    "dpkg-deb": "dpkg",
    "apt-get": "apt",
    "dpdk-testpmd": "dpdk",
}

XEN_PKGS = ["xen-hypervisor-%s-amd64" % XENV, "xen-utils-%s" % XENV,
            "xen-utils-common", "xenstore-utils", "libxenmisc%s" % XENV,
            "libxenstore4", "libxentoollog1", "libxencall1", "libxenevtchn1",
            "libxenforeignmemory1", "libxengnttab1", "libxendevicemodel1",
            "libxentoolcore1", "libxenhypfs1", "libyajl2",
            # iputils ping: busybox ping shrinks its socket buffer to ~14 KB
            # (SO_RCVBUF 7 KB + 2*datalen), which holds ~3 replies of a
            # netfront page-backed skb: a guest vCPU stall under TCG then drops
            # replies that did arrive (seen: eth0 rx 501, ping counted 491)
            "iputils-ping", "libcap2", "libidn2-0", "libunistring2"]

# kernel modules (path under kernel/ without .ko); dependencies are resolved
# from modules.dep and loaded in order by /xn/lib.sh:modload
XEN_MODS = ["drivers/xen/xen-evtchn", "drivers/xen/xen-gntdev",
            "drivers/xen/xen-gntalloc", "drivers/xen/xen-privcmd",
            "drivers/xen/xenfs/xenfs"]
DOM0_MODS = XEN_MODS + ["drivers/net/xen-netback/xen-netback",
                        "drivers/net/xen-netfront",
                        "fs/9p/9p", "net/9p/9pnet_virtio",
                        "drivers/virtio/virtio_pci"]
GUEST_MODS = XEN_MODS + ["drivers/net/xen-netfront"]

DPDK_PLUGINS = ["librte_mempool_ring", "librte_net_null",
                "librte_net_af_packet", "librte_net_ring"]


def log(msg):
    print("[xen-build] %s" % msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def out(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          universal_newlines=True, **kw).stdout


# ----------------------------------------------------------------- host deps
def check_host(install=False):
    """Return the Debian packages missing on this host; install them if asked."""
    missing = []
    for tool, pkg in HOST_PKGS.items():
        if shutil.which(tool) is None and not os.path.exists("/usr/bin/" + tool):
            missing.append(pkg)
    bb = shutil.which("busybox") or "/bin/busybox"
    if os.path.exists(bb):
        with open(bb, "rb") as f:
            if b"/lib64/ld-linux" in f.read(4096 * 4):
                missing.append("busybox-static")
    missing = sorted(set(missing))
    if missing and install:
        log("installing host packages (apt-get install): %s" % " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-q"], env=env)
        run(["apt-get", "install", "-y", "-q"] + missing, env=env)
        missing = []
    return missing


# ----------------------------------------------------------------- packages
def kernel_pkg():
    deps = out(["apt-cache", "depends", "linux-image-amd64"])
    m = re.search(r"Depends: (linux-image-[0-9][^\s]*-amd64)\s", deps)
    if not m:
        raise SystemExit("cannot find the kernel linux-image-amd64 depends on")
    return m.group(1)


def candidate_versions(pkgs):
    pol = out(["apt-cache", "policy"] + pkgs)
    vers, cur = {}, None
    for line in pol.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            cur = line[:-1]
        m = re.match(r"\s+Candidate: (\S+)", line)
        if m and cur:
            vers[cur] = m.group(1)
    bad = [p for p in pkgs if vers.get(p, "(none)") == "(none)"]
    return vers, bad


def resolve_packages(allow_update=True):
    try:
        kpkg = kernel_pkg()
        pkgs = XEN_PKGS + [kpkg]
        vers, bad = candidate_versions(pkgs)
    except subprocess.CalledProcessError:
        bad = ["?"]
    if bad and allow_update:
        log("apt metadata lacks %s: running apt-get update" % " ".join(bad))
        run(["apt-get", "update", "-q"])
        return resolve_packages(False)
    if bad:
        raise SystemExit("no apt candidate for: %s" % " ".join(bad))
    return pkgs, vers, kpkg[len("linux-image-"):]


def fetch_and_extract(cache, pkgs, vers):
    key = hashlib.sha256(json.dumps(sorted(vers.items())).encode()).hexdigest()[:16]
    pdir = os.path.join(cache, "pkgs-" + key)
    if os.path.exists(os.path.join(pdir, ".done")):
        return pdir
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    want = ["%s=%s" % (p, vers[p]) for p in pkgs]
    log("apt-get download %s" % " ".join(want))
    run(["apt-get", "download", "-q"] + want, cwd=debs,
        stdout=subprocess.DEVNULL)
    shutil.rmtree(pdir, ignore_errors=True)
    x = os.path.join(pdir, "x")
    os.makedirs(x)
    for p in pkgs:
        v = vers[p].split(":")[-1]
        deb = [f for f in os.listdir(debs)
               if f.startswith(p + "_") and f.endswith(".deb") and
               f.split("_")[1].replace("%3a", ":").split(":")[-1] == v]
        if not deb:
            raise SystemExit("downloaded .deb for %s %s not found" % (p, v))
        run(["dpkg-deb", "-x", os.path.join(debs, deb[0]), x])
    # gzip'ed ELF vmlinux for guests: libxenguest would otherwise spend ~8 s
    # (TCG) xz-decompressing the bzImage on every `xl create`.
    kver = [p for p in pkgs if p.startswith("linux-image-")][0][len("linux-image-"):]
    bz = open(os.path.join(x, "boot", "vmlinuz-" + kver), "rb").read()
    i = bz.find(b"\xfd7zXZ\x00")
    if i < 0:
        raise SystemExit("vmlinuz is not xz-compressed; cannot extract vmlinux")
    elf = lzma.LZMADecompressor().decompress(bz[i:])
    if elf[:4] != b"\x7fELF":
        raise SystemExit("extracted vmlinux is not ELF")
    vmlinux_gz = os.path.join(pdir, "vmlinux.gz")
    p = subprocess.Popen(["gzip", "-6", "-n"], stdin=subprocess.PIPE,
                         stdout=open(vmlinux_gz, "wb"))
    p.communicate(elf)
    if p.returncode:
        raise SystemExit("gzip failed")
    with open(os.path.join(pdir, ".done"), "w") as f:
        json.dump(vers, f, indent=1)
    # drop extractions and .debs of other package versions
    for d in os.listdir(cache):
        if d.startswith("pkgs-") and d != os.path.basename(pdir):
            shutil.rmtree(os.path.join(cache, d), ignore_errors=True)
    keep = set()
    for p in pkgs:
        v = vers[p].split(":")[-1]
        keep.update(f for f in os.listdir(debs) if f.startswith(p + "_") and
                    f.split("_")[1].replace("%3a", ":").split(":")[-1] == v)
    for f in os.listdir(debs):
        if f not in keep:
            os.unlink(os.path.join(debs, f))
    return pdir


# ----------------------------------------------------------------- rootfs helpers
class Root:
    def __init__(self, path, x, kver):
        self.r, self.x, self.kver = path, x, kver
        shutil.rmtree(path, ignore_errors=True)
        for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev",
                  "run", "tmp", "etc", "root", "lib/modules", "mnt", "var/log",
                  ARCH_LIB, "lib64"):
            os.makedirs(os.path.join(path, d), exist_ok=True)
        bb = shutil.which("busybox") or "/bin/busybox"
        self.copy(bb, "/bin/busybox")
        for a in out([bb, "--list-full"]).split():
            dst = os.path.join(path, a)
            if not os.path.lexists(dst):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.symlink("/bin/busybox", dst)
        os.symlink("/run", os.path.join(path, "var/run"))
        self.write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        self.write("/etc/group", "root:x:0:\n")
        # glibc dlopen()s libgcc_s for pthread_cancel (libxl, DPDK): not seen by ldd
        self.copy("/lib/x86_64-linux-gnu/libgcc_s.so.1", "/" + ARCH_LIB + "/libgcc_s.so.1")
        self.moddep = None

    def path(self, p):
        return os.path.join(self.r, p.lstrip("/"))

    def write(self, dst, text, mode=0o644):
        d = self.path(dst)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        with open(d, "w") as f:
            f.write(text)
        os.chmod(d, mode)

    def copy(self, src, dst, mode=None):
        d = self.path(dst)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.lexists(d):
            os.unlink(d)
        shutil.copyfile(src, d)
        st = os.stat(src)
        os.chmod(d, mode if mode is not None else stat.S_IMODE(st.st_mode) | 0o444)

    def copy_tree(self, src, dst):
        for dp, dns, fns in os.walk(src):
            for fn in fns:
                s = os.path.join(dp, fn)
                self.copy(s, os.path.join(dst, os.path.relpath(s, src)))

    def elf_with_libs(self, src, dst=None):
        """Copy an ELF (from the extracted debs or the host) and its ldd closure."""
        if dst is None:
            dst = src[len(self.x):] if src.startswith(self.x) else src
        self.copy(src, dst)
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(self.x, "usr", ARCH_LIB))
        res = subprocess.run(["ldd", src], stdout=subprocess.PIPE,
                             universal_newlines=True, env=env)
        for line in res.stdout.splitlines():
            if "not found" in line:
                raise SystemExit("ldd %s: %s" % (src, line.strip()))
            m = re.search(r"=> (/\S+)", line) or re.match(r"\s*(/\S+ld-linux\S+)", line)
            if not m:
                continue
            lib = m.group(1)
            base = os.path.basename(lib)
            if "ld-linux" in base:
                ldst = "/lib64/" + base
            else:
                ldst = "/" + ARCH_LIB + "/" + base
            if not os.path.exists(self.path(ldst)):
                self.copy(os.path.realpath(lib), ldst)

    def modules(self, mods):
        kdir = os.path.join(self.x, "lib/modules", self.kver)
        if self.moddep is None:
            # the .deb has no modules.dep (depmod runs at install): read the
            # "depends=" field of each module's .modinfo
            self.moddep, byname = {}, {}
            for dp, dns, fns in os.walk(os.path.join(kdir, "kernel")):
                for fn in fns:
                    if fn.endswith(".ko"):
                        rel = os.path.relpath(os.path.join(dp, fn), kdir)
                        byname[fn[:-3].replace("-", "_")] = rel
            self._byname = byname

        def deps(rel):
            if rel not in self.moddep:
                data = open(os.path.join(kdir, rel), "rb").read()
                m = re.search(rb"\0depends=([^\0]*)\0", data)
                names = m.group(1).decode().split(",") if m and m.group(1) else []
                self.moddep[rel] = [self._byname[n.replace("-", "_")] for n in names]
            return self.moddep[rel]
        lines = []
        for m in mods:
            rel = "kernel/%s.ko" % m
            if not os.path.exists(os.path.join(kdir, rel)):
                raise SystemExit("module %s not in the kernel package" % rel)
            order, seen = [], set()

            def visit(k):
                if k in seen:
                    return
                seen.add(k)
                for d in deps(k):
                    visit(d)
                order.append(k)
            visit(rel)
            for k in order:
                self.copy(os.path.join(kdir, k), "/lib/modules/" + os.path.basename(k))
            name = os.path.basename(rel)[:-3]
            lines.append("%s: %s" % (name, " ".join(os.path.basename(k)[:-3] for k in order)))
        with open(self.path("/lib/modules/xn.dep"), "a") as f:
            f.write("\n".join(lines) + "\n")

    def pack(self, dst, level="-1"):
        """newc cpio, gzip'ed as ONE stream (libxenguest sizes a gzip'ed
        ramdisk from the last member's trailer: never concatenate .gz)."""
        files = []
        for dp, dns, fns in os.walk(self.r):
            for n in dns + fns:
                files.append(os.path.relpath(os.path.join(dp, n), self.r))
        files.sort()
        tmp = dst + ".tmp"
        with open(tmp, "wb") as o:
            cp = subprocess.Popen(["cpio", "-o", "-H", "newc", "--quiet", "-R", "0:0"],
                                  cwd=self.r, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            gz = subprocess.Popen(["gzip", level, "-n"], stdin=cp.stdout, stdout=o)
            cp.stdout.close()
            cp.stdin.write(("\n".join(["."] + files) + "\n").encode())
            cp.stdin.close()
            if cp.wait() or gz.wait():
                raise SystemExit("cpio/gzip failed for %s" % dst)
        os.rename(tmp, dst)


# ----------------------------------------------------------------- payloads
def find_plugin(builddir):
    p = os.path.join(builddir, "drivers/net/xennet/librte_net_xennet.so")
    return p if os.path.exists(p) else None


def find_examples(builddir):
    ex = []
    d = os.path.join(builddir, "examples")
    for n in ("xennet-l2fwd", "xennet-vswitch"):
        for cand in (os.path.join(d, n), os.path.join(d, n, n)):
            if os.path.isfile(cand) and os.access(cand, os.X_OK):
                ex.append(cand)
                break
    return ex


def add_dpdk(root, builddir):
    """testpmd + its libs + a few PMD plugins + our plugin/examples."""
    root.elf_with_libs(TESTPMD)
    # line-buffered testpmd stdout when it is a file (LD_PRELOAD + _STDBUF_O=L)
    root.copy("/usr/libexec/coreutils/libstdbuf.so", "/opt/dpdk/libstdbuf.so")
    for so in DPDK_PLUGINS:
        src = os.path.join(PMD_DIR, so + ".so.23.0")
        if not os.path.exists(src):
            raise SystemExit("DPDK plugin %s missing (install package dpdk)" % src)
        # kept out of PMD_DIR: EAL auto-loads everything found there
        root.elf_with_libs(src, "/opt/dpdk/%s.so" % so)
    plugin = find_plugin(builddir)
    if plugin:
        root.elf_with_libs(plugin, "/opt/xennet/librte_net_xennet.so")
    for e in find_examples(builddir):
        root.elf_with_libs(e, "/opt/xennet/" + os.path.basename(e))
    return plugin


def hash_inputs(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(p.encode())
        if os.path.isdir(p):
            for dp, dns, fns in sorted(os.walk(p)):
                dns.sort()
                for fn in sorted(fns):
                    if fn.endswith((".pyc",)) or "__pycache__" in dp:
                        continue
                    fp = os.path.join(dp, fn)
                    h.update(fp.encode())
                    h.update(open(fp, "rb").read())
        elif os.path.exists(p):
            h.update(open(p, "rb").read())
    return h.hexdigest()[:16]


def build(builddir, install_deps=False, force=False):
    """Build (or reuse) all images; return a dict describing them."""
    t0 = time.time()
    builddir = os.path.abspath(builddir)
    missing = check_host(install_deps)
    if missing:
        raise SystemExit("missing host packages: %s (run buildtools/install-deps.sh "
                         "or tests/xen/build.py --install-deps)" % " ".join(missing))
    cache = os.path.join(builddir, "xen-cache")
    os.makedirs(cache, exist_ok=True)
    pkgs, vers, kver = resolve_packages()
    pdir = fetch_and_extract(cache, pkgs, vers)
    x = os.path.join(pdir, "x")
    plugin = find_plugin(builddir)
    inputs = [os.path.join(HERE, "build.py"), os.path.join(HERE, "files"),
              os.path.join(HERE, "scenarios"), VIF_XENNET, TESTPMD] + \
        [os.path.join(PMD_DIR, so + ".so.23.0") for so in DPDK_PLUGINS] + \
        ([plugin] if plugin else []) + find_examples(builddir)
    key = os.path.basename(pdir)[5:] + "-" + hash_inputs(inputs)
    idir = os.path.join(cache, "img-" + key)
    info_path = os.path.join(idir, "info.json")
    if os.path.exists(info_path) and not force:
        info = json.load(open(info_path))
        log("cached images %s (%.1fs)" % (idir, time.time() - t0))
        return info
    # drop stale image dirs (keep the package extraction)
    for d in os.listdir(cache):
        if d.startswith("img-"):
            shutil.rmtree(os.path.join(cache, d), ignore_errors=True)
    os.makedirs(idir)
    work = os.path.join(cache, "rootfs")
    F = os.path.join(HERE, "files")

    # --- guest initramfs: Linux (netfront) guest
    g = Root(os.path.join(work, "guest"), x, kver)
    g.modules(GUEST_MODS)
    g.elf_with_libs(os.path.join(x, "usr/bin/xenstore"), "/usr/bin/xenstore")
    for t in ("read", "write", "ls", "list", "rm", "exists", "watch", "chmod"):
        os.symlink("xenstore", g.path("/usr/bin/xenstore-" + t))
    g.elf_with_libs(os.path.join(x, "bin/ping"), "/usr/bin/iping")
    g.copy(os.path.join(F, "guest-init"), "/init", 0o755)
    g.copy(os.path.join(F, "lib.sh"), "/xn/lib.sh", 0o644)
    g.pack(os.path.join(idir, "guest-linux.cpio.gz"))
    # --- guest initramfs: DPDK guest (same + testpmd + xennet plugin)
    add_dpdk(g, builddir)
    g.pack(os.path.join(idir, "guest-dpdk.cpio.gz"))
    # --- driver domain initramfs: the DPDK guest + `xl devd`, which runs
    # the backend's hotplug script (vif-xennet) in a driver domain
    xb = os.path.join(x, "usr/lib/xen-%s/bin" % XENV)
    g.elf_with_libs(os.path.join(xb, "xl"))
    g.copy(os.path.join(x, "etc/xen/xl.conf"), "/etc/xen/xl.conf")
    g.copy(VIF_XENNET, "/etc/xen/scripts/vif-xennet", 0o755)
    for dd in ("var/lib/xen", "var/log/xen", "var/lock", "run/xen"):
        os.makedirs(g.path(dd), exist_ok=True)
    g.pack(os.path.join(idir, "guest-dd.cpio.gz"))

    # --- dom0 initramfs
    d = Root(os.path.join(work, "dom0"), x, kver)
    d.modules(DOM0_MODS)
    for b in ("xl", "xenstored", "xenconsoled", "xenconsole", "xen-init-dom0",
              "libxl-save-helper", "xenstore-control", "lsevtchn"):
        d.elf_with_libs(os.path.join(xb, b))
    d.elf_with_libs(os.path.join(x, "usr/bin/xenstore"), "/usr/bin/xenstore")
    for t in ("read", "write", "ls", "list", "rm", "exists", "watch", "chmod"):
        os.symlink("xenstore", d.path("/usr/bin/xenstore-" + t))
    d.elf_with_libs(os.path.join(x, "bin/ping"), "/usr/bin/iping")
    d.copy(os.path.join(x, "etc/xen/xl.conf"), "/etc/xen/xl.conf")
    d.copy(VIF_XENNET, "/etc/xen/scripts/vif-xennet", 0o755)
    d.copy(os.path.join(F, "vif-netback"), "/etc/xen/scripts/vif-netback",
           0o755)
    for dd in ("var/lib/xen", "var/log/xen/console", "var/lock", "run/xen"):
        os.makedirs(d.path(dd), exist_ok=True)
    d.copy(os.path.join(F, "dom0-init"), "/init", 0o755)
    d.copy(os.path.join(F, "lib.sh"), "/xn/lib.sh")
    d.copy_tree(os.path.join(HERE, "scenarios"), "/xn/scenarios")
    add_dpdk(d, builddir)
    d.copy(os.path.join(pdir, "vmlinux.gz"), "/xn/guest/vmlinux.gz")
    d.copy(os.path.join(idir, "guest-linux.cpio.gz"), "/xn/guest/linux.cpio.gz")
    d.copy(os.path.join(idir, "guest-dpdk.cpio.gz"), "/xn/guest/dpdk.cpio.gz")
    d.copy(os.path.join(idir, "guest-dd.cpio.gz"), "/xn/guest/dd.cpio.gz")
    d.write("/xn/build-info", "kver=%s\nplugin=%s\nxen=%s\n" %
            (kver, "yes" if plugin else "no", vers["xen-hypervisor-%s-amd64" % XENV]))
    d.pack(os.path.join(idir, "dom0.cpio.gz"))

    with open(os.path.join(x, "boot/xen-%s-amd64.gz" % XENV), "rb") as f:
        import gzip
        open(os.path.join(idir, "xen"), "wb").write(gzip.decompress(f.read()))
    shutil.copyfile(os.path.join(x, "boot/vmlinuz-" + kver), os.path.join(idir, "vmlinuz"))
    shutil.rmtree(work, ignore_errors=True)
    info = {"dir": idir, "xen": os.path.join(idir, "xen"),
            "vmlinuz": os.path.join(idir, "vmlinuz"),
            "dom0_initrd": os.path.join(idir, "dom0.cpio.gz"),
            "kver": kver, "plugin": plugin, "packages": vers,
            "examples": find_examples(builddir)}
    with open(info_path, "w") as f:
        json.dump(info, f, indent=1)
    sizes = ", ".join("%s %.1f MB" % (n, os.path.getsize(os.path.join(idir, n)) / 1e6)
                      for n in ("xen", "vmlinuz", "dom0.cpio.gz", "guest-linux.cpio.gz",
                                "guest-dpdk.cpio.gz", "guest-dd.cpio.gz"))
    log("built %s in %.1fs: %s; plugin: %s" % (idir, time.time() - t0, sizes,
                                               plugin or "absent"))
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builddir", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--install-deps", action="store_true",
                    help="apt-get install missing host packages")
    ap.add_argument("--list-host-packages", action="store_true")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    if a.list_host_packages:
        print(" ".join(sorted(set(HOST_PKGS.values()))))
        return
    info = build(a.builddir, a.install_deps, a.force)
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
