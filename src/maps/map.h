/* SPDX-License-Identifier: MIT */
/*
 * map.h - maps: the object every map family shares, and the table of
 * operations each family (one file each: map_array.c, map_hash.c, ...)
 * fills in.
 *
 * Every map lives in one block of shared memory (src/platform: a memfd, or
 * the pinned file itself), laid out as
 *
 *     struct ub_map_hdr     magic, version, the definition, frozen flag,
 *                           per-family shared state (type_state)
 *     family data           at hdr->data_off, as the family lays it out
 *
 * with offsets only, never pointers, so that another process that maps the
 * same file (a pin) reads and writes the same map live.  struct
 * userbpf_map is the process-local handle: the mapping, the family's ops,
 * and process-local state (programs of a PROG_ARRAY, inner maps of a
 * map-in-map) that cannot live in shared memory.
 *
 * Two sides call the ops, as on Linux:
 *   - programs, through the helpers (src/helpers/map_helpers.c): lookup
 *     returns a pointer into the map (per-CPU maps: this CPU's slot),
 *     update/delete/push/pop/peek take and return what the helpers do;
 *   - user space (userbpf_map__*, the CLI, the libbpf layer): values are
 *     copied in and out, per-CPU maps carry one slot per possible CPU,
 *     each value_size rounded up to 8 bytes, as bpf(2) does.
 * Errors are Linux's: -ENOENT, -EEXIST, -E2BIG, -ENOMEM, -EINVAL, -EPERM.
 */
#ifndef USERBPF_MAP_H
#define USERBPF_MAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/core_internal.h"
#include "platform/platform.h"

/* Linux's map type numbers (uapi enum bpf_map_type). */
enum {
	UB_MAP_HASH = 1, UB_MAP_ARRAY = 2, UB_MAP_PROG_ARRAY = 3,
	UB_MAP_PERF_EVENT_ARRAY = 4, UB_MAP_PERCPU_HASH = 5, UB_MAP_PERCPU_ARRAY = 6,
	UB_MAP_STACK_TRACE = 7, UB_MAP_LRU_HASH = 9, UB_MAP_LRU_PERCPU_HASH = 10,
	UB_MAP_LPM_TRIE = 11, UB_MAP_ARRAY_OF_MAPS = 12, UB_MAP_HASH_OF_MAPS = 13,
	UB_MAP_QUEUE = 22, UB_MAP_STACK = 23, UB_MAP_RINGBUF = 27,
	UB_MAP_BLOOM_FILTER = 30, UB_MAP__MAX = 33,
};

/* Linux's element-update flags and map_flags. */
enum {
	UB_ANY = 0, UB_NOEXIST = 1, UB_EXIST = 2, UB_F_LOCK = 4,
};
enum {
	UB_F_NO_PREALLOC = 1u << 0, UB_F_NO_COMMON_LRU = 1u << 1,
	UB_F_RDONLY = 1u << 3, UB_F_WRONLY = 1u << 4,
	UB_F_ZERO_SEED = 1u << 6, UB_F_RDONLY_PROG = 1u << 7,
	UB_F_WRONLY_PROG = 1u << 8, UB_F_MMAPABLE = 1u << 10,
	UB_F_INNER_MAP = 1u << 12,
};

#define UB_MAP_MAGIC 0x3150414d46504255ull	/* "UBPFMAP1" */
#define UB_MAP_VERSION 2	/* 2: 64-bit store-id slots in PROG_ARRAY and
				 * map-in-map values, inner template shared */
#define UB_MAP_NAME_LEN 16			/* BPF_OBJ_NAME_LEN */

/* What a map is: what BPF_MAP_CREATE takes. */
struct ub_map_def {
	uint32_t type, key_size, value_size, max_entries, map_flags;
	char name[UB_MAP_NAME_LEN];
	int32_t spin_lock_off;	/* offset of a struct bpf_spin_lock in the
				 * value, or -1 (from BTF) */
	uint32_t timer_off1;	/* 1 + the offset of a struct bpf_timer in
				 * the value, 0 for none (from BTF; 1-based
				 * so that a zeroed definition has none) */
	uint64_t extra;		/* bloom filter: number of hashes (map_extra) */
};

