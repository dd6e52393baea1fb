/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#ifndef _XENNET_RING_H_
#define _XENNET_RING_H_

/*
 * Pure netif ring code: reading and validating requests and responses out
 * of shared rings, building responses, slot accounting. No Xen library
 * calls and no ethdev here, so it is unit-tested and fuzzed on in-memory
 * rings.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_atomic.h>

#include <xen/xen.h>
#define xen_mb()  rte_mb()
#define xen_rmb() rte_smp_rmb()
#define xen_wmb() rte_smp_wmb()
#include <xen/io/netif.h>

#define XENNET_PAGE_SIZE 4096u
#define XENNET_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, XENNET_PAGE_SIZE)
#define XENNET_RX_RING_SIZE __CONST_RING_SIZE(netif_rx, XENNET_PAGE_SIZE)

/* Slots a backend must accept in one frame (XEN_NETIF_NR_SLOTS_MIN). */
#define XENNET_TX_SLOTS_MAX XEN_NETIF_NR_SLOTS_MIN
/* Follow-on slots beyond which Linux netback declares the frontend malicious. */
#define XENNET_TX_FATAL_FOLLOW_ON 20
#define XENNET_ETH_HLEN 14

/*
 * xennet's liveness byte (xenstore "feature-xennet-alive"): the first pad
 * byte of the TX ring page is 1 while the frontend process lives; gntalloc
 * clears it when the process exits or crashes. Linux peers never set the
 * key, and nothing else reads the pad.
 */
#define XENNET_ALIVE_OFF offsetof(netif_tx_sring_t, __pad)

enum xennet_verdict {
	XENNET_FRAME_OK = 0,
	XENNET_FRAME_DROP,	/* answer every slot with an error, go on */
	XENNET_FRAME_FATAL,	/* the peer is broken or hostile: disable */
};

/* Why a frame was dropped or the peer declared fatal; indexes counters. */
enum xennet_reason {
	XENNET_R_NONE = 0,
	XENNET_R_TOO_MANY_SLOTS,	/* 19-20 follow-on slots: drop */
	XENNET_R_SLOT_OVERSIZE,		/* later slot larger than what remains */
	XENNET_R_RUNT,			/* first size below an Ethernet header */
	XENNET_R_GSO_UNSUPPORTED,	/* GSO frame, not negotiated/enabled */
	XENNET_R_MCAST,			/* multicast control request, no data */
	XENNET_R_NOT_SUPPORTED,		/* feature not negotiated (e.g. SG) */
	XENNET_R_TOO_LONG,		/* longer than the MTU allows */
	XENNET_R_BAD_CSUM,		/* csum_blank that cannot be completed */
	XENNET_R_FATAL_FIRST,		/* reasons below are fatal */
	XENNET_R_IMPOSSIBLE_COUNT = XENNET_R_FATAL_FIRST,
	XENNET_R_SLOTS_EXCEED_RING,	/* frame runs past the producer */
	XENNET_R_MALICIOUS_SLOTS,	/* more than 20 follow-on slots */
	XENNET_R_CROSS_PAGE,		/* offset + size past the page */
	XENNET_R_BAD_EXTRA,		/* missing extra, or type 0 / >= MAX */
	XENNET_R_BAD_GSO,		/* GSO size 0 or unknown type */
	XENNET_R_BAD_ID,		/* response id out of range or inactive */
	XENNET_R_BAD_RESPONSE,		/* status/offset/flags make no sense */
	XENNET_R_MAX
};

extern const char * const xennet_reason_str[XENNET_R_MAX];

/* One guest TX frame copied out of the shared ring. */
struct xennet_tx_frame {
	uint16_t nr_slots;	/* data slots stored in req[] */
	uint16_t nr_extras;	/* extra-info entries consumed */
	uint16_t consumed;	/* ring entries used: data and extras */
	uint32_t len;		/* frame length, from the first slot */
	uint32_t extra_mask;	/* bit (type) set for each extra seen */
	/* req[0].size is fixed up to the first fragment's own size */
	struct netif_tx_request req[XENNET_TX_SLOTS_MAX + 1];
	struct netif_extra_info extra[XEN_NETIF_EXTRA_TYPE_MAX];
	/* ids of every data slot consumed, also of dropped ones, to answer */
	uint16_t id[XENNET_TX_FATAL_FOLLOW_ON + 1];
	uint16_t nr_ids;
};

/*
 * Read the frame starting at @cons from a guest TX ring whose producer was
 * read as @prod. Every entry is copied out of shared memory before it is
 * looked at. A valid GSO extra is left in @f->extra for the caller to
 * take or refuse. Returns the verdict; @f->consumed says how many entries to
 * step over (0 only when fatal).
 */
enum xennet_verdict xennet_tx_frame_read(const netif_tx_sring_t *sring,
	RING_IDX cons, RING_IDX prod, struct xennet_tx_frame *f,
	enum xennet_reason *reason);

/*
 * Write the responses for a frame read by xennet_tx_frame_read(): one per
 * data slot in order, with NETIF_RSP_NULL for the extras behind the first
 * slot. Returns the number of responses written at @rsp_prod_pvt.
 */
unsigned int xennet_tx_frame_respond(netif_tx_sring_t *sring,
	RING_IDX rsp_prod_pvt, const struct xennet_tx_frame *f, int16_t status);

