/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#include <string.h>

#include <rte_common.h>

#include "xennet_ring.h"

const char * const xennet_reason_str[XENNET_R_MAX] = {
	[XENNET_R_NONE] = "none",
	[XENNET_R_TOO_MANY_SLOTS] = "too many slots",
	[XENNET_R_SLOT_OVERSIZE] = "slot larger than the frame's remaining size",
	[XENNET_R_RUNT] = "frame shorter than an Ethernet header",
	[XENNET_R_GSO_UNSUPPORTED] = "GSO not negotiated",
	[XENNET_R_MCAST] = "multicast control request",
	[XENNET_R_NOT_SUPPORTED] = "feature not negotiated",
	[XENNET_R_TOO_LONG] = "frame longer than the MTU",
	[XENNET_R_BAD_CSUM] = "partial checksum of a frame that is not TCP/UDP over IP",
	[XENNET_R_IMPOSSIBLE_COUNT] = "impossible number of requests",
	[XENNET_R_SLOTS_EXCEED_RING] = "frame needs more slots than requests available",
	[XENNET_R_MALICIOUS_SLOTS] = "frame uses more than 20 follow-on slots",
	[XENNET_R_CROSS_PAGE] = "slot crosses a page boundary",
	[XENNET_R_BAD_EXTRA] = "missing or invalid extra info",
	[XENNET_R_BAD_GSO] = "invalid GSO extra",
	[XENNET_R_BAD_ID] = "response id out of range or inactive",
	[XENNET_R_BAD_RESPONSE] = "malformed response",
};

/*
 * Copy an entry out of shared memory once; the peer may rewrite it at any
 * time (XSA-155), so nothing is read from the ring twice.
 */
#define XENNET_COPY_OUT(dst, src) do { \
	memcpy((dst), (const void *)(src), sizeof(*(dst))); \
	rte_compiler_barrier(); \
} while (0)

static enum xennet_verdict
xennet_verdict_of(enum xennet_reason r)
{
	if (r == XENNET_R_NONE)
		return XENNET_FRAME_OK;
	return r >= XENNET_R_FATAL_FIRST ? XENNET_FRAME_FATAL : XENNET_FRAME_DROP;
}

/*
 * Read a chain of extra-info entries of either ring (entries are @stride
 * bytes); *idx points at the first one. Running past the producer is
 * reported as XENNET_R_SLOTS_EXCEED_RING.
 */
static enum xennet_reason
xennet_extras_read(const void *ring, size_t stride, unsigned int mask,
	RING_IDX cons, RING_IDX avail, RING_IDX *idx,
	struct netif_extra_info *extra, uint32_t *extra_mask)
{
	struct netif_extra_info e;

