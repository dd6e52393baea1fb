/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event channels: $XENEMU_DIR/evtchn/d<domid> is the domain's port table;
 * each open handle owns a FIFO evtchn/fifo-<domid>-<pid>-<seq> onto which
 * delivery writes the 4-byte port, as read() on /dev/xen/evtchn returns.
 *
 * Bind/unbind change the table under its lock (two tables: lower domid
 * first). Notify and unmask are lock-free on pending/masked, so the data
 * path costs a few atomics and one write().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu.h"

#define TABLE_SIZE ((size_t)EMU_EVTCHN_NR * sizeof(struct emu_port))

static struct emu_ptab *ptabs[1u << 16];
static pthread_mutex_t ptabs_mutex = PTHREAD_MUTEX_INITIALIZER;

struct emu_ptab *emu_ptab(uint32_t domid)
{
	struct emu_ptab *t;
	char path[PATH_MAX];
	void *p;
	int fd;

	if (domid >= (1u << 16)) {
		errno = EINVAL;
		return NULL;
	}
	t = __atomic_load_n(&ptabs[domid], __ATOMIC_ACQUIRE);
	if (t != NULL)
		return t;
	pthread_mutex_lock(&ptabs_mutex);
	t = ptabs[domid];
	if (t != NULL || emu_path(path, sizeof(path), "evtchn/d%u", domid) < 0)
		goto out;
	p = emu_map_file(path, TABLE_SIZE, true, &fd);
	if (p == NULL)
		goto out;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		munmap(p, TABLE_SIZE);
		close(fd);
		goto out;
	}
	t->domid = domid;
	pthread_mutex_init(&t->lock.mutex, NULL);
	t->lock.fd = fd;
	t->port = p;
	__atomic_store_n(&ptabs[domid], t, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&ptabs_mutex);
	return t;
}

int emu_fifo_path(char *buf, size_t len, uint32_t domid, pid_t pid,
		  uint32_t seq)
{
	return emu_path(buf, len, "evtchn/fifo-%u-%d-%u", domid, (int)pid, seq);
}

static void lock2(struct emu_ptab *a, struct emu_ptab *b)
{
	if (a == b) {
		emu_lock(&a->lock);
	} else if (a->domid < b->domid) {
		emu_lock(&a->lock);
		emu_lock(&b->lock);
	} else {
		emu_lock(&b->lock);
		emu_lock(&a->lock);
	}
}

static void unlock2(struct emu_ptab *a, struct emu_ptab *b)
{
	emu_unlock(&a->lock);
	if (a != b)
		emu_unlock(&b->lock);
}

static bool owned(const struct emu_port *p, uint32_t seq)
{
	const struct emu_env *e = emu_env();

	return p->state != EMU_ECS_FREE && p->owner_pid == e->pid &&
	       p->owner_start == e->start && p->owner_seq == seq;
}

/* Lowest free port, as Xen allocates; port 0 is never valid. */
static int alloc_port_locked(struct emu_ptab *t, uint32_t seq)
{
	const struct emu_env *e = emu_env();
	uint32_t i;

	for (i = 1; i < EMU_EVTCHN_NR; i++) {
		struct emu_port *p = &t->port[i];

		if (p->state != EMU_ECS_FREE)
			continue;
		p->remote_dom = 0;
		p->remote_port = 0;
		p->pending = 0;
		p->masked = 0;
		p->owner_pid = e->pid;
		p->owner_start = e->start;
		p->owner_seq = seq;
		p->virq = 0;
		__atomic_fetch_add(&p->gen, 1, __ATOMIC_RELEASE);
		return i;
	}
	errno = ENOSPC;
	return -1;
}

/* Close a port (both tables locked): the peer end goes back to unbound. */
static void close_locked(struct emu_ptab *t, uint32_t port,
			 struct emu_ptab *rt)
{
	struct emu_port *p = &t->port[port];

	if (p->state == EMU_ECS_INTERDOMAIN && rt != NULL) {
		struct emu_port *r = &rt->port[p->remote_port];

		if (r->state == EMU_ECS_INTERDOMAIN &&
		    r->remote_dom == t->domid && r->remote_port == port) {
			__atomic_store_n(&r->state, EMU_ECS_UNBOUND,
					 __ATOMIC_RELEASE);
			r->remote_port = 0;
		}
	}
	__atomic_store_n(&p->state, EMU_ECS_FREE, __ATOMIC_RELEASE);
	p->owner_pid = 0;
	p->owner_start = 0;
	__atomic_fetch_add(&p->gen, 1, __ATOMIC_RELEASE);
}

