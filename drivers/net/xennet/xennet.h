/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#ifndef _XENNET_H_
#define _XENNET_H_

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_spinlock.h>
#include <rte_tcp.h>

#include "xennet_log.h"
#include "xennet_ring.h"
#include "xennet_xen.h"

/* Queue pairs per vif, as Linux's default cap (min(8, CPUs)). */
#define XENNET_MAX_QUEUES 8
#define XENNET_BURST_MAX 64
#define XENNET_NAME_MAX 64
/* Frontend TX buffers, one per slot: two per granted page while a frame
 * fits one, whole pages for jumbo MTUs so 64 KiB frames fit in 16 slots.
 */
#define XENNET_TX_BUF_SIZE 2048u
#define XENNET_TX_BUFS_PER_PAGE (XENNET_PAGE_SIZE / XENNET_TX_BUF_SIZE)
/* Linux netfront keeps at least this many RX requests posted. */
#define XENNET_RX_BUFS_MIN (XEN_NETIF_NR_SLOTS_MIN + 1)
#define XENNET_MTU_DEFAULT 1500u
/* With feature-sg a frame may be as long as a TX request says. */
#define XENNET_FRAME_MAX ((uint32_t)XEN_NETIF_MAX_TX_SIZE)
#define XENNET_MTU_MAX (XENNET_FRAME_MAX - RTE_ETHER_HDR_LEN)
/* Longest frame received for an MTU: header and one VLAN tag on top. */
#define XENNET_MTU_FRAME(mtu) \
	RTE_MIN((uint32_t)(mtu) + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN, \
		XENNET_FRAME_MAX)
/* Descriptor counts are a hint (as for vhost and virtio-user): anything
 * up to this is accepted and clamped to what a ring holds.
 */
#define XENNET_DESC_MAX 4096
/* gntalloc's default per-domain limit of granted pages */
#define XENNET_GNTALLOC_LIMIT 1024u

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
	uint64_t wakeups;	/* Rx interrupts armed with work already there */
	uint64_t csum_partial;	/* frames with a partial checksum, either way */
	uint64_t csum_completed; /* checksums computed here */
	uint64_t gso;		/* GSO frames (TSO / LRO), either way */
	uint64_t gso_sw;	/* TSO frames segmented here */
	uint64_t reason[XENNET_R_MAX];
};

/* Frontend: pages granted once per connection, reused for every frame. */
struct xennet_pool {
	uint8_t *pages;
	uint32_t *grefs;
	uint32_t nr_pages;
};

/* What the control plane negotiated for one queue pair. Event channel
 * ports are the peer's (backend) or our own (frontend); tx == rx unless
 * split.
 */
struct xennet_qdesc {
	uint32_t tx_ref;
	uint32_t rx_ref;
	uint32_t evtchn_tx;
	uint32_t evtchn_rx;
};

/* A connection as negotiated in xenstore: all the datapath needs. */
struct xennet_conn_desc {
	uint32_t peer_domid;
	uint16_t nr_queues;
	bool split;		/* separate TX and RX event channels */
	bool peer_sg;		/* peer takes multi-slot frames */
	bool peer_csum;		/* peer takes partial IPv4 TCP/UDP checksums */
	bool peer_csum6;	/* and IPv6 ones */
	bool peer_gso4;		/* peer takes TCPv4 GSO frames */
	bool peer_gso6;		/* and TCPv6 ones */
	bool alive_byte;	/* backend: frontend keeps XENNET_ALIVE_OFF */
	uint16_t nr_tx_bufs;	/* frontend: TX buffers (and in-flight cap) */
	uint16_t nr_rx_bufs;	/* frontend: RX buffers posted */
	uint16_t tx_buf_size;	/* frontend: bytes per TX buffer (slot) */
	struct xennet_qdesc q[XENNET_MAX_QUEUES];
};

/* The two indices each end keeps privately for a ring. */
struct xennet_back_idx {
	RING_IDX req_cons;
	RING_IDX rsp_prod_pvt;
};

struct xennet_front_idx {
	RING_IDX req_prod_pvt;
	RING_IDX rsp_cons;
};

/*
 * One netif queue pair of a connection. Each ring is driven by one lcore
 * (the guest TX ring by backend eth Rx or frontend eth Tx, the RX ring by
 * the other burst), so each ring's private state has its own cache line;
 * the first line is written only at setup.
 */
