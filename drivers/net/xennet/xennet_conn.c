/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * Connections: the queue pairs of a vif built from what the control plane
 * negotiated (struct xennet_conn_desc), handed to and taken back from the
 * ethdev queues, and the helpers the datapaths share. No xenstore here.
 */

#include <sys/epoll.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "xennet.h"

/*
 * Cut a TSO frame for a peer without GSO into frames of its MSS with
 * DPDK's GSO library, which leaves checksums alone: each segment gets its
 * IPv4 header checksum here and its TCP one marked for xennet_tx_csum().
 * Returns the segments in @segs (up to XENNET_GSO_SEGS_MAX), or 0 after
 * counting the frame as dropped. @m is left to the caller to free.
 */
int
xennet_gso_segment(struct xennet_queue *q, struct rte_mbuf *m,
	struct rte_mbuf **segs)
{
	bool v6 = m->ol_flags & RTE_MBUF_F_TX_IPV6;
	uint64_t tx_offload = m->tx_offload;
	struct rte_ipv4_hdr *ip4;
	int n, k;

	n = -EINVAL;
	if (q->gso_ctx.direct_pool != NULL && m->tso_segsz != 0) {
		q->gso_ctx.gso_size = m->l2_len + m->l3_len + m->l4_len +
			m->tso_segsz;
		n = rte_gso_segment(m, &q->gso_ctx, segs,
			XENNET_GSO_SEGS_MAX);
	}
	if (n <= 0) {
		q->st.errors++;
		q->st.reason[XENNET_R_GSO_UNSUPPORTED]++;
		XN_LOG_RL(WARNING, "%s: dropping a TSO frame the peer cannot "
			"take and that cannot be segmented: %s", q->port->name,
			q->gso_ctx.direct_pool == NULL ?
			"TSO offload not enabled on the port" :
			n < 0 ? strerror(-n) : "not TCP over IPv4");
		return 0;
	}
	q->st.gso_sw++;
	for (k = 0; k < n; k++) {
		segs[k]->tx_offload = tx_offload;
		segs[k]->ol_flags = RTE_MBUF_F_TX_TCP_CKSUM |
			(v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
		if (!v6) {
			ip4 = rte_pktmbuf_mtod_offset(segs[k],
				struct rte_ipv4_hdr *, m->l2_len);
			ip4->hdr_checksum = 0;
			ip4->hdr_checksum = rte_ipv4_cksum(ip4);
		}
		xennet_tcp_phdr_set(segs[k]);
	}
	return n;
}

struct rte_mbuf *
xennet_mbuf_alloc_chain(struct rte_mempool *mp, uint32_t len)
{
	struct rte_mbuf *head, *m, *seg;
	uint32_t room;

	head = rte_pktmbuf_alloc(mp);
	if (unlikely(head == NULL))
		return NULL;
	head->pkt_len = len;
	m = head;
	for (;;) {
		room = rte_pktmbuf_tailroom(m);
		m->data_len = RTE_MIN(len, room);
		len -= m->data_len;
		if (len == 0)
			return head;
		seg = rte_pktmbuf_alloc(mp);
		if (unlikely(seg == NULL)) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		m->next = seg;
		m = seg;
		head->nb_segs++;
	}
}

void
xennet_fatal(struct xennet_queue *q, enum xennet_reason r)
{
	struct xennet_port *p = q->port;

	q->st.errors++;
	q->st.reason[r]++;
	XN_LOG_RL(ERR, "%s: peer domain %ld broke the protocol: %s", p->name,
		p->peer_domid, xennet_reason_str[r]);
	/* Detach right away so the same frame is not seen (and counted)
	 * again on every poll until the control plane disables the vif.
	 */
	__atomic_store_n(&q->nq, NULL, __ATOMIC_RELEASE);
	if (__atomic_exchange_n(&p->fatal, r, __ATOMIC_RELAXED) == 0)
		xennet_eventfd_kick(p->kick_fd);
}

/* Frontend pools ------------------------------------------------------- */

static int
xennet_pool_grant(struct xennet_port *p, struct xennet_pool *pool,
	uint32_t domid, uint32_t nr_pages, bool writable)
{
	pool->grefs = rte_zmalloc(p->name, nr_pages * sizeof(uint32_t), 0);
	if (pool->grefs == NULL)
		return -ENOMEM;
	pool->pages = xennet_gnt_share(xennet_xen_get(), domid, nr_pages,
		pool->grefs, writable);
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
xennet_pool_release(struct xennet_pool *pool)
{
	if (pool->pages != NULL)
		xennet_gnt_unshare(xennet_xen_get(), pool->pages,
			pool->nr_pages);
	rte_free(pool->grefs);
	memset(pool, 0, sizeof(*pool));
}

/* Queue pairs ---------------------------------------------------------- */

static void
xennet_nq_free(struct xennet_port *p, struct xennet_nq *nq)
{
	struct xennet_xen *x = xennet_xen_get();

	if (nq == NULL)
		return;
	if (nq->evh != NULL) {
		/* Closing the handle unbinds its ports. */
		xennet_evtchn_close(nq->evh);
	}
	if (p->role == XENNET_ROLE_BACKEND) {
		xennet_gnt_unmap(x, nq->txs, 1);
		xennet_gnt_unmap(x, nq->rxs, 1);
	} else {
		xennet_pool_release(&nq->txbuf);
		xennet_pool_release(&nq->rxbuf);
		xennet_gnt_unshare(x, nq->txs, 1);
		xennet_gnt_unshare(x, nq->rxs, 1);
	}
	rte_free(nq);
}

static struct xennet_nq *
xennet_nq_alloc(struct xennet_port *p, const struct xennet_conn_desc *d,
	uint16_t idx)
{
	struct xennet_nq *nq;

	nq = rte_zmalloc_socket(p->name, sizeof(*nq), RTE_CACHE_LINE_SIZE,
		p->dev->device->numa_node);
	if (nq == NULL)
		return NULL;
	nq->port = p;
	nq->idx = idx;
	rte_spinlock_init(&nq->tx_lock);
	rte_spinlock_init(&nq->rx_lock);
	nq->peer_domid = d->peer_domid;
	nq->peer_sg = d->peer_sg;
	nq->peer_csum = d->peer_csum;
	nq->peer_csum6 = d->peer_csum6;
	nq->peer_gso4 = d->peer_gso4;
	nq->peer_gso6 = d->peer_gso6;
	nq->evh = xennet_evtchn_open();
	if (nq->evh == NULL) {
		rte_free(nq);
		return NULL;
	}
	return nq;
}

/* Map the frontend's rings, attach at its state and bind its ports. */
static int
xennet_back_nq_open(struct xennet_port *p, struct xennet_conn_desc *d,
	struct xennet_nq *nq)
{
	const struct xennet_qdesc *qd = &d->q[nq->idx];
	struct xennet_xen *x = xennet_xen_get();
	RING_IDX tx_rsp, rx_rsp;
	int port;

	nq->txs = xennet_gnt_map(x, d->peer_domid, qd->tx_ref);
	nq->rxs = xennet_gnt_map(x, d->peer_domid, qd->rx_ref);
	if (nq->txs == NULL || nq->rxs == NULL)
		return -EIO;
	/* Never re-initialise the frontend's rings (BACK_RING_ATTACH);
	 * each index is read once, the frontend may change them meanwhile.
	 */
	tx_rsp = *(volatile RING_IDX *)&nq->txs->rsp_prod;
	rx_rsp = *(volatile RING_IDX *)&nq->rxs->rsp_prod;
	if (!xennet_ring_attach_ok(*(volatile RING_IDX *)&nq->txs->req_prod,
			tx_rsp, XENNET_TX_RING_SIZE) ||
	    !xennet_ring_attach_ok(*(volatile RING_IDX *)&nq->rxs->req_prod,
			rx_rsp, XENNET_RX_RING_SIZE)) {
		XN_LOG(ERR, "%s: queue %u: frontend rings hold more requests "
			"than slots", p->name, nq->idx);
		return -EINVAL;
	}
	nq->tx.be.req_cons = nq->tx.be.rsp_prod_pvt = tx_rsp;
	nq->rx.be.req_cons = nq->rx.be.rsp_prod_pvt = rx_rsp;
	port = xennet_evtchn_bind(nq->evh, d->peer_domid, qd->evtchn_tx);
	if (port < 0)
		return -EIO;
	nq->port_tx = nq->port_rx = port;
	if (d->split) {
		port = xennet_evtchn_bind(nq->evh, d->peer_domid,
			qd->evtchn_rx);
		if (port < 0)
			return -EIO;
		nq->port_rx = port;
	}
	return 0;
}

/* Grant rings and buffers, post every RX buffer, allocate the ports the
 * control plane then publishes.
 */
static int
xennet_front_nq_open(struct xennet_port *p, struct xennet_conn_desc *d,
	struct xennet_nq *nq)
{
	struct xennet_qdesc *qd = &d->q[nq->idx];
	struct xennet_xen *x = xennet_xen_get();
	uint32_t i, nr_rx = d->nr_rx_bufs;
	int port;

	port = xennet_evtchn_bind_unbound(nq->evh, d->peer_domid);
	if (port < 0)
		return -EIO;
	nq->port_tx = nq->port_rx = port;
	if (d->split) {
		port = xennet_evtchn_bind_unbound(nq->evh, d->peer_domid);
		if (port < 0)
			return -EIO;
		nq->port_rx = port;
	}
	qd->evtchn_tx = nq->port_tx;
	qd->evtchn_rx = nq->port_rx;
	/* gntalloc tells a backend that this process died through the TX
	 * ring of queue 0, see XENNET_ALIVE_OFF.
	 */
	if (nq->idx == 0)
		nq->txs = xennet_gnt_share_notify(x, d->peer_domid,
			&qd->tx_ref, XENNET_ALIVE_OFF, nq->port_tx);
	else
		nq->txs = xennet_gnt_share(x, d->peer_domid, 1, &qd->tx_ref,
			true);
	nq->rxs = xennet_gnt_share(x, d->peer_domid, 1, &qd->rx_ref, true);
	if (nq->txs == NULL || nq->rxs == NULL)
		return -ENOMEM;
	memset(nq->txs, 0, XENNET_PAGE_SIZE);
	memset(nq->rxs, 0, XENNET_PAGE_SIZE);
	SHARED_RING_INIT(nq->txs);
	SHARED_RING_INIT(nq->rxs);
	if (nq->idx == 0)
		nq->txs->__pad[0] = 1;

	/* The backend only reads TX buffers: grant them read-only, as
	 * netfront does.
	 */
	nq->tx_buf_size = d->tx_buf_size;
	if (xennet_pool_grant(p, &nq->txbuf, d->peer_domid,
			xennet_tx_buf_pages(d->nr_tx_bufs, d->tx_buf_size),
			false) != 0 ||
	    xennet_pool_grant(p, &nq->rxbuf, d->peer_domid, nr_rx,
			true) != 0)
		return -ENOMEM;
	for (i = 0; i < d->nr_tx_bufs; i++)
		nq->tx_free[i] = d->nr_tx_bufs - 1 - i;
	nq->nr_tx_free = d->nr_tx_bufs;
	for (i = 0; i < nr_rx; i++) {
		nq->rx_slot_page[i] = i;
		nq->rxs->ring[i].req.id = i;
		nq->rxs->ring[i].req.gref = nq->rxbuf.grefs[i];
	}
	nq->rx.fe.req_prod_pvt = nr_rx;
	rte_smp_wmb();
	nq->rxs->req_prod = nr_rx;
	return 0;
}

int
xennet_conn_open(struct xennet_port *p, struct xennet_conn_desc *d,
	struct xennet_conn **out)
{
	struct xennet_conn *c;
	uint16_t i;
	int ret = 0;

	c = rte_zmalloc(p->name, sizeof(*c), 0);
	if (c == NULL)
		return -ENOMEM;
	c->port = p;
	for (i = 0; i < d->nr_queues && ret == 0; i++) {
		c->nq[i] = xennet_nq_alloc(p, d, i);
		if (c->nq[i] == NULL)
			ret = -ENOMEM;
		else if (p->role == XENNET_ROLE_BACKEND)
			ret = xennet_back_nq_open(p, d, c->nq[i]);
		else
			ret = xennet_front_nq_open(p, d, c->nq[i]);
	}
	c->d = *d;
	if (ret != 0) {
		xennet_conn_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void
xennet_conn_close(struct xennet_conn *c)
{
	uint16_t i;

	if (c == NULL)
		return;
	for (i = 0; i < RTE_DIM(c->nq); i++)
		xennet_nq_free(c->port, c->nq[i]);
	rte_free(c);
}

/* One event on each channel, for a peer that may wait for one (a new
 * backend taking over, a frontend that just posted its buffers).
 */
void
xennet_conn_notify(struct xennet_conn *c)
{
	struct xennet_nq *nq;
	uint16_t i;

	for (i = 0; i < c->d.nr_queues; i++) {
		nq = c->nq[i];
		xennet_evtchn_notify(nq->evh, nq->port_tx);
		if (nq->port_rx != nq->port_tx)
			xennet_evtchn_notify(nq->evh, nq->port_rx);
	}
}

bool
xennet_conn_peer_alive(const struct xennet_conn *c)
{
	if (!c->d.alive_byte)
		return true;
	return *(volatile uint8_t *)((uint8_t *)c->nq[0]->txs +
		XENNET_ALIVE_OFF) != 0;
}

/* Attach @nq to @q (NULL: detach and wait for the burst to leave). */
static void
xennet_queue_set(struct xennet_queue *q, struct xennet_nq *nq,
	rte_spinlock_t *lock)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (q == NULL)
		return;
	if (nq != NULL)
		q->lock = lock;	/* before a burst can see @nq */
	__atomic_store_n(&q->nq, nq, __ATOMIC_SEQ_CST);
	while (nq == NULL && __atomic_load_n(&q->in_burst, __ATOMIC_SEQ_CST))
		rte_pause();
	if (q->intr_fd < 0 || q->intr_nq == nq)
		return;
	if (q->intr_nq != NULL)
		epoll_ctl(q->intr_fd, EPOLL_CTL_DEL,
			xennet_evtchn_fd(q->intr_nq->evh), NULL);
	q->intr_nq = nq;
	if (nq != NULL) {
		epoll_ctl(q->intr_fd, EPOLL_CTL_ADD,
			xennet_evtchn_fd(nq->evh), &ev);
		/* A sleeping application re-arms against the new rings. */
		xennet_eventfd_kick(q->kick_fd);
	}
}

/*
 * Ethdev Rx queue k polls queue pair k (none beyond the pairs negotiated:
 * a ring polled by two queues would reorder a flow). Tx queue k sends on
 * pair k % n, so an application that uses more queues than were
 * negotiated reaches the guest from every one; Tx queues that share a
 * ring take its lock.
 */
void
xennet_conn_attach(struct xennet_port *p, struct xennet_conn *c)
{
	struct rte_eth_dev_data *d = p->dev->data;
	bool back = p->role == XENNET_ROLE_BACKEND;
	uint16_t i, n = c != NULL ? c->d.nr_queues : 0;
	struct xennet_nq *nq;

	for (i = 0; i < d->nb_rx_queues; i++)
		xennet_queue_set(d->rx_queues[i], i < n ? c->nq[i] : NULL,
			NULL);
	for (i = 0; i < d->nb_tx_queues; i++) {
		nq = n != 0 ? c->nq[i % n] : NULL;
		xennet_queue_set(d->tx_queues[i], nq,
			nq == NULL || d->nb_tx_queues <= n ? NULL :
			back ? &nq->rx_lock : &nq->tx_lock);
	}
}

/* Rx interrupts -------------------------------------------------------- */

int
xennet_queue_intr_enable(struct xennet_queue *q)
{
	struct xennet_nq *nq = xennet_q_enter(q);
	bool work;

	xennet_eventfd_drain(q->kick_fd);
	q->intr_armed = true;
	if (nq == NULL)
		return 0;	/* attaching a connection kicks */
	xennet_evtchn_ack(nq->evh);
	/* RING_FINAL_CHECK_FOR_{REQUESTS,RESPONSES}: ask for an event on
	 * the next entry, then look again, so none is missed.
	 */
	if (q->port->role == XENNET_ROLE_BACKEND) {
		nq->txs->req_event = nq->tx.be.req_cons + 1;
		rte_mb();
		work = nq->txs->req_prod != nq->tx.be.req_cons;
	} else {
		nq->rxs->rsp_event = nq->rx.fe.rsp_cons + 1;
		rte_mb();
		work = nq->rxs->rsp_prod != nq->rx.fe.rsp_cons;
	}
	xennet_q_leave(q);
	if (work) {
		q->st.wakeups++;
		xennet_eventfd_kick(q->kick_fd);
	}
	return 0;
}

/* Polling again: the peer's event index stays where it was, already
 * behind, so a polling application is not notified.
 */
int
xennet_queue_intr_disable(struct xennet_queue *q)
{
	q->intr_armed = false;
	return 0;
}
