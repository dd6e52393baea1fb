# SPDX-License-Identifier: BSD-3-Clause
"""xenemu-xenstored through the real libxenstore."""

import errno
import os
import socket
import struct

from conftest import xs_errno


def test_read_write_enoent_directory(daemon):
    xs = daemon.connect(0)
    xs.write("/a/b/c", "hello")
    assert xs.read("/a/b/c") == "hello"
    # Implicit parents exist, empty.
    assert xs.read("/a/b") == ""
    assert xs.ls("/a") == ["b"]
    xs.write("/a/b/d", "")
    xs.write("/a/b/0", "x")
    assert xs.ls("/a/b") == ["c", "d", "0"]     # creation order
    assert xs_errno(xs.read, "/a/nope") == errno.ENOENT
    assert xs_errno(xs.ls, "/nope") == errno.ENOENT
    # Binary-ish and empty values round-trip.
    xs.write("/a/b/c", "")
    assert xs.read("/a/b/c") == ""
    assert sorted(xs.ls("/")) == ["a", "local", "tool"]


def test_invalid_paths(daemon):
    xs = daemon.connect(0)
    for bad in ("/a//b", "/a/", "/a b", "/a/$"):
        assert xs_errno(xs.write, bad, "x") == errno.EINVAL, bad
    assert xs_errno(xs.read, "@introduceDomain") == errno.EINVAL
    assert xs_errno(xs.write, "/" + "x" * 3100, "v") == errno.EINVAL


def test_mkdir_rm(daemon):
    xs = daemon.connect(0)
    xs.mkdir("/m/n/o")
    assert xs.ls("/m/n") == ["o"]
    xs.mkdir("/m/n/o")                  # exists: fine
    xs.write("/m/n/o/p", "1")
    xs.rm("/m/n")                       # recursive
    assert xs.ls("/m") == []
    xs.rm("/m/n")                       # gone, parent there: fine
    assert xs_errno(xs.rm, "/m/x/y") == errno.ENOENT
    assert xs_errno(xs.rm, "/") == errno.EINVAL


def test_get_domain_path_and_relative_paths(daemon):
    xs0 = daemon.connect(0)
    assert xs0.domain_path(0) == "/local/domain/0"
    assert xs0.domain_path(42) == "/local/domain/42"
    g = daemon.add_domain(3)
    assert g.domain_path(3) == "/local/domain/3"
    g.write("data/x", "rel")
    assert xs0.read("/local/domain/3/data/x") == "rel"
    assert g.read("data/x") == "rel"
    assert g.read("name") == "guest3"
    xs0.write("name", "dom0-rel")
    assert xs0.read("/local/domain/0/name") == "dom0-rel"


def test_permissions(daemon):
    xs0 = daemon.connect(0)
    g1 = daemon.add_domain(1)
    daemon.add_domain(2)
    # Backend dir of a vif as libxl sets it up: owned by dom0, guest reads.
    be = "/local/domain/0/backend/vif/1/0"
    xs0.write(be + "/state", "1")
    xs0.set_perms(be, ["n0", "r1"])
    xs0.set_perms(be + "/state", ["n0", "r1"])
    assert g1.read(be + "/state") == "1"
    assert xs_errno(g1.write, be + "/state", "4") == errno.EACCES
    assert xs_errno(g1.write, be + "/new", "x") == errno.EACCES
    assert xs_errno(g1.rm, be) == errno.EACCES
    assert xs_errno(g1.mkdir, be + "/d") == errno.EACCES
    assert xs0.read(be + "/state") == "1"
    # The parent /local/domain/0/backend is dom0's only (n0): nothing leaks.
    assert xs_errno(g1.ls, "/local/domain/0/backend") == errno.EACCES
    assert xs_errno(g1.read, "/local/domain/0/backend/x") == errno.EACCES
    # A readable parent gives away ENOENT, an unreadable one does not.
    assert xs_errno(g1.read, be + "/nope") == errno.ENOENT
    assert xs_errno(g1.read, "/local/domain/2/name") == errno.EACCES
    assert xs_errno(g1.read, "/local/domain/2/nope") == errno.EACCES
    # Its own: read everywhere, write where it owns.
    assert g1.read("/local/domain/1/name") == "guest1"
    assert xs_errno(g1.write, "/local/domain/1/name", "evil") == errno.EACCES
    g1.write("/local/domain/1/data/k/v", "1")
    # A guest owns what it creates, with the parent's other entries.
    assert g1.get_perms("/local/domain/1/data/k/v") == ["n1"]
    # dom0 can do everything.
    xs0.write("/local/domain/1/data/k/v", "2")
    xs0.rm("/local/domain/1/data/k")
    # Only the owner changes perms, and may not give the node away.
    g1.write("data/mine", "x")
    g1.set_perms("data/mine", ["n1", "r2"])
    assert xs0.get_perms("/local/domain/1/data/mine") == ["n1", "r2"]
    assert xs_errno(g1.set_perms, "data/mine", ["n2"]) == errno.EPERM
    assert xs_errno(g1.set_perms, "name", ["n1"]) == errno.EACCES
    # Per-domain entries: r2 lets domain 2 read, 'b' lets it write.
    g2 = daemon.connect(2)
    assert g2.read("/local/domain/1/data/mine") == "x"
    assert xs_errno(g2.write, "/local/domain/1/data/mine", "y") == errno.EACCES
    g1.set_perms("data/mine", ["n1", "b2"])
    g2.write("/local/domain/1/data/mine", "y")
    assert g1.read("data/mine") == "y"
    # Default for others is the first entry's perm.
    xs0.write("/pub", "p")
    xs0.set_perms("/pub", ["r0"])
    assert g2.read("/pub") == "p"
    assert xs_errno(g2.write, "/pub", "q") == errno.EACCES
    # Dom0-only operations.
    assert xs_errno(g1.introduce, 9) == errno.EACCES
    assert xs_errno(g1.release, 2) == errno.EACCES


