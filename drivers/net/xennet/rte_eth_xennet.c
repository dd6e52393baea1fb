/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/* ethdev glue: devargs, probe/remove, dev_ops, stats. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>

#include "xennet.h"

#define XENNET_ROLE_ARG "role"
#define XENNET_DOMAIN_ARG "domain"
#define XENNET_DOMID_ARG "domid"
#define XENNET_DEVID_ARG "devid"
#define XENNET_MAC_ARG "mac"
#define XENNET_MAX_QUEUES_ARG "max_queues"
#define XENNET_HOTPLUG_ARG "hotplug"
#define XENNET_MATCH_ARG "match"
/* set on the ports a hotplug vdev creates */
#define XENNET_HOTPLUGGED_ARG "hotplugged"

static const char * const xennet_valid_args[] = {
	XENNET_ROLE_ARG,
	XENNET_DOMAIN_ARG,
	XENNET_DOMID_ARG,
	XENNET_DEVID_ARG,
	XENNET_MAC_ARG,
	XENNET_MAX_QUEUES_ARG,
	XENNET_HOTPLUG_ARG,
	XENNET_MATCH_ARG,
	XENNET_HOTPLUGGED_ARG,
	NULL
};

/* The backend's own MAC, as Linux netback gives its vif. */
static const struct rte_ether_addr xennet_back_mac = {
	.addr_bytes = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff }
};

RTE_LOG_REGISTER(xennet_logtype, pmd.net.xennet, NOTICE);

/* devargs ---------------------------------------------------------------- */

/* rte_kvargs hands a key given without '=' over with a NULL value. */
static int
xennet_need_value(const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0')
		return 0;
	XN_LOG(ERR, "devarg %s needs a value (%s=...)", key, key);
	return -EINVAL;
}

static int
xennet_set_role(const char *key, const char *value, void *extra)
{
	struct xennet_port *p = extra;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	if (strcmp(value, "backend") == 0)
		p->role = XENNET_ROLE_BACKEND;
	else if (strcmp(value, "frontend") == 0)
		p->role = XENNET_ROLE_FRONTEND;
	else {
		XN_LOG(ERR, "invalid %s=%s: use backend or frontend", key,
			value);
		return -EINVAL;
	}
	return 0;
}

static int
xennet_set_domain(const char *key, const char *value, void *extra)
{
	struct xennet_port *p = extra;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	/* Xen domain names cannot hold '/', and xenstore paths are built
	 * from what is compared against them.
	 */
	if (value[0] == '\0' || strlen(value) >= sizeof(p->domain) ||
	    strchr(value, '/') != NULL) {
		XN_LOG(ERR, "invalid %s=%s: a guest domain name of 1 to %zu "
			"characters without '/'", key, value,
			sizeof(p->domain) - 1);
		return -EINVAL;
	}
	strcpy(p->domain, value);
	return 0;
}

static int
xennet_parse_uint(const char *key, const char *value, unsigned long max,
	unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' ||
	    *out > max) {
		XN_LOG(ERR, "invalid %s=%s: a number from 0 to %lu", key,
			value, max);
		return -EINVAL;
	}
	return 0;
}

static int
xennet_set_domid(const char *key, const char *value, void *extra)
{
	struct xennet_port *p = extra;
	unsigned long v;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	if (xennet_parse_uint(key, value, DOMID_FIRST_RESERVED - 1, &v) != 0)
		return -EINVAL;
	p->domid_arg = v;
	return 0;
}

static int
xennet_set_devid(const char *key, const char *value, void *extra)
{
	struct xennet_port *p = extra;
	unsigned long v;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	if (xennet_parse_uint(key, value, INT32_MAX, &v) != 0)
		return -EINVAL;
	p->devid = v;
	return 0;
}

static int
xennet_set_max_queues(const char *key, const char *value, void *extra)
{
	struct xennet_port *p = extra;
	unsigned long v;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	if (xennet_parse_uint(key, value, XENNET_MAX_QUEUES, &v) != 0 ||
	    v == 0) {
		XN_LOG(ERR, "invalid %s=%s: a number from 1 to %u", key, value,
			XENNET_MAX_QUEUES);
		return -EINVAL;
	}
	p->max_queues = v;
	return 0;
}

static int
xennet_set_flag(const char *key, const char *value, void *extra)
{
	bool *flag = extra;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0) {
		XN_LOG(ERR, "invalid %s=%s: 0 or 1", key, value);
		return -EINVAL;
	}
	*flag = value[0] == '1';
	return 0;
}

static int
xennet_set_match(const char *key, const char *value, void *extra)
{
	char *match = extra;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	if (strlen(value) >= XENNET_NAME_MAX) {
		XN_LOG(ERR, "invalid %s=%s: a pattern of at most %u characters",
			key, value, XENNET_NAME_MAX - 1);
		return -EINVAL;
	}
	strcpy(match, value);
	return 0;
}

static int
xennet_parse_mac(const char *value, struct rte_ether_addr *mac)
{
	if (rte_ether_unformat_addr(value, mac) != 0 ||
	    !rte_is_valid_assigned_ether_addr(mac))
		return -EINVAL;
	return 0;
}

