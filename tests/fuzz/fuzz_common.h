/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The xennet authors
 */

/*
 * Helpers shared by the libFuzzer targets: reading fields out of the fuzz
 * input (little-endian, zeros once it runs out) and invariant checks that
 * abort(), which libFuzzer reports as a crash with the input saved.
 */

#ifndef _XENNET_FUZZ_COMMON_H_
#define _XENNET_FUZZ_COMMON_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant violated: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline void
fuzz_bytes(struct fuzz_in *in, void *dst, size_t len)
{
	size_t k = len < in->n ? len : in->n;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, len - k);
	in->p += k;
	in->n -= k;
}

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_bytes(in, &v, 1);
	return v;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint8_t b[2];

	fuzz_bytes(in, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint8_t b[4];

	fuzz_bytes(in, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 |
		(uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A buffer of exactly @len bytes on the heap, so that ASan sees any access
 * past its end (a static buffer would hide overruns into its neighbours).
 */
static inline void *
fuzz_alloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (p == NULL)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* _XENNET_FUZZ_COMMON_H_ */
