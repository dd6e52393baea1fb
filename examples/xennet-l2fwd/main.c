/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * xennet-l2fwd: an l2fwd-style appliance. Ports are paired in order (0-1,
 * 2-3, ...) and every frame received on one port is sent out of its pair,
 * with DPDK l2fwd's MAC rewriting by default (destination
 * 02:00:00:00:00:<output port>, source the output port's MAC), or
 * unchanged with --no-mac-updating (a wire between two guests, which then
 * see each other's MACs). Works with xennet ports of either role
 * and any other DPDK port. Prints per-port counters periodically and on
 * exit; SIGINT/SIGTERM close the ports cleanly (a xennet backend port
 * unmaps the rings and leaves its vif Connected for the next backend).
 */

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define NB_MBUF 8192
#define BURST 32
#define RING_SIZE 256

static volatile bool quit;
static bool mac_updating = true;
static unsigned int stats_period = 1;
static uint16_t ports[RTE_MAX_ETHPORTS];
static uint16_t nb_ports;
static uint64_t tx_dropped[RTE_MAX_ETHPORTS];
static struct rte_ether_addr port_mac[RTE_MAX_ETHPORTS];

static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static void
usage(const char *prog)
{
	printf("usage: %s [EAL options] -- [--[no-]mac-updating] [--stats SECONDS]\n"
	       "  Forwards between port pairs 0-1, 2-3, ...\n"
	       "  --mac-updating     rewrite MACs as DPDK's l2fwd does (default)\n"
	       "  --no-mac-updating  forward frames unchanged\n"
	       "  --stats N          print counters every N seconds (0: only at exit)\n",
	       prog);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mac-updating", no_argument, NULL, 'm' },
		{ "no-mac-updating", no_argument, NULL, 'n' },
		{ "stats", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mac_updating = true;
			break;
		case 'n':
			mac_updating = false;
			break;
		case 's':
			stats_period = strtoul(optarg, &end, 10);
			if (*end != '\0' || end == optarg) {
				fprintf(stderr, "bad --stats %s\n", optarg);
				return -1;
			}
			break;
		default:
			usage(argv[0]);
			return -1;
		}
	}
	return 0;
}

static int
port_init(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nb_rxd = RING_SIZE, nb_txd = RING_SIZE;
	int ret;

	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, nb_rxd,
			rte_eth_dev_socket_id(port), NULL, mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, nb_txd,
			rte_eth_dev_socket_id(port), NULL);
	if (ret == 0)
		ret = rte_eth_macaddr_get(port, &port_mac[port]);
	if (ret == 0)
		ret = rte_eth_promiscuous_enable(port);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret != 0)
		fprintf(stderr, "port %u: setup failed: %s\n", port,
			rte_strerror(-ret));
	return ret;
}

static void
mac_update(struct rte_mbuf *m, uint16_t dst_port)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	/* 02:00:00:00:00:<port>, as DPDK's l2fwd */
	memset(&eh->dst_addr, 0, sizeof(eh->dst_addr));
	eh->dst_addr.addr_bytes[0] = 0x02;
	eh->dst_addr.addr_bytes[5] = dst_port;
	rte_ether_addr_copy(&port_mac[dst_port], &eh->src_addr);
}

static void
print_stats(void)
{
	struct rte_eth_stats st;
	struct rte_eth_link link;
	uint16_t i;

	for (i = 0; i < nb_ports; i++) {
		rte_eth_stats_get(ports[i], &st);
		rte_eth_link_get_nowait(ports[i], &link);
		printf("port %u: link %s rx %" PRIu64 " tx %" PRIu64
		       " rx_errors %" PRIu64 " rx_nombuf %" PRIu64
		       " tx_errors %" PRIu64 " tx_dropped %" PRIu64 "\n",
		       ports[i], link.link_status ? "up" : "down",
		       st.ipackets, st.opackets, st.ierrors, st.rx_nombuf,
		       st.oerrors, tx_dropped[ports[i]]);
	}
	fflush(stdout);
}

static void
forward(void)
{
	uint64_t hz = rte_get_timer_hz(), next = rte_get_timer_cycles() + hz *
		stats_period;
	struct rte_mbuf *pkts[BURST];
	uint16_t i, k, n, sent, in, out;

	while (!quit) {
		for (i = 0; i < nb_ports; i++) {
			in = ports[i];
			out = ports[i ^ 1];
			n = rte_eth_rx_burst(in, 0, pkts, BURST);
			if (n == 0)
				continue;
			if (mac_updating)
				for (k = 0; k < n; k++)
					mac_update(pkts[k], out);
			sent = rte_eth_tx_burst(out, 0, pkts, n);
			if (sent < n) {
				tx_dropped[out] += n - sent;
				rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
			}
		}
		if (stats_period != 0 && rte_get_timer_cycles() >= next) {
			print_stats();
			next += hz * stats_period;
		}
	}
}

int
main(int argc, char **argv)
{
	struct rte_mempool *mp;
	uint16_t port;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL initialisation failed\n");
	if (parse_args(argc - ret, argv + ret) != 0)
		rte_exit(EXIT_FAILURE, "bad arguments\n");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	RTE_ETH_FOREACH_DEV(port)
		ports[nb_ports++] = port;
	if (nb_ports < 2 || nb_ports % 2 != 0)
		rte_exit(EXIT_FAILURE, "need an even number of ports, have %u\n",
			nb_ports);
	mp = rte_pktmbuf_pool_create("l2fwd", NB_MBUF * nb_ports, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL)
		rte_exit(EXIT_FAILURE, "cannot create the mbuf pool\n");
	for (port = 0; port < nb_ports; port++)
		if (port_init(ports[port], mp) != 0)
			rte_exit(EXIT_FAILURE, "port setup failed\n");
	printf("xennet-l2fwd: forwarding between %u ports%s\n", nb_ports,
	       mac_updating ? " with MAC updating" : "");
	fflush(stdout);

	forward();

	print_stats();
	for (port = 0; port < nb_ports; port++) {
		rte_eth_dev_stop(ports[port]);
		rte_eth_dev_close(ports[port]);
	}
	rte_eal_cleanup();
	printf("xennet-l2fwd: bye\n");
	return 0;
}