def test_implicit_parents_inherit_perms(daemon):
    xs0 = daemon.connect(0)
    daemon.add_domain(1)
    xs0.write("/local/domain/0/backend", "")
    xs0.set_perms("/local/domain/0/backend", ["n0", "r1"])
    xs0.write("/local/domain/0/backend/vif/1/0/state", "1")
    for p in ("vif", "vif/1", "vif/1/0", "vif/1/0/state"):
        assert xs0.get_perms("/local/domain/0/backend/" + p) == ["n0", "r1"]


def test_watch_initial_and_subtree_events(daemon):
    xs0 = daemon.connect(0)
    w = daemon.connect(0)
    w.watch("/w", "tok")
    assert w.read_watch() == ("/w", "tok")          # fires on registration
    xs0.write("/w/a/b", "1")
    assert w.events() == [("/w/a/b", "tok")]
    xs0.write("/w", "v")
    xs0.write("/wx", "no")                           # not below /w
    assert w.events() == [("/w", "tok")]
    # Removal: the removed node fires for watchers above it, and watchers
    # of removed descendants get their exact path.
    w.watch("/w/a/b", "deep")
    assert w.read_watch() == ("/w/a/b", "deep")
    xs0.rm("/w/a")
    evs = w.events()
    assert ("/w/a", "tok") in evs and ("/w/a/b", "deep") in evs
    assert ("/w/a/b", "tok") not in evs
    w.unwatch("/w", "tok")
    xs0.write("/w/c", "1")
    assert w.events() == []
    # Same path, two tokens: both fire; a duplicate is refused.
    w.watch("/w", "t1")
    w.watch("/w", "t2")
    assert sorted(w.events()) == [("/w", "t1"), ("/w", "t2")]
    assert xs_errno(w.watch, "/w", "t1") == errno.EEXIST
    assert xs_errno(w.unwatch, "/w", "nope") == errno.ENOENT


def test_watch_relative_and_permissions(daemon):
    xs0 = daemon.connect(0)
    g = daemon.add_domain(1)
    g.watch("data", "rel")
    assert g.read_watch() == ("data", "rel")
    xs0.write("/local/domain/1/data/x", "1")
    assert g.events() == [("data/x", "rel")]
    # A guest watching where it may not read hears nothing.
    g.watch("/local/domain/0", "spy")
    assert g.read_watch() == ("/local/domain/0", "spy")
    xs0.write("/local/domain/0/secret", "s")
    assert g.events() == []


def test_transaction_commit_and_conflict(daemon):
    a = daemon.connect(0)
    b = daemon.connect(0)
    w = daemon.connect(0)
    a.write("/t/x", "0")
    w.watch("/t", "tok")
    assert w.read_watch() == ("/t", "tok")

    t = a.transaction_start()
    a.write("/t/x", "1", t)
    a.write("/t/y/z", "2", t)
    a.rm("/t/x", t)
    a.write("/t/x", "3", t)
    assert a.read("/t/x", t) == "3"
    assert b.read("/t/x") == "0"                     # not visible yet
    assert xs_errno(b.read, "/t/y/z") == errno.ENOENT
    assert w.events() == []                          # events wait for commit
    a.transaction_end(t)
    assert b.read("/t/x") == "3" and b.read("/t/y/z") == "2"
    assert b.ls("/t") == ["y", "x"]                 # x was re-created
    evs = w.events()
    assert ("/t/x", "tok") in evs and ("/t/y/z", "tok") in evs

    # Conflict: someone else changes what the transaction read.
    t = a.transaction_start()
    assert a.read("/t/x", t) == "3"
    a.write("/t/x", "4", t)
    b.write("/t/x", "other")
    assert xs_errno(a.transaction_end, t) == errno.EAGAIN
    assert b.read("/t/x") == "other"
    assert xs_errno(b.read, "/t/x", t) == errno.ENOENT  # transaction gone

    # Conflict on creation of a node the transaction saw absent.
    t = a.transaction_start()
    assert xs_errno(a.read, "/t/new", t) == errno.ENOENT
    a.write("/t/flag", "1", t)
    b.write("/t/new", "n")
    assert xs_errno(a.transaction_end, t) == errno.EAGAIN

    # Unrelated changes do not conflict.
    t = a.transaction_start()
    a.write("/t/x", "5", t)
    b.write("/elsewhere", "1")
    a.transaction_end(t)
    assert b.read("/t/x") == "5"

    # Abort discards.
    t = a.transaction_start()
    a.write("/t/x", "6", t)
    a.transaction_end(t, abort=True)
    assert b.read("/t/x") == "5"


