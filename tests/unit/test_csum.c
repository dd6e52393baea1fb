/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * Completing the partial checksums Linux peers send (csum_blank): the L4
 * field holds the pseudo-header sum, the result must equal a checksum
 * computed from scratch.
 */

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "xennet_ring.h"

static int passed, failed;

#define CHECK(cond, what) do { \
	if (cond) { \
		passed++; \
		printf("ok   %s\n", what); \
	} else { \
		failed++; \
		printf("FAIL %s (%s:%d)\n", what, __FILE__, __LINE__); \
	} \
} while (0)

static uint8_t buf[RTE_PKTMBUF_HEADROOM + 2048];
static struct rte_mbuf mb;

/* An mbuf over a static buffer: enough for the checksum helpers. */
static uint8_t *
frame_init(uint32_t len)
{
	memset(&mb, 0, sizeof(mb));
	memset(buf, 0, sizeof(buf));
	mb.buf_addr = buf;
	mb.buf_len = sizeof(buf);
	mb.data_off = RTE_PKTMBUF_HEADROOM;
	mb.data_len = len;
	mb.pkt_len = len;
	mb.nb_segs = 1;
	return buf + RTE_PKTMBUF_HEADROOM;
}

static void
payload(uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

static void
test_ipv4(uint8_t proto, bool vlan)
{
	uint32_t l2 = sizeof(struct rte_ether_hdr) +
		(vlan ? sizeof(struct rte_vlan_hdr) : 0);
	uint32_t l4len = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
		sizeof(struct rte_udp_hdr);
	uint32_t plen = 333, len = l2 + 20 + l4len + plen;
	uint8_t *f = frame_init(len);
	struct rte_ether_hdr *eh = (void *)f;
	struct rte_ipv4_hdr *ip = (void *)(f + l2);
	uint16_t *field, want;
	char name[64];

	eh->ether_type = rte_cpu_to_be_16(vlan ? RTE_ETHER_TYPE_VLAN :
		RTE_ETHER_TYPE_IPV4);
	if (vlan)
		((struct rte_vlan_hdr *)(eh + 1))->eth_proto =
			rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(20 + l4len + plen);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (void *)(ip + 1);

		u->src_port = rte_cpu_to_be_16(1234);
		u->dst_port = rte_cpu_to_be_16(5678);
		u->dgram_len = rte_cpu_to_be_16(l4len + plen);
		field = (uint16_t *)((uint8_t *)u +
			offsetof(struct rte_udp_hdr, dgram_cksum));
	} else {
		struct rte_tcp_hdr *t = (void *)(ip + 1);

		t->src_port = rte_cpu_to_be_16(1234);
		t->data_off = 5 << 4;
		field = (uint16_t *)((uint8_t *)t +
			offsetof(struct rte_tcp_hdr, cksum));
	}
	payload((uint8_t *)(ip + 1) + l4len, plen);
	want = rte_ipv4_udptcp_cksum(ip, ip + 1);
	/* What a Linux sender leaves: the folded pseudo-header sum. */
	*field = rte_ipv4_phdr_cksum(ip, 0);
	snprintf(name, sizeof(name), "ipv4 %s%s", proto == IPPROTO_TCP ?
		"tcp" : "udp", vlan ? " vlan" : "");
	CHECK(xennet_csum_complete(&mb) && *field == want && mb.ol_flags == 0,
	      name);
}

static void
test_ipv6_tcp(void)
{
	uint32_t plen = 1000, l4len = sizeof(struct rte_tcp_hdr);
	uint32_t len = sizeof(struct rte_ether_hdr) + 40 + l4len + plen;
	uint8_t *f = frame_init(len);
	struct rte_ether_hdr *eh = (void *)f;
	struct rte_ipv6_hdr *ip = (void *)(eh + 1);
	struct rte_tcp_hdr *t = (void *)(ip + 1);
	uint16_t want;

	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(l4len + plen);
	ip->proto = IPPROTO_TCP;
	ip->hop_limits = 64;
	ip->src_addr[15] = 1;
	ip->dst_addr[15] = 2;
	t->data_off = 5 << 4;
	payload((uint8_t *)(t + 1), plen);
	want = rte_ipv6_udptcp_cksum(ip, t);
	t->cksum = rte_ipv6_phdr_cksum(ip, 0);
	CHECK(xennet_csum_complete(&mb) && t->cksum == want, "ipv6 tcp");
}

static void
test_not_l4(void)
{
	uint8_t *f = frame_init(60);
	struct rte_ether_hdr *eh = (void *)f;

	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	CHECK(!xennet_csum_complete(&mb) && mb.ol_flags == 0,
		"arp is left alone");
	/* truncated: IPv4 header claims TCP but the frame ends early */
	f = frame_init(sizeof(struct rte_ether_hdr) + 20 + 4);
	eh = (void *)f;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	((struct rte_ipv4_hdr *)(eh + 1))->version_ihl = RTE_IPV4_VHL_DEF;
	((struct rte_ipv4_hdr *)(eh + 1))->next_proto_id = IPPROTO_TCP;
	CHECK(!xennet_csum_complete(&mb), "truncated tcp is refused");
}

/*
 * Malformed csum_blank frames, found by tests/fuzz/fuzz_csum: each must be
 * refused (false), with the frame and ol_flags left as they were.
 */

/* A frame of @len bytes that ends where an inaccessible page starts, so
 * that a read past the frame faults.
 */
