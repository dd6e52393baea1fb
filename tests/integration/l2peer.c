/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * l2peer: an Ethernet host on one port, driven line by line from stdin,
 * for the tests of L2 forwarders (the examples' switch and l2fwds).
 *
 *   l2peer <EAL args> -- [--port N]
 *
 * Commands:
 *   send DST COUNT [SIZE]   send COUNT frames to MAC DST (default SIZE 60)
 *                           from the port's MAC, or from SRC with
 *   send DST COUNT SIZE SRC
 *   stats                   report what was received so far
 *
 * A frame is dst, src, ethertype 0x88b5, "XNL2", a sequence number (32
 * bits, counting every frame this process sent), its size (16), then bytes
 * fixed by these two: the receiver checks everything past the MACs, which
 * a forwarder may rewrite. Received frames are counted by (src, dst):
 * "ok" when the rest is as sent, "bad" when not; frames of other
 * ethertypes or without the magic are "foreign" (the kernel's own frames
 * on a tap uplink, for one).
 *
 * Output: lines "L2PEER {json}": "started" (the port's "mac"), "link"
 * (link up), "sent" (the "sent" count of a send, every frame accepted by
 * the PMD, or "error"), "stats" ("rx": [{"src","dst","ok","bad"}],
 * "foreign"), "exit". Each reply carries the command's "id" (its line
 * number, from 1). SIGINT/SIGTERM or the end of stdin close the port.
 */

#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define LP_ETHERTYPE 0x88b5
#define LP_MAGIC "XNL2"
#define LP_HDR_LEN 24		/* Ethernet header, magic, seq, size */
#define LP_FRAME_MAX 1514
#define LP_BURST 32
#define LP_MAX_FLOWS 64
#define LP_SEND_TIMEOUT_S 10

struct lp_flow {
	struct rte_ether_addr src;
	struct rte_ether_addr dst;
	uint64_t ok;
	uint64_t bad;
};

static volatile sig_atomic_t lp_quit;
static uint16_t lp_port;
static struct rte_mempool *lp_pool;
static struct rte_ether_addr lp_mac;
static struct lp_flow lp_flows[LP_MAX_FLOWS];
static unsigned int lp_nr_flows;
static uint64_t lp_foreign;
static uint32_t lp_seq;

static void
lp_signal(int sig)
{
	RTE_SET_USED(sig);
	lp_quit = 1;
}

static void
lp_fill(uint8_t *buf, uint32_t seq, uint16_t size)
{
	uint32_t x = seq * 2654435761u ^ size;
	uint16_t i;

	for (i = LP_HDR_LEN; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = x >> 24;
	}
}

static bool
lp_frame_ok(const uint8_t *buf, uint16_t len)
{
	uint8_t want[LP_FRAME_MAX];
	uint32_t seq;
	uint16_t size;

	seq = (uint32_t)buf[18] << 24 | (uint32_t)buf[19] << 16 |
		(uint32_t)buf[20] << 8 | buf[21];
	size = (uint16_t)buf[22] << 8 | buf[23];
	if (size != len)
		return false;
	lp_fill(want, seq, size);
	return memcmp(&buf[LP_HDR_LEN], &want[LP_HDR_LEN],
		size - LP_HDR_LEN) == 0;
}

static void
lp_count(struct rte_mbuf *m)
{
	uint8_t copy[LP_FRAME_MAX];
	const uint8_t *buf;
	struct lp_flow *f;
	unsigned int i;
	bool ok;

	if (m->pkt_len < LP_HDR_LEN || m->pkt_len > LP_FRAME_MAX) {
		lp_foreign++;
		return;
	}
	buf = rte_pktmbuf_read(m, 0, m->pkt_len, copy);
	if (buf[12] != (LP_ETHERTYPE >> 8) || buf[13] != (LP_ETHERTYPE & 0xff) ||
	    memcmp(&buf[14], LP_MAGIC, 4) != 0) {
		lp_foreign++;
		return;
	}
	ok = lp_frame_ok(buf, m->pkt_len);
	for (i = 0; i < lp_nr_flows; i++) {
		f = &lp_flows[i];
		if (memcmp(&f->src, &buf[6], RTE_ETHER_ADDR_LEN) == 0 &&
		    memcmp(&f->dst, &buf[0], RTE_ETHER_ADDR_LEN) == 0)
			break;
	}
	if (i == lp_nr_flows) {
		if (lp_nr_flows == LP_MAX_FLOWS) {
			lp_foreign++;
			return;
		}
		f = &lp_flows[lp_nr_flows++];
		memcpy(&f->dst, &buf[0], RTE_ETHER_ADDR_LEN);
		memcpy(&f->src, &buf[6], RTE_ETHER_ADDR_LEN);
	}
	if (ok)
		f->ok++;
	else
		f->bad++;
}

static void
lp_rx(void)
{
	struct rte_mbuf *pkts[LP_BURST];
	uint16_t n, i;

	n = rte_eth_rx_burst(lp_port, 0, pkts, LP_BURST);
	for (i = 0; i < n; i++)
		lp_count(pkts[i]);
	rte_pktmbuf_free_bulk(pkts, n);
}

static struct rte_mbuf *
lp_frame(const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
	uint16_t size)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(lp_pool);
	uint32_t seq = lp_seq;
	uint8_t *buf;

	if (m == NULL)
		return NULL;
	buf = (uint8_t *)rte_pktmbuf_append(m, size);
	if (buf == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(&buf[0], dst, RTE_ETHER_ADDR_LEN);
	memcpy(&buf[6], src, RTE_ETHER_ADDR_LEN);
	buf[12] = LP_ETHERTYPE >> 8;
	buf[13] = LP_ETHERTYPE & 0xff;
	memcpy(&buf[14], LP_MAGIC, 4);
	buf[18] = seq >> 24;
	buf[19] = seq >> 16;
	buf[20] = seq >> 8;
	buf[21] = seq;
	buf[22] = size >> 8;
	buf[23] = size;
	lp_fill(buf, seq, size);
	lp_seq++;
	return m;
}

/* Every frame is retried until the PMD takes it, receiving meanwhile. */
static uint32_t
lp_send(const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
	uint32_t count, uint16_t size)
{
	uint64_t deadline = rte_get_timer_cycles() +
		LP_SEND_TIMEOUT_S * rte_get_timer_hz();
	struct rte_mbuf *m = NULL;
	uint32_t sent = 0;

	while (sent < count && !lp_quit &&
	       rte_get_timer_cycles() < deadline) {
		if (m == NULL)
			m = lp_frame(dst, src, size);
		if (m != NULL && rte_eth_tx_burst(lp_port, 0, &m, 1) == 1) {
			m = NULL;
			sent++;
			continue;
		}
		lp_rx();
	}
	rte_pktmbuf_free(m);
	return sent;
}

static void
lp_mac_str(char *buf, const struct rte_ether_addr *a)
{
	rte_ether_format_addr(buf, RTE_ETHER_ADDR_FMT_SIZE, a);
}

static void
lp_stats(unsigned int id)
{
	char src[RTE_ETHER_ADDR_FMT_SIZE], dst[RTE_ETHER_ADDR_FMT_SIZE];
	unsigned int i;

	printf("L2PEER {\"event\":\"stats\",\"id\":%u,\"rx\":[", id);
	for (i = 0; i < lp_nr_flows; i++) {
		lp_mac_str(src, &lp_flows[i].src);
		lp_mac_str(dst, &lp_flows[i].dst);
		printf("%s{\"src\":\"%s\",\"dst\":\"%s\",\"ok\":%" PRIu64
			",\"bad\":%" PRIu64 "}", i ? "," : "", src, dst,
			lp_flows[i].ok, lp_flows[i].bad);
	}
	printf("],\"foreign\":%" PRIu64 "}\n", lp_foreign);
	fflush(stdout);
}

static void
lp_command(char *line, unsigned int id)
{
	struct rte_ether_addr dst, src = lp_mac;
	char *tok[6], *save = NULL;
	unsigned long count, size = 60;
	unsigned int n = 0;
	uint32_t sent;

	for (tok[n] = strtok_r(line, " \t\n", &save); tok[n] != NULL && n < 5;
	     tok[++n] = strtok_r(NULL, " \t\n", &save))
		;
	if (n == 0)
		return;
	if (strcmp(tok[0], "stats") == 0 && n == 1) {
		lp_stats(id);
		return;
	}
	if (strcmp(tok[0], "send") == 0 && n >= 3 &&
	    rte_ether_unformat_addr(tok[1], &dst) == 0 &&
	    (count = strtoul(tok[2], NULL, 10)) > 0 &&
	    (n < 4 || ((size = strtoul(tok[3], NULL, 10)) >= 60 &&
		       size <= LP_FRAME_MAX)) &&
	    (n < 5 || rte_ether_unformat_addr(tok[4], &src) == 0)) {
		sent = lp_send(&dst, &src, count, size);
		printf("L2PEER {\"event\":\"sent\",\"id\":%u,\"sent\":%u,"
			"\"error\":%s}\n", id, sent,
			sent == count ? "null" : "\"not all accepted\"");
		fflush(stdout);
		return;
	}
	printf("L2PEER {\"event\":\"sent\",\"id\":%u,\"sent\":0,"
		"\"error\":\"bad command\"}\n", id);
	fflush(stdout);
}

static int
lp_setup(void)
{
	struct rte_eth_conf conf = { 0 };
	int ret;

	ret = rte_eth_dev_configure(lp_port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(lp_port, 0, 0, rte_socket_id(),
			NULL, lp_pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(lp_port, 0, 0, rte_socket_id(),
			NULL);
	if (ret == 0)
		ret = rte_eth_macaddr_get(lp_port, &lp_mac);
	if (ret == 0)
		ret = rte_eth_dev_start(lp_port);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	char buf[1024], mac[RTE_ETHER_ADDR_FMT_SIZE], *nl;
	size_t len = 0;
	ssize_t got;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct rte_eth_link link;
	unsigned int id = 0;
	bool link_up = false;
	int ret, opt;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "l2peer: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'p') {
			fprintf(stderr, "usage: l2peer <EAL> -- [--port N]\n");
			return 2;
		}
		lp_port = atoi(optarg);
	}
	signal(SIGINT, lp_signal);
	signal(SIGTERM, lp_signal);
	lp_pool = rte_pktmbuf_pool_create("l2peer", 4095, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (lp_pool == NULL || !rte_eth_dev_is_valid_port(lp_port) ||
	    lp_setup() != 0) {
		fprintf(stderr, "l2peer: no port %u or its setup failed\n",
			lp_port);
		return 2;
	}
	lp_mac_str(mac, &lp_mac);
	printf("L2PEER {\"event\":\"started\",\"mac\":\"%s\"}\n", mac);
	fflush(stdout);

	while (!lp_quit) {
		lp_rx();
		if (!link_up && rte_eth_link_get_nowait(lp_port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP) {
			link_up = true;
			printf("L2PEER {\"event\":\"link\"}\n");
			fflush(stdout);
		}
		/* Sleeps up to 1 ms: the peers share a core in the tests. */
		if (poll(&pfd, 1, 1) != 1)
			continue;
		got = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		if (got <= 0)
			break;
		len += got;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			lp_command(buf, ++id);
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0;	/* a line too long for any command */
	}
	printf("L2PEER {\"event\":\"exit\"}\n");
	fflush(stdout);
	rte_eth_dev_stop(lp_port);
	rte_eth_dev_close(lp_port);
	rte_eal_cleanup();
	return 0;
}