/* The start of every map's shared memory.  256 bytes. */
struct ub_map_hdr {
	uint64_t magic;		/* UB_MAP_MAGIC */
	uint32_t version;	/* UB_MAP_VERSION */
	uint32_t hdr_size;	/* sizeof(struct ub_map_hdr) */
	uint64_t region_size;	/* bytes of the whole block */
	uint64_t data_off;	/* where the family's data starts (64-aligned) */
	uint32_t type, key_size, value_size, max_entries, map_flags;
	uint32_t ncpus;		/* per-CPU families: slots per value */
	int32_t spin_lock_off;
	uint32_t frozen;	/* user space may no longer write (freeze) */
	uint64_t extra;
	char name[UB_MAP_NAME_LEN];
	uint32_t timer_off1;	/* as in ub_map_def; 0 in pins made before */
	uint32_t pad;
	uint64_t reserved[3];
	uint8_t type_state[128]; /* the family's shared counters, heads, locks */
};

struct ub_epoch;

struct userbpf_map {
	struct userbpf_rt *rt;
	const struct ub_map_ops *ops;
	struct ub_map_def def;	/* copied from the header at open */
	struct ub_os_shm shm;	/* owned mapping */
	struct ub_map_hdr *hdr;	/* = shm.base */
	uint8_t *data;		/* = shm.base + hdr->data_off */
	unsigned ncpus;
	uint32_t id;		/* the runtime's id for this map */
	int refcnt;		/* holders: the creator, objects, programs */
	char *pin_path;		/* owned; where it was pinned or opened from */
	void *local;		/* the family's process-local state; owned by ops */
	struct userbpf_map *inner_tmpl;	/* map-in-map: the inner template (a ref) */
	bool readonly;		/* mapped without write access */
	struct ub_epoch *epoch;	/* the family's reader slots (hash families), or NULL */
	uint32_t epoch_self;	/* this process's id in those slots */
	/* This runtime's bpf_timers in the map's values, and inits of them
	 * under way (helpers/timer_helpers.c): an update or delete looks
	 * for a timer to cancel only when this is nonzero. */
	_Atomic uint32_t ntimers;
};

/* Per-CPU values as user space sees them: one 8-byte-aligned slot each. */
static inline size_t ub_map_percpu_stride(uint32_t value_size)
{
	return ((size_t)value_size + 7) & ~(size_t)7;
}
bool ub_map_is_percpu(uint32_t type);
/* Bytes of a value as user space reads and writes it. */
size_t ub_map_user_value_size(const struct userbpf_map *m);

struct ub_map_ops {
	/* Checks a definition (log the reason, return -EINVAL/-E2BIG). */
	int (*check)(struct userbpf_rt *rt, const struct ub_map_def *def);
	/* Bytes of family data for def (after the header). */
	size_t (*data_size)(const struct ub_map_def *def, unsigned ncpus);
	/* Lays out fresh (zeroed) shared memory. May be NULL. */
	int (*init)(struct userbpf_map *m);
	/* Builds process-local state, for a new map and an opened pin; and
	 * frees it.  May be NULL. */
	int (*attach)(struct userbpf_map *m);
	void (*detach)(struct userbpf_map *m);

	/* Program side.  lookup: the value (this CPU's slot), or NULL. */
	void *(*lookup)(struct userbpf_map *m, const void *key);
	long (*update)(struct userbpf_map *m, const void *key, const void *value,
		       uint64_t flags);
	long (*delete)(struct userbpf_map *m, const void *key);
	long (*push)(struct userbpf_map *m, const void *value, uint64_t flags);
	long (*pop)(struct userbpf_map *m, void *value);
	long (*peek)(struct userbpf_map *m, void *value);

	/* User side: values as ub_map_user_value_size() bytes.  NULL
	 * lookup_user/update_user fall back to lookup + copy / update. */
	int (*lookup_user)(struct userbpf_map *m, const void *key, void *value, uint64_t flags);
	int (*update_user)(struct userbpf_map *m, const void *key, const void *value,
			   uint64_t flags);
	int (*get_next_key)(struct userbpf_map *m, const void *key, void *next_key);
	int (*lookup_and_delete)(struct userbpf_map *m, const void *key, void *value);
	/* The address of the value at key index 0 (lddw src=2), or NULL. */
	void *(*direct_value)(struct userbpf_map *m);
};

/* The ops of each family; NULL when the type is not (yet) supported. */
const struct ub_map_ops *ub_map_ops_of(uint32_t type);
extern const struct ub_map_ops ub_map_array_ops;
extern const struct ub_map_ops ub_map_percpu_array_ops;
extern const struct ub_map_ops ub_map_prog_array_ops;
extern const struct ub_map_ops ub_map_hash_ops;
extern const struct ub_map_ops ub_map_percpu_hash_ops;
extern const struct ub_map_ops ub_map_lru_hash_ops;
extern const struct ub_map_ops ub_map_lru_percpu_hash_ops;
extern const struct ub_map_ops ub_map_array_of_maps_ops;
extern const struct ub_map_ops ub_map_hash_of_maps_ops;