	do {
		if (*idx >= avail)
			return XENNET_R_SLOTS_EXCEED_RING;
		XENNET_COPY_OUT(&e, (const uint8_t *)ring +
			((cons + *idx) & mask) * stride);
		(*idx)++;
		if (e.type == XEN_NETIF_EXTRA_TYPE_NONE ||
		    e.type >= XEN_NETIF_EXTRA_TYPE_MAX)
			return XENNET_R_BAD_EXTRA;
		extra[e.type] = e;
		*extra_mask |= 1u << e.type;
	} while (e.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	return XENNET_R_NONE;
}

/* The checks Linux netback applies to a GSO extra (xenvif_set_skb_gso). */
static enum xennet_reason
xennet_gso_check(const struct netif_extra_info *gso)
{
	if (gso->u.gso.size == 0)
		return XENNET_R_BAD_GSO;
	if (gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
	    gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6)
		return XENNET_R_BAD_GSO;
	return XENNET_R_NONE;
}

enum xennet_verdict
xennet_tx_frame_read(const netif_tx_sring_t *sring, RING_IDX cons,
	RING_IDX prod, struct xennet_tx_frame *f, enum xennet_reason *reason)
{
	const unsigned int mask = XENNET_TX_RING_SIZE - 1;
	const union netif_tx_sring_entry *ring = sring->ring;
	RING_IDX avail = prod - cons;
	struct netif_tx_request txp;
	enum xennet_reason drop = XENNET_R_NONE;
	enum xennet_reason r;
	unsigned int follow = 0;
	uint16_t first_size;
	RING_IDX idx = 0;
	bool more;

	f->nr_slots = 0;
	f->nr_extras = 0;
	f->nr_ids = 0;
	f->consumed = 0;
	f->extra_mask = 0;

	if (avail == 0 || avail > XENNET_TX_RING_SIZE) {
		r = XENNET_R_IMPOSSIBLE_COUNT;
		goto out;
	}

	XENNET_COPY_OUT(&f->req[0], &ring[cons & mask].req);
	idx = 1;
	f->nr_slots = 1;
	f->id[f->nr_ids++] = f->req[0].id;
	f->len = f->req[0].size;
	first_size = f->req[0].size;

	if (f->req[0].flags & NETTXF_extra_info) {
		r = xennet_extras_read(ring, sizeof(*ring), mask, cons, avail,
			&idx, f->extra, &f->extra_mask);
		f->nr_extras = idx - 1;
		if (r != XENNET_R_NONE) {
			/* a missing extra is malformed, as in netback */
			r = XENNET_R_BAD_EXTRA;
			goto out;
		}
	}

	/* Follow-on slots, counted as xenvif_count_requests() does. */
	more = f->req[0].flags & NETTXF_more_data;
	while (more) {
		if (idx >= avail) {
			r = XENNET_R_SLOTS_EXCEED_RING;
			goto out;
		}
		if (follow >= XENNET_TX_FATAL_FOLLOW_ON) {
			r = XENNET_R_MALICIOUS_SLOTS;
			goto out;
		}
		if (drop == XENNET_R_NONE && follow >= XENNET_TX_SLOTS_MAX)
			drop = XENNET_R_TOO_MANY_SLOTS;
		XENNET_COPY_OUT(&txp, &ring[(cons + idx) & mask].req);
		idx++;
		follow++;
		f->id[f->nr_ids++] = txp.id;
		if (drop == XENNET_R_NONE && txp.size > first_size)
			drop = XENNET_R_SLOT_OVERSIZE;
		first_size -= txp.size;
		if ((uint32_t)txp.offset + txp.size > XENNET_PAGE_SIZE) {
			r = XENNET_R_CROSS_PAGE;
			goto out;
		}
		more = txp.flags & NETTXF_more_data;
		if (drop == XENNET_R_NONE)
			f->req[f->nr_slots++] = txp;
	}
	f->req[0].size = first_size;

	if ((uint32_t)f->req[0].offset + f->req[0].size > XENNET_PAGE_SIZE &&
	    drop == XENNET_R_NONE) {
		r = XENNET_R_CROSS_PAGE;
		goto out;
	}
	/* a valid one is the caller's to take or drop */
	if (f->extra_mask & (1u << XEN_NETIF_EXTRA_TYPE_GSO)) {
		r = xennet_gso_check(&f->extra[XEN_NETIF_EXTRA_TYPE_GSO]);
		if (r != XENNET_R_NONE)
			goto out;
	}
	if (drop == XENNET_R_NONE &&
	    (f->extra_mask & ((1u << XEN_NETIF_EXTRA_TYPE_MCAST_ADD) |
			      (1u << XEN_NETIF_EXTRA_TYPE_MCAST_DEL))))
		drop = XENNET_R_MCAST;
	if (drop == XENNET_R_NONE && f->len < XENNET_ETH_HLEN)
		drop = XENNET_R_RUNT;
	r = drop;
out:
	f->consumed = xennet_verdict_of(r) == XENNET_FRAME_FATAL ? 0 : idx;
	*reason = r;
	return xennet_verdict_of(r);
}

unsigned int
xennet_tx_frame_respond(netif_tx_sring_t *sring, RING_IDX rsp_prod_pvt,
	const struct xennet_tx_frame *f, int16_t status)
{
	const unsigned int mask = XENNET_TX_RING_SIZE - 1;
	struct netif_tx_response *rsp;
	RING_IDX i = rsp_prod_pvt;
	unsigned int s, e;

	for (s = 0; s < f->nr_ids; s++) {
		rsp = &sring->ring[i++ & mask].rsp;
		rsp->id = f->id[s];
		rsp->status = status;
		if (s == 0) {
			for (e = 0; e < f->nr_extras; e++)
				sring->ring[i++ & mask].rsp.status =
					NETIF_RSP_NULL;
		}
	}
	return i - rsp_prod_pvt;
}

enum xennet_verdict
xennet_rx_frame_read(const netif_rx_sring_t *sring, RING_IDX cons,
	RING_IDX prod, struct xennet_rx_frame *f, enum xennet_reason *reason)
{
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
	const union netif_rx_sring_entry *ring = sring->ring;
	RING_IDX avail = prod - cons;
	struct netif_rx_response rsp;
	enum xennet_reason r = XENNET_R_NONE, er;
	RING_IDX idx = 0;
	bool more;

	f->nr_slots = 0;
	f->len = 0;
	f->extra_mask = 0;

	if (avail == 0 || avail > XENNET_RX_RING_SIZE) {
		r = XENNET_R_IMPOSSIBLE_COUNT;
		goto out;
	}
	do {
		if (idx >= avail) {
			r = XENNET_R_SLOTS_EXCEED_RING;
			goto out;
		}
		if (f->nr_slots > XENNET_TX_SLOTS_MAX) {
			r = XENNET_R_MALICIOUS_SLOTS;
			goto out;
		}
		XENNET_COPY_OUT(&rsp, &ring[(cons + idx) & mask].rsp);
		f->slot[f->nr_slots] = idx;
		idx++;
		f->rsp[f->nr_slots++] = rsp;
		more = rsp.flags & NETRXF_more_data;
		/* An error status still owns its buffer: keep reading the
		 * chain so every buffer is recycled, but drop the frame.
		 */
		if (rsp.status <= 0 ||
		    (uint32_t)rsp.offset + rsp.status > XENNET_PAGE_SIZE)
			r = XENNET_R_BAD_RESPONSE;
		else
			f->len += rsp.status;
		if (f->nr_slots == 1 && (rsp.flags & NETRXF_extra_info)) {
			er = xennet_extras_read(ring, sizeof(*ring), mask, cons,
				avail, &idx, f->extra, &f->extra_mask);
			if (er != XENNET_R_NONE) {
				r = er;
				goto out;
			}
		}
	} while (more);
out:
	f->consumed = idx;
	*reason = r;
	if (r == XENNET_R_BAD_RESPONSE)
		return XENNET_FRAME_DROP;
	return xennet_verdict_of(r);
}

unsigned int
xennet_tx_reap(const netif_tx_sring_t *sring, RING_IDX cons, RING_IDX prod,
	RING_IDX req_prod_pvt, uint8_t *active, uint16_t nr_ids,
	uint16_t *freed, uint16_t *nfreed, uint64_t *peer_errors,
	bool *want_null, enum xennet_reason *reason)
{
	const unsigned int mask = XENNET_TX_RING_SIZE - 1;
	struct netif_tx_response rsp;
	RING_IDX i;

	*reason = XENNET_R_NONE;
	if ((RING_IDX)(prod - cons) > (RING_IDX)(req_prod_pvt - cons)) {
		/* more answers than requests in flight */
		*reason = XENNET_R_BAD_RESPONSE;
		return 0;
	}
	for (i = cons; i != prod; i++) {
		XENNET_COPY_OUT(&rsp, &sring->ring[i & mask].rsp);
		/* the answer to an extra, and only that, is NULL */
		if ((rsp.status == NETIF_RSP_NULL) != *want_null) {
			*reason = XENNET_R_BAD_RESPONSE;
			break;
		}
		if (*want_null) {
			*want_null = false;
			continue;
		}
		if (rsp.id >= nr_ids || !active[rsp.id]) {
			*reason = XENNET_R_BAD_ID;
			break;
		}
		if (rsp.status != NETIF_RSP_OKAY &&
		    active[rsp.id] >= XENNET_TX_HEAD)
			(*peer_errors)++;
		*want_null = active[rsp.id] == XENNET_TX_HEAD_EXTRA;
		active[rsp.id] = 0;
		freed[(*nfreed)++] = rsp.id;
	}
	return i - cons;
}

RING_IDX
xennet_tx_frame_post(netif_tx_sring_t *sring, RING_IDX req_prod_pvt,
	uint32_t len, uint16_t flags, const uint16_t *ids, unsigned int n,
	uint32_t buf_size, const uint32_t *grefs,
	const struct netif_extra_info *extra)
{
	const unsigned int mask = XENNET_TX_RING_SIZE - 1;
	const uint32_t per_page = XENNET_PAGE_SIZE / buf_size;
	struct netif_tx_request *req;
	unsigned int k;

	for (k = 0; k < n; k++) {
		req = &sring->ring[req_prod_pvt++ & mask].req;
		req->gref = grefs[ids[k] / per_page];
		req->offset = (ids[k] % per_page) * buf_size;
		req->id = ids[k];
		req->size = k == 0 ? len : RTE_MIN(len, buf_size);
		req->flags = (k == 0 ? flags : 0) |
			(k + 1 < n ? NETTXF_more_data : 0);
		len -= RTE_MIN(len, buf_size);
		if (k == 0 && extra != NULL) {
			req->flags |= NETTXF_extra_info;
			memcpy(&sring->ring[req_prod_pvt++ & mask], extra,
				sizeof(*extra));
		}
	}
	return req_prod_pvt;
}

RING_IDX
xennet_rx_repost(netif_rx_sring_t *sring, RING_IDX req_prod_pvt,
	RING_IDX cons, unsigned int n, uint16_t *slot_page,
	const uint32_t *grefs)
{
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
	struct netif_rx_request *req;
	uint16_t page;

	while (n-- > 0) {
		page = slot_page[cons++ & mask];
		slot_page[req_prod_pvt & mask] = page;
		req = &sring->ring[req_prod_pvt & mask].req;
		req->id = req_prod_pvt & mask;
		req->gref = grefs[page];
		req_prod_pvt++;
	}
	return req_prod_pvt;
}

unsigned int
xennet_rx_frame_fill(netif_rx_sring_t *sring, RING_IDX cons, uint32_t len,
	unsigned int slots, uint16_t flags, uint32_t *gref,
	const struct netif_extra_info *extra)
{
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
	struct netif_rx_response *rsp;
	struct netif_rx_request req;
	RING_IDX start = cons;
	uint32_t chunk;
	unsigned int k;

	for (k = 0; k < slots; k++, cons++) {
		XENNET_COPY_OUT(&req, &sring->ring[cons & mask].req);
		gref[k] = req.gref;
		chunk = RTE_MIN(len, XENNET_PAGE_SIZE);
		rsp = &sring->ring[cons & mask].rsp;
		rsp->id = req.id;
		rsp->offset = 0;
		rsp->flags = (k == 0 ? flags : 0) |
			(k + 1 < slots ? NETRXF_more_data : 0);
		rsp->status = chunk;
		len -= chunk;
		if (k == 0 && extra != NULL) {
			/* in the next request's slot, which it consumes */
			rsp->flags |= NETRXF_extra_info;
			cons++;
			memcpy(&sring->ring[cons & mask], extra,
				sizeof(*extra));
		}
	}
	return cons - start;
}
