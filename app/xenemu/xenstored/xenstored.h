/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xenemu-xenstored: a xenstore daemon for emulated domains.
 *
 * Every emulated domain gets its own unix socket; which socket a client
 * connected to is how the daemon knows the caller's domid (on Xen the
 * shared ring page tells it). Clients are the real libxenstore.
 */
#ifndef XENEMU_XENSTORED_H
#define XENEMU_XENSTORED_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "xs_tree.h"

/* Quotas for unprivileged domains, same defaults as C xenstored. */
#define XS_QUOTA_WATCHES	128
#define XS_QUOTA_TRANSACTIONS	10
#define XS_QUOTA_NODE_SIZE	2048

/* Xen's first reserved domid (DOMID_FIRST_RESERVED). */
#define XS_DOMID_MAX		0x7fef

/* Where an epoll event came from. */
enum ep_kind {
	EP_LISTENER,
	EP_CONN,
	EP_SIGNAL,
};

struct ep_obj {
	enum ep_kind kind;
	int fd;
};

/* One per introduced domain (and dom0): its socket. */
struct listener {
	struct ep_obj ep;
	unsigned int domid;
	char *path;
	struct listener *next;
};

struct watch {
	char *node;		/* canonical path or "@special" */
	char *token;
	unsigned int prefix_len; /* stripped from events for relative watches */
	struct watch *next;
};

/* A change recorded inside a transaction, replayed by the commit. */
struct txn_access {
	char *path;
	uint64_t gen;		/* generation at first access, 0: absent */
	bool modified;
};

struct txn_event {
	char *path;
	bool exact;
	struct xs_perm *perms;	/* node perms when the event was queued */
	unsigned int nr_perms;
};

struct txn {
	uint32_t id;
	struct xs_node *root;	/* private copy of the tree */
	struct txn_access *acc;
	unsigned int nr_acc;
	unsigned int cap_acc;
	struct txn_event *ev;
	unsigned int nr_ev;
	unsigned int cap_ev;
	struct txn *next;
};

struct conn {
	struct ep_obj ep;
	unsigned int domid;
	bool dead;
	/* Input: header then payload, nul appended for string safety. */
	struct xsd_sockmsg in_hdr;
	char in_buf[XENSTORE_PAYLOAD_MAX + 1];
	unsigned int in_used;
	/* Output: bytes not yet written. */
	char *out;
	size_t out_len;
	size_t out_cap;
	struct watch *watches;
	unsigned int nr_watches;
	struct txn *txns;
	unsigned int nr_txns;
	uint32_t next_txid;
	struct conn *next;
};

/* xenstored.c */
extern struct conn *conns;
extern struct xs_node *xs_root;
void xs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool xs_verbose;
void conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
	       const void *data, unsigned int len);
int domain_introduce(unsigned int domid);
int domain_release(unsigned int domid);
bool domain_is_introduced(unsigned int domid);

/* xs_ops.c */
void xs_setup_tree(void);
void xs_process(struct conn *c);
void xs_conn_cleanup(struct conn *c);
void xs_fire_special(const char *name);
void xs_domain_gone(unsigned int domid);
const char *xs_type_name(uint32_t type);

#endif
