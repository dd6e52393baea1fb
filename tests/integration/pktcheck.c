/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * pktcheck: a traffic checker for the integration tests.
 *
 *   pktcheck <EAL args> -- --mode send|recv|echo|pingpong [options]
 *
 * Every frame is deterministic: stream id, sequence number and size fix
 * every byte, so the receiver rebuilds the frame it expects and compares
 * byte for byte. Frame seq i of a run has size sizes[i % nr_sizes].
 *
 *   send      transmit --count frames per port, retrying until the PMD
 *             accepts each one (only accepted frames count as sent)
 *   recv      verify --count frames per port: ok, bad (by kind), missing
 *   echo      send every received frame back out of the port it came in
 *   pingpong  send as "send" and verify the echoed frames as "recv"
 *
 * --rounds N repeats send/recv/pingpong N times; each round after the
 * first waits for the link to go down and come up again (a reconnect).
 *
 * Progress goes to stdout as lines "PKTCHECK {json}" holding the counts
 * plus the ethdev stats and every xstat of each port; "phase" is
 * "started" (ports started), "link" (every link up), "done" (the job
 * ended, or setup failed: "error" says why) and "exit" (just before the
 * ports are closed; after --linger, that is at SIGINT/SIGTERM).
 * Exit status: 0 all good, 1 frames missing/bad/unsent, 2 setup failure.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

#define PC_MAX_PORTS 8
#define PC_MAX_SIZES 32
#define PC_BURST_MAX 64
#define PC_FRAME_MAX 2048
#define PC_FRAME_MIN 26		/* Ethernet header + our header */
#define PC_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */
#define PC_MAGIC "XNPC"
#define PC_NB_MBUFS 4095
#define PC_ECHO_PENDING 512

enum pc_mode { PC_SEND, PC_RECV, PC_ECHO, PC_PINGPONG };

static const char * const pc_mode_name[] = {
	[PC_SEND] = "send", [PC_RECV] = "recv", [PC_ECHO] = "echo",
	[PC_PINGPONG] = "pingpong",
};

struct pc_cfg {
	enum pc_mode mode;
	uint16_t ports[PC_MAX_PORTS];
	uint16_t streams[PC_MAX_PORTS];
	unsigned int nr_ports;
	unsigned int nr_streams;
	uint16_t sizes[PC_MAX_SIZES];
	unsigned int nr_sizes;
	uint32_t count;
	unsigned int burst;
	double link_timeout;
	double first_timeout;
	double idle_timeout;
	double send_timeout;
	double duration;
	double linger;
	unsigned int rounds;
};

/* Receive side of one port. */
struct pc_rx {
	uint32_t next;		/* next sequence number expected */
	uint64_t ok;
	uint64_t bytes_ok;
	uint64_t missing;
	uint64_t bad_len;	/* length differs from the size it must have */
	uint64_t bad_data;	/* some byte differs */
	uint64_t out_of_order;	/* seq below the next expected: dup/reorder */
	uint64_t wrong_stream;	/* our frame, another port's stream */
	uint64_t foreign;	/* not a pktcheck frame at all */
	uint64_t late;		/* frames arriving after the job was done */
	uint64_t last_rx_tsc;
	bool done;
};

/* Transmit side of one port. */
struct pc_tx {
	uint32_t next;		/* next sequence number to build */
	uint64_t sent;		/* frames the PMD accepted */
	uint64_t bytes;
	uint64_t rejected;	/* tx_burst returns short of the offer */
	struct rte_mbuf *pending[PC_BURST_MAX];
	unsigned int nr_pending;
	bool done;
	bool timed_out;
};

/* Echo side of one port. */
struct pc_echo {
	uint64_t echoed;
	struct rte_mbuf *pending[PC_ECHO_PENDING];
	unsigned int nr_pending;
};

struct pc_port {
	uint16_t port_id;
	uint16_t stream;
	struct rte_mempool *mp;
	struct pc_rx rx;
	struct pc_tx tx;
	struct pc_echo echo;
	double link_up_s;	/* seconds from start to link up, -1 never */
};

static volatile sig_atomic_t pc_quit;
static struct pc_cfg cfg;
static struct pc_port pc_ports[PC_MAX_PORTS];
static uint64_t pc_start_tsc;
static unsigned int pc_round;

