/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "xennet_log.h"
#include "xennet_xen.h"

#define XENNET_PATH_MAX 256

static struct xennet_xen xennet_xen_process;

struct xennet_xen *
xennet_xen_get(void)
{
	return &xennet_xen_process;
}

/* Say what to do about a Xen device that @errno says cannot be opened. */
static void
xennet_dev_error(const char *dev, const char *module)
{
	int err = errno;

	if (err == EACCES || err == EPERM)
		XN_LOG(ERR, "cannot open %s: %s: run as root, or give this "
			"user read and write access to %s", dev, strerror(err),
			dev);
	else if (err == ENOENT || err == ENODEV || err == ENXIO)
		XN_LOG(ERR, "cannot open %s: %s: is this a Xen domain, with "
			"the %s module loaded (modprobe %s)?", dev,
			strerror(err), module, module);
	else
		XN_LOG(ERR, "cannot open %s: %s", dev, strerror(err));
	errno = err;
}

int
xennet_xen_open(struct xennet_xen *x)
{
	const char *path = getenv("XENSTORED_PATH");
	int err;

	memset(x, 0, sizeof(*x));
	x->xs = xs_open(0);
	if (x->xs != NULL)
		return 0;
	/* xs_open() tries xenstored's socket, then the xenbus device. */
	err = errno;
	if (path == NULL)
		path = "/var/run/xenstored/socket, /dev/xen/xenbus";
	if (err == EACCES || err == EPERM)
		XN_LOG(ERR, "cannot reach xenstore (%s): %s: run as root, or "
			"give this user read and write access to it", path,
			strerror(err));
	else
		XN_LOG(ERR, "cannot reach xenstore (%s): %s: is xenstored "
			"running (in dom0), or XENSTORED_PATH set for an "
			"emulated domain (xenemu env)?", path, strerror(err));
	return -err;
}

int
xennet_xen_need(struct xennet_xen *x, bool backend)
{
	if (backend && x->gnt == NULL) {
		x->gnt = xengnttab_open(NULL, 0);
		if (x->gnt == NULL) {
			xennet_dev_error("/dev/xen/gntdev", "xen-gntdev");
			return -ENODEV;
		}
	} else if (!backend && x->gntshr == NULL) {
		x->gntshr = xengntshr_open(NULL, 0);
		if (x->gntshr == NULL) {
			xennet_dev_error("/dev/xen/gntalloc", "xen-gntalloc");
			return -ENODEV;
		}
	}
	return 0;
}

void
xennet_xen_close(struct xennet_xen *x)
{
	if (x->gnt != NULL)
		xengnttab_close(x->gnt);
	if (x->gntshr != NULL)
		xengntshr_close(x->gntshr);
	if (x->xs != NULL)
		xs_close(x->xs);
	memset(x, 0, sizeof(*x));
}

/* Format a wrapper's path arguments into path[]; return @fail if too long. */
#define XENNET_FMT_PATH(path, fmt, fail) do { \
	va_list ap_; \
	int n_; \
	va_start(ap_, fmt); \
	n_ = vsnprintf(path, XENNET_PATH_MAX, fmt, ap_); \
	va_end(ap_); \
	if (n_ < 0 || n_ >= XENNET_PATH_MAX) \
		return fail; \
} while (0)

char *
xennet_xs_read(struct xennet_xen *x, const char *fmt, ...)
{
	char path[XENNET_PATH_MAX];
	unsigned int len;

	XENNET_FMT_PATH(path, fmt, NULL);
	return xs_read(x->xs, XBT_NULL, path, &len);
}

int
xennet_xs_read_uint(struct xennet_xen *x, unsigned long *val,
	const char *fmt, ...)
{
	char path[XENNET_PATH_MAX];
	unsigned int len;
	char *s, *end;
	int ret;

	XENNET_FMT_PATH(path, fmt, -ENAMETOOLONG);
	s = xs_read(x->xs, XBT_NULL, path, &len);
	if (s == NULL)
		return -ENOENT;
	errno = 0;
	*val = strtoul(s, &end, 10);
	ret = (errno != 0 || end == s || *end != '\0' || s[0] == '-') ?
		-EINVAL : 0;
	free(s);
	return ret;
}

