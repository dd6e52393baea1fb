/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * xennet-vswitch: a learning L2 switch for a driver domain.
 *
 * It serves every guest's vif with a xennet backend port in hotplug mode
 * (probing net_xennet0,role=backend,hotplug=1 itself unless a net_xennet
 * vdev is given to the EAL): ports appear with RTE_ETH_EVENT_NEW and are
 * configured and started then; RTE_ETH_EVENT_INTR_RMV says a vif went. A
 * removed vif's port is kept --hold seconds: the guest's next incarnation
 * (a reboot) comes back on it with the same port id, else it is closed.
 * Any other port given to the EAL (net_tap, net_af_packet, a NIC) is a
 * switch port as well: an uplink.
 *
 * Frames are switched as a Linux bridge does: source MACs are learnt
 * (aged after --age seconds idle), a frame to a known unicast MAC goes
 * out of that port only, unknown unicast, broadcast and multicast go to
 * every other port with its link up, and a frame never goes back out of
 * the port it came in on.
 *
 * One lcore polls every port. Counters are printed every --stats seconds
 * and answered over DPDK telemetry (/xennet_vswitch/ports and
 * /xennet_vswitch/macs). SIGINT/SIGTERM close every port and exit.
 */

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>

#define VS_BURST 32
#define VS_NB_MBUF 16383
#define VS_FDB_SIZE 4096
#define VS_HOUSEKEEPING_MS 100
#define VS_HOTPLUG_DEVARGS "net_xennet0,role=backend,hotplug=1"

enum vs_state {
	VS_FREE,	/* no port, or not set up */
	VS_UP,		/* started and switched */
	VS_GONE,	/* its vif was removed: kept for the guest's return */
};

struct vs_port {
	enum vs_state state;
	bool new;		/* RTE_ETH_EVENT_NEW not handled yet */
	bool rmv;		/* RTE_ETH_EVENT_INTR_RMV not handled yet */
	bool link;		/* as last polled: only then it gets frames */
	uint64_t gone_tsc;
	struct rte_eth_dev_tx_buffer *txb;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint64_t rx;		/* frames received */
	uint64_t tx;		/* frames sent */
	uint64_t dropped;	/* frames for it its Tx queue refused */
	uint64_t filtered;	/* frames to a MAC learnt on their own port */
	uint64_t bad;		/* runts, frames from a non-unicast source */
	uint64_t fdb_full;	/* source MACs not learnt: table full */
};

struct vs_fdb_entry {
	uint16_t port;
	uint64_t seen;		/* TSC of the last frame from the MAC */
};

static struct vs_port vs_ports[RTE_MAX_ETHPORTS];
static struct rte_hash *vs_fdb;
static struct vs_fdb_entry *vs_fdb_entries;
static struct rte_mempool *vs_pool;
/* The main loop holds it while it switches a burst or changes ports, the
 * telemetry thread while it reads them.
 */
static rte_spinlock_t vs_lock = RTE_SPINLOCK_INITIALIZER;
/* Guards new and rmv only: the callbacks, on the PMD's thread, take no
 * other lock, so the main loop may call the PMD with vs_lock held.
 */
static rte_spinlock_t vs_event_lock = RTE_SPINLOCK_INITIALIZER;
static volatile bool vs_events;
static volatile bool vs_link_changed;	/* RTE_ETH_EVENT_INTR_LSC */
static volatile sig_atomic_t vs_quit;
static uint64_t vs_age_tsc;
static unsigned int vs_age_s = 300;
static unsigned int vs_stats_s = 10;
static unsigned int vs_hold_s = 60;
static const char *vs_match;

static void
vs_signal(int sig)
{
	RTE_SET_USED(sig);
	vs_quit = 1;
}

