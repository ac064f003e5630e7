/* SPDX-License-Identifier: MIT */
/*
 * map_bloom.c - BLOOM_FILTER, as Linux's bloom_filter.c: no keys, values
 * of value_size bytes are pushed (set k bits) and peeked (0: maybe there,
 * -ENOENT: surely not).  k = map_extra (1..15; 0 means 5).  The bit array
 * holds max_entries * k / ln 2 bits (Linux's 7/5 for 1/ln 2) rounded up
 * to a power of two, at least 64, at most 2^32; the bit for hash i is
 * jhash(value, seed + i) & mask, with jhash2 over 32-bit words when
 * value_size is a multiple of 4, as Linux does.  The seed is random unless
 * BPF_F_ZERO_SEED and lives in shared memory so every process agrees.
 *
 * Bits are only ever set (atomic or), so pushes and peeks take no lock;
 * nothing is removed (delete and pop are -EOPNOTSUPP, as on Linux).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "maps/map.h"

struct bloom_state {
	uint32_t nr_hash;
	uint32_t seed;
	uint64_t mask;		/* bits - 1 */
};

_Static_assert(sizeof(struct bloom_state) <= sizeof(((struct ub_map_hdr *)0)->type_state),
	       "bloom state fits the header");

static struct bloom_state *bs(struct userbpf_map *m)
{
	return (struct bloom_state *)m->hdr->type_state;
}

static uint32_t nr_hash_of(const struct ub_map_def *def)
{
	return (def->extra & 0xf) ? (uint32_t)(def->extra & 0xf) : 5;
}

/* Linux's sizing: the mask of the bit array. */
static uint64_t bits_mask(const struct ub_map_def *def)
{
	uint64_t nr_bits = (uint64_t)def->max_entries * nr_hash_of(def);

	if (nr_bits > UINT32_MAX)
		return UINT32_MAX;
	nr_bits = nr_bits / 5 * 7;
	if (nr_bits > UINT32_MAX || nr_bits > (1ull << 31))
		return UINT32_MAX;
	if (nr_bits <= 64)
		return 63;
	{
		uint64_t p = 64;

		while (p < nr_bits)
			p <<= 1;
		return p - 1;
	}
}

static int bloom_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	const uint32_t ok = UB_F_ZERO_SEED | UB_F_RDONLY | UB_F_WRONLY | UB_F_RDONLY_PROG |
			    UB_F_WRONLY_PROG;

	if (def->key_size != 0 || def->value_size == 0 || def->max_entries == 0 ||
	    (def->map_flags & ~ok) || (def->extra & ~(uint64_t)0xf)) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': a bloom filter needs key_size 0, value_size > 0, max_entries > 0 and map_extra (hash count) 0..15",
		       def->name);
		return -EINVAL;
	}
	if (def->spin_lock_off >= 0) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': a bloom filter cannot hold a bpf_spin_lock",
		       def->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static size_t bloom_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	(void)ncpus;
	/* (mask + 1) bits, whole 64-bit words. */
	return (size_t)((bits_mask(def) >> 6) + 1) * 8;
}

static int bloom_init(struct userbpf_map *m)
{
	struct bloom_state *s = bs(m);

	s->nr_hash = nr_hash_of(&m->def);
	s->mask = bits_mask(&m->def);
	if (!(m->def.map_flags & UB_F_ZERO_SEED)) {
		uint64_t r = ub_os_random_seed();

		if (ub_os_random(&s->seed, sizeof(s->seed)))
			s->seed = (uint32_t)(r ^ (r >> 32));
	}
	return 0;
}

static int bloom_attach(struct userbpf_map *m)
{
	struct bloom_state *s = bs(m);

	return s->nr_hash == nr_hash_of(&m->def) && s->mask == bits_mask(&m->def) ? 0 : -EINVAL;
}

/* ---- Bob Jenkins' lookup3 hash, as the kernel's jhash/jhash2 -------- */

static uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

#define JHASH_MIX(a, b, c)                                    \
	do {                                                  \
		a -= c; a ^= rol32(c, 4);  c += b;            \
		b -= a; b ^= rol32(a, 6);  a += c;            \
		c -= b; c ^= rol32(b, 8);  b += a;            \
		a -= c; a ^= rol32(c, 16); c += b;            \
		b -= a; b ^= rol32(a, 19); a += c;            \
		c -= b; c ^= rol32(b, 4);  b += a;            \
	} while (0)

#define JHASH_FINAL(a, b, c)                                  \
	do {                                                  \
		c ^= b; c -= rol32(b, 14);                    \
		a ^= c; a -= rol32(c, 11);                    \
		b ^= a; b -= rol32(a, 25);                    \
		c ^= b; c -= rol32(b, 16);                    \
		a ^= c; a -= rol32(c, 4);                     \
		b ^= a; b -= rol32(a, 14);                    \
		c ^= b; c -= rol32(b, 24);                    \
	} while (0)

