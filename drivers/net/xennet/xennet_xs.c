/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * The control plane: one per process, with one xenstore connection, one
 * thread and one watch per watched path. Watch events mark the vifs they
 * concern; each marked vif then gets one reconcile pass that reads both
 * ends' state and steps towards what the peer calls for, as Linux
 * netback's frontend_changed() and netfront's netback_changed() do. Only
 * this file reads or writes xenstore keys; it turns them into a
 * connection description (struct xennet_conn_desc) and back.
 */

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <rte_thread.h>

#include <xen/io/xenbus.h>

#include "xennet.h"

/* Periodic work only where nothing signals a change: the frontend
 * liveness byte and a claim another process holds.
 */
#define XENNET_CTL_TICK_MS 200
#define XENNET_CLOSE_WAIT_MS 2000
#define XENNET_TOKEN "xennet"
/* Relative paths resolve against our own /local/domain/<domid>. */
#define XENNET_BACK_DIR "backend/vif"
#define XENNET_RUN_DIR "/run/xennet"
/* Written into the backend directory of every vif a xennet serves, so the
 * next one tells a hand-over from a vif another backend (Linux
 * xen-netback) drives.
 */
#define XENNET_MARK_KEY "xennet-backend"

struct xennet_watch {
	TAILQ_ENTRY(xennet_watch) next;
	unsigned int refs;
	char path[];
};

static struct {
	pthread_mutex_t reg;		/* register/unregister */
	pthread_mutex_t lock;		/* everything below, and each port's
					 * control state
					 */
	pthread_t tid;
	bool running;
	int kick;			/* eventfd waking the thread */
	unsigned int users;		/* ports and hotplug vdevs */
	TAILQ_HEAD(, xennet_port) ports;
	TAILQ_HEAD(, xennet_hotplug) hotplugs;
	TAILQ_HEAD(, xennet_watch) watches;
} xennet_ctl = {
	.reg = PTHREAD_MUTEX_INITIALIZER,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.kick = -1,
	.ports = TAILQ_HEAD_INITIALIZER(xennet_ctl.ports),
	.hotplugs = TAILQ_HEAD_INITIALIZER(xennet_ctl.hotplugs),
	.watches = TAILQ_HEAD_INITIALIZER(xennet_ctl.watches),
};

static const char * const xennet_state_str[] = {
	"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
	"Closing", "Closed", "Reconfiguring", "Reconfigured",
};

static const char *
xennet_state_name(int s)
{
	return (s >= 0 && s < (int)RTE_DIM(xennet_state_str)) ?
		xennet_state_str[s] : "invalid";
}

void
xennet_ctl_lock(void)
{
	pthread_mutex_lock(&xennet_ctl.lock);
}

void
xennet_ctl_unlock(void)
{
	pthread_mutex_unlock(&xennet_ctl.lock);
}

void
xennet_ctl_kick(void)
{
	if (xennet_ctl.kick >= 0)
		xennet_eventfd_kick(xennet_ctl.kick);
}

void
xennet_ctl_port_changed(struct xennet_port *p)
{
	p->dirty = true;
	xennet_ctl_kick();
}

#define XS (xennet_xen_get())

/* Watches, shared by every port that needs the same path. */
static int
xennet_watch_get(const char *path)
{
	struct xennet_watch *w;

	TAILQ_FOREACH(w, &xennet_ctl.watches, next)
		if (strcmp(w->path, path) == 0) {
			w->refs++;
			return 0;
		}
	w = malloc(sizeof(*w) + strlen(path) + 1);
	if (w == NULL)
		return -ENOMEM;
	strcpy(w->path, path);
	if (xennet_xs_watch(XS, path, XENNET_TOKEN) != 0) {
		free(w);
		return -EIO;
	}
	w->refs = 1;
	TAILQ_INSERT_TAIL(&xennet_ctl.watches, w, next);
	return 0;
}

static void
xennet_watch_put(const char *path)
{
	struct xennet_watch *w;

	TAILQ_FOREACH(w, &xennet_ctl.watches, next)
		if (strcmp(w->path, path) == 0)
			break;
	if (w == NULL || --w->refs > 0)
		return;
	xennet_xs_unwatch(XS, path, XENNET_TOKEN);
	TAILQ_REMOVE(&xennet_ctl.watches, w, next);
	free(w);
}

/* Peer state -------------------------------------------------------------- */

/*
 * Read the peer's state as xenbus does: a missing node is Unknown. A value
 * that is no XenbusState is counted once per value and reported as -1.
 */
static int
xennet_peer_state_read(struct xennet_port *p, const char *dir, char *raw,
	size_t rawsz)
{
	char *s, *end;
	long v;

	s = xennet_xs_read(XS, "%s/state", dir);
	if (s == NULL) {
		snprintf(raw, rawsz, "(none)");
		return XenbusStateUnknown;
	}
	snprintf(raw, rawsz, "%s", s);
	free(s);
	v = strtol(raw, &end, 10);
	if (end != raw && *end == '\0' && v >= XenbusStateUnknown &&
	    v <= XenbusStateReconfigured) {
		p->bad_state[0] = '\0';
		return v;
	}
	if (strcmp(p->bad_state, raw) != 0) {
		XN_LOG(WARNING, "%s: saw state \"%s\" at %s", p->name, raw,
			dir);
		p->bad_xenstore++;
		snprintf(p->bad_state, sizeof(p->bad_state), "%s", raw);
	}
	return -1;
}

static const char *
xennet_own_dir(const struct xennet_port *p)
{
	return p->role == XENNET_ROLE_BACKEND ? p->be_path : p->fe_path;
}

static void
xennet_state_write(struct xennet_port *p, int state)
{
	char v[4];
	int ret;

	snprintf(v, sizeof(v), "%d", state);
	ret = xennet_xs_update(XS, v, "%s/state", xennet_own_dir(p));
	if (ret != 0 && ret != -ENOENT)
		XN_LOG(ERR, "%s: cannot write %s/state: %s", p->name,
			xennet_own_dir(p), strerror(-ret));
	XN_LOG(INFO, "%s: %s -> %s (peer %s)", p->name,
		xennet_state_name(p->state), xennet_state_name(state),
		xennet_state_name(p->peer_state));
	p->state = state;
}

/* Link changes are recorded here and their callbacks run once the lock
 * is dropped, so a callback may stop or close the port.
 */
static void
xennet_set_link(struct xennet_port *p, bool up)
{
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_10G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	if (rte_eth_linkstatus_set(p->dev, &link) != 0)
		return; /* unchanged */
	XN_LOG(INFO, "%s: link %s", p->name, up ? "up" : "down");
	p->lsc_pending = true;
}

/*
 * The vif's carrier key (netif.h): absent or anything but "0" is up. The
 * toolstack may write it, and a backend port writes it when its
 * application sets the link down or up; a xennet frontend follows it.
 */
static bool
xennet_carrier(const struct xennet_port *p)
{
	unsigned long v;

	return xennet_xs_read_uint(XS, &v, "%s/carrier", p->be_path) != 0 ||
		v != 0;
}

/* Claims: one server per vif ------------------------------------------- */

/*
 * A vif is served by whoever holds an flock on a file named after it, in
 * any process: the kernel drops it when the holder exits or dies. The
 * name includes XENSTORED_PATH, which tells apart xenstores on one host.
 */
