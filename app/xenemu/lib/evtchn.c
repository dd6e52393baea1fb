/* SPDX-License-Identifier: BSD-3-Clause */
/* libxenevtchn.so.1 replacement on top of emu_evtchn.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenevtchn.h>

#include "emu.h"

#define EXPORT __attribute__((visibility("default")))

struct xenevtchn_handle {
	int fd;			/* read end of our FIFO, opened O_RDWR */
	uint32_t seq;		/* tells our handles apart in port tables */
	pid_t pid;		/* a fork child must not unbind our ports */
};

static uint32_t next_seq;

EXPORT xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
					unsigned int flags)
{
	const struct emu_env *e = emu_env();
	char path[PATH_MAX];
	xenevtchn_handle *h;
	struct emu_ptab *t;

	if (e == NULL)
		return NULL;
	t = emu_ptab(e->domid);
	if (t == NULL)
		return NULL;
	emu_evtchn_gc_table(t);
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
	h->pid = e->pid;
	if (emu_fifo_path(path, sizeof(path), e->domid, e->pid, h->seq) < 0)
		goto fail;
	/* left over from a dead process that had our pid */
	unlink(path);
	if (mkfifo(path, 0600) < 0)
		goto fail;
	/* O_RDWR: never blocks in open, never reads EOF when writers go */
	h->fd = open(path, O_RDWR |
		     ((flags & XENEVTCHN_NO_CLOEXEC) ? 0 : O_CLOEXEC));
	if (h->fd < 0) {
		unlink(path);
		goto fail;
	}
	return h;
fail:
	free(h);
	return NULL;
}

EXPORT xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger,
					  int fd, unsigned open_flags)
{
	/* needs an fd of /dev/xen/evtchn, which does not exist here */
	errno = ENOSYS;
	return NULL;
}

EXPORT int xenevtchn_close(xenevtchn_handle *xce)
{
	char path[PATH_MAX];

	if (xce == NULL)
		return 0;
	if (xce->pid == emu_env()->pid) {
		emu_evtchn_unbind_all(xce->seq);
		if (emu_fifo_path(path, sizeof(path), emu_env()->domid,
				  xce->pid, xce->seq) == 0)
			unlink(path);
	}
	close(xce->fd);
	free(xce);
	return 0;
}

EXPORT int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->fd;
}

EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	return emu_evtchn_notify(xce->seq, port);
}

EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
	return emu_evtchn_bind_unbound(xce->seq, domid);
}

EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
			   evtchn_port_t remote_port)
{
	return emu_evtchn_bind_interdomain(xce->seq, xce->fd, domid,
					   remote_port);
}

EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	return emu_evtchn_bind_virq(xce->seq, virq);
}

EXPORT int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	return emu_evtchn_unbind(xce->seq, port);
}

EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	uint32_t port;
	ssize_t n;

	do
		n = read(xce->fd, &port, sizeof(port));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(port)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return port;
}

EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	return emu_evtchn_unmask(xce->seq, xce->fd, port);
}

/* Restricting to one domain is a privilege drop we need not emulate. */
EXPORT int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
	return 0;
}