struct xennet_nq {
	struct xennet_port *port;
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	xenevtchn_handle *evh;		/* its fd wakes Rx interrupts */
	uint32_t port_tx;		/* local event channel ports */
	uint32_t port_rx;
	uint32_t peer_domid;
	uint16_t idx;
	uint16_t tx_buf_size;		/* frontend */
	bool peer_sg;
	bool peer_csum;
	bool peer_csum6;
	bool peer_gso4;
	bool peer_gso6;

	/* guest TX ring: backend eth Rx, frontend eth Tx */
	union {
		struct xennet_back_idx be;
		struct xennet_front_idx fe;
	} tx __rte_cache_aligned;
	rte_spinlock_t tx_lock;		/* when Tx queues share the ring */
	struct xennet_pool txbuf;	/* frontend */
	uint16_t nr_tx_free;
	uint16_t tx_free[XENNET_TX_RING_SIZE];
	uint8_t tx_active[XENNET_TX_RING_SIZE];
	bool tx_want_null;		/* frontend: see xennet_tx_reap */

	/* guest RX ring: backend eth Tx, frontend eth Rx */
	union {
		struct xennet_back_idx be;
		struct xennet_front_idx fe;
	} rx __rte_cache_aligned;
	rte_spinlock_t rx_lock;
	struct xennet_pool rxbuf;	/* frontend */
	uint16_t rx_slot_page[XENNET_RX_RING_SIZE];
};

/* A live connection: queue pairs, grants, mappings and event channels. */
struct xennet_conn {
	struct xennet_port *port;
	struct xennet_conn_desc d;
	struct xennet_nq *nq[XENNET_MAX_QUEUES];
};

struct xennet_queue {
	struct xennet_port *port;
	struct rte_mempool *mp;		/* Rx queues */
	uint16_t qid;
	uint16_t nb_desc;
	uint16_t port_id;
	uint32_t max_rx_len;		/* Rx queues: longer frames dropped */
	bool rx_csum;			/* Rx queues: L4 checksum offload on */
	bool rx_lro;			/* Rx queues: GSO frames taken (LRO) */
	/* Connection handover with the control plane, see xennet_q_enter */
	struct xennet_nq *nq;
	uint32_t in_burst;
	/* Fewer queue pairs than Tx queues: Tx queue k uses pair k % n, and
	 * the queues that share a ring take its lock.
	 */
	rte_spinlock_t *lock;
	/* Rx interrupt: an epoll set holding the event channel fd of the
	 * attached queue pair and @kick_fd, so the fd the application waits
	 * on outlives reconnections.
	 */
	int intr_fd;			/* -1: Tx queue, or no interrupts */
	int kick_fd;
	struct xennet_nq *intr_nq;	/* whose fd is in the set */
	bool intr_armed;
	struct xennet_qstats st;
	/* backend scratch for one burst */
	xennet_copy_seg_t *segs;
	uint16_t *seg_slot;		/* eth Tx: ring slot of each segment */
	uint32_t seg_cap;
	uint32_t seg_per_slot;		/* eth Rx: pieces one slot may need */
	struct xennet_tx_frame *frames;
	/* Tx queues with TSO enabled: segmentation for peers without GSO */
	struct rte_gso_ctx gso_ctx;
};

struct xennet_port {
	struct rte_eth_dev *dev;
	TAILQ_ENTRY(xennet_port) next;	/* in the control plane's list */
	enum xennet_role role;
	char name[RTE_ETH_NAME_MAX_LEN];
	/* devargs */
	char domain[XENNET_NAME_MAX];	/* backend: guest name, or "" */
	long domid_arg;			/* backend: guest domid, or -1 */
	unsigned int devid;
	unsigned int max_queues;	/* backend: cap on queues offered */
	struct rte_ether_addr mac;
	bool mac_set;
	bool hotplugged;		/* created by a hotplug vdev */

	/* All below is the control plane's, under its lock. */
	bool active;			/* started once: take part in xenbus */
	bool started;			/* ethdev queues attached */
	bool dirty;			/* reconcile on the next pass */
	bool closing;
	uint32_t fatal;			/* reason, set by the datapath */
	int kick_fd;			/* wakes the control plane */
	bool disabled;			/* stopped after a fatal error */
	bool refused;			/* gave up until the peer changes state */
	char refused_state[16];		/* peer state when we gave up */
	char bad_state[16];		/* invalid peer state already counted */
	bool peer_died;			/* backend: frontend process is gone */
	bool reconnect;			/* frontend: new config, reconnect */
	bool lsc_pending;		/* link changed: callbacks to run */
	bool rmv_pending;		/* hotplugged: the vif went away */
	int claim_fd;			/* flock held while serving the vif */
	bool claim_logged;
	bool wait_logged;		/* said that no vif is there yet */
	bool foreign_logged;		/* said another backend serves it */

