/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#ifndef _XENNET_H_
#define _XENNET_H_

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "xennet_log.h"
#include "xennet_ring.h"
#include "xennet_xen.h"

#define XENNET_MAX_QUEUES 1
#define XENNET_BURST_MAX 64
#define XENNET_NAME_MAX 64
/* Frontend TX buffers: two per granted page, each holds a 1514-byte frame. */
#define XENNET_TX_BUF_SIZE 2048u
#define XENNET_TX_BUFS_PER_PAGE (XENNET_PAGE_SIZE / XENNET_TX_BUF_SIZE)
#define XENNET_TX_BUF_PAGES (XENNET_TX_RING_SIZE / XENNET_TX_BUFS_PER_PAGE)
/* Linux netfront keeps at least this many RX requests posted. */
#define XENNET_RX_BUFS_MIN (XEN_NETIF_NR_SLOTS_MIN + 1)
#define XENNET_MTU_DEFAULT 1500u
#define XENNET_FRAME_MAX (XENNET_MTU_DEFAULT + RTE_ETHER_HDR_LEN)

enum xennet_role {
	XENNET_ROLE_FRONTEND,
	XENNET_ROLE_BACKEND,
};

/* Datapath counters of one queue; each touched by one lcore only. */
struct xennet_qstats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t errors;	/* frames dropped as malformed or undeliverable */
	uint64_t nombuf;	/* mbuf allocation failures */
	uint64_t ring_full;	/* frames not accepted: no free slot */
	uint64_t peer_errors;	/* frames the peer answered with an error */
	uint64_t copy_calls;	/* grant-copy calls */
	uint64_t copy_segs;	/* grant-copy segments */
	uint64_t copy_errors;	/* segments that failed */
	uint64_t notify;	/* event channel notifications sent */
	uint64_t reason[XENNET_R_MAX];
};

/* Frontend: pages granted once per connection, reused for every frame. */
struct xennet_pool {
	uint8_t *pages;
	uint32_t *grefs;
	uint32_t nr_pages;
};

/*
 * One netif queue pair while connected. Fields used by the ethdev Rx burst
 * and by the Tx burst sit on separate cache lines: two lcores may run
 * them at once.
 */
struct xennet_nq {
	struct xennet_port *port;
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	uint32_t evtchn;		/* local port */
	uint32_t peer_domid;
	bool peer_sg;			/* peer takes multi-slot frames */
	bool peer_alive_byte;		/* backend: XENNET_ALIVE_OFF is kept */

	/* backend: guest TX ring, used by eth Rx; frontend: by eth Tx */
	RING_IDX tx_req;		/* be: req_cons; fe: req_prod_pvt */
	RING_IDX tx_rsp;		/* be: rsp_prod_pvt; fe: rsp_cons */
	struct xennet_pool txbuf;	/* frontend */
	uint16_t tx_free[XENNET_TX_RING_SIZE];
	uint16_t nr_tx_free;
	uint8_t tx_active[XENNET_TX_RING_SIZE];

	/* backend: guest RX ring, used by eth Tx; frontend: by eth Rx */
	RING_IDX rx_req __rte_cache_aligned; /* be: req_cons; fe: req_prod_pvt */
	RING_IDX rx_rsp;		/* be: rsp_prod_pvt; fe: rsp_cons */
	struct xennet_pool rxbuf;	/* frontend */
	uint16_t rx_slot_page[XENNET_RX_RING_SIZE];
};

struct xennet_queue {
	struct xennet_port *port;
	struct rte_mempool *mp;		/* Rx queues */
	uint16_t qid;
	uint16_t nb_desc;
	/* Connection handover with the control thread, see xennet_q_enter */
	struct xennet_nq *nq;
	uint32_t in_burst;
	struct xennet_qstats st;
	/* backend scratch for one burst */
	xennet_copy_seg_t *segs;
	uint16_t *seg_slot;		/* eth Tx: ring slot of each segment */
	uint32_t seg_cap;
	uint32_t seg_per_slot;		/* eth Rx: pieces one slot may need */
	struct xennet_tx_frame *frames;
};

struct xennet_port {
	struct rte_eth_dev *dev;
	enum xennet_role role;
	char name[RTE_ETH_NAME_MAX_LEN];
	/* devargs */
	char domain[XENNET_NAME_MAX];	/* backend: guest name, or "" */
	long domid_arg;			/* backend: guest domid, or -1 */
	unsigned int devid;
	struct rte_ether_addr mac;
	bool mac_set;

	struct xennet_xen xen;