/*
 * Read-side critical sections (map_hash.c, epoch.h).  A pointer that
 * lookup returned stays valid and unchanged until the matching exit:
 * the executor brackets a program run with these, for each map the
 * program uses (cheap no-ops for families that never free elements).
 * Sections nest and may be entered on several maps at once.  Inner maps
 * of a map-in-map are not covered by the outer map's section.
 */
uint32_t ub_map_epoch_enter(struct userbpf_map *m);
void ub_map_epoch_exit(struct userbpf_map *m, uint32_t token);

extern const struct ub_map_ops ub_map_lpm_trie_ops;
extern const struct ub_map_ops ub_map_queue_ops;
extern const struct ub_map_ops ub_map_stack_ops;
extern const struct ub_map_ops ub_map_bloom_ops;
extern const struct ub_map_ops ub_map_ringbuf_ops;
extern const struct ub_map_ops ub_map_perf_event_array_ops;

/* Linux's kernel-internal ENOTSUPP, which bpf(2) hands out for operations
 * a map type lacks (ringbuf lookup, LPM or bloom lookup_and_delete). */
#define UB_ENOTSUPP 524

/*
 * RINGBUF (map_ringbuf.c), Linux's layout: a consumer-position page, a
 * producer-position page, then the data area, mapped twice back to back
 * so that a record that wraps is contiguous.  Records start with an
 * 8-byte header {u32 len (BUSY bit 31, DISCARD bit 30), u32 pg_off} and
 * are 8-aligned.  The program side (the bpf_ringbuf_* helpers):
 *   reserve: a pointer to size bytes, or NULL (flags must be 0, no room);
 *   submit/discard: publish or drop a reserved record (no map needed);
 *   output: reserve + copy + submit, 0 or -EAGAIN (no room), -EINVAL;
 *   query: BPF_RB_AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS, else 0.
 * consume: calls fn for each committed record in order, skips discarded
 * ones, advances the consumer position; stops at a record still being
 * written or when fn returns < 0 (that record counts as consumed, as in
 * libbpf).  Returns the records handed to fn, or fn's error, or -errno.
 * Not on Windows (-EOPNOTSUPP at create).
 */
enum { UB_RB_NO_WAKEUP = 1, UB_RB_FORCE_WAKEUP = 2 };
enum { UB_RB_AVAIL_DATA = 0, UB_RB_RING_SIZE = 1, UB_RB_CONS_POS = 2, UB_RB_PROD_POS = 3 };
#define UB_RINGBUF_BUSY_BIT (1u << 31)
#define UB_RINGBUF_DISCARD_BIT (1u << 30)
#define UB_RINGBUF_HDR_SZ 8
void *ub_ringbuf_reserve(struct userbpf_map *m, uint64_t size, uint64_t flags);
void ub_ringbuf_submit(void *sample, uint64_t flags);
void ub_ringbuf_discard(void *sample, uint64_t flags);
long ub_ringbuf_output(struct userbpf_map *m, const void *data, uint64_t size, uint64_t flags);
uint64_t ub_ringbuf_query(struct userbpf_map *m, uint64_t flags);
typedef int (*ub_ringbuf_sample_fn)(void *ctx, void *data, size_t size);
int ub_ringbuf_consume(struct userbpf_map *m, ub_ringbuf_sample_fn fn, void *ctx);
/* Wake-ups (maps/wake.h): the consumer's wake-up word in the ring's shared
 * memory; ready: a committed record waits (the check before sleeping).
 * submit/discard/output wake a consumer that sleeps unless
 * BPF_RB_NO_WAKEUP, and any with BPF_RB_FORCE_WAKEUP. */
struct ub_wake;
struct ub_wake *ub_ringbuf_wake(struct userbpf_map *m);
bool ub_ringbuf_ready(struct userbpf_map *m);

/*
 * PERF_EVENT_ARRAY (map_perf.c): one buffer per entry (max_entries 0 means
 * one per CPU), each laid out as perf's mmap ring: a header page (struct
 * perf_event_mmap_page: data_head at 1024, data_tail at 1032, data_offset,
 * data_size) and a power-of-2 data area (map_extra pages when set, else
 * 16).  output writes PERF_RECORD_SAMPLE {header, u32 size, raw data
 * padded to 8}; when the buffer is full it counts the record lost and
 * returns -ENOSPC, and the next record that fits is preceded by a
 * PERF_RECORD_LOST carrying the count.  flags: the index, or
 * BPF_F_CURRENT_CPU.  consume reads one buffer's records in order (a
 * record that wraps is handed over contiguous), calls sample or lost
 * (either may be NULL), frees the space; returns the records read.
 */