#define JHASH_INITVAL 0xdeadbeefu

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* jhash2: over n 32-bit words (host order). */
static uint32_t jhash2(const uint8_t *k, uint32_t n, uint32_t initval)
{
	uint32_t a, b, c;

	a = b = c = JHASH_INITVAL + (n << 2) + initval;
	while (n > 3) {
		a += get_le32(k);
		b += get_le32(k + 4);
		c += get_le32(k + 8);
		JHASH_MIX(a, b, c);
		n -= 3;
		k += 12;
	}
	switch (n) {
	case 3: c += get_le32(k + 8); /* fall through */
	case 2: b += get_le32(k + 4); /* fall through */
	case 1: a += get_le32(k);
		JHASH_FINAL(a, b, c);
		break;
	case 0:
		break;
	}
	return c;
}

/* jhash: over bytes, the tail added as little-endian bytes. */
static uint32_t jhash(const uint8_t *k, uint32_t len, uint32_t initval)
{
	uint32_t a, b, c;

	a = b = c = JHASH_INITVAL + len + initval;
	while (len > 12) {
		a += k[0] + ((uint32_t)k[1] << 8) + ((uint32_t)k[2] << 16) + ((uint32_t)k[3] << 24);
		b += k[4] + ((uint32_t)k[5] << 8) + ((uint32_t)k[6] << 16) + ((uint32_t)k[7] << 24);
		c += k[8] + ((uint32_t)k[9] << 8) + ((uint32_t)k[10] << 16) + ((uint32_t)k[11] << 24);
		JHASH_MIX(a, b, c);
		len -= 12;
		k += 12;
	}
	switch (len) {
	case 12: c += (uint32_t)k[11] << 24; /* fall through */
	case 11: c += (uint32_t)k[10] << 16; /* fall through */
	case 10: c += (uint32_t)k[9] << 8; /* fall through */
	case 9: c += k[8]; /* fall through */
	case 8: b += (uint32_t)k[7] << 24; /* fall through */
	case 7: b += (uint32_t)k[6] << 16; /* fall through */
	case 6: b += (uint32_t)k[5] << 8; /* fall through */
	case 5: b += k[4]; /* fall through */
	case 4: a += (uint32_t)k[3] << 24; /* fall through */
	case 3: a += (uint32_t)k[2] << 16; /* fall through */
	case 2: a += (uint32_t)k[1] << 8; /* fall through */
	case 1: a += k[0];
		JHASH_FINAL(a, b, c);
		break;
	case 0:
		break;
	}
	return c;
}

static uint64_t bit_of(struct userbpf_map *m, const void *value, uint32_t i)
{
	const struct bloom_state *s = bs(m);
	uint32_t vs = m->def.value_size, h;

	if (vs % 4 == 0)
		h = jhash2(value, vs / 4, s->seed + i);
	else
		h = jhash(value, vs, s->seed + i);
	return h & s->mask;
}

static _Atomic uint64_t *word_of(struct userbpf_map *m, uint64_t bit)
{
	return (_Atomic uint64_t *)(m->data + (bit >> 6) * 8);
}

static long bloom_push(struct userbpf_map *m, const void *value, uint64_t flags)
{
	uint32_t k = bs(m)->nr_hash;

	if (flags != UB_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < k; i++) {
		uint64_t b = bit_of(m, value, i);
		_Atomic uint64_t *w = word_of(m, b);
		uint64_t bit = 1ull << (b & 63);

		if (!(atomic_load_explicit(w, memory_order_relaxed) & bit))
			atomic_fetch_or_explicit(w, bit, memory_order_relaxed);
	}
	return 0;
}

static long bloom_peek(struct userbpf_map *m, void *value)
{
	uint32_t k = bs(m)->nr_hash;

	for (uint32_t i = 0; i < k; i++) {
		uint64_t b = bit_of(m, value, i);

		if (!(atomic_load_explicit(word_of(m, b), memory_order_relaxed) &
		      (1ull << (b & 63))))
			return -ENOENT;
	}
	return 0;
}

static long bloom_pop(struct userbpf_map *m, void *value)
{
	(void)m;
	(void)value;
	return -EOPNOTSUPP;
}

static long bloom_delete(struct userbpf_map *m, const void *key)
{
	(void)m;
	(void)key;
	return -EOPNOTSUPP;
}

static int bloom_lookup_user(struct userbpf_map *m, const void *key, void *value,
			     uint64_t flags)
{
	if (key || flags)
		return -EINVAL;
	return (int)bloom_peek(m, value);
}

static int bloom_update_user(struct userbpf_map *m, const void *key, const void *value,
			     uint64_t flags)
{
	if (key)
		return -EINVAL;
	return (int)bloom_push(m, value, flags);
}

static int bloom_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	(void)m;
	(void)key;
	(void)next_key;
	return -EOPNOTSUPP;
}

static int bloom_lookup_and_delete(struct userbpf_map *m, const void *key, void *value)
{
	(void)m;
	(void)value;
	return key ? -EINVAL : -UB_ENOTSUPP;
}

const struct ub_map_ops ub_map_bloom_ops = {
	.check = bloom_check,
	.data_size = bloom_data_size,
	.init = bloom_init,
	.attach = bloom_attach,
	.delete = bloom_delete,
	.push = bloom_push,
	.pop = bloom_pop,
	.peek = bloom_peek,
	.lookup_user = bloom_lookup_user,
	.update_user = bloom_update_user,
	.get_next_key = bloom_get_next_key,
	.lookup_and_delete = bloom_lookup_and_delete,
};