static int
xennet_xs_write(struct xennet_xen *x, xs_transaction_t t, const char *value,
	const char *fmt, ...)
{
	char path[XENNET_PATH_MAX];

	XENNET_FMT_PATH(path, fmt, -ENAMETOOLONG);
	if (!xs_write(x->xs, t, path, value, strlen(value)))
		return -errno;
	return 0;
}

int
xennet_xs_update(struct xennet_xen *x, const char *value, const char *fmt,
	...)
{
	char path[XENNET_PATH_MAX];
	xs_transaction_t t;
	unsigned int len;
	char *old;

	XENNET_FMT_PATH(path, fmt, -ENAMETOOLONG);
	do {
		t = xs_transaction_start(x->xs);
		if (t == XBT_NULL)
			return -errno;
		old = xs_read(x->xs, t, path, &len);
		if (old == NULL) {
			xs_transaction_end(x->xs, t, true);
			return -ENOENT;
		}
		free(old);
		if (!xs_write(x->xs, t, path, value, strlen(value))) {
			xs_transaction_end(x->xs, t, true);
			return -errno;
		}
		if (xs_transaction_end(x->xs, t, false))
			return 0;
	} while (errno == EAGAIN);
	return -errno;
}

static int
xennet_xs_rm(struct xennet_xen *x, xs_transaction_t t, const char *dir,
	const char *key)
{
	char path[XENNET_PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, key) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (!xs_rm(x->xs, t, path) && errno != ENOENT)
		return -errno;
	return 0;
}

int
xennet_xs_write_keys(struct xennet_xen *x, const char *dir,
	const struct xennet_xs_kv *kv, unsigned int n)
{
	xs_transaction_t t;
	unsigned int i;
	int ret;

	do {
		t = xs_transaction_start(x->xs);
		if (t == XBT_NULL)
			return -errno;
		ret = 0;
		for (i = 0; ret == 0 && i < n; i++)
			ret = kv[i].value != NULL ?
				xennet_xs_write(x, t, kv[i].value, "%s/%s",
					dir, kv[i].key) :
				xennet_xs_rm(x, t, dir, kv[i].key);
		if (ret != 0) {
			xs_transaction_end(x->xs, t, true);
			XN_LOG(ERR, "cannot write %s/%s: %s", dir,
				kv[i - 1].key, strerror(-ret));
			return ret;
		}
		if (xs_transaction_end(x->xs, t, false))
			return 0;
	} while (errno == EAGAIN); /* a concurrent change: redo it */
	return -errno;
}

char **
xennet_xs_directory(struct xennet_xen *x, unsigned int *num,
	const char *fmt, ...)
{
	char path[XENNET_PATH_MAX];

	*num = 0;
	XENNET_FMT_PATH(path, fmt, NULL);
	return xs_directory(x->xs, XBT_NULL, path, num);
}

bool
xennet_xs_exists(struct xennet_xen *x, const char *fmt, ...)
{
	char path[XENNET_PATH_MAX];
	unsigned int len;
	char *s;

	XENNET_FMT_PATH(path, fmt, false);
	s = xs_read(x->xs, XBT_NULL, path, &len);
	free(s);
	return s != NULL;
}