#define UB_F_INDEX_MASK 0xffffffffull
#define UB_F_CURRENT_CPU UB_F_INDEX_MASK
long ub_perf_output(struct userbpf_map *m, uint64_t flags, const void *data, uint64_t size);
/* As ub_perf_output, the sample being data then extra (Linux's
 * bpf_xdp/skb_event_output: the helper's data, then the packet's first
 * bytes). */
long ub_perf_output2(struct userbpf_map *m, uint64_t flags, const void *data, uint64_t size,
		     const void *extra, uint64_t extra_size);
typedef void (*ub_perf_sample_fn)(void *ctx, int cpu, void *data, uint32_t size);
typedef void (*ub_perf_lost_fn)(void *ctx, int cpu, uint64_t cnt);
int ub_perf_consume(struct userbpf_map *m, uint32_t cpu, ub_perf_sample_fn sample,
		    ub_perf_lost_fn lost, void *ctx);
/* One wake-up word for all of the map's buffers (output wakes a consumer
 * that sleeps); ready: some buffer holds a record. */
struct ub_wake *ub_perf_wake(struct userbpf_map *m);
bool ub_perf_ready(struct userbpf_map *m);

/* LPM_TRIE: a read section (map_lpm.c), for an executor that wants a
 * value pointer from lookup to stay valid across a whole program run, as
 * under Linux's RCU: no node unlinked after lock is recycled before
 * unlock.  Returns the section to hand to unlock. */
void *ub_lpm_read_lock(struct userbpf_map *m, unsigned *idx);
void ub_lpm_read_unlock(void *section, unsigned idx);

/* PROG_ARRAY: the program at index i, or NULL (tail calls). */
struct userbpf_prog *ub_map_prog_array_get(struct userbpf_map *m, uint32_t i);
/* PROG_ARRAY and ARRAY_OF_MAPS: slot i's reference word (store/store.h),
 * or NULL past the end or for another type. */
_Atomic uint64_t *ub_map_prog_array_slot(struct userbpf_map *m, uint32_t i);
_Atomic uint64_t *ub_map_aom_slot(struct userbpf_map *m, uint32_t i);
/* HASH_OF_MAPS: the reference word of the element at key, or NULL; entry
 * i of its table of references, or NULL past its end. */
_Atomic uint64_t *ub_map_hom_slot(struct userbpf_map *m, const void *key);
_Atomic uint64_t *ub_map_hom_entry(struct userbpf_map *m, uint32_t i);

/* Linux's name of a map type ("hash", "array", ...), or NULL. */
const char *ub_map_type_name(uint32_t type);
/* The type for a name (bpftool's words), or 0. */
uint32_t ub_map_type_by_name(const char *name);

/* Creates a map (a reference owned by the caller: ub_map_put). */
int ub_map_create(struct userbpf_rt *rt, const struct ub_map_def *def,
		  struct userbpf_map *inner_tmpl, struct userbpf_map **out);
/* Opens the map pinned at path (path as given: the caller maps /sys/fs/bpf). */
int ub_map_open(struct userbpf_rt *rt, const char *path, struct userbpf_map **out);
int ub_map_pin(struct userbpf_map *m, const char *path);
void ub_map_get(struct userbpf_map *m);
void ub_map_put(struct userbpf_map *m);

/* Element operations from user space, with Linux's flag and freeze rules. */
int ub_map_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags);
int ub_map_update_user(struct userbpf_map *m, const void *key, const void *value,
		       uint64_t flags);
int ub_map_delete_user(struct userbpf_map *m, const void *key);
int ub_map_get_next_key(struct userbpf_map *m, const void *key, void *next_key);
int ub_map_lookup_and_delete_user(struct userbpf_map *m, const void *key, void *value);

/* Batches (map.c): the cursor is a key; -ENOENT at the end. */
int ub_map_lookup_batch(struct userbpf_map *m, const void *in_batch, void *out_batch,
			void *keys, void *values, uint32_t *count, uint64_t elem_flags, bool del);
int ub_map_update_batch(struct userbpf_map *m, const void *keys, const void *values,
			uint32_t *count, uint64_t elem_flags);
int ub_map_delete_batch(struct userbpf_map *m, const void *keys, uint32_t *count);

/* A spin lock in shared memory (struct bpf_spin_lock: 4 bytes). */
void ub_map_spin_lock(uint32_t *lock);
void ub_map_spin_unlock(uint32_t *lock);
/* Copies a value, skipping the spin lock's 4 bytes when spin_lock_off >= 0. */
void ub_map_copy_value(const struct userbpf_map *m, void *dst, const void *src);

#endif
