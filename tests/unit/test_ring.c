/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * Unit tests of the pure netif ring code on in-memory rings, no peer and no
 * Xen: the limits and verdicts are the ones Linux netback applies
 * (xenvif_count_requests, xenvif_tx_build_gops).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xennet_ring.h"

static int passed, failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		return 1; \
	} \
} while (0)

#define RUN(fn) do { \
	if (fn() == 0) { \
		passed++; \
		printf("ok   %s\n", #fn); \
	} else { \
		failed++; \
		printf("FAIL %s\n", #fn); \
	} \
} while (0)

static netif_tx_sring_t *txs;
static netif_rx_sring_t *rxs;
static RING_IDX prod;

static void
tx_reset(RING_IDX start)
{
	memset(txs, 0, XENNET_PAGE_SIZE);
	SHARED_RING_INIT(txs);
	prod = start;
}

static void
tx_put(uint16_t id, uint16_t offset, uint16_t size, uint16_t flags)
{
	struct netif_tx_request *r = &txs->ring[prod++ % XENNET_TX_RING_SIZE].req;

	r->gref = 100 + id;
	r->id = id;
	r->offset = offset;
	r->size = size;
	r->flags = flags;
}

static void
tx_put_extra(uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
	struct netif_extra_info *e = (struct netif_extra_info *)
		&txs->ring[prod++ % XENNET_TX_RING_SIZE];

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->flags = flags;
	e->u.gso.size = gso_size;
	e->u.gso.type = gso_type;
}

/* A frame of @n slots: total @total, follow-on slots of @each bytes. */
static void
tx_put_frame(unsigned int n, uint16_t total, uint16_t each)
{
	unsigned int i;

	tx_put(0, 0, total, n > 1 ? NETTXF_more_data : 0);
	for (i = 1; i < n; i++)
		tx_put(i, 0, each, i + 1 < n ? NETTXF_more_data : 0);
}

static int
test_single_slot(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;

	tx_reset(0);
	tx_put(7, 128, 1514, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_OK);
	CHECK(r == XENNET_R_NONE);
	CHECK(f.consumed == 1 && f.nr_slots == 1 && f.len == 1514);
	CHECK(f.req[0].offset == 128 && f.req[0].size == 1514);
	CHECK(f.req[0].gref == 107 && f.id[0] == 7);
	return 0;
}

static int
test_wrapping_index(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;
	RING_IDX start = UINT32_MAX - 1; /* indices wrap inside the frame */

	tx_reset(start);
	tx_put_frame(3, 3000, 1000);
	CHECK(xennet_tx_frame_read(txs, start, prod, &f, &r) ==
		XENNET_FRAME_OK);
	CHECK(f.consumed == 3 && f.nr_slots == 3);
	return 0;
}

static int
test_multi_slot_sizes(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;

	/* First slot carries the whole length; fragments their own. */
	tx_reset(0);
	tx_put(0, 3000, 5000, NETTXF_more_data);
	tx_put(1, 0, 2000, NETTXF_more_data);
	tx_put(2, 0, 1904, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_OK);
	CHECK(f.len == 5000 && f.nr_slots == 3 && f.consumed == 3);
	CHECK(f.req[0].size == 5000 - 2000 - 1904);
	CHECK(f.req[1].size == 2000 && f.req[2].size == 1904);
	return 0;
}

/* What the frontend posts, the backend reads back as the same frame. */
static int
test_tx_frame_post(void)
{
	static const uint32_t grefs[] = { 500, 501, 502, 503, 504, 505, 506,
		507, 508, 509, 510, 511, 512, 513, 514, 515 };
	const uint16_t ids[] = { 5, 2, 3 }, big[] = { 0, 1, 2, 3, 4, 5, 6, 7,
		8, 9, 10, 11, 12, 13, 14, 15 };
	RING_IDX start = UINT32_MAX - 1;
	struct netif_extra_info gso;
	struct xennet_tx_frame f;
	enum xennet_reason r;

	/* 2 KiB buffers: id 5 is the second half of page 2 */
	tx_reset(start);
	prod = xennet_tx_frame_post(txs, start, 5000, NETTXF_csum_blank, ids,
		3, 2048, grefs, NULL);
	CHECK(prod == start + 3);
	CHECK(txs->ring[start % 256].req.size == 5000);
	CHECK(txs->ring[start % 256].req.gref == 502);
	CHECK(txs->ring[start % 256].req.offset == 2048);
	CHECK(txs->ring[start % 256].req.flags ==
	      (NETTXF_csum_blank | NETTXF_more_data));
	CHECK(txs->ring[(start + 2) % 256].req.flags == 0);
	CHECK(xennet_tx_frame_read(txs, start, prod, &f, &r) ==
	      XENNET_FRAME_OK);
	CHECK(f.len == 5000 && f.nr_slots == 3 && f.consumed == 3);
	CHECK(f.req[0].size == 2048 && f.req[1].size == 2048 &&
	      f.req[2].size == 904);
	CHECK(f.id[0] == 5 && f.id[1] == 2 && f.id[2] == 3);
	CHECK(f.req[1].gref == 501 && f.req[1].offset == 0);

	/* the largest frame in page-sized buffers: 16 slots */
	tx_reset(0);
	prod = xennet_tx_frame_post(txs, 0, 65535, 0, big, 16, 4096, grefs,
		NULL);
	CHECK(prod == 16);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_OK);
	CHECK(f.len == 65535 && f.nr_slots == 16);
	CHECK(f.req[0].size == 4096 && f.req[15].size == 4095);
	CHECK(f.req[15].gref == 515 && f.req[15].offset == 0);

	/* one slot: no more_data */
	tx_reset(0);
	prod = xennet_tx_frame_post(txs, 0, 60, 0, ids, 1, 2048, grefs, NULL);
	CHECK(txs->ring[0].req.flags == 0 && txs->ring[0].req.size == 60);

	/* a GSO extra goes right behind the first slot */
	tx_reset(0);
	memset(&gso, 0, sizeof(gso));
	gso.type = XEN_NETIF_EXTRA_TYPE_GSO;
	gso.u.gso.size = 1448;
	gso.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	prod = xennet_tx_frame_post(txs, 0, 5000, NETTXF_csum_blank, ids, 3,
		2048, grefs, &gso);
	CHECK(prod == 4);
	CHECK(txs->ring[0].req.flags ==
	      (NETTXF_csum_blank | NETTXF_more_data | NETTXF_extra_info));
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_OK);
	CHECK(f.len == 5000 && f.nr_slots == 3 && f.consumed == 4 &&
	      f.nr_extras == 1);
	CHECK(f.extra_mask == (1u << XEN_NETIF_EXTRA_TYPE_GSO));
	CHECK(f.extra[XEN_NETIF_EXTRA_TYPE_GSO].u.gso.size == 1448);
	CHECK(f.req[2].size == 904 && f.id[2] == 3);
	return 0;
}

