/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * Backend datapath: the guest's TX ring feeds ethdev Rx, ethdev Tx fills
 * the guest's RX ring. Data moves with one batched grant copy per burst,
 * as Linux netback batches its copy hypercalls.
 */

#include "xennet.h"

/*
 * Grant-copy segments between a piece of a guest page and an mbuf chain at
 * the cursor: one per contiguous run of the chain.
 */
static unsigned int
xennet_segs_build(xennet_copy_seg_t *seg, struct xennet_mbuf_cursor *c,
	uint32_t gref, uint16_t offset, uint32_t len, uint16_t domid,
	bool to_guest)
{
	union xengnttab_copy_ptr *guest, *local;
	uint32_t done = 0, n_len;
	unsigned int n = 0;

	while (done < len) {
		n_len = xennet_cursor_span(c, len - done);
		if (unlikely(n_len == 0))
			break;
		guest = to_guest ? &seg[n].dest : &seg[n].source;
		local = to_guest ? &seg[n].source : &seg[n].dest;
		guest->foreign.ref = gref;
		guest->foreign.offset = offset + done;
		guest->foreign.domid = domid;
		local->virt = xennet_cursor_ptr(c);
		seg[n].len = n_len;
		seg[n].flags = to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
		seg[n].status = GNTST_okay;
		xennet_cursor_advance(c, n_len);
		done += n_len;
		n++;
	}
	return n;
}

/* One grant-copy call for the whole burst; a failed call fails every
 * segment, so each frame is answered with an error.
 */
static void
xennet_copy_burst(struct xennet_queue *q, unsigned int nsegs)
{
	unsigned int k;

	if (nsegs == 0)
		return;
	q->st.copy_calls++;
	q->st.copy_segs += nsegs;
	if (xennet_gnt_copy(xennet_xen_get(), nsegs, q->segs) != 0) {
		XN_LOG_RL(ERR, "%s: grant copy failed: %s", q->port->name,
			strerror(errno));
		for (k = 0; k < nsegs; k++)
			q->segs[k].status = GNTST_general_error;
	}
}