int
xennet_claim(struct xennet_port *p, const char *what)
{
	const char *xsp = getenv("XENSTORED_PATH");
	char path[PATH_MAX], owner[128] = "";
	unsigned int h = 5381;
	const char *c;
	ssize_t n;
	int fd;

	if (p->claim_fd >= 0)
		return 0;
	for (c = xsp != NULL ? xsp : ""; *c != '\0'; c++)
		h = h * 33 + (unsigned char)*c;
	n = snprintf(path, sizeof(path), "%s/%08x", XENNET_RUN_DIR, h);
	for (c = what; *c != '\0' && n < (ssize_t)sizeof(path) - 2; c++)
		path[n++] = *c == '/' ? '_' : *c;
	path[n] = '\0';
	mkdir(XENNET_RUN_DIR, 0755);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (!p->claim_logged)
			XN_LOG(WARNING, "%s: cannot create %s (%s): nothing "
				"keeps another process from serving %s",
				p->name, path, strerror(errno), what);
		p->claim_logged = true;
		return 0;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, owner, sizeof(owner) - 1, 0);
		owner[n > 0 ? n : 0] = '\0';
		owner[strcspn(owner, "\n")] = '\0';
		if (!p->claim_logged)
			XN_LOG(ERR, "%s: %s is already served by %s; not "
				"taking it", p->name, what,
				owner[0] != '\0' ? owner : "another port");
		p->claim_logged = true;
		close(fd);
		return -EBUSY;
	}
	n = snprintf(owner, sizeof(owner), "pid %d port %s\n", getpid(),
		p->name);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, owner, n, 0) != n)
		XN_LOG(DEBUG, "%s: cannot record the owner in %s", p->name,
			path);
	if (p->claim_logged)
		XN_LOG(NOTICE, "%s: %s is free now; serving it", p->name,
			what);
	p->claim_logged = false;
	p->claim_fd = fd;
	return 0;
}

void
xennet_unclaim(struct xennet_port *p)
{
	if (p->claim_fd < 0)
		return;
	/* the owner line goes with the lock; a stale one is harmless */
	if (ftruncate(p->claim_fd, 0) != 0)
		XN_LOG(DEBUG, "%s: cannot clear claim file: %s", p->name,
			strerror(errno));
	close(p->claim_fd);
	p->claim_fd = -1;
}

/* Connections -------------------------------------------------------------- */

static void
xennet_disconnect(struct xennet_port *p)
{
	xennet_set_link(p, false);
	if (p->conn == NULL)
		return;
	xennet_conn_attach(p, NULL);
	xennet_conn_close(p->conn);
	p->conn = NULL;
	p->disabled = false;
	p->disconnects++;
	__atomic_store_n(&p->fatal, 0, __ATOMIC_RELAXED);
	XN_LOG(INFO, "%s: disconnected from domain %ld", p->name,
		p->peer_domid);
}

static void
xennet_connected(struct xennet_port *p)
{
	if (p->started)
		xennet_conn_attach(p, p->conn);
	p->connects++;
	XN_LOG(INFO, "%s: connected to domain %ld with %u queue%s%s",
		p->name, p->peer_domid, p->conn->d.nr_queues,
		p->conn->d.nr_queues > 1 ? "s" : "",
		p->conn->d.split ? ", split event channels" : "");
}

static void
xennet_unbind(struct xennet_port *p)
{
	char path[160];

	xennet_disconnect(p);
	if (p->watching) {
		if (p->role == XENNET_ROLE_BACKEND)
			snprintf(path, sizeof(path), "%s/state", p->fe_path);
		else
			snprintf(path, sizeof(path), "%s", p->be_path);
		xennet_watch_put(path);
		p->watching = false;
	}
	xennet_unclaim(p);
	if (p->peer_domid >= 0) {
		XN_LOG(INFO, "%s: released vif of domain %ld", p->name,
			p->peer_domid);
		/* The vif is gone (detached, or its guest destroyed). */
		p->rmv_pending = p->hotplugged;
	}
	p->peer_domid = -1;
	p->state = XenbusStateUnknown;
	p->peer_state = XenbusStateUnknown;
	p->refused = false;
	p->peer_died = false;
	p->published_down = false;
	p->bad_state[0] = '\0';
}

/* Remember the peer's state at which we gave up: nothing is retried until
 * it changes, as Linux acts only on a change after xenbus_dev_fatal().
 */
static void
xennet_refuse(struct xennet_port *p, const char *raw)
{
	p->fatal_errors++;
	p->refused = true;
	snprintf(p->refused_state, sizeof(p->refused_state), "%s", raw);
}

static bool
xennet_still_refused(struct xennet_port *p, const char *raw)
{
	if (p->refused && strcmp(p->refused_state, raw) == 0)
		return true;
	p->refused = false;
	return false;
}

/* Backend -------------------------------------------------------------- */

static void
xennet_back_publish(struct xennet_port *p)
{
	const char *gso = p->rx_lro ? "1" : "0";
	char maxq[8], mtu[8];
	const struct xennet_xs_kv features[] = {
		{ "feature-rx-copy", "1" },
		{ "feature-rx-flip", "0" },
		{ "feature-sg", "1" },
		/* GSO frames only for an application that takes them */
		{ "feature-gso-tcpv4", gso },
		{ "feature-gso-tcpv6", gso },
		/* partial checksums are completed on Rx: IPv4 ones cannot
		 * be refused, so IPv6 ones are as welcome
		 */
		{ "feature-ipv6-csum-offload", "1" },
		{ "feature-multicast-control", "0" },
		{ "feature-dynamic-multicast-control", "0" },
		{ "feature-split-event-channels", "1" },
		{ "feature-ctrl-ring", "0" },
		{ "multi-queue-max-queues", maxq },
		{ "mtu", mtu },
	};

	snprintf(maxq, sizeof(maxq), "%u", p->want_queues);
	snprintf(mtu, sizeof(mtu), "%u", p->mtu);
	if (xennet_xs_write_keys(XS, p->be_path, features,
			RTE_DIM(features)) == 0) {
		p->published_queues = p->want_queues;
		p->published_mtu = p->mtu;
		p->published_lro = p->rx_lro;
	}
}

/* Find the vif this port serves: by guest name (newest domid wins while an
 * old incarnation is still being torn down) or by domid.
 */
static int
xennet_back_find(struct xennet_port *p)
{
	char **doms, *name, *fe;
	unsigned long fe_id, online;
	unsigned int n, i;
	long best = -1;
	char *end;
	long d;

	doms = xennet_xs_directory(XS, &n, XENNET_BACK_DIR);
	for (i = 0; doms != NULL && i < n; i++) {
		d = strtol(doms[i], &end, 10);
		if (*end != '\0' || d < 0 || d <= best)
			continue;
		if (p->domid_arg >= 0 && d != p->domid_arg)
			continue;
		if (p->domain[0] != '\0') {
			name = xennet_xs_read(XS, "/local/domain/%ld/name", d);
			if (name == NULL && errno == EACCES && !p->wait_logged)
				XN_LOG(WARNING, "%s: cannot read the name of "
					"domain %ld (a driver domain may not): "
					"use domid= or hotplug=1 here", p->name,
					d);
			if (name == NULL || strcmp(name, p->domain) != 0) {
				free(name);
				continue;
			}
			free(name);
		}
		if (!xennet_xs_exists(XS, XENNET_BACK_DIR "/%ld/%u/state", d,
				p->devid))
			continue;
		/* Being unplugged (xl network-detach): do not take it again. */
		if (xennet_xs_read_uint(XS, &online,
				XENNET_BACK_DIR "/%ld/%u/online", d,
				p->devid) == 0 && online == 0)
			continue;
		best = d;
	}
	free(doms);
	if (best < 0)
		return -ENOENT;

	snprintf(p->be_path, sizeof(p->be_path), XENNET_BACK_DIR "/%ld/%u",
		best, p->devid);
	fe = xennet_xs_read(XS, "%s/frontend", p->be_path);
	if (fe == NULL || strlen(fe) >= sizeof(p->fe_path) ||
	    xennet_xs_read_uint(XS, &fe_id, "%s/frontend-id",
		p->be_path) != 0 || (long)fe_id != best) {
		XN_LOG_RL(WARNING, "%s: %s has a missing or inconsistent "
			"frontend/frontend-id", p->name, p->be_path);
		p->bad_xenstore++;
		free(fe);
		return -EINVAL;
	}
	strcpy(p->fe_path, fe);
	free(fe);
	/* Half torn down by the toolstack (frontend gone): leave it. */
	if (!xennet_xs_exists(XS, "%s/state", p->fe_path))
		return -ENOENT;
	p->peer_domid = best;
	return 0;
}

