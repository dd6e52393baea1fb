/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * libFuzzer target: the frontend's reader of backend RX responses
 * (xennet_rx_frame_read) and the re-posting of their buffers
 * (xennet_rx_repost), driven as xennet_front_rx() drives them: frames are
 * read from cons until cons == prod or a fatal verdict, every consumed slot's
 * page is posted again at req_prod_pvt in the same shared page. Then the
 * backend's side of the same ring, xennet_rx_frame_fill(), answers requests
 * read out of the page.
 *
 * Input: u32 cons, u16 avail (prod = cons + avail), u8 pages (1..256 RX
 * buffers, all posted: req_prod_pvt = cons + pages), u32 seed (which page
 * sits in which slot), u32 fill length (backend half), then the 4096-byte RX
 * ring page (zero-padded when short).
 */

#include "fuzz_common.h"
#include "xennet_ring.h"

#define RX_MASK (XENNET_RX_RING_SIZE - 1)

static const struct netif_rx_response *
slot_rsp(const netif_rx_sring_t *s, RING_IDX i)
{
	return &s->ring[i & RX_MASK].rsp;
}

static const struct netif_extra_info *
slot_extra(const netif_rx_sring_t *s, RING_IDX i)
{
	return (const struct netif_extra_info *)&s->ring[i & RX_MASK];
}

static void
check_frame(const netif_rx_sring_t *orig, RING_IDX cons, RING_IDX avail,
	const struct xennet_rx_frame *f, enum xennet_verdict v,
	enum xennet_reason why)
{
	const struct netif_rx_response *r;
	unsigned int k, e, nr_extras;
	const struct netif_extra_info *x;
	uint32_t sum = 0, mask = 0;
	bool bad = false;

	FUZZ_CHECK(f->consumed > 0 && f->consumed <= avail);
	FUZZ_CHECK(f->nr_slots >= 1 && f->nr_slots <= XENNET_TX_SLOTS_MAX + 1);
	FUZZ_CHECK(f->consumed >= f->nr_slots);
	nr_extras = f->consumed - f->nr_slots;
	FUZZ_CHECK(!!(f->rsp[0].flags & NETRXF_extra_info) == (nr_extras > 0));
	for (e = 0; e < nr_extras; e++) {
		x = slot_extra(orig, cons + 1 + e);
		FUZZ_CHECK(x->type != XEN_NETIF_EXTRA_TYPE_NONE &&
			   x->type < XEN_NETIF_EXTRA_TYPE_MAX);
		FUZZ_CHECK(!!(x->flags & XEN_NETIF_EXTRA_FLAG_MORE) ==
			   (e + 1 < nr_extras));
		mask |= 1u << x->type;
	}
	FUZZ_CHECK(mask == f->extra_mask);
	for (k = 0; k < f->nr_slots; k++) {
		r = &f->rsp[k];
		/* slot offsets: the first, the extras, then one by one */
		FUZZ_CHECK(f->slot[k] == (k == 0 ? 0 : k + nr_extras));
		FUZZ_CHECK(f->slot[k] < f->consumed);
		FUZZ_CHECK(memcmp(r, slot_rsp(orig, cons + f->slot[k]),
			sizeof(*r)) == 0);
		FUZZ_CHECK(!!(r->flags & NETRXF_more_data) ==
			   (k + 1 < f->nr_slots));
		if (r->status <= 0 ||
		    (uint32_t)r->offset + r->status > XENNET_PAGE_SIZE)
			bad = true;
		else
			sum += r->status;
	}
	if (v == XENNET_FRAME_DROP) {
		FUZZ_CHECK(why == XENNET_R_BAD_RESPONSE && bad);
		return;
	}
	FUZZ_CHECK(v == XENNET_FRAME_OK && why == XENNET_R_NONE);
	FUZZ_CHECK(!bad);
	/* the mbuf chain of f->len bytes takes every slot's data */
	FUZZ_CHECK(f->len == sum);
	FUZZ_CHECK(f->len <= (XENNET_TX_SLOTS_MAX + 1) * XENNET_PAGE_SIZE);
}

