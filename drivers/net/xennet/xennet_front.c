/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * Frontend datapath. A userspace frontend can only grant pages it got from
 * gntalloc, so TX copies each mbuf into a page granted once at connect and
 * RX copies out of pages that are granted once and re-posted.
 */

#include <rte_malloc.h>

#include "xennet.h"

static inline uint8_t *
xennet_tx_buf(struct xennet_nq *nq, uint16_t id)
{
	return nq->txbuf.pages + (uint32_t)id * XENNET_TX_BUF_SIZE;
}

/* Collect TX responses: every answered id goes back to the free list. */
static bool
xennet_front_tx_reap(struct xennet_queue *q, struct xennet_nq *nq)
{
	netif_tx_sring_t *s = nq->txs;
	struct netif_tx_response rsp;
	RING_IDX prod, cons = nq->tx_rsp;

	prod = *(volatile RING_IDX *)&s->rsp_prod;
	rte_smp_rmb();
	if ((RING_IDX)(prod - cons) > (RING_IDX)(nq->tx_req - cons)) {
		/* More answers than requests in flight. */
		xennet_fatal(q, XENNET_R_BAD_RESPONSE);
		return false;
	}
	for (; cons != prod; cons++) {
		memcpy(&rsp, (const void *)&s->ring[cons &
			(XENNET_TX_RING_SIZE - 1)].rsp, sizeof(rsp));
		rte_compiler_barrier();
		if (rsp.status == NETIF_RSP_NULL)
			continue;
		if (unlikely(rsp.id >= XENNET_TX_RING_SIZE ||
			     !nq->tx_active[rsp.id])) {
			nq->tx_rsp = cons;
			xennet_fatal(q, XENNET_R_BAD_ID);
			return false;
		}
		nq->tx_active[rsp.id] = 0;
		nq->tx_free[nq->nr_tx_free++] = rsp.id;
		if (unlikely(rsp.status != NETIF_RSP_OKAY))
			q->st.peer_errors++;
	}
	nq->tx_rsp = cons;
	return true;
}