int
xennet_xs_watch(struct xennet_xen *x, const char *path, const char *token)
{
	if (!xs_watch(x->xs, path, token)) {
		XN_LOG(ERR, "cannot watch %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int
xennet_xs_unwatch(struct xennet_xen *x, const char *path, const char *token)
{
	return xs_unwatch(x->xs, path, token) ? 0 : -errno;
}

int
xennet_xs_fd(struct xennet_xen *x)
{
	return xs_fileno(x->xs);
}

int
xennet_xs_watch_events(struct xennet_xen *x,
	void (*cb)(const char *path, void *arg), void *arg)
{
	char **ev;
	int n = 0;

	while ((ev = xs_check_watch(x->xs)) != NULL) {
		cb(ev[XS_WATCH_PATH], arg);
		free(ev);
		n++;
	}
	return n;
}

void *
xennet_gnt_map(struct xennet_xen *x, uint32_t domid, uint32_t ref)
{
	void *p = xengnttab_map_grant_ref(x->gnt, domid, ref,
		PROT_READ | PROT_WRITE);

	if (p == NULL)
		XN_LOG(ERR, "cannot map grant %u of domain %u: %s", ref, domid,
			strerror(errno));
	return p;
}

void
xennet_gnt_unmap(struct xennet_xen *x, void *addr, uint32_t count)
{
	if (addr != NULL && xengnttab_unmap(x->gnt, addr, count) != 0)
		XN_LOG(ERR, "cannot unmap %u grants at %p: %s", count, addr,
			strerror(errno));
}

int
xennet_gnt_copy(struct xennet_xen *x, uint32_t count, xennet_copy_seg_t *segs)
{
	return xengnttab_grant_copy(x->gnt, count, segs);
}

void *
xennet_gnt_share(struct xennet_xen *x, uint32_t domid, uint32_t count,
	uint32_t *refs, bool writable)
{
	void *p = xengntshr_share_pages(x->gntshr, domid, count, refs,
		writable);

	if (p == NULL)
		XN_LOG(ERR, "cannot grant %u pages to domain %u: %s (gntalloc "
			"limit?)", count, domid, strerror(errno));
	return p;
}

void *
xennet_gnt_share_notify(struct xennet_xen *x, uint32_t domid, uint32_t *ref,
	uint32_t notify_off, uint32_t notify_port)
{
	void *p = xengntshr_share_page_notify(x->gntshr, domid, ref, 1,
		notify_off, notify_port);

	if (p == NULL)
		XN_LOG(ERR, "cannot grant a page to domain %u: %s", domid,
			strerror(errno));
	return p;
}

void
xennet_gnt_unshare(struct xennet_xen *x, void *addr, uint32_t count)
{
	if (addr != NULL && xengntshr_unshare(x->gntshr, addr, count) != 0)
		XN_LOG(ERR, "cannot end %u grants at %p: %s", count, addr,
			strerror(errno));
}

unsigned int
xennet_gntalloc_limit(unsigned int dflt)
{
	unsigned int v;
	FILE *f;

	f = fopen("/sys/module/xen_gntalloc/parameters/limit", "r");
	if (f == NULL)
		return dflt;
	if (fscanf(f, "%u", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

xenevtchn_handle *
xennet_evtchn_open(void)
{
	xenevtchn_handle *h = xenevtchn_open(NULL, 0);
	int fl;

	if (h == NULL) {
		xennet_dev_error("/dev/xen/evtchn", "xen-evtchn");
		return NULL;
	}
	/* Events are drained where the datapath re-arms, never waited on. */
	fl = fcntl(xenevtchn_fd(h), F_GETFL);
	if (fl < 0 || fcntl(xenevtchn_fd(h), F_SETFL, fl | O_NONBLOCK) < 0) {
		XN_LOG(ERR, "cannot make the event channel fd non-blocking: %s",
			strerror(errno));
		xenevtchn_close(h);
		return NULL;
	}
	return h;
}

void
xennet_evtchn_close(xenevtchn_handle *h)
{
	if (h != NULL)
		xenevtchn_close(h);
}

int
xennet_evtchn_fd(xenevtchn_handle *h)
{
	return xenevtchn_fd(h);
}

int
xennet_evtchn_bind_unbound(xenevtchn_handle *h, uint32_t domid)
{
	xenevtchn_port_or_error_t p;

	p = xenevtchn_bind_unbound_port(h, domid);
	if (p < 0)
		XN_LOG(ERR, "cannot allocate an event channel for domain %u: %s",
			domid, strerror(errno));
	return p;
}

int
xennet_evtchn_bind(xenevtchn_handle *h, uint32_t domid, uint32_t port)
{
	xenevtchn_port_or_error_t p;

	p = xenevtchn_bind_interdomain(h, domid, port);
	if (p < 0)
		XN_LOG(ERR, "cannot bind event channel %u of domain %u: %s",
			port, domid, strerror(errno));
	return p;
}

void
xennet_evtchn_unbind(xenevtchn_handle *h, uint32_t port)
{
	if (xenevtchn_unbind(h, port) != 0)
		XN_LOG(ERR, "cannot unbind event channel %u: %s", port,
			strerror(errno));
}

void
xennet_evtchn_ack(xenevtchn_handle *h)
{
	xenevtchn_port_or_error_t p;

	while ((p = xenevtchn_pending(h)) >= 0)
		xenevtchn_unmask(h, p);
}
