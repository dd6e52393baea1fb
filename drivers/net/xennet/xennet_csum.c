/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <string.h>

#include "xennet_ring.h"

/*
 * Compute the TCP/UDP checksum of a frame in place, whatever its checksum
 * field holds: the pseudo-header sum a peer's csum_blank frame leaves
 * there (Linux CHECKSUM_PARTIAL), or the one DPDK's Tx offload convention
 * puts there for a peer that cannot take partial checksums.
 */
bool
xennet_csum_complete(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t l3 = sizeof(*eh);
	uint32_t l4, l4_len, ip_len;
	uint16_t type;
	uint8_t proto;
	uint16_t *field;
	void *ip;

	/* a frontend takes frames of any length: look only inside it */
	if (m->data_len < sizeof(*eh))
		goto unknown;
	/* byte copies: a frame need not start 2-byte aligned */
	memcpy(&type, (uint8_t *)eh + offsetof(struct rte_ether_hdr,
		ether_type), sizeof(type));
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		if (m->data_len < sizeof(*eh) + sizeof(struct rte_vlan_hdr))
			goto unknown;
		memcpy(&type, (uint8_t *)eh + sizeof(*eh) +
			offsetof(struct rte_vlan_hdr, eth_proto), sizeof(type));
		l3 += sizeof(struct rte_vlan_hdr);
	}
	ip = rte_pktmbuf_mtod_offset(m, void *, l3);
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	    m->data_len >= l3 + sizeof(struct rte_ipv4_hdr)) {
		struct rte_ipv4_hdr *h = ip;
		uint32_t ihl = rte_ipv4_hdr_len(h);

		/* as Linux netback (skb_checksum_setup_ipv4): no
		 * fragments; and a header of at least 20 bytes
		 */
		if (ihl < sizeof(*h) ||
		    (rte_be_to_cpu_16(h->fragment_offset) &
		     (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
			goto unknown;
		ip_len = rte_be_to_cpu_16(h->total_length);
		if (ip_len < ihl)
			goto unknown;
		ip_len -= ihl;
		proto = h->next_proto_id;
		l4 = l3 + ihl;
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
		   m->data_len >= l3 + sizeof(struct rte_ipv6_hdr)) {
		proto = ((struct rte_ipv6_hdr *)ip)->proto;
		ip_len = rte_be_to_cpu_16(((struct rte_ipv6_hdr *)ip)->payload_len);
		l4 = l3 + sizeof(struct rte_ipv6_hdr);
	} else {
		goto unknown;
	}
	if (proto == IPPROTO_TCP)
		l4_len = sizeof(struct rte_tcp_hdr);
	else if (proto == IPPROTO_UDP)
		l4_len = sizeof(struct rte_udp_hdr);
	else
		goto unknown;
	/* The checksum helpers sum the L4 length the IP header declares and
	 * return a dummy 0 (written as 0xffff) when it is not in the mbuf.
	 */
	if (m->data_len < l4 + l4_len || ip_len < l4_len ||
	    l4 + ip_len > m->pkt_len)
		goto unknown;
	field = rte_pktmbuf_mtod_offset(m, uint16_t *, l4 +
		(proto == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum) :
					offsetof(struct rte_udp_hdr, dgram_cksum)));
	*field = 0;
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		*field = rte_ipv4_udptcp_cksum_mbuf(m, ip, l4);
	else
		*field = rte_ipv6_udptcp_cksum_mbuf(m, ip, l4);
	return true;
unknown:
	return false;
}

