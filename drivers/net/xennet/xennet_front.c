/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * Frontend datapath. A userspace frontend can only grant pages it got from
 * gntalloc, so TX copies each mbuf into a page granted once at connect and
 * RX copies out of pages that are granted once and re-posted.
 */

#include "xennet.h"

static inline uint8_t *
xennet_tx_buf(struct xennet_nq *nq, uint16_t id)
{
	return nq->txbuf.pages + (uint32_t)id * nq->tx_buf_size;
}

/* Collect TX responses: every answered id goes back to the free list. */
static bool
xennet_front_tx_reap(struct xennet_queue *q, struct xennet_nq *nq)
{
	enum xennet_reason why;
	RING_IDX prod;

	prod = *(volatile RING_IDX *)&nq->txs->rsp_prod;
	rte_smp_rmb();
	nq->tx.fe.rsp_cons += xennet_tx_reap(nq->txs, nq->tx.fe.rsp_cons,
		prod, nq->tx.fe.req_prod_pvt, nq->tx_active,
		XENNET_TX_RING_SIZE, nq->tx_free, &nq->nr_tx_free,
		&q->st.peer_errors, &nq->tx_want_null, &why);
	if (unlikely(why != XENNET_R_NONE)) {
		xennet_fatal(q, why);
		return false;
	}
	return true;
}

/* Reclaim the TX buffers the backend has answered: the frames were
 * copied out of their mbufs when sent, so only slots come back.
 */
int
xennet_front_tx_done_cleanup(void *queue, uint32_t free_cnt __rte_unused)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	uint16_t before;
	int ret = 0;

	if (nq == NULL)
		return 0;
	before = nq->nr_tx_free;
	if (xennet_front_tx_reap(q, nq))
		ret = nq->nr_tx_free - before;
	xennet_q_leave(q);
	return ret;
}

/* Copy @len bytes of @m from @off into TX buffer @id. */
static inline void
xennet_tx_copy(struct xennet_nq *nq, uint16_t id, const struct rte_mbuf *m,
	uint32_t off, uint32_t len)
{
	uint8_t *buf = xennet_tx_buf(nq, id);
	const void *data = rte_pktmbuf_read(m, off, len, buf);

	if (data != buf)
		rte_memcpy(buf, data, len);
}

/*
 * Post one frame: copied into TX buffers and freed (XENNET_PUT_OK, or
 * XENNET_PUT_DROP, counted), or left to the caller when the ring or the
 * buffers have no room (XENNET_PUT_FULL).
 */
static enum xennet_put
xennet_front_put(struct xennet_queue *q, struct xennet_nq *nq,
	struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len, bufsz = nq->tx_buf_size, off;
	unsigned int slots = (len + bufsz - 1) / bufsz, k;
	uint16_t ids[XENNET_TX_SLOTS_MAX], flags;
	struct netif_extra_info gso;
	bool is_gso;

	if (unlikely(len < XENNET_ETH_HLEN || len > XENNET_FRAME_MAX ||
		     slots > XENNET_TX_SLOTS_MAX ||
		     (slots > 1 && !nq->peer_sg))) {
		q->st.errors++;
		q->st.reason[len < XENNET_ETH_HLEN ? XENNET_R_RUNT :
			XENNET_R_NOT_SUPPORTED]++;
		rte_pktmbuf_free(m);
		return XENNET_PUT_DROP;
	}
	is_gso = xennet_tx_is_gso(nq, m);
	/* an extra takes a ring entry but no buffer */
	if (unlikely(nq->nr_tx_free < slots ||
		     (RING_IDX)(nq->tx.fe.req_prod_pvt - nq->tx.fe.rsp_cons) +
		     slots + is_gso > XENNET_TX_RING_SIZE))
		return XENNET_PUT_FULL;
	/* before the copy: a checksum completed here is in it */
	if (is_gso) {
		if (unlikely(!xennet_tx_gso(q, m, &gso))) {
			rte_pktmbuf_free(m);
			return XENNET_PUT_DROP;
		}
		flags = NETTXF_csum_blank | NETTXF_data_validated;
	} else {
		flags = xennet_tx_csum(q, nq, m, NETTXF_csum_blank |
			NETTXF_data_validated);
	}
	for (k = 0, off = 0; k < slots; k++, off += bufsz) {
		ids[k] = nq->tx_free[--nq->nr_tx_free];
		nq->tx_active[ids[k]] = k > 0 ? XENNET_TX_FOLLOW :
			is_gso ? XENNET_TX_HEAD_EXTRA : XENNET_TX_HEAD;
		xennet_tx_copy(nq, ids[k], m, off, RTE_MIN(len - off, bufsz));
	}
	nq->tx.fe.req_prod_pvt = xennet_tx_frame_post(nq->txs,
		nq->tx.fe.req_prod_pvt, len, flags, ids, slots, bufsz,
		nq->txbuf.grefs, is_gso ? &gso : NULL);
	q->st.pkts++;
	q->st.bytes += len;
	rte_pktmbuf_free(m);
	return XENNET_PUT_OK;
}

/* A TSO frame for a backend without GSO: post its segments, or none. */
static enum xennet_put
xennet_front_put_segmented(struct xennet_queue *q, struct xennet_nq *nq,
	struct rte_mbuf *m)
{
	struct rte_mbuf *segs[XENNET_GSO_SEGS_MAX];
	unsigned int need = xennet_gso_slots(m, nq->tx_buf_size);
	int n, k;