	/* xenstore view of the device; paths relative to our domain */
	long peer_domid;		/* -1 while no vif is bound */
	char fe_path[128];
	char be_path[128];
	int state;			/* our XenbusState */
	int peer_state;
	bool watching;

	struct xennet_conn *conn;
	uint16_t want_queues;		/* ethdev queue pairs configured */
	uint16_t want_rx_bufs;		/* frontend: from rx nb_desc */
	uint16_t want_tx_bufs;		/* frontend: from tx nb_desc */
	uint16_t want_tx_buf_size;	/* frontend: from the MTU */
	uint16_t mtu;			/* the port's, for the mtu key */
	uint16_t published_mtu;		/* backend: in its mtu key */
	uint16_t conn_queues_asked;	/* frontend: want_queues at connect */
	bool rx_csum;			/* Rx L4 checksum offload enabled */
	bool conn_rx_csum;		/* frontend: rx_csum at connect */
	bool rx_lro;			/* Rx TCP LRO enabled: offer GSO */
	bool conn_rx_lro;		/* frontend: rx_lro at connect */
	bool published_lro;		/* backend: in feature-gso-* */
	bool admin_down;		/* rte_eth_dev_set_link_down() */
	bool published_down;		/* backend: carrier key says down */
	uint16_t published_queues;	/* backend: multi-queue-max-queues */

	/* control-path counters */
	uint64_t connects;
	uint64_t disconnects;
	uint64_t fatal_errors;
	uint64_t bad_xenstore;
};

/*
 * Checksum offload of a frame to send: the ring flags (@blank, on their
 * own bits in each ring) that hand its partial checksum to the peer, or
 * 0 once it is completed here for a peer that cannot take it.
 */
static inline uint16_t
xennet_tx_csum(struct xennet_queue *q, const struct xennet_nq *nq,
	struct rte_mbuf *m, uint16_t blank)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;

	if (likely(l4 != RTE_MBUF_F_TX_TCP_CKSUM &&
		   l4 != RTE_MBUF_F_TX_UDP_CKSUM))
		return 0;
	if (m->ol_flags & RTE_MBUF_F_TX_IPV6 ? nq->peer_csum6 :
	    nq->peer_csum) {
		q->st.csum_partial++;
		return blank;
	}
	if (xennet_csum_complete(m))
		q->st.csum_completed++;
	return 0;
}

/*
 * Whether to send @m as a GSO frame: a TSO one (RTE_MBUF_F_TX_TCP_SEG),
 * or one that came in as GSO (RTE_MBUF_F_RX_LRO, from a xennet port) and
 * that an application forwards unchanged, when the peer takes GSO: so a
 * guest's large frames cross a DPDK switch whole. The latter gets the
 * TSO fields from its headers; without GSO at the peer it goes as one
 * large frame, as before.
 */
static inline bool
xennet_tx_is_gso(const struct xennet_nq *nq, struct rte_mbuf *m)
{
	struct rte_net_hdr_lens hl;
	uint32_t pt;

	if (likely(!(m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG |
				    RTE_MBUF_F_RX_LRO))))
		return false;
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		return true;
	if (m->tso_segsz == 0 || !(nq->peer_gso4 || nq->peer_gso6))
		return false;
	pt = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
		RTE_PTYPE_L4_MASK);
	if ((pt & RTE_PTYPE_L4_MASK) != RTE_PTYPE_L4_TCP ||
	    !(RTE_ETH_IS_IPV4_HDR(pt) ? nq->peer_gso4 : nq->peer_gso6))
		return false;
	m->l2_len = hl.l2_len;
	m->l3_len = hl.l3_len;
	m->l4_len = hl.l4_len;
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | (RTE_ETH_IS_IPV4_HDR(pt) ?
		RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
	return true;
}

/*
 * Put in @m's TCP checksum field (headers at l2_len, l3_len; IPv4 or
 * RTE_MBUF_F_TX_IPV6) the pseudo-header sum with the length included: a
 * partial checksum as Linux and DPDK's checksum offload both take it.
 */
static inline void
xennet_tcp_phdr_set(struct rte_mbuf *m)
{
	void *ip = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	uint16_t sum = m->ol_flags & RTE_MBUF_F_TX_IPV6 ?
		rte_ipv6_phdr_cksum(ip, 0) : rte_ipv4_phdr_cksum(ip, 0);

	memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len + m->l3_len +
		offsetof(struct rte_tcp_hdr, cksum)), &sum, sizeof(sum));
}