/*
 * Close port of domain t if it is still owned by (pid, start, seq): takes
 * both locks in order, so callers must hold none.
 */
static int close_port(struct emu_ptab *t, uint32_t port, pid_t pid,
		      uint64_t start, uint32_t seq)
{
	struct emu_port *p = &t->port[port];
	struct emu_ptab *rt = NULL;
	uint32_t st, rdom;
	int rc = -1;

	for (;;) {
		st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
		rdom = p->remote_dom;
		if (st == EMU_ECS_INTERDOMAIN) {
			rt = emu_ptab(rdom);
			if (rt == NULL)
				return -1;
			lock2(t, rt);
		} else {
			rt = NULL;
			emu_lock(&t->lock);
		}
		/* recheck: it may have been (un)bound while we were locking */
		if (p->state == st && p->remote_dom == rdom)
			break;
		if (rt != NULL)
			unlock2(t, rt);
		else
			emu_unlock(&t->lock);
	}
	if (p->state != EMU_ECS_FREE && p->owner_pid == pid &&
	    p->owner_start == start && p->owner_seq == seq) {
		close_locked(t, port, rt);
		rc = 0;
	} else {
		errno = EINVAL;
	}
	if (rt != NULL)
		unlock2(t, rt);
	else
		emu_unlock(&t->lock);
	return rc;
}

/* ---- delivery ---- */

/* Cached write ends of peers' FIFOs, keyed by (domid, port, gen). */
#define FIFO_CACHE 512
static struct fifo_ent {
	uint32_t domid, port, gen;
	pid_t pid;		/* process the fd was opened in */
	int fd1;		/* fd + 1, 0 = empty slot */
} fifo_cache[FIFO_CACHE];
static pthread_mutex_t fifo_mutex = PTHREAD_MUTEX_INITIALIZER;

/*
 * Opened O_RDWR: a FIFO with a reader never gives ENXIO nor SIGPIPE, and
 * we are always a reader ourselves, so a peer that died cannot hurt us.
 * O_NONBLOCK: never block on a full pipe (cannot happen: one pending
 * 4-byte event per port at most, but do not trust it).
 */
static int fifo_fd(struct emu_ptab *t, uint32_t port)
{
	const struct emu_env *e = emu_env();
	struct emu_port *p = &t->port[port];
	uint32_t gen = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);
	struct fifo_ent *c = &fifo_cache[(t->domid * 4099u + port) % FIFO_CACHE];
	char path[PATH_MAX];
	pid_t pid;
	uint32_t seq;
	int fd;

	pthread_mutex_lock(&fifo_mutex);
	if (c->fd1 > 0 && c->pid == e->pid && c->domid == t->domid &&
	    c->port == port && c->gen == gen) {
		fd = c->fd1 - 1;
		goto out;
	}
	if (c->fd1 > 0 && c->pid == e->pid)
		close(c->fd1 - 1);
	c->fd1 = 0;
	emu_lock(&t->lock);
	gen = p->gen;
	pid = p->owner_pid;
	seq = p->owner_seq;
	emu_unlock(&t->lock);
	fd = -1;
	if (pid > 0 && emu_fifo_path(path, sizeof(path), t->domid, pid, seq) == 0)
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		c->domid = t->domid;
		c->port = port;
		c->gen = gen;
		c->pid = e->pid;
		c->fd1 = fd + 1;
	}
out:
	pthread_mutex_unlock(&fifo_mutex);
	return fd;
}

