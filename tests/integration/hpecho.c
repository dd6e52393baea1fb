/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * hpecho: an application of hotplugged ports, for the integration tests.
 *
 *   hpecho <EAL args> -- [--close-on-rmv] [--queues N]
 *
 * Every port that exists at start or appears later (RTE_ETH_EVENT_NEW) is
 * configured with N queue pairs and started; every frame received on a
 * queue is sent back out of the same port and queue, held back (not
 * dropped) while the peer's ring is full. One lcore polls every port. Events are printed as lines "HPECHO {json}": "new" (port id and
 * name, once set up), "rmv" (RTE_ETH_EVENT_INTR_RMV; with --close-on-rmv
 * the port is then closed and its device removed, "closed"), "stats"
 * (every second, frames echoed per port) and "exit". SIGINT/SIGTERM close
 * every port and end the program.
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
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#define HP_BURST 32
#define HP_MAX_QUEUES 8
#define HP_NB_MBUFS 16383

enum hp_state { HP_NONE, HP_PENDING, HP_RUNNING, HP_REMOVED };

static struct {
	enum hp_state state;
	bool rmv;		/* removal event not handled yet */
	uint64_t echoed;
	uint64_t dropped;
	/* frames the peer's ring had no room for yet, sent first */
	struct rte_mbuf *held[HP_MAX_QUEUES][HP_BURST];
	uint16_t nr_held[HP_MAX_QUEUES];
} hp_ports[RTE_MAX_ETHPORTS];

static rte_spinlock_t hp_lock = RTE_SPINLOCK_INITIALIZER;
static volatile bool hp_pending;	/* an event to look at */
static uint16_t hp_run[RTE_MAX_ETHPORTS];	/* ports being polled */
static unsigned int hp_nr_run;
static volatile sig_atomic_t hp_quit;
static struct rte_mempool *hp_pool;
static bool hp_close_on_rmv;
static uint16_t hp_queues = 1;

static void
hp_signal(int sig)
{
	RTE_SET_USED(sig);
	hp_quit = 1;
}

/* Runs on the PMD's thread: only record it, the main loop acts. */
static int
hp_event(uint16_t port, enum rte_eth_event_type type, void *arg, void *out)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(out);
	rte_spinlock_lock(&hp_lock);
	if (type == RTE_ETH_EVENT_NEW)
		hp_ports[port].state = HP_PENDING;
	else if (type == RTE_ETH_EVENT_INTR_RMV)
		hp_ports[port].rmv = true;
	hp_pending = true;
	rte_spinlock_unlock(&hp_lock);
	return 0;
}

static void
hp_print_name(const char *event, uint16_t port, const char *name,
	const char *error)
{
	printf("HPECHO {\"event\":\"%s\",\"port\":%u,\"name\":\"%s\","
		"\"error\":%s%s%s}\n", event, port, name,
		error != NULL ? "\"" : "", error != NULL ? error : "null",
		error != NULL ? "\"" : "");
	fflush(stdout);
}

static void
hp_print(const char *event, uint16_t port, const char *error)
{
	char name[RTE_ETH_NAME_MAX_LEN] = "";

	rte_eth_dev_get_name_by_port(port, name);
	hp_print_name(event, port, name, error);
}

/* A port going away: what it held is lost, and counted. */
static void
hp_drop_held(uint16_t port)
{
	uint16_t q;

	for (q = 0; q < HP_MAX_QUEUES; q++) {
		hp_ports[port].dropped += hp_ports[port].nr_held[q];
		rte_pktmbuf_free_bulk(hp_ports[port].held[q],
			hp_ports[port].nr_held[q]);
		hp_ports[port].nr_held[q] = 0;
	}
}

static int
hp_setup(uint16_t port)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t q;
	int ret;

	ret = rte_eth_dev_configure(port, hp_queues, hp_queues, &conf);
	for (q = 0; ret == 0 && q < hp_queues; q++)
		ret = rte_eth_rx_queue_setup(port, q, 0, rte_socket_id(), NULL,
			hp_pool);
	for (q = 0; ret == 0 && q < hp_queues; q++)
		ret = rte_eth_tx_queue_setup(port, q, 0, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	return ret;
}