/* Runs on the PMD's thread: record it, the main loop acts. */
static int
vs_event(uint16_t port, enum rte_eth_event_type type, void *arg, void *out)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(out);
	rte_spinlock_lock(&vs_event_lock);
	if (type == RTE_ETH_EVENT_NEW)
		vs_ports[port].new = true;
	else if (type == RTE_ETH_EVENT_INTR_RMV)
		vs_ports[port].rmv = true;
	else
		vs_link_changed = true;
	vs_events = true;
	rte_spinlock_unlock(&vs_event_lock);
	return 0;
}

/* Forwarding database ---------------------------------------------------- */

/* rte_jhash loads the key 4 bytes at a time: a frame's MACs are only
 * 2-byte aligned, so they are hashed from a copy.
 */
union vs_fdb_key {
	uint64_t align;
	struct rte_ether_addr mac;
};

static void
vs_fdb_learn(const struct rte_ether_addr *mac, uint16_t port, uint64_t now)
{
	union vs_fdb_key key = { .mac = *mac };
	int32_t pos = rte_hash_add_key(vs_fdb, &key);

	if (pos < 0) {
		vs_ports[port].fdb_full++;
		return;
	}
	vs_fdb_entries[pos].port = port;
	vs_fdb_entries[pos].seen = now;
}

/* The port a MAC was learnt on and not aged since, or -1. */
static int
vs_fdb_lookup(const struct rte_ether_addr *mac, uint64_t now)
{
	union vs_fdb_key key = { .mac = *mac };
	int32_t pos = rte_hash_lookup(vs_fdb, &key);

	if (pos < 0)
		return -1;
	if (now - vs_fdb_entries[pos].seen > vs_age_tsc) {
		rte_hash_del_key(vs_fdb, &key);
		return -1;
	}
	return vs_fdb_entries[pos].port;
}

/* Forget the MACs of port (all ports: RTE_MAX_ETHPORTS) not seen since
 * before, or every one of them (before: UINT64_MAX).
 */
static void
vs_fdb_flush(uint16_t port, uint64_t before)
{
	const void *key;
	void *data;
	uint32_t next = 0;
	int32_t pos;

	while ((pos = rte_hash_iterate(vs_fdb, &key, &data, &next)) >= 0) {
		if ((port == RTE_MAX_ETHPORTS ||
		     vs_fdb_entries[pos].port == port) &&
		    (before == UINT64_MAX || vs_fdb_entries[pos].seen < before))
			rte_hash_del_key(vs_fdb, key);
	}
}

/* Switching --------------------------------------------------------------- */

static bool
vs_port_forwards(uint16_t port)
{
	return vs_ports[port].state == VS_UP && vs_ports[port].link;
}

static void
vs_send(uint16_t port, struct rte_mbuf *m)
{
	vs_ports[port].tx += rte_eth_tx_buffer(port, 0, vs_ports[port].txb, m);
}

/* To every port that forwards but in_port; one mbuf with a reference per
 * output port: no port changes a frame it sends.
 */
static void
vs_flood(uint16_t in_port, struct rte_mbuf *m)
{
	uint16_t out[RTE_MAX_ETHPORTS], n = 0, port, i;

	for (port = 0; port < RTE_MAX_ETHPORTS; port++)
		if (port != in_port && vs_port_forwards(port))
			out[n++] = port;
	if (n == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_refcnt_update(m, n - 1);
	for (i = 0; i < n; i++)
		vs_send(out[i], m);
}

static void
vs_switch(uint16_t in_port, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ether_hdr *eh;
	int out;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh)) {
		vs_ports[in_port].bad++;
		rte_pktmbuf_free(m);
		return;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	/* As a Linux bridge: a multicast or zero source is no host's. */
	if (!rte_is_valid_assigned_ether_addr(&eh->src_addr)) {
		vs_ports[in_port].bad++;
		rte_pktmbuf_free(m);
		return;
	}
	vs_fdb_learn(&eh->src_addr, in_port, now);
	if (rte_is_multicast_ether_addr(&eh->dst_addr)) {
		vs_flood(in_port, m);
		return;
	}
	out = vs_fdb_lookup(&eh->dst_addr, now);
	if (out == in_port) {
		vs_ports[in_port].filtered++;
		rte_pktmbuf_free(m);
	} else if (out >= 0 && vs_port_forwards(out)) {
		vs_send(out, m);
	} else {
		vs_flood(in_port, m);
	}
}