static void deliver(struct emu_ptab *t, uint32_t port, int fd)
{
	uint32_t v = port;
	ssize_t n;

	if (fd < 0)
		fd = fifo_fd(t, port);
	if (fd < 0)
		return;		/* owner gone: the event is lost, as in Xen */
	do
		n = write(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
}

/*
 * Xen's 2-level semantics: set pending; if not masked, the upcall masks the
 * port (Linux evtchn does) and delivers. Delivery consumes pending.
 * Notifies while masked latch into pending; unmask delivers one event.
 */
static void raise_port(struct emu_ptab *t, uint32_t port, int fd)
{
	struct emu_port *p = &t->port[port];
	uint32_t zero = 0;

	__atomic_store_n(&p->pending, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_compare_exchange_n(&p->masked, &zero, 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	__atomic_store_n(&p->pending, 0, __ATOMIC_SEQ_CST);
	deliver(t, port, fd);
}

/* Send from a local interdomain port to its peer. */
static int send_from(struct emu_ptab *t, uint32_t port)
{
	struct emu_port *p = &t->port[port];
	struct emu_ptab *rt;
	struct emu_port *r;
	uint32_t rdom, rport;

	if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != EMU_ECS_INTERDOMAIN)
		return 0;	/* unbound: dropped, as by Xen */
	rdom = p->remote_dom;
	rport = p->remote_port;
	rt = emu_ptab(rdom);
	if (rt == NULL || rport == 0 || rport >= EMU_EVTCHN_NR)
		return 0;
	r = &rt->port[rport];
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != EMU_ECS_INTERDOMAIN ||
	    r->remote_dom != t->domid || r->remote_port != port)
		return 0;
	emu_acct_add(t->domid, EMU_CTR_NOTIFY, 1);
	raise_port(rt, rport, -1);
	return 0;
}

void emu_evtchn_send(uint32_t domid, uint32_t port)
{
	struct emu_ptab *t = emu_ptab(domid);

	if (t != NULL && port > 0 && port < EMU_EVTCHN_NR)
		send_from(t, port);
}

/* ---- handle operations ---- */

static struct emu_ptab *own_table(void)
{
	const struct emu_env *e = emu_env();

	return e == NULL ? NULL : emu_ptab(e->domid);
}

int emu_evtchn_bind_unbound(uint32_t seq, uint32_t remote_dom)
{
	struct emu_ptab *t = own_table();
	int port;

	if (t == NULL)
		return -1;
	if (remote_dom >= (1u << 16) && remote_dom != DOMID_SELF) {
		errno = EINVAL;
		return -1;
	}
	if (remote_dom == DOMID_SELF)
		remote_dom = t->domid;
	emu_evtchn_gc_table(t);
	emu_lock(&t->lock);
	port = alloc_port_locked(t, seq);
	if (port > 0) {
		t->port[port].remote_dom = remote_dom;
		__atomic_store_n(&t->port[port].state, EMU_ECS_UNBOUND,
				 __ATOMIC_RELEASE);
	}
	emu_unlock(&t->lock);
	return port;
}

int emu_evtchn_bind_interdomain(uint32_t seq, int fifo, uint32_t remote_dom,
				uint32_t remote_port)
{
	struct emu_ptab *t = own_table(), *rt;
	struct emu_port *r;
	int port = -1;

	if (t == NULL)
		return -1;
	if (remote_dom == DOMID_SELF)
		remote_dom = t->domid;
	if (remote_port == 0 || remote_port >= EMU_EVTCHN_NR ||
	    remote_dom >= (1u << 16)) {
		errno = EINVAL;
		return -1;
	}
	rt = emu_ptab(remote_dom);
	if (rt == NULL)
		return -1;
	emu_evtchn_gc_table(t);
	if (rt != t)
		emu_evtchn_gc_table(rt);
	lock2(t, rt);
	r = &rt->port[remote_port];
	if (r->state != EMU_ECS_UNBOUND || r->remote_dom != t->domid) {
		errno = EINVAL;
		goto out;
	}
	port = alloc_port_locked(t, seq);
	if (port < 0)
		goto out;
	t->port[port].remote_dom = remote_dom;
	t->port[port].remote_port = remote_port;
	__atomic_store_n(&t->port[port].state, EMU_ECS_INTERDOMAIN,
			 __ATOMIC_RELEASE);
	r->remote_port = port;
	__atomic_store_n(&r->state, EMU_ECS_INTERDOMAIN, __ATOMIC_RELEASE);
out:
	unlock2(t, rt);
	/* Xen marks the new local end pending */
	if (port > 0)
		raise_port(t, port, fifo);
	return port;
}

int emu_evtchn_bind_virq(uint32_t seq, uint32_t virq)
{
	struct emu_ptab *t = own_table();
	int port;

	if (t == NULL)
		return -1;
	emu_evtchn_gc_table(t);
	emu_lock(&t->lock);
	port = alloc_port_locked(t, seq);
	if (port > 0) {
		/* bound, but nothing ever raises a virtual IRQ here */
		t->port[port].virq = virq;
		t->port[port].remote_dom = t->domid;
		__atomic_store_n(&t->port[port].state, EMU_ECS_VIRQ,
				 __ATOMIC_RELEASE);
	}
	emu_unlock(&t->lock);
	return port;
}

int emu_evtchn_unbind(uint32_t seq, uint32_t port)
{
	const struct emu_env *e = emu_env();
	struct emu_ptab *t = own_table();

	if (t == NULL)
		return -1;
	if (port == 0 || port >= EMU_EVTCHN_NR || !owned(&t->port[port], seq)) {
		errno = EINVAL;
		return -1;
	}
	return close_port(t, port, e->pid, e->start, seq);
}

int emu_evtchn_notify(uint32_t seq, uint32_t port)
{
	struct emu_ptab *t = own_table();

	if (t == NULL)
		return -1;
	if (port == 0 || port >= EMU_EVTCHN_NR || !owned(&t->port[port], seq)) {
		errno = EINVAL;
		return -1;
	}
	return send_from(t, port);
}

int emu_evtchn_unmask(uint32_t seq, int fifo, uint32_t port)
{
	struct emu_ptab *t = own_table();
	struct emu_port *p;
	uint32_t zero = 0;

	if (t == NULL)
		return -1;
	if (port == 0 || port >= EMU_EVTCHN_NR || !owned(&t->port[port], seq)) {
		errno = EINVAL;
		return -1;
	}
	p = &t->port[port];
	__atomic_store_n(&p->masked, 0, __ATOMIC_SEQ_CST);
	/* re-deliver an event latched while masked (see raise_port) */
	if (__atomic_load_n(&p->pending, __ATOMIC_SEQ_CST) &&
	    __atomic_compare_exchange_n(&p->masked, &zero, 1, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&p->pending, 0, __ATOMIC_SEQ_CST);
		deliver(t, port, fifo);
	}
	return 0;
}

void emu_evtchn_unbind_all(uint32_t seq)
{
	const struct emu_env *e = emu_env();
	struct emu_ptab *t = own_table();
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 1; i < EMU_EVTCHN_NR; i++)
		if (owned(&t->port[i], seq))
			close_port(t, i, e->pid, e->start, seq);
}

