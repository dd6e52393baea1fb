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

uint16_t
xennet_back_tx(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
	struct rte_mbuf *done[XENNET_BURST_MAX];
	uint32_t gref[XENNET_TX_SLOTS_MAX];
	struct xennet_mbuf_cursor cur;
	struct netif_extra_info gso;
	netif_rx_sring_t *s;
	unsigned int nsegs = 0, ndone = 0, ndrop = 0, i, k, slots, n, used;
	uint16_t flags;
	bool is_gso;
	uint32_t len, chunk;
	RING_IDX prod, cons;
	uint16_t ntx = 0;

	if (nq == NULL)
		return 0;
	s = nq->rxs;
	nb_pkts = RTE_MIN(nb_pkts, XENNET_BURST_MAX);
	prod = *(volatile RING_IDX *)&s->req_prod;
	rte_smp_rmb();
	cons = nq->rx.be.req_cons;
	if ((RING_IDX)(prod - cons) > XENNET_RX_RING_SIZE) {
		xennet_fatal(q, XENNET_R_IMPOSSIBLE_COUNT);
		goto out;
	}
	for (i = 0; i < nb_pkts; i++) {
		struct rte_mbuf *m = pkts[i];

		len = m->pkt_len;
		slots = xennet_rx_slots_needed(len);
		is_gso = xennet_tx_is_gso(nq, m);
		if (unlikely(len == 0 || slots > XENNET_TX_SLOTS_MAX ||
			     (slots > 1 && !nq->peer_sg))) {
			/* The guest can never take it: accept and drop. */
			q->st.errors++;
			q->st.reason[slots > 1 ? XENNET_R_NOT_SUPPORTED :
						 XENNET_R_RUNT]++;
			done[ndone++] = m;
			ndrop++;
			ntx++;
			continue;
		}
		if ((RING_IDX)(prod - cons) < slots + is_gso) {
			q->st.ring_full += nb_pkts - i;	/* frames refused */
			break;
		}
		if (nsegs + m->nb_segs + slots > q->seg_cap)
			break;
		if (is_gso) {
			if (unlikely(!xennet_tx_gso(q, nq, m, &gso))) {
				q->st.errors++;
				q->st.reason[XENNET_R_GSO_UNSUPPORTED]++;
				done[ndone++] = m;
				ndrop++;
				ntx++;
				continue;
			}
			flags = NETRXF_csum_blank | NETRXF_data_validated;
		} else {
			flags = xennet_tx_csum(q, nq, m, NETRXF_csum_blank |
				NETRXF_data_validated);
		}
		used = xennet_rx_frame_fill(s, cons, len, slots, flags, gref,
			is_gso ? &gso : NULL);
		xennet_cursor_init(&cur, m);
		for (k = 0; k < slots; k++) {
			chunk = RTE_MIN(len, XENNET_PAGE_SIZE);
			n = xennet_segs_build(&q->segs[nsegs], &cur, gref[k],
				0, chunk, nq->peer_domid, true);
			/* data slot k sits behind the extra, if any */
			while (n-- > 0)
				q->seg_slot[nsegs++] = (cons + k +
					(is_gso && k > 0)) & mask;
			len -= chunk;
		}
		cons += used;
		q->st.bytes += m->pkt_len;
		done[ndone++] = m;
		ntx++;
	}
	nq->rx.be.req_cons = cons;
	nq->rx.be.rsp_prod_pvt = cons;

	if (nsegs != 0) {
		xennet_copy_burst(q, nsegs);
		for (k = 0; k < nsegs; k++) {
			if (likely(q->segs[k].status == GNTST_okay))
				continue;
			s->ring[q->seg_slot[k]].rsp.status = NETIF_RSP_ERROR;
			q->st.copy_errors++;
			XN_LOG_RL(WARNING, "%s: grant copy to guest failed "
				"(gref %u, status %d)", q->port->name,
				q->segs[k].dest.foreign.ref, q->segs[k].status);
		}
	}
	q->st.pkts += ntx - ndrop;
	xennet_push_notify(q, nq, nq->port_rx, &s->rsp_prod, &s->rsp_event,
		nq->rx.be.rsp_prod_pvt);
out:
	xennet_q_leave(q);
	if (ndone != 0)
		rte_pktmbuf_free_bulk(done, ndone);
	return ntx;
}