/* One round over the ports, under vs_lock: a frame a peer has is
 * counted.
 */
static void
vs_poll(uint64_t now)
{
	struct rte_mbuf *pkts[VS_BURST];
	uint16_t port, n, i;

	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		if (!vs_port_forwards(port))
			continue;
		n = rte_eth_rx_burst(port, 0, pkts, VS_BURST);
		if (n == 0)
			continue;
		vs_ports[port].rx += n;
		for (i = 0; i < n; i++)
			vs_switch(port, pkts[i], now);
	}
	for (port = 0; port < RTE_MAX_ETHPORTS; port++)
		if (vs_ports[port].state == VS_UP)
			vs_ports[port].tx += rte_eth_tx_buffer_flush(port, 0,
				vs_ports[port].txb);
}

/* Ports -------------------------------------------------------------------- */

static int
vs_port_setup(uint16_t port)
{
	struct vs_port *p = &vs_ports[port];
	struct rte_eth_conf conf = { 0 };
	int ret;

	p->link = false;
	p->rx = p->tx = p->dropped = p->filtered = p->bad = p->fdb_full = 0;
	rte_eth_dev_get_name_by_port(port, p->name);
	p->txb = rte_zmalloc_socket("vswitch_txb",
		RTE_ETH_TX_BUFFER_SIZE(VS_BURST), 0,
		rte_eth_dev_socket_id(port));
	if (p->txb == NULL)
		return -ENOMEM;
	rte_eth_tx_buffer_init(p->txb, VS_BURST);
	rte_eth_tx_buffer_set_err_callback(p->txb,
		rte_eth_tx_buffer_count_callback, &p->dropped);
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, 0,
			rte_eth_dev_socket_id(port), NULL, vs_pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, 0,
			rte_eth_dev_socket_id(port), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	/* An uplink gets frames for the guests' MACs; a xennet port every
	 * frame anyway.
	 */
	if (ret == 0)
		rte_eth_promiscuous_enable(port);
	if (ret != 0) {
		rte_free(p->txb);
		p->txb = NULL;
	}
	return ret;
}

/* What waits in the Tx buffer of a port going away is lost, and counted. */
static void
vs_txb_drop(struct vs_port *p)
{
	p->dropped += p->txb->length;
	rte_pktmbuf_free_bulk(p->txb->pkts, p->txb->length);
	p->txb->length = 0;
}

static void
vs_port_close(uint16_t port)
{
	struct vs_port *p = &vs_ports[port];
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port, &info) == 0)
		dev = info.device;
	vs_fdb_flush(port, UINT64_MAX);
	vs_txb_drop(p);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	if (dev != NULL)
		rte_dev_remove(dev);
	rte_free(p->txb);
	p->txb = NULL;
	p->state = VS_FREE;
	printf("xennet-vswitch: port %u (%s) closed\n", port, p->name);
}

/* NEW and RMV events, under vs_lock. */
static void
vs_handle_events(uint64_t now)
{
	struct vs_port *p;
	uint16_t port;
	bool new, rmv;
	int ret;

	vs_events = false;
	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		p = &vs_ports[port];
		rte_spinlock_lock(&vs_event_lock);
		new = p->new;
		rmv = p->rmv;
		/* ethdev raises NEW just before it marks the port attached */
		p->new = new && !rte_eth_dev_is_valid_port(port);
		if (p->new)
			vs_events = true;
		p->rmv = false;
		rte_spinlock_unlock(&vs_event_lock);
		if (new && !p->new && p->state == VS_FREE) {
			ret = vs_port_setup(port);
			if (ret == 0) {
				p->state = VS_UP;
				printf("xennet-vswitch: port %u (%s) added\n",
				       port, p->name);
			} else {
				p->state = VS_FREE;
				printf("xennet-vswitch: port %u (%s) setup "
				       "failed: %s\n", port, p->name,
				       rte_strerror(-ret));
			}
		}
		if (!rmv || p->state != VS_UP)
			continue;
		p->link = false;
		vs_fdb_flush(port, UINT64_MAX);
		vs_txb_drop(p);
		if (vs_hold_s == 0) {
			printf("xennet-vswitch: port %u (%s) removed\n", port,
			       p->name);
			vs_port_close(port);
			continue;
		}
		p->state = VS_GONE;
		p->gone_tsc = now;
		printf("xennet-vswitch: port %u (%s) removed; kept %u s for "
		       "the guest to come back\n", port, p->name, vs_hold_s);
	}
	fflush(stdout);
}