/* Linux 6.1 netback, measured: 19 slots delivered, 20-21 dropped, 22 fatal */
static int
test_slot_limits(void)
{
	static const struct {
		unsigned int slots;
		enum xennet_verdict v;
		enum xennet_reason r;
	} cases[] = {
		{ 18, XENNET_FRAME_OK, XENNET_R_NONE },
		{ 19, XENNET_FRAME_OK, XENNET_R_NONE },
		{ 20, XENNET_FRAME_DROP, XENNET_R_TOO_MANY_SLOTS },
		{ 21, XENNET_FRAME_DROP, XENNET_R_TOO_MANY_SLOTS },
		{ 22, XENNET_FRAME_FATAL, XENNET_R_MALICIOUS_SLOTS },
		{ 40, XENNET_FRAME_FATAL, XENNET_R_MALICIOUS_SLOTS },
	};
	struct xennet_tx_frame f;
	enum xennet_reason r;
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		tx_reset(0);
		tx_put_frame(cases[i].slots, 60 * cases[i].slots, 60);
		CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
			cases[i].v);
		CHECK(r == cases[i].r);
		if (cases[i].v == XENNET_FRAME_DROP) {
			/* every slot consumed and answered */
			CHECK(f.consumed == cases[i].slots);
			CHECK(f.nr_ids == cases[i].slots);
		}
		if (cases[i].v == XENNET_FRAME_FATAL)
			CHECK(f.consumed == 0);
	}
	return 0;
}

static int
test_slot_oversize(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;

	tx_reset(0);
	tx_put(0, 0, 100, NETTXF_more_data);
	tx_put(1, 0, 200, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_DROP);
	CHECK(r == XENNET_R_SLOT_OVERSIZE && f.consumed == 2);
	return 0;
}

static int
test_cross_page(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;

	tx_reset(0);
	tx_put(0, 4000, 200, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_CROSS_PAGE);

	tx_reset(0);
	tx_put(0, 0, 300, NETTXF_more_data);
	tx_put(1, 4000, 200, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_CROSS_PAGE);
	return 0;
}