static int
xennet_set_mac(const char *key, const char *value, void *extra)
{
	struct xennet_port *p = extra;

	if (xennet_need_value(key, value) != 0)
		return -EINVAL;
	if (xennet_parse_mac(value, &p->mac) != 0) {
		XN_LOG(ERR, "invalid %s=%s: a unicast MAC address such as "
			"00:16:3e:00:00:01", key, value);
		return -EINVAL;
	}
	p->mac_set = true;
	return 0;
}

/* Name the key that is wrong: unknown, or given twice. */
static int
xennet_check_keys(const char *name, const struct rte_kvargs *kv)
{
	const char * const *k;
	unsigned int i;

	for (i = 0; i < kv->count; i++) {
		for (k = xennet_valid_args; *k != NULL; k++)
			if (strcmp(kv->pairs[i].key, *k) == 0)
				break;
		if (*k == NULL) {
			XN_LOG(ERR, "%s: unknown devarg %s (valid: role, domain, "
				"domid, devid, mac, max_queues, hotplug, match)", name, kv->pairs[i].key);
			return -EINVAL;
		}
		if (rte_kvargs_count(kv, *k) > 1) {
			XN_LOG(ERR, "%s: devarg %s given more than once", name,
				*k);
			return -EINVAL;
		}
	}
	return 0;
}

static int
xennet_parse_args(struct rte_vdev_device *vdev, struct xennet_port *p,
	bool *hotplug, char *match)
{
	const char *args = rte_vdev_device_args(vdev);
	struct rte_kvargs *kv;
	int ret = 0;

	p->role = XENNET_ROLE_FRONTEND;
	p->domid_arg = -1;
	p->max_queues = XENNET_MAX_QUEUES;
	p->mtu = XENNET_MTU_DEFAULT;
	if (args == NULL || args[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(args, NULL);
	if (kv == NULL) {
		XN_LOG(ERR, "%s: cannot parse devargs \"%s\"",
			rte_vdev_device_name(vdev), args);
		return -EINVAL;
	}
	ret = xennet_check_keys(rte_vdev_device_name(vdev), kv);
	if (ret == 0 && (rte_kvargs_process(kv, XENNET_ROLE_ARG, xennet_set_role, p) ||
	    rte_kvargs_process(kv, XENNET_DOMAIN_ARG, xennet_set_domain, p) ||
	    rte_kvargs_process(kv, XENNET_DOMID_ARG, xennet_set_domid, p) ||
	    rte_kvargs_process(kv, XENNET_DEVID_ARG, xennet_set_devid, p) ||
	    rte_kvargs_process(kv, XENNET_MAC_ARG, xennet_set_mac, p) ||
	    rte_kvargs_process(kv, XENNET_MAX_QUEUES_ARG,
		xennet_set_max_queues, p) ||
	    rte_kvargs_process(kv, XENNET_HOTPLUG_ARG, xennet_set_flag,
		hotplug) ||
	    rte_kvargs_process(kv, XENNET_MATCH_ARG, xennet_set_match, match) ||
	    rte_kvargs_process(kv, XENNET_HOTPLUGGED_ARG, xennet_set_flag,
		&p->hotplugged)))
		ret = -EINVAL;
	rte_kvargs_free(kv);
	if (ret != 0)
		return ret;

	if (*hotplug || match[0] != '\0') {
		if (p->role != XENNET_ROLE_BACKEND || !*hotplug ||
		    p->domain[0] != '\0' || p->domid_arg >= 0 ||
		    p->mac_set || p->hotplugged) {
			XN_LOG(ERR, "%s: %s=1 (with %s=<pattern> optionally) "
				"goes with role=backend, and not with domain=, "
				"domid=, mac=", rte_vdev_device_name(vdev),
				XENNET_HOTPLUG_ARG, XENNET_MATCH_ARG);
			return -EINVAL;
		}
		return 0;
	}
	if (p->role == XENNET_ROLE_BACKEND &&
	    (p->domain[0] != '\0') == (p->domid_arg >= 0)) {
		XN_LOG(ERR, "%s: role=backend needs exactly one of %s=, %s= "
			"or %s=1", rte_vdev_device_name(vdev),
			XENNET_DOMAIN_ARG, XENNET_DOMID_ARG,
			XENNET_HOTPLUG_ARG);
		return -EINVAL;
	}
	if (p->role == XENNET_ROLE_FRONTEND &&
	    (p->domain[0] != '\0' || p->domid_arg >= 0)) {
		XN_LOG(ERR, "%s: %s= and %s= are backend keys; a frontend "
			"finds its backend in xenstore",
			rte_vdev_device_name(vdev), XENNET_DOMAIN_ARG,
			XENNET_DOMID_ARG);
		return -EINVAL;
	}
	return 0;
}

/* dev_ops ---------------------------------------------------------------- */

static int
xennet_dev_configure(struct rte_eth_dev *dev)
{
	return 0;
}

/*
 * Frames longer than a page need feature-sg from the peer, as Linux caps
 * the MTU at 1500 without it; before a peer is there the port allows what
 * feature-sg would.
 */
static uint16_t
xennet_mtu_max(const struct xennet_port *p)
{
	if (p->conn != NULL && !p->conn->d.peer_sg)
		return XENNET_MTU_DEFAULT;
	return XENNET_MTU_MAX;
}

/* TX buffer size a frontend connection needs for an MTU, or for TSO
 * frames of up to 64 KiB.
 */
static uint16_t
xennet_tx_buf_size(const struct rte_eth_dev *dev, uint16_t mtu)
{
	if (dev->data->dev_conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO)
		return XENNET_PAGE_SIZE;
	return XENNET_MTU_FRAME(mtu) <= XENNET_TX_BUF_SIZE ?
		XENNET_TX_BUF_SIZE : XENNET_PAGE_SIZE;
}

/*
 * Without scattered Rx, every frame the MTU allows must fit one mbuf of
 * each Rx queue's pool, as on other PMDs.
 */
static int
xennet_rx_fits(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct xennet_port *p = dev->data->dev_private;
	uint64_t offloads = dev->data->dev_conf.rxmode.offloads;
	uint32_t room, need = offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO ?
		XENNET_FRAME_MAX : XENNET_MTU_FRAME(mtu);
	struct xennet_queue *q;
	uint16_t i;

	if (offloads & RTE_ETH_RX_OFFLOAD_SCATTER)
		return 0;
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		q = dev->data->rx_queues[i];
		if (q == NULL)
			continue;
		room = rte_pktmbuf_data_room_size(q->mp) - RTE_PKTMBUF_HEADROOM;
		if (need > room) {
			XN_LOG(ERR, "%s: MTU %u%s needs frames of %u bytes, "
				"more than an mbuf of %s holds (%u): enable "
				"scattered Rx or use larger mbufs", p->name, mtu,
				offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO ?
				" with LRO" : "",
				need, q->mp->name, room);
			return -EINVAL;
		}
	}
	return 0;
}

#define XENNET_RX_CSUM (RTE_ETH_RX_OFFLOAD_TCP_CKSUM | \
	RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
#define XENNET_TX_CSUM (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
	RTE_ETH_TX_OFFLOAD_UDP_CKSUM)

