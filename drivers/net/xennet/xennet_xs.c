/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * The xenstore handshake and XenbusState machine of both roles, run by one
 * control thread per port. Every watch event, and a periodic tick, leads
 * to one reconcile pass that reads the current state of both ends and
 * steps towards the state the peer calls for, as Linux netback's
 * frontend_changed() and netfront's netback_changed() do.
 */

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_thread.h>

#include <xen/io/xenbus.h>

#include "xennet.h"

#define XENNET_CTL_TICK_MS 500
#define XENNET_CLOSE_WAIT_MS 2000
#define XENNET_TOKEN "xennet"
/* Relative paths resolve against our own /local/domain/<domid>. */
#define XENNET_BACK_DIR "backend/vif"

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

static const char *
xennet_own_dir(const struct xennet_port *p)
{
	return p->role == XENNET_ROLE_BACKEND ? p->be_path : p->fe_path;
}

/* A missing node reads as Unknown; a malformed one too, and is counted. */
static int
xennet_state_read(struct xennet_port *p, const char *dir)
{
	unsigned long v;
	int ret = xennet_xs_read_uint(&p->xen, &v, "%s/state", dir);

	if (ret == -ENOENT)
		return XenbusStateUnknown;
	if (ret != 0 || v > XenbusStateReconfigured) {
		XN_LOG_RL(WARNING, "%s: malformed %s/state", p->name, dir);
		p->bad_xenstore++;
		return XenbusStateUnknown;
	}
	return v;
}

static void
xennet_state_write(struct xennet_port *p, int state)
{
	char v[4];
	int ret;

	snprintf(v, sizeof(v), "%d", state);
	ret = xennet_xs_update(&p->xen, v, "%s/state", xennet_own_dir(p));
	if (ret != 0 && ret != -ENOENT)
		XN_LOG(ERR, "%s: cannot write %s/state: %s", p->name,
			xennet_own_dir(p), strerror(-ret));
	XN_LOG(INFO, "%s: %s -> %s (peer %s)", p->name,
		xennet_state_name(p->state), xennet_state_name(state),
		xennet_state_name(p->peer_state));
	p->state = state;
}

