/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * libFuzzer target: completing the partial L4 checksum of a csum_blank frame
 * (xennet_csum_complete) on an mbuf chain laid out as
 * xennet_mbuf_alloc_chain() lays it out (every segment filled to the pool's
 * data room, the last one partly), built by hand without EAL. Each
 * segment's buffer ends right where its data ends, so that ASan reports any
 * read past the frame.
 *
 * Input: u8 room (segment data room: 64 + 32 * (room % 128) bytes), then
 * the frame (1 byte to 19 pages, what the frontend accepts).
 *
 * Checked against an independent parse of the frame: the frame is completed
 * exactly when it is a well-formed TCP or UDP segment over IPv4 (IHL >= 5,
 * not a fragment) or IPv6, optionally VLAN-tagged, headers in the first
 * segment, IP lengths within the frame and covering the L4 header; then
 * only the checksum field changes and the checksum verifies; otherwise
 * nothing changes.
 *
 * XENNET_FUZZ_CSUM_LAX=1 in the environment checks less: segments get the
 * tailroom a pool's mbuf has (reads past the frame but inside the buffer
 * go unseen) and which frames are completed is not checked, only that
 * nothing but the checksum field of a completed frame changes.
 */

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "fuzz_common.h"
#include "xennet_ring.h"

#define FRAME_MAX ((XENNET_TX_SLOTS_MAX + 1) * XENNET_PAGE_SIZE)
#define SEGS_MAX (FRAME_MAX / 64 + 1)	/* the smallest room */

static bool lax;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *v = getenv("XENNET_FUZZ_CSUM_LAX");

	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	lax = v != NULL && strcmp(v, "1") == 0;
	return 0;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* One's complement sum of @len bytes as big-endian 16-bit words. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

struct ref {
	bool ok;		/* the frame should be completed */
	bool v4;
	uint32_t l3, l4;	/* header offsets */
	uint32_t l4_len;	/* L4 length the IP header declares */
	uint32_t field;		/* offset of the checksum field */
};

/* What a correct completion does with this frame (@seg0: first segment's
 * data length, where the headers must be).
 */
static struct ref
ref_parse(const uint8_t *p, uint32_t len, uint32_t seg0)
{
	struct ref r = { .ok = false };
	uint32_t hdr, ihl, tot;
	uint16_t type, frag;
	uint8_t proto;

	if (len < RTE_ETHER_HDR_LEN)
		return r;
	type = be16(p + 12);
	r.l3 = RTE_ETHER_HDR_LEN;
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (len < RTE_ETHER_HDR_LEN + 4)
			return r;
		type = be16(p + 16);
		r.l3 += 4;
	}
	if (type == RTE_ETHER_TYPE_IPV4) {
		if (seg0 < r.l3 + 20)
			return r;
		ihl = (p[r.l3] & 0xf) * 4u;
		tot = be16(p + r.l3 + 2);
		frag = be16(p + r.l3 + 6);
		proto = p[r.l3 + 9];
		if (ihl < 20 || (frag & 0x3fff) != 0 || tot < ihl ||
		    r.l3 + tot > len)
			return r;
		r.v4 = true;
		r.l4 = r.l3 + ihl;
		r.l4_len = tot - ihl;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		if (seg0 < r.l3 + 40)
			return r;
		proto = p[r.l3 + 6];
		r.l4 = r.l3 + 40;
		r.l4_len = be16(p + r.l3 + 4);
		if (r.l4 + r.l4_len > len)
			return r;
	} else {
		return r;
	}
	if (proto == IPPROTO_TCP) {
		hdr = sizeof(struct rte_tcp_hdr);
		r.field = r.l4 + offsetof(struct rte_tcp_hdr, cksum);
	} else if (proto == IPPROTO_UDP) {
		hdr = sizeof(struct rte_udp_hdr);
		r.field = r.l4 + offsetof(struct rte_udp_hdr, dgram_cksum);
	} else {
		return r;
	}
	if (r.l4_len < hdr || seg0 < r.l4 + hdr)
		return r;
	r.ok = true;
	return r;
}