def test_transaction_guest_perms(daemon):
    g = daemon.add_domain(1)
    t = g.transaction_start()
    assert xs_errno(g.write, "/local/domain/0/x", "1", t) == errno.EACCES
    g.write("data/a", "1", t)
    g.transaction_end(t)
    assert g.read("data/a") == "1"
    assert g.get_perms("data/a") == ["n1"]


def test_big_directory_uses_directory_part(daemon):
    xs = daemon.connect(0)
    names = ["child-%04d-%s" % (i, "x" * 40) for i in range(200)]
    t = xs.transaction_start()
    for n in names:
        xs.write("/big/" + n, "", t)
    xs.transaction_end(t)
    # > XENSTORE_PAYLOAD_MAX: DIRECTORY says E2BIG, libxenstore falls back
    # to DIRECTORY_PART.
    assert xs.ls("/big") == names


def test_introduce_release(daemon):
    xs0 = daemon.connect(0)
    w = daemon.connect(0)
    w.watch("@introduceDomain", "intro")
    w.watch("@releaseDomain", "rel")
    assert sorted(w.events()) == [("@introduceDomain", "intro"),
                                  ("@releaseDomain", "rel")]
    assert not os.path.exists(daemon.sock(7))
    assert not xs0.is_introduced(7)
    xs0.introduce(7)
    assert os.path.exists(daemon.sock(7))
    assert xs0.is_introduced(7)
    assert w.events() == [("@introduceDomain", "intro")]
    xs0.introduce(7)                                  # again: no new event
    assert w.events() == []
    g = daemon.connect(7)
    assert g.domain_path(7) == "/local/domain/7"
    # Guests do not see the special events unless allowed.
    g.watch("@releaseDomain", "g")
    assert g.read_watch() == ("@releaseDomain", "g")

    xs0.release(7)
    assert not os.path.exists(daemon.sock(7))
    assert not xs0.is_introduced(7)
    assert w.events() == [("@releaseDomain", "rel")]
    # Its connection is gone.
    assert xs_errno(g.read, "/local/domain/7") is not None
    assert xs_errno(xs0.release, 7) == errno.ENOENT
    assert xs_errno(xs0.release, 0) == errno.EINVAL
    assert xs_errno(xs0.introduce, 0) == errno.EINVAL
    assert daemon.alive()


def test_released_domain_loses_ownership(daemon):
    xs0 = daemon.connect(0)
    g = daemon.add_domain(4)
    g.write("data/own", "1")
    xs0.release(4)
    assert xs0.get_perms("/local/domain/4/data/own") == ["n0"]


def raw_request(sock_path, typ, payload, tx=0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(sock_path)
    s.sendall(struct.pack("<IIII", typ, 77, tx, len(payload)) + payload)
    hdr = s.recv(16)
    t, rid, tid, ln = struct.unpack("<IIII", hdr)
    body = b""
    while len(body) < ln:
        body += s.recv(ln - len(body))
    s.close()
    return t, rid, tid, body


def test_wire_edge_cases(daemon):
    sock = daemon.sock(0)
    # Unknown operation -> ENOSYS; unknown transaction -> ENOENT.
    assert raw_request(sock, 99, b"") == (16, 77, 0, b"ENOSYS\0")
    assert raw_request(sock, 2, b"/local\0", tx=1234)[3] == b"ENOENT\0"
    # Missing nul, two args to READ -> EINVAL.
    assert raw_request(sock, 2, b"/local")[3] == b"EINVAL\0"
    assert raw_request(sock, 2, b"/local\0x\0")[3] == b"EINVAL\0"
    # RESET_WATCHES drops watches.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(sock)
    s.sendall(struct.pack("<IIII", 4, 1, 0, 5) + b"/r\0t\0")
    s.sendall(struct.pack("<IIII", 21, 2, 0, 0))
    got = b""
    while got.count(b"OK\0") < 2:
        got += s.recv(4096)
    daemon.connect(0).write("/r/after-reset", "1")
    s.settimeout(0.3)
    try:
        late = s.recv(4096)
    except socket.timeout:
        late = b""
    assert b"after-reset" not in late
    s.close()
    # An oversized payload gets the client dropped, the daemon lives on.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(sock)
    s.sendall(struct.pack("<IIII", 2, 1, 0, 5000))
    assert s.recv(16) == b""
    s.close()
    assert daemon.alive()
    assert daemon.connect(0).read("/local/domain/0/name") == "Domain-0"


def test_log_and_pid(daemon):
    d = os.path.join(daemon.dir, "xenstored")
    assert int(open(os.path.join(d, "pid")).read()) == daemon.pid
    assert "serving" in open(os.path.join(d, "log")).read()
    daemon.stop()
    assert not os.path.exists(daemon.sock(0))
    assert not os.path.exists(os.path.join(d, "pid"))