/* The guest this port is for: "guest NAME" or "domid N". */
static void
xennet_back_guest_str(const struct xennet_port *p, char *buf, size_t n)
{
	if (p->domain[0] != '\0')
		snprintf(buf, n, "guest %s", p->domain);
	else
		snprintf(buf, n, "domid %ld", p->domid_arg);
}

/*
 * A vif whose backend state is past Initialising, without our mark, is
 * driven by another backend of this domain: the toolstack leaves a new
 * vif Initialising, and a xennet that hands a vif over leaves its mark.
 * A xennet from before the mark published feature-ctrl-ring=0, where
 * Linux netback (4.7 on) publishes 1.
 */
static bool
xennet_back_foreign(struct xennet_port *p)
{
	unsigned long own, ctrl;

	if (xennet_xs_exists(XS, "%s/" XENNET_MARK_KEY, p->be_path) ||
	    xennet_xs_read_uint(XS, &own, "%s/state", p->be_path) != 0 ||
	    own <= XenbusStateInitialising ||
	    (xennet_xs_read_uint(XS, &ctrl, "%s/feature-ctrl-ring",
		p->be_path) == 0 && ctrl == 0))
		return false;
	if (!p->foreign_logged)
		XN_LOG(ERR, "%s: %s is served by another backend (Linux "
			"xen-netback?): it is %s and no xennet served it; keep "
			"xen-netback out of this domain (modprobe -r xen-netback, "
			"or blacklist it), then attach the vif again "
			"(xl network-detach, xl network-attach)", p->name,
			p->be_path, xennet_state_name(own));
	p->foreign_logged = true;
	return true;
}

static int
xennet_back_bind(struct xennet_port *p)
{
	const struct xennet_xs_kv mark = { XENNET_MARK_KEY, "1" };
	char path[160], guest[XENNET_NAME_MAX + 8];
	unsigned long own;

	if (xennet_back_find(p) != 0) {
		p->foreign_logged = false;	/* that vif is gone */
		return -ENOENT;
	}
	if (xennet_claim(p, p->fe_path) != 0) {
		p->peer_domid = -1;
		return -EBUSY;
	}
	if (xennet_back_foreign(p)) {
		xennet_unclaim(p);
		p->peer_domid = -1;
		return -EBUSY;
	}
	p->foreign_logged = false;
	snprintf(path, sizeof(path), "%s/state", p->fe_path);
	if (xennet_watch_get(path) != 0) {
		xennet_unclaim(p);
		p->peer_domid = -1;
		return -EIO;
	}
	p->watching = true;
	xennet_back_guest_str(p, guest, sizeof(guest));
	if (p->wait_logged)
		XN_LOG(NOTICE, "%s: vif %u of %s appeared: serving %s "
			"(frontend %s)", p->name, p->devid, guest, p->be_path,
			p->fe_path);
	else
		XN_LOG(INFO, "%s: serving %s (frontend %s)", p->name,
			p->be_path, p->fe_path);
	p->wait_logged = false;
	xennet_xs_write_keys(XS, p->be_path, &mark, 1);
	xennet_back_publish(p);
	/* A backend before us left the vif connected (a restart or an
	 * upgrade): take over at the rings' state, without a state change
	 * the frontend would see.
	 */
	if (xennet_xs_read_uint(XS, &own, "%s/state", p->be_path) == 0 &&
	    own == XenbusStateConnected) {
		p->state = XenbusStateConnected;
		return 0;
	}
	/* As Linux netback's probe: features, then InitWait. */
	p->state = XenbusStateInitialising;
	xennet_state_write(p, XenbusStateInitWait);
	return 0;
}

/* Read the frontend's keys of every queue into @d. */
static int
xennet_back_read_conn(struct xennet_port *p, struct xennet_conn_desc *d)
{
	unsigned long val, tx, rx, ev, evtx, evrx;
	char dir[160];
	uint16_t i;

	memset(d, 0, sizeof(*d));
	d->peer_domid = p->peer_domid;
	if (xennet_xs_read_uint(XS, &val, "%s/request-rx-copy", p->fe_path) ||
	    val != 1) {
		XN_LOG(ERR, "%s: frontend did not request rx-copy, the only "
			"receive mode there is", p->name);
		return -EOPNOTSUPP;
	}
	val = 1;
	if (xennet_xs_exists(XS, "%s/multi-queue-num-queues", p->fe_path) &&
	    (xennet_xs_read_uint(XS, &val, "%s/multi-queue-num-queues",
			p->fe_path) != 0 || val == 0 ||
	     val > p->want_queues)) {
		XN_LOG(ERR, "%s: frontend asks for %lu queues, we offer %u",
			p->name, val, p->want_queues);
		p->bad_xenstore++;
		return -EINVAL;
	}
	d->nr_queues = val;
	for (i = 0; i < d->nr_queues; i++) {
		if (d->nr_queues == 1)
			snprintf(dir, sizeof(dir), "%s", p->fe_path);
		else
			snprintf(dir, sizeof(dir), "%s/queue-%u", p->fe_path,
				i);
		if (xennet_xs_read_uint(XS, &tx, "%s/tx-ring-ref", dir) ||
		    xennet_xs_read_uint(XS, &rx, "%s/rx-ring-ref", dir) ||
		    tx > UINT32_MAX || rx > UINT32_MAX)
			goto bad;
		/* Split event channels first, as Linux netback tries. */
		if (xennet_xs_read_uint(XS, &evtx, "%s/event-channel-tx",
				dir) == 0 &&
		    xennet_xs_read_uint(XS, &evrx, "%s/event-channel-rx",
				dir) == 0) {
			if (evtx > UINT32_MAX || evrx > UINT32_MAX)
				goto bad;
			if (i == 0)
				d->split = true;
			else if (!d->split)
				goto bad;
		} else if (xennet_xs_read_uint(XS, &ev, "%s/event-channel",
				dir) == 0 && ev <= UINT32_MAX && !d->split) {
			evtx = evrx = ev;
		} else {
			goto bad;
		}
		d->q[i].tx_ref = tx;
		d->q[i].rx_ref = rx;
		d->q[i].evtchn_tx = evtx;
		d->q[i].evtchn_rx = evrx;
	}
	d->peer_sg = xennet_xs_read_uint(XS, &val, "%s/feature-sg",
		p->fe_path) == 0 && val == 1;
	/* absent: IPv4 partial checksums on, IPv6 ones off */
	d->peer_csum = xennet_xs_read_uint(XS, &val,
		"%s/feature-no-csum-offload", p->fe_path) != 0 || val == 0;
	d->peer_csum6 = xennet_xs_read_uint(XS, &val,
		"%s/feature-ipv6-csum-offload", p->fe_path) == 0 && val == 1;
	d->peer_gso4 = xennet_xs_read_uint(XS, &val, "%s/feature-gso-tcpv4",
		p->fe_path) == 0 && val == 1;
	d->peer_gso6 = xennet_xs_read_uint(XS, &val, "%s/feature-gso-tcpv6",
		p->fe_path) == 0 && val == 1;
	d->alive_byte = xennet_xs_read_uint(XS, &val,
		"%s/feature-xennet-alive", p->fe_path) == 0 && val == 1;
	return 0;
bad:
	XN_LOG(ERR, "%s: frontend %s has missing or malformed "
		"tx-ring-ref/rx-ring-ref/event-channel (queue %u of %u)",
		p->name, p->fe_path, i, d->nr_queues);
	p->bad_xenstore++;
	return -EINVAL;
}