static int
test_incomplete_frame(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;

	tx_reset(0);
	tx_put(0, 0, 3000, NETTXF_more_data);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_SLOTS_EXCEED_RING);

	CHECK(xennet_tx_frame_read(txs, 0, 0, &f, &r) == XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_IMPOSSIBLE_COUNT);
	CHECK(xennet_tx_frame_read(txs, 0, XENNET_TX_RING_SIZE + 1, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_IMPOSSIBLE_COUNT);
	return 0;
}

static int
test_runt(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;

	tx_reset(0);
	tx_put(0, 0, 13, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_DROP);
	CHECK(r == XENNET_R_RUNT && f.consumed == 1);
	return 0;
}

static int
test_extras(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;

	/* valid GSO extra: the caller's to take, two entries consumed */
	tx_reset(0);
	tx_put(0, 0, 1000, NETTXF_extra_info);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448,
		XEN_NETIF_GSO_TYPE_TCPV4);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_OK);
	CHECK(r == XENNET_R_NONE && f.consumed == 2);
	CHECK(f.nr_extras == 1 && f.extra[XEN_NETIF_EXTRA_TYPE_GSO].u.gso.size ==
	      1448);

	/* GSO size 0 and unknown type: fatal */
	tx_reset(0);
	tx_put(0, 0, 1000, NETTXF_extra_info);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, XEN_NETIF_GSO_TYPE_TCPV4);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_BAD_GSO);
	tx_reset(0);
	tx_put(0, 0, 1000, NETTXF_extra_info);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, 9);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_BAD_GSO);

	/* extra of type NONE or beyond MAX, or missing: fatal */
	tx_reset(0);
	tx_put(0, 0, 1000, NETTXF_extra_info);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_NONE, 0, 0, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_BAD_EXTRA);
	tx_reset(0);
	tx_put(0, 0, 1000, NETTXF_extra_info);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	tx_reset(0);
	tx_put(0, 0, 1000, NETTXF_extra_info);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) ==
		XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_BAD_EXTRA);

	/* multicast control request: answered, not delivered */
	tx_reset(0);
	tx_put(0, 0, 0, NETTXF_extra_info);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_DROP);
	CHECK(r == XENNET_R_MCAST && f.consumed == 2);
	return 0;
}

static int
test_respond(void)
{
	struct xennet_tx_frame f;
	enum xennet_reason r;
	unsigned int n;

	tx_reset(0);
	tx_put(5, 0, 3000, NETTXF_extra_info | NETTXF_more_data);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448,
		XEN_NETIF_GSO_TYPE_TCPV4);
	tx_put(6, 0, 1000, 0);
	xennet_tx_frame_read(txs, 0, prod, &f, &r);
	CHECK(f.consumed == 3 && f.nr_ids == 2);
	n = xennet_tx_frame_respond(txs, 0, &f, NETIF_RSP_ERROR);
	CHECK(n == 3);
	CHECK(txs->ring[0].rsp.id == 5 &&
	      txs->ring[0].rsp.status == NETIF_RSP_ERROR);
	CHECK(txs->ring[1].rsp.status == NETIF_RSP_NULL);
	CHECK(txs->ring[2].rsp.id == 6 &&
	      txs->ring[2].rsp.status == NETIF_RSP_ERROR);
	return 0;
}

static void
rx_put(RING_IDX i, uint16_t offset, int16_t status, uint16_t flags)
{
	struct netif_rx_response *r = &rxs->ring[i % XENNET_RX_RING_SIZE].rsp;

	r->id = i % XENNET_RX_RING_SIZE;
	r->offset = offset;
	r->status = status;
	r->flags = flags;
}