static void
pc_signal(int sig)
{
	RTE_SET_USED(sig);
	pc_quit = 1;
}

static double
pc_elapsed(uint64_t since)
{
	return (double)(rte_get_timer_cycles() - since) / rte_get_timer_hz();
}

/* Frames ------------------------------------------------------------------ */

static uint16_t
pc_size_of(uint32_t seq)
{
	return cfg.sizes[seq % cfg.nr_sizes];
}

/* Every byte of the frame (stream, seq, size). */
static void
pc_frame_build(uint8_t *buf, uint16_t stream, uint32_t seq, uint16_t size)
{
	uint32_t x = (seq * 2654435761u) ^ ((uint32_t)size << 16) ^
		(stream * 40503u) ^ 0x9e3779b9u;
	uint16_t i;

	/* dst 02:70:6b:63:00:ss, src 02:70:6b:63:01:ss: fixed by the stream
	 * so the receiver knows every byte, whoever sent it.
	 */
	buf[0] = 0x02; buf[1] = 0x70; buf[2] = 0x6b; buf[3] = 0x63;
	buf[4] = 0x00; buf[5] = stream & 0xff;
	buf[6] = 0x02; buf[7] = 0x70; buf[8] = 0x6b; buf[9] = 0x63;
	buf[10] = 0x01; buf[11] = stream & 0xff;
	buf[12] = PC_ETHERTYPE >> 8;
	buf[13] = PC_ETHERTYPE & 0xff;
	memcpy(&buf[14], PC_MAGIC, 4);
	buf[18] = stream >> 8;
	buf[19] = stream & 0xff;
	buf[20] = seq >> 24;
	buf[21] = seq >> 16;
	buf[22] = seq >> 8;
	buf[23] = seq;
	buf[24] = size >> 8;
	buf[25] = size & 0xff;
	for (i = PC_FRAME_MIN; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (x >> 24) ^ i;
	}
}

static struct rte_mbuf *
pc_frame_mbuf(struct pc_port *pp, uint32_t seq)
{
	uint16_t size = pc_size_of(seq);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pp->mp);
	uint8_t *data;

	if (m == NULL)
		return NULL;
	data = (uint8_t *)rte_pktmbuf_append(m, size);
	if (data == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	pc_frame_build(data, pp->stream, seq, size);
	return m;
}

static void
pc_frame_check(struct pc_port *pp, struct rte_mbuf *m)
{
	struct pc_rx *rx = &pp->rx;
	uint8_t got_buf[PC_FRAME_MAX], want[PC_FRAME_MAX];
	const uint8_t *got;
	uint32_t len = m->pkt_len, seq;
	uint16_t stream, size;

	if (rx->done) {
		rx->late++;
		return;
	}
	got = len >= PC_FRAME_MIN ?
		rte_pktmbuf_read(m, 0, PC_FRAME_MIN, got_buf) : NULL;
	if (got == NULL || memcmp(&got[14], PC_MAGIC, 4) != 0 ||
	    got[12] != (PC_ETHERTYPE >> 8) || got[13] != (PC_ETHERTYPE & 0xff)) {
		rx->foreign++;
		return;
	}
	stream = (uint16_t)got[18] << 8 | got[19];
	seq = (uint32_t)got[20] << 24 | (uint32_t)got[21] << 16 |
		(uint32_t)got[22] << 8 | got[23];
	if (stream != pp->stream) {
		rx->wrong_stream++;
		return;
	}
	if (seq < rx->next || seq >= cfg.count) {
		rx->out_of_order++;
		return;
	}
	rx->missing += seq - rx->next;
	rx->next = seq + 1;
	rx->last_rx_tsc = rte_get_timer_cycles();
	size = pc_size_of(seq);
	if (len != size || len > PC_FRAME_MAX) {
		rx->bad_len++;
	} else {
		got = rte_pktmbuf_read(m, 0, len, got_buf);
		pc_frame_build(want, stream, seq, size);
		if (got != NULL && memcmp(got, want, len) == 0) {
			rx->ok++;
			rx->bytes_ok += len;
		} else {
			rx->bad_data++;
		}
	}
	if (rx->next == cfg.count)
		rx->done = true;
}

/* Datapath ---------------------------------------------------------------- */