/* Links, returning guests, held ports timing out, ageing: under vs_lock. */
static void
vs_housekeeping(uint64_t now)
{
	uint64_t hold = (uint64_t)vs_hold_s * rte_get_timer_hz();
	struct rte_eth_link link;
	struct vs_port *p;
	uint16_t port;
	bool up;

	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		p = &vs_ports[port];
		if (p->state != VS_UP && p->state != VS_GONE)
			continue;
		up = rte_eth_link_get_nowait(port, &link) == 0 &&
			link.link_status == RTE_ETH_LINK_UP;
		if (p->state == VS_GONE && up) {
			p->state = VS_UP;
			printf("xennet-vswitch: port %u (%s) back\n", port,
			       p->name);
		} else if (p->state == VS_GONE && now - p->gone_tsc >= hold) {
			vs_port_close(port);
			continue;
		}
		/* as a bridge port going down: its MACs are no longer there */
		if (p->link && !up)
			vs_fdb_flush(port, UINT64_MAX);
		p->link = up;
	}
	if (now > vs_age_tsc)
		vs_fdb_flush(RTE_MAX_ETHPORTS, now - vs_age_tsc);
	fflush(stdout);
}

static const char *
vs_state_name(const struct vs_port *p)
{
	if (p->state == VS_GONE)
		return "gone";
	return p->link ? "up" : "down";
}

static void
vs_print_stats(void)
{
	const struct vs_port *p;
	uint16_t port;

	printf("xennet-vswitch: stats");
	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		p = &vs_ports[port];
		if (p->state != VS_UP && p->state != VS_GONE)
			continue;
		printf(" | port %u %s %s rx %" PRIu64 " tx %" PRIu64
		       " dropped %" PRIu64, port, p->name, vs_state_name(p),
		       p->rx, p->tx, p->dropped);
	}
	printf("\n");
	fflush(stdout);
}

/* Telemetry ---------------------------------------------------------------- */

static int
vs_tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int macs[RTE_MAX_ETHPORTS] = { 0 };
	struct rte_tel_data *pd;
	const struct vs_port *p;
	const void *key;
	char id[8];
	uint32_t next = 0;
	uint16_t port;
	int32_t pos;
	void *data;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&vs_lock);
	while ((pos = rte_hash_iterate(vs_fdb, &key, &data, &next)) >= 0)
		macs[vs_fdb_entries[pos].port]++;
	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		p = &vs_ports[port];
		if (p->state != VS_UP && p->state != VS_GONE)
			continue;
		pd = rte_tel_data_alloc();
		if (pd == NULL)
			break;
		rte_tel_data_start_dict(pd);
		rte_tel_data_add_dict_string(pd, "name", p->name);
		rte_tel_data_add_dict_string(pd, "state", vs_state_name(p));
		rte_tel_data_add_dict_u64(pd, "rx", p->rx);
		rte_tel_data_add_dict_u64(pd, "tx", p->tx);
		rte_tel_data_add_dict_u64(pd, "dropped", p->dropped);
		rte_tel_data_add_dict_u64(pd, "filtered", p->filtered);
		rte_tel_data_add_dict_u64(pd, "bad", p->bad);
		rte_tel_data_add_dict_u64(pd, "fdb_full", p->fdb_full);
		rte_tel_data_add_dict_u64(pd, "macs", macs[port]);
		snprintf(id, sizeof(id), "%u", port);
		rte_tel_data_add_dict_container(d, id, pd, 0);
	}
	rte_spinlock_unlock(&vs_lock);
	return 0;
}