static void
xennet_rx_len_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct xennet_queue *q;
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		q = dev->data->rx_queues[i];
		if (q == NULL)
			continue;
		q->max_rx_len = XENNET_MTU_FRAME(mtu);
		q->rx_csum = dev->data->dev_conf.rxmode.offloads &
			XENNET_RX_CSUM;
		q->rx_lro = dev->data->dev_conf.rxmode.offloads &
			RTE_ETH_RX_OFFLOAD_TCP_LRO;
	}
}

static int
xennet_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct xennet_port *p = dev->data->dev_private;
	int ret;

	xennet_ctl_lock();
	ret = mtu > xennet_mtu_max(p) ? -EINVAL : 0;
	if (ret != 0)
		XN_LOG(ERR, "%s: MTU %u needs feature-sg, which the peer does "
			"not offer: at most %u", p->name, mtu,
			XENNET_MTU_DEFAULT);
	if (ret == 0)
		ret = xennet_rx_fits(dev, mtu);
	/* Other TX buffers mean another connection. */
	if (ret == 0 && p->role == XENNET_ROLE_FRONTEND && p->started &&
	    xennet_tx_buf_size(dev, mtu) != p->want_tx_buf_size) {
		XN_LOG(ERR, "%s: stop the port to change the MTU across %u",
			p->name, XENNET_TX_BUF_SIZE - RTE_ETHER_HDR_LEN -
			RTE_VLAN_HLEN);
		ret = -EBUSY;
	}
	if (ret == 0) {
		xennet_rx_len_set(dev, mtu);
		p->mtu = mtu;
		xennet_ctl_port_changed(p);
	}
	xennet_ctl_unlock();
	return ret;
}

static int
xennet_dev_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct xennet_port *p = dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = XENNET_FRAME_MAX;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = xennet_mtu_max(p);
	info->max_rx_queues = p->max_queues;
	info->max_tx_queues = p->max_queues;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER | XENNET_RX_CSUM |
		RTE_ETH_RX_OFFLOAD_TCP_LRO;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | XENNET_TX_CSUM |
		RTE_ETH_TX_OFFLOAD_TCP_TSO;
	info->max_lro_pkt_size = XENNET_FRAME_MAX;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	/* Descriptor counts are hints: a ring holds 256 entries whatever
	 * the application asks for.
	 */
	info->rx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = XENNET_DESC_MAX,
		.nb_min = p->role == XENNET_ROLE_FRONTEND ?
			XENNET_RX_BUFS_MIN : 1,
		.nb_align = 1,
	};
	info->tx_desc_lim = (struct rte_eth_desc_lim){
		.nb_max = XENNET_DESC_MAX,
		.nb_min = 1,
		.nb_align = 1,
	};
	info->default_rxportconf.ring_size = XENNET_RX_RING_SIZE;
	info->default_txportconf.ring_size = XENNET_TX_RING_SIZE;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	return 0;
}

/* Point the ethdev interrupt vectors at each Rx queue's epoll set. */
static int
xennet_intr_setup(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *h = dev->intr_handle;
	struct xennet_queue *q;
	uint16_t i, n = dev->data->nb_rx_queues;

	rte_intr_vec_list_free(h);
	if (rte_intr_vec_list_alloc(h, "xennet_intr_vec", n) != 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		q = dev->data->rx_queues[i];
		if (rte_intr_vec_list_index_set(h, i,
				RTE_INTR_VEC_RXTX_OFFSET + i) != 0 ||
		    rte_intr_efds_index_set(h, i, q->intr_fd) != 0)
			return -EINVAL;
	}
	/* EAL reads nothing from the fds: the queue drains them on enable. */
	if (rte_intr_nb_efd_set(h, n) != 0 ||
	    rte_intr_max_intr_set(h, n + 1) != 0 ||
	    rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, 0) != 0)
		return -EINVAL;
	return 0;
}

