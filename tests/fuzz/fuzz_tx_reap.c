/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * libFuzzer target: the frontend's collection of TX responses
 * (xennet_tx_reap) as xennet_front_tx_reap() calls it, with the state the
 * frontend keeps: nbufs TX buffers, those in flight marked in active[], the
 * others on the free list that reaping appends to, one request in flight per
 * active id (req_prod_pvt = cons + number active). Ids stand for a frame's
 * first slot, one followed by an extra (whose answer must be NULL) or a
 * later slot, by id % 3.
 *
 * Input: u32 cons, u8 nbufs-1, u8 flags (bit 0: nr_ids = nbufs rather than
 * the ring size the driver passes), 4 x u16 producer steps (reap is called
 * after each), 32 bytes bitmap of active ids, then the 4096-byte TX ring
 * page (zero-padded when short).
 */

#include "fuzz_common.h"
#include "xennet_ring.h"

#define TX_MASK (XENNET_TX_RING_SIZE - 1)
#define STEPS 4

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t bitmap[XENNET_TX_RING_SIZE / 8], before[XENNET_TX_RING_SIZE];
	const struct netif_tx_response *rsp;
	unsigned int nbufs, nr_ids, inflight = 0, i, k, n, errs, left;
	uint16_t steps[STEPS], *freed, nfreed, nfreed0, id;
	RING_IDX cons, prod, req_prod_pvt;
	netif_tx_sring_t *ring, *orig;
	enum xennet_reason why;
	uint64_t perr = 0, perr0;
	bool want_null = false, want, want0;
	unsigned int nulls;
	uint8_t *active;

	cons = fuzz_u32(&in);
	nbufs = 1 + fuzz_u8(&in);
	nr_ids = (fuzz_u8(&in) & 1) ? nbufs : XENNET_TX_RING_SIZE;
	for (i = 0; i < STEPS; i++)
		steps[i] = fuzz_u16(&in);
	fuzz_bytes(&in, bitmap, sizeof(bitmap));
	ring = fuzz_alloc(XENNET_PAGE_SIZE);
	orig = fuzz_alloc(XENNET_PAGE_SIZE);
	fuzz_bytes(&in, ring, XENNET_PAGE_SIZE);
	memcpy(orig, ring, XENNET_PAGE_SIZE);

	/* the driver's arrays: tx_active[] and tx_free[] of ring size */
	active = fuzz_alloc(XENNET_TX_RING_SIZE);
	freed = fuzz_alloc(XENNET_TX_RING_SIZE * sizeof(*freed));
	memset(active, 0, XENNET_TX_RING_SIZE);
	nfreed = 0;
	for (i = 0; i < nbufs; i++) {
		static const uint8_t kind[] = { XENNET_TX_HEAD,
			XENNET_TX_HEAD_EXTRA, XENNET_TX_FOLLOW };

		active[i] = (bitmap[i / 8] >> (i % 8)) & 1 ? kind[i % 3] : 0;
		if (active[i])
			inflight++;
		else
			freed[nfreed++] = i;
	}
	req_prod_pvt = cons + inflight;

	prod = cons;
	for (i = 0; i < STEPS; i++) {
		prod += steps[i];
		memcpy(before, active, XENNET_TX_RING_SIZE);
		nfreed0 = nfreed;
		perr0 = perr;
		want0 = want_null;
		n = xennet_tx_reap(ring, cons, prod, req_prod_pvt, active,
			nr_ids, freed, &nfreed, &perr, &want_null, &why);
		if ((RING_IDX)(prod - cons) > (RING_IDX)(req_prod_pvt - cons)) {
			/* more answers than requests in flight */
			FUZZ_CHECK(n == 0 && why == XENNET_R_BAD_RESPONSE);
			FUZZ_CHECK(nfreed == nfreed0 && perr == perr0 &&
				   want_null == want0);
			FUZZ_CHECK(memcmp(before, active,
				XENNET_TX_RING_SIZE) == 0);
			break;
		}
		FUZZ_CHECK(n <= prod - cons);
		errs = 0;
		nulls = 0;
		want = want0;
		for (k = 0; k < n; k++) {
			rsp = &orig->ring[(cons + k) & TX_MASK].rsp;
			/* NULL exactly where an extra's answer is due */
			FUZZ_CHECK((rsp->status == NETIF_RSP_NULL) == want);
			if (want) {
				want = false;
				nulls++;
				continue;
			}
			id = freed[nfreed0 + k - nulls];
			FUZZ_CHECK(id == rsp->id);
			FUZZ_CHECK(id < nr_ids && before[id] && !active[id]);
			if (rsp->status != NETIF_RSP_OKAY &&
			    before[id] >= XENNET_TX_HEAD)
				errs++;
			want = before[id] == XENNET_TX_HEAD_EXTRA;
			before[id] = 0;
		}
		FUZZ_CHECK(want_null == want);
		FUZZ_CHECK(nfreed == nfreed0 + n - nulls && nfreed <= nbufs);
		/* only the answered ids left active[] */
		FUZZ_CHECK(memcmp(before, active, XENNET_TX_RING_SIZE) == 0);
		FUZZ_CHECK(perr == perr0 + errs);
		if (n < prod - cons) {
			rsp = &orig->ring[(cons + n) & TX_MASK].rsp;
			if ((rsp->status == NETIF_RSP_NULL) != want)
				FUZZ_CHECK(why == XENNET_R_BAD_RESPONSE);
			else
				FUZZ_CHECK(why == XENNET_R_BAD_ID &&
					   (rsp->id >= nr_ids ||
					    !active[rsp->id]));
			break;
		}
		FUZZ_CHECK(why == XENNET_R_NONE);
		cons += n;
	}
	/* the frontend only reads the ring here */
	FUZZ_CHECK(memcmp(ring, orig, XENNET_PAGE_SIZE) == 0);
	left = 0;
	for (i = 0; i < XENNET_TX_RING_SIZE; i++)
		left += active[i] != 0;
	FUZZ_CHECK(left + nfreed == nbufs);
	free(active);
	free(freed);
	free(ring);
	free(orig);
	return 0;
}
