# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for the xenemu-xenstored and toolstack tests.

The daemon is driven through the real libxenstore (ctypes on
libxenstore.so.4), so what is tested is what the PMD will see.
"""

import ctypes
import ctypes.util
import errno
import os
import select
import signal
import subprocess
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("XENNET_BUILD",
                                       os.path.join(REPO, "build")))
DAEMON = os.path.join(BUILD, "app", "xenemu", "xenstored", "xenemu-xenstored")
XENEMU = os.path.join(REPO, "app", "xenemu", "xenemu")
LIBXENSTORE = "/usr/lib/x86_64-linux-gnu/libxenstore.so.4"

XS_PERM_NONE, XS_PERM_READ, XS_PERM_WRITE = 0, 1, 2
PERM_LETTER = {"n": XS_PERM_NONE, "r": XS_PERM_READ, "w": XS_PERM_WRITE,
               "b": XS_PERM_READ | XS_PERM_WRITE}
LETTER = {v: k for k, v in PERM_LETTER.items()}


class XsPerm(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint), ("perms", ctypes.c_int)]


_lib = ctypes.CDLL(LIBXENSTORE, use_errno=True)
_libc = ctypes.CDLL(ctypes.util.find_library("c"))
_libc.free.argtypes = [ctypes.c_void_p]

_H, _T, _S = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_char_p
_PU = ctypes.POINTER(ctypes.c_uint)
for name, res, args in [
        ("xs_open", _H, [ctypes.c_ulong]),
        ("xs_close", None, [_H]),
        ("xs_read", ctypes.c_void_p, [_H, _T, _S, _PU]),
        ("xs_write", ctypes.c_bool, [_H, _T, _S, ctypes.c_char_p, ctypes.c_uint]),
        ("xs_mkdir", ctypes.c_bool, [_H, _T, _S]),
        ("xs_rm", ctypes.c_bool, [_H, _T, _S]),
        ("xs_directory", ctypes.c_void_p, [_H, _T, _S, _PU]),
        ("xs_get_permissions", ctypes.c_void_p, [_H, _T, _S, _PU]),
        ("xs_set_permissions", ctypes.c_bool,
         [_H, _T, _S, ctypes.POINTER(XsPerm), ctypes.c_uint]),
        ("xs_watch", ctypes.c_bool, [_H, _S, _S]),
        ("xs_unwatch", ctypes.c_bool, [_H, _S, _S]),
        ("xs_fileno", ctypes.c_int, [_H]),
        ("xs_check_watch", ctypes.c_void_p, [_H]),
        ("xs_transaction_start", _T, [_H]),
        ("xs_transaction_end", ctypes.c_bool, [_H, _T, ctypes.c_bool]),
        ("xs_get_domain_path", ctypes.c_void_p, [_H, ctypes.c_uint]),
        ("xs_introduce_domain", ctypes.c_bool,
         [_H, ctypes.c_uint, ctypes.c_ulong, ctypes.c_uint]),
        ("xs_release_domain", ctypes.c_bool, [_H, ctypes.c_uint]),
        ("xs_is_domain_introduced", ctypes.c_bool, [_H, ctypes.c_uint])]:
    fn = getattr(_lib, name)
    fn.restype = res
    fn.argtypes = args


class XsErr(OSError):
    pass


def _fail(what):
    e = ctypes.get_errno()
    raise XsErr(e, "%s: %s" % (what, os.strerror(e)))


class LibXs:
    """One libxenstore connection (xs_open(0) on a domain's socket)."""

    def __init__(self, sock):
        os.environ["XENSTORED_PATH"] = sock
        ctypes.set_errno(0)
        self.h = _lib.xs_open(0)
        if not self.h:
            _fail("xs_open " + sock)

    def close(self):
        if self.h:
            _lib.xs_close(self.h)
            self.h = None

    def read(self, path, t=0):
        n = ctypes.c_uint()
        p = _lib.xs_read(self.h, t, path.encode(), ctypes.byref(n))
        if not p:
            _fail("read " + path)
        v = ctypes.string_at(p, n.value).decode()
        _libc.free(p)
        return v

    def write(self, path, value, t=0):
        v = value.encode()
        if not _lib.xs_write(self.h, t, path.encode(), v, len(v)):
            _fail("write " + path)

    def mkdir(self, path, t=0):
        if not _lib.xs_mkdir(self.h, t, path.encode()):
            _fail("mkdir " + path)

    def rm(self, path, t=0):
        if not _lib.xs_rm(self.h, t, path.encode()):
            _fail("rm " + path)

    def ls(self, path, t=0):
        n = ctypes.c_uint()
        p = _lib.xs_directory(self.h, t, path.encode(), ctypes.byref(n))
        if not p:
            _fail("directory " + path)
        arr = ctypes.cast(p, ctypes.POINTER(ctypes.c_char_p))
        out = [arr[i].decode() for i in range(n.value)]
        _libc.free(p)
        return out

    def get_perms(self, path, t=0):
        """As strings, e.g. ["n1", "r0"]."""
        n = ctypes.c_uint()
        p = _lib.xs_get_permissions(self.h, t, path.encode(), ctypes.byref(n))
        if not p:
            _fail("get_permissions " + path)
        arr = ctypes.cast(p, ctypes.POINTER(XsPerm))
        out = ["%s%d" % (LETTER[arr[i].perms & 3], arr[i].id)
               for i in range(n.value)]
        _libc.free(p)
        return out

    def set_perms(self, path, perms, t=0):
        arr = (XsPerm * len(perms))(*[XsPerm(int(s[1:]), PERM_LETTER[s[0]])
                                      for s in perms])
        if not _lib.xs_set_permissions(self.h, t, path.encode(), arr,
                                       len(perms)):
            _fail("set_permissions " + path)

    def watch(self, path, token):
        if not _lib.xs_watch(self.h, path.encode(), token.encode()):
            _fail("watch " + path)

    def unwatch(self, path, token):
        if not _lib.xs_unwatch(self.h, path.encode(), token.encode()):
            _fail("unwatch " + path)

    def read_watch(self, timeout=2.0):
        """Next (path, token), or None if nothing came within timeout."""
        deadline = time.monotonic() + timeout
        fd = _lib.xs_fileno(self.h)
        while True:
            p = _lib.xs_check_watch(self.h)
            if p:
                arr = ctypes.cast(p, ctypes.POINTER(ctypes.c_char_p))
                ev = (arr[0].decode(), arr[1].decode())
                _libc.free(p)
                return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([fd], [], [], left)

    def events(self, timeout=0.3):
        """All events arriving within timeout."""
        out = []
        while True:
            ev = self.read_watch(timeout)
            if ev is None:
                return out
            out.append(ev)

    def transaction_start(self):
        t = _lib.xs_transaction_start(self.h)
        if not t:
            _fail("transaction_start")
        return t

    def transaction_end(self, t, abort=False):
        if not _lib.xs_transaction_end(self.h, t, abort):
            _fail("transaction_end")

    def domain_path(self, domid):
        p = _lib.xs_get_domain_path(self.h, domid)
        if not p:
            _fail("get_domain_path")
        v = ctypes.string_at(p).decode()
        _libc.free(p)
        return v

    def introduce(self, domid):
        if not _lib.xs_introduce_domain(self.h, domid, 0, 0):
            _fail("introduce")

    def release(self, domid):
        if not _lib.xs_release_domain(self.h, domid):
            _fail("release")

    def is_introduced(self, domid):
        ctypes.set_errno(0)
        r = _lib.xs_is_domain_introduced(self.h, domid)
        if not r and ctypes.get_errno():
            _fail("is_domain_introduced")
        return r


def xs_errno(fn, *args):
    """Run fn, return the errno it failed with (None if it did not)."""
    try:
        fn(*args)
    except XsErr as e:
        return e.errno
    return None


def pid_alive(pid):
    """A zombie counts as dead: PID 1 here may not reap the daemon."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


class Daemon:
    def __init__(self, run_dir):
        self.dir = str(run_dir)
        self.conns = []

    def sock(self, domid):
        return os.path.join(self.dir, "xenstored", "d%d.sock" % domid)

    def start(self):
        subprocess.run([DAEMON, "--dir", self.dir, "--daemon", "--verbose"],
                       check=True)
        with open(os.path.join(self.dir, "xenstored", "pid")) as f:
            self.pid = int(f.read())

    def stop(self):
        for c in self.conns:
            c.close()
        try:
            os.kill(self.pid, signal.SIGTERM)
        except OSError:
            return
        for _ in range(100):
            if not pid_alive(self.pid):
                return
            time.sleep(0.02)
        os.kill(self.pid, signal.SIGKILL)

    def alive(self):
        return pid_alive(self.pid)

    def connect(self, domid=0):
        c = LibXs(self.sock(domid))
        self.conns.append(c)
        return c

    def add_domain(self, domid, name=None):
        """What the toolstack does, reduced: introduce + domain dir."""
        xs = self.connect(0)
        xs.introduce(domid)
        dom = "/local/domain/%d" % domid
        xs.write(dom, "")
        xs.set_perms(dom, ["n0", "r%d" % domid])
        xs.write(dom + "/name", name or "guest%d" % domid)
        for sub in ("data", "device", "control"):
            xs.write(dom + "/" + sub, "")
        xs.set_perms(dom + "/data", ["n%d" % domid])
        xs.set_perms(dom + "/device", ["n0", "r%d" % domid])
        return self.connect(domid)


@pytest.fixture
def daemon(tmp_path):
    if not os.access(DAEMON, os.X_OK):
        pytest.skip("%s not built" % DAEMON)
    d = Daemon(tmp_path / "run")
    d.start()
    d.connect(0).write("/local/domain/0/name", "Domain-0")
    yield d
    d.stop()


class Toolstack:
    def __init__(self, run_dir):
        self.dir = str(run_dir)
        self.env = dict(os.environ, XENEMU_DIR=self.dir, XENNET_BUILD=BUILD)

    def run(self, *args, check=True, timeout=60):
        r = subprocess.run(["/usr/bin/python3", XENEMU] + [str(a) for a in args],
                           env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode:
            raise AssertionError("xenemu %s failed (%d): %s%s" % (
                " ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
        return r

    def __call__(self, *args, **kw):
        return self.run(*args, **kw).stdout.strip()

    def sock(self, domid):
        return os.path.join(self.dir, "xenstored", "d%d.sock" % domid)

    def connect(self, domid=0):
        return LibXs(self.sock(domid))


@pytest.fixture
def xenemu(tmp_path):
    if not os.access(DAEMON, os.X_OK):
        pytest.skip("%s not built" % DAEMON)
    t = Toolstack(tmp_path / "machine")
    t("start")
    yield t
    t.run("stop", check=False)


__all__ = ["LibXs", "XsErr", "xs_errno", "errno"]
