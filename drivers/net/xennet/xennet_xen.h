/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#ifndef _XENNET_XEN_H_
#define _XENNET_XEN_H_

/*
 * The only module that calls libxengnttab, libxengntshr, libxenevtchn and
 * libxenstore. Everything else sees these small wrappers, which add the
 * error logging and the path formatting the driver needs.
 */

#include <stdbool.h>
#include <stdint.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

/* A process's handles; event channel handles are per queue pair. */
struct xennet_xen {
	struct xs_handle *xs;
	xengnttab_handle *gnt;		/* backend: map and copy */
	xengntshr_handle *gntshr;	/* frontend: share pages */
};

typedef xengnttab_grant_copy_segment_t xennet_copy_seg_t;

/* The process's handles (the control plane opens and closes them). */
struct xennet_xen *xennet_xen_get(void);
int xennet_xen_open(struct xennet_xen *x);
/* Open gntdev (backend) or gntalloc (frontend) if not open yet. */
int xennet_xen_need(struct xennet_xen *x, bool backend);
void xennet_xen_close(struct xennet_xen *x);

/* xenstore; paths are printf formats, relative ones are the domain's own */
char *xennet_xs_read(struct xennet_xen *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xennet_xs_read_uint(struct xennet_xen *x, unsigned long *val,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Write a node only if it exists: a device being removed by the toolstack
 * must not have its directory brought back.
 */
int xennet_xs_update(struct xennet_xen *x, const char *value,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
struct xennet_xs_kv {
	const char *key;
	const char *value;	/* NULL: remove the key */
};
/* Write (or remove) @n keys under @dir in one transaction, retried on
 * conflict.
 */
int xennet_xs_write_keys(struct xennet_xen *x, const char *dir,
	const struct xennet_xs_kv *kv, unsigned int n);
char **xennet_xs_directory(struct xennet_xen *x, unsigned int *num,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool xennet_xs_exists(struct xennet_xen *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xennet_xs_watch(struct xennet_xen *x, const char *path, const char *token);
int xennet_xs_unwatch(struct xennet_xen *x, const char *path,
	const char *token);
int xennet_xs_fd(struct xennet_xen *x);
/* Hand each pending watch event's path to @cb; returns how many. */
int xennet_xs_watch_events(struct xennet_xen *x,
	void (*cb)(const char *path, void *arg), void *arg);

/* grants */
void *xennet_gnt_map(struct xennet_xen *x, uint32_t domid, uint32_t ref);
void xennet_gnt_unmap(struct xennet_xen *x, void *addr, uint32_t count);
int xennet_gnt_copy(struct xennet_xen *x, uint32_t count,
	xennet_copy_seg_t *segs);
void *xennet_gnt_share(struct xennet_xen *x, uint32_t domid, uint32_t count,
	uint32_t *refs, bool writable);
/* One page whose byte @notify_off gntalloc clears, and @notify_port it
 * signals, when this process lets go of it, exit or crash alike.
 */
void *xennet_gnt_share_notify(struct xennet_xen *x, uint32_t domid,
	uint32_t *ref, uint32_t notify_off, uint32_t notify_port);
void xennet_gnt_unshare(struct xennet_xen *x, void *addr, uint32_t count);

/* gntalloc's per-domain page limit, if this kernel says. */
unsigned int xennet_gntalloc_limit(unsigned int dflt);

/* event channels: a handle whose fd never blocks */
xenevtchn_handle *xennet_evtchn_open(void);
void xennet_evtchn_close(xenevtchn_handle *h);
int xennet_evtchn_fd(xenevtchn_handle *h);
int xennet_evtchn_bind_unbound(xenevtchn_handle *h, uint32_t domid);
int xennet_evtchn_bind(xenevtchn_handle *h, uint32_t domid, uint32_t port);
void xennet_evtchn_unbind(xenevtchn_handle *h, uint32_t port);
/* Consume every delivered event and unmask the ports they came on. */
void xennet_evtchn_ack(xenevtchn_handle *h);

static inline void
xennet_evtchn_notify(xenevtchn_handle *h, uint32_t port)
{
	xenevtchn_notify(h, port);
}

#endif /* _XENNET_XEN_H_ */