/* Backend half: answer the requests of a frame of @len bytes at @cons. */
static void
fuzz_fill(const netif_rx_sring_t *orig, RING_IDX cons, uint32_t len)
{
	netif_rx_sring_t *ring = fuzz_alloc(XENNET_PAGE_SIZE);
	uint32_t gref[XENNET_TX_SLOTS_MAX];
	const struct netif_rx_response *rsp;
	const struct netif_rx_request *req;
	unsigned int slots, k, i;
	uint32_t left = len, chunk;

	memcpy(ring, orig, XENNET_PAGE_SIZE);
	slots = xennet_rx_slots_needed(len);
	/* what xennet_back_tx() lets through */
	FUZZ_CHECK(slots >= 1 && slots <= XENNET_TX_SLOTS_MAX);
	xennet_rx_frame_fill(ring, cons, len, slots, 0, gref, NULL);
	for (k = 0; k < slots; k++) {
		req = &orig->ring[(cons + k) & RX_MASK].req;
		rsp = &ring->ring[(cons + k) & RX_MASK].rsp;
		chunk = left < XENNET_PAGE_SIZE ? left : XENNET_PAGE_SIZE;
		FUZZ_CHECK(gref[k] == req->gref);
		FUZZ_CHECK(rsp->id == req->id && rsp->offset == 0);
		FUZZ_CHECK(rsp->status > 0 && (uint32_t)rsp->status == chunk);
		FUZZ_CHECK(!!(rsp->flags & NETRXF_more_data) == (k + 1 < slots));
		FUZZ_CHECK(!(rsp->flags & ~NETRXF_more_data));
		left -= chunk;
	}
	FUZZ_CHECK(left == 0);
	/* nothing outside the frame's slots is touched */
	FUZZ_CHECK(memcmp(ring, orig, offsetof(netif_rx_sring_t, ring)) == 0);
	for (i = slots; i < XENNET_RX_RING_SIZE; i++)
		FUZZ_CHECK(memcmp(&ring->ring[(cons + i) & RX_MASK],
			&orig->ring[(cons + i) & RX_MASK],
			sizeof(ring->ring[0])) == 0);
	free(ring);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint16_t slot_page[XENNET_RX_RING_SIZE], was[XENNET_TX_SLOTS_MAX * 2 +
		XENNET_RX_RING_SIZE];
	uint8_t seen[XENNET_RX_RING_SIZE];
	RING_IDX cons, prod, avail, req_prod_pvt, np;
	netif_rx_sring_t *ring, *orig;
	struct xennet_rx_frame f;
	enum xennet_verdict v;
	enum xennet_reason why;
	unsigned int nr, i, j, k;
	uint32_t seed, fill_len, *grefs;
	uint16_t t;

	cons = fuzz_u32(&in);
	avail = fuzz_u16(&in);
	prod = cons + avail;
	nr = 1 + fuzz_u8(&in);
	seed = fuzz_u32(&in);
	fill_len = fuzz_u32(&in);
	ring = fuzz_alloc(XENNET_PAGE_SIZE);
	orig = fuzz_alloc(XENNET_PAGE_SIZE);
	fuzz_bytes(&in, ring, XENNET_PAGE_SIZE);
	ring->rsp_prod = prod;
	memcpy(orig, ring, XENNET_PAGE_SIZE);

	/* the backend half first, on the untouched page */
	fuzz_fill(orig, cons, 1 + fill_len % (XENNET_TX_SLOTS_MAX *
		XENNET_PAGE_SIZE));

	/* nr pages granted once, each posted in one slot of
	 * [cons, cons + nr), in an order the seed picks
	 */
	grefs = fuzz_alloc(nr * sizeof(*grefs));
	for (i = 0; i < nr; i++)
		grefs[i] = 0x1000 + i * 7;
	memset(slot_page, 0xff, sizeof(slot_page));
	for (i = 0; i < nr; i++)
		slot_page[(cons + i) & RX_MASK] = i;
	for (i = nr - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		j = (seed >> 8) % (i + 1);
		t = slot_page[(cons + i) & RX_MASK];
		slot_page[(cons + i) & RX_MASK] = slot_page[(cons + j) & RX_MASK];
		slot_page[(cons + j) & RX_MASK] = t;
	}
	req_prod_pvt = cons + nr;

	if (avail == 0 || avail > nr) {
		/* xennet_front_rx() stops before reading: more responses
		 * than requests (or none); the reader must refuse a count
		 * past the ring, or nothing to read
		 */
		if (avail == 0 || avail > XENNET_RX_RING_SIZE) {
			v = xennet_rx_frame_read(ring, cons, prod, &f, &why);
			FUZZ_CHECK(v == XENNET_FRAME_FATAL &&
				   why == XENNET_R_IMPOSSIBLE_COUNT);
		}
		goto out;
	}
	while (cons != prod) {
		v = xennet_rx_frame_read(ring, cons, prod, &f, &why);
		FUZZ_CHECK(why < XENNET_R_MAX);
		if (v == XENNET_FRAME_FATAL) {
			FUZZ_CHECK(why >= XENNET_R_FATAL_FIRST);
			FUZZ_CHECK(f.consumed <= prod - cons);
			break;
		}
		check_frame(orig, cons, prod - cons, &f, v, why);
		if (v == XENNET_FRAME_OK) {
			/* the copy out of each slot's page stays in it */
			for (k = 0; k < f.nr_slots; k++) {
				FUZZ_CHECK(slot_page[(cons + f.slot[k]) &
					RX_MASK] < nr);
				FUZZ_CHECK((uint32_t)f.rsp[k].offset +
					(uint32_t)f.rsp[k].status <=
					XENNET_PAGE_SIZE);
			}
		}
		for (k = 0; k < f.consumed; k++)
			was[k] = slot_page[(cons + k) & RX_MASK];
		np = xennet_rx_repost(ring, req_prod_pvt, cons, f.consumed,
			slot_page, grefs);
		FUZZ_CHECK(np == req_prod_pvt + f.consumed);
		for (k = 0; k < f.consumed; k++) {
			j = (req_prod_pvt + k) & RX_MASK;
			FUZZ_CHECK(slot_page[j] == was[k]);
			FUZZ_CHECK(ring->ring[j].req.id == j);
			FUZZ_CHECK(ring->ring[j].req.gref == grefs[was[k]]);
		}
		req_prod_pvt = np;
		cons += f.consumed;
	}
	/* every page is still posted exactly once */
	FUZZ_CHECK(req_prod_pvt - cons == nr);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < nr; i++) {
		t = slot_page[(cons + i) & RX_MASK];
		FUZZ_CHECK(t < nr && !seen[t]);
		seen[t] = 1;
	}
out:
	free(grefs);
	free(ring);
	free(orig);
	return 0;
}