/* ---- dead owners ---- */

static void unlink_fifo(uint32_t domid, pid_t pid, uint32_t seq)
{
	char path[PATH_MAX];

	if (emu_fifo_path(path, sizeof(path), domid, pid, seq) == 0)
		unlink(path);
}

void emu_evtchn_gc_table(struct emu_ptab *t)
{
	pid_t last_pid = 0;
	uint64_t last_start = 0;
	bool alive = false;
	uint32_t i;

	/* racy scan; close_port rechecks the owner under the locks */
	for (i = 1; i < EMU_EVTCHN_NR; i++) {
		struct emu_port *p = &t->port[i];
		pid_t pid;
		uint64_t start;
		uint32_t seq;

		if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == EMU_ECS_FREE)
			continue;
		pid = p->owner_pid;
		start = p->owner_start;
		seq = p->owner_seq;
		if (pid != last_pid || start != last_start) {
			last_pid = pid;
			last_start = start;
			alive = emu_owner_alive(pid, start);
		}
		if (!alive && close_port(t, i, pid, start, seq) == 0)
			unlink_fifo(t->domid, pid, seq);
	}
}

void emu_evtchn_gc_all(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	unsigned int dom, seq;
	int pid;
	char c;
	DIR *dir;

	if (emu_path(path, sizeof(path), "evtchn") < 0)
		return;
	dir = opendir(path);
	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		struct emu_ptab *t;

		if (sscanf(d->d_name, "d%u%c", &dom, &c) == 1) {
			t = emu_ptab(dom);
			if (t != NULL)
				emu_evtchn_gc_table(t);
		} else if (sscanf(d->d_name, "fifo-%u-%d-%u", &dom, &pid,
				  &seq) == 3 && pid > 0 &&
			   kill(pid, 0) < 0 && errno == ESRCH) {
			/* handle of a dead process that had no ports */
			unlink_fifo(dom, pid, seq);
		}
	}
	closedir(dir);
}

uint64_t emu_evtchn_count_bound(uint32_t domid)
{
	struct emu_ptab *t = emu_ptab(domid);
	pid_t last_pid = 0;
	uint64_t last_start = 0, n = 0;
	bool alive = false;
	uint32_t i;

	if (t == NULL)
		return 0;
	for (i = 1; i < EMU_EVTCHN_NR; i++) {
		struct emu_port *p = &t->port[i];

		if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == EMU_ECS_FREE)
			continue;
		if (p->owner_pid != last_pid || p->owner_start != last_start) {
			last_pid = p->owner_pid;
			last_start = p->owner_start;
			alive = emu_owner_alive(last_pid, last_start);
		}
		n += alive;
	}
	return n;
}
