/* SPDX-License-Identifier: MIT */
/*
 * map_perf.c - PERF_EVENT_ARRAY: one perf-style ring per entry (per CPU),
 * written by bpf_perf_event_output (ub_perf_output) and read by a
 * consumer (ub_perf_consume), all in the map's shared memory.
 *
 * On Linux the map holds perf event fds and each event owns an mmap ring;
 * here the rings are the map.  From the start of the file, after page 0
 * (the map header), entry i's ring is a header page laid out as struct
 * perf_event_mmap_page (data_head at 1024, data_tail at 1032, data_offset
 * at 1040, data_size at 1048; our private lock, lost count and slot value
 * at 2048..) and then 2^k data pages (map_extra pages when set, else 16).
 * Records are perf's: a struct perf_event_header {u32 type, u16 misc,
 * u16 size}, then for PERF_RECORD_SAMPLE a u32 size and the raw bytes
 * padded with zeros to 8 (the size counts the padding, as perf's does);
 * PERF_RECORD_LOST is {header, u64 id, u64 lost}.  Records wrap around the
 * end of the data area, as perf's do.
 *
 * Producers of one ring serialise on its spin lock (Linux relies on
 * writing from its own CPU only; threads here may share a CPU).  A record
 * that does not fit counts one loss and returns -ENOSPC; the next record
 * that fits is preceded by a LOST record with the count, as perf does.
 * One consumer per ring.  Differences from Linux: output does not need a
 * perf event fd in the slot and accepts any index below max_entries (Linux
 * wants the current CPU's); max_entries 0 means one ring per CPU (what
 * libbpf asks for); the slot values user space writes are only kept.
 *
 * Wake-ups (wake.h): one word for all rings, in the map header's
 * type_state (after struct perf_state's fields, which no one writes after
 * init); output wakes a consumer that said it sleeps, after publishing
 * data_head, as perf with wakeup_events 1 (what libbpf asks for) does.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include "maps/map.h"
#include "maps/wake.h"
#ifndef _WIN32
#include <unistd.h>
#endif

#define PERF_RECORD_LOST 2
#define PERF_RECORD_SAMPLE 9
#define PERF_RECORD_MISC_USER 2
#define PERF_DEFAULT_PAGES 16
#define PERF_MAX_PAGES (1u << 16)

/* The header page (perf_event_mmap_page's offsets). */
#define OFF_DATA_HEAD 1024
#define OFF_DATA_TAIL 1032
#define OFF_DATA_OFFSET 1040
#define OFF_DATA_SIZE 1048
#define OFF_LOCK 2048
#define OFF_LOST 2056
#define OFF_VALUE 2064
#define OFF_VALUE_SET 2068

struct perf_state {
	uint32_t page;
	uint32_t npages;	/* data pages per ring */
	uint64_t ring_bytes;	/* header page + data */
	uint8_t pad[48];
	struct ub_wake wake;	/* at 64: a cache line of its own */
};

_Static_assert(sizeof(struct perf_state) <= sizeof(((struct ub_map_hdr *)0)->type_state),
	       "perf state fits the header");

struct perf_header {
	uint32_t type;
	uint16_t misc;
	uint16_t size;
};

static size_t page_size(void)
{
#ifndef _WIN32
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
#else
	return 4096;
#endif
}

static size_t doff(void)
{
	return (sizeof(struct ub_map_hdr) + 63) & ~(size_t)63;
}

static uint32_t npages_of(const struct ub_map_def *def)
{
	return def->extra ? (uint32_t)def->extra : PERF_DEFAULT_PAGES;
}

static uint32_t nrings_of(const struct ub_map_def *def, unsigned ncpus)
{
	return def->max_entries ? def->max_entries : ncpus;
}