static int
xennet_back_connect(struct xennet_port *p)
{
	struct xennet_conn_desc d;
	int ret;

	ret = xennet_back_read_conn(p, &d);
	if (ret == 0)
		ret = xennet_conn_open(p, &d, &p->conn);
	if (ret != 0)
		return ret;
	/* A frontend may be waiting for an event from the backend it had
	 * before us.
	 */
	xennet_conn_notify(p->conn);
	return 0;
}

/* One step along the shortest path, as Linux set_backend_state(). */
static int
xennet_back_next(int cur, int target)
{
	switch (cur) {
	case XenbusStateInitialising:
		return target == XenbusStateClosed ? XenbusStateClosed :
						     XenbusStateInitWait;
	case XenbusStateClosed:
		return target == XenbusStateClosing ? XenbusStateClosing :
						      XenbusStateInitWait;
	case XenbusStateInitWait:
		return target == XenbusStateConnected ? XenbusStateConnected :
							XenbusStateClosing;
	case XenbusStateConnected:
		return XenbusStateClosing;
	default: /* Closing */
		return XenbusStateClosed;
	}
}

static void
xennet_back_set_state(struct xennet_port *p, int target, const char *raw)
{
	int next;

	if (p->state == XenbusStateConnected && p->conn == NULL &&
	    target == XenbusStateConnected) {
		/* Taking over a connected vif. */
		if (xennet_back_connect(p) == 0) {
			xennet_connected(p);
			return;
		}
		xennet_refuse(p, raw);
		xennet_state_write(p, XenbusStateClosing);
		return;
	}
	while (p->state != target) {
		next = xennet_back_next(p->state, target);
		if (next == XenbusStateConnected) {
			if (xennet_back_connect(p) != 0) {
				/* As xenbus_dev_fatal(): give up on this
				 * connection until the frontend changes state.
				 */
				xennet_refuse(p, raw);
				xennet_state_write(p, XenbusStateClosing);
				return;
			}
			xennet_connected(p);
		} else if (p->state == XenbusStateConnected) {
			xennet_disconnect(p);
		}
		xennet_state_write(p, next);
	}
}

/* The guest's domid if it has a vif this domain serves, else -1. */
static long
xennet_back_guest_domid(const struct xennet_port *p)
{
	unsigned int n, i;
	char **doms, *name, *end;
	long d, found = -1;

	if (p->domid_arg >= 0)
		return xennet_xs_exists(XS, XENNET_BACK_DIR "/%ld",
			p->domid_arg) ? p->domid_arg : -1;
	doms = xennet_xs_directory(XS, &n, XENNET_BACK_DIR);
	for (i = 0; doms != NULL && i < n && found < 0; i++) {
		d = strtol(doms[i], &end, 10);
		if (*end != '\0' || d < 0)
			continue;
		name = xennet_xs_read(XS, "/local/domain/%ld/name", d);
		if (name != NULL && strcmp(name, p->domain) == 0)
			found = d;
		free(name);
	}
	free(doms);
	return found;
}

/* Say once what a backend waits for, and where to look for it. */
static void
xennet_back_wait_log(struct xennet_port *p)
{
	long d = xennet_back_guest_domid(p);
	char guest[XENNET_NAME_MAX + 8], who[XENNET_NAME_MAX];

	xennet_back_guest_str(p, guest, sizeof(guest));
	/* what xl takes for the guest */
	if (p->domain[0] != '\0')
		snprintf(who, sizeof(who), "%s", p->domain);
	else
		snprintf(who, sizeof(who), "%ld", p->domid_arg);
	if (d < 0 && p->domain[0] != '\0')
		XN_LOG(NOTICE, "%s: waiting for vif %u of %s: no guest named "
			"%s has a vif served by this domain yet (xl list; "
			"xl network-list %s); watching " XENNET_BACK_DIR,
			p->name, p->devid, guest, who, who);
	else if (d < 0)
		XN_LOG(NOTICE, "%s: waiting for vif %u of %s: domid %s has no "
			"vif served by this domain yet (xl list; "
			"xl network-list %s); watching " XENNET_BACK_DIR,
			p->name, p->devid, guest, who, who);
	else if (!xennet_xs_exists(XS, XENNET_BACK_DIR "/%ld/%u", d, p->devid))
		XN_LOG(NOTICE, "%s: waiting for vif %u of %s: domid %ld has "
			"no vif %u served by this domain yet (xl network-list "
			"%s); watching " XENNET_BACK_DIR "/%ld", p->name,
			p->devid, guest, d, p->devid, who, d);
	else
		XN_LOG(NOTICE, "%s: waiting for vif %u of %s: "
			XENNET_BACK_DIR "/%ld/%u is being set up or torn down "
			"(no state, online 0, or no frontend); waiting for the "
			"next one", p->name, p->devid, guest, d, p->devid);
}

static void
xennet_back_reconcile(struct xennet_port *p)
{
	unsigned long online = 1;
	char raw[16], *hotplug;
	int target;

	if (!p->active)
		return;
	if (p->peer_domid < 0 && xennet_back_bind(p) != 0) {
		if (!p->wait_logged && !p->claim_logged && !p->foreign_logged) {
			xennet_back_wait_log(p);
			p->wait_logged = true;
		}
		return;
	}
	/* The toolstack removed the vif: never recreate its directory, and
	 * look for the next one (the guest's next incarnation).
	 */
	if (!xennet_xs_exists(XS, "%s/state", p->be_path)) {
		xennet_unbind(p);
		if (xennet_back_bind(p) != 0)
			return;
	}
	/* Reconfigured: offer the new queue count to the next frontend. */
	if (p->published_queues != p->want_queues ||
	    p->published_mtu != p->mtu || p->published_lro != p->rx_lro)
		xennet_back_publish(p);
	p->peer_state = xennet_peer_state_read(p, p->fe_path, raw,
		sizeof(raw));
	xennet_xs_read_uint(XS, &online, "%s/online", p->be_path);
	if (p->peer_state != XenbusStateConnected)
		p->peer_died = false;
	if (xennet_still_refused(p, raw))
		return;
	if (p->conn != NULL && !xennet_conn_peer_alive(p->conn)) {
		/* Its xenstore state cannot say so: treat it as Closed. */
		XN_LOG(NOTICE, "%s: frontend process of domain %ld is gone",
			p->name, p->peer_domid);
		p->peer_died = true;
		xennet_back_set_state(p, XenbusStateClosed, raw);
		return;
	}

	switch (p->peer_state) {
	case XenbusStateInitialising:
		target = XenbusStateInitWait;
		break;
	case XenbusStateConnected:
		if (p->peer_died) {
			target = p->state; /* stale: wait for a new frontend */
			break;
		}
		/* A hotplug script must have run first, as Linux waits. */
		hotplug = xennet_xs_read(XS, "%s/hotplug-status", p->be_path);
		target = (hotplug != NULL && strcmp(hotplug, "connected") == 0)
			? XenbusStateConnected : p->state;
		free(hotplug);
		break;
	case XenbusStateClosing:
		target = XenbusStateClosing;
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
		/* Linux unregisters the device here; we stay bound to the
		 * directory, Closed, until the frontend starts over or the
		 * toolstack removes it.
		 */
		xennet_back_set_state(p, XenbusStateClosed, raw);
		if (online == 0)
			xennet_unbind(p);
		return;
	case -1:
		/* xenbus_dev_fatal("saw state %d at frontend"): Closing,
		 * once, then wait for a valid state.
		 */
		if (p->state != XenbusStateClosing &&
		    p->state != XenbusStateClosed)
			xennet_back_set_state(p, XenbusStateClosing, raw);
		return;
	default:
		target = p->state;
		break;
	}
	xennet_back_set_state(p, target, raw);

	if (p->state == XenbusStateConnected && p->conn != NULL &&
	    __atomic_load_n(&p->fatal, __ATOMIC_RELAXED) != 0 &&
	    !p->disabled) {
		/* xenvif_fatal_tx_err(): stop the vif, carrier off, keep the
		 * mappings until the frontend resets.
		 */
		XN_LOG(ERR, "%s: fatal error from domain %ld (%s); disabling "
			"device", p->name, p->peer_domid,
			xennet_reason_str[p->fatal]);
		p->fatal_errors++;
		xennet_conn_attach(p, NULL);
		p->disabled = true;
	}
	if (p->admin_down != p->published_down) {
		const struct xennet_xs_kv carrier = {
			"carrier", p->admin_down ? "0" : "1"
		};

		if (xennet_xs_write_keys(XS, p->be_path, &carrier, 1) == 0)
			p->published_down = p->admin_down;
	}
	xennet_set_link(p, p->state == XenbusStateConnected &&
		p->conn != NULL && !p->disabled && !p->admin_down &&
		xennet_carrier(p));
}

