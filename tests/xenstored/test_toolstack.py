# SPDX-License-Identifier: BSD-3-Clause
"""The xenemu toolstack: domains, vifs with libxl's keys and perms."""

import errno
import os
import subprocess
import threading
import time

from conftest import XENEMU, xs_errno, pid_alive


def test_start_writes_dom0(xenemu):
    xs = xenemu.connect(0)
    assert xs.read("/local/domain/0/name") == "Domain-0"
    assert xs.read("/local/domain/0/domid") == "0"
    assert "Domain-0" in xenemu("list")


def test_create_destroy_domids_not_reused(xenemu):
    assert xenemu("create", "a") == "1"
    assert xenemu("create", "b") == "2"
    assert xenemu.run("create", "a", check=False).returncode != 0
    xs = xenemu.connect(0)
    assert xs.is_introduced(1) and xs.is_introduced(2)
    assert os.path.exists(xenemu.sock(1))
    assert xs.read("/local/domain/1/name") == "a"
    assert xs.read("/local/domain/1/domid") == "1"
    # libxl__domain_make(): dom0 owns the domain's dir, the domain reads it
    # and owns its writable subdirs.
    assert xs.get_perms("/local/domain/1") == ["n0", "r1"]
    assert xs.get_perms("/local/domain/1/name") == ["n0", "r1"]
    assert xs.get_perms("/local/domain/1/device") == ["n0", "r1"]
    assert xs.get_perms("/local/domain/1/data") == ["n1"]
    assert xs.get_perms("/local/domain/1/control/shutdown") == ["n1"]
    g = xenemu.connect(1)
    assert g.read("name") == "a"
    g.write("data/hello", "1")
    assert xs_errno(g.write, "name", "x") == errno.EACCES
    assert xs_errno(g.read, "/local/domain/2/name") == errno.EACCES
    g.close()

    xenemu("destroy", "a")
    assert not xs.is_introduced(1)
    assert not os.path.exists(xenemu.sock(1))
    assert xs_errno(xs.read, "/local/domain/1") == errno.ENOENT
    assert xenemu("create", "c") == "3"              # 1 is not reused
    assert xenemu("create", "d", "--domid", "10") == "10"
    assert xenemu("create", "e") == "11"
    assert xenemu.run("create", "f", "--domid", "10", check=False).returncode
    listing = xenemu("list")
    assert "b" in listing and "c" in listing and " a\n" not in listing


def vif_paths(fe, be, devid):
    return ("/local/domain/%d/device/vif/%d" % (fe, devid),
            "/local/domain/%d/backend/vif/%d/%d" % (be, fe, devid))


def test_vif_add_libxl_keys_and_perms(xenemu):
    fe = int(xenemu("create", "guest"))
    assert xenemu("vif-add", "guest", "--mac", "00:16:3e:01:02:03") == "0"
    xs = xenemu.connect(0)
    fe_path, be_path = vif_paths(fe, 0, 0)
    front = {k: xs.read(fe_path + "/" + k) for k in xs.ls(fe_path)}
    assert front == {
        "backend": be_path, "backend-id": "0", "state": "1", "handle": "0",
        "mac": "00:16:3e:01:02:03", "trusted": "1", "mtu": "1500"}
    back = {k: xs.read(be_path + "/" + k) for k in xs.ls(be_path)}
    assert back == {
        "frontend": fe_path, "frontend-id": str(fe), "online": "1",
        "state": "1", "script": "/etc/xen/scripts/vif-bridge",
        "mac": "00:16:3e:01:02:03", "bridge": "xenbr0", "handle": "0",
        "type": "vif", "hotplug-status": "connected"}
    # libxl__device_generic_add() permissions.
    assert xs.get_perms(fe_path) == ["n%d" % fe, "r0"]
    for k in ("backend", "backend-id", "state", "handle", "mac", "trusted"):
        assert xs.get_perms(fe_path + "/" + k) == ["n%d" % fe, "r0"], k
    assert xs.get_perms(fe_path + "/mtu") == ["n0", "r%d" % fe]
    for k in [""] + ["/" + k for k in back]:
        assert xs.get_perms(be_path + k) == ["n0", "r%d" % fe], k
    assert xs.read("/libxl/%d/device/vif/0/backend" % fe) == be_path

    # What each side may do with it.
    g = xenemu.connect(fe)
    g.write(fe_path + "/state", "4")
    g.write(fe_path + "/tx-ring-ref", "8")
    assert g.read(be_path + "/state") == "1"
    assert xs_errno(g.write, be_path + "/state", "4") == errno.EACCES
    assert xs_errno(g.write, fe_path + "/mtu", "9000") == errno.EACCES
    g.close()

    # Next devid, mtu and rate keys.
    assert xenemu("vif-add", "guest", "--mtu", "9000",
                  "--rate", "10Mb/s@20ms") == "1"
    _, be1 = vif_paths(fe, 0, 1)
    assert xs.read(be1 + "/mtu") == "9000"
    assert xs.read(be1 + "/rate") == "25000,20000"
    assert xs.read(vif_paths(fe, 0, 1)[0] + "/mtu") == "9000"
    assert xenemu.run("vif-add", "guest", "--devid", "1",
                      check=False).returncode != 0
    assert "vif 1" in xenemu("list")


