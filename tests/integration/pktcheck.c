/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * pktcheck: a traffic checker for the integration tests.
 *
 *   pktcheck <EAL args> -- --mode send|recv|echo|pingpong [options]
 *
 * Every frame is deterministic: stream id, queue, sequence number and
 * size fix every byte, so the receiver rebuilds the frame it expects and
 * compares byte for byte. Frame i of a run (0 <= i < --count, per port)
 * has size sizes[i % nr_sizes].
 *
 *   send      transmit --count frames per port, retrying until the PMD
 *             accepts each one (only accepted frames count as sent)
 *   recv      verify --count frames per port: ok, bad (by kind), missing
 *   echo      send every received frame back out of the port and the
 *             queue it came in on
 *   pingpong  send as "send" and verify the echoed frames as "recv"
 *
 * --queues N (1..8, default 1) gives every port N Rx and N Tx queues,
 * without RSS: the PMD is to deliver what the peer sent on its Tx queue k
 * to Rx queue k. Frame i goes out on Tx queue q = i % N as number i / N
 * of that queue's own sequence, and its header names q. The receiver
 * polls every Rx queue and checks each sub-stream (stream, q) in order
 * on its own, so both ends must use the same N; a frame of sub-stream q
 * that comes in on another Rx queue counts as "wrong_queue" (and is
 * checked as any other). --rxd N and --txd N set the descriptors of every
 * Rx and Tx queue (default 0: the PMD's default).
 *
 * --mtu N configures the ports' MTU (rxmode.mtu); --scatter enables
 * scattered Rx and multi-segment Tx; --mbuf-size N sets the mbufs' data
 * room (default RTE_MBUF_DEFAULT_BUF_SIZE); --tx-seg N builds every sent
 * frame as a chain of segments of at most N bytes (default: as few as
 * the mbufs allow).
 *
 * --proto udp4|tcp4|udp6|tcp6 wraps the frames in IPv4/IPv6 and UDP/TCP
 * headers (our header then follows the L4 one) with a valid L4 checksum,
 * which the receiver's byte comparison checks. With --tx-csum the sender
 * leaves the pseudo-header sum in the checksum field and asks for Tx
 * checksum offload (ol_flags, l2_len, l3_len; raw frames, as a buggy
 * application would, get the flags of IPv4/UDP); with --rx-csum the ports
 * enable Rx L4 checksum offload and "rx" counts the frames flagged
 * "csum_good" and "csum_bad". --tso MSS sends TCP frames whose payload
 * exceeds MSS with TCP segmentation offload (the pseudo-header sum without
 * the length, as DPDK's convention is); --lro enables Rx TCP LRO and "rx"
 * counts the frames flagged RTE_MBUF_F_RX_LRO ("lro") and those of them
 * whose tso_segsz differs from --tso ("lro_bad_segsz"). --segments (TCP
 * only) expects frames to arrive cut into TCP segments, as for a sender's
 * TSO towards a peer without GSO: every one must have valid IPv4 and TCP
 * checksums, the segments of a frame are put together again (headers of
 * the first, lengths and checksums recomputed) and the result checked as
 * any frame; "rx" counts "segments" and "seg_bad_csum".
 *
 * --rounds N repeats send/recv/pingpong N times; each round after the
 * first waits for the link to go down and come up again (a reconnect).
 * With --reconfig SPEC[;SPEC...], before round r >= 2 every port is
 * instead stopped, configured as SPEC number r - 2 says, its queues set
 * up again and started again, without being closed; that round waits for
 * link up only, as the first one does. SPEC is key=value[,key=value...]
 * of queues=, rxd=, txd= (as the options); a key not given keeps its
 * value, an empty SPEC restarts the ports as they are. Rounds past the
 * last SPEC wait for a reconnect, as without --reconfig.
 *
 * Frame layout: dst 02:70:6b:63:QQ:SS, src 02:70:6b:63:01:SS (QQ the Tx
 * queue, SS the stream's low byte), ethertype 0x88b5, "XNPC", stream (16
 * bits), sequence number in the queue (32), size (16), then the bytes of
 * a generator seeded by these.
 *
 * Progress goes to stdout as lines "PKTCHECK {json}" holding the counts
 * plus the ethdev stats and every xstat of each port; "phase" is
 * "started" (ports started), "reconfig" (ports restarted as SPEC number
 * "spec", 0-based, says, with "queues" queues: "ok", or "error" names the
 * call that failed), "link" (every link up), "done" (the job ended, or
 * setup failed: "error" says why) and "exit" (just before the ports are
 * closed; after --linger, that is at SIGINT/SIGTERM).
 * Each port says its "queues", "rxd" and "txd"; the counts of "tx", "rx"
 * and "echo" are totals over the queues, and "per_queue" lists them per
 * queue: tx {"sent","bytes"} by Tx queue, echo {"echoed"} by queue, rx
 * {"ok","missing","bad","wrong_queue"} by sub-stream (the queue a frame's
 * header names; a bad frame that names none of ours counts on the Rx
 * queue it came in on).
 * Exit status: 0 all good, 1 frames missing/bad/unsent, 2 setup failure
 * (or a failed reconfiguration).
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
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define PC_MAX_PORTS 8
#define PC_MAX_QUEUES 8
#define PC_MAX_RECONFIG 64
#define PC_MAX_SIZES 32
#define PC_BURST_MAX 64
#define PC_FRAME_MAX 65535
#define PC_HDR_LEN 12		/* our header: magic, stream, seq, size */
#define PC_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */
#define PC_MAGIC "XNPC"
#define PC_NB_MBUFS 4095
#define PC_ECHO_PENDING 512
#define PC_DESC_GUESS 1024	/* a queue's descriptors at the PMD default */

enum pc_mode { PC_SEND, PC_RECV, PC_ECHO, PC_PINGPONG };

enum pc_proto { PC_RAW, PC_UDP4, PC_TCP4, PC_UDP6, PC_TCP6 };

static const char * const pc_proto_name[] = {
	[PC_RAW] = "raw", [PC_UDP4] = "udp4", [PC_TCP4] = "tcp4",
	[PC_UDP6] = "udp6", [PC_TCP6] = "tcp6",
};

static const char * const pc_mode_name[] = {
	[PC_SEND] = "send", [PC_RECV] = "recv", [PC_ECHO] = "echo",
	[PC_PINGPONG] = "pingpong",
};

/* Queues of a port. */
struct pc_qconf {
	uint16_t queues;
	uint16_t rxd;		/* descriptors per queue, 0 the PMD's default */
	uint16_t txd;
};

/* One --reconfig SPEC: -1 keeps the value. */
struct pc_respec {
	int32_t queues;
	int32_t rxd;
	int32_t txd;
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
	struct pc_qconf qconf;
	struct pc_respec reconfig[PC_MAX_RECONFIG];
	unsigned int nr_reconfig;
	uint16_t mtu;
	bool scatter;
	enum pc_proto proto;
	bool tx_csum;
	bool rx_csum;
	uint16_t tso;
	bool lro;
	bool segments;
	uint16_t mbuf_size;
	uint16_t tx_seg;
};

/* Receive side of one sub-stream (the frames sent on one Tx queue). */
struct pc_rxq {
	uint32_t next;		/* next sequence number expected */
	uint64_t ok;
	uint64_t missing;
	uint64_t bad;
	uint64_t wrong_queue;	/* came in on another Rx queue */
};

/* Receive side of one port. */
struct pc_rx {
	uint32_t next;		/* frames accounted for: sum of the q[].next */
	uint64_t ok;
	uint64_t bytes_ok;
	uint64_t missing;
	uint64_t bad_len;	/* length differs from the size it must have */
	uint64_t bad_data;	/* some byte differs */
	uint64_t out_of_order;	/* seq below the next expected: dup/reorder */
	uint64_t wrong_stream;	/* our frame, another port's stream */
	uint64_t foreign;	/* not a pktcheck frame at all */
	uint64_t late;		/* frames arriving after the job was done */
	uint64_t wrong_queue;	/* not a bad frame: see pc_rxq */
	uint64_t csum_good;	/* flagged RTE_MBUF_F_RX_L4_CKSUM_GOOD */
	uint64_t csum_bad;	/* flagged RTE_MBUF_F_RX_L4_CKSUM_BAD */
	uint64_t lro;		/* flagged RTE_MBUF_F_RX_LRO */
	uint64_t lro_bad_segsz;	/* of those, tso_segsz other than --tso */
	uint64_t segments;	/* --segments: TCP segments received */
	uint64_t seg_bad_csum;	/* of those, with a checksum that fails */
	uint32_t reasm_len;	/* bytes of the frame being put together */
	uint64_t last_rx_tsc;
	bool done;
	struct pc_rxq q[PC_MAX_QUEUES];
};

/* Transmit side of one Tx queue. */
struct pc_txq {
	uint32_t next;		/* next sequence number to build */
	uint64_t sent;
	uint64_t bytes;
	struct rte_mbuf *pending[PC_BURST_MAX];
	unsigned int nr_pending;
};

/* Transmit side of one port. */
struct pc_tx {
	uint64_t sent;		/* frames the PMD accepted */
	uint64_t bytes;
	uint64_t rejected;	/* tx_burst returns short of the offer */
	bool done;
	bool timed_out;
	struct pc_txq q[PC_MAX_QUEUES];
};

/* Echo side of one queue. */
struct pc_echoq {
	uint64_t echoed;
	struct rte_mbuf *pending[PC_ECHO_PENDING];
	unsigned int nr_pending;
};

/* Echo side of one port. */
struct pc_echo {
	uint64_t echoed;
	struct pc_echoq q[PC_MAX_QUEUES];
};

struct pc_port {
	uint16_t port_id;
	uint16_t stream;
	struct pc_qconf qc;	/* as the port is configured */
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
static unsigned int pc_spec;	/* the last --reconfig SPEC applied */
static struct pc_qconf pc_spec_qc;	/* what it configures */

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

/* Frames of the run that queue q of nq carries: those i with i % nq == q. */
static uint32_t
pc_queue_count(unsigned int nq, unsigned int q)
{
	return cfg.count / nq + (q < cfg.count % nq);
}

/* Size of frame seq of queue q of nq: that of frame seq * nq + q. */
static uint16_t
pc_size_of(unsigned int nq, unsigned int q, uint32_t seq)
{
	return cfg.sizes[((uint64_t)seq * nq + q) % cfg.nr_sizes];
}

static bool
pc_ipv6(void)
{
	return cfg.proto == PC_UDP6 || cfg.proto == PC_TCP6;
}

static bool
pc_tcp(void)
{
	return cfg.proto == PC_TCP4 || cfg.proto == PC_TCP6;
}

/* Length of the IP header, 0 for raw frames. */
static uint32_t
pc_l3_len(void)
{
	if (cfg.proto == PC_RAW)
		return 0;
	return pc_ipv6() ? sizeof(struct rte_ipv6_hdr) :
		sizeof(struct rte_ipv4_hdr);
}

/* Where our header starts. */
static uint32_t
pc_hoff(void)
{
	if (cfg.proto == PC_RAW)
		return RTE_ETHER_HDR_LEN;
	return RTE_ETHER_HDR_LEN + pc_l3_len() + (pc_tcp() ?
		sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr));
}

static uint32_t
pc_frame_min(void)
{
	return pc_hoff() + PC_HDR_LEN;
}

/* The L4 checksum field of a built frame. */
static uint8_t *
pc_csum_field(uint8_t *buf)
{
	uint8_t *l4 = buf + RTE_ETHER_HDR_LEN + pc_l3_len();

	return l4 + (pc_tcp() ? offsetof(struct rte_tcp_hdr, cksum) :
		offsetof(struct rte_udp_hdr, dgram_cksum));
}

/* The IP and L4 headers of a frame of @size bytes, checksum field 0. */
static void
pc_l3l4_build(uint8_t *buf, uint16_t size)
{
	uint8_t *l3 = buf + RTE_ETHER_HDR_LEN, *l4 = l3 + pc_l3_len();
	uint16_t l4_len = size - RTE_ETHER_HDR_LEN - pc_l3_len();

	if (pc_ipv6()) {
		struct rte_ipv6_hdr h = {
			.vtc_flow = rte_cpu_to_be_32(6u << 28),
			.payload_len = rte_cpu_to_be_16(l4_len),
			.proto = pc_tcp() ? IPPROTO_TCP : IPPROTO_UDP,
			.hop_limits = 64,
			.src_addr = { 0xfd, 0x70, [15] = 1 },
			.dst_addr = { 0xfd, 0x70, [15] = 2 },
		};

		memcpy(l3, &h, sizeof(h));
	} else {
		struct rte_ipv4_hdr h = {
			.version_ihl = RTE_IPV4_VHL_DEF,
			.total_length = rte_cpu_to_be_16(size -
				RTE_ETHER_HDR_LEN),
			.time_to_live = 64,
			.next_proto_id = pc_tcp() ? IPPROTO_TCP : IPPROTO_UDP,
			.src_addr = RTE_BE32(RTE_IPV4(10, 112, 0, 1)),
			.dst_addr = RTE_BE32(RTE_IPV4(10, 112, 0, 2)),
		};

		h.hdr_checksum = rte_ipv4_cksum(&h);
		memcpy(l3, &h, sizeof(h));
	}
	if (pc_tcp()) {
		struct rte_tcp_hdr t = {
			.src_port = RTE_BE16(5001), .dst_port = RTE_BE16(5002),
			.data_off = 5 << 4, .tcp_flags = RTE_TCP_ACK_FLAG,
			.rx_win = RTE_BE16(65535),
		};

		memcpy(l4, &t, sizeof(t));
	} else {
		struct rte_udp_hdr u = {
			.src_port = RTE_BE16(5001), .dst_port = RTE_BE16(5002),
			.dgram_len = rte_cpu_to_be_16(l4_len),
		};

		memcpy(l4, &u, sizeof(u));
	}
}

/* The L4 checksum of a built frame (field 0), or the pseudo-header sum
 * that Tx checksum offload expects there.
 */
static uint16_t
pc_l4_csum(uint8_t *buf, bool pseudo)
{
	void *l3 = buf + RTE_ETHER_HDR_LEN, *l4 = buf + RTE_ETHER_HDR_LEN +
		pc_l3_len();

	if (pc_ipv6())
		return pseudo ? rte_ipv6_phdr_cksum(l3, 0) :
			rte_ipv6_udptcp_cksum(l3, l4);
	return pseudo ? rte_ipv4_phdr_cksum(l3, 0) :
		rte_ipv4_udptcp_cksum(l3, l4);
}

/* Every byte of the frame (stream, queue, seq, size). */
static void
pc_frame_build(uint8_t *buf, uint16_t stream, uint8_t queue, uint32_t seq,
	uint16_t size)
{
	uint32_t x = (seq * 2654435761u) ^ ((uint32_t)size << 16) ^
		(stream * 40503u) ^ (queue * 2246822519u) ^ 0x9e3779b9u;
	uint32_t h = pc_hoff(), i;
	uint16_t type = cfg.proto == PC_RAW ? PC_ETHERTYPE : pc_ipv6() ?
		RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4;
	uint16_t sum;

	/* dst 02:70:6b:63:qq:ss, src 02:70:6b:63:01:ss: fixed by the stream
	 * and queue so the receiver knows every byte, whoever sent it.
	 */
	buf[0] = 0x02; buf[1] = 0x70; buf[2] = 0x6b; buf[3] = 0x63;
	buf[4] = queue; buf[5] = stream & 0xff;
	buf[6] = 0x02; buf[7] = 0x70; buf[8] = 0x6b; buf[9] = 0x63;
	buf[10] = 0x01; buf[11] = stream & 0xff;
	buf[12] = type >> 8;
	buf[13] = type & 0xff;
	if (cfg.proto != PC_RAW)
		pc_l3l4_build(buf, size);
	memcpy(&buf[h], PC_MAGIC, 4);
	buf[h + 4] = stream >> 8;
	buf[h + 5] = stream & 0xff;
	buf[h + 6] = seq >> 24;
	buf[h + 7] = seq >> 16;
	buf[h + 8] = seq >> 8;
	buf[h + 9] = seq;
	buf[h + 10] = size >> 8;
	buf[h + 11] = size & 0xff;
	for (i = h + PC_HDR_LEN; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (x >> 24) ^ i;
	}
	if (cfg.proto != PC_RAW) {
		sum = pc_l4_csum(buf, false);
		memcpy(pc_csum_field(buf), &sum, sizeof(sum));
	}
}

/* @size bytes of @buf in an mbuf chain (segments of --tx-seg at most). */
static struct rte_mbuf *
pc_buf_mbuf(struct pc_port *pp, const uint8_t *buf, uint32_t size)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0, n;
	uint8_t *data;

	while (off < size) {
		m = rte_pktmbuf_alloc(pp->mp);
		if (m == NULL)
			goto fail;
		n = RTE_MIN(size - off, (uint32_t)rte_pktmbuf_tailroom(m));
		if (cfg.tx_seg != 0)
			n = RTE_MIN(n, (uint32_t)cfg.tx_seg);
		data = (uint8_t *)rte_pktmbuf_append(m, n);
		memcpy(data, buf + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

static struct rte_mbuf *
pc_frame_mbuf(struct pc_port *pp, uint16_t q, uint32_t seq)
{
	static uint8_t frame[PC_FRAME_MAX];
	uint16_t size = pc_size_of(pp->qc.queues, q, seq);
	bool tso = cfg.tso != 0 && size > pc_hoff() + cfg.tso;
	struct rte_mbuf *head;

	pc_frame_build(frame, pp->stream, q, seq, size);
	if (tso) {
		void *l3 = frame + RTE_ETHER_HDR_LEN;
		uint16_t sum = pc_ipv6() ?
			rte_ipv6_phdr_cksum(l3, RTE_MBUF_F_TX_TCP_SEG) :
			rte_ipv4_phdr_cksum(l3, RTE_MBUF_F_TX_TCP_SEG);

		memcpy(pc_csum_field(frame), &sum, sizeof(sum));
	} else if (cfg.tx_csum && cfg.proto != PC_RAW) {
		uint16_t sum;

		memset(pc_csum_field(frame), 0, sizeof(sum));
		sum = pc_l4_csum(frame, true);
		memcpy(pc_csum_field(frame), &sum, sizeof(sum));
	}
	head = pc_buf_mbuf(pp, frame, size);
	if (head == NULL)
		return NULL;
	if (tso) {
		head->l2_len = RTE_ETHER_HDR_LEN;
		head->l3_len = pc_l3_len();
		head->l4_len = sizeof(struct rte_tcp_hdr);
		head->tso_segsz = cfg.tso;
		head->ol_flags |= (pc_ipv6() ? RTE_MBUF_F_TX_IPV6 :
			RTE_MBUF_F_TX_IPV4) | RTE_MBUF_F_TX_TCP_SEG;
	} else if (cfg.tx_csum) {
		head->l2_len = RTE_ETHER_HDR_LEN;
		head->l3_len = cfg.proto == PC_RAW ?
			sizeof(struct rte_ipv4_hdr) : pc_l3_len();
		head->ol_flags |= (pc_ipv6() ? RTE_MBUF_F_TX_IPV6 :
			RTE_MBUF_F_TX_IPV4) | (pc_tcp() ?
			RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
	}
	return head;
}

static void pc_frame_check(struct pc_port *pp, uint16_t rxq,
	struct rte_mbuf *m);

/*
 * --segments: take TCP segment m; once a frame's segments are all in,
 * check the frame they make. Segment seq numbers count from 0 in each
 * frame (pktcheck's frames all start at TCP seq 0).
 */
static void
pc_segment_take(struct pc_port *pp, uint16_t rxq, struct rte_mbuf *m)
{
	static uint8_t seg[PC_FRAME_MAX], frame[PC_FRAME_MAX];
	struct pc_rx *rx = &pp->rx;
	uint32_t len = m->pkt_len, h = pc_hoff(), seq, want;
	const struct rte_tcp_hdr *th;
	struct rte_mbuf *whole;
	uint16_t sum, got_sum;
	const void *src;
	bool ok;

	rx->segments++;
	src = len >= h ? rte_pktmbuf_read(m, 0, len, seg) : NULL;
	if (src == NULL) {
		rx->foreign++;
		return;
	}
	if (src != seg)
		memcpy(seg, src, len);
	th = (const void *)(seg + RTE_ETHER_HDR_LEN + pc_l3_len());
	/* the L4 checksum recomputed over a zero field must be what is
	 * there; an IPv4 header sums to all ones with its checksum
	 */
	memcpy(&got_sum, pc_csum_field(seg), sizeof(got_sum));
	memset(pc_csum_field(seg), 0, sizeof(got_sum));
	ok = pc_l4_csum(seg, false) == got_sum;
	memcpy(pc_csum_field(seg), &got_sum, sizeof(got_sum));
	if (!pc_ipv6())
		ok &= rte_raw_cksum(seg + RTE_ETHER_HDR_LEN,
			sizeof(struct rte_ipv4_hdr)) == 0xffff;
	rx->seg_bad_csum += !ok;
	seq = rte_be_to_cpu_32(th->sent_seq);
	if (seq == 0) {
		memcpy(frame, seg, len);
		rx->reasm_len = len;
	} else if (seq == rx->reasm_len - h && rx->reasm_len + len - h <=
		   PC_FRAME_MAX) {
		memcpy(frame + rx->reasm_len, seg + h, len - h);
		rx->reasm_len += len - h;
	} else {
		rx->out_of_order++;
		return;
	}
	want = rx->reasm_len >= h + PC_HDR_LEN ?
		(uint32_t)frame[h + 10] << 8 | frame[h + 11] : 0;
	if (rx->reasm_len < want)
		return;
	/* the frame as sent: its lengths, IPv4 id and checksums */
	if (pc_ipv6()) {
		struct rte_ipv6_hdr *ip6 = (void *)(frame + RTE_ETHER_HDR_LEN);

		ip6->payload_len = rte_cpu_to_be_16(rx->reasm_len -
			RTE_ETHER_HDR_LEN - sizeof(*ip6));
	} else {
		struct rte_ipv4_hdr *ip4 = (void *)(frame + RTE_ETHER_HDR_LEN);

		ip4->total_length = rte_cpu_to_be_16(rx->reasm_len -
			RTE_ETHER_HDR_LEN);
		ip4->packet_id = 0;
		ip4->hdr_checksum = 0;
		ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	}
	memset(pc_csum_field(frame), 0, 2);
	sum = pc_l4_csum(frame, false);
	memcpy(pc_csum_field(frame), &sum, sizeof(sum));
	whole = pc_buf_mbuf(pp, frame, rx->reasm_len);
	if (whole == NULL)
		return;
	rx->reasm_len = 0;
	pc_frame_check(pp, rxq, whole);
	rte_pktmbuf_free(whole);
}

/* Check frame m, which came in on Rx queue rxq. */
static void
pc_frame_check(struct pc_port *pp, uint16_t rxq, struct rte_mbuf *m)
{
	struct pc_rx *rx = &pp->rx;
	unsigned int nq = pp->qc.queues;
	static uint8_t got_buf[PC_FRAME_MAX], want[PC_FRAME_MAX];
	const uint8_t *got;
	uint32_t len = m->pkt_len, seq;
	uint16_t stream, size;
	struct pc_rxq *rq;
	uint8_t queue;
	uint32_t h;

	if (rx->done) {
		rx->late++;
		return;
	}
	h = pc_hoff();
	got = len >= pc_frame_min() ?
		rte_pktmbuf_read(m, 0, pc_frame_min(), got_buf) : NULL;
	if (got == NULL || memcmp(&got[h], PC_MAGIC, 4) != 0 ||
	    (cfg.proto == PC_RAW && (got[12] != (PC_ETHERTYPE >> 8) ||
				     got[13] != (PC_ETHERTYPE & 0xff)))) {
		rx->foreign++;
		rx->q[rxq].bad++;
		return;
	}
	stream = (uint16_t)got[h + 4] << 8 | got[h + 5];
	queue = got[4];
	seq = (uint32_t)got[h + 6] << 24 | (uint32_t)got[h + 7] << 16 |
		(uint32_t)got[h + 8] << 8 | got[h + 9];
	/* A queue we do not have is another stream's just as well. */
	if (stream != pp->stream || queue >= nq) {
		rx->wrong_stream++;
		rx->q[rxq].bad++;
		return;
	}
	rq = &rx->q[queue];
	if (queue != rxq) {
		rx->wrong_queue++;
		rq->wrong_queue++;
	}
	if (seq < rq->next || seq >= pc_queue_count(nq, queue)) {
		rx->out_of_order++;
		rq->bad++;
		return;
	}
	rx->missing += seq - rq->next;
	rq->missing += seq - rq->next;
	rx->next += seq + 1 - rq->next;
	rq->next = seq + 1;
	rx->last_rx_tsc = rte_get_timer_cycles();
	size = pc_size_of(nq, queue, seq);
	if (len != size || len > PC_FRAME_MAX) {
		rx->bad_len++;
		rq->bad++;
	} else {
		got = rte_pktmbuf_read(m, 0, len, got_buf);
		pc_frame_build(want, stream, queue, seq, size);
		if (got != NULL && memcmp(got, want, len) == 0) {
			rx->ok++;
			rq->ok++;
			rx->bytes_ok += len;
		} else {
			rx->bad_data++;
			rq->bad++;
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
	unsigned int nq = pp->qc.queues;
	struct pc_txq *tq;
	struct rte_mbuf *m;
	uint16_t n, i, q, size;
	uint32_t count;
	bool busy = false;

	if (tx->done)
		return;
	for (q = 0; q < nq; q++) {
		tq = &tx->q[q];
		count = pc_queue_count(nq, q);
		while (tq->nr_pending < cfg.burst && tq->next < count) {
			m = pc_frame_mbuf(pp, q, tq->next);
			if (m == NULL)
				break; /* mempool dry: retry on the next poll */
			tq->pending[tq->nr_pending++] = m;
			tq->next++;
		}
		if (tq->nr_pending != 0) {
			n = rte_eth_tx_burst(pp->port_id, q, tq->pending,
				tq->nr_pending);
			for (i = 0; i < n; i++) {
				size = pc_size_of(nq, q,
					tq->next - tq->nr_pending + i);
				tq->sent++;
				tq->bytes += size;
				tx->sent++;
				tx->bytes += size;
			}
			if (n < tq->nr_pending) {
				tx->rejected++;
				memmove(tq->pending, &tq->pending[n],
					(tq->nr_pending - n) *
					sizeof(tq->pending[0]));
			}
			tq->nr_pending -= n;
		}
		if (tq->nr_pending != 0 || tq->next != count)
			busy = true;
	}
	if (!busy)
		tx->done = true;
	else if (rte_get_timer_cycles() > deadline) {
		tx->timed_out = true;
		tx->done = true;
	}
}

static void
pc_tx_discard(struct pc_tx *tx)
{
	unsigned int q;

	for (q = 0; q < PC_MAX_QUEUES; q++) {
		if (tx->q[q].nr_pending != 0)
			rte_pktmbuf_free_bulk(tx->q[q].pending,
				tx->q[q].nr_pending);
		tx->q[q].nr_pending = 0;
	}
}

static void
pc_echo_discard(struct pc_echo *e)
{
	unsigned int q;

	for (q = 0; q < PC_MAX_QUEUES; q++) {
		if (e->q[q].nr_pending != 0)
			rte_pktmbuf_free_bulk(e->q[q].pending,
				e->q[q].nr_pending);
		e->q[q].nr_pending = 0;
	}
}

static void
pc_echo_flush(struct pc_port *pp, uint16_t q)
{
	struct pc_echoq *e = &pp->echo.q[q];
	uint16_t n;

	if (e->nr_pending == 0)
		return;
	n = rte_eth_tx_burst(pp->port_id, q, e->pending,
		RTE_MIN(e->nr_pending, (unsigned int)UINT16_MAX));
	e->echoed += n;
	pp->echo.echoed += n;
	e->nr_pending -= n;
	memmove(e->pending, &e->pending[n],
		e->nr_pending * sizeof(e->pending[0]));
}

/* Poll Rx queue q; echo sends what came back out of Tx queue q. */
static void
pc_rx_poll_queue(struct pc_port *pp, uint16_t q, bool echo)
{
	struct rte_mbuf *pkts[PC_BURST_MAX];
	struct pc_echoq *e = &pp->echo.q[q];
	uint16_t n, i;

	if (echo) {
		pc_echo_flush(pp, q);
		/* Back pressure: take no more than can be kept. */
		if (PC_ECHO_PENDING - e->nr_pending < cfg.burst)
			return;
	}
	n = rte_eth_rx_burst(pp->port_id, q, pkts, cfg.burst);
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		uint64_t f = pkts[i]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		pp->rx.csum_good += f == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		pp->rx.csum_bad += f == RTE_MBUF_F_RX_L4_CKSUM_BAD;
		if (pkts[i]->ol_flags & RTE_MBUF_F_RX_LRO) {
			pp->rx.lro++;
			pp->rx.lro_bad_segsz += pkts[i]->tso_segsz != cfg.tso;
		}
	}
	if (echo) {
		for (i = 0; i < n; i++)
			e->pending[e->nr_pending++] = pkts[i];
		pc_echo_flush(pp, q);
		return;
	}
	for (i = 0; i < n; i++)
		if (cfg.segments)
			pc_segment_take(pp, q, pkts[i]);
		else
			pc_frame_check(pp, q, pkts[i]);
	rte_pktmbuf_free_bulk(pkts, n);
}

static void
pc_rx_poll(struct pc_port *pp, bool echo)
{
	uint16_t q;

	for (q = 0; q < pp->qc.queues; q++)
		pc_rx_poll_queue(pp, q, echo);
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
	unsigned int i, q, busy;
	struct pc_port *pp;
	struct pc_rxq *rq;
	uint32_t left;

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
		for (q = 0; q < pp->qc.queues; q++) {
			rq = &pp->rx.q[q];
			left = pc_queue_count(pp->qc.queues, q) - rq->next;
			rq->missing += left;
			pp->rx.missing += left;
			rq->next += left;
		}
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
	unsigned int q;

	rte_eth_dev_get_name_by_port(pp->port_id, name);
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(pp->port_id, &link);
	fprintf(f, "{\"port\":%u,\"name\":\"%s\",\"stream\":%u,"
		"\"link_up\":%s,\"link_up_s\":%.3f,"
		"\"queues\":%u,\"rxd\":%u,\"txd\":%u,",
		pp->port_id, name, pp->stream,
		link.link_status == RTE_ETH_LINK_UP ? "true" : "false",
		pp->link_up_s, pp->qc.queues, pp->qc.rxd, pp->qc.txd);
	fprintf(f, "\"tx\":{\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"rejected\":%" PRIu64 ",\"unsent\":%" PRIu64
		",\"timed_out\":%s,\"per_queue\":[",
		pp->tx.sent, pp->tx.bytes, pp->tx.rejected,
		(cfg.mode == PC_SEND || cfg.mode == PC_PINGPONG) ?
			cfg.count - pp->tx.sent : 0,
		pp->tx.timed_out ? "true" : "false");
	for (q = 0; q < pp->qc.queues; q++)
		fprintf(f, "%s{\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
			q ? "," : "", pp->tx.q[q].sent, pp->tx.q[q].bytes);
	fprintf(f, "]},\"rx\":{\"ok\":%" PRIu64 ",\"bytes_ok\":%" PRIu64
		",\"missing\":%" PRIu64 ",\"bad_len\":%" PRIu64
		",\"bad_data\":%" PRIu64 ",\"out_of_order\":%" PRIu64
		",\"wrong_stream\":%" PRIu64 ",\"foreign\":%" PRIu64
		",\"late\":%" PRIu64 ",\"bad\":%" PRIu64
		",\"wrong_queue\":%" PRIu64 ",\"csum_good\":%" PRIu64
		",\"csum_bad\":%" PRIu64 ",\"lro\":%" PRIu64
		",\"lro_bad_segsz\":%" PRIu64 ",\"segments\":%" PRIu64
		",\"seg_bad_csum\":%" PRIu64 ",\"per_queue\":[",
		pp->rx.ok, pp->rx.bytes_ok, pp->rx.missing, pp->rx.bad_len,
		pp->rx.bad_data, pp->rx.out_of_order, pp->rx.wrong_stream,
		pp->rx.foreign, pp->rx.late,
		pp->rx.bad_len + pp->rx.bad_data + pp->rx.out_of_order +
		pp->rx.wrong_stream + pp->rx.foreign, pp->rx.wrong_queue,
		pp->rx.csum_good, pp->rx.csum_bad, pp->rx.lro,
		pp->rx.lro_bad_segsz, pp->rx.segments, pp->rx.seg_bad_csum);
	for (q = 0; q < pp->qc.queues; q++)
		fprintf(f, "%s{\"ok\":%" PRIu64 ",\"missing\":%" PRIu64
			",\"bad\":%" PRIu64 ",\"wrong_queue\":%" PRIu64 "}",
			q ? "," : "", pp->rx.q[q].ok, pp->rx.q[q].missing,
			pp->rx.q[q].bad, pp->rx.q[q].wrong_queue);
	fprintf(f, "]},\"echo\":{\"echoed\":%" PRIu64 ",\"per_queue\":[",
		pp->echo.echoed);
	for (q = 0; q < pp->qc.queues; q++)
		fprintf(f, "%s{\"echoed\":%" PRIu64 "}", q ? "," : "",
			pp->echo.q[q].echoed);
	fputs("]},", f);
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
	bool reconfig = strcmp(phase, "reconfig") == 0;
	char *buf = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return;
	fprintf(f, "PKTCHECK {\"phase\":\"%s\",\"round\":%u,"
		"\"mode\":\"%s\",\"pid\":%d,"
		"\"hugepages\":%s,\"count\":%" PRIu32 ",\"elapsed_s\":%.3f,",
		phase, pc_round, pc_mode_name[cfg.mode], (int)getpid(),
		rte_eal_has_hugepages() ? "true" : "false", cfg.count,
		pc_elapsed(pc_start_tsc));
	/* A reconfiguration is ok when it worked: no frames yet. */
	if (reconfig)
		fprintf(f, "\"spec\":%u,\"queues\":%u,", pc_spec,
			pc_spec_qc.queues);
	fprintf(f, "\"ok\":%s,\"error\":", error == NULL &&
		(reconfig || pc_ok()) ? "true" : "false");
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

/* Mbufs a port may need in queue configuration qc. */
static unsigned int
pc_pool_need(const struct pc_qconf *qc)
{
	return qc->queues * ((qc->rxd ? qc->rxd : PC_DESC_GUESS) +
		(qc->txd ? qc->txd : PC_DESC_GUESS) + PC_ECHO_PENDING +
		PC_BURST_MAX) + 1024;
}

/* Queue configuration qc changed as spec says. */
static void
pc_respec_apply(struct pc_qconf *qc, const struct pc_respec *spec)
{
	if (spec->queues >= 0)
		qc->queues = spec->queues;
	if (spec->rxd >= 0)
		qc->rxd = spec->rxd;
	if (spec->txd >= 0)
		qc->txd = spec->txd;
}

/* Mbufs per port, enough for the largest of the configurations. */
static unsigned int
pc_pool_size(void)
{
	unsigned int room = cfg.mbuf_size - RTE_PKTMBUF_HEADROOM, segs, big = 0;
	struct pc_qconf qc = cfg.qconf;
	unsigned int n = pc_pool_need(&qc), i;

	for (i = 0; i < cfg.nr_reconfig; i++) {
		pc_respec_apply(&qc, &cfg.reconfig[i]);
		n = RTE_MAX(n, pc_pool_need(&qc));
	}

	for (i = 0; i < cfg.nr_sizes; i++)
		big = RTE_MAX(big, (unsigned int)cfg.sizes[i]);
	if (cfg.tx_seg != 0)
		room = RTE_MIN(room, (unsigned int)cfg.tx_seg);
	/* Chained frames take an mbuf per segment. */
	segs = (big + room - 1) / room;
	return RTE_MIN(RTE_MAX(n, (unsigned int)PC_NB_MBUFS) * segs, 32767u);
}

/* Configure the (stopped) port as qc says and set its queues up. */
static int
pc_port_queues(struct pc_port *pp, const struct pc_qconf *qc, char *err,
	size_t err_len)
{
	int socket = rte_eth_dev_socket_id(pp->port_id);
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	pp->qc = *qc;
	/* No RSS: Rx queue k is what the peer sent on its Tx queue k. */
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = cfg.mtu;
	if (cfg.scatter) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	}
	if (cfg.rx_csum)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
			RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if (cfg.tx_csum)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
			RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (cfg.tso)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	if (cfg.lro) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_LRO;
		conf.rxmode.max_lro_pkt_size = UINT16_MAX;
	}
	ret = rte_eth_dev_configure(pp->port_id, qc->queues, qc->queues,
		&conf);
	if (ret != 0) {
		memset(&info, 0, sizeof(info));
		rte_eth_dev_info_get(pp->port_id, &info);
		snprintf(err, err_len, "port %u: rte_eth_dev_configure(%u "
			"queues): %s (max_rx_queues %u, max_tx_queues %u)",
			pp->port_id, qc->queues, rte_strerror(-ret),
			info.max_rx_queues, info.max_tx_queues);
		return ret;
	}
	for (q = 0; q < qc->queues; q++) {
		ret = rte_eth_rx_queue_setup(pp->port_id, q, qc->rxd, socket,
			NULL, pp->mp);
		if (ret != 0) {
			snprintf(err, err_len, "port %u: rte_eth_rx_queue_setup"
				"(queue %u, %u descriptors): %s", pp->port_id,
				q, qc->rxd, rte_strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(pp->port_id, q, qc->txd, socket,
			NULL);
		if (ret != 0) {
			snprintf(err, err_len, "port %u: rte_eth_tx_queue_setup"
				"(queue %u, %u descriptors): %s", pp->port_id,
				q, qc->txd, rte_strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int
pc_port_start(struct pc_port *pp, char *err, size_t err_len)
{
	int ret = rte_eth_dev_start(pp->port_id);

	if (ret != 0)
		snprintf(err, err_len, "port %u: rte_eth_dev_start: %s",
			pp->port_id, rte_strerror(-ret));
	return ret;
}

static int
pc_port_setup(struct pc_port *pp, char *err, size_t err_len)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	int ret;

	snprintf(name, sizeof(name), "pktcheck%u", pp->port_id);
	pp->mp = rte_pktmbuf_pool_create(name, pc_pool_size(), 256, 0,
		cfg.mbuf_size, rte_eth_dev_socket_id(pp->port_id));
	if (pp->mp == NULL) {
		snprintf(err, err_len, "port %u: no mempool: %s", pp->port_id,
			rte_strerror(rte_errno));
		fprintf(stderr, "pktcheck: %s\n", err);
		return -ENOMEM;
	}
	ret = pc_port_queues(pp, &cfg.qconf, err, err_len);
	if (ret == 0)
		ret = pc_port_start(pp, err, err_len);
	if (ret != 0)
		fprintf(stderr, "pktcheck: setup failed: %s\n", err);
	return ret;
}

/* Stop every port, configure it as --reconfig SPEC number spec says and
 * start it again (not closing it), one port after the other.
 */
static int
pc_reconfig(unsigned int spec, char *err, size_t err_len)
{
	struct pc_port *pp;
	unsigned int i;
	int ret;

	/* Every port has the same configuration. */
	pc_spec = spec;
	pc_respec_apply(&pc_spec_qc, &cfg.reconfig[spec]);
	for (i = 0; i < cfg.nr_ports; i++) {
		pp = &pc_ports[i];
		pc_tx_discard(&pp->tx);
		pc_echo_discard(&pp->echo);
		ret = rte_eth_dev_stop(pp->port_id);
		if (ret != 0)
			snprintf(err, err_len, "port %u: rte_eth_dev_stop: %s",
				pp->port_id, rte_strerror(-ret));
		if (ret == 0)
			ret = pc_port_queues(pp, &pc_spec_qc, err, err_len);
		if (ret == 0)
			ret = pc_port_start(pp, err, err_len);
		if (ret != 0) {
			fprintf(stderr, "pktcheck: reconfig failed: %s\n", err);
			return ret;
		}
	}
	return 0;
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

/* --reconfig SPEC[;SPEC...], SPEC key=value[,key=value...] or empty. */
static int
pc_parse_reconfig(const char *arg)
{
	char *copy, *rest, *spec, *kv, *val;
	struct pc_respec *r;
	unsigned int n;
	uint16_t v;
	int32_t *field;
	int ret = 0;

	copy = strdup(arg);
	if (copy == NULL)
		return -ENOMEM;
	rest = copy;
	cfg.nr_reconfig = 0;
	while (ret == 0 && (spec = strsep(&rest, ";")) != NULL) {
		if (cfg.nr_reconfig == PC_MAX_RECONFIG) {
			ret = -EINVAL;
			break;
		}
		r = &cfg.reconfig[cfg.nr_reconfig++];
		r->queues = r->rxd = r->txd = -1;
		if (*spec == '\0')
			continue; /* restart as it is */
		while (ret == 0 && (kv = strsep(&spec, ",")) != NULL) {
			val = strchr(kv, '=');
			if (val == NULL) {
				ret = -EINVAL;
				break;
			}
			*val++ = '\0';
			if (strcmp(kv, "queues") == 0)
				field = &r->queues;
			else if (strcmp(kv, "rxd") == 0)
				field = &r->rxd;
			else if (strcmp(kv, "txd") == 0)
				field = &r->txd;
			else
				field = NULL;
			if (field == NULL || *field != -1 ||
			    pc_parse_list(val, field == &r->queues ?
					PC_MAX_QUEUES : UINT16_MAX, &v, 1,
					&n) != 0 ||
			    (field == &r->queues && v == 0))
				ret = -EINVAL;
			else
				*field = v;
		}
	}
	free(copy);
	if (ret != 0)
		fprintf(stderr, "pktcheck: bad --reconfig %s\n", arg);
	return ret;
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
		"  [--duration S] [--linger S] [--rounds N]\n"
		"  [--queues N] [--rxd N] [--txd N]\n"
		"  [--reconfig queues=N,rxd=N,txd=N;...]\n"
		"  [--mtu N] [--scatter] [--mbuf-size N] [--tx-seg N]\n"
		"  [--proto raw|udp4|tcp4|udp6|tcp6] [--tx-csum] [--rx-csum]\n"
		"  [--tso MSS] [--lro] [--segments]\n",
		prog);
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
		{ "queues", required_argument, NULL, 'Q' },
		{ "rxd", required_argument, NULL, 'r' },
		{ "txd", required_argument, NULL, 't' },
		{ "reconfig", required_argument, NULL, 'C' },
		{ "mtu", required_argument, NULL, 'M' },
		{ "scatter", no_argument, NULL, 'A' },
		{ "mbuf-size", required_argument, NULL, 'B' },
		{ "tx-seg", required_argument, NULL, 'T' },
		{ "proto", required_argument, NULL, 'P' },
		{ "tx-csum", no_argument, NULL, 'X' },
		{ "rx-csum", no_argument, NULL, 'Y' },
		{ "tso", required_argument, NULL, 'O' },
		{ "lro", no_argument, NULL, 'U' },
		{ "segments", no_argument, NULL, 'W' },
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
	cfg.qconf.queues = 1;
	cfg.mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
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
		case 'Q':
			if (pc_parse_list(optarg, PC_MAX_QUEUES, tmp, 1,
					&n) != 0 || tmp[0] == 0)
				return -EINVAL;
			cfg.qconf.queues = tmp[0];
			break;
		case 'r':
		case 't':
			if (pc_parse_list(optarg, UINT16_MAX, tmp, 1, &n) != 0)
				return -EINVAL;
			if (opt == 'r')
				cfg.qconf.rxd = tmp[0];
			else
				cfg.qconf.txd = tmp[0];
			break;
		case 'C':
			if (pc_parse_reconfig(optarg) != 0)
				return -EINVAL;
			break;
		case 'A':
			cfg.scatter = true;
			break;
		case 'X':
			cfg.tx_csum = true;
			break;
		case 'Y':
			cfg.rx_csum = true;
			break;
		case 'U':
			cfg.lro = true;
			break;
		case 'W':
			cfg.segments = true;
			break;
		case 'P':
			for (i = 0; i < RTE_DIM(pc_proto_name); i++)
				if (strcmp(optarg, pc_proto_name[i]) == 0)
					break;
			if (i == RTE_DIM(pc_proto_name))
				return -EINVAL;
			cfg.proto = i;
			break;
		case 'M':
		case 'B':
		case 'T':
		case 'O':
			if (pc_parse_list(optarg, UINT16_MAX, tmp, 1, &n) != 0 ||
			    tmp[0] == 0)
				return -EINVAL;
			if (opt == 'M')
				cfg.mtu = tmp[0];
			else if (opt == 'B')
				cfg.mbuf_size = tmp[0];
			else if (opt == 'O')
				cfg.tso = tmp[0];
			else
				cfg.tx_seg = tmp[0];
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
	for (i = 0; i < cfg.nr_sizes; i++)
		if (cfg.sizes[i] < pc_frame_min())
			return -EINVAL;
	if ((cfg.tso || cfg.segments) && !pc_tcp())
		return -EINVAL;

	if (cfg.nr_reconfig > cfg.rounds - 1) {
		fprintf(stderr, "pktcheck: %u --reconfig SPECs for %u rounds\n",
			cfg.nr_reconfig, cfg.rounds);
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char err[256], msg[300];
	unsigned int i;
	uint16_t q;
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
		pc_ports[i].qc = cfg.qconf;
		pc_ports[i].link_up_s = -1;
	}
	pc_spec_qc = cfg.qconf;
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
		if (pc_port_setup(&pc_ports[i], err, sizeof(err)) != 0) {
			snprintf(msg, sizeof(msg), "port setup failed: %s",
				err);
			pc_report("done", msg);
			goto close;
		}
	}
	pc_round = 1;
	pc_report("started", NULL);
	for (;;) {
		if (pc_round > 1 && pc_round - 2 < cfg.nr_reconfig) {
			/* The peer stays connected: no link down to wait. */
			pc_round_reset();
			if (pc_reconfig(pc_round - 2, err, sizeof(err)) != 0) {
				snprintf(msg, sizeof(msg),
					"reconfig failed: %s", err);
				pc_report("reconfig", msg);
				pc_report("done", msg);
				status = 2;
				goto close;
			}
			pc_report("reconfig", NULL);
		} else if (pc_round > 1) {
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
		pc_echo_discard(&pc_ports[i].echo);
		/* Collect the last Tx completions (peer errors) first. */
		for (q = 0; q < pc_ports[i].qc.queues; q++)
			rte_eth_tx_done_cleanup(pc_ports[i].port_id, q, 0);
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