static int
xennet_dev_start(struct rte_eth_dev *dev)
{
	struct xennet_port *p = dev->data->dev_private;
	struct rte_eth_dev_data *d = dev->data;
	struct xennet_queue *rxq, *txq;
	uint16_t i, nq = RTE_MIN(d->nb_rx_queues, d->nb_tx_queues);
	int ret = 0;

	for (i = 0; i < d->nb_rx_queues; i++)
		if (d->rx_queues[i] == NULL)
			return -EINVAL;
	for (i = 0; i < d->nb_tx_queues; i++)
		if (d->tx_queues[i] == NULL)
			return -EINVAL;
	if (nq == 0)
		return -EINVAL;
	if (d->dev_conf.intr_conf.rxq) {
		ret = xennet_intr_setup(dev);
		if (ret != 0) {
			XN_LOG(ERR, "%s: cannot set up Rx interrupts", p->name);
			return ret;
		}
	}
	ret = xennet_rx_fits(dev, d->mtu);
	if (ret != 0)
		return ret;
	xennet_rx_len_set(dev, d->mtu);
	rxq = d->rx_queues[0];
	txq = d->tx_queues[0];
	xennet_ctl_lock();
	p->want_queues = nq;
	p->mtu = d->mtu;
	p->rx_csum = d->dev_conf.rxmode.offloads & XENNET_RX_CSUM;
	p->rx_lro = d->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO;
	if (p->role == XENNET_ROLE_FRONTEND) {
		p->want_rx_bufs = RTE_MIN(RTE_MAX(rxq->nb_desc,
			(uint16_t)XENNET_RX_BUFS_MIN),
			(uint16_t)XENNET_RX_RING_SIZE);
		p->want_tx_bufs = RTE_MIN(RTE_MAX(txq->nb_desc,
			XENNET_TX_BUFS_PER_PAGE), XENNET_TX_RING_SIZE);
		p->want_tx_buf_size = xennet_tx_buf_size(dev, d->mtu);
		/* Page-sized buffers: as many pages, and a 64 KiB frame */
		if (p->want_tx_buf_size == XENNET_PAGE_SIZE)
			p->want_tx_bufs = RTE_MAX(p->want_tx_bufs /
				XENNET_TX_BUFS_PER_PAGE,
				(uint16_t)XENNET_TX_SLOTS_MAX);
		ret = xennet_front_budget(p);
		/* A connection of another shape is made again. */
		if (ret == 0 && p->conn != NULL &&
		    (p->conn->d.nr_rx_bufs != p->want_rx_bufs ||
		     p->conn->d.nr_tx_bufs != p->want_tx_bufs ||
		     p->conn->d.tx_buf_size != p->want_tx_buf_size ||
		     p->conn_rx_csum != p->rx_csum ||
		     p->conn_rx_lro != p->rx_lro ||
		     p->conn_queues_asked != nq))
			p->reconnect = true;
	}
	if (ret == 0) {
		p->active = true;
		p->started = true;
		if (p->conn != NULL && !p->disabled && !p->reconnect)
			xennet_conn_attach(p, p->conn);
		xennet_ctl_port_changed(p);
		d->dev_started = 1;
	}
	xennet_ctl_unlock();
	return ret;
}

/*
 * The connection outlives stop/start, as a netdev that is set down keeps
 * its xenbus connection: the queues only let go of it, so they can be
 * set up again.
 */
static int
xennet_dev_stop(struct rte_eth_dev *dev)
{
	struct xennet_port *p = dev->data->dev_private;

	xennet_ctl_lock();
	p->started = false;
	xennet_conn_attach(p, NULL);
	xennet_ctl_port_changed(p);
	xennet_ctl_unlock();
	dev->data->dev_started = 0;
	return 0;
}

static void
xennet_queue_release(void *queue)
{
	struct xennet_queue *q = queue;

	if (q == NULL)
		return;
	if (q->intr_fd >= 0)
		close(q->intr_fd);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	rte_mempool_free(q->gso_ctx.direct_pool);
	rte_mempool_free(q->gso_ctx.indirect_pool);
	rte_free(q->segs);
	rte_free(q->seg_slot);
	rte_free(q->frames);
	rte_free(q);
}

static void
xennet_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	xennet_queue_release(dev->data->rx_queues[qid]);
	dev->data->rx_queues[qid] = NULL;
}

static void
xennet_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	xennet_queue_release(dev->data->tx_queues[qid]);
	dev->data->tx_queues[qid] = NULL;
}

static int
xennet_dev_close(struct rte_eth_dev *dev)
{
	struct xennet_port *p = dev->data->dev_private;
	uint16_t i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	xennet_ctl_unregister(p);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		xennet_rx_queue_release(dev, i);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		xennet_tx_queue_release(dev, i);
	rte_intr_vec_list_free(dev->intr_handle);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
	return 0;
}

/* Segments a backend eth Tx burst may use: mbuf segments plus slots. */
#define XENNET_TX_SEG_CAP 4096