/* Frontend ------------------------------------------------------------- */

static int
xennet_front_bind(struct xennet_port *p)
{
	unsigned long be_id;
	char path[160];
	char *be;

	be = xennet_xs_read(XS, "%s/backend", p->fe_path);
	if (be == NULL)
		return -ENOENT; /* the toolstack has not written it yet */
	if (strlen(be) >= sizeof(p->be_path) ||
	    xennet_xs_read_uint(XS, &be_id, "%s/backend-id",
			p->fe_path) != 0 || be_id >= DOMID_FIRST_RESERVED) {
		XN_LOG_RL(WARNING, "%s: %s has a malformed backend/backend-id",
			p->name, p->fe_path);
		p->bad_xenstore++;
		free(be);
		return -EINVAL;
	}
	strcpy(p->be_path, be);
	free(be);
	if (xennet_claim(p, p->be_path) != 0)
		return -EBUSY;
	p->peer_domid = be_id;
	/* the backend's directory: its state and its carrier */
	snprintf(path, sizeof(path), "%s", p->be_path);
	if (xennet_watch_get(path) != 0) {
		xennet_unclaim(p);
		p->peer_domid = -1;
		return -EIO;
	}
	p->watching = true;
	p->state = XenbusStateUnknown;
	xennet_state_write(p, XenbusStateInitialising);
	return 0;
}

/* Frontend probe: the vif's MAC unless given, and its claim if the
 * toolstack has written its backend already.
 */
int
xennet_front_probe(struct xennet_port *p)
{
	char *s;
	int ret = 0;

	xennet_ctl_lock();
	if (!p->mac_set) {
		s = xennet_xs_read(XS, "%s/mac", p->fe_path);
		if (s == NULL) {
			XN_LOG(ERR, "%s: no vif %u in xenstore (%s/mac); was "
				"it created by the toolstack?", p->name,
				p->devid, p->fe_path);
			ret = -ENODEV;
		} else if (rte_ether_unformat_addr(s, &p->mac) != 0 ||
			   !rte_is_valid_assigned_ether_addr(&p->mac)) {
			XN_LOG(ERR, "%s: %s/mac holds \"%s\", not a unicast "
				"MAC", p->name, p->fe_path, s);
			p->bad_xenstore++;
			ret = -EINVAL;
		}
		free(s);
	}
	s = ret == 0 ? xennet_xs_read(XS, "%s/backend", p->fe_path) : NULL;
	if (s != NULL)
		ret = xennet_claim(p, s);
	free(s);
	xennet_ctl_unlock();
	return ret;
}

/* Pages a frontend grants per queue pair: rings, TX and RX buffers. */
static unsigned int
xennet_front_pages(const struct xennet_port *p)
{
	return 2 + xennet_tx_buf_pages(p->want_tx_bufs, p->want_tx_buf_size) +
		p->want_rx_bufs;
}

int
xennet_front_budget(struct xennet_port *p)
{
	unsigned int limit = xennet_gntalloc_limit(XENNET_GNTALLOC_LIMIT);
	unsigned int per_q = xennet_front_pages(p);

	if (per_q * p->want_queues <= limit)
		return 0;
	XN_LOG(ERR, "%s: %u queues of %u Rx and %u Tx descriptors need %u "
		"granted pages, more than gntalloc's limit of %u per domain: "
		"use at most %u such queues or fewer descriptors (pages per "
		"queue = 2 + txd/2 + rxd)", p->name, p->want_queues,
		p->want_rx_bufs, p->want_tx_bufs, per_q * p->want_queues,
		limit, limit / per_q);
	return -ENOSPC;
}

/* Keys of one transaction, with room for their formatted names/values. */
struct xennet_keys {
	unsigned int n;
	struct xennet_xs_kv kv[64];
	char name[64][32];
	char value[64][12];
};

/* Add key @pre@key with value @v, or removal of the key if @v < 0. */
static void
xennet_key(struct xennet_keys *k, const char *pre, const char *key, long v)
{
	RTE_VERIFY(k->n < RTE_DIM(k->kv));
	snprintf(k->name[k->n], sizeof(k->name[0]), "%s%s", pre, key);
	k->kv[k->n].key = k->name[k->n];
	k->kv[k->n].value = NULL;
	if (v >= 0) {
		snprintf(k->value[k->n], sizeof(k->value[0]), "%ld", v);
		k->kv[k->n].value = k->value[k->n];
	}
	k->n++;
}

