/* SPDX-License-Identifier: MIT */
/*
 * tl_rng.h - the seeded random numbers of the generating tests
 * (splitmix64): the same seed gives the same programs on every machine,
 * so a reported seed and index reproduce a failure.
 */
#ifndef USERBPF_TL_RNG_H
#define USERBPF_TL_RNG_H

#include <stdint.h>

struct tl_rng {
	uint64_t s;
};

static inline uint64_t tl_rnd(struct tl_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n), n > 0. */
static inline uint32_t tl_rn(struct tl_rng *r, uint32_t n)
{
	return (uint32_t)(tl_rnd(r) % n);
}

#endif