/*
 * A TSO frame (RTE_MBUF_F_TX_TCP_SEG) for a peer that negotiated GSO of
 * its type (xennet_tx_is_gso, xennet_tx_needs_sw_gso): false, counted and
 * logged, if it has no segment size or its headers are not in the first
 * segment; the caller drops it. Else @e is
 * the GSO extra to send with it, and the TCP checksum field holds the
 * pseudo-header sum over the whole frame, length included: Linux's
 * CHECKSUM_PARTIAL, from which a Linux peer segments it (DPDK's TSO
 * convention leaves the length out).
 */
static inline bool
xennet_tx_gso(struct xennet_queue *q, struct rte_mbuf *m,
	struct netif_extra_info *e)
{
	bool v6 = m->ol_flags & RTE_MBUF_F_TX_IPV6;

	if (unlikely(m->tso_segsz == 0 || m->data_len < m->l2_len +
		     m->l3_len + sizeof(struct rte_tcp_hdr))) {
		q->st.errors++;
		q->st.reason[XENNET_R_GSO_UNSUPPORTED]++;
		XN_LOG_RL(WARNING, "%s: dropping a TSO frame without a segment "
			"size or with headers past its first segment",
			q->port->name);
		return false;
	}
	xennet_tcp_phdr_set(m);
	memset(e, 0, sizeof(*e));
	e->type = XEN_NETIF_EXTRA_TYPE_GSO;
	e->u.gso.size = m->tso_segsz;
	e->u.gso.type = v6 ? XEN_NETIF_GSO_TYPE_TCPV6 :
		XEN_NETIF_GSO_TYPE_TCPV4;
	q->st.gso++;
	return true;
}

/* A received GSO frame, as DPDK marks coalesced ones. */
static inline void
xennet_rx_gso(struct xennet_queue *q, struct rte_mbuf *m,
	const struct netif_extra_info *e)
{
	m->ol_flags |= RTE_MBUF_F_RX_LRO;
	m->tso_segsz = e->u.gso.size;
	q->st.gso++;
}

/*
 * A received frame's checksum: one its sender left partial (csum_blank)
 * is completed, so every consumer sees a valid frame; false if it cannot
 * be, and the frame is dropped, as Linux's checksum setup drops it.
 */
static inline bool
xennet_rx_csum(struct xennet_queue *q, struct rte_mbuf *m, bool blank,
	bool validated)
{
	if (blank) {
		q->st.csum_partial++;
		if (unlikely(!xennet_csum_complete(m)))
			return false;
		q->st.csum_completed++;
		validated = true;
	}
	if (validated && q->rx_csum)
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return true;
}

#define XENNET_GSO_BIT (1u << XEN_NETIF_EXTRA_TYPE_GSO)
/* Segments a TSO frame may be cut into here: 64 KiB of MSS 536 */
#define XENNET_GSO_SEGS_MAX 128
/* Tx queue mbufs for them (headers, payload references) */
#define XENNET_GSO_POOL (4 * XENNET_GSO_SEGS_MAX - 1)
#define XENNET_GSO_HDR_MAX 256

/* What became of a frame an eth Tx burst offered the ring. */
enum xennet_put {
	XENNET_PUT_OK,		/* on the ring */
	XENNET_PUT_DROP,	/* dropped and counted */
	XENNET_PUT_FULL,	/* no room: the application keeps it */
	XENNET_PUT_LATER,	/* for the next burst (scratch space) */
};

/* A TSO frame whose peer did not negotiate GSO of its type. */
static inline bool
xennet_tx_needs_sw_gso(const struct xennet_nq *nq, const struct rte_mbuf *m)
{
	if (likely(!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)))
		return false;
	return !(m->ol_flags & RTE_MBUF_F_TX_IPV6 ? nq->peer_gso6 :
		 nq->peer_gso4);
}

/* Slots of @slot_size bytes that the segments of TSO frame @m take. */
static inline unsigned int
xennet_gso_slots(const struct rte_mbuf *m, uint32_t slot_size)
{
	uint32_t hdr = m->l2_len + m->l3_len + m->l4_len;
	uint32_t mss = m->tso_segsz != 0 ? m->tso_segsz : 1;
	uint32_t nseg = (m->pkt_len - RTE_MIN(hdr, m->pkt_len) + mss - 1) /
		mss;

	return RTE_MAX(nseg, 1u) * ((hdr + mss + slot_size - 1) / slot_size);
}