static struct xennet_queue *
xennet_queue_alloc(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
	unsigned int socket, struct rte_mempool *mp)
{
	struct xennet_port *p = dev->data->dev_private;
	struct xennet_queue *q;
	uint32_t room;

	q = rte_zmalloc_socket(p->name, sizeof(*q), RTE_CACHE_LINE_SIZE,
		socket);
	if (q == NULL)
		return NULL;
	q->port = p;
	q->qid = qid;
	q->nb_desc = nb_desc;
	q->mp = mp;
	q->port_id = dev->data->port_id;
	q->intr_fd = -1;
	q->kick_fd = -1;
	if (mp != NULL && dev->data->dev_conf.intr_conf.rxq) {
		struct epoll_event ev = { .events = EPOLLIN };

		q->intr_fd = epoll_create1(EPOLL_CLOEXEC);
		q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q->intr_fd < 0 || q->kick_fd < 0 ||
		    epoll_ctl(q->intr_fd, EPOLL_CTL_ADD, q->kick_fd,
			&ev) != 0) {
			xennet_queue_release(q);
			return NULL;
		}
	}
	if (p->role != XENNET_ROLE_BACKEND)
		return q;
	if (mp != NULL) {
		/* A guest slot (up to a page) may straddle mbuf segments. */
		room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
		q->seg_per_slot = XENNET_PAGE_SIZE / room + 2;
		q->seg_cap = XENNET_BURST_MAX * (XENNET_TX_SLOTS_MAX + 1) *
			q->seg_per_slot;
		q->frames = rte_zmalloc_socket(p->name,
			XENNET_BURST_MAX * sizeof(*q->frames),
			RTE_CACHE_LINE_SIZE, socket);
	} else {
		q->seg_cap = XENNET_TX_SEG_CAP;
		q->seg_slot = rte_zmalloc_socket(p->name,
			q->seg_cap * sizeof(*q->seg_slot), 0, socket);
	}
	q->segs = rte_zmalloc_socket(p->name, q->seg_cap * sizeof(*q->segs),
		RTE_CACHE_LINE_SIZE, socket);
	if (q->segs == NULL || (mp != NULL && q->frames == NULL) ||
	    (mp == NULL && q->seg_slot == NULL)) {
		xennet_queue_release(q);
		return NULL;
	}
	return q;
}

static int
xennet_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
	unsigned int socket, const struct rte_eth_rxconf *conf,
	struct rte_mempool *mp)
{
	struct xennet_port *p = dev->data->dev_private;
	struct xennet_queue *q;

	if (rte_pktmbuf_data_room_size(mp) < RTE_PKTMBUF_HEADROOM + 64) {
		XN_LOG(ERR, "%s: mbufs of mempool %s are too small", p->name,
			mp->name);
		return -EINVAL;
	}
	q = xennet_queue_alloc(dev, qid, nb_desc, socket, mp);
	if (q == NULL)
		return -ENOMEM;
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int
xennet_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
	unsigned int socket, const struct rte_eth_txconf *conf)
{
	uint64_t offloads = dev->data->dev_conf.txmode.offloads |
		conf->offloads;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct xennet_queue *q;

	q = xennet_queue_alloc(dev, qid, nb_desc, socket, NULL);
	if (q == NULL)
		return -ENOMEM;
	/* Headers and payload references of TSO frames segmented for a
	 * peer without GSO, for a burst's worth of segments.
	 */
	if (offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) {
		snprintf(name, sizeof(name), "xngso_d%u_%u",
			dev->data->port_id, qid);
		q->gso_ctx.direct_pool = rte_pktmbuf_pool_create(name,
			XENNET_GSO_POOL, 0, 0, RTE_PKTMBUF_HEADROOM +
			XENNET_GSO_HDR_MAX, socket);
		snprintf(name, sizeof(name), "xngso_i%u_%u",
			dev->data->port_id, qid);
		q->gso_ctx.indirect_pool = rte_pktmbuf_pool_create(name,
			XENNET_GSO_POOL, 0, 0, 0, socket);
		q->gso_ctx.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO;
		if (q->gso_ctx.direct_pool == NULL ||
		    q->gso_ctx.indirect_pool == NULL) {
			XN_LOG(ERR, "%s: no mempool for TSO segments: %s",
				dev->data->name, rte_strerror(rte_errno));
			xennet_queue_release(q);
			return -ENOMEM;
		}
	}
	dev->data->tx_queues[qid] = q;
	return 0;
}

static int
xennet_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	return xennet_queue_intr_enable(dev->data->rx_queues[qid]);
}

static int
xennet_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	return xennet_queue_intr_disable(dev->data->rx_queues[qid]);
}

static int
xennet_link_update(struct rte_eth_dev *dev, int wait_to_complete)
{
	/* The control thread keeps dev_link current. */
	return 0;
}

static int
xennet_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *stats)
{
	struct xennet_queue *q;
	uint16_t i;

	stats->rx_nombuf = 0;
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		q = dev->data->rx_queues[i];
		if (q == NULL)
			continue;
		stats->ipackets += q->st.pkts;
		stats->ibytes += q->st.bytes;
		stats->ierrors += q->st.errors;
		stats->rx_nombuf += q->st.nombuf;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_ipackets[i] = q->st.pkts;
			stats->q_ibytes[i] = q->st.bytes;
			stats->q_errors[i] = q->st.errors;
		}
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		q = dev->data->tx_queues[i];
		if (q == NULL)
			continue;
		stats->opackets += q->st.pkts;
		stats->obytes += q->st.bytes;
		stats->oerrors += q->st.errors;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_opackets[i] = q->st.pkts;
			stats->q_obytes[i] = q->st.bytes;
		}
	}
	return 0;
}