static int perf_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	const uint32_t ok = UB_F_RDONLY | UB_F_WRONLY | UB_F_INNER_MAP;

	if (def->key_size != 4 || def->value_size != 4 || (def->map_flags & ~ok)) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': a perf_event_array needs key_size 4, value_size 4 and no flags but access ones (got %u, %u, 0x%x)",
		       def->name, def->key_size, def->value_size, def->map_flags);
		return -EINVAL;
	}
	if (def->extra > PERF_MAX_PAGES || (def->extra & (def->extra - 1))) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': map_extra (data pages per ring) must be a power of 2 up to %u",
		       def->name, PERF_MAX_PAGES);
		return -EINVAL;
	}
	if (def->max_entries > 4096) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': %u perf rings are too many", def->name,
		       def->max_entries);
		return -E2BIG;
	}
	return 0;
}

static size_t perf_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	size_t pg = page_size();

	return pg - doff() + (size_t)nrings_of(def, ncpus) * (1 + npages_of(def)) * pg;
}

static struct perf_state *ps(struct userbpf_map *m)
{
	return (struct perf_state *)m->hdr->type_state;
}

static uint8_t *ring(struct userbpf_map *m, uint32_t i)
{
	struct perf_state *s = ps(m);

	return (uint8_t *)m->hdr + s->page + (size_t)i * s->ring_bytes;
}

static _Atomic uint64_t *field64(uint8_t *r, size_t off)
{
	return (_Atomic uint64_t *)(r + off);
}

static uint64_t data_bytes(struct userbpf_map *m)
{
	return (uint64_t)ps(m)->npages * ps(m)->page;
}

static int perf_init(struct userbpf_map *m)
{
	struct perf_state *s = ps(m);
	uint32_t n = nrings_of(&m->def, m->ncpus);

	s->page = (uint32_t)page_size();
	s->npages = npages_of(&m->def);
	s->ring_bytes = (uint64_t)(1 + s->npages) * s->page;
	/* max_entries 0: one ring per CPU, from now on in the header. */
	m->def.max_entries = n;
	m->hdr->max_entries = n;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *r = ring(m, i);

		atomic_store(field64(r, OFF_DATA_OFFSET), s->page);
		atomic_store(field64(r, OFF_DATA_SIZE), data_bytes(m));
	}
	return 0;
}

static int perf_attach(struct userbpf_map *m)
{
	struct perf_state *s = ps(m);

	if (s->page != page_size() || s->npages != npages_of(&m->def) ||
	    s->ring_bytes != (uint64_t)(1 + s->npages) * s->page || m->def.max_entries == 0 ||
	    m->hdr->data_off != doff()) {
		ub_log(m->rt, USERBPF_LOG_WARN,
		       "map '%s': the perf_event_array's header does not match its layout",
		       m->def.name);
		return -EINVAL;
	}
	return 0;
}

/* Copies len bytes to the data area at position pos, wrapping. */
static void ring_write(uint8_t *data, uint64_t size, uint64_t pos, const void *src, size_t len)
{
	size_t off = (size_t)(pos & (size - 1)), first = len;

	if (first > size - off)
		first = size - off;
	memcpy(data + off, src, first);
	memcpy(data, (const uint8_t *)src + first, len - first);
}

static void ring_zero(uint8_t *data, uint64_t size, uint64_t pos, size_t len)
{
	static const uint8_t zeros[8];

	ring_write(data, size, pos, zeros, len);
}

long ub_perf_output(struct userbpf_map *m, uint64_t flags, const void *data, uint64_t size)
{
	return ub_perf_output2(m, flags, data, size, NULL, 0);
}

