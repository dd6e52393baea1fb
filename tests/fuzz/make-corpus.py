#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of the fuzz targets (tests/fuzz/fuzz_*.c).

usage: make-corpus.py OUTDIR [TARGET...]

Writes OUTDIR/TARGET/NAME, small binary inputs in each target's input
layout (see the comment at the top of each fuzz_*.c): well-formed traffic
and the edge cases the unit tests name, so that fuzzing starts from every
verdict. Deterministic; files are rewritten each run.
"""

import os
import struct
import sys

PAGE = 4096
RING_OFF = 64                  # offsetof(netif_*_sring_t, ring)
RING_SIZE = 256
TX_ENTRY = 12                  # union netif_tx_sring_entry
RX_ENTRY = 8                   # union netif_rx_sring_entry

NETTXF_csum_blank, NETTXF_data_validated = 1, 2
NETTXF_more_data, NETTXF_extra_info = 4, 8
NETRXF_data_validated, NETRXF_csum_blank = 1, 2
NETRXF_more_data, NETRXF_extra_info = 4, 8
EXTRA_GSO, EXTRA_MCAST_ADD, EXTRA_MCAST_DEL, EXTRA_HASH = 1, 2, 3, 4
EXTRA_FLAG_MORE = 1
GSO_TCPV4 = 1
RSP_OKAY, RSP_ERROR, RSP_NULL = 0, -1, 1


class Ring:
    """A shared ring page, entries addressed by free-running index."""

    def __init__(self, entry):
        self.entry = entry
        self.page = bytearray(PAGE)

    def put(self, idx, raw):
        off = RING_OFF + (idx % RING_SIZE) * self.entry
        self.page[off:off + len(raw)] = raw


def tx_req(gref, offset, flags, id_, size):
    return struct.pack("<IHHHH", gref, offset, flags, id_, size)


def extra(type_, flags=0, gso_size=0, gso_type=0):
    return struct.pack("<BBHBBH", type_, flags, gso_size, gso_type, 0, 0)


def tx_rsp(id_, status):
    return struct.pack("<Hh", id_, status)


def rx_rsp(id_, offset, flags, status):
    return struct.pack("<HHHh", id_, offset, flags, status)


def rx_req(id_, gref):
    return struct.pack("<HHI", id_, 0, gref)


class TxFrames:
    """Guest TX requests written from cons on."""

    def __init__(self, cons):
        self.ring = Ring(TX_ENTRY)
        self.cons = self.prod = cons
        self.id = 0

    def frame(self, sizes, flags=0, extras=(), offset=0):
        """One frame: sizes[0] is the total, the others follow-on slots."""
        n = len(sizes)
        f = flags | (NETTXF_more_data if n > 1 else 0)
        f |= NETTXF_extra_info if extras else 0
        self._req(offset, f, sizes[0])
        for i, e in enumerate(extras):
            self.ring.put(self.prod, extra(*e[:1], EXTRA_FLAG_MORE
                                           if i + 1 < len(extras) else 0,
                                           *e[1:]))
            self.prod += 1
        for i, s in enumerate(sizes[1:]):
            self._req(offset, NETTXF_more_data if i + 2 < n else 0, s)
        return self

    def _req(self, offset, flags, size):
        self.ring.put(self.prod, tx_req(100 + self.id, offset, flags,
                                        self.id, size))
        self.prod += 1
        self.id = (self.id + 1) % RING_SIZE

    def bytes(self, burst=63, flags=0, avail=None):
        avail = (self.prod - self.cons) % (1 << 32) if avail is None else avail
        return struct.pack("<IHBB", self.cons % (1 << 32), avail, burst,
                           flags) + bytes(self.ring.page)


def tx_ring_seeds():
    s = {}
    s["one-slot"] = TxFrames(0).frame([60]).bytes()
    s["csum-blank"] = TxFrames(7).frame([1514], NETTXF_csum_blank).bytes()
    s["three-slots-wrap"] = TxFrames(0xfffffffe).frame(
        [9000, 4096, 904]).bytes()
    s["gso-extra"] = TxFrames(10).frame(
        [5000, 2000], extras=[(EXTRA_GSO, 1448, GSO_TCPV4)]).bytes()
    s["mcast-extra"] = TxFrames(20).frame(
        [0], extras=[(EXTRA_MCAST_ADD,)]).bytes()
    s["two-extras"] = TxFrames(30).frame(
        [60], extras=[(EXTRA_HASH,), (EXTRA_GSO, 1448, GSO_TCPV4)]).bytes()
    s["bad-extra"] = TxFrames(40).frame([60], extras=[(0,)]).bytes()
    s["runt"] = TxFrames(50).frame([10]).bytes()
    s["oversize-slot"] = TxFrames(60).frame([100, 200]).bytes()
    s["cross-page"] = TxFrames(70).frame([200], offset=4000).bytes()
    for n in (18, 19, 20, 21, 22):
        s["slots-%d" % n] = TxFrames(80).frame(
            [n * 10] + [10] * (n - 1)).bytes()
    s["past-prod"] = TxFrames(90).frame([300, 100, 100]).bytes(
        avail=2)
    s["too-many"] = TxFrames(0).frame([60]).bytes(avail=300)
    t = TxFrames(0xffffff80)
    for i in range(40):
        if i % 7 == 3:
            t.frame([8])                        # runt: dropped
        elif i % 5 == 0:
            t.frame([3000, 1000, 1000])
        else:
            t.frame([60 + i], NETTXF_data_validated)
    s["burst-mixed"] = t.bytes(burst=7)
    s["burst-copy-error"] = t.bytes(burst=63, flags=1)
    t = TxFrames(5)
    while t.prod - t.cons < RING_SIZE:
        t.frame([64])
    s["ring-full"] = t.bytes()
    return s


class RxFrames:
    """Backend RX responses written from cons on."""

    def __init__(self, cons):
        self.ring = Ring(RX_ENTRY)
        self.cons = self.prod = cons

    def frame(self, sizes, flags=0, extras=(), offset=0):
        n = len(sizes)
        for i, size in enumerate(sizes):
            f = (flags if i == 0 else 0) | (NETRXF_more_data if i + 1 < n
                                            else 0)
            if i == 0 and extras:
                f |= NETRXF_extra_info
            self.ring.put(self.prod, rx_rsp(self.prod % RING_SIZE, offset,
                                            f, size))
            self.prod += 1
            if i == 0:
                for k, e in enumerate(extras):
                    self.ring.put(self.prod, extra(
                        e[0], EXTRA_FLAG_MORE if k + 1 < len(extras) else 0,
                        *e[1:]))
                    self.prod += 1
        return self

    def bytes(self, pages=255, seed=1, fill_len=1514, avail=None):
        avail = (self.prod - self.cons) % (1 << 32) if avail is None else avail
        return struct.pack("<IHBII", self.cons % (1 << 32), avail, pages,
                           seed, fill_len) + bytes(self.ring.page)


def rx_ring_seeds():
    s = {}
    s["one-slot"] = RxFrames(0).frame([60]).bytes()
    s["csum-blank"] = RxFrames(3).frame([1514], NETRXF_csum_blank).bytes(
        fill_len=9000)
    s["three-slots-wrap"] = RxFrames(0xffffffff).frame(
        [4096, 4096, 808]).bytes(fill_len=73727)
    s["gso-extra"] = RxFrames(9).frame(
        [4000, 1000], extras=[(EXTRA_GSO, 1448, GSO_TCPV4)]).bytes()
    s["offset"] = RxFrames(11).frame([100], offset=3996).bytes()
    s["bad-status"] = RxFrames(12).frame([60, -1, 30]).bytes()
    s["past-page"] = RxFrames(13).frame([200], offset=4000).bytes()
    s["bad-extra"] = RxFrames(14).frame([60], extras=[(7,)]).bytes()
    s["slots-19"] = RxFrames(15).frame([100] * 19).bytes()
    s["slots-20"] = RxFrames(15).frame([100] * 20).bytes()
    s["past-prod"] = RxFrames(16).frame([100] * 3).bytes(avail=2)
    s["more-than-posted"] = RxFrames(0).frame([60] * 4).bytes(pages=1)
    s["too-many"] = RxFrames(0).frame([60]).bytes(avail=300)
    r = RxFrames(0xffffff00 + 100)
    while r.prod - r.cons < RING_SIZE - 3:
        n = 1 + (r.prod % 3)
        r.frame([1500] * n, NETRXF_data_validated)
    s["ring-full"] = r.bytes(pages=255, seed=12345)
    # backend half: a page of requests
    q = Ring(RX_ENTRY)
    for i in range(RING_SIZE):
        q.put(i, rx_req(i, 2000 + i))
    s["fill-requests"] = struct.pack("<IHBII", 250, 0, 255, 0,
                                     18 * PAGE - 1) + bytes(q.page)
    return s


def reap_input(cons, nbufs, active, rsps, steps, flags=0):
    ring = Ring(TX_ENTRY)
    for i, (id_, status) in enumerate(rsps):
        ring.put(cons + i, tx_rsp(id_, status))
    bitmap = bytearray(32)
    for a in active:
        bitmap[a // 8] |= 1 << (a % 8)
    steps = (list(steps) + [0, 0, 0, 0])[:4]
    return (struct.pack("<IBB4H", cons % (1 << 32), nbufs - 1, flags, *steps)
            + bytes(bitmap) + bytes(ring.page))


def tx_reap_seeds():
    s = {}
    act = [3, 7, 9, 200]
    s["three-ok"] = reap_input(0, 256, act, [(7, RSP_OKAY), (3, RSP_ERROR),
                                             (9, RSP_OKAY)], [2, 1])
    s["wrap"] = reap_input(0xfffffffe, 256, act, [(200, 0), (3, 0), (9, 0),
                                                  (7, 0)], [1, 1, 1, 1])
    s["twice"] = reap_input(0, 16, act[:3], [(7, 0), (7, 0)], [2])
    s["out-of-range"] = reap_input(0, 16, act[:3], [(16, 0)], [1], flags=1)
    s["null"] = reap_input(0, 16, act[:3], [(3, RSP_NULL)], [1])
    s["more-than-sent"] = reap_input(0, 16, act[:3], [(3, 0)] * 4, [4])
    all_ = list(range(256))
    s["all"] = reap_input(100, 256, all_, [(i, 0) for i in all_],
                          [100, 100, 56])
    return s


def csum_frame(ethertype, l3, vlan=False):
    eth = bytes(6) + bytes([2, 0, 0, 0, 0, 1])
    if vlan:
        eth += struct.pack(">HH", 0x8100, 5)
    return eth + struct.pack(">H", ethertype) + l3


def ipv4(proto, l4, frag=0, ihl=5):
    opts = bytes(4 * (ihl - 5))
    hdr = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(l4), 1,
                      frag, 64, proto, 0, bytes([10, 0, 0, 1]),
                      bytes([10, 0, 0, 2]))
    return hdr + opts + l4


def ipv6(proto, l4):
    return (struct.pack(">IHBB", 6 << 28, len(l4), proto, 64) +
            bytes(15) + b"\x01" + bytes(15) + b"\x02" + l4)


def udp(payload):
    return struct.pack(">HHHH", 1234, 5678, 8 + len(payload), 0x1234) + payload


def tcp(payload):
    return struct.pack(">HHIIBBHHH", 1234, 80, 1, 2, 5 << 4, 0x18, 65535,
                       0x1234, 0) + payload


def csum_seeds():
    pay = bytes((i * 7 + 3) & 0xff for i in range(333))
    big = bytes((i * 13) & 0xff for i in range(8000))
    s = {}
    s["ipv4-udp"] = b"\x3f" + csum_frame(0x0800, ipv4(17, udp(pay)))
    s["ipv4-tcp"] = b"\x3f" + csum_frame(0x0800, ipv4(6, tcp(pay)))
    s["ipv4-tcp-vlan"] = b"\x3f" + csum_frame(0x0800, ipv4(6, tcp(pay)),
                                              vlan=True)
    s["ipv4-options"] = b"\x3f" + csum_frame(0x0800, ipv4(6, tcp(pay), ihl=8))
    s["ipv4-fragment"] = b"\x3f" + csum_frame(0x0800, ipv4(17, udp(pay),
                                                           frag=0x2000))
    s["ipv6-tcp"] = b"\x3f" + csum_frame(0x86dd, ipv6(6, tcp(pay)))
    s["ipv6-udp"] = b"\x3f" + csum_frame(0x86dd, ipv6(17, udp(pay)))
    s["ipv4-udp-chain"] = b"\x00" + csum_frame(0x0800, ipv4(17, udp(big)))
    s["ipv6-tcp-chain"] = b"\x05" + csum_frame(0x86dd, ipv6(6, tcp(big)))
    s["arp"] = b"\x3f" + csum_frame(0x0806, bytes(46))
    s["truncated-tcp"] = b"\x3f" + csum_frame(0x0800, ipv4(6, tcp(b""))[:24])
    # what fuzzing found (doc/guides/fuzzing.rst), kept as seeds
    s["short-frame"] = b"\x3f" + bytes(5)
    s["short-vlan"] = b"\x3f" + bytes(12) + b"\x81\x00\x00"
    ip = bytearray(ipv4(6, tcp(pay)))
    ip[0] = 0x40
    s["ipv4-ihl-0"] = b"\x3f" + csum_frame(0x0800, bytes(ip))
    ip = bytearray(ipv4(6, tcp(pay)))
    struct.pack_into(">H", ip, 2, len(ip) + 50)
    s["ipv4-length-past-frame"] = b"\x3f" + csum_frame(0x0800, bytes(ip))
    struct.pack_into(">H", ip, 2, 10)
    s["ipv4-length-below-header"] = b"\x3f" + csum_frame(0x0800, bytes(ip))
    ip = bytearray(ipv4(17, udp(pay)))
    struct.pack_into(">H", ip, 2, 24)
    s["ipv4-length-below-udp"] = b"\x3f" + csum_frame(0x0800, bytes(ip))
    ip = bytearray(ipv6(17, udp(pay)))
    struct.pack_into(">H", ip, 4, len(pay) + 8 + 50)
    s["ipv6-length-past-frame"] = b"\x3f" + csum_frame(0x86dd, bytes(ip))
    return s


SEEDS = {
    "fuzz_tx_ring": tx_ring_seeds,
    "fuzz_rx_ring": rx_ring_seeds,
    "fuzz_tx_reap": tx_reap_seeds,
    "fuzz_csum": csum_seeds,
}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for target in sys.argv[2:] or SEEDS:
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in SEEDS[target]().items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