static int
xennet_stats_reset(struct rte_eth_dev *dev)
{
	struct xennet_queue *q;
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		q = dev->data->rx_queues[i];
		if (q != NULL)
			memset(&q->st, 0, sizeof(q->st));
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		q = dev->data->tx_queues[i];
		if (q != NULL)
			memset(&q->st, 0, sizeof(q->st));
	}
	return 0;
}

/* xstats: per-queue counters beyond the basic set, then port counters. */
struct xennet_xstat {
	const char *name;
	size_t off;
};

#define XENNET_QSTAT(n) { #n, offsetof(struct xennet_qstats, n) }
static const struct xennet_xstat xennet_qxstats[] = {
	XENNET_QSTAT(nombuf),
	XENNET_QSTAT(ring_full),
	XENNET_QSTAT(peer_errors),
	XENNET_QSTAT(copy_calls),
	XENNET_QSTAT(copy_segs),
	XENNET_QSTAT(copy_errors),
	XENNET_QSTAT(notify),
	XENNET_QSTAT(wakeups),
	XENNET_QSTAT(csum_partial),
	XENNET_QSTAT(csum_completed),
	XENNET_QSTAT(gso),
	XENNET_QSTAT(gso_sw),
};

#define XENNET_PSTAT(n) { #n, offsetof(struct xennet_port, n) }
static const struct xennet_xstat xennet_pxstats[] = {
	XENNET_PSTAT(connects),
	XENNET_PSTAT(disconnects),
	XENNET_PSTAT(fatal_errors),
	XENNET_PSTAT(bad_xenstore),
};

/* xstat names of the drop and fatal reasons, indexed like the enum */
static const char * const xennet_reason_xname[XENNET_R_MAX] = {
	[XENNET_R_NONE] = NULL,
	[XENNET_R_TOO_MANY_SLOTS] = "too_many_slots",
	[XENNET_R_SLOT_OVERSIZE] = "slot_oversize",
	[XENNET_R_RUNT] = "runt",
	[XENNET_R_GSO_UNSUPPORTED] = "gso_unsupported",
	[XENNET_R_MCAST] = "mcast_request",
	[XENNET_R_NOT_SUPPORTED] = "not_supported",
	[XENNET_R_TOO_LONG] = "too_long",
	[XENNET_R_BAD_CSUM] = "bad_csum",
	[XENNET_R_IMPOSSIBLE_COUNT] = "fatal_impossible_count",
	[XENNET_R_SLOTS_EXCEED_RING] = "fatal_slots_exceed_ring",
	[XENNET_R_MALICIOUS_SLOTS] = "fatal_malicious_slots",
	[XENNET_R_CROSS_PAGE] = "fatal_cross_page",
	[XENNET_R_BAD_EXTRA] = "fatal_bad_extra",
	[XENNET_R_BAD_GSO] = "fatal_bad_gso",
	[XENNET_R_BAD_ID] = "fatal_bad_id",
	[XENNET_R_BAD_RESPONSE] = "bad_response",
};

#define XENNET_NB_QXSTATS (RTE_DIM(xennet_qxstats) + XENNET_R_MAX - 1)

static unsigned int
xennet_xstats_count(struct rte_eth_dev *dev)
{
	return RTE_DIM(xennet_pxstats) + XENNET_NB_QXSTATS *
		(dev->data->nb_rx_queues + dev->data->nb_tx_queues);
}

/* Walk every xstat in order, giving its name and value. */
static unsigned int
xennet_xstats_walk(struct rte_eth_dev *dev,
	struct rte_eth_xstat_name *names, uint64_t *values, unsigned int n)
{
	struct xennet_port *p = dev->data->dev_private;
	unsigned int i, k = 0, r, dir;
	struct xennet_queue *q;
	uint16_t nq, qi;

	for (i = 0; i < RTE_DIM(xennet_pxstats); i++, k++) {
		if (k >= n)
			return k;
		if (names != NULL)
			snprintf(names[k].name, sizeof(names[k].name), "%s",
				xennet_pxstats[i].name);
		if (values != NULL)
			values[k] = *(uint64_t *)((char *)p +
				xennet_pxstats[i].off);
	}
	for (dir = 0; dir < 2; dir++) {
		nq = dir == 0 ? dev->data->nb_rx_queues :
				dev->data->nb_tx_queues;
		for (qi = 0; qi < nq; qi++) {
			q = dir == 0 ? dev->data->rx_queues[qi] :
				       dev->data->tx_queues[qi];
			for (i = 0; i < XENNET_NB_QXSTATS; i++, k++) {
				const char *nm;
				uint64_t v = 0;

				if (k >= n)
					return k;
				if (i < RTE_DIM(xennet_qxstats)) {
					nm = xennet_qxstats[i].name;
					if (q != NULL)
						v = *(uint64_t *)((char *)&q->st +
							xennet_qxstats[i].off);
				} else {
					r = i - RTE_DIM(xennet_qxstats) + 1;
					nm = xennet_reason_xname[r];
					if (q != NULL)
						v = q->st.reason[r];
				}
				if (names != NULL)
					snprintf(names[k].name,
						sizeof(names[k].name),
						"%s_q%u_%s", dir == 0 ? "rx" :
						"tx", qi, nm);
				if (values != NULL)
					values[k] = v;
			}
		}
	}
	return k;
}