	/* control thread */
	pthread_t ctl_tid;
	bool ctl_running;
	int ctl_kick;			/* eventfd waking the control thread */
	pthread_mutex_t lock;		/* serialises control vs dev_ops */
	bool started;
	bool closing;
	uint32_t fatal;			/* reason, set by the datapath */
	bool disabled;			/* stopped after a fatal error */
	bool refused;			/* frontend: gave up on this backend */
	bool peer_died;			/* backend: frontend process is gone */

	/* xenstore view of the device; paths relative to our domain */
	long peer_domid;		/* -1 while no vif is bound */
	char fe_path[128];
	char be_path[128];
	int state;			/* our XenbusState */
	int peer_state;
	bool watching;

	struct xennet_nq *nq[XENNET_MAX_QUEUES];
	unsigned int nr_nq;

	/* control-path counters */
	uint64_t connects;
	uint64_t disconnects;
	uint64_t fatal_errors;
	uint64_t bad_xenstore;
};

/* Walks an mbuf chain while data is copied in or out of it. */
struct xennet_mbuf_cursor {
	struct rte_mbuf *m;
	uint32_t off;
};

static inline void
xennet_cursor_init(struct xennet_mbuf_cursor *c, struct rte_mbuf *m)
{
	c->m = m;
	c->off = 0;
}

/* Bytes that can move at the cursor in one piece, at most @want. */
static inline uint32_t
xennet_cursor_span(struct xennet_mbuf_cursor *c, uint32_t want)
{
	while (c->off == c->m->data_len && c->m->next != NULL) {
		c->m = c->m->next;
		c->off = 0;
	}
	return RTE_MIN(want, (uint32_t)c->m->data_len - c->off);
}

static inline void *
xennet_cursor_ptr(const struct xennet_mbuf_cursor *c)
{
	return rte_pktmbuf_mtod_offset(c->m, void *, c->off);
}

static inline void
xennet_cursor_advance(struct xennet_mbuf_cursor *c, uint32_t n)
{
	c->off += n;
}

/* An mbuf chain with room for @len bytes, lengths already set. */
struct rte_mbuf *xennet_mbuf_alloc_chain(struct rte_mempool *mp,
	uint32_t len);

/* datapath (xennet_back.c, xennet_front.c) */
uint16_t xennet_back_rx(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t xennet_back_tx(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t xennet_front_rx(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t xennet_front_tx(void *q, struct rte_mbuf **pkts, uint16_t n);

/* connection setup and teardown, called from the control thread */
struct xennet_nq *xennet_nq_alloc(struct xennet_port *p);
int xennet_back_connect(struct xennet_port *p);
void xennet_back_release(struct xennet_port *p, struct xennet_nq *nq);
int xennet_front_connect(struct xennet_port *p);
void xennet_front_release(struct xennet_port *p, struct xennet_nq *nq);
void xennet_disconnect(struct xennet_port *p);

/* xenstore state machine (xennet_xs.c) */
int xennet_ctl_start(struct xennet_port *p);
void xennet_ctl_stop(struct xennet_port *p);
void xennet_ctl_kick(struct xennet_port *p);
void xennet_set_link(struct xennet_port *p, bool up);

/* Datapath side of the connection handover, a Dekker-style pair with
 * xennet_queues_set(): the control thread clears q->nq, then waits until no
 * burst is inside.
 */
static inline struct xennet_nq *
xennet_q_enter(struct xennet_queue *q)
{
	struct xennet_nq *nq;

	__atomic_store_n(&q->in_burst, 1, __ATOMIC_SEQ_CST);
	nq = __atomic_load_n(&q->nq, __ATOMIC_SEQ_CST);
	if (nq == NULL)
		__atomic_store_n(&q->in_burst, 0, __ATOMIC_RELEASE);
	return nq;
}

static inline void
xennet_q_leave(struct xennet_queue *q)
{
	__atomic_store_n(&q->in_burst, 0, __ATOMIC_RELEASE);
}

/* The peer broke the protocol: stop the queue until it reconnects. */
void xennet_fatal(struct xennet_queue *q, enum xennet_reason r);

/* Push produced entries and say whether the peer asked for an event,
 * RING_PUSH_{REQUESTS,RESPONSES}_AND_CHECK_NOTIFY on private indices.
 */
static inline bool
xennet_push(RING_IDX *shared_prod, const RING_IDX *shared_event, RING_IDX new)
{
	RING_IDX old = *(volatile RING_IDX *)shared_prod;

	if (old == new)
		return false;
	rte_smp_wmb();
	*(volatile RING_IDX *)shared_prod = new;
	rte_mb();
	return (RING_IDX)(new - *(volatile const RING_IDX *)shared_event) <
		(RING_IDX)(new - old);
}

#endif /* _XENNET_H_ */