static void
pc_tx_poll(struct pc_port *pp, uint64_t deadline)
{
	struct pc_tx *tx = &pp->tx;
	struct rte_mbuf *m;
	uint16_t n, i;

	if (tx->done)
		return;
	while (tx->nr_pending < cfg.burst && tx->next < cfg.count) {
		m = pc_frame_mbuf(pp, tx->next);
		if (m == NULL)
			break; /* mempool dry: retry on the next poll */
		tx->pending[tx->nr_pending++] = m;
		tx->next++;
	}
	if (tx->nr_pending != 0) {
		n = rte_eth_tx_burst(pp->port_id, 0, tx->pending,
			tx->nr_pending);
		for (i = 0; i < n; i++) {
			tx->sent++;
			tx->bytes += pc_size_of(tx->next - tx->nr_pending + i);
		}
		if (n < tx->nr_pending) {
			tx->rejected++;
			memmove(tx->pending, &tx->pending[n],
				(tx->nr_pending - n) * sizeof(tx->pending[0]));
		}
		tx->nr_pending -= n;
	}
	if (tx->nr_pending == 0 && tx->next == cfg.count)
		tx->done = true;
	else if (rte_get_timer_cycles() > deadline) {
		tx->timed_out = true;
		tx->done = true;
	}
}

static void
pc_tx_discard(struct pc_tx *tx)
{
	if (tx->nr_pending != 0)
		rte_pktmbuf_free_bulk(tx->pending, tx->nr_pending);
	tx->nr_pending = 0;
}

static void
pc_echo_flush(struct pc_port *pp)
{
	struct pc_echo *e = &pp->echo;
	uint16_t n;

	if (e->nr_pending == 0)
		return;
	n = rte_eth_tx_burst(pp->port_id, 0, e->pending,
		RTE_MIN(e->nr_pending, (unsigned int)UINT16_MAX));
	e->echoed += n;
	e->nr_pending -= n;
	memmove(e->pending, &e->pending[n],
		e->nr_pending * sizeof(e->pending[0]));
}

static void
pc_rx_poll(struct pc_port *pp, bool echo)
{
	struct rte_mbuf *pkts[PC_BURST_MAX];
	struct pc_echo *e = &pp->echo;
	uint16_t n, i;

	if (echo) {
		pc_echo_flush(pp);
		/* Back pressure: take no more than can be kept. */
		if (PC_ECHO_PENDING - e->nr_pending < cfg.burst)
			return;
	}
	n = rte_eth_rx_burst(pp->port_id, 0, pkts, cfg.burst);
	if (n == 0)
		return;
	if (echo) {
		for (i = 0; i < n; i++)
			e->pending[e->nr_pending++] = pkts[i];
		pc_echo_flush(pp);
		return;
	}
	for (i = 0; i < n; i++)
		pc_frame_check(pp, pkts[i]);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Receiving is over: everything arrived, or the peer fell silent. */
static bool
pc_rx_finished(struct pc_port *pp)
{
	struct pc_rx *rx = &pp->rx;
	double since;

	if (rx->done)
		return true;
	if (rx->last_rx_tsc == 0)
		since = pc_elapsed(pc_start_tsc) - pp->link_up_s;
	else
		since = pc_elapsed(rx->last_rx_tsc);
	if (since > (rx->last_rx_tsc == 0 ? cfg.first_timeout :
					    cfg.idle_timeout)) {
		rx->done = true;
		return true;
	}
	return false;
}

/* Run the job on every port until it is done, or a deadline passes. */
static void
pc_run(void)
{
	bool do_tx = cfg.mode == PC_SEND || cfg.mode == PC_PINGPONG;
	bool do_rx = cfg.mode == PC_RECV || cfg.mode == PC_PINGPONG;
	bool echo = cfg.mode == PC_ECHO;
	uint64_t hz = rte_get_timer_hz();
	uint64_t send_deadline = rte_get_timer_cycles() +
		(uint64_t)(cfg.send_timeout * hz);
	uint64_t end = cfg.duration > 0 ? rte_get_timer_cycles() +
		(uint64_t)(cfg.duration * hz) : UINT64_MAX;
	unsigned int i, busy;
	struct pc_port *pp;

	while (!pc_quit) {
		busy = 0;
		for (i = 0; i < cfg.nr_ports; i++) {
			pp = &pc_ports[i];
			if (do_tx) {
				pc_tx_poll(pp, send_deadline);
				busy += !pp->tx.done;
			}
			if (do_rx || echo)
				pc_rx_poll(pp, echo);
			if (do_rx)
				busy += !pc_rx_finished(pp);
			else if (echo)
				busy++;
		}
		if (busy == 0 || rte_get_timer_cycles() > end)
			break;
	}
	/* Whatever never came is missing. */
	for (i = 0; do_rx && i < cfg.nr_ports; i++) {
		pp = &pc_ports[i];
		pp->rx.missing += cfg.count - pp->rx.next;
		pp->rx.next = cfg.count;
		pp->rx.done = true;
	}
}

/* Keep the ports connected after the job until told to go (or max). */
static void
pc_linger(void)
{
	uint64_t end = rte_get_timer_cycles() +
		(uint64_t)(cfg.linger * rte_get_timer_hz());
	unsigned int i;

	while (!pc_quit && rte_get_timer_cycles() < end) {
		for (i = 0; i < cfg.nr_ports; i++) {
			if (cfg.mode == PC_ECHO)
				pc_rx_poll(&pc_ports[i], true);
			else
				pc_rx_poll(&pc_ports[i], false);
		}
		rte_delay_us_sleep(200);
	}
}

/* Report ------------------------------------------------------------------ */

static void
pc_json_xstats(FILE *f, uint16_t port_id)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, i;

	fputs("\"xstats\":{", f);
	n = rte_eth_xstats_get_names(port_id, NULL, 0);
	if (n > 0) {
		names = calloc(n, sizeof(*names));
		vals = calloc(n, sizeof(*vals));
	}
	if (names != NULL && vals != NULL &&
	    rte_eth_xstats_get_names(port_id, names, n) == n &&
	    rte_eth_xstats_get(port_id, vals, n) == n) {
		for (i = 0; i < n; i++)
			fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "",
				names[vals[i].id].name, vals[i].value);
	}
	free(names);
	free(vals);
	fputs("}", f);
}

