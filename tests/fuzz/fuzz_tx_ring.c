/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * libFuzzer target: the backend's parser of guest TX requests
 * (xennet_tx_frame_read) and its responses (xennet_tx_frame_respond), driven
 * the way xennet_back_rx() drives them: frames are read from cons until
 * cons == prod or a fatal verdict, a dropped frame is answered at once, the
 * frames taken are answered at the end of their burst, into the same shared
 * page the requests are read from.
 *
 * Input: u32 cons, u16 avail (prod = cons + avail), u8 burst (frames taken
 * per burst, 1..64), u8 flags (bit 0: the burst's grant copies failed, so
 * taken frames are answered NETIF_RSP_ERROR), then the 4096-byte TX ring
 * page (zero-padded when the input is shorter). The page's req_prod is set
 * to prod, as the guest would have it.
 *
 * Every frame is checked against an untouched copy of the page: what the
 * parser returns is what the guest wrote, and responses never overwrite a
 * request that has not been read yet.
 */

#include "fuzz_common.h"
#include "xennet_ring.h"

#define TX_MASK (XENNET_TX_RING_SIZE - 1)
#define BURST_MAX 64	/* XENNET_BURST_MAX of the driver */

static const struct netif_tx_request *
slot_req(const netif_tx_sring_t *s, RING_IDX i)
{
	return &s->ring[i & TX_MASK].req;
}

static const struct netif_extra_info *
slot_extra(const netif_tx_sring_t *s, RING_IDX i)
{
	return (const struct netif_extra_info *)&s->ring[i & TX_MASK];
}

/* The invariants of one non-fatal frame read at @cons. */
static void
check_frame(const netif_tx_sring_t *orig, RING_IDX cons, RING_IDX avail,
	const struct xennet_tx_frame *f, enum xennet_verdict v,
	enum xennet_reason why)
{
	const struct netif_tx_request *first = slot_req(orig, cons), *r, *o;
	const struct netif_extra_info *x;
	uint32_t mask = 0, sum = 0;
	unsigned int e, s, k;

	FUZZ_CHECK(f->consumed > 0);
	FUZZ_CHECK(f->consumed <= avail);
	FUZZ_CHECK(f->nr_ids >= 1 && f->nr_ids <= XENNET_TX_FATAL_FOLLOW_ON + 1);
	FUZZ_CHECK(f->nr_slots >= 1 && f->nr_slots <= XENNET_TX_SLOTS_MAX + 1);
	FUZZ_CHECK(f->nr_slots <= f->nr_ids);
	FUZZ_CHECK((unsigned int)f->nr_ids + f->nr_extras == f->consumed);
	FUZZ_CHECK(f->len == first->size);
	FUZZ_CHECK(f->id[0] == first->id);
	FUZZ_CHECK((first->flags & NETTXF_extra_info) || f->nr_extras == 0);

	/* extras right behind the first slot, chained with FLAG_MORE */
	for (e = 0; e < f->nr_extras; e++) {
		x = slot_extra(orig, cons + 1 + e);
		FUZZ_CHECK(x->type != XEN_NETIF_EXTRA_TYPE_NONE &&
			   x->type < XEN_NETIF_EXTRA_TYPE_MAX);
		FUZZ_CHECK(!!(x->flags & XEN_NETIF_EXTRA_FLAG_MORE) ==
			   (e + 1 < f->nr_extras));
		mask |= 1u << x->type;
	}
	FUZZ_CHECK(mask == f->extra_mask);

	/* data slots: the ids to answer, in ring order, chained by more_data */
	o = first;
	for (s = 1; s < f->nr_ids; s++) {
		FUZZ_CHECK(o->flags & NETTXF_more_data);
		o = slot_req(orig, cons + f->nr_extras + s);
		FUZZ_CHECK(f->id[s] == o->id);
	}
	FUZZ_CHECK(!(o->flags & NETTXF_more_data));

	if (v != XENNET_FRAME_OK) {
		FUZZ_CHECK(v == XENNET_FRAME_DROP);
		FUZZ_CHECK(why != XENNET_R_NONE && why < XENNET_R_FATAL_FIRST);
		return;
	}
	FUZZ_CHECK(why == XENNET_R_NONE);
	FUZZ_CHECK(f->nr_slots == f->nr_ids);
	for (k = 0; k < f->nr_slots; k++) {
		r = &f->req[k];
		o = k == 0 ? first : slot_req(orig, cons + f->nr_extras + k);
		FUZZ_CHECK(r->gref == o->gref && r->offset == o->offset &&
			   r->flags == o->flags && r->id == o->id);
		if (k > 0)
			FUZZ_CHECK(r->size == o->size);
		/* the grant copy of each slot stays in its page */
		FUZZ_CHECK((uint32_t)r->offset + r->size <= XENNET_PAGE_SIZE);
		sum += r->size;
	}
	/* the slots fill the mbuf chain of f->len bytes exactly */
	FUZZ_CHECK(sum == f->len);
	FUZZ_CHECK(f->len >= XENNET_ETH_HLEN);
	/* a GSO extra the caller gets is one netback would take */
	if (f->extra_mask & (1u << XEN_NETIF_EXTRA_TYPE_GSO))
		FUZZ_CHECK(f->extra[XEN_NETIF_EXTRA_TYPE_GSO].u.gso.size != 0 &&
			   (f->extra[XEN_NETIF_EXTRA_TYPE_GSO].u.gso.type ==
			    XEN_NETIF_GSO_TYPE_TCPV4 ||
			    f->extra[XEN_NETIF_EXTRA_TYPE_GSO].u.gso.type ==
			    XEN_NETIF_GSO_TYPE_TCPV6));
	FUZZ_CHECK(!(f->extra_mask & (
		(1u << XEN_NETIF_EXTRA_TYPE_MCAST_ADD) |
		(1u << XEN_NETIF_EXTRA_TYPE_MCAST_DEL))));
	for (e = 0; e < f->nr_extras; e++) {
		x = slot_extra(orig, cons + 1 + e);
		/* the last extra of a type is the one kept */
		mask = 0;
		for (k = e + 1; k < f->nr_extras; k++)
			if (slot_extra(orig, cons + 1 + k)->type == x->type)
				mask = 1;
		if (!mask)
			FUZZ_CHECK(memcmp(&f->extra[x->type], x,
				sizeof(*x)) == 0);
	}
}