def test_vif_add_driver_domain_backend(xenemu):
    be = int(xenemu("create", "backend"))
    fe = int(xenemu("create", "front"))
    xenemu("vif-add", "front", "--backend", "backend", "--devid", "3")
    fe_path, be_path = vif_paths(fe, be, 3)
    b = xenemu.connect(be)
    g = xenemu.connect(fe)
    # Each domain drives its own side, reads the other.
    b.write(be_path + "/state", "2")
    b.write(be_path + "/feature-rx-copy", "1")
    assert b.read(fe_path + "/mac") == g.read(fe_path + "/mac")
    g.write(fe_path + "/state", "3")
    assert g.read(be_path + "/state") == "2"
    assert xs_errno(g.write, be_path + "/state", "5") == errno.EACCES
    assert xs_errno(b.write, fe_path + "/state", "5") == errno.EACCES
    b.close()
    g.close()


def fake_driver(sock_factory, path, answers, stop):
    """Write answers[state] whenever path/state... becomes state."""
    xs = sock_factory()
    xs.watch(path, "fake")
    while not stop.is_set():
        ev = xs.read_watch(0.1)
        if ev is None:
            continue
        for watched, (target, value) in answers.items():
            try:
                if xs.read(watched) == value[0]:
                    xs.write(target, value[1])
            except OSError:
                pass
    xs.close()


def test_vif_add_wait(xenemu):
    fe = int(xenemu("create", "guest"))
    fe_path, be_path = vif_paths(fe, 0, 0)
    stop = threading.Event()
    # Pretend frontend and backend connect as soon as the device appears.
    t = threading.Thread(target=fake_driver, args=(
        lambda: xenemu.connect(0), "/local/domain", {
            fe_path + "/state": (fe_path + "/state", ("1", "4")),
            be_path + "/hotplug-status": (be_path + "/state",
                                          ("connected", "4")),
        }, stop))
    t.start()
    try:
        r = xenemu.run("vif-add", "guest", "--wait", "--timeout", "10")
        assert r.stdout.strip() == "0"
    finally:
        stop.set()
        t.join()
    xs = xenemu.connect(0)
    assert xs.read(fe_path + "/state") == "4"
    assert xs.read(be_path + "/state") == "4"


def test_vif_del_handshake(xenemu):
    fe = int(xenemu("create", "guest"))
    xenemu("vif-add", "guest")
    fe_path, be_path = vif_paths(fe, 0, 0)
    xs = xenemu.connect(0)
    xs.write(be_path + "/state", "4")
    xs.write(fe_path + "/state", "4")
    seen = {}
    stop = threading.Event()

    def backend():
        b = xenemu.connect(0)
        b.watch(be_path + "/state", "be")
        while not stop.is_set():
            if b.read_watch(0.1) is None:
                continue
            try:
                if b.read(be_path + "/state") == "5":
                    seen["online"] = b.read(be_path + "/online")
                    b.write(be_path + "/state", "6")
            except OSError:
                pass
        b.close()

    t = threading.Thread(target=backend)
    t.start()
    try:
        t0 = time.monotonic()
        r = xenemu.run("vif-del", "guest", "0")
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        t.join()
    assert seen == {"online": "0"}
    assert elapsed < 5
    assert "forcing" not in r.stderr
    assert xs_errno(xs.read, fe_path) == errno.ENOENT
    assert xs_errno(xs.read, be_path) == errno.ENOENT
    assert xs_errno(xs.read, "/libxl/%d/device/vif/0" % fe) == errno.ENOENT
    # libxl__xs_path_cleanup() removes the emptied parents as well.
    assert xs_errno(xs.read, "/local/domain/0/backend/vif/%d" % fe) == errno.ENOENT
    assert xs.read("/local/domain/%d/name" % fe) == "guest"