static int
test_rx_frames(void)
{
	struct xennet_rx_frame f;
	enum xennet_reason r;
	struct netif_extra_info *e;

	memset(rxs, 0, XENNET_PAGE_SIZE);
	rx_put(0, 0, 1514, 0);
	CHECK(xennet_rx_frame_read(rxs, 0, 1, &f, &r) == XENNET_FRAME_OK);
	CHECK(f.len == 1514 && f.consumed == 1 && f.slot[0] == 0);

	/* chain with an extra after the first slot */
	rx_put(0, 0, 4096, NETRXF_more_data | NETRXF_extra_info);
	e = (struct netif_extra_info *)&rxs->ring[1];
	memset(e, 0, sizeof(*e));
	e->type = XEN_NETIF_EXTRA_TYPE_GSO;
	rx_put(2, 0, 100, 0);
	CHECK(xennet_rx_frame_read(rxs, 0, 3, &f, &r) == XENNET_FRAME_OK);
	CHECK(f.len == 4196 && f.nr_slots == 2 && f.consumed == 3);
	CHECK(f.slot[1] == 2);

	/* error status and page overrun: drop, buffers still consumed */
	rx_put(0, 0, NETIF_RSP_ERROR, 0);
	CHECK(xennet_rx_frame_read(rxs, 0, 1, &f, &r) == XENNET_FRAME_DROP);
	CHECK(r == XENNET_R_BAD_RESPONSE && f.consumed == 1);
	rx_put(0, 4000, 200, 0);
	CHECK(xennet_rx_frame_read(rxs, 0, 1, &f, &r) == XENNET_FRAME_DROP);

	/* an error status followed by a valid extra is still dropped */
	rx_put(0, 0, NETIF_RSP_ERROR, NETRXF_extra_info);
	e = (struct netif_extra_info *)&rxs->ring[1];
	memset(e, 0, sizeof(*e));
	e->type = XEN_NETIF_EXTRA_TYPE_GSO;
	CHECK(xennet_rx_frame_read(rxs, 0, 2, &f, &r) == XENNET_FRAME_DROP);
	CHECK(r == XENNET_R_BAD_RESPONSE && f.consumed == 2);
	/* an announced extra that never came is fatal */
	rx_put(0, 0, 100, NETRXF_extra_info);
	CHECK(xennet_rx_frame_read(rxs, 0, 1, &f, &r) == XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_SLOTS_EXCEED_RING);

	/* a chain running past the producer is fatal */
	rx_put(0, 0, 100, NETRXF_more_data);
	CHECK(xennet_rx_frame_read(rxs, 0, 1, &f, &r) == XENNET_FRAME_FATAL);
	CHECK(r == XENNET_R_SLOTS_EXCEED_RING);
	return 0;
}

static void
tx_rsp_put(RING_IDX i, uint16_t id, int16_t status)
{
	struct netif_tx_response *r = &txs->ring[i % XENNET_TX_RING_SIZE].rsp;

	r->id = id;
	r->status = status;
}