uint16_t
xennet_back_rx(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	struct rte_mbuf *mbufs[XENNET_BURST_MAX];
	uint16_t seg_end[XENNET_BURST_MAX];
	struct xennet_mbuf_cursor cur;
	struct xennet_tx_frame *f;
	enum xennet_verdict v;
	enum xennet_reason why;
	netif_tx_sring_t *s;
	unsigned int nf = 0, nsegs = 0, i, k, seg_begin;
	uint16_t nrx = 0;
	RING_IDX prod, cons;
	bool ok;

	if (nq == NULL)
		return 0;
	s = nq->txs;
	nb_pkts = RTE_MIN(nb_pkts, XENNET_BURST_MAX);
	prod = *(volatile RING_IDX *)&s->req_prod;
	rte_smp_rmb();
	cons = nq->tx.be.req_cons;
	if ((RING_IDX)(prod - cons) > XENNET_TX_RING_SIZE) {
		xennet_fatal(q, XENNET_R_IMPOSSIBLE_COUNT);
		goto out;
	}
	while (cons != prod && nf < nb_pkts) {
		f = &q->frames[nf];
		v = xennet_tx_frame_read(s, cons, prod, f, &why);
		/* a GSO frame is as long as its segments allow */
		if (unlikely(v == XENNET_FRAME_OK &&
			     (f->extra_mask & XENNET_GSO_BIT))) {
			if (!q->rx_lro) {
				v = XENNET_FRAME_DROP;
				why = XENNET_R_GSO_UNSUPPORTED;
			}
		} else if (unlikely(v == XENNET_FRAME_OK &&
				    f->len > q->max_rx_len)) {
			v = XENNET_FRAME_DROP;
			why = XENNET_R_TOO_LONG;
		}
		if (unlikely(v == XENNET_FRAME_FATAL)) {
			xennet_fatal(q, why);
			break;
		}
		if (unlikely(v == XENNET_FRAME_DROP)) {
			nq->tx.be.rsp_prod_pvt += xennet_tx_frame_respond(s,
				nq->tx.be.rsp_prod_pvt, f,
				why == XENNET_R_MCAST ? NETIF_RSP_OKAY :
							NETIF_RSP_ERROR);
			if (why != XENNET_R_MCAST) {
				q->st.errors++;
				XN_LOG_RL(WARNING, "%s: dropping guest frame: %s",
					q->port->name, xennet_reason_str[why]);
			}
			q->st.reason[why]++;
			cons += f->consumed;
			continue;
		}
		if (nsegs + f->nr_slots * q->seg_per_slot > q->seg_cap)
			break; /* the next burst takes it */
		mbufs[nf] = xennet_mbuf_alloc_chain(q->mp, f->len);
		if (unlikely(mbufs[nf] == NULL)) {
			/* Leave the frame in the ring: the guest sees back
			 * pressure, nothing is lost.
			 */
			q->st.nombuf++;
			break;
		}
		xennet_cursor_init(&cur, mbufs[nf]);
		for (k = 0; k < f->nr_slots; k++)
			nsegs += xennet_segs_build(&q->segs[nsegs], &cur,
				f->req[k].gref, f->req[k].offset,
				f->req[k].size, nq->peer_domid, false);
		seg_end[nf] = nsegs;
		cons += f->consumed;
		nf++;
	}
	nq->tx.be.req_cons = cons;

	xennet_copy_burst(q, nsegs);
	seg_begin = 0;
	for (i = 0; i < nf; i++) {
		ok = true;
		for (k = seg_begin; k < seg_end[i]; k++)
			ok &= q->segs[k].status == GNTST_okay;
		seg_begin = seg_end[i];
		f = &q->frames[i];
		nq->tx.be.rsp_prod_pvt += xennet_tx_frame_respond(s,
				nq->tx.be.rsp_prod_pvt, f,
			ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
		if (unlikely(!ok)) {
			q->st.copy_errors++;
			q->st.errors++;
			XN_LOG_RL(WARNING, "%s: grant copy from guest failed "
				"(gref %u)", q->port->name, f->req[0].gref);
			rte_pktmbuf_free(mbufs[i]);
			continue;
		}
		mbufs[i]->port = q->port_id;
		if (unlikely(!xennet_rx_csum(q, mbufs[i],
				f->req[0].flags & NETTXF_csum_blank,
				f->req[0].flags & NETTXF_data_validated))) {
			q->st.errors++;
			q->st.reason[XENNET_R_BAD_CSUM]++;
			XN_LOG_RL(WARNING, "%s: dropping guest frame: %s",
				q->port->name,
				xennet_reason_str[XENNET_R_BAD_CSUM]);
			rte_pktmbuf_free(mbufs[i]);
			continue;
		}
		if (f->extra_mask & XENNET_GSO_BIT)
			xennet_rx_gso(q, mbufs[i],
				&f->extra[XEN_NETIF_EXTRA_TYPE_GSO]);
		q->st.bytes += mbufs[i]->pkt_len;
		pkts[nrx++] = mbufs[i];
	}
	q->st.pkts += nrx;
	xennet_push_notify(q, nq, nq->port_tx, &s->rsp_prod, &s->rsp_event,
		nq->tx.be.rsp_prod_pvt);
out:
	xennet_q_leave(q);
	return nrx;
}

/* One backend eth Tx burst: the guest's RX ring and what is queued. */
struct xennet_back_burst {
	RING_IDX prod;
	RING_IDX cons;
	unsigned int nsegs;	/* grant-copy segments built */
	unsigned int ndone;	/* mbufs to free after the copy */
	struct rte_mbuf *done[XENNET_BURST_MAX + XENNET_GSO_SEGS_MAX];
	struct rte_mbuf *segs[XENNET_GSO_SEGS_MAX];
};

/*
 * Answer the guest's RX requests with one frame and build its grant-copy
 * segments; the mbuf goes to b->done either way (XENNET_PUT_OK, or
 * XENNET_PUT_DROP, counted). XENNET_PUT_FULL: no room in the ring, and
 * XENNET_PUT_LATER: none in this burst; the caller keeps it.
 */
static enum xennet_put
xennet_back_put(struct xennet_queue *q, struct xennet_nq *nq,
	struct xennet_back_burst *b, struct rte_mbuf *m)
{
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
	uint32_t len = m->pkt_len, chunk, gref[XENNET_TX_SLOTS_MAX];
	unsigned int slots = xennet_rx_slots_needed(len), k, n, used;
	struct xennet_mbuf_cursor cur;
	struct netif_extra_info gso;
	uint16_t flags;
	bool is_gso;

	if (unlikely(len == 0 || slots > XENNET_TX_SLOTS_MAX ||
		     (slots > 1 && !nq->peer_sg))) {
		/* The guest can never take it: accept and drop. */
		q->st.errors++;
		q->st.reason[slots > 1 ? XENNET_R_NOT_SUPPORTED :
					 XENNET_R_RUNT]++;
		b->done[b->ndone++] = m;
		return XENNET_PUT_DROP;
	}
	is_gso = xennet_tx_is_gso(nq, m);
	if ((RING_IDX)(b->prod - b->cons) < slots + is_gso)
		return XENNET_PUT_FULL;
	if (b->nsegs + m->nb_segs + slots > q->seg_cap)
		return XENNET_PUT_LATER;
	if (is_gso) {
		if (unlikely(!xennet_tx_gso(q, m, &gso))) {
			b->done[b->ndone++] = m;
			return XENNET_PUT_DROP;
		}
		flags = NETRXF_csum_blank | NETRXF_data_validated;
	} else {
		flags = xennet_tx_csum(q, nq, m, NETRXF_csum_blank |
			NETRXF_data_validated);
	}
	used = xennet_rx_frame_fill(nq->rxs, b->cons, len, slots, flags, gref,
		is_gso ? &gso : NULL);
	xennet_cursor_init(&cur, m);
	for (k = 0; k < slots; k++) {
		chunk = RTE_MIN(len, XENNET_PAGE_SIZE);
		n = xennet_segs_build(&q->segs[b->nsegs], &cur, gref[k], 0,
			chunk, nq->peer_domid, true);
		/* data slot k sits behind the extra, if any */
		while (n-- > 0)
			q->seg_slot[b->nsegs++] = (b->cons + k +
				(is_gso && k > 0)) & mask;
		len -= chunk;
	}
	b->cons += used;
	q->st.pkts++;
	q->st.bytes += m->pkt_len;
	b->done[b->ndone++] = m;
	return XENNET_PUT_OK;
}

/* A TSO frame for a guest without GSO: its segments, or none. */
static enum xennet_put
xennet_back_put_segmented(struct xennet_queue *q, struct xennet_nq *nq,
	struct xennet_back_burst *b, struct rte_mbuf *m)
{
	unsigned int need = xennet_gso_slots(m, XENNET_PAGE_SIZE);
	int n, k;

	/* each segment: its slots, a header and a payload piece each */
	if ((RING_IDX)(b->prod - b->cons) < need)
		return XENNET_PUT_FULL;
	if (b->ndone + need + 1 > RTE_DIM(b->done) ||
	    b->nsegs + 3 * need > q->seg_cap)
		return XENNET_PUT_LATER;
	n = xennet_gso_segment(q, m, b->segs);
	b->done[b->ndone++] = m;
	if (n <= 0)
		return XENNET_PUT_DROP;
	for (k = 0; k < n; k++)
		if (xennet_back_put(q, nq, b, b->segs[k]) >=
		    XENNET_PUT_FULL) {
			/* room was checked: only a bad estimate gets here */
			q->st.ring_full++;
			b->done[b->ndone++] = b->segs[k];
		}
	return XENNET_PUT_OK;
}

uint16_t
xennet_back_tx(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	struct xennet_back_burst burst, *b = &burst;
	netif_rx_sring_t *s;
	enum xennet_put r;
	uint16_t i = 0;
	unsigned int k;

	if (nq == NULL)
		return 0;
	s = nq->rxs;
	b->nsegs = 0;
	b->ndone = 0;
	nb_pkts = RTE_MIN(nb_pkts, XENNET_BURST_MAX);
	b->prod = *(volatile RING_IDX *)&s->req_prod;
	rte_smp_rmb();
	b->cons = nq->rx.be.req_cons;
	if ((RING_IDX)(b->prod - b->cons) > XENNET_RX_RING_SIZE) {
		xennet_fatal(q, XENNET_R_IMPOSSIBLE_COUNT);
		goto out;
	}
	for (i = 0; i < nb_pkts; i++) {
		if (unlikely(xennet_tx_needs_sw_gso(nq, pkts[i])))
			r = xennet_back_put_segmented(q, nq, b, pkts[i]);
		else
			r = xennet_back_put(q, nq, b, pkts[i]);
		if (unlikely(r >= XENNET_PUT_FULL)) {
			if (r == XENNET_PUT_FULL)	/* frames refused */
				q->st.ring_full += nb_pkts - i;
			break;
		}
	}
	nq->rx.be.req_cons = b->cons;
	nq->rx.be.rsp_prod_pvt = b->cons;

	if (b->nsegs != 0) {
		xennet_copy_burst(q, b->nsegs);
		for (k = 0; k < b->nsegs; k++) {
			if (likely(q->segs[k].status == GNTST_okay))
				continue;
			s->ring[q->seg_slot[k]].rsp.status = NETIF_RSP_ERROR;
			q->st.copy_errors++;
			XN_LOG_RL(WARNING, "%s: grant copy to guest failed "
				"(gref %u, status %d)", q->port->name,
				q->segs[k].dest.foreign.ref, q->segs[k].status);
		}
	}
	xennet_push_notify(q, nq, nq->port_rx, &s->rsp_prod, &s->rsp_event,
		nq->rx.be.rsp_prod_pvt);
out:
	xennet_q_leave(q);
	if (b->ndone != 0)
		rte_pktmbuf_free_bulk(b->done, b->ndone);
	return i;
}
