/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated Xen grant tables and event channels: state shared between the
 * processes of one emulated machine, kept in files under $XENEMU_DIR.
 * Every file is valid when all-zero, so creators never race on init.
 *
 * Internal to libxengnttab.so.1, libxenevtchn.so.1 and xenemu-acct.
 */
#ifndef XENEMU_EMU_H
#define XENEMU_EMU_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include <xen/grant_table.h>

#define EMU_PAGE_SIZE		4096u
#define EMU_NO_NOTIFY		UINT32_MAX	/* (uint32_t)-1 as in libxengnttab */

/* ---- process environment (emu_common.c) ---- */

struct emu_env {
	char dir[4096];		/* $XENEMU_DIR */
	uint32_t domid;		/* $XENEMU_DOMID, default 0 */
	pid_t pid;
	uint64_t start;		/* our start time, to tell a reused pid apart */
	uint32_t gntalloc_limit;
	uint32_t gntdev_limit;
};

/* NULL with errno set if $XENEMU_DIR is missing. Refreshed after fork. */
const struct emu_env *emu_env(void);
int emu_env_set_dir(const char *dir);	/* for xenemu-acct --dir */
int emu_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

uint64_t emu_proc_start(pid_t pid);	/* 0 if pid does not exist */
bool emu_owner_alive(pid_t pid, uint64_t start);

/* Open (creating if asked) and map a whole state file, growing it to size. */
void *emu_map_file(const char *path, size_t size, bool create, int *fdp);

/*
 * Cross-process lock of one state file: flock, plus a mutex because flock
 * is per open file description and all our threads share the descriptor.
 */
struct emu_lock {
	pthread_mutex_t mutex;
	int fd;
};
void emu_lock(struct emu_lock *l);
void emu_unlock(struct emu_lock *l);

/* ---- call counters, $XENEMU_DIR/acct/counters (emu_common.c) ---- */

enum emu_ctr {
	EMU_CTR_MAP_CALLS,
	EMU_CTR_UNMAP_CALLS,
	EMU_CTR_COPY_CALLS,
	EMU_CTR_COPY_SEGS,
	EMU_CTR_COPY_ERRORS,
	EMU_CTR_NOTIFY,
	EMU_CTR_NR
};
#define EMU_ACCT_SLOTS	1024

struct emu_acct_slot {
	uint32_t key;		/* domid + 1, 0 = free slot; claimed by CAS */
	uint32_t pad;
	uint64_t ctr[8];
};

void emu_acct_add(uint32_t domid, enum emu_ctr c, uint64_t n);
/* Whole counters array (EMU_ACCT_SLOTS slots), or NULL. */
struct emu_acct_slot *emu_acct_slots(void);

/* ---- grant tables, $XENEMU_DIR/gnt/ (emu_gnt.c) ---- */

/* Refs 0..7 are reserved by Linux (xenstore, console); start after them. */
#define EMU_GNT_NR		65536u
#define EMU_GNT_FIRST		8u

enum emu_gnt_state {
	EMU_GS_FREE = 0,
	EMU_GS_ALLOC,		/* shared by a live xengntshr mapping */
	EMU_GS_ENDED,		/* unshared while a peer maps it: freed on last unmap */
};

struct emu_gnt_meta {
	uint32_t state;
	uint32_t pins;		/* live foreign mappings (Xen's pin count) */
	uint32_t pins_w;	/* ... of which writable */
	int32_t owner_pid;	/* process that shared it */
	uint64_t owner_start;
	uint32_t notify_off;	/* unshare notification, EMU_NO_NOTIFY = none */
	uint32_t notify_port;
};

struct emu_gnt_hdr {
	uint32_t nr_alloc;	/* entries in EMU_GS_ALLOC: the gntalloc limit */
	uint32_t hint;		/* where the next free-entry search starts */
};

/* File layout: header page, grant_entry_v1_t[NR], meta[NR], pages[NR]. */
#define EMU_GNT_ENT_OFF		((size_t)EMU_PAGE_SIZE)
#define EMU_GNT_META_OFF	(EMU_GNT_ENT_OFF + EMU_GNT_NR * sizeof(grant_entry_v1_t))
#define EMU_GNT_PAGE_OFF	(EMU_GNT_META_OFF + EMU_GNT_NR * sizeof(struct emu_gnt_meta))
#define EMU_GNT_FILE_SIZE	(EMU_GNT_PAGE_OFF + (size_t)EMU_GNT_NR * EMU_PAGE_SIZE)