long ub_perf_output2(struct userbpf_map *m, uint64_t flags, const void *data, uint64_t size,
		     const void *extra, uint64_t extra_size)
{
	uint64_t idx = flags & UB_F_INDEX_MASK, head, tail, lost, need, dsize, rec;
	uint8_t *r, *d;
	uint32_t *lock;
	long err = 0;

	if (m->def.type != UB_MAP_PERF_EVENT_ARRAY || (flags & ~UB_F_INDEX_MASK))
		return -EINVAL;
	if (idx == UB_F_CURRENT_CPU)
		idx = ub_os_cpu();
	if (idx >= m->def.max_entries)
		return -E2BIG;
	if (extra_size > UINT16_MAX)
		return -E2BIG;
	rec = sizeof(struct perf_header) + ((size + extra_size + 4 + 7) & ~(uint64_t)7);
	if (rec > UINT16_MAX)
		return -E2BIG;		/* perf's header cannot say the size */
	if (m->readonly)
		return -EPERM;
	r = ring(m, (uint32_t)idx);
	d = r + ps(m)->page;
	dsize = data_bytes(m);
	lock = (uint32_t *)(r + OFF_LOCK);
	ub_map_spin_lock(lock);
	head = atomic_load_explicit(field64(r, OFF_DATA_HEAD), memory_order_relaxed);
	tail = atomic_load_explicit(field64(r, OFF_DATA_TAIL), memory_order_acquire);
	lost = atomic_load_explicit(field64(r, OFF_LOST), memory_order_relaxed);
	need = rec + (lost ? 24 : 0);
	if (head - tail > dsize || need > dsize - (head - tail)) {
		atomic_store_explicit(field64(r, OFF_LOST), lost + 1, memory_order_relaxed);
		err = -ENOSPC;
		goto out;
	}
	if (lost) {
		struct perf_header lh = { PERF_RECORD_LOST, 0, 24 };
		uint64_t body[2] = { 0, lost };

		ring_write(d, dsize, head, &lh, sizeof(lh));
		ring_write(d, dsize, head + 8, body, sizeof(body));
		head += 24;
		atomic_store_explicit(field64(r, OFF_LOST), 0, memory_order_relaxed);
	}
	{
		struct perf_header sh = { PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, (uint16_t)rec };
		uint32_t raw = (uint32_t)(rec - sizeof(sh) - 4);

		ring_write(d, dsize, head, &sh, sizeof(sh));
		ring_write(d, dsize, head + 8, &raw, 4);
		ring_write(d, dsize, head + 12, data, (size_t)size);
		if (extra_size)
			ring_write(d, dsize, head + 12 + size, extra, (size_t)extra_size);
		ring_zero(d, dsize, head + 12 + size + extra_size, raw - (size_t)(size + extra_size));
		head += rec;
	}
	/* seq_cst: the consumer arms, then reads data_head (wake.h) */
	atomic_store_explicit(field64(r, OFF_DATA_HEAD), head, memory_order_seq_cst);
out:
	ub_map_spin_unlock(lock);
	if (!err)
		ub_wake_producer(&ps(m)->wake, false);
	return err;
}

int ub_perf_consume(struct userbpf_map *m, uint32_t cpu, ub_perf_sample_fn sample,
		    ub_perf_lost_fn lost, void *ctx)
{
	uint64_t head, tail, dsize;
	uint8_t *r, *d, *scratch = NULL;
	int cnt = 0;

	if (m->def.type != UB_MAP_PERF_EVENT_ARRAY || cpu >= m->def.max_entries)
		return -EINVAL;
	if (m->readonly)
		return -EPERM;
	r = ring(m, cpu);
	d = r + ps(m)->page;
	dsize = data_bytes(m);
	head = atomic_load_explicit(field64(r, OFF_DATA_HEAD), memory_order_acquire);
	tail = atomic_load_explicit(field64(r, OFF_DATA_TAIL), memory_order_relaxed);
	while (tail < head) {
		size_t off = (size_t)(tail & (dsize - 1));
		struct perf_header h;
		uint8_t *rec = d + off;

		memcpy(&h, rec, sizeof(h));	/* 8-aligned: never wraps */
		if (h.size < sizeof(h) || (h.size & 7) || h.size > head - tail) {
			cnt = -EINVAL;		/* a damaged ring */
			break;
		}
		if (off + h.size > dsize) {
			/* Wraps: hand it over contiguous, as libbpf does. */
			if (!scratch)
				scratch = ub_malloc(m->rt, UINT16_MAX + 1);
			if (!scratch) {
				cnt = -ENOMEM;
				break;
			}
			memcpy(scratch, rec, dsize - off);
			memcpy(scratch + (dsize - off), d, h.size - (dsize - off));
			rec = scratch;
		}
		if (h.type == PERF_RECORD_SAMPLE && h.size >= 12 && sample) {
			uint32_t raw;

			memcpy(&raw, rec + 8, 4);
			if (raw <= h.size - 12u)
				sample(ctx, (int)cpu, rec + 12, raw);
		} else if (h.type == PERF_RECORD_LOST && h.size >= 24 && lost) {
			uint64_t n;

			memcpy(&n, rec + 16, 8);
			lost(ctx, (int)cpu, n);
		}
		tail += h.size;
		cnt++;
	}
	atomic_store_explicit(field64(r, OFF_DATA_TAIL), tail, memory_order_release);
	ub_free(m->rt, scratch);
	return cnt;
}

