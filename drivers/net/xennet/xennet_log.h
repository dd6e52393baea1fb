/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

#ifndef _XENNET_LOG_H_
#define _XENNET_LOG_H_

#include <rte_cycles.h>
#include <rte_log.h>

extern int xennet_logtype;

#define XN_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, xennet_logtype, "%s(): " fmt "\n", \
		__func__, ##__VA_ARGS__)

/*
 * Peers control how often the datapath hits an error: log at most once a
 * second per call site, and say how many were suppressed.
 */
#define XN_LOG_RL(level, fmt, ...) do { \
	static uint64_t xn_rl_next; \
	static uint64_t xn_rl_missed; \
	uint64_t xn_rl_now = rte_get_timer_cycles(); \
	if (xn_rl_now >= xn_rl_next) { \
		XN_LOG(level, fmt " (%" PRIu64 " similar suppressed)", \
			##__VA_ARGS__, xn_rl_missed); \
		xn_rl_missed = 0; \
		xn_rl_next = xn_rl_now + rte_get_timer_hz(); \
	} else { \
		xn_rl_missed++; \
	} \
} while (0)

#endif /* _XENNET_LOG_H_ */