static void
pc_json_port(FILE *f, struct pc_port *pp)
{
	struct rte_eth_stats st;
	struct rte_eth_link link;
	char name[RTE_ETH_NAME_MAX_LEN] = "";

	rte_eth_dev_get_name_by_port(pp->port_id, name);
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(pp->port_id, &link);
	fprintf(f, "{\"port\":%u,\"name\":\"%s\",\"stream\":%u,"
		"\"link_up\":%s,\"link_up_s\":%.3f,",
		pp->port_id, name, pp->stream,
		link.link_status == RTE_ETH_LINK_UP ? "true" : "false",
		pp->link_up_s);
	fprintf(f, "\"tx\":{\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"rejected\":%" PRIu64 ",\"unsent\":%" PRIu64
		",\"timed_out\":%s},",
		pp->tx.sent, pp->tx.bytes, pp->tx.rejected,
		(cfg.mode == PC_SEND || cfg.mode == PC_PINGPONG) ?
			cfg.count - pp->tx.sent : 0,
		pp->tx.timed_out ? "true" : "false");
	fprintf(f, "\"rx\":{\"ok\":%" PRIu64 ",\"bytes_ok\":%" PRIu64
		",\"missing\":%" PRIu64 ",\"bad_len\":%" PRIu64
		",\"bad_data\":%" PRIu64 ",\"out_of_order\":%" PRIu64
		",\"wrong_stream\":%" PRIu64 ",\"foreign\":%" PRIu64
		",\"late\":%" PRIu64 ",\"bad\":%" PRIu64 "},",
		pp->rx.ok, pp->rx.bytes_ok, pp->rx.missing, pp->rx.bad_len,
		pp->rx.bad_data, pp->rx.out_of_order, pp->rx.wrong_stream,
		pp->rx.foreign, pp->rx.late,
		pp->rx.bad_len + pp->rx.bad_data + pp->rx.out_of_order +
		pp->rx.wrong_stream + pp->rx.foreign);
	fprintf(f, "\"echo\":{\"echoed\":%" PRIu64 "},", pp->echo.echoed);
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(pp->port_id, &st);
	fprintf(f, "\"stats\":{\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64
		",\"ibytes\":%" PRIu64 ",\"obytes\":%" PRIu64
		",\"imissed\":%" PRIu64 ",\"ierrors\":%" PRIu64
		",\"oerrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "},",
		st.ipackets, st.opackets, st.ibytes, st.obytes, st.imissed,
		st.ierrors, st.oerrors, st.rx_nombuf);
	pc_json_xstats(f, pp->port_id);
	fputs("}", f);
}

