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

	/* valid GSO extra, not negotiated: drop, two entries consumed */
	tx_reset(0);
	tx_put(0, 0, 1000, NETTXF_extra_info);
	tx_put_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448,
		XEN_NETIF_GSO_TYPE_TCPV4);
	CHECK(xennet_tx_frame_read(txs, 0, prod, &f, &r) == XENNET_FRAME_DROP);
	CHECK(r == XENNET_R_GSO_UNSUPPORTED && f.consumed == 2);
	CHECK(f.nr_extras == 1);

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
	RUN(test_slot_limits);
	RUN(test_slot_oversize);
	RUN(test_cross_page);
	RUN(test_incomplete_frame);
	RUN(test_runt);
	RUN(test_extras);
	RUN(test_respond);
	RUN(test_rx_frames);
	RUN(test_attach_and_slots);

	printf("%d passed, %d failed\n", passed, failed);
	free(txs);
	free(rxs);
	return failed == 0 ? 0 : 1;
}