/* Answer @f at *rsp_prod_pvt and check what was written. */
static void
respond(netif_tx_sring_t *ring, RING_IDX *rsp_prod_pvt,
	const struct xennet_tx_frame *f, int16_t status)
{
	RING_IDX j = *rsp_prod_pvt;
	const struct netif_tx_response *rsp;
	unsigned int n, s, e;

	n = xennet_tx_frame_respond(ring, j, f, status);
	FUZZ_CHECK(n == (unsigned int)f->nr_ids + f->nr_extras);
	FUZZ_CHECK(n == f->consumed);
	for (s = 0; s < f->nr_ids; s++) {
		rsp = &ring->ring[j++ & TX_MASK].rsp;
		FUZZ_CHECK(rsp->id == f->id[s] && rsp->status == status);
		for (e = 0; s == 0 && e < f->nr_extras; e++)
			FUZZ_CHECK(ring->ring[j++ & TX_MASK].rsp.status ==
				NETIF_RSP_NULL);
	}
	*rsp_prod_pvt += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	static struct xennet_tx_frame frames[BURST_MAX];
	netif_tx_sring_t *ring, *orig;
	RING_IDX cons, prod, avail, rsp_prod_pvt, burst_start;
	struct xennet_tx_frame *f;
	enum xennet_verdict v;
	enum xennet_reason why;
	unsigned int nb, nf, i;
	int16_t ok_status;
	bool fatal = false;

	cons = fuzz_u32(&in);
	avail = fuzz_u16(&in);
	prod = cons + avail;
	nb = 1 + fuzz_u8(&in) % BURST_MAX;
	ok_status = (fuzz_u8(&in) & 1) ? NETIF_RSP_ERROR : NETIF_RSP_OKAY;
	ring = fuzz_alloc(XENNET_PAGE_SIZE);
	orig = fuzz_alloc(XENNET_PAGE_SIZE);
	fuzz_bytes(&in, ring, XENNET_PAGE_SIZE);
	ring->req_prod = prod;
	memcpy(orig, ring, XENNET_PAGE_SIZE);

	if (avail == 0 || avail > XENNET_TX_RING_SIZE) {
		/* xennet_back_rx() refuses such a producer before reading
		 * (and reads nothing at cons == prod); the parser must
		 * refuse both too.
		 */
		v = xennet_tx_frame_read(ring, cons, prod, &frames[0], &why);
		FUZZ_CHECK(v == XENNET_FRAME_FATAL);
		FUZZ_CHECK(why == XENNET_R_IMPOSSIBLE_COUNT);
		FUZZ_CHECK(frames[0].consumed == 0);
		goto out;
	}

	/* A backend attaches with rsp_prod_pvt == req_cons. */
	rsp_prod_pvt = cons;
	while (cons != prod && !fatal) {
		burst_start = cons;
		nf = 0;
		while (cons != prod && nf < nb) {
			f = &frames[nf];
			v = xennet_tx_frame_read(ring, cons, prod, f, &why);
			FUZZ_CHECK(why < XENNET_R_MAX);
			if (v == XENNET_FRAME_FATAL) {
				FUZZ_CHECK(why >= XENNET_R_FATAL_FIRST);
				FUZZ_CHECK(f->consumed == 0);
				fatal = true;
				break;
			}
			check_frame(orig, cons, prod - cons, f, v, why);
			cons += f->consumed;
			if (v == XENNET_FRAME_DROP) {
				respond(ring, &rsp_prod_pvt, f,
					why == XENNET_R_MCAST ?
					NETIF_RSP_OKAY : NETIF_RSP_ERROR);
				/* answers stay behind what was read */
				FUZZ_CHECK((RING_IDX)(cons - rsp_prod_pvt) <=
					   (RING_IDX)(cons - burst_start));
				continue;
			}
			nf++;
		}
		for (i = 0; i < nf; i++)
			respond(ring, &rsp_prod_pvt, &frames[i], ok_status);
		/* every request consumed in the burst is answered */
		FUZZ_CHECK(rsp_prod_pvt == cons);
	}
out:
	free(ring);
	free(orig);
	return 0;
}