struct ub_wake *ub_perf_wake(struct userbpf_map *m)
{
	return &ps(m)->wake;
}

bool ub_perf_ready(struct userbpf_map *m)
{
	for (uint32_t i = 0; i < m->def.max_entries; i++) {
		uint8_t *r = ring(m, i);

		if (atomic_load_explicit(field64(r, OFF_DATA_HEAD), memory_order_seq_cst) !=
		    atomic_load_explicit(field64(r, OFF_DATA_TAIL), memory_order_relaxed))
			return true;
	}
	return false;
}

/* ---- user side: the slots hold what user space writes --------------------- */

static int perf_lookup_user(struct userbpf_map *m, const void *key, void *value,
			    uint64_t flags)
{
	(void)m;
	(void)key;
	(void)value;
	(void)flags;
	return -UB_ENOTSUPP;		/* bpf(2): fd arrays cannot be read */
}

static int perf_update_user(struct userbpf_map *m, const void *key, const void *value,
			    uint64_t flags)
{
	uint32_t i, v;
	uint8_t *r;

	if (!key || !value)
		return -EFAULT;
	memcpy(&i, key, 4);
	memcpy(&v, value, 4);
	if (flags != UB_ANY)
		return -EINVAL;
	if (i >= m->def.max_entries)
		return -E2BIG;
	r = ring(m, i);
	ub_map_spin_lock((uint32_t *)(r + OFF_LOCK));
	memcpy(r + OFF_VALUE, &v, 4);
	atomic_store((_Atomic uint32_t *)(r + OFF_VALUE_SET), 1);
	ub_map_spin_unlock((uint32_t *)(r + OFF_LOCK));
	return 0;
}

static long perf_delete(struct userbpf_map *m, const void *key)
{
	uint32_t i;

	if (!key)
		return -EFAULT;
	memcpy(&i, key, 4);
	if (i >= m->def.max_entries)
		return -E2BIG;
	return atomic_exchange((_Atomic uint32_t *)(ring(m, i) + OFF_VALUE_SET), 0) ? 0 : -ENOENT;
}

static int perf_get_next_key(struct userbpf_map *m, const void *key, void *next_key)
{
	uint32_t i, n;

	if (!key) {
		n = 0;
	} else {
		memcpy(&i, key, 4);
		if (i >= m->def.max_entries)
			n = 0;
		else if (i == m->def.max_entries - 1)
			return -ENOENT;
		else
			n = i + 1;
	}
	memcpy(next_key, &n, 4);
	return 0;
}

const struct ub_map_ops ub_map_perf_event_array_ops = {
	.check = perf_check,
	.data_size = perf_data_size,
	.init = perf_init,
	.attach = perf_attach,
	.delete = perf_delete,
	.lookup_user = perf_lookup_user,
	.update_user = perf_update_user,
	.get_next_key = perf_get_next_key,
};