def test_vif_del_timeout_forces(xenemu):
    fe = int(xenemu("create", "guest"))
    xenemu("vif-add", "guest")
    xenemu("vif-add", "guest")
    fe_path, be_path = vif_paths(fe, 0, 0)
    xs = xenemu.connect(0)
    xs.write(be_path + "/state", "4")
    t0 = time.monotonic()
    r = xenemu.run("vif-del", "guest", "0", "--timeout", "1")
    elapsed = time.monotonic() - t0
    assert r.returncode == 0
    assert "did not reach state 6" in r.stderr and "forcing" in r.stderr
    assert 1 <= elapsed < 8
    assert xs_errno(xs.read, fe_path) == errno.ENOENT
    assert xs_errno(xs.read, be_path) == errno.ENOENT
    # The other vif is untouched.
    assert xs.read(vif_paths(fe, 0, 1)[1] + "/state") == "1"
    # --force: no handshake even though connected.
    xs.write(vif_paths(fe, 0, 1)[1] + "/state", "4")
    t0 = time.monotonic()
    xenemu("vif-del", "guest", "1", "--force")
    assert time.monotonic() - t0 < 5
    assert xs_errno(xs.read, "/local/domain/%d/device/vif" % fe) == errno.ENOENT
    assert xenemu.run("vif-del", "guest", "7", check=False).returncode != 0


def test_env_and_run(xenemu):
    fe = xenemu("create", "guest")
    env = xenemu("env", "guest")
    assert "export XENEMU_DOMID=%s" % fe in env
    assert "export XENSTORED_PATH=%s" % xenemu.sock(int(fe)) in env
    assert "export XENEMU_DIR=%s" % xenemu.dir in env
    assert "app/xenemu/lib" in env
    r = xenemu.run("run", "guest", "--", "sh", "-c",
                   'echo "$XENEMU_DOMID $XENSTORED_PATH $LD_LIBRARY_PATH"; '
                   'cat "$XENEMU_DIR/domains/$XENEMU_DOMID.pids"; exit 7',
                   check=False)
    assert r.returncode == 7
    out = r.stdout.split()
    assert out[0] == fe and out[1] == xenemu.sock(int(fe))
    assert out[2].split(":")[0].endswith("app/xenemu/lib")
    assert int(out[3]) > 0
    assert not os.path.exists(os.path.join(xenemu.dir, "domains",
                                           "%s.pids" % fe))
    assert xenemu.run("run", "nosuch", "--", "true",
                      check=False).returncode != 0


def test_destroy_kills_processes_and_vifs(xenemu):
    fe = int(xenemu("create", "guest"))
    xenemu("vif-add", "guest")
    p = subprocess.Popen(["/usr/bin/python3", XENEMU, "run", "guest", "--",
                          "sleep", "100"], env=xenemu.env)
    pids_file = os.path.join(xenemu.dir, "domains", "%d.pids" % fe)
    child = None
    for _ in range(250):
        try:
            child = int(open(pids_file).read().split()[0])
            break
        except (OSError, IndexError, ValueError):
            time.sleep(0.02)    # not written yet
    assert pid_alive(child)
    xenemu("destroy", "guest")
    assert p.wait(timeout=10) == 128 + 9
    assert not pid_alive(child)
    xs = xenemu.connect(0)
    assert xs_errno(xs.read, "/local/domain/0/backend/vif/%d" % fe) == errno.ENOENT
    assert xs_errno(xs.read, "/local/domain/%d" % fe) == errno.ENOENT
    assert xs_errno(xs.read, "/libxl/%d" % fe) == errno.ENOENT


def test_xs_client_and_stop(xenemu):
    fe = xenemu("create", "guest")
    xenemu("xs", "write", "/x/y", "v")
    assert xenemu("xs", "read", "/x/y") == "v"
    assert "y = \"v\"" in xenemu("xs", "ls", "/x")
    assert xenemu("xs", "perms", "/x/y") == "n0"
    assert xenemu.run("xs", "--as", "guest", "read", "/x/y",
                      check=False).returncode != 0
    assert xenemu("xs", "--as", fe, "read", "name") == "guest"
    w = subprocess.Popen(["/usr/bin/python3", XENEMU, "xs", "watch", "--count",
                          "2", "--timeout", "10", "/x"], env=xenemu.env,
                         stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    xenemu("xs", "write", "/x/z", "1")
    out, _ = w.communicate(timeout=10)
    assert out.split() == ["/x", "/x/z"]
    xenemu("xs", "rm", "/x")
    assert xenemu.run("xs", "read", "/x", check=False).returncode != 0

    pid = int(open(os.path.join(xenemu.dir, "xenstored", "pid")).read())
    xenemu("stop")
    assert not pid_alive(pid)
    assert not [f for f in os.listdir(os.path.join(xenemu.dir, "xenstored"))
                if f.endswith(".sock")]
    assert xenemu.run("list", check=False).returncode != 0