static int
xennet_xstats_get_names(struct rte_eth_dev *dev,
	struct rte_eth_xstat_name *names, unsigned int size)
{
	unsigned int count = xennet_xstats_count(dev);

	if (names == NULL || size < count)
		return count;
	return xennet_xstats_walk(dev, names, NULL, count);
}

static int
xennet_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats,
	unsigned int n)
{
	unsigned int count = xennet_xstats_count(dev);
	uint64_t values[count];
	unsigned int i;

	if (xstats == NULL || n < count)
		return count;
	xennet_xstats_walk(dev, NULL, values, count);
	for (i = 0; i < count; i++) {
		xstats[i].id = i;
		xstats[i].value = values[i];
	}
	return count;
}

static int
xennet_xstats_reset(struct rte_eth_dev *dev)
{
	struct xennet_port *p = dev->data->dev_private;

	p->connects = 0;
	p->disconnects = 0;
	p->fatal_errors = 0;
	p->bad_xenstore = 0;
	return xennet_stats_reset(dev);
}

/* Filtering is the switch's job: the vif sees what it is sent. */
static int
xennet_promisc_nop(struct rte_eth_dev *dev)
{
	return 0;
}

/*
 * The link set down by the application: the port's link stays down until
 * it is set up again; a backend also says so to the guest in the vif's
 * carrier key.
 */
static int
xennet_set_link_state(struct rte_eth_dev *dev, bool down)
{
	struct xennet_port *p = dev->data->dev_private;

	xennet_ctl_lock();
	p->admin_down = down;
	xennet_ctl_port_changed(p);
	xennet_ctl_unlock();
	return 0;
}

static int
xennet_dev_set_link_down(struct rte_eth_dev *dev)
{
	return xennet_set_link_state(dev, true);
}

static int
xennet_dev_set_link_up(struct rte_eth_dev *dev)
{
	return xennet_set_link_state(dev, false);
}

/* A backend's eth Tx keeps nothing in flight: its copies are done. */
static int
xennet_tx_done_cleanup(void *txq, uint32_t free_cnt)
{
	struct xennet_queue *q = txq;

	if (q->port->role == XENNET_ROLE_FRONTEND)
		return xennet_front_tx_done_cleanup(txq, free_cnt);
	return 0;
}

static const struct eth_dev_ops xennet_ops = {
	.dev_configure = xennet_dev_configure,
	.dev_infos_get = xennet_dev_info,
	.mtu_set = xennet_mtu_set,
	.dev_start = xennet_dev_start,
	.dev_stop = xennet_dev_stop,
	.dev_close = xennet_dev_close,
	.dev_set_link_up = xennet_dev_set_link_up,
	.dev_set_link_down = xennet_dev_set_link_down,
	.rx_queue_setup = xennet_rx_queue_setup,
	.tx_queue_setup = xennet_tx_queue_setup,
	.rx_queue_release = xennet_rx_queue_release,
	.tx_queue_release = xennet_tx_queue_release,
	.tx_done_cleanup = xennet_tx_done_cleanup,
	.rx_queue_intr_enable = xennet_rx_intr_enable,
	.rx_queue_intr_disable = xennet_rx_intr_disable,
	.link_update = xennet_link_update,
	.stats_get = xennet_stats_get,
	.stats_reset = xennet_stats_reset,
	.xstats_get = xennet_xstats_get,
	.xstats_get_names = xennet_xstats_get_names,
	.xstats_reset = xennet_xstats_reset,
	.promiscuous_enable = xennet_promisc_nop,
	.promiscuous_disable = xennet_promisc_nop,
	.allmulticast_enable = xennet_promisc_nop,
	.allmulticast_disable = xennet_promisc_nop,
};

/*
 * A secondary process (dpdk-proc-info, dpdk-dumpcap, dpdk-pdump) sees the
 * primary's ports through their shared data only: the Xen handles, the
 * xenstore connection and the control thread are the primary's, and so is
 * the datapath (the rings are mapped there only; a capture copies frames in
 * the primary's bursts).
 */
static const struct eth_dev_ops xennet_secondary_ops = {
	.dev_infos_get = xennet_dev_info,
	.dev_close = xennet_dev_close,
	.link_update = xennet_link_update,
	.stats_get = xennet_stats_get,
	.stats_reset = xennet_stats_reset,
	.xstats_get = xennet_xstats_get,
	.xstats_get_names = xennet_xstats_get_names,
	.xstats_reset = xennet_xstats_reset,
	.promiscuous_enable = xennet_promisc_nop,
	.promiscuous_disable = xennet_promisc_nop,
	.allmulticast_enable = xennet_promisc_nop,
	.allmulticast_disable = xennet_promisc_nop,
};

/* probe/remove ----------------------------------------------------------- */

static struct rte_vdev_driver xennet_vdev_drv;

static int
xennet_probe_secondary(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *dev;

	/* The vdev bus gives a secondary the primary's vdev names only, not
	 * their devargs: a hotplug vdev, which has no port of its own, or a
	 * port the primary closed, has nothing to attach.
	 */
	dev = rte_eth_dev_attach_secondary(name);
	if (dev == NULL) {
		XN_LOG(INFO, "%s: no such port in the primary process (a "
			"hotplug vdev, or closed): nothing to attach", name);
		return 0;
	}
	dev->dev_ops = &xennet_secondary_ops;
	dev->device = &vdev->device;
	dev->rx_pkt_burst = rte_eth_pkt_burst_dummy;
	dev->tx_pkt_burst = rte_eth_pkt_burst_dummy;
	vdev->device.driver = &xennet_vdev_drv.driver; /* as in the primary */
	rte_eth_dev_probing_finish(dev);
	return 0;
}

