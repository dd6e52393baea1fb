# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package of make deb, installed for a test and removed after.

The system is left as it was: a file the package would overwrite (from an
earlier make install, say) is saved and put back after the purge, and a
system that has a xennet package installed already is not touched (the
tests that need the package skip there).
"""

import glob
import os
import shutil
import subprocess
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("XENNET_BUILD",
                                       os.path.join(REPO, "build")))
PKG = "xennet"
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")

_built = []


def deb():
    """The package make deb builds, built once per test session."""
    if not _built:
        run = subprocess.run(["make", "-C", REPO, "deb", "BUILD=" + BUILD],
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, "make deb failed:\n%s\n%s" % (
            run.stdout[-6000:], run.stderr[-3000:])
        debs = glob.glob(os.path.join(BUILD, "deb", PKG + "_*.deb"))
        assert len(debs) == 1, debs
        _built.append(debs[0])
    return _built[0]


def status():
    """dpkg's status of the package ('' when dpkg knows nothing of it)."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", PKG],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ""


def contents(path):
    """Absolute paths of the files and links in the package."""
    out = subprocess.run(["dpkg-deb", "--fsys-tarfile", path],
                         capture_output=True, check=True).stdout
    names = subprocess.run(["tar", "-t", "-v"], input=out,
                           capture_output=True, check=True).stdout.decode()
    paths = []
    for line in names.splitlines():
        if line.startswith("d"):
            continue
        name = line.split(None, 5)[5].split(" -> ")[0]
        paths.append(os.path.normpath("/" + name))
    return paths


def apt_get(*args):
    return subprocess.run(["apt-get", "-y", "-q", *args], env=APT_ENV,
                          capture_output=True, text=True, timeout=300)


class Installed:
    """with Installed(deb) as pkg: the package is installed in the block
    (by install() if given, else by apt-get install)."""

    def __init__(self, path, install=None):
        self.path = path
        self.install = install
        self.files = contents(path)
        self.saved = None
        self.preexisting = []

    def __enter__(self):
        self.saved = tempfile.mkdtemp(prefix="xennet-deb-saved-")
        for f in self.files:
            if os.path.lexists(f):
                self.preexisting.append(f)
                dst = os.path.join(self.saved, f.lstrip("/"))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(f, dst, follow_symlinks=False)
        try:
            if self.install:
                self.install()
            else:
                r = apt_get("install", os.path.abspath(self.path))
                assert r.returncode == 0, r.stdout + r.stderr
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def remove(self):
        """apt-get remove, then purge (the conffile); files put back."""
        if status():
            r = apt_get("remove", PKG)
            assert r.returncode == 0, r.stdout + r.stderr

    def __exit__(self, *exc):
        try:
            if status():
                r = apt_get("purge", PKG)
                assert r.returncode == 0, r.stdout + r.stderr
        finally:
            for d, _, fs in os.walk(self.saved):
                for f in fs:
                    src = os.path.join(d, f)
                    dst = "/" + os.path.relpath(src, self.saved)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copy2(src, dst, follow_symlinks=False)
            shutil.rmtree(self.saved, ignore_errors=True)
        return False