static int
vs_tel_macs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *list[RTE_MAX_ETHPORTS] = { NULL };
	char mac[RTE_ETHER_ADDR_FMT_SIZE], id[8];
	const void *key;
	uint32_t next = 0;
	uint16_t port;
	int32_t pos;
	void *data;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&vs_lock);
	while ((pos = rte_hash_iterate(vs_fdb, &key, &data, &next)) >= 0) {
		port = vs_fdb_entries[pos].port;
		if (list[port] == NULL) {
			list[port] = rte_tel_data_alloc();
			if (list[port] == NULL)
				continue;
			rte_tel_data_start_array(list[port],
				RTE_TEL_STRING_VAL);
		}
		rte_ether_format_addr(mac, sizeof(mac), key);
		rte_tel_data_add_array_string(list[port], mac);
	}
	rte_spinlock_unlock(&vs_lock);
	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		if (list[port] == NULL)
			continue;
		snprintf(id, sizeof(id), "%u", port);
		rte_tel_data_add_dict_container(d, id, list[port], 0);
	}
	return 0;
}

/* Setup -------------------------------------------------------------------- */

static void
vs_usage(const char *prog)
{
	printf("usage: %s [EAL options] -- [--match PATTERN] [--age S] "
	       "[--hold S] [--stats S]\n"
	       "  --match PATTERN  serve only guests whose name matches (when "
	       "it probes\n"
	       "                   xennet itself: no net_xennet --vdev given)\n"
	       "  --age S          forget a MAC silent for S seconds "
	       "(default 300)\n"
	       "  --hold S         keep a removed vif's port S seconds for the "
	       "guest's\n"
	       "                   return (default 60; 0: close it at once)\n"
	       "  --stats S        print counters every S seconds (default 10; "
	       "0: at exit)\n", prog);
}

static int
vs_parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end != '\0' || s[0] == '-' || v > 86400 * 365)
		return -1;
	*out = v;
	return 0;
}

static int
vs_parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "match", required_argument, NULL, 'm' },
		{ "age", required_argument, NULL, 'a' },
		{ "hold", required_argument, NULL, 'H' },
		{ "stats", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			vs_match = optarg;
			ret = 0;
			break;
		case 'a':
			ret = vs_parse_uint(optarg, &vs_age_s);
			if (vs_age_s == 0)
				ret = -1;
			break;
		case 'H':
			ret = vs_parse_uint(optarg, &vs_hold_s);
			break;
		case 's':
			ret = vs_parse_uint(optarg, &vs_stats_s);
			break;
		default:
			ret = -1;
			break;
		}
		if (ret != 0) {
			vs_usage(argv[0]);
			return -1;
		}
	}
	if (optind != argc) {
		vs_usage(argv[0]);
		return -1;
	}
	return 0;
}

/* Probe the hotplug backend unless a net_xennet vdev was given. */
static int
vs_probe_xennet(void)
{
	char devargs[RTE_DEV_NAME_MAX_LEN + 64];
	struct rte_devargs *da;
	int ret;

	RTE_EAL_DEVARGS_FOREACH("vdev", da) {
		if (strncmp(da->name, "net_xennet", strlen("net_xennet")) == 0) {
			if (vs_match != NULL)
				printf("xennet-vswitch: --match is for the "
				       "vdev it probes, ignored\n");
			return 0;
		}
	}
	snprintf(devargs, sizeof(devargs), "%s%s%s", VS_HOTPLUG_DEVARGS,
		 vs_match != NULL ? ",match=" : "",
		 vs_match != NULL ? vs_match : "");
	ret = rte_dev_probe(devargs);
	if (ret != 0)
		printf("xennet-vswitch: probing %s failed: %s\n", devargs,
		       rte_strerror(-ret));
	else
		printf("xennet-vswitch: probed %s\n", devargs);
	return ret;
}