void
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
	rte_eth_dev_callback_process(p->dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

/* Hand the connection to the datapath, or take it back and wait until no
 * burst still uses it.
 */
static void
xennet_queues_set(void **queues, uint16_t n, struct xennet_nq *nq)
{
	struct xennet_queue *q;
	uint16_t i;

	for (i = 0; i < n; i++) {
		q = queues[i];
		if (q == NULL)
			continue;
		__atomic_store_n(&q->nq, nq, __ATOMIC_SEQ_CST);
		while (nq == NULL &&
		       __atomic_load_n(&q->in_burst, __ATOMIC_SEQ_CST))
			rte_pause();
	}
}

static void
xennet_queues_attach(struct xennet_port *p, struct xennet_nq *nq)
{
	struct rte_eth_dev_data *d = p->dev->data;

	xennet_queues_set(d->rx_queues, d->nb_rx_queues, nq);
	xennet_queues_set(d->tx_queues, d->nb_tx_queues, nq);
}

void
xennet_disconnect(struct xennet_port *p)
{
	unsigned int i;

	xennet_set_link(p, false);
	if (p->nr_nq == 0)
		return;
	xennet_queues_attach(p, NULL);
	for (i = 0; i < p->nr_nq; i++) {
		if (p->role == XENNET_ROLE_BACKEND)
			xennet_back_release(p, p->nq[i]);
		else
			xennet_front_release(p, p->nq[i]);
		p->nq[i] = NULL;
	}
	p->nr_nq = 0;
	p->disabled = false;
	p->disconnects++;
	__atomic_store_n(&p->fatal, 0, __ATOMIC_RELAXED);
	XN_LOG(INFO, "%s: disconnected from domain %ld", p->name,
		p->peer_domid);
}

static void
xennet_connected(struct xennet_port *p)
{
	xennet_queues_attach(p, p->nq[0]);
	p->connects++;
	XN_LOG(INFO, "%s: connected to domain %ld", p->name, p->peer_domid);
}

/* Backend -------------------------------------------------------------- */

static void
xennet_back_publish(struct xennet_port *p)
{
	static const struct xennet_xs_kv features[] = {
		{ "feature-rx-copy", "1" },
		{ "feature-rx-flip", "0" },
		{ "feature-sg", "0" },
		{ "feature-gso-tcpv4", "0" },
		{ "feature-gso-tcpv6", "0" },
		{ "feature-ipv6-csum-offload", "0" },
		{ "feature-multicast-control", "0" },
		{ "feature-dynamic-multicast-control", "0" },
		{ "feature-split-event-channels", "0" },
		{ "feature-ctrl-ring", "0" },
	};

	xennet_xs_write_keys(&p->xen, p->be_path, features, RTE_DIM(features));
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

	doms = xennet_xs_directory(&p->xen, &n, XENNET_BACK_DIR);
	for (i = 0; doms != NULL && i < n; i++) {
		d = strtol(doms[i], &end, 10);
		if (*end != '\0' || d < 0 || d <= best)
			continue;
		if (p->domid_arg >= 0 && d != p->domid_arg)
			continue;
		if (p->domain[0] != '\0') {
			name = xennet_xs_read(&p->xen, "/local/domain/%ld/name",
				d);
			if (name == NULL || strcmp(name, p->domain) != 0) {
				free(name);
				continue;
			}
			free(name);
		}
		if (!xennet_xs_exists(&p->xen, XENNET_BACK_DIR "/%ld/%u/state",
				d, p->devid))
			continue;
		/* Being unplugged (xl network-detach): do not take it again. */
		if (xennet_xs_read_uint(&p->xen, &online,
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
	fe = xennet_xs_read(&p->xen, "%s/frontend", p->be_path);
	if (fe == NULL || strlen(fe) >= sizeof(p->fe_path) ||
	    xennet_xs_read_uint(&p->xen, &fe_id, "%s/frontend-id",
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
	if (!xennet_xs_exists(&p->xen, "%s/state", p->fe_path))
		return -ENOENT;
	p->peer_domid = best;
	return 0;
}

static int
xennet_back_bind(struct xennet_port *p)
{
	char path[160];

	if (xennet_back_find(p) != 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/state", p->fe_path);
	if (xennet_xs_watch(&p->xen, path, XENNET_TOKEN) != 0) {
		p->peer_domid = -1;
		return -EIO;
	}
	p->watching = true;
	XN_LOG(INFO, "%s: serving %s (frontend %s)", p->name, p->be_path,
		p->fe_path);
	xennet_back_publish(p);
	/* As Linux netback's probe: features, then InitWait. */
	p->state = XenbusStateInitialising;
	xennet_state_write(p, XenbusStateInitWait);
	return 0;
}

static void
xennet_unbind(struct xennet_port *p)
{
	char path[160];

	xennet_disconnect(p);
	if (p->watching) {
		snprintf(path, sizeof(path), "%s/state",
			p->role == XENNET_ROLE_BACKEND ? p->fe_path :
							 p->be_path);
		xennet_xs_unwatch(&p->xen, path, XENNET_TOKEN);
		p->watching = false;
	}
	XN_LOG(INFO, "%s: released vif of domain %ld", p->name,
		p->peer_domid);
	p->peer_domid = -1;
	p->state = XenbusStateUnknown;
	p->peer_state = XenbusStateUnknown;
	p->refused = false;
	p->peer_died = false;
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
xennet_back_set_state(struct xennet_port *p, int target)
{
	int next;

	while (p->state != target) {
		next = xennet_back_next(p->state, target);
		if (next == XenbusStateConnected) {
			if (xennet_back_connect(p) != 0) {
				/* As xenbus_dev_fatal(): give up on this
				 * connection until the frontend resets.
				 */
				p->fatal_errors++;
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

static void
xennet_back_reconcile(struct xennet_port *p)
{
	unsigned long online = 1;
	char *hotplug;
	int target;

	if (p->peer_domid < 0 && xennet_back_bind(p) != 0)
		return;
	/* The toolstack removed the vif: never recreate its directory. */
	if (!xennet_xs_exists(&p->xen, "%s/state", p->be_path)) {
		xennet_unbind(p);
		return;
	}
	p->peer_state = xennet_state_read(p, p->fe_path);
	xennet_xs_read_uint(&p->xen, &online, "%s/online", p->be_path);
	if (p->peer_state != XenbusStateConnected)
		p->peer_died = false;
	if (p->state == XenbusStateConnected && p->nr_nq != 0 &&
	    p->nq[0]->peer_alive_byte &&
	    *(volatile uint8_t *)((uint8_t *)p->nq[0]->txs +
				  XENNET_ALIVE_OFF) == 0) {
		/* Its xenstore state cannot say so: treat it as Closed. */
		XN_LOG(NOTICE, "%s: frontend process of domain %ld is gone",
			p->name, p->peer_domid);
		p->peer_died = true;
		xennet_back_set_state(p, XenbusStateClosed);
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
		hotplug = xennet_xs_read(&p->xen, "%s/hotplug-status",
			p->be_path);
		target = (hotplug != NULL && strcmp(hotplug, "connected") == 0)
			? XenbusStateConnected : p->state;
		free(hotplug);
		if (p->state == XenbusStateClosing)
			target = p->state; /* fatal: wait for a reset */
		break;
	case XenbusStateClosing:
		target = XenbusStateClosing;
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
		xennet_back_set_state(p, XenbusStateClosed);
		if (online == 0 || p->peer_state == XenbusStateUnknown)
			xennet_unbind(p);
		return;
	default:
		target = p->state;
		break;
	}
	xennet_back_set_state(p, target);

	if (p->state == XenbusStateConnected &&
	    __atomic_load_n(&p->fatal, __ATOMIC_RELAXED) != 0 &&
	    p->nr_nq != 0) {
		/* xenvif_fatal_tx_err(): stop the vif, carrier off, keep the
		 * mappings until the frontend resets.
		 */
		XN_LOG(ERR, "%s: fatal error from domain %ld (%s); disabling "
			"device", p->name, p->peer_domid,
			xennet_reason_str[p->fatal]);
		p->fatal_errors++;
		xennet_queues_attach(p, NULL);
		xennet_set_link(p, false);
		__atomic_store_n(&p->fatal, 0, __ATOMIC_RELAXED);
		p->disabled = true;
	}
	if (p->state == XenbusStateConnected && !p->disabled)
		xennet_set_link(p, true);
}

/* Frontend ------------------------------------------------------------- */

static int
xennet_front_bind(struct xennet_port *p)
{
	unsigned long be_id;
	char path[160];
	char *be;

	be = xennet_xs_read(&p->xen, "%s/backend", p->fe_path);
	if (be == NULL)
		return -ENOENT; /* the toolstack has not written it yet */
	if (strlen(be) >= sizeof(p->be_path) ||
	    xennet_xs_read_uint(&p->xen, &be_id, "%s/backend-id",
			p->fe_path) != 0 || be_id >= DOMID_FIRST_RESERVED) {
		XN_LOG_RL(WARNING, "%s: %s has a malformed backend/backend-id",
			p->name, p->fe_path);
		p->bad_xenstore++;
		free(be);
		return -EINVAL;
	}
	strcpy(p->be_path, be);
	free(be);
	p->peer_domid = be_id;
	snprintf(path, sizeof(path), "%s/state", p->be_path);
	if (xennet_xs_watch(&p->xen, path, XENNET_TOKEN) != 0) {
		p->peer_domid = -1;
		return -EIO;
	}
	p->watching = true;
	p->state = XenbusStateUnknown;
	xennet_state_write(p, XenbusStateInitialising);
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
	int be;

	if (!xennet_xs_exists(&p->xen, "%s/state", p->fe_path)) {
		/* vif removed by the toolstack; wait for a new one */
		if (p->peer_domid >= 0)
			xennet_unbind(p);
		return;
	}
	if (p->peer_domid < 0 && xennet_front_bind(p) != 0)
		return;
	be = xennet_state_read(p, p->be_path);
	p->peer_state = be;
	xennet_xs_read_uint(&p->xen, &online, "%s/online", p->be_path);

	switch (p->state) {
	case XenbusStateInitialising:
		if (be != XenbusStateInitWait)
			break;
		if (xennet_front_connect(p) != 0) {
			/* As xenbus_dev_fatal(): no retry against this
			 * backend until it resets.
			 */
			p->fatal_errors++;
			p->refused = true;
			xennet_state_write(p, XenbusStateClosed);
			break;
		}
		xennet_connected(p);
		xennet_state_write(p, XenbusStateConnected);
		break;
	case XenbusStateConnected:
		if (be == XenbusStateClosing || be == XenbusStateClosed ||
		    be == XenbusStateUnknown)
			xennet_front_close(p);
		else if (be == XenbusStateConnected &&
			 __atomic_load_n(&p->fatal, __ATOMIC_RELAXED) != 0) {
			XN_LOG(ERR, "%s: backend broke the protocol (%s); "
				"reconnecting", p->name,
				xennet_reason_str[p->fatal]);
			p->fatal_errors++;
			xennet_front_close(p);
		}
		break;
	case XenbusStateClosing:
		xennet_front_close(p);
		break;
	default:
		/* Closed: start over once the backend is ready again. */
		if (p->refused) {
			p->refused = be == XenbusStateInitWait;
			break;
		}
		if (be == XenbusStateInitWait ||
		    (be == XenbusStateClosed && online != 0))
			xennet_state_write(p, XenbusStateInitialising);
		break;
	}
	xennet_set_link(p, p->state == XenbusStateConnected &&
		be == XenbusStateConnected);
}

/* Control thread ------------------------------------------------------- */

static void
xennet_reconcile(struct xennet_port *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->role == XENNET_ROLE_BACKEND)
		xennet_back_reconcile(p);
	else
		xennet_front_reconcile(p);
	pthread_mutex_unlock(&p->lock);
}

static void *
xennet_ctl_main(void *arg)
{
	struct xennet_port *p = arg;
	struct pollfd pfd[2] = {
		{ .fd = xennet_xs_fd(&p->xen), .events = POLLIN },
		{ .fd = p->ctl_kick, .events = POLLIN },
	};
	uint64_t v;

	while (__atomic_load_n(&p->ctl_running, __ATOMIC_ACQUIRE)) {
		xennet_reconcile(p);
		if (poll(pfd, RTE_DIM(pfd), XENNET_CTL_TICK_MS) > 0) {
			if (pfd[1].revents & POLLIN)
				RTE_SET_USED(read(p->ctl_kick, &v, sizeof(v)));
			xennet_xs_drain_watches(&p->xen);
		}
	}
	return NULL;
}

void
xennet_ctl_kick(struct xennet_port *p)
{
	uint64_t one = 1;

	if (p->ctl_kick >= 0)
		RTE_SET_USED(write(p->ctl_kick, &one, sizeof(one)));
}

int
xennet_ctl_start(struct xennet_port *p)
{
	char tname[RTE_MAX_THREAD_NAME_LEN];
	int ret;

	if (p->ctl_running)
		return 0;
	ret = xennet_xs_watch(&p->xen, p->role == XENNET_ROLE_BACKEND ?
		XENNET_BACK_DIR : p->fe_path, XENNET_TOKEN);
	if (ret != 0)
		return ret;
	p->ctl_kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->ctl_kick < 0)
		return -errno;
	p->ctl_running = true;
	snprintf(tname, sizeof(tname), "xennet-%u", p->dev->data->port_id);
	ret = rte_ctrl_thread_create(&p->ctl_tid, tname, NULL,
		xennet_ctl_main, p);
	if (ret != 0) {
		p->ctl_running = false;
		close(p->ctl_kick);
		p->ctl_kick = -1;
		XN_LOG(ERR, "%s: cannot start the control thread", p->name);
	}
	return ret;
}

/*
 * Leave the connection the way a peer recovers from: a backend goes
 * Closing then Closed (the frontend resets), a frontend closes and waits
 * briefly for its backend to unmap before ending the grants. The watches
 * go with the xenstore connection, closed next.
 */
void
xennet_ctl_stop(struct xennet_port *p)
{
	int waited, be;

	if (p->ctl_running) {
		__atomic_store_n(&p->ctl_running, false, __ATOMIC_RELEASE);
		xennet_ctl_kick(p);
		pthread_join(p->ctl_tid, NULL);
		close(p->ctl_kick);
		p->ctl_kick = -1;
	}
	if (p->peer_domid < 0)
		return;
	if (p->role == XENNET_ROLE_BACKEND) {
		if (xennet_xs_exists(&p->xen, "%s/state", p->be_path))
			xennet_back_set_state(p, XenbusStateClosed);
		else
			xennet_disconnect(p);
	} else if (p->state != XenbusStateClosed) {
		xennet_state_write(p, XenbusStateClosing);
		for (waited = 0; waited < XENNET_CLOSE_WAIT_MS; waited += 10) {
			be = xennet_state_read(p, p->be_path);
			if (be != XenbusStateConnected)
				break;
			usleep(10000);
		}
		xennet_disconnect(p);
		xennet_state_write(p, XenbusStateClosed);
	}
	xennet_unbind(p);
}