/* The L4 checksum of the frame, pseudo-header included, verifies. */
static bool
verify(const uint8_t *p, const struct ref *r)
{
	uint32_t sum = 0;

	if (r->v4) {
		sum = sum16(sum, p + r->l3 + 12, 8);	/* src, dst */
		sum += p[r->l3 + 9];
	} else {
		sum = sum16(sum, p + r->l3 + 8, 32);
		sum += p[r->l3 + 6];
	}
	sum += r->l4_len;
	sum = sum16(sum, p + r->l4, r->l4_len);
	return fold(sum) == 0xffff;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t before[FRAME_MAX], after[FRAME_MAX];
	static struct rte_mbuf *segs[SEGS_MAX];
	struct fuzz_in in = { data, size };
	uint32_t room, len, off, n, k, nsegs = 0;
	struct rte_mbuf *m, *prev = NULL;
	struct ref r;
	bool done;

	room = 64 + 32u * (fuzz_u8(&in) % 128);
	len = in.n < FRAME_MAX ? (uint32_t)in.n : FRAME_MAX;
	if (len == 0)
		return 0;	/* every frame has a byte (status > 0) */
	memcpy(before, in.p, len);

	/* the chain xennet_mbuf_alloc_chain(mp, len) gives, then filled */
	off = 0;
	do {
		n = len - off < room ? len - off : room;
		m = calloc(1, sizeof(*m));
		FUZZ_CHECK(m != NULL && nsegs < SEGS_MAX);
		m->buf_len = RTE_PKTMBUF_HEADROOM + (lax ? room : n);
		m->buf_addr = fuzz_alloc(m->buf_len);
		memset(m->buf_addr, 0xa5, m->buf_len);
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = n;
		m->nb_segs = 1;
		memcpy((uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM,
			before + off, n);
		if (prev != NULL)
			prev->next = m;
		prev = m;
		segs[nsegs++] = m;
		off += n;
	} while (off < len);
	segs[0]->pkt_len = len;
	segs[0]->nb_segs = nsegs;

	r = ref_parse(before, len, segs[0]->data_len);
	done = xennet_csum_complete(segs[0]);

	for (off = 0, k = 0; k < nsegs; k++) {
		memcpy(after + off, rte_pktmbuf_mtod(segs[k], uint8_t *),
			segs[k]->data_len);
		off += segs[k]->data_len;
	}
	FUZZ_CHECK(off == len && segs[0]->pkt_len == len);
	if (!done) {
		FUZZ_CHECK(segs[0]->ol_flags == 0);
		FUZZ_CHECK(memcmp(before, after, len) == 0);
		/* a well-formed TCP/UDP frame is completed */
		FUZZ_CHECK(lax || !r.ok);
	} else if (lax) {
		/* only a checksum field changes, wherever the function
		 * thought it was: at most 2 bytes, in the first segment
		 */
		FUZZ_CHECK(segs[0]->ol_flags == 0);
		for (off = 0; off < len && before[off] == after[off]; off++)
			;
		if (off < len) {
			if (off > 0 && (off & 1))
				off--;
			FUZZ_CHECK(off + 2 <= segs[0]->data_len);
			FUZZ_CHECK(memcmp(before + off + 2, after + off + 2,
				len - off - 2) == 0);
		}
	} else {
		/* only well-formed frames are, and only their checksum
		 * field changes, to a checksum that verifies
		 */
		FUZZ_CHECK(r.ok);
		FUZZ_CHECK(segs[0]->ol_flags == 0);
		FUZZ_CHECK(memcmp(before, after, r.field) == 0);
		FUZZ_CHECK(memcmp(before + r.field + 2, after + r.field + 2,
			len - r.field - 2) == 0);
		FUZZ_CHECK(verify(after, &r));
	}

	for (k = 0; k < nsegs; k++) {
		free(segs[k]->buf_addr);
		free(segs[k]);
	}
	return 0;
}