/* Guest RX frame (backend to guest) as the frontend reads it. */
struct xennet_rx_frame {
	uint16_t nr_slots;	/* data responses in rsp[] */
	uint16_t consumed;	/* ring entries used: data and extras */
	uint32_t len;		/* sum of the slots' sizes */
	struct netif_rx_response rsp[XENNET_TX_SLOTS_MAX + 1];
	uint16_t slot[XENNET_TX_SLOTS_MAX + 1];	/* ring offset of rsp[i] */
	struct netif_extra_info extra[XEN_NETIF_EXTRA_TYPE_MAX];
	uint32_t extra_mask;
};

/*
 * Read one frame of RX responses at @cons (frontend side): status, offset +
 * status within a page, extras and chain length are checked. Buffers are
 * found by ring slot, not by id (extras overlay the id), so every consumed
 * slot's buffer is the caller's to recycle. FATAL stops the ring.
 */
enum xennet_verdict xennet_rx_frame_read(const netif_rx_sring_t *sring,
	RING_IDX cons, RING_IDX prod, struct xennet_rx_frame *f,
	enum xennet_reason *reason);

/*
 * Frontend: collect the TX responses in [@cons, @prod). The producer may
 * not run past what was requested (@req_prod_pvt); each response must
 * answer an id below @nr_ids that is in flight (@active[id] is
 * XENNET_TX_HEAD for a frame's first slot, XENNET_TX_HEAD_EXTRA for one
 * followed by an extra, XENNET_TX_FOLLOW for the others), and
 * NETIF_RSP_NULL comes right after the answer to a XENNET_TX_HEAD_EXTRA
 * and nowhere else (*want_null carries that between calls). Each answered
 * id is cleared in @active and appended to @freed (*nfreed grows);
 * *peer_errors counts frames whose first slot has an error status.
 * Returns the entries consumed; on a broken response *reason says why and
 * the entries before it are consumed.
 */
#define XENNET_TX_FOLLOW 1
#define XENNET_TX_HEAD 2
#define XENNET_TX_HEAD_EXTRA 3
unsigned int xennet_tx_reap(const netif_tx_sring_t *sring, RING_IDX cons,
	RING_IDX prod, RING_IDX req_prod_pvt, uint8_t *active, uint16_t nr_ids,
	uint16_t *freed, uint16_t *nfreed, uint64_t *peer_errors,
	bool *want_null, enum xennet_reason *reason);

/*
 * Frontend: post again the buffers of @n consumed RX slots starting at
 * @cons, at @req_prod_pvt. @slot_page maps a ring slot to its buffer page
 * and moves with it; request ids are the slot. Returns the new
 * req_prod_pvt.
 */
RING_IDX xennet_rx_repost(netif_rx_sring_t *sring, RING_IDX req_prod_pvt,
	RING_IDX cons, unsigned int n, uint16_t *slot_page,
	const uint32_t *grefs);

/*
 * Backend: take @slots RX requests at @cons for a frame of @len bytes.
 * Each request is copied out (its gref into @gref[k]) and answered in its
 * own slot, which Linux netfront relies on (it ignores response ids):
 * status is the chunk's size, NETRXF_more_data on all but the last, and
 * @flags on the first. An @extra (or NULL) goes in the slot after the
 * first (NETRXF_extra_info), consuming that request, as Linux netback
 * places it. Returns the requests consumed: @slots, plus one with @extra.
 */
unsigned int xennet_rx_frame_fill(netif_rx_sring_t *sring, RING_IDX cons,
	uint32_t len, unsigned int slots, uint16_t flags, uint32_t *gref,
	const struct netif_extra_info *extra);

/*
 * Frontend: post a frame of @len bytes held in the @n buffers @ids[] of
 * @buf_size bytes each (buffer id i is at offset (i % per page) * buf_size
 * in page @grefs[i / per page]), at @req_prod_pvt. The first request's
 * size is the whole frame's and later ones their own (the TX size rule),
 * NETTXF_more_data on all but the last; @flags go on the first, and an
 * @extra (or NULL) in the entry after it (NETTXF_extra_info). Returns the
 * new req_prod_pvt.
 */
RING_IDX xennet_tx_frame_post(netif_tx_sring_t *sring, RING_IDX req_prod_pvt,
	uint32_t len, uint16_t flags, const uint16_t *ids, unsigned int n,
	uint32_t buf_size, const uint32_t *grefs,
	const struct netif_extra_info *extra);

/* Ring slots a backend needs to deliver @len bytes to a guest. */
static inline unsigned int
xennet_rx_slots_needed(uint32_t len)
{
	return (len + XENNET_PAGE_SIZE - 1) / XENNET_PAGE_SIZE;
}

/*
 * Validate a shared ring's indices when a backend attaches to it (never
 * re-initialise a ring the frontend set up). False if requests pending
 * exceed the ring, as Linux netback refuses to connect then.
 */
static inline bool
xennet_ring_attach_ok(RING_IDX req_prod, RING_IDX rsp_prod, unsigned int size)
{
	return (RING_IDX)(req_prod - rsp_prod) <= size;
}

struct rte_mbuf;
/*
 * Complete the TCP/UDP checksum of a frame (IPv4 or IPv6, optionally
 * VLAN-tagged, headers in the first segment) in place. False when the
 * frame is not one it can complete.
 */
bool xennet_csum_complete(struct rte_mbuf *m);

#endif /* _XENNET_RING_H_ */