static int
test_tx_reap(void)
{
	uint8_t active[XENNET_TX_RING_SIZE] = { 0 };
	uint16_t freed[XENNET_TX_RING_SIZE], nfreed = 0;
	uint64_t perr = 0;
	enum xennet_reason r;
	RING_IDX base = UINT32_MAX - 1;	/* indices wrap on the way */
	bool wn = false;

	tx_reset(0);
	active[3] = active[7] = active[9] = XENNET_TX_HEAD;
	active[4] = XENNET_TX_FOLLOW;
	tx_rsp_put(base, 7, NETIF_RSP_OKAY);
	tx_rsp_put(base + 1, 3, NETIF_RSP_ERROR);
	CHECK(xennet_tx_reap(txs, base, base + 2, base + 4, active, 16, freed,
		&nfreed, &perr, &wn, &r) == 2);
	CHECK(r == XENNET_R_NONE && nfreed == 2 && perr == 1);
	CHECK(freed[0] == 7 && freed[1] == 3 && !active[7] && !active[3]);
	CHECK(active[9]);
	/* a frame's later slots answered with an error count it no more */
	tx_rsp_put(base + 2, 4, NETIF_RSP_ERROR);
	CHECK(xennet_tx_reap(txs, base + 2, base + 3, base + 4, active, 16,
		freed, &nfreed, &perr, &wn, &r) == 1);
	CHECK(r == XENNET_R_NONE && nfreed == 3 && perr == 1 && !active[4]);
	base++;

	/* an id answered twice, out of range, or NULL: stop before it */
	tx_rsp_put(base + 2, 3, NETIF_RSP_OKAY);
	CHECK(xennet_tx_reap(txs, base + 2, base + 3, base + 3, active, 16,
		freed, &nfreed, &perr, &wn, &r) == 0 && r == XENNET_R_BAD_ID);
	tx_rsp_put(base + 2, 16, NETIF_RSP_OKAY);
	CHECK(xennet_tx_reap(txs, base + 2, base + 3, base + 3, active, 16,
		freed, &nfreed, &perr, &wn, &r) == 0 && r == XENNET_R_BAD_ID);
	tx_rsp_put(base + 2, 9, NETIF_RSP_NULL);
	CHECK(xennet_tx_reap(txs, base + 2, base + 3, base + 3, active, 16,
		freed, &nfreed, &perr, &wn, &r) == 0 && r == XENNET_R_BAD_RESPONSE);
	CHECK(active[9] && nfreed == 3);
	/* more responses than requests in flight */
	tx_rsp_put(base + 2, 9, NETIF_RSP_OKAY);
	CHECK(xennet_tx_reap(txs, base + 2, base + 4, base + 3, active, 16,
		freed, &nfreed, &perr, &wn, &r) == 0 && r == XENNET_R_BAD_RESPONSE);
	CHECK(xennet_tx_reap(txs, base + 2, base + 3, base + 3, active, 16,
		freed, &nfreed, &perr, &wn, &r) == 1 && r == XENNET_R_NONE);
	CHECK(nfreed == 4 && freed[3] == 9 && perr == 1);

	/* a frame with an extra: its NULL answer right after the head's,
	 * even when it comes in a later call; nowhere else
	 */
	tx_reset(0);
	wn = false;
	active[1] = XENNET_TX_HEAD_EXTRA;
	active[2] = XENNET_TX_FOLLOW;
	tx_rsp_put(0, 1, NETIF_RSP_ERROR);
	CHECK(xennet_tx_reap(txs, 0, 1, 3, active, 16, freed, &nfreed, &perr,
		&wn, &r) == 1 && r == XENNET_R_NONE && wn && perr == 2);
	tx_rsp_put(1, 0, NETIF_RSP_NULL);
	tx_rsp_put(2, 2, NETIF_RSP_ERROR);
	CHECK(xennet_tx_reap(txs, 1, 3, 3, active, 16, freed, &nfreed, &perr,
		&wn, &r) == 2 && r == XENNET_R_NONE && !wn && perr == 2);
	CHECK(nfreed == 6 && freed[5] == 2 && !active[1] && !active[2]);
	/* a data answer where the NULL belongs */
	active[1] = XENNET_TX_HEAD_EXTRA;
	active[2] = XENNET_TX_HEAD;
	tx_rsp_put(3, 1, NETIF_RSP_OKAY);
	tx_rsp_put(4, 2, NETIF_RSP_OKAY);
	CHECK(xennet_tx_reap(txs, 3, 5, 6, active, 16, freed, &nfreed, &perr,
		&wn, &r) == 1 && r == XENNET_R_BAD_RESPONSE && active[2]);
	return 0;
}

static int
test_rx_repost(void)
{
	uint16_t slot_page[XENNET_RX_RING_SIZE];
	uint32_t grefs[XENNET_RX_RING_SIZE];
	RING_IDX cons = UINT32_MAX - 2, prod;
	unsigned int i;

	memset(rxs, 0, XENNET_PAGE_SIZE);
	for (i = 0; i < XENNET_RX_RING_SIZE; i++) {
		slot_page[i] = (i * 7) % XENNET_RX_RING_SIZE;
		grefs[i] = 1000 + i;
	}
	/* the buffers of 3 consumed slots go to the producer, 256 later */
	prod = xennet_rx_repost(rxs, cons + XENNET_RX_RING_SIZE, cons, 3,
		slot_page, grefs);
	CHECK(prod == (RING_IDX)(cons + XENNET_RX_RING_SIZE + 3));
	for (i = 0; i < 3; i++) {
		unsigned int slot = (cons + i) & (XENNET_RX_RING_SIZE - 1);

		CHECK(rxs->ring[slot].req.id == slot);
		CHECK(rxs->ring[slot].req.gref == 1000 + (slot * 7) %
			XENNET_RX_RING_SIZE);
		CHECK(slot_page[slot] == (slot * 7) % XENNET_RX_RING_SIZE);
	}
	/* a page consumed at one slot is posted at another */
	slot_page[5] = 42;
	prod = xennet_rx_repost(rxs, 10, 5, 1, slot_page, grefs);
	CHECK(prod == 11 && slot_page[10] == 42);
	CHECK(rxs->ring[10].req.gref == 1042 && rxs->ring[10].req.id == 10);
	return 0;
}