/* Whether the job's counts are all good, for the exit status. */
static bool
pc_ok(void)
{
	struct pc_port *pp;
	unsigned int i;

	for (i = 0; i < cfg.nr_ports; i++) {
		pp = &pc_ports[i];
		if ((cfg.mode == PC_SEND || cfg.mode == PC_PINGPONG) &&
		    pp->tx.sent != cfg.count)
			return false;
		if ((cfg.mode == PC_RECV || cfg.mode == PC_PINGPONG) &&
		    pp->rx.ok != cfg.count)
			return false;
	}
	return true;
}

static void
pc_report(const char *phase, const char *error)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return;
	fprintf(f, "PKTCHECK {\"phase\":\"%s\",\"round\":%u,"
		"\"mode\":\"%s\",\"pid\":%d,"
		"\"hugepages\":%s,\"count\":%" PRIu32 ",\"elapsed_s\":%.3f,"
		"\"ok\":%s,\"error\":", phase, pc_round, pc_mode_name[cfg.mode],
		(int)getpid(), rte_eal_has_hugepages() ? "true" : "false",
		cfg.count, pc_elapsed(pc_start_tsc),
		error == NULL && pc_ok() ? "true" : "false");
	if (error != NULL)
		fprintf(f, "\"%s\"", error);
	else
		fputs("null", f);
	fputs(",\"ports\":[", f);
	for (i = 0; i < cfg.nr_ports; i++) {
		if (i != 0)
			fputc(',', f);
		pc_json_port(f, &pc_ports[i]);
	}
	fputs("]}\n", f);
	fclose(f);
	fputs(buf, stdout);
	fflush(stdout);
	free(buf);
}

/* Setup ------------------------------------------------------------------- */