static int
xennet_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	char match[XENNET_NAME_MAX] = "";
	struct xennet_port args = { 0 };
	struct xennet_hotplug *h;
	struct rte_eth_dev *dev;
	struct xennet_port *p;
	bool hotplug = false;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return xennet_probe_secondary(vdev);
	ret = xennet_parse_args(vdev, &args, &hotplug, match);
	if (ret != 0)
		return ret;
	if (hotplug) {
		/* No port of its own: one per vif, as they come. */
		h = calloc(1, sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		snprintf(h->name, sizeof(h->name), "%s", name);
		snprintf(h->match, sizeof(h->match), "%s", match);
		h->max_queues = args.max_queues;
		ret = xennet_hotplug_register(h);
		if (ret != 0) {
			free(h);
			return ret;
		}
		XN_LOG(INFO, "%s: a port for every vif of %s", name,
			match[0] != '\0' ? match : "every guest");
		return 0;
	}

	dev = rte_eth_vdev_allocate(vdev, sizeof(*p));
	if (dev == NULL)
		return -ENOMEM;
	p = dev->data->dev_private;
	*p = args;
	p->dev = dev;
	p->peer_domid = -1;
	p->claim_fd = -1;
	p->kick_fd = -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (p->role == XENNET_ROLE_FRONTEND)
		snprintf(p->fe_path, sizeof(p->fe_path), "device/vif/%u",
			p->devid);
	dev->intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (dev->intr_handle == NULL) {
		rte_eth_dev_release_port(dev);
		return -ENOMEM;
	}
	ret = xennet_ctl_register(p);
	if (ret != 0) {
		rte_intr_instance_free(dev->intr_handle);
		dev->intr_handle = NULL;
		rte_eth_dev_release_port(dev);
		return ret;
	}
	if (p->role == XENNET_ROLE_FRONTEND) {
		ret = xennet_front_probe(p);
		if (ret != 0)
			goto fail;
	} else if (!p->mac_set) {
		p->mac = xennet_back_mac;
	}

	dev->data->mac_addrs = rte_zmalloc(name, sizeof(p->mac), 0);
	if (dev->data->mac_addrs == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	rte_ether_addr_copy(&p->mac, dev->data->mac_addrs);
	dev->dev_ops = &xennet_ops;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC |
		RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	if (p->role == XENNET_ROLE_BACKEND) {
		dev->rx_pkt_burst = xennet_back_rx;
		dev->tx_pkt_burst = xennet_back_tx;
	} else {
		dev->rx_pkt_burst = xennet_front_rx;
		dev->tx_pkt_burst = xennet_front_tx;
	}
	/* RTE_ETH_EVENT_NEW may reach another thread, which queries the port
	 * at once; the vdev bus would set its driver only after we return.
	 */
	vdev->device.driver = &xennet_vdev_drv.driver;
	rte_eth_dev_probing_finish(dev);
	if (p->role == XENNET_ROLE_FRONTEND)
		XN_LOG(INFO, "%s: frontend of vif %u", name, p->devid);
	else if (p->domain[0] != '\0')
		XN_LOG(INFO, "%s: backend of vif %u of domain %s", name,
			p->devid, p->domain);
	else
		XN_LOG(INFO, "%s: backend of vif %u of domid %ld", name,
			p->devid, p->domid_arg);
	return 0;
fail:
	xennet_ctl_unregister(p);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
	rte_eth_dev_release_port(dev);
	return ret;
}

static int
xennet_remove(struct rte_vdev_device *vdev)
{
	struct xennet_hotplug *h;
	struct rte_eth_dev *dev;

	h = xennet_hotplug_find(rte_vdev_device_name(vdev));
	if (h != NULL) {
		xennet_hotplug_unregister(h);
		free(h);
		return 0;
	}
	dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	/* Already closed by the application; a secondary process still
	 * finds the port it closed, by the primary's data.
	 */
	if (dev == NULL || dev->state == RTE_ETH_DEV_UNUSED)
		return 0;
	return rte_eth_dev_close(dev->data->port_id);
}

static struct rte_vdev_driver xennet_vdev_drv = {
	.probe = xennet_probe,
	.remove = xennet_remove,
};

RTE_PMD_REGISTER_VDEV(net_xennet, xennet_vdev_drv);
RTE_PMD_REGISTER_ALIAS(net_xennet, eth_xennet);
RTE_PMD_REGISTER_PARAM_STRING(net_xennet,
	XENNET_ROLE_ARG "=backend|frontend "
	XENNET_DOMAIN_ARG "=<name> "
	XENNET_DOMID_ARG "=<int> "
	XENNET_DEVID_ARG "=<int> "
	XENNET_MAC_ARG "=xx:xx:xx:xx:xx:xx "
	XENNET_MAX_QUEUES_ARG "=<1-8> "
	XENNET_HOTPLUG_ARG "=0|1 "
	XENNET_MATCH_ARG "=<pattern>");