static int
test_rx_frame_fill(void)
{
	uint32_t gref[XENNET_TX_SLOTS_MAX];
	RING_IDX cons = UINT32_MAX;	/* wraps inside the frame */
	struct netif_extra_info gso;
	struct xennet_rx_frame rf;
	enum xennet_reason r;
	unsigned int i, slot;

	memset(rxs, 0, XENNET_PAGE_SIZE);
	for (i = 0; i < 3; i++) {
		slot = (cons + i) & (XENNET_RX_RING_SIZE - 1);
		rxs->ring[slot].req.id = 50 + i;
		rxs->ring[slot].req.gref = 500 + i;
	}
	CHECK(xennet_rx_frame_fill(rxs, cons, 9000, 3, NETRXF_csum_blank, gref,
		NULL) == 3);
	for (i = 0; i < 3; i++) {
		struct netif_rx_response *r;

		slot = (cons + i) & (XENNET_RX_RING_SIZE - 1);
		r = &rxs->ring[slot].rsp;
		CHECK(gref[i] == 500 + i);
		CHECK(r->id == 50 + i && r->offset == 0);
		CHECK(r->status == (i < 2 ? 4096 : 9000 - 8192));
		CHECK(r->flags == ((i < 2 ? NETRXF_more_data : 0) |
				   (i == 0 ? NETRXF_csum_blank : 0)));
	}
	xennet_rx_frame_fill(rxs, 7, 60, 1, 0, gref, NULL);
	CHECK(rxs->ring[7].rsp.status == 60 && rxs->ring[7].rsp.flags == 0);

	/* with a GSO extra: data, extra, data; the frontend reads it back */
	memset(rxs, 0, XENNET_PAGE_SIZE);
	for (i = 0; i < 3; i++) {
		rxs->ring[(cons + i) & 255].req.id = 50 + i;
		rxs->ring[(cons + i) & 255].req.gref = 500 + i;
	}
	memset(&gso, 0, sizeof(gso));
	gso.type = XEN_NETIF_EXTRA_TYPE_GSO;
	gso.u.gso.size = 1448;
	gso.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
	CHECK(xennet_rx_frame_fill(rxs, cons, 5000, 2, NETRXF_csum_blank, gref,
		&gso) == 3);
	CHECK(gref[0] == 500 && gref[1] == 502);	/* 501: the extra's */
	CHECK(rxs->ring[cons & 255].rsp.flags == (NETRXF_csum_blank |
	      NETRXF_more_data | NETRXF_extra_info));
	CHECK(rxs->ring[(cons + 2) & 255].rsp.status == 5000 - 4096);
	CHECK(xennet_rx_frame_read(rxs, cons, cons + 3, &rf, &r) ==
	      XENNET_FRAME_OK);
	CHECK(rf.len == 5000 && rf.nr_slots == 2 && rf.consumed == 3);
	CHECK(rf.extra_mask == (1u << XEN_NETIF_EXTRA_TYPE_GSO) &&
	      rf.extra[XEN_NETIF_EXTRA_TYPE_GSO].u.gso.type ==
	      XEN_NETIF_GSO_TYPE_TCPV6);
	return 0;
}

static int
test_attach_and_slots(void)
{
	CHECK(xennet_ring_attach_ok(10, 5, 256));
	CHECK(xennet_ring_attach_ok(261, 5, 256));
	CHECK(!xennet_ring_attach_ok(262, 5, 256));
	CHECK(xennet_ring_attach_ok(3, UINT32_MAX - 2, 256));
	CHECK(xennet_rx_slots_needed(1) == 1);
	CHECK(xennet_rx_slots_needed(4096) == 1);
	CHECK(xennet_rx_slots_needed(4097) == 2);
	CHECK(XENNET_TX_RING_SIZE == 256 && XENNET_RX_RING_SIZE == 256);
	return 0;
}

int
main(void)
{
	txs = aligned_alloc(XENNET_PAGE_SIZE, XENNET_PAGE_SIZE);
	rxs = aligned_alloc(XENNET_PAGE_SIZE, XENNET_PAGE_SIZE);

	RUN(test_single_slot);
	RUN(test_wrapping_index);
	RUN(test_multi_slot_sizes);
	RUN(test_tx_frame_post);
	RUN(test_slot_limits);
	RUN(test_slot_oversize);
	RUN(test_cross_page);
	RUN(test_incomplete_frame);
	RUN(test_runt);
	RUN(test_extras);
	RUN(test_respond);
	RUN(test_rx_frames);
	RUN(test_tx_reap);
	RUN(test_rx_repost);
	RUN(test_rx_frame_fill);
	RUN(test_attach_and_slots);

	printf("%d passed, %d failed\n", passed, failed);
	free(txs);
	free(rxs);
	return failed == 0 ? 0 : 1;
}