	if (nq->nr_tx_free < need ||
	    (RING_IDX)(nq->tx.fe.req_prod_pvt - nq->tx.fe.rsp_cons) + need >
	    XENNET_TX_RING_SIZE)
		return XENNET_PUT_FULL;
	n = xennet_gso_segment(q, m, segs);
	rte_pktmbuf_free(m);	/* the segments hold what they need of it */
	if (n <= 0)
		return XENNET_PUT_DROP;
	for (k = 0; k < n; k++)
		if (xennet_front_put(q, nq, segs[k]) == XENNET_PUT_FULL) {
			/* room was checked: only a bad estimate gets here */
			q->st.ring_full++;
			rte_pktmbuf_free(segs[k]);
		}
	return XENNET_PUT_OK;
}

uint16_t
xennet_front_tx(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	enum xennet_put r;
	uint16_t i;

	if (nq == NULL)
		return 0;
	if (!xennet_front_tx_reap(q, nq)) {
		i = 0;
		goto out;
	}
	for (i = 0; i < nb_pkts; i++) {
		if (unlikely(xennet_tx_needs_sw_gso(nq, pkts[i])))
			r = xennet_front_put_segmented(q, nq, pkts[i]);
		else
			r = xennet_front_put(q, nq, pkts[i]);
		if (unlikely(r == XENNET_PUT_FULL)) {
			q->st.ring_full += nb_pkts - i;	/* frames refused */
			break;
		}
	}
	xennet_push_notify(q, nq, nq->port_tx, &nq->txs->req_prod,
		&nq->txs->req_event, nq->tx.fe.req_prod_pvt);
out:
	xennet_q_leave(q);
	return i;
}

uint16_t
xennet_front_rx(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
	const struct netif_extra_info *gso = NULL;
	struct xennet_rx_frame f;
	struct xennet_mbuf_cursor cur;
	enum xennet_verdict v;
	enum xennet_reason why;
	netif_rx_sring_t *s;
	struct rte_mbuf *m;
	RING_IDX prod, cons;
	uint32_t done, n;
	const uint8_t *src;
	uint16_t nrx = 0, k;

	if (nq == NULL)
		return 0;
	s = nq->rxs;
	prod = *(volatile RING_IDX *)&s->rsp_prod;
	rte_smp_rmb();
	cons = nq->rx.fe.rsp_cons;
	if ((RING_IDX)(prod - cons) >
	    (RING_IDX)(nq->rx.fe.req_prod_pvt - cons)) {
		xennet_fatal(q, XENNET_R_BAD_RESPONSE);
		goto out;
	}
	while (cons != prod && nrx < nb_pkts) {
		v = xennet_rx_frame_read(s, cons, prod, &f, &why);
		if (unlikely(v == XENNET_FRAME_FATAL)) {
			xennet_fatal(q, why);
			break;
		}
		/* a GSO frame is as long as its segments allow */
		if (unlikely(v == XENNET_FRAME_OK &&
			     (f.extra_mask & XENNET_GSO_BIT))) {
			gso = &f.extra[XEN_NETIF_EXTRA_TYPE_GSO];
			if (!q->rx_lro) {
				v = XENNET_FRAME_DROP;
				why = XENNET_R_GSO_UNSUPPORTED;
			} else if (gso->u.gso.size == 0 ||
				   (gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
				    gso->u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6)) {
				/* as netfront's xennet_set_skb_gso() */
				v = XENNET_FRAME_DROP;
				why = XENNET_R_BAD_RESPONSE;
			}
		} else if (unlikely(v == XENNET_FRAME_OK &&
				    f.len > q->max_rx_len)) {
			v = XENNET_FRAME_DROP;
			why = XENNET_R_TOO_LONG;
		}
		if (likely(v == XENNET_FRAME_OK)) {
			m = xennet_mbuf_alloc_chain(q->mp, f.len);
			if (unlikely(m == NULL)) {
				q->st.nombuf++;
				break;
			}
			xennet_cursor_init(&cur, m);
			for (k = 0; k < f.nr_slots; k++) {
				src = nq->rxbuf.pages + XENNET_PAGE_SIZE *
					(size_t)nq->rx_slot_page[(cons +
						f.slot[k]) & mask] +
					f.rsp[k].offset;
				for (done = 0; done < (uint32_t)f.rsp[k].status;
				     done += n) {
					n = xennet_cursor_span(&cur,
						f.rsp[k].status - done);
					rte_memcpy(xennet_cursor_ptr(&cur),
						src + done, n);
					xennet_cursor_advance(&cur, n);
				}
			}
			m->port = q->port_id;
			if (likely(xennet_rx_csum(q, m,
					f.rsp[0].flags & NETRXF_csum_blank,
					f.rsp[0].flags &
					NETRXF_data_validated))) {
				if (f.extra_mask & XENNET_GSO_BIT)
					xennet_rx_gso(q, m, gso);
				q->st.bytes += f.len;
				pkts[nrx++] = m;
			} else {
				rte_pktmbuf_free(m);
				v = XENNET_FRAME_DROP;
				why = XENNET_R_BAD_CSUM;
			}
		}
		if (unlikely(v != XENNET_FRAME_OK)) {
			q->st.errors++;
			q->st.reason[why]++;
			XN_LOG_RL(WARNING, "%s: dropping frame from backend: %s",
				q->port->name, xennet_reason_str[why]);
		}
		nq->rx.fe.req_prod_pvt = xennet_rx_repost(s,
			nq->rx.fe.req_prod_pvt, cons, f.consumed,
			nq->rx_slot_page, nq->rxbuf.grefs);
		cons += f.consumed;
	}
	nq->rx.fe.rsp_cons = cons;
	q->st.pkts += nrx;
	/* We wrote feature-rx-notify: a backend that ran out of requests
	 * waits for this event.
	 */
	xennet_push_notify(q, nq, nq->port_rx, &s->req_prod, &s->req_event,
		nq->rx.fe.req_prod_pvt);
out:
	xennet_q_leave(q);
	return nrx;
}