/* Frontend: granted pages that hold @n TX buffers of @size bytes. */
static inline unsigned int
xennet_tx_buf_pages(unsigned int n, unsigned int size)
{
	return RTE_ALIGN_CEIL(n, XENNET_PAGE_SIZE / size) /
		(XENNET_PAGE_SIZE / size);
}

/* Signal eventfd @fd; a counter that is already up wakes its reader. */
static inline void
xennet_eventfd_kick(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one));

	RTE_SET_USED(r);
}

/* Reset eventfd @fd (non-blocking: nothing to read is fine). */
static inline void
xennet_eventfd_drain(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof(v));

	RTE_SET_USED(r);
}

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

/* The peer broke the protocol: stop the queue until it reconnects. */
void xennet_fatal(struct xennet_queue *q, enum xennet_reason r);
int xennet_gso_segment(struct xennet_queue *q, struct rte_mbuf *m,
	struct rte_mbuf **segs);

/* datapath (xennet_back.c, xennet_front.c) */
uint16_t xennet_back_rx(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t xennet_back_tx(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t xennet_front_rx(void *q, struct rte_mbuf **pkts, uint16_t n);
uint16_t xennet_front_tx(void *q, struct rte_mbuf **pkts, uint16_t n);
int xennet_front_tx_done_cleanup(void *q, uint32_t free_cnt);

/* connections (xennet_conn.c): built from a description, no xenstore */
int xennet_conn_open(struct xennet_port *p, struct xennet_conn_desc *d,
	struct xennet_conn **out);
void xennet_conn_close(struct xennet_conn *c);
void xennet_conn_notify(struct xennet_conn *c);
/* Give each ethdev queue its queue pair (NULL: take them back, waiting
 * until no burst uses them).
 */
void xennet_conn_attach(struct xennet_port *p, struct xennet_conn *c);
bool xennet_conn_peer_alive(const struct xennet_conn *c);
int xennet_queue_intr_enable(struct xennet_queue *q);
int xennet_queue_intr_disable(struct xennet_queue *q);

/*
 * A hotplug vdev (role=backend,hotplug=1): no port of its own; it creates
 * a vdev, and so a port, for each vif addressed to this domain whose
 * guest name matches @match.
 */
struct xennet_hotplug {
	TAILQ_ENTRY(xennet_hotplug) next;
	char name[RTE_DEV_NAME_MAX_LEN];	/* the vdev's */
	char match[XENNET_NAME_MAX];		/* fnmatch(3) pattern */
	unsigned int max_queues;
	bool dirty;
	/* vifs seen ("<domid>/<devid>"), so a scan reads only new ones */
	char **seen;
	unsigned int nr_seen;
};

/* control plane (xennet_xs.c): one per process */
int xennet_hotplug_register(struct xennet_hotplug *h);
void xennet_hotplug_unregister(struct xennet_hotplug *h);
struct xennet_hotplug *xennet_hotplug_find(const char *name);
int xennet_ctl_register(struct xennet_port *p);
void xennet_ctl_unregister(struct xennet_port *p);
void xennet_ctl_lock(void);
void xennet_ctl_unlock(void);
void xennet_ctl_kick(void);
void xennet_ctl_port_changed(struct xennet_port *p);
int xennet_claim(struct xennet_port *p, const char *what);
void xennet_unclaim(struct xennet_port *p);
/* Frontend: read the vif's MAC and claim it, at probe. */
int xennet_front_probe(struct xennet_port *p);
/* Frontend: whether the configured queues fit gntalloc's page limit. */
int xennet_front_budget(struct xennet_port *p);

/* Datapath side of the connection handover, a Dekker-style pair with
 * xennet_conn_attach(): the control plane clears q->nq, then waits until no
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
	else if (unlikely(q->lock != NULL))
		rte_spinlock_lock(q->lock);
	return nq;
}

static inline void
xennet_q_leave(struct xennet_queue *q)
{
	if (unlikely(q->lock != NULL))
		rte_spinlock_unlock(q->lock);
	__atomic_store_n(&q->in_burst, 0, __ATOMIC_RELEASE);
}

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

/* Push and notify the peer's @port if it asked for an event; counted. */
static inline void
xennet_push_notify(struct xennet_queue *q, struct xennet_nq *nq,
	uint32_t port, RING_IDX *shared_prod, const RING_IDX *shared_event,
	RING_IDX new)
{
	if (xennet_push(shared_prod, shared_event, new)) {
		xennet_evtchn_notify(nq->evh, port);
		q->st.notify++;
	}
}

#endif /* _XENNET_H_ */