static int
xennet_front_connect(struct xennet_port *p)
{
	struct xennet_conn_desc d = { .peer_domid = p->peer_domid };
	unsigned long val, maxq = 1;
	struct xennet_keys *k;
	const struct xennet_qdesc *qd;
	char pre[16];
	unsigned int i;
	bool multi;
	int ret;

	if (xennet_xs_read_uint(XS, &val, "%s/feature-rx-copy", p->be_path) ||
	    val != 1) {
		XN_LOG(ERR, "%s: backend %s does not offer feature-rx-copy",
			p->name, p->be_path);
		return -EOPNOTSUPP;
	}
	if (xennet_xs_read_uint(XS, &maxq, "%s/multi-queue-max-queues",
			p->be_path) != 0 || maxq == 0)
		maxq = 1;
	d.nr_queues = RTE_MIN(p->want_queues, maxq);
	d.split = xennet_xs_read_uint(XS, &val,
		"%s/feature-split-event-channels", p->be_path) == 0 &&
		val == 1;
	d.peer_sg = xennet_xs_read_uint(XS, &val, "%s/feature-sg",
		p->be_path) == 0 && val == 1;
	/* a backend takes partial IPv4 checksums, IPv6 ones if it says */
	d.peer_csum = true;
	d.peer_csum6 = xennet_xs_read_uint(XS, &val,
		"%s/feature-ipv6-csum-offload", p->be_path) == 0 && val == 1;
	d.peer_gso4 = xennet_xs_read_uint(XS, &val, "%s/feature-gso-tcpv4",
		p->be_path) == 0 && val == 1;
	d.peer_gso6 = xennet_xs_read_uint(XS, &val, "%s/feature-gso-tcpv6",
		p->be_path) == 0 && val == 1;
	if (!d.peer_sg && p->mtu > XENNET_MTU_DEFAULT)
		XN_LOG(WARNING, "%s: backend %s lacks feature-sg: frames "
			"longer than a page are dropped (MTU %u)", p->name,
			p->be_path, p->mtu);
	/* The toolstack's MTU (libxl writes it in both directories) is
	 * only a hint: the application sets the port's.
	 */
	if ((xennet_xs_read_uint(XS, &val, "%s/mtu", p->fe_path) == 0 ||
	     xennet_xs_read_uint(XS, &val, "%s/mtu", p->be_path) == 0) &&
	    val != p->mtu)
		XN_LOG(NOTICE, "%s: the vif's mtu key says %lu, the port's "
			"MTU is %u", p->name, val, p->mtu);
	d.nr_rx_bufs = p->want_rx_bufs;
	d.nr_tx_bufs = p->want_tx_bufs;
	d.tx_buf_size = p->want_tx_buf_size;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	ret = xennet_conn_open(p, &d, &p->conn);
	if (ret != 0) {
		free(k);
		return ret;
	}
	p->conn_queues_asked = p->want_queues;
	p->conn_rx_csum = p->rx_csum;
	p->conn_rx_lro = p->rx_lro;

	/* One transaction: each queue's keys (flat for one queue, under
	 * queue-N/ for more, as netfront writes them), the features, and
	 * the removal of what an earlier frontend left that would make a
	 * backend expect another layout or a control ring.
	 */
	multi = d.nr_queues > 1;
	for (i = 0; i < XENNET_MAX_QUEUES; i++) {
		snprintf(pre, sizeof(pre), "queue-%u", i);
		if (!multi || i >= d.nr_queues)
			xennet_key(k, pre, "", -1);
	}
	for (i = 0; i < d.nr_queues; i++) {
		qd = &p->conn->d.q[i];
		snprintf(pre, sizeof(pre), multi ? "queue-%u/" : "", i);
		xennet_key(k, pre, "tx-ring-ref", qd->tx_ref);
		xennet_key(k, pre, "rx-ring-ref", qd->rx_ref);
		xennet_key(k, pre, "event-channel",
			d.split ? -1 : (long)qd->evtchn_tx);
		xennet_key(k, pre, "event-channel-tx",
			d.split ? (long)qd->evtchn_tx : -1);
		xennet_key(k, pre, "event-channel-rx",
			d.split ? (long)qd->evtchn_rx : -1);
	}
	if (multi) {
		xennet_key(k, "", "tx-ring-ref", -1);
		xennet_key(k, "", "rx-ring-ref", -1);
		xennet_key(k, "", "event-channel", -1);
		xennet_key(k, "", "event-channel-tx", -1);
		xennet_key(k, "", "event-channel-rx", -1);
	}
	xennet_key(k, "", "multi-queue-num-queues", multi ? d.nr_queues : -1);
	xennet_key(k, "", "request-rx-copy", 1);
	xennet_key(k, "", "feature-rx-notify", 1);
	/* see XENNET_ALIVE_OFF */
	xennet_key(k, "", "feature-xennet-alive", 1);
	/* Partial checksums only if the application enabled Rx checksum
	 * offload: they are completed here then.
	 */
	xennet_key(k, "", "feature-no-csum-offload", !p->rx_csum);
	xennet_key(k, "", "feature-ipv6-csum-offload", p->rx_csum);
	/* GSO frames only for an application that takes them (LRO) */
	xennet_key(k, "", "feature-gso-tcpv4", p->rx_lro);
	xennet_key(k, "", "feature-gso-tcpv6", p->rx_lro);
	xennet_key(k, "", "feature-sg", 1);
	xennet_key(k, "", "ctrl-ring-ref", -1);
	xennet_key(k, "", "event-channel-ctrl", -1);
	ret = xennet_xs_write_keys(XS, p->fe_path, k->kv, k->n);
	free(k);
	if (ret != 0) {
		xennet_conn_close(p->conn);
		p->conn = NULL;
		return -EIO;
	}
	return 0;
}

static void
xennet_front_close(struct xennet_port *p)
{
	xennet_state_write(p, XenbusStateClosing);
	xennet_disconnect(p);
	xennet_state_write(p, XenbusStateClosed);
}

static void
xennet_front_reconcile(struct xennet_port *p)
{
	unsigned long online = 1;
	char raw[16];
	int be;

	if (!p->active)
		return;
	if (!xennet_xs_exists(XS, "%s/state", p->fe_path)) {
		/* vif removed by the toolstack; wait for a new one */
		if (p->peer_domid >= 0)
			xennet_unbind(p);
		return;
	}
	if (p->peer_domid < 0 && xennet_front_bind(p) != 0)
		return;
	be = xennet_peer_state_read(p, p->be_path, raw, sizeof(raw));
	if (be < 0)
		return;	/* as netback_changed(): ignore what is no state */
	p->peer_state = be;
	xennet_xs_read_uint(XS, &online, "%s/online", p->be_path);

	switch (p->state) {
	case XenbusStateInitialising:
		if (be != XenbusStateInitWait || !p->started)
			break;
		if (xennet_front_connect(p) != 0) {
			/* As xenbus_dev_fatal(): no retry against this
			 * backend until it resets.
			 */
			xennet_refuse(p, raw);
			xennet_state_write(p, XenbusStateClosed);
			break;
		}
		xennet_connected(p);
		xennet_state_write(p, XenbusStateConnected);
		break;
	case XenbusStateConnected:
		if (be == XenbusStateClosing || be == XenbusStateClosed ||
		    be == XenbusStateUnknown) {
			xennet_front_close(p);
		} else if (__atomic_load_n(&p->fatal, __ATOMIC_RELAXED) != 0) {
			XN_LOG(ERR, "%s: backend broke the protocol (%s); "
				"reconnecting", p->name,
				xennet_reason_str[p->fatal]);
			p->fatal_errors++;
			xennet_front_close(p);
		} else if (p->reconnect) {
			XN_LOG(INFO, "%s: queues reconfigured; reconnecting",
				p->name);
			xennet_front_close(p);
		}
		break;
	case XenbusStateClosing:
		xennet_front_close(p);
		break;
	default:
		/* Closed: start over once the backend is ready again. */
		p->reconnect = false;
		if (xennet_still_refused(p, raw))
			break;
		if (be == XenbusStateInitWait ||
		    (be == XenbusStateClosed && online != 0))
			xennet_state_write(p, XenbusStateInitialising);
		break;
	}
	xennet_set_link(p, p->state == XenbusStateConnected &&
		be == XenbusStateConnected && p->started && !p->admin_down &&
		xennet_carrier(p));
}

/* Control thread ------------------------------------------------------- */

static bool
xennet_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return n != 0 && strncmp(path, dir, n) == 0 &&
		(path[n] == '/' || path[n] == '\0');
}

/* An event that may announce a vif: a state node or a directory. */
static bool
xennet_vif_event(const char *path)
{
	const char *rest = path + strlen(XENNET_BACK_DIR);
	unsigned int depth = 0;
	size_t n = strlen(path);

	for (; *rest != '\0'; rest++)
		depth += *rest == '/';
	return depth <= 2 || (n > 6 && strcmp(path + n - 6, "/state") == 0) ||
		(n > 7 && strcmp(path + n - 7, "/online") == 0);
}

static void
xennet_dispatch(const char *path, void *arg)
{
	struct xennet_hotplug *h;
	struct xennet_port *p;

	RTE_SET_USED(arg);
	if (xennet_path_under(path, XENNET_BACK_DIR) && xennet_vif_event(path))
		TAILQ_FOREACH(h, &xennet_ctl.hotplugs, next)
			h->dirty = true;
	TAILQ_FOREACH(p, &xennet_ctl.ports, next) {
		if (p->peer_domid >= 0) {
			if (xennet_path_under(path, p->fe_path) ||
			    xennet_path_under(path, p->be_path))
				p->dirty = true;
		} else if (p->role == XENNET_ROLE_BACKEND) {
			if (xennet_path_under(path, XENNET_BACK_DIR) &&
			    xennet_vif_event(path))
				p->dirty = true;
		} else if (xennet_path_under(path, p->fe_path)) {
			p->dirty = true;
		}
	}
}