struct emu_gnt_table {
	uint32_t domid;
	int fd;
	struct emu_lock lock;
	struct emu_gnt_hdr *hdr;
	grant_entry_v1_t *ent;
	struct emu_gnt_meta *meta;
	uint8_t *pages;
};

/* Process-wide cache; create only for our own domain. NULL + errno. */
struct emu_gnt_table *emu_gnt_table(uint32_t domid, bool create);
static inline off_t emu_gnt_page_off(uint32_t ref)
{
	return (off_t)(EMU_GNT_PAGE_OFF + (size_t)ref * EMU_PAGE_SIZE);
}

/* Sharer side; caller holds the table lock. */
int emu_gnt_alloc(struct emu_gnt_table *t, uint32_t domid, int count,
		  uint32_t *refs, bool writable);
void emu_gnt_end_access(struct emu_gnt_table *t, uint32_t ref);

/* Mapper side. pin checks the grant is ours to map; takes the lock itself. */
int emu_gnt_pin(struct emu_gnt_table *t, uint32_t ref, bool write);
void emu_gnt_unpin(struct emu_gnt_table *t, uint32_t ref, bool write);

/*
 * Journal of this process's foreign mappings, so that whoever notices we
 * died can drop our pins: $XENEMU_DIR/gnt/maps-<domid>-<pid>.
 */
#define EMU_JNL_NR		(256u * 1024)
#define EMU_JF_USED		1u
#define EMU_JF_WRITE		2u

struct emu_jnl_rec {
	uint16_t domid;		/* granting domain */
	uint16_t flags;		/* EMU_JF_* */
	uint32_t ref;
	uint32_t notify_off;
	uint32_t notify_port;
};

struct emu_jnl_hdr {
	int32_t pid;
	uint32_t domid;
	uint64_t start;
	uint32_t used;		/* records in use */
	uint32_t pad;
};

int64_t emu_jnl_add(uint32_t domid, uint32_t ref, bool write,
		    uint32_t notify_off, uint32_t notify_port);
void emu_jnl_del(int64_t slot);

/* Free what dead processes held; safe to run from any process. */
void emu_gnt_gc_table(struct emu_gnt_table *t);
void emu_gnt_gc_all(void);

/* "Held now" counts of a domain, for accounting. */
uint64_t emu_gnt_count_shared(uint32_t domid);
uint64_t emu_gnt_count_mapped(uint32_t domid);

/* ---- event channels, $XENEMU_DIR/evtchn/ (emu_evtchn.c) ---- */

#define EMU_EVTCHN_NR		4096u

enum emu_port_state {
	EMU_ECS_FREE = 0,
	EMU_ECS_UNBOUND,
	EMU_ECS_INTERDOMAIN,
	EMU_ECS_VIRQ,
};

struct emu_port {
	uint32_t state;
	uint32_t remote_dom;
	uint32_t remote_port;
	uint32_t pending;
	uint32_t masked;
	int32_t owner_pid;
	uint64_t owner_start;
	uint32_t owner_seq;	/* handle within the owner process */
	uint32_t gen;		/* bumped on owner change: stale FIFO fds */
	uint32_t virq;
	uint32_t pad;
};

struct emu_ptab {
	uint32_t domid;
	struct emu_lock lock;
	struct emu_port *port;
};

struct emu_ptab *emu_ptab(uint32_t domid);
int emu_fifo_path(char *buf, size_t len, uint32_t domid, pid_t pid,
		  uint32_t seq);

/* Handle-level operations; owner is (our pid, seq). -1 + errno on error. */
int emu_evtchn_bind_unbound(uint32_t seq, uint32_t remote_dom);
int emu_evtchn_bind_interdomain(uint32_t seq, int fifo_fd,
				uint32_t remote_dom, uint32_t remote_port);
int emu_evtchn_bind_virq(uint32_t seq, uint32_t virq);
int emu_evtchn_unbind(uint32_t seq, uint32_t port);
int emu_evtchn_notify(uint32_t seq, uint32_t port);
int emu_evtchn_unmask(uint32_t seq, int fifo_fd, uint32_t port);
void emu_evtchn_unbind_all(uint32_t seq);

/* Send on a local port without a handle (grant unmap notifications). */
void emu_evtchn_send(uint32_t domid, uint32_t port);

void emu_evtchn_gc_table(struct emu_ptab *t);
void emu_evtchn_gc_all(void);
uint64_t emu_evtchn_count_bound(uint32_t domid);

#endif /* XENEMU_EMU_H */