int
main(int argc, char **argv)
{
	struct rte_hash_parameters hp = {
		.name = "vswitch_fdb",
		.entries = VS_FDB_SIZE,
		.key_len = RTE_ETHER_ADDR_LEN,
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
	};
	uint64_t hz, now, next_house, next_stats;
	uint16_t port;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL initialisation failed\n");
	if (vs_parse_args(argc - ret, argv + ret) != 0)
		rte_exit(EXIT_FAILURE, "bad arguments\n");
	signal(SIGINT, vs_signal);
	signal(SIGTERM, vs_signal);
	hz = rte_get_timer_hz();
	vs_age_tsc = (uint64_t)vs_age_s * hz;

	vs_fdb = rte_hash_create(&hp);
	if (vs_fdb == NULL)
		rte_exit(EXIT_FAILURE, "cannot create the MAC table\n");
	vs_fdb_entries = rte_calloc("vswitch_fdb",
		rte_hash_max_key_id(vs_fdb) + 1, sizeof(*vs_fdb_entries), 0);
	vs_pool = rte_pktmbuf_pool_create("vswitch", VS_NB_MBUF, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (vs_fdb_entries == NULL || vs_pool == NULL)
		rte_exit(EXIT_FAILURE, "out of memory\n");
	rte_telemetry_register_cmd("/xennet_vswitch/ports", vs_tel_ports,
		"Switch ports: name, state, rx, tx, dropped, filtered, bad, "
		"fdb_full, macs. Takes no parameters");
	rte_telemetry_register_cmd("/xennet_vswitch/macs", vs_tel_macs,
		"MACs learnt, by port. Takes no parameters");

	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
		vs_event, NULL);
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
		vs_event, NULL);
	/* Links are polled; a PMD that announces changes has them seen at
	 * once, so a port gets frames as soon as its peer is there.
	 */
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC,
		vs_event, NULL);
	RTE_ETH_FOREACH_DEV(port)
		vs_event(port, RTE_ETH_EVENT_NEW, NULL, NULL);
	if (vs_probe_xennet() != 0)
		rte_exit(EXIT_FAILURE, "no xennet backend\n");
	printf("xennet-vswitch: running (age %u s, hold %u s)\n", vs_age_s,
	       vs_hold_s);
	fflush(stdout);

	now = rte_get_timer_cycles();
	next_house = now;
	next_stats = now + (uint64_t)vs_stats_s * hz;
	while (!vs_quit) {
		now = rte_get_timer_cycles();
		if (vs_events || vs_link_changed || now >= next_house) {
			rte_spinlock_lock(&vs_lock);
			if (vs_events)
				vs_handle_events(now);
			if (vs_link_changed || now >= next_house) {
				vs_link_changed = false;
				vs_housekeeping(now);
				next_house = now + hz * VS_HOUSEKEEPING_MS /
					1000;
			}
			rte_spinlock_unlock(&vs_lock);
		}
		rte_spinlock_lock(&vs_lock);
		vs_poll(now);
		rte_spinlock_unlock(&vs_lock);
		if (vs_stats_s != 0 && now >= next_stats) {
			vs_print_stats();
			next_stats += (uint64_t)vs_stats_s * hz;
		}
	}

	vs_print_stats();
	rte_spinlock_lock(&vs_lock);
	for (port = 0; port < RTE_MAX_ETHPORTS; port++)
		if (vs_ports[port].state == VS_UP ||
		    vs_ports[port].state == VS_GONE)
			vs_port_close(port);
	rte_spinlock_unlock(&vs_lock);
	fflush(stdout);
	rte_eal_cleanup();
	printf("xennet-vswitch: bye\n");
	return 0;
}