/* Ports that need a look without an event. */
static bool
xennet_needs_tick(const struct xennet_port *p)
{
	return p->active && (p->claim_logged ||
		(p->conn != NULL && p->conn->d.alive_byte && !p->peer_died));
}

/* What a tick finds without xenstore: a dead frontend, a claim to retry. */
static bool
xennet_tick_work(const struct xennet_port *p)
{
	if (!p->active)
		return false;
	return p->claim_logged || (p->conn != NULL && !p->peer_died &&
		!xennet_conn_peer_alive(p->conn));
}

static void
xennet_reconcile(struct xennet_port *p)
{
	if (p->role == XENNET_ROLE_BACKEND)
		xennet_back_reconcile(p);
	else
		xennet_front_reconcile(p);
}

/* Hotplug -------------------------------------------------------------- */

/* A vdev to create once the lock is dropped (its probe registers). */
struct xennet_newdev {
	char name[RTE_DEV_NAME_MAX_LEN];
	char args[160];
};

static bool
xennet_seen(struct xennet_hotplug *h, const char *key, bool add)
{
	unsigned int i;
	char **n;

	for (i = 0; i < h->nr_seen; i++)
		if (strcmp(h->seen[i], key) == 0)
			return true;
	if (add) {
		n = realloc(h->seen, (h->nr_seen + 1) * sizeof(*n));
		if (n == NULL)
			return false;
		h->seen = n;
		h->seen[h->nr_seen] = strdup(key);
		if (h->seen[h->nr_seen] != NULL)
			h->nr_seen++;
	}
	return false;
}

/* Forget vifs whose directory is gone: their next incarnation is new. */
static void
xennet_seen_prune(struct xennet_hotplug *h)
{
	unsigned int i = 0;

	while (i < h->nr_seen) {
		if (xennet_xs_exists(XS, XENNET_BACK_DIR "/%s/state",
				h->seen[i])) {
			i++;
			continue;
		}
		free(h->seen[i]);
		h->seen[i] = h->seen[--h->nr_seen];
	}
}

/* Port names carry the guest name; keep what a device name may hold. */
static void
xennet_sanitize(char *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i] != '\0'; i++)
		dst[i] = (isalnum((unsigned char)src[i]) || src[i] == '-' ||
			  src[i] == '.') ? src[i] : '_';
	dst[i] = '\0';
}

/* Decide about one vif not seen before; true if a port is to be made. */
static bool
xennet_hotplug_vif(struct xennet_hotplug *h, long d, const char *devid,
	struct xennet_newdev *nd)
{
	char *name, *end, clean[XENNET_NAME_MAX];
	unsigned long n, online;
	struct xennet_port *p;
	char be[64];
	uint16_t pid;
	int len;

	n = strtoul(devid, &end, 10);
	if (*end != '\0' || n > INT32_MAX)
		return false;
	snprintf(be, sizeof(be), XENNET_BACK_DIR "/%ld/%lu", d, n);
	if (xennet_xs_read_uint(XS, &online, "%s/online", be) == 0 &&
	    online == 0)
		return false;
	TAILQ_FOREACH(p, &xennet_ctl.ports, next)
		if (p->peer_domid >= 0 && strcmp(p->be_path, be) == 0)
			return false;	/* a port here serves it */
	name = xennet_xs_read(XS, "/local/domain/%ld/name", d);
	if (name != NULL && (strlen(name) >= XENNET_NAME_MAX ||
			     strpbrk(name, ",=/") != NULL)) {
		XN_LOG(WARNING, "%s: the name of domain %ld cannot be a "
			"devarg; serving it by domid", h->name, d);
		free(name);
		name = NULL;
	}
	if (h->match[0] != '\0' &&
	    (name == NULL || fnmatch(h->match, name, 0) != 0)) {
		free(name);
		return false;
	}
	if (name != NULL) {
		xennet_sanitize(clean, sizeof(clean), name);
		len = snprintf(nd->name, sizeof(nd->name), "%s_%.*s_%lu",
			h->name, 40, clean, n);
		snprintf(nd->args, sizeof(nd->args), "role=backend,domain=%s,"
			"devid=%lu,max_queues=%u,hotplugged=1", name, n,
			h->max_queues);
	} else {
		len = snprintf(nd->name, sizeof(nd->name), "%s_d%ld_%lu",
			h->name, d, n);
		snprintf(nd->args, sizeof(nd->args), "role=backend,domid=%ld,"
			"devid=%lu,max_queues=%u,hotplugged=1", d, n,
			h->max_queues);
	}
	if (len >= (int)sizeof(nd->name)) {
		XN_LOG(ERR, "%s: name too long for a port of vif %lu of "
			"domain %ld", h->name, n, d);
		free(name);
		return false;
	}
	free(name);
	/* The port of an earlier incarnation serves this one too. */
	return rte_eth_dev_get_port_by_name(nd->name, &pid) != 0;
}

static unsigned int
xennet_hotplug_scan(struct xennet_hotplug *h, struct xennet_newdev *nd,
	unsigned int max)
{
	char **doms, **vifs, key[48];
	unsigned int nd_n = 0, n, m, i, j;
	char *end;
	long d;

	xennet_seen_prune(h);
	doms = xennet_xs_directory(XS, &n, XENNET_BACK_DIR);
	for (i = 0; doms != NULL && i < n && nd_n < max; i++) {
		d = strtol(doms[i], &end, 10);
		if (*end != '\0' || d < 0)
			continue;
		vifs = xennet_xs_directory(XS, &m, XENNET_BACK_DIR "/%ld", d);
		for (j = 0; vifs != NULL && j < m && nd_n < max; j++) {
			snprintf(key, sizeof(key), "%ld/%s", d, vifs[j]);
			if (xennet_seen(h, key, false))
				continue;
			if (!xennet_xs_exists(XS, XENNET_BACK_DIR "/%s/state",
					key))
				continue; /* being written: next event */
			xennet_seen(h, key, true);
			if (xennet_hotplug_vif(h, d, vifs[j], &nd[nd_n]))
				nd_n++;
		}
		free(vifs);
	}
	free(doms);
	return nd_n;
}

/* Control thread ------------------------------------------------------- */

#define XENNET_NEWDEV_MAX 16