uint16_t
xennet_front_tx(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	struct netif_tx_request *req;
	netif_tx_sring_t *s;
	const void *data;
	uint16_t i, id;
	uint32_t len;

	if (nq == NULL)
		return 0;
	s = nq->txs;
	if (!xennet_front_tx_reap(q, nq)) {
		i = 0;
		goto out;
	}
	for (i = 0; i < nb_pkts; i++) {
		struct rte_mbuf *m = pkts[i];

		len = m->pkt_len;
		if (unlikely(len > XENNET_TX_BUF_SIZE ||
			     len < XENNET_ETH_HLEN)) {
			q->st.errors++;
			q->st.reason[len < XENNET_ETH_HLEN ? XENNET_R_RUNT :
				XENNET_R_NOT_SUPPORTED]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (unlikely(nq->nr_tx_free == 0)) {
			q->st.ring_full++;
			break;
		}
		id = nq->tx_free[--nq->nr_tx_free];
		data = rte_pktmbuf_read(m, 0, len, xennet_tx_buf(nq, id));
		if (data != xennet_tx_buf(nq, id))
			rte_memcpy(xennet_tx_buf(nq, id), data, len);
		req = &s->ring[nq->tx_req & (XENNET_TX_RING_SIZE - 1)].req;
		req->gref = nq->txbuf.grefs[id / XENNET_TX_BUFS_PER_PAGE];
		req->offset = (id % XENNET_TX_BUFS_PER_PAGE) *
			XENNET_TX_BUF_SIZE;
		req->flags = 0;
		req->id = id;
		req->size = len;
		nq->tx_active[id] = 1;
		nq->tx_req++;
		q->st.pkts++;
		q->st.bytes += len;
		rte_pktmbuf_free(m);
	}
	if (xennet_push(&s->req_prod, &s->req_event, nq->tx_req)) {
		xennet_evtchn_notify(&q->port->xen, nq->evtchn);
		q->st.notify++;
	}
out:
	xennet_q_leave(q);
	return i;
}

/* Post the page of every consumed slot again, at the producer. */
static void
xennet_front_rx_repost(struct xennet_nq *nq, RING_IDX cons, unsigned int n)
{
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
	struct netif_rx_request *req;
	uint16_t page;

	while (n-- > 0) {
		page = nq->rx_slot_page[cons++ & mask];
		nq->rx_slot_page[nq->rx_req & mask] = page;
		req = &nq->rxs->ring[nq->rx_req & mask].req;
		req->id = nq->rx_req & mask;
		req->gref = nq->rxbuf.grefs[page];
		nq->rx_req++;
	}
}

uint16_t
xennet_front_rx(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct xennet_queue *q = queue;
	struct xennet_nq *nq = xennet_q_enter(q);
	const unsigned int mask = XENNET_RX_RING_SIZE - 1;
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
	cons = nq->rx_rsp;
	if ((RING_IDX)(prod - cons) > (RING_IDX)(nq->rx_req - cons)) {
		xennet_fatal(q, XENNET_R_BAD_RESPONSE);
		goto out;
	}
	while (cons != prod && nrx < nb_pkts) {
		v = xennet_rx_frame_read(s, cons, prod, &f, &why);
		if (unlikely(v == XENNET_FRAME_FATAL)) {
			xennet_fatal(q, why);
			break;
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
			m->port = q->port->dev->data->port_id;
			if (f.rsp[0].flags & NETRXF_csum_blank) {
				if (!xennet_csum_complete(m))
					q->st.reason[XENNET_R_NOT_SUPPORTED]++;
			} else if (f.rsp[0].flags & NETRXF_data_validated) {
				m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
			}
			q->st.bytes += f.len;
			pkts[nrx++] = m;
		} else {
			q->st.errors++;
			q->st.reason[why]++;
			XN_LOG_RL(WARNING, "%s: dropping frame from backend: %s",
				q->port->name, xennet_reason_str[why]);
		}
		xennet_front_rx_repost(nq, cons, f.consumed);
		cons += f.consumed;
	}
	nq->rx_rsp = cons;
	q->st.pkts += nrx;
	/* We wrote feature-rx-notify: a backend that ran out of requests
	 * waits for this event.
	 */
	if (xennet_push(&s->req_prod, &s->req_event, nq->rx_req)) {
		xennet_evtchn_notify(&q->port->xen, nq->evtchn);
		q->st.notify++;
	}
out:
	xennet_q_leave(q);
	return nrx;
}

static int
xennet_pool_grant(struct xennet_port *p, struct xennet_pool *pool,
	uint32_t nr_pages)
{
	pool->grefs = rte_zmalloc(p->name, nr_pages * sizeof(uint32_t), 0);
	if (pool->grefs == NULL)
		return -ENOMEM;
	pool->pages = xennet_gnt_share(&p->xen, p->peer_domid, nr_pages,
		pool->grefs);
	if (pool->pages == NULL) {
		rte_free(pool->grefs);
		pool->grefs = NULL;
		return -ENOMEM;
	}
	/* Never show the backend what these pages held before. */
	memset(pool->pages, 0, (size_t)nr_pages * XENNET_PAGE_SIZE);
	pool->nr_pages = nr_pages;
	return 0;
}

static void
xennet_pool_release(struct xennet_port *p, struct xennet_pool *pool)
{
	if (pool->pages != NULL)
		xennet_gnt_unshare(&p->xen, pool->pages, pool->nr_pages);
	rte_free(pool->grefs);
	memset(pool, 0, sizeof(*pool));
}

void
xennet_front_release(struct xennet_port *p, struct xennet_nq *nq)
{
	xennet_pool_release(p, &nq->txbuf);
	xennet_pool_release(p, &nq->rxbuf);
	xennet_gnt_unshare(&p->xen, nq->txs, 1);
	xennet_gnt_unshare(&p->xen, nq->rxs, 1);
	if (nq->evtchn != 0)
		xennet_evtchn_unbind(&p->xen, nq->evtchn);
	rte_free(nq);
}

/*
 * Grant the rings and buffer pages, post every RX buffer and write the
 * frontend's keys. The caller switches to Connected.
 */
int
xennet_front_connect(struct xennet_port *p)
{
	struct xennet_queue *rxq = p->dev->data->rx_queues[0];
	struct xennet_xen *x = &p->xen;
	uint32_t tx_ref, rx_ref, nr_rx, i;
	struct xennet_nq *nq;
	char tx[16], rx[16], ev[16];
	unsigned long val;
	int port;

	if (xennet_xs_read_uint(x, &val, "%s/feature-rx-copy", p->be_path) ||
	    val != 1) {
		XN_LOG(ERR, "%s: backend %s does not offer feature-rx-copy",
			p->name, p->be_path);
		return -EOPNOTSUPP;
	}
	nq = xennet_nq_alloc(p);
	if (nq == NULL)
		return -ENOMEM;
	port = xennet_evtchn_bind_unbound(x, p->peer_domid);
	if (port < 0)
		goto fail;
	nq->evtchn = port;
	nq->txs = xennet_gnt_share_notify(x, p->peer_domid, &tx_ref,
		XENNET_ALIVE_OFF, nq->evtchn);
	nq->rxs = xennet_gnt_share(x, p->peer_domid, 1, &rx_ref);
	if (nq->txs == NULL || nq->rxs == NULL)
		goto fail;
	memset(nq->txs, 0, XENNET_PAGE_SIZE);
	memset(nq->rxs, 0, XENNET_PAGE_SIZE);
	SHARED_RING_INIT(nq->txs);
	SHARED_RING_INIT(nq->rxs);
	nq->txs->__pad[0] = 1;

	nr_rx = RTE_MAX(rxq->nb_desc, XENNET_RX_BUFS_MIN);
	nr_rx = RTE_MIN(nr_rx, XENNET_RX_RING_SIZE);
	if (xennet_pool_grant(p, &nq->txbuf, XENNET_TX_BUF_PAGES) ||
	    xennet_pool_grant(p, &nq->rxbuf, nr_rx))
		goto fail;
	for (i = 0; i < XENNET_TX_RING_SIZE; i++)
		nq->tx_free[i] = XENNET_TX_RING_SIZE - 1 - i;
	nq->nr_tx_free = XENNET_TX_RING_SIZE;
	for (i = 0; i < nr_rx; i++) {
		nq->rx_slot_page[i] = i;
		nq->rxs->ring[i].req.id = i;
		nq->rxs->ring[i].req.gref = nq->rxbuf.grefs[i];
	}
	nq->rx_req = nr_rx;
	rte_smp_wmb();
	nq->rxs->req_prod = nr_rx;

	snprintf(tx, sizeof(tx), "%u", tx_ref);
	snprintf(rx, sizeof(rx), "%u", rx_ref);
	snprintf(ev, sizeof(ev), "%u", nq->evtchn);
	{
		const struct xennet_xs_kv keys[] = {
			{ "tx-ring-ref", tx },
			{ "rx-ring-ref", rx },
			{ "event-channel", ev },
			{ "request-rx-copy", "1" },
			{ "feature-rx-notify", "1" },
			/* see XENNET_ALIVE_OFF */
			{ "feature-xennet-alive", "1" },
			/* Partial checksums are not handled yet. */
			{ "feature-no-csum-offload", "1" },
			/* RX takes multi-slot frames; TX sends one slot. */
			{ "feature-sg", "1" },
			/* Keys an earlier frontend of this vif may have left
			 * that would make a backend expect more queues, split
			 * event channels or a control ring.
			 */
			{ "multi-queue-num-queues", NULL },
			{ "event-channel-tx", NULL },
			{ "event-channel-rx", NULL },
			{ "ctrl-ring-ref", NULL },
			{ "event-channel-ctrl", NULL },
		};

		if (xennet_xs_write_keys(x, p->fe_path, keys,
				RTE_DIM(keys)) != 0)
			goto fail;
	}
	p->nq[0] = nq;
	p->nr_nq = 1;
	return 0;
fail:
	xennet_front_release(p, nq);
	return -EIO;
}