static void
hp_events(void)
{
	char err[64];
	uint16_t port;
	bool rmv, pending;
	unsigned int i;
	int ret;

	hp_pending = false;
	for (port = 0; port < RTE_MAX_ETHPORTS; port++) {
		rte_spinlock_lock(&hp_lock);
		pending = hp_ports[port].state == HP_PENDING;
		rmv = hp_ports[port].rmv;
		hp_ports[port].rmv = false;
		rte_spinlock_unlock(&hp_lock);
		if (pending && !rte_eth_dev_is_valid_port(port)) {
			/* NEW comes before ethdev marks the port attached */
			hp_pending = true;
		} else if (pending) {
			ret = hp_setup(port);
			snprintf(err, sizeof(err), "setup: %s",
				rte_strerror(-ret));
			hp_print("new", port, ret == 0 ? NULL : err);
			hp_ports[port].state = ret == 0 ? HP_RUNNING :
							  HP_REMOVED;
		}
		if (rmv) {
			hp_print("rmv", port, NULL);
			if (hp_close_on_rmv &&
			    hp_ports[port].state == HP_RUNNING) {
				char name[RTE_ETH_NAME_MAX_LEN] = "";
				struct rte_eth_dev_info info;
				struct rte_device *dev = NULL;

				rte_eth_dev_get_name_by_port(port, name);
				if (rte_eth_dev_info_get(port, &info) == 0)
					dev = info.device;
				hp_ports[port].state = HP_REMOVED;
				hp_drop_held(port);
				rte_eth_dev_stop(port);
				rte_eth_dev_close(port);
				if (dev != NULL)
					rte_dev_remove(dev);
				hp_print_name("closed", port, name, NULL);
			}
		}
	}
	hp_nr_run = 0;
	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		if (hp_ports[i].state == HP_RUNNING)
			hp_run[hp_nr_run++] = i;
}

/* Echo, holding back what the ring cannot take: nothing is dropped. */
static void
hp_echo(uint16_t port)
{
	uint16_t q, sent, *nr;
	struct rte_mbuf **held;

	for (q = 0; q < hp_queues; q++) {
		held = hp_ports[port].held[q];
		nr = &hp_ports[port].nr_held[q];
		if (*nr == 0)
			*nr = rte_eth_rx_burst(port, q, held, HP_BURST);
		if (*nr == 0)
			continue;
		sent = rte_eth_tx_burst(port, q, held, *nr);
		hp_ports[port].echoed += sent;
		memmove(held, held + sent, (*nr - sent) * sizeof(*held));
		*nr -= sent;
	}
}

static void
hp_stats(void)
{
	bool first = true;
	unsigned int i;
	uint16_t port;

	printf("HPECHO {\"event\":\"stats\",\"ports\":{");
	for (i = 0; i < hp_nr_run; i++) {
		port = hp_run[i];
		printf("%s\"%u\":{\"echoed\":%" PRIu64 ",\"dropped\":%" PRIu64
			"}", first ? "" : ",", port, hp_ports[port].echoed,
			hp_ports[port].dropped);
		first = false;
	}
	printf("}}\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "close-on-rmv", no_argument, NULL, 'c' },
		{ "queues", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t next_stats, hz;
	unsigned int i;
	uint16_t port;
	int ret, opt;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "hpecho: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'c') {
			hp_close_on_rmv = true;
		} else if (opt == 'q') {
			hp_queues = atoi(optarg);
			if (hp_queues == 0 || hp_queues > HP_MAX_QUEUES)
				return 2;
		} else {
			fprintf(stderr, "usage: hpecho <EAL> -- "
				"[--close-on-rmv] [--queues N]\n");
			return 2;
		}
	}
	signal(SIGINT, hp_signal);
	signal(SIGTERM, hp_signal);
	hp_pool = rte_pktmbuf_pool_create("hpecho", HP_NB_MBUFS, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (hp_pool == NULL) {
		fprintf(stderr, "hpecho: no mbuf pool: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
		hp_event, NULL);
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
		hp_event, NULL);
	RTE_ETH_FOREACH_DEV(port)
		hp_event(port, RTE_ETH_EVENT_NEW, NULL, NULL);
	hp_pending = true;
	printf("HPECHO {\"event\":\"started\",\"port\":0,\"name\":\"\","
		"\"error\":null}\n");
	fflush(stdout);

	hz = rte_get_timer_hz();
	next_stats = rte_get_timer_cycles() + hz;
	while (!hp_quit) {
		if (hp_pending)
			hp_events();
		for (i = 0; i < hp_nr_run; i++)
			hp_echo(hp_run[i]);
		if (rte_get_timer_cycles() >= next_stats) {
			hp_stats();
			next_stats += hz;
		}
	}
	hp_stats();
	RTE_ETH_FOREACH_DEV(port) {
		hp_drop_held(port);
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	printf("HPECHO {\"event\":\"exit\",\"port\":0,\"name\":\"\","
		"\"error\":null}\n");
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
}