static void *
xennet_ctl_main(void *arg)
{
	struct pollfd pfd[2] = {
		{ .fd = xennet_xs_fd(XS), .events = POLLIN },
		{ .fd = xennet_ctl.kick, .events = POLLIN },
	};
	struct xennet_newdev nd[XENNET_NEWDEV_MAX];
	uint16_t lsc[RTE_MAX_ETHPORTS], rmv[RTE_MAX_ETHPORTS];
	int timeout = -1, n, i, nlsc, nrmv, nnd;
	struct xennet_hotplug *h;
	struct xennet_port *p;

	RTE_SET_USED(arg);
	while (__atomic_load_n(&xennet_ctl.running, __ATOMIC_ACQUIRE)) {
		n = poll(pfd, RTE_DIM(pfd), timeout);
		nlsc = nrmv = nnd = 0;
		xennet_ctl_lock();
		if (n > 0 && (pfd[1].revents & POLLIN))
			xennet_eventfd_drain(xennet_ctl.kick);
		xennet_xs_watch_events(XS, xennet_dispatch, NULL);
		timeout = -1;
		TAILQ_FOREACH(p, &xennet_ctl.ports, next) {
			if (p->dirty || xennet_tick_work(p) ||
			    __atomic_load_n(&p->fatal, __ATOMIC_RELAXED) != 0) {
				p->dirty = false;
				xennet_reconcile(p);
			}
			if (xennet_needs_tick(p))
				timeout = XENNET_CTL_TICK_MS;
			if (p->lsc_pending) {
				p->lsc_pending = false;
				lsc[nlsc++] = p->dev->data->port_id;
			}
			if (p->rmv_pending) {
				p->rmv_pending = false;
				rmv[nrmv++] = p->dev->data->port_id;
			}
		}
		TAILQ_FOREACH(h, &xennet_ctl.hotplugs, next) {
			if (!h->dirty || nnd == XENNET_NEWDEV_MAX)
				continue;
			h->dirty = false;
			nnd += xennet_hotplug_scan(h, &nd[nnd],
				XENNET_NEWDEV_MAX - nnd);
			if (nnd == XENNET_NEWDEV_MAX) {
				h->dirty = true;	/* more next pass */
				timeout = 0;
			}
		}
		xennet_ctl_unlock();
		/* Callbacks may stop, close or configure ports. */
		for (i = 0; i < nlsc; i++)
			rte_eth_dev_callback_process(&rte_eth_devices[lsc[i]],
				RTE_ETH_EVENT_INTR_LSC, NULL);
		for (i = 0; i < nrmv; i++)
			rte_eth_dev_callback_process(&rte_eth_devices[rmv[i]],
				RTE_ETH_EVENT_INTR_RMV, NULL);
		/* The probe announces the port (RTE_ETH_EVENT_NEW). */
		for (i = 0; i < nnd; i++)
			if (rte_vdev_init(nd[i].name, nd[i].args) != 0)
				XN_LOG(ERR, "cannot create port %s (%s)",
					nd[i].name, nd[i].args);
	}
	return NULL;
}

/*
 * With the registration lock held: the last user stops it all. A port
 * closed from a callback on the control thread itself lets the thread end
 * on its own.
 */
static void
xennet_ctl_put(void)
{
	struct xennet_watch *w;

	if (--xennet_ctl.users > 0)
		return;
	if (__atomic_exchange_n(&xennet_ctl.running, false,
			__ATOMIC_ACQ_REL)) {
		xennet_ctl_kick();
		if (pthread_equal(pthread_self(), xennet_ctl.tid))
			pthread_detach(xennet_ctl.tid);
		else
			pthread_join(xennet_ctl.tid, NULL);
	}
	/* The watches go with the xenstore connection. */
	while ((w = TAILQ_FIRST(&xennet_ctl.watches)) != NULL) {
		TAILQ_REMOVE(&xennet_ctl.watches, w, next);
		free(w);
	}
	if (xennet_ctl.kick >= 0)
		close(xennet_ctl.kick);
	xennet_ctl.kick = -1;
	xennet_xen_close(XS);
}

/* With the registration lock held: the first user starts it all. */
static int
xennet_ctl_get(void)
{
	int ret;

	if (xennet_ctl.users++ > 0)
		return 0;
	ret = xennet_xen_open(XS);
	if (ret != 0)
		goto fail;
	xennet_ctl.kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ret = -EIO;
	if (xennet_ctl.kick < 0 || xennet_watch_get(XENNET_BACK_DIR) != 0)
		goto fail;
	xennet_ctl.running = true;
	ret = rte_ctrl_thread_create(&xennet_ctl.tid, "xennet-ctl", NULL,
		xennet_ctl_main, NULL);
	if (ret == 0)
		return 0;
	XN_LOG(ERR, "cannot start the control thread");
	xennet_ctl.running = false;
fail:
	xennet_ctl_put();
	return ret;
}

/*
 * Leave the vif the way a peer recovers from. A backend hands it over:
 * rings unmapped and channels closed, xenstore left as it is, so the next
 * backend process takes over and the frontend (Linux netfront does not
 * reconnect after Closed) notices nothing. A frontend closes and waits
 * briefly for its backend to unmap before ending the grants.
 */
static void
xennet_port_leave(struct xennet_port *p)
{
	int waited, be;
	char raw[16];

	if (p->peer_domid < 0)
		return;
	if (p->role == XENNET_ROLE_BACKEND) {
		if (p->conn != NULL)
			XN_LOG(INFO, "%s: leaving %s connected for the next "
				"backend", p->name, p->be_path);
		xennet_disconnect(p);
	} else if (p->state != XenbusStateClosed) {
		xennet_state_write(p, XenbusStateClosing);
		for (waited = 0; waited < XENNET_CLOSE_WAIT_MS; waited += 10) {
			be = xennet_peer_state_read(p, p->be_path, raw,
				sizeof(raw));
			if (be != XenbusStateConnected)
				break;
			usleep(10000);
		}
		xennet_disconnect(p);
		xennet_state_write(p, XenbusStateClosed);
	}
	xennet_unbind(p);
}

int
xennet_ctl_register(struct xennet_port *p)
{
	int ret;

	pthread_mutex_lock(&xennet_ctl.reg);
	ret = xennet_ctl_get();
	if (ret != 0)
		goto out;
	xennet_ctl_lock();
	ret = xennet_xen_need(XS, p->role == XENNET_ROLE_BACKEND);
	if (ret == 0 && p->role == XENNET_ROLE_FRONTEND)
		ret = xennet_watch_get(p->fe_path);
	if (ret == 0) {
		p->kick_fd = xennet_ctl.kick;
		TAILQ_INSERT_TAIL(&xennet_ctl.ports, p, next);
		if (p->hotplugged) {
			/* Take part in xenbus at once: xl waits for InitWait,
			 * maybe before the app starts the port.
			 */
			p->active = true;
			p->want_queues = p->max_queues;
			xennet_ctl_port_changed(p);
		}
	}
	xennet_ctl_unlock();
	if (ret != 0)
		xennet_ctl_put();
out:
	pthread_mutex_unlock(&xennet_ctl.reg);
	return ret;
}

void
xennet_ctl_unregister(struct xennet_port *p)
{
	pthread_mutex_lock(&xennet_ctl.reg);
	xennet_ctl_lock();
	xennet_port_leave(p);
	if (p->role == XENNET_ROLE_FRONTEND)
		xennet_watch_put(p->fe_path);
	TAILQ_REMOVE(&xennet_ctl.ports, p, next);
	xennet_ctl_unlock();
	xennet_ctl_put();
	pthread_mutex_unlock(&xennet_ctl.reg);
}

int
xennet_hotplug_register(struct xennet_hotplug *h)
{
	int ret;

	pthread_mutex_lock(&xennet_ctl.reg);
	ret = xennet_ctl_get();
	if (ret == 0) {
		xennet_ctl_lock();
		h->dirty = true;
		TAILQ_INSERT_TAIL(&xennet_ctl.hotplugs, h, next);
		xennet_ctl_kick();
		xennet_ctl_unlock();
	}
	pthread_mutex_unlock(&xennet_ctl.reg);
	return ret;
}

void
xennet_hotplug_unregister(struct xennet_hotplug *h)
{
	unsigned int i;

	pthread_mutex_lock(&xennet_ctl.reg);
	xennet_ctl_lock();
	TAILQ_REMOVE(&xennet_ctl.hotplugs, h, next);
	xennet_ctl_unlock();
	xennet_ctl_put();
	pthread_mutex_unlock(&xennet_ctl.reg);
	for (i = 0; i < h->nr_seen; i++)
		free(h->seen[i]);
	free(h->seen);
}

struct xennet_hotplug *
xennet_hotplug_find(const char *name)
{
	struct xennet_hotplug *h;

	xennet_ctl_lock();
	TAILQ_FOREACH(h, &xennet_ctl.hotplugs, next)
		if (strcmp(h->name, name) == 0)
			break;
	xennet_ctl_unlock();
	return h;
}