static int
pc_port_setup(struct pc_port *pp)
{
	struct rte_eth_conf conf;
	char name[RTE_MEMPOOL_NAMESIZE];
	int ret;

	memset(&conf, 0, sizeof(conf));
	snprintf(name, sizeof(name), "pktcheck%u", pp->port_id);
	pp->mp = rte_pktmbuf_pool_create(name, PC_NB_MBUFS, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, rte_eth_dev_socket_id(pp->port_id));
	if (pp->mp == NULL) {
		fprintf(stderr, "pktcheck: port %u: no mempool: %s\n",
			pp->port_id, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	ret = rte_eth_dev_configure(pp->port_id, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(pp->port_id, 0, 0,
			rte_eth_dev_socket_id(pp->port_id), NULL, pp->mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(pp->port_id, 0, 0,
			rte_eth_dev_socket_id(pp->port_id), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(pp->port_id);
	if (ret != 0)
		fprintf(stderr, "pktcheck: port %u: setup failed: %s\n",
			pp->port_id, strerror(-ret));
	return ret;
}

/* Wait until every port has link, at most cfg.link_timeout seconds. */
static bool
pc_wait_link(void)
{
	uint64_t since = rte_get_timer_cycles();
	struct rte_eth_link link;
	unsigned int i, up;

	for (;;) {
		up = 0;
		for (i = 0; i < cfg.nr_ports; i++) {
			if (pc_ports[i].link_up_s >= 0) {
				up++;
				continue;
			}
			memset(&link, 0, sizeof(link));
			rte_eth_link_get_nowait(pc_ports[i].port_id, &link);
			if (link.link_status == RTE_ETH_LINK_UP) {
				pc_ports[i].link_up_s =
					pc_elapsed(pc_start_tsc);
				up++;
			}
		}
		if (up == cfg.nr_ports)
			return true;
		if (pc_quit || pc_elapsed(since) > cfg.link_timeout)
			return false;
		rte_delay_us_sleep(10 * 1000);
	}
}

/* Wait until some port loses its link, at most cfg.link_timeout seconds. */
static bool
pc_wait_link_down(void)
{
	uint64_t since = rte_get_timer_cycles();
	struct rte_eth_link link;
	unsigned int i;

	for (;;) {
		for (i = 0; i < cfg.nr_ports; i++) {
			memset(&link, 0, sizeof(link));
			rte_eth_link_get_nowait(pc_ports[i].port_id, &link);
			if (link.link_status == RTE_ETH_LINK_DOWN)
				return true;
		}
		if (pc_quit || pc_elapsed(since) > cfg.link_timeout)
			return false;
		rte_delay_us_sleep(10 * 1000);
	}
}

/* A new round starts from nothing sent and nothing received. */
static void
pc_round_reset(void)
{
	struct pc_port *pp;
	unsigned int i;

	for (i = 0; i < cfg.nr_ports; i++) {
		pp = &pc_ports[i];
		pc_tx_discard(&pp->tx);
		memset(&pp->tx, 0, sizeof(pp->tx));
		memset(&pp->rx, 0, sizeof(pp->rx));
		pp->link_up_s = -1;
	}
}

/* Arguments --------------------------------------------------------------- */

static int
pc_parse_list(const char *s, unsigned long max, uint16_t *out,
	unsigned int cap, unsigned int *n)
{
	char *end;
	unsigned long v;

	*n = 0;
	do {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno != 0 || end == s || v > max || *n == cap ||
		    (*end != ',' && *end != '\0'))
			return -EINVAL;
		out[(*n)++] = v;
		s = end + 1;
	} while (*end == ',');
	return 0;
}

static int
pc_parse_double(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return (end == s || *end != '\0' || *out < 0) ? -EINVAL : 0;
}

static void
pc_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s <EAL args> -- --mode send|recv|echo|pingpong\n"
		"  [--ports 0,1] [--streams 0,1] [--sizes 60,64,...]\n"
		"  [--count N] [--burst N] [--link-timeout S]\n"
		"  [--first-timeout S] [--idle-timeout S] [--send-timeout S]\n"
		"  [--duration S] [--linger S] [--rounds N]\n", prog);
}

static int
pc_parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "ports", required_argument, NULL, 'p' },
		{ "streams", required_argument, NULL, 's' },
		{ "sizes", required_argument, NULL, 'z' },
		{ "count", required_argument, NULL, 'c' },
		{ "burst", required_argument, NULL, 'b' },
		{ "link-timeout", required_argument, NULL, 'L' },
		{ "first-timeout", required_argument, NULL, 'F' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "send-timeout", required_argument, NULL, 'S' },
		{ "duration", required_argument, NULL, 'D' },
		{ "linger", required_argument, NULL, 'G' },
		{ "rounds", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	uint16_t tmp[1];
	unsigned int i, n;
	bool mode_set = false;
	unsigned long ul;
	char *end;
	double d;
	int opt;

	cfg.sizes[0] = 60;
	cfg.nr_sizes = 1;
	cfg.count = 100;
	cfg.burst = 32;
	cfg.link_timeout = 20;
	cfg.first_timeout = 15;
	cfg.idle_timeout = 2;
	cfg.send_timeout = 15;
	cfg.rounds = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			for (i = 0; i < RTE_DIM(pc_mode_name); i++)
				if (strcmp(optarg, pc_mode_name[i]) == 0)
					break;
			if (i == RTE_DIM(pc_mode_name))
				return -EINVAL;
			cfg.mode = i;
			mode_set = true;
			break;
		case 'p':
			if (pc_parse_list(optarg, RTE_MAX_ETHPORTS - 1,
					cfg.ports, PC_MAX_PORTS,
					&cfg.nr_ports) != 0)
				return -EINVAL;
			break;
		case 's':
			if (pc_parse_list(optarg, UINT16_MAX, cfg.streams,
					PC_MAX_PORTS, &cfg.nr_streams) != 0)
				return -EINVAL;
			break;
		case 'z':
			if (pc_parse_list(optarg, PC_FRAME_MAX, cfg.sizes,
					PC_MAX_SIZES, &cfg.nr_sizes) != 0)
				return -EINVAL;
			for (i = 0; i < cfg.nr_sizes; i++)
				if (cfg.sizes[i] < PC_FRAME_MIN)
					return -EINVAL;
			break;
		case 'c':
			errno = 0;
			ul = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    ul == 0 || ul > UINT32_MAX || optarg[0] == '-')
				return -EINVAL;
			cfg.count = ul;
			break;
		case 'b':
		case 'R':
			if (pc_parse_list(optarg, opt == 'b' ? PC_BURST_MAX :
					UINT16_MAX, tmp, 1, &n) != 0 ||
			    tmp[0] == 0)
				return -EINVAL;
			if (opt == 'b')
				cfg.burst = tmp[0];
			else
				cfg.rounds = tmp[0];
			break;
		default:
			if (opt == '?' || pc_parse_double(optarg, &d) != 0)
				return -EINVAL;
			if (opt == 'L')
				cfg.link_timeout = d;
			else if (opt == 'F')
				cfg.first_timeout = d;
			else if (opt == 'I')
				cfg.idle_timeout = d;
			else if (opt == 'S')
				cfg.send_timeout = d;
			else if (opt == 'D')
				cfg.duration = d;
			else
				cfg.linger = d;
			break;
		}
	}
	if (!mode_set || optind != argc)
		return -EINVAL;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int i;
	int ret, status;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "pktcheck: EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	pc_start_tsc = rte_get_timer_cycles();
	argc -= ret;
	argv += ret;
	if (pc_parse_args(argc, argv) != 0) {
		pc_usage(argv[0]);
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, pc_signal);
	signal(SIGTERM, pc_signal);

	if (cfg.nr_ports == 0) {
		RTE_ETH_FOREACH_DEV(i) {
			if (cfg.nr_ports < PC_MAX_PORTS)
				cfg.ports[cfg.nr_ports++] = i;
		}
	}
	if (cfg.nr_streams != 0 && cfg.nr_streams != cfg.nr_ports) {
		fprintf(stderr, "pktcheck: %u streams for %u ports\n",
			cfg.nr_streams, cfg.nr_ports);
		rte_eal_cleanup();
		return 2;
	}
	for (i = 0; i < cfg.nr_ports; i++) {
		pc_ports[i].port_id = cfg.ports[i];
		pc_ports[i].stream = cfg.nr_streams ? cfg.streams[i] : i;
		pc_ports[i].link_up_s = -1;
	}
	status = 2;
	if (cfg.nr_ports == 0) {
		cfg.nr_ports = 0;
		pc_report("done", "no ports");
		goto out;
	}
	for (i = 0; i < cfg.nr_ports; i++) {
		if (!rte_eth_dev_is_valid_port(pc_ports[i].port_id)) {
			cfg.nr_ports = i;
			pc_report("done", "no such port");
			goto out;
		}
	}
	for (i = 0; i < cfg.nr_ports; i++) {
		if (pc_port_setup(&pc_ports[i]) != 0) {
			pc_report("done", "port setup failed");
			goto close;
		}
	}
	pc_round = 1;
	pc_report("started", NULL);
	for (;;) {
		if (pc_round > 1) {
			pc_round_reset();
			if (!pc_wait_link_down()) {
				pc_report("done", "link stayed up");
				status = 2;
				goto close;
			}
		}
		if (!pc_wait_link()) {
			pc_report("done", "link timeout");
			status = 2;
			goto close;
		}
		pc_report("link", NULL);
		pc_run();
		status = pc_ok() ? 0 : 1;
		pc_report("done", NULL);
		if (status != 0 || pc_quit || pc_round == cfg.rounds)
			break;
		pc_round++;
	}
	if (cfg.linger > 0) {
		for (i = 0; i < cfg.nr_ports; i++)
			pc_ports[i].rx.done = true;
		pc_linger();
	}
close:
	for (i = 0; i < cfg.nr_ports; i++) {
		pc_tx_discard(&pc_ports[i].tx);
		if (pc_ports[i].echo.nr_pending != 0)
			rte_pktmbuf_free_bulk(pc_ports[i].echo.pending,
				pc_ports[i].echo.nr_pending);
		pc_ports[i].echo.nr_pending = 0;
	}
	pc_report("exit", status == 2 ? "setup" : NULL);
	for (i = 0; i < cfg.nr_ports; i++) {
		rte_eth_dev_stop(pc_ports[i].port_id);
		rte_eth_dev_close(pc_ports[i].port_id);
	}
out:
	rte_eal_cleanup();
	return status;
}