static uint8_t *
frame_guarded(uint32_t len)
{
	static uint8_t *base;

	if (base == NULL) {
		base = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED ||
		    mprotect(base + 4096, 4096, PROT_NONE) != 0)
			abort();
	}
	memset(&mb, 0, sizeof(mb));
	memset(base, 0, 4096);
	mb.buf_addr = base + 4096 - len - RTE_PKTMBUF_HEADROOM;
	mb.buf_len = RTE_PKTMBUF_HEADROOM + len;
	mb.data_off = RTE_PKTMBUF_HEADROOM;
	mb.data_len = len;
	mb.pkt_len = len;
	mb.nb_segs = 1;
	return base + 4096 - len;
}

/* xennet_csum_complete(&mb) in a child: 0 refused, 1 completed, -1 it
 * crashed (read past the frame).
 */
static int
complete_in_child(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(xennet_csum_complete(&mb) ? 1 : 0);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_short_frames(void)
{
	uint32_t len;
	uint8_t *f;
	int bad = 0;

	/* a frontend takes frames of 1 byte on (status > 0) */
	for (len = 1; len < sizeof(struct rte_ether_hdr); len++) {
		frame_guarded(len);
		bad += complete_in_child() != 0;
	}
	CHECK(bad == 0, "frames shorter than an Ethernet header: "
		"refused without a read past them");
	for (len = sizeof(struct rte_ether_hdr);
	     len < sizeof(struct rte_ether_hdr) + sizeof(struct rte_vlan_hdr);
	     len++) {
		f = frame_guarded(len);
		f[12] = 0x81;
		f[13] = 0x00;
		bad += complete_in_child() != 0;
	}
	CHECK(bad == 0, "VLAN tag cut short: refused without a read past it");
}

/* An IPv4 TCP or UDP frame of 100 payload bytes; *ipp its IP header. */
static uint32_t
frame_ipv4(uint8_t proto, struct rte_ipv4_hdr **ipp)
{
	uint32_t l4len = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
		sizeof(struct rte_udp_hdr);
	uint32_t plen = 100, len = sizeof(struct rte_ether_hdr) + 20 +
		l4len + plen;
	uint8_t *f = frame_init(len);
	struct rte_ether_hdr *eh = (void *)f;
	struct rte_ipv4_hdr *ip = (void *)(eh + 1);

	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(20 + l4len + plen);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	if (proto == IPPROTO_TCP)
		((struct rte_tcp_hdr *)(ip + 1))->data_off = 5 << 4;
	payload((uint8_t *)(ip + 1) + l4len, plen);
	*ipp = ip;
	return len;
}

/* Refused, and the frame and ol_flags as they were. */
static bool
refused_untouched(uint32_t len)
{
	static uint8_t copy[sizeof(buf)];
	uint8_t *f = buf + RTE_PKTMBUF_HEADROOM;

	memcpy(copy, f, len);
	return !xennet_csum_complete(&mb) && mb.ol_flags == 0 &&
		memcmp(copy, f, len) == 0;
}

static void
test_malformed_ip(void)
{
	struct rte_ipv4_hdr *ip;
	struct rte_ipv6_hdr *ip6;
	uint32_t len, ihl;
	uint8_t *f;
	int bad;

	/* a fragment's L4 checksum covers the whole datagram: Linux
	 * netback refuses fragments (skb_checksum_setup_ipv4)
	 */
	len = frame_ipv4(IPPROTO_UDP, &ip);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	CHECK(refused_untouched(len), "ipv4 first fragment (MF) is refused");
	len = frame_ipv4(IPPROTO_UDP, &ip);
	ip->fragment_offset = rte_cpu_to_be_16(185);
	CHECK(refused_untouched(len), "ipv4 later fragment is refused");

	/* IHL below 5 puts the "L4 header" inside the IP header: the
	 * checksum would be written over it (TCP: over the dst address)
	 */
	for (bad = 0, ihl = 0; ihl < 5; ihl++) {
		len = frame_ipv4(IPPROTO_TCP, &ip);
		ip->version_ihl = 0x40 | ihl;
		bad += !refused_untouched(len);
	}
	CHECK(bad == 0, "ipv4 IHL below 5 is refused");

	/* IP lengths past the frame or below the L4 header: DPDK's
	 * rte_ipv4/6_udptcp_cksum_mbuf() return a dummy 0, which would be
	 * written as 0xffff
	 */
	len = frame_ipv4(IPPROTO_TCP, &ip);
	ip->total_length = rte_cpu_to_be_16(len - 14 + 50);
	CHECK(refused_untouched(len), "ipv4 total length past the frame "
		"is refused");
	len = frame_ipv4(IPPROTO_TCP, &ip);
	ip->total_length = rte_cpu_to_be_16(10);
	CHECK(refused_untouched(len), "ipv4 total length below the IP "
		"header is refused");
	len = frame_ipv4(IPPROTO_UDP, &ip);
	ip->total_length = rte_cpu_to_be_16(20 + 4);
	CHECK(refused_untouched(len), "ipv4 total length below the UDP "
		"header is refused");

	len = sizeof(struct rte_ether_hdr) + 40 + 8 + 100;
	f = frame_init(len);
	((struct rte_ether_hdr *)f)->ether_type =
		rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6 = (void *)(f + sizeof(struct rte_ether_hdr));
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(8 + 100 + 50);
	ip6->proto = IPPROTO_UDP;
	CHECK(refused_untouched(len), "ipv6 payload length past the frame "
		"is refused");
}

int
main(void)
{
	test_ipv4(IPPROTO_UDP, false);
	test_ipv4(IPPROTO_TCP, false);
	test_ipv4(IPPROTO_TCP, true);
	test_ipv6_tcp();
	test_not_l4();
	test_short_frames();
	test_malformed_ip();
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
