/* SPDX-License-Identifier: MIT */
/*
 * userbpf.h - the embedding API of userbpf.
 *
 * A host application creates a runtime (struct userbpf_rt), which owns
 * everything else: the allocator, the log callback, the helper table and
 * the programs loaded into it.  There is no process-wide state, so two
 * runtimes can live side by side in one process.
 *
 * Conventions (as libbpf):
 *   - functions returning int give 0 or a negative errno;
 *   - functions returning a pointer give NULL and set errno on failure;
 *   - options structs start with `size_t sz` so they can grow without
 *     breaking the ABI; pass NULL for defaults;
 *   - human-readable messages go through the runtime's log callback.
 */
#ifndef USERBPF_USERBPF_H
#define USERBPF_USERBPF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define USERBPF_API __declspec(dllexport)
#elif defined(__GNUC__)
#define USERBPF_API __attribute__((visibility("default")))
#else
#define USERBPF_API
#endif

#define USERBPF_VERSION_MAJOR 0
#define USERBPF_VERSION_MINOR 1

/* One eBPF instruction slot, laid out as Linux's struct bpf_insn. */
struct userbpf_insn {
	uint8_t code;
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
	int16_t off;
	int32_t imm;
};

/* ---- runtime ------------------------------------------------------------ */

enum userbpf_log_level {
	USERBPF_LOG_WARN = 0,
	USERBPF_LOG_INFO = 1,
	USERBPF_LOG_DEBUG = 2,
};

/* Receives one complete message (no trailing newline). */
typedef void (*userbpf_log_fn)(enum userbpf_log_level level, const char *msg,
			       void *user);

/*
 * The allocator hook, in Lua's shape: nsize == 0 frees ptr and returns NULL;
 * otherwise behaves like realloc.  osize is the size of the old block (0 when
 * ptr is NULL).  Every allocation of the runtime goes through it, so a test
 * can make any one of them fail.
 */
typedef void *(*userbpf_alloc_fn)(void *user, void *ptr, size_t osize,
				  size_t nsize);

struct userbpf_rt_opts {
	size_t sz;		/* sizeof(struct userbpf_rt_opts) */
	userbpf_alloc_fn alloc; /* NULL: the C library's realloc/free */
	void *alloc_user;
	userbpf_log_fn log;	/* NULL: warnings to stderr */
	void *log_user;
	enum userbpf_log_level log_level;
	bool no_default_helpers; /* start with an empty helper table */
};

struct userbpf_rt;

/* Returns a new runtime owned by the caller (free with userbpf_rt__free),
 * or NULL with errno set. */
USERBPF_API struct userbpf_rt *userbpf_rt__new(const struct userbpf_rt_opts *opts);
/* Frees the runtime. Every program loaded into it must be freed first.
 * Accepts NULL. */
USERBPF_API void userbpf_rt__free(struct userbpf_rt *rt);

/* ---- helpers ------------------------------------------------------------ */

struct userbpf_call;	/* per-invocation state handed to a helper */

typedef uint64_t (*userbpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3,
				      uint64_t r4, uint64_t r5,
				      struct userbpf_call *call);

/*
 * Registers (or replaces) the helper with Linux helper id `id` under `name`.
 * The name is copied.  Returns 0 or a negative errno.
 */
USERBPF_API int userbpf_rt__set_helper(struct userbpf_rt *rt, uint32_t id,
				       const char *name, userbpf_helper_fn fn);

/*
 * For helpers: stop the program now.  The run ends with `err` (a negative
 * errno) and the message is logged with the instruction index.
 */
USERBPF_API void userbpf_call__abort(struct userbpf_call *call, int err,
				     const char *why);
/* For helpers: the user pointer given in struct userbpf_run_opts. */
USERBPF_API void *userbpf_call__user(const struct userbpf_call *call);
/* For helpers returning memory: lets checked mode accept accesses to
 * [ptr, ptr+size) for the rest of this run.  Returns 0 or -ENOMEM. */
USERBPF_API int userbpf_call__allow(struct userbpf_call *call, void *ptr,
				    size_t size, bool writable);

/*
 * Where bpf_trace_printk's text goes: fn receives each formatted message
 * (len bytes, NUL-terminated, no trailing newline added) and the call, so a
 * hook can add the process, CPU and time as Linux's trace_pipe does.
 * Without a sink the text goes to the log at USERBPF_LOG_INFO.
 */
typedef void (*userbpf_trace_fn)(const char *msg, size_t len,
				 struct userbpf_call *call, void *user);
USERBPF_API void userbpf_rt__set_trace(struct userbpf_rt *rt, userbpf_trace_fn fn,
				       void *user);

/* ---- programs ----------------------------------------------------------- */

struct userbpf_prog;

struct userbpf_prog_opts {
	size_t sz;		 /* sizeof(struct userbpf_prog_opts) */
	const char *name;	 /* copied; used in messages */
	/* Registers holding a value at entry (bit N for rN); 0 means
	 * Linux's convention, r1 and r10. */
	uint16_t entry_regs;
	/* JIT hardening: every immediate of the program is emitted as the xor
	 * of two values, one of them random per load (constant blinding). */
	bool jit_blind;
	/* The maps the program refers to: lddw with src_reg 1 (or 5) and
	 * imm = i loads maps[i]; with src_reg 2 (or 6), imm = i and the
	 * second slot's imm = off loads the address of byte off of maps[i]'s
	 * value (arrays and globals).  The program keeps a reference to each. */
	struct userbpf_map *const *maps;
	size_t map_cnt;
	/* The program type by name ("xdp"; see userbpf_rt__register_prog_type),
	 * or NULL; and the load flags handed to the type's provider. */
	const char *prog_type;
	uint32_t prog_flags;
};

/*
 * Decodes and validates `cnt` instruction slots (copied).  An encoding that
 * RFC 9669 does not define, a nonzero reserved field, a jump out of range or
 * into the middle of lddw, a helper id the runtime does not know and a read of
 * a register that no path has written are refused; the log names the
 * instruction.  Returns a program owned by the caller, or NULL with errno.
 */
USERBPF_API struct userbpf_prog *
userbpf_prog__load(struct userbpf_rt *rt, const struct userbpf_insn *insns,
		   size_t cnt, const struct userbpf_prog_opts *opts);
/* Accepts NULL. */
USERBPF_API void userbpf_prog__free(struct userbpf_prog *prog);
/* The runtime's id for the program (PROG_ARRAY values). */
USERBPF_API uint32_t userbpf_prog__id(const struct userbpf_prog *prog);
USERBPF_API size_t userbpf_prog__insn_cnt(const struct userbpf_prog *prog);
USERBPF_API const struct userbpf_insn *userbpf_prog__insns(const struct userbpf_prog *prog);

struct userbpf_verify_opts {
	size_t sz;		/* sizeof(struct userbpf_verify_opts) */
	/*
	 * The entry state.  With mem_size > 0: r1 points to mem_size bytes of
	 * data and r2 holds mem_size (the convention of `userbpf test-run`
	 * and bpf_conformance).  Otherwise Linux's: r1 points to a context of
	 * ctx_size bytes, readable and writable.
	 */
	uint32_t mem_size;
	uint32_t ctx_size;
	bool strict;		/* Linux's unprivileged rules */
	int log_level;		/* 0: the refusal; 1: its path; 2: every instruction */
	char *log_buf;		/* optional: receives the log (NUL-terminated) */
	size_t log_size;
	uint64_t insns_processed; /* out */
};

/*
 * Proves the program safe from the entry state in opts, and on success
 * marks it trusted (so it runs in the JIT or the fast interpreter).  A
 * program verified with mem_size runs unchecked only when called with
 * args[1] == mem_size; other calls run in checked mode.
 * Returns 0 when accepted, -EACCES when refused (the reason, naming the
 * instruction, goes to the log callback), or another negative errno.
 */
USERBPF_API int userbpf_prog__verify(struct userbpf_prog *prog,
				     const struct userbpf_verify_opts *opts);

/*
 * Marks the program as proved safe, so that it runs in the fast mode
 * (no bounds checks on memory accesses).  Only a verifier, or a host that
 * trusts the bytecode, should call this.
 */
USERBPF_API void userbpf_prog__set_trusted(struct userbpf_prog *prog, bool trusted);

enum userbpf_engine {
	USERBPF_ENGINE_DEFAULT = 0,
	USERBPF_ENGINE_INTERPRETER = 1,
	USERBPF_ENGINE_JIT = 2,
};

struct userbpf_region {
	void *base;
	size_t size;
	bool writable;
};

struct userbpf_run_opts {
	size_t sz;		/* sizeof(struct userbpf_run_opts) */
	/* Initial r1..r5 (r1 is usually the context pointer). */
	uint64_t args[5];
	/* Memory the program may touch in checked mode besides its stack. */
	const struct userbpf_region *regions;
	size_t region_cnt;
	/* Stop with -E2BIG after this many instructions; 0: no budget. */
	uint64_t insn_budget;
	enum userbpf_engine engine;
	/* Packet for the legacy LD_ABS/LD_IND instructions (may be NULL). */
	const void *pkt;
	size_t pkt_len;
	void *user;		/* handed to helpers by userbpf_call__user() */
	/* out: instructions executed (when non-NULL). */
	uint64_t *insn_count;
	/* args[0] is a context preceded by a struct userbpf_ctx_header,
	 * which the runtime keeps up to date during the run. */
	bool ctx_has_header;
};

/*
 * Runs the program once.  On success returns 0 and stores r0 in *ret.
 * A run that breaks a check (out-of-bounds access in checked mode, budget
 * exhausted, too many frames, a helper abort) returns a negative errno and
 * logs the instruction index and the reason.
 */
USERBPF_API int userbpf_prog__run(struct userbpf_prog *prog,
				  const struct userbpf_run_opts *opts,
				  uint64_t *ret);

/*
 * Tail calls: a host (or, later, the prog_array map) answers this callback
 * with the program at index `idx` of `map`, or NULL.
 */
typedef struct userbpf_prog *(*userbpf_tail_fn)(void *map, uint32_t idx,
						void *user);
USERBPF_API void userbpf_rt__set_tail_resolver(struct userbpf_rt *rt,
					       userbpf_tail_fn fn, void *user);

/* ---- object files --------------------------------------------------------- */

/*
 * An ELF object as clang writes it for `-target bpf`: programs by SEC name,
 * subprograms in .text linked in through their call relocations, the
 * license.  open parses and checks the file; load links and loads each
 * program into the runtime.
 */
struct userbpf_obj;

struct userbpf_obj_opts {
	size_t sz;		/* sizeof(struct userbpf_obj_opts) */
	const char *name;	/* copied; default: the file name */
	/* Registers set at entry of every program (see userbpf_prog_opts);
	 * 0: r1 only, as Linux. */
	uint16_t entry_regs;
	/* Where maps defined with pinning = LIBBPF_PIN_BY_NAME live: at load
	 * each is reused from PATH/NAME when a map with the same definition
	 * is pinned there (a different one fails the load), else created and
	 * pinned there.  NULL: such maps are not pinned. */
	const char *pin_root_path;
	/* Every map (not only those whose definition asks for
	 * LIBBPF_PIN_BY_NAME) is reused from, or pinned at, pin_root_path/NAME. */
	bool pin_all_maps;
};

/* Opens an object file (read and copied; the file is not kept open).
 * Returns an object owned by the caller (userbpf_obj__close), or NULL with
 * errno; the log names the file and the section, symbol or relocation. */
USERBPF_API struct userbpf_obj *userbpf_obj__open_file(struct userbpf_rt *rt,
						       const char *path,
						       const struct userbpf_obj_opts *opts);
/* As open_file, from memory (copied). */
USERBPF_API struct userbpf_obj *userbpf_obj__open_mem(struct userbpf_rt *rt,
						      const void *buf, size_t size,
						      const struct userbpf_obj_opts *opts);
/* Links and loads every program.  Returns 0 or a negative errno. */
USERBPF_API int userbpf_obj__load(struct userbpf_obj *obj);
/* Frees the object and the programs it loaded.  Accepts NULL. */
USERBPF_API void userbpf_obj__close(struct userbpf_obj *obj);

USERBPF_API const char *userbpf_obj__name(const struct userbpf_obj *obj);
USERBPF_API const char *userbpf_obj__license(const struct userbpf_obj *obj);
USERBPF_API size_t userbpf_obj__prog_cnt(const struct userbpf_obj *obj);
/* The i-th program (in file order); NULL before load or out of range.
 * Owned by the object. */
USERBPF_API struct userbpf_prog *userbpf_obj__prog(const struct userbpf_obj *obj, size_t i);
/* The program whose function name is `name`; NULL when none. */
USERBPF_API struct userbpf_prog *userbpf_obj__find_prog(const struct userbpf_obj *obj,
							const char *name);
/* Name and section of the i-th program; valid before load too. */
USERBPF_API const char *userbpf_obj__prog_name(const struct userbpf_obj *obj, size_t i);
USERBPF_API const char *userbpf_obj__prog_section(const struct userbpf_obj *obj, size_t i);

/* The i-th program's type (as set, else as its SEC name gives it, else
 * NULL), load flags and whether userbpf_obj__load loads it; the setters
 * work before load only (-EBUSY after). */
USERBPF_API int userbpf_obj__set_prog_type(struct userbpf_obj *obj, size_t i, const char *type);
USERBPF_API const char *userbpf_obj__prog_type(const struct userbpf_obj *obj, size_t i);
USERBPF_API int userbpf_obj__set_prog_flags(struct userbpf_obj *obj, size_t i, uint32_t flags);
USERBPF_API uint32_t userbpf_obj__prog_flags(const struct userbpf_obj *obj, size_t i);
USERBPF_API int userbpf_obj__set_prog_autoload(struct userbpf_obj *obj, size_t i, bool autoload);

USERBPF_API const char *userbpf_prog__name(const struct userbpf_prog *prog);

/* The "version" section (a u32), or 0. */
USERBPF_API uint32_t userbpf_obj__kern_version(const struct userbpf_obj *obj);
/*
 * The object's maps, in libbpf's order: legacy "maps", BTF-defined
 * ".maps", then one single-entry array per global data section (.data*,
 * .rodata*, .bss*), named as libbpf names them ("objname.rodata").
 * Programs refer to them by this index.  userbpf_obj__map() and
 * userbpf_obj__find_map() give the map (owned by the object) after load,
 * NULL before; find_map also takes a data map's section name (".bss").
 */
USERBPF_API size_t userbpf_obj__map_cnt(const struct userbpf_obj *obj);
USERBPF_API struct userbpf_map *userbpf_obj__map(const struct userbpf_obj *obj, size_t i);
USERBPF_API struct userbpf_map *userbpf_obj__find_map(const struct userbpf_obj *obj,
						      const char *name);
/* Name of the i-th map; valid before load too. */
USERBPF_API const char *userbpf_obj__map_name(const struct userbpf_obj *obj, size_t i);
/*
 * The initial value of a global data map (by map or section name), as
 * libbpf's bpf_map__initial_value: a writable buffer of *size bytes,
 * owned by the object, that load copies into the map.  This is how user
 * space sets `const volatile` variables of .rodata before load.  NULL with
 * errno ENOENT for other maps, EBUSY after load.
 */
USERBPF_API void *userbpf_obj__map_initial_value(struct userbpf_obj *obj, const char *name,
						 size_t *size);

/*
 * The program type that libbpf gives a SEC name ("xdp", "tracepoint/...",
 * "socket", ...), as libbpf's type name ("xdp", "tracepoint",
 * "socket_filter"); NULL when libbpf would not know the section.
 */
USERBPF_API const char *userbpf_sec_prog_type(const char *sec);

/* ---- maps --------------------------------------------------------------- */

/*
 * Maps with Linux's type numbers (BPF_MAP_TYPE_*), flags (BPF_ANY,
 * BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK; map_flags as BPF_F_*) and errors
 * (-ENOENT, -EEXIST, -E2BIG, -ENOMEM, -EINVAL, -EPERM).  Every map lives in
 * memory that other processes can map: pinning names it at a path, and
 * userbpf_map__open_pinned() in another process sees the same map live.
 *
 * A map is reference counted: the creator holds one reference and each
 * program loaded with it holds one; userbpf_map__free() drops the
 * caller's.  Values of per-CPU maps are, as in bpf(2), one slot per
 * possible CPU, each value_size rounded up to 8 bytes
 * (userbpf_map__user_value_size()).  A PROG_ARRAY's values are program ids
 * (userbpf_prog__id()); a map-in-map's, map ids: ids of the caller's
 * runtime.  A PROG_ARRAY or map-in-map element set to a program or map
 * pinned in the store names it for every process (by its store id): a
 * process that opens the outer map's pin loads the program (or opens the
 * inner map) from its pin when an element first leads to it.
 */
struct userbpf_map;

struct userbpf_map_create_opts {
	size_t sz;		/* sizeof(struct userbpf_map_create_opts) */
	uint32_t map_flags;	/* BPF_F_* */
	uint64_t map_extra;	/* bloom filter: number of hash functions */
	/* map-in-map: the inner map every value must match (a template). */
	struct userbpf_map *inner_map;
};

/* Returns a new map owned by the caller, or NULL with errno (the reason
 * goes to the log). */
USERBPF_API struct userbpf_map *userbpf_map__create(struct userbpf_rt *rt, uint32_t type,
						    const char *name, uint32_t key_size,
						    uint32_t value_size, uint32_t max_entries,
						    const struct userbpf_map_create_opts *opts);
/* Opens the map pinned at path (a file).  Read-only when the file is. */
USERBPF_API struct userbpf_map *userbpf_map__open_pinned(struct userbpf_rt *rt,
							 const char *path);
/* Names the map at path: a new file (mode 0600), -EEXIST when it exists. */
USERBPF_API int userbpf_map__pin(struct userbpf_map *map, const char *path);
/* Drops the caller's reference.  Accepts NULL. */
USERBPF_API void userbpf_map__free(struct userbpf_map *map);

USERBPF_API int userbpf_map__lookup_elem(struct userbpf_map *map, const void *key,
					 void *value, uint64_t flags);
USERBPF_API int userbpf_map__update_elem(struct userbpf_map *map, const void *key,
					 const void *value, uint64_t flags);
USERBPF_API int userbpf_map__delete_elem(struct userbpf_map *map, const void *key);
/* key NULL: the first key.  -ENOENT after the last. */
USERBPF_API int userbpf_map__get_next_key(struct userbpf_map *map, const void *key,
					  void *next_key);
/* Queues and stacks: key NULL pops. */
USERBPF_API int userbpf_map__lookup_and_delete_elem(struct userbpf_map *map, const void *key,
						    void *value);
/*
 * Batches, as BPF_MAP_LOOKUP_BATCH and friends: the cursor (in_batch,
 * out_batch) is key_size bytes; in_batch NULL starts at the first element.
 * *count is the room in keys/values going in, the elements done coming
 * out.  -ENOENT once the walk has reached the end (with *count valid).
 */
USERBPF_API int userbpf_map__lookup_batch(struct userbpf_map *map, const void *in_batch,
					  void *out_batch, void *keys, void *values,
					  uint32_t *count, uint64_t elem_flags);
USERBPF_API int userbpf_map__lookup_and_delete_batch(struct userbpf_map *map,
						     const void *in_batch, void *out_batch,
						     void *keys, void *values, uint32_t *count,
						     uint64_t elem_flags);
USERBPF_API int userbpf_map__update_batch(struct userbpf_map *map, const void *keys,
					  const void *values, uint32_t *count,
					  uint64_t elem_flags);
USERBPF_API int userbpf_map__delete_batch(struct userbpf_map *map, const void *keys,
					  uint32_t *count);

/* User space may no longer write the map; programs still may (unless
 * BPF_F_RDONLY_PROG).  Seen by every process that maps it. */
USERBPF_API int userbpf_map__freeze(struct userbpf_map *map);
USERBPF_API bool userbpf_map__is_frozen(const struct userbpf_map *map);

USERBPF_API uint32_t userbpf_map__type(const struct userbpf_map *map);
USERBPF_API const char *userbpf_map__name(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__key_size(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__value_size(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__max_entries(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__flags(const struct userbpf_map *map);
USERBPF_API uint32_t userbpf_map__id(const struct userbpf_map *map);
/* Where the map is pinned (or was opened from), or NULL. */
USERBPF_API const char *userbpf_map__pin_path(const struct userbpf_map *map);
USERBPF_API size_t userbpf_map__user_value_size(const struct userbpf_map *map);
/* PROG_ARRAY and map-in-maps: the store id (userbpf_store__id()) of the
 * program or map at key, without loading it.  -ENOENT when the slot is
 * empty or holds an object private to another process, -EXDEV when it
 * holds one of this runtime that is not pinned in the store. */
USERBPF_API int userbpf_map__lookup_ref(struct userbpf_map *map, const void *key,
					uint64_t *id);
USERBPF_API unsigned userbpf_num_possible_cpus(void);

/* ---- program types: the extension interface ---------------------------- */

/*
 * A program type is data: the layout of its context, the helpers it may
 * call, the range of its return value, and how a test run builds its
 * context.  Hosts register their own types (hooks) with the same call the
 * built-in ones use (xdp, socket_filter, sched_cls, sched_act, tracepoint,
 * raw_tracepoint, syscall).
 *
 * Versioning: a provider fills `version` with the USERBPF_PROG_TYPE_VERSION
 * it was built against and `size` with sizeof(struct userbpf_prog_type) as
 * it saw it.  A different major version is refused with a message naming
 * both; a smaller size is accepted (fields past it read as zero).
 *
 * Every context is preceded by a 64-byte struct userbpf_ctx_header, where
 * the runtime keeps the state of one invocation (the program running, its
 * tail-call count) and the hook keeps its own (hook_data).  Contexts whose
 * fields hold 32-bit packet pointers (xdp_md, __sk_buff), as Linux's uapi
 * lays them out, point into packet memory below 4 GiB, so programs built
 * for Linux read them unchanged.
 */
#define USERBPF_PROG_TYPE_VERSION_MAJOR 1
#define USERBPF_PROG_TYPE_VERSION_MINOR 0
#define USERBPF_PROG_TYPE_VERSION                                              \
	((USERBPF_PROG_TYPE_VERSION_MAJOR << 16) | USERBPF_PROG_TYPE_VERSION_MINOR)

enum {
	USERBPF_CTX_READ = 1, USERBPF_CTX_WRITE = 2,
	USERBPF_CTX_DATA = 4,		/* a 32-bit pointer to the packet's start */
	USERBPF_CTX_DATA_END = 8,	/* ... to its end */
	USERBPF_CTX_DATA_META = 16,	/* ... to its metadata */
};
struct userbpf_ctx_field {
	uint32_t off, size;	/* bytes in the context */
	uint32_t flags;		/* USERBPF_CTX_* */
};

#define USERBPF_CTX_HEADER_SIZE 64
#define USERBPF_CTX_MAGIC 0x787463667062756ull	/* "ubpfctx" */
struct userbpf_ctx_header {
	uint64_t magic;			/* USERBPF_CTX_MAGIC */
	const struct userbpf_prog *prog; /* the program running now */
	struct userbpf_call *call;	/* this invocation */
	uint32_t tail_call_cnt;		/* tail calls taken so far */
	uint32_t load_flags;		/* the program's load flags */
	void *hook_data;		/* the hook's own */
	uint64_t reserved[3];
};

/* What a test run (BPF_PROG_TEST_RUN) hands the type's context builder. */
struct userbpf_test_ctx {
	void *ctx;		/* ctx_size zeroed bytes to fill */
	uint32_t ctx_size;
	uint8_t *data;		/* packet memory (below 4 GiB), data_len bytes of
				 * data_in after `headroom` bytes */
	size_t data_len;
	size_t headroom;
	const void *ctx_in;	/* the user's ctx_in, or NULL */
	size_t ctx_in_len;
	/* out: the packet the legacy LD_ABS/LD_IND loads see */
	const uint8_t *pkt;
	size_t pkt_len;
};

struct userbpf_prog_type {
	uint32_t version;	/* USERBPF_PROG_TYPE_VERSION */
	uint32_t size;		/* sizeof(struct userbpf_prog_type) */
	const char *name;	/* libbpf's name: "xdp", "socket_filter" */
	uint32_t linux_type;	/* BPF_PROG_TYPE_* number; 0 for host types */
	/* SEC names that give this type: "xdp" matches "xdp" and "xdp/...";
	 * NULL-terminated. */
	const char *const *sec_prefixes;
	uint32_t ctx_size;
	const struct userbpf_ctx_field *ctx_fields;
	size_t ctx_field_cnt;
	/* Helper ids the type allows; NULL: every helper of the runtime. */
	const uint32_t *helpers;
	size_t helper_cnt;
	bool check_return;	/* r0 must lie in [ret_min, ret_max] */
	int64_t ret_min, ret_max;
	/* Fills t->ctx (and t->pkt) for a test run; NULL: the context is the
	 * user's ctx_in copied.  Returns 0 or a negative errno. */
	int (*test_ctx)(void *user, struct userbpf_test_ctx *t);
	/* Told of every program of this type loaded, with its load flags;
	 * a negative errno refuses the load.  May be NULL. */
	int (*on_load)(void *user, struct userbpf_prog *prog, uint32_t load_flags);
	void *user;
};

/* Registers (a copy of) a program type.  -EEXIST when the name is taken,
 * -EPROTO for an incompatible version (logged), -EINVAL for a bad one. */
USERBPF_API int userbpf_rt__register_prog_type(struct userbpf_rt *rt,
					       const struct userbpf_prog_type *type);
/* The type named `name`, the type a SEC name gives, or NULL. */
USERBPF_API const struct userbpf_prog_type *userbpf_rt__prog_type(const struct userbpf_rt *rt,
								  const char *name);
USERBPF_API const struct userbpf_prog_type *
userbpf_rt__prog_type_for_sec(const struct userbpf_rt *rt, const char *sec);
/* The program's type, or NULL when it was loaded without one. */
USERBPF_API const struct userbpf_prog_type *userbpf_prog__type(const struct userbpf_prog *prog);
/* The header before a context the runtime built. */
static inline struct userbpf_ctx_header *userbpf_ctx_header(void *ctx)
{
	return (struct userbpf_ctx_header *)((uint8_t *)ctx - USERBPF_CTX_HEADER_SIZE);
}

/* BPF_PROG_TEST_RUN for a program with a type. */
struct userbpf_test_run_opts {
	size_t sz;		/* sizeof(struct userbpf_test_run_opts) */
	const void *data_in;
	size_t data_size_in;
	void *data_out;		/* may be NULL */
	size_t data_size_out;	/* in: capacity; out: bytes of the packet after the run */
	const void *ctx_in;
	size_t ctx_size_in;
	void *ctx_out;
	size_t ctx_size_out;	/* in: capacity; out: bytes written */
	uint32_t repeat;	/* 0 and 1: once */
	enum userbpf_engine engine;
	uint32_t retval;	/* out */
	uint64_t duration_ns;	/* out: average per run */
};
USERBPF_API int userbpf_prog__test_run(struct userbpf_prog *prog,
				       struct userbpf_test_run_opts *opts);
/* ---- programs: what the store and the CLI read ---------------------------- */

/* The maps the program refers to (lddw src 1/2 imm = index), in order;
 * owned by the program. */
USERBPF_API size_t userbpf_prog__map_cnt(const struct userbpf_prog *prog);
USERBPF_API struct userbpf_map *userbpf_prog__map(const struct userbpf_prog *prog, size_t i);
/*
 * The program's JIT code (compiled now if it was not; nothing runs): the
 * address of *len bytes owned by the program, or NULL with errno
 * (-EOPNOTSUPP: no JIT here, or the JIT does not handle the program).
 */
USERBPF_API const void *userbpf_prog__jited(struct userbpf_prog *prog, size_t *len);
/* Linux's program tag: the first 8 bytes of the SHA-256 of the
 * instructions with the immediates of map loads zeroed, as current
 * kernels' bpf_prog_calc_tag() computes it (older ones used SHA-1). */
USERBPF_API void userbpf_insns_tag(const struct userbpf_insn *insns, size_t cnt,
				   uint8_t tag[8]);

/* Run statistics, as Linux keeps them with kernel.bpf_stats_enabled. */
struct userbpf_prog_stats {
	uint64_t run_cnt;
	uint64_t run_time_ns;
};
/*
 * From now on every userbpf_prog__run() of prog adds one to
 * stats->run_cnt and its duration to stats->run_time_ns, atomically, so
 * stats may lie in shared memory (a pinned program's file).  NULL stops
 * counting.  Not owned.
 */
USERBPF_API void userbpf_prog__set_stats(struct userbpf_prog *prog,
					 struct userbpf_prog_stats *stats);

/* ---- the store: pins in the file system ---------------------------------- */

/*
 * Pinned maps and programs are files.  Linux's bpffs paths keep working:
 * a path under /sys/fs/bpf/ names ROOT/<rest>, where ROOT is
 * $USERBPF_ROOT, else $XDG_RUNTIME_DIR/userbpf, else /tmp/userbpf-UID
 * (created mode 0700, and refused when another user owns it).  Any other
 * path is used as given.  Every function returns 0 or a negative errno.
 */
USERBPF_API int userbpf_store__root(char *buf, size_t size);
/* USERBPF_STORE_MKDIR: create the missing parent directories (0700) of
 * a path in the store. */
#define USERBPF_STORE_MKDIR 1u
USERBPF_API int userbpf_store__path(const char *pin, char *buf, size_t size, unsigned flags);
/* The reverse, for display: ROOT/<rest> as /sys/fs/bpf/<rest>; other paths
 * as given. */
USERBPF_API int userbpf_store__display_path(const char *path, char *buf, size_t size);

enum userbpf_pin_kind { USERBPF_PIN_NONE = 0, USERBPF_PIN_MAP = 1, USERBPF_PIN_PROG = 2 };
/* What the file at path (a pin path) holds: a map, a program or neither;
 * a negative errno when it cannot be read. */
USERBPF_API int userbpf_store__kind(const char *path);
/* The id of a pinned object: the identity of its file (the same for every
 * name of it, as Linux's id is the same for every pin). */
USERBPF_API int userbpf_store__id(const char *path, uint64_t *id);
/* Another name for a pinned object (bpftool's `pin`): -EEXIST when newpath
 * exists. */
USERBPF_API int userbpf_store__link(const char *oldpath, const char *newpath);
/* Calls fn for every pinned map and program under dir (NULL: the root),
 * hidden directories included (not the registry of store ids,
 * ROOT/.maps/.ids, which holds second names), with its real path.  A nonzero return of
 * fn stops the walk and is returned. */
typedef int (*userbpf_store_walk_fn)(const char *path, enum userbpf_pin_kind kind,
				     uint64_t id, void *user);
USERBPF_API int userbpf_store__walk(const char *dir, userbpf_store_walk_fn fn, void *user);

/*
 * Program pins.  The file holds what another process needs to load and
 * run the program again: its type, name, tag, license, load time and uid,
 * the final instructions, and the pin path of each map it refers to.
 * Maps not pinned yet are pinned in ROOT/.maps/, so they live on with the
 * program as Linux keeps a program's maps.  Its run statistics live in
 * the file too.
 */
struct userbpf_prog_pin_opts {
	size_t sz;		/* sizeof(struct userbpf_prog_pin_opts) */
	const char *type;	/* program type name ("xdp", ...); NULL: none */
	const char *license;	/* NULL: none */
	const char *name;	/* NULL: the program's own */
};
USERBPF_API int userbpf_prog__pin(struct userbpf_prog *prog, const char *path,
				  const struct userbpf_prog_pin_opts *opts);

struct userbpf_prog_info {
	char name[16];
	char type[32];		/* "" when unknown */
	uint8_t tag[8];
	bool gpl_compatible;
	uint64_t load_time;	/* seconds since the epoch */
	uint32_t uid;
	uint32_t insn_cnt;
	uint32_t jited_len;	/* 0: no JIT code */
	uint64_t memlock;	/* bytes of the file */
	uint64_t run_cnt, run_time_ns; /* as the file holds them now */
	const char *license;
	const struct userbpf_insn *insns;
	size_t map_cnt;
	const char *const *map_paths;
};
struct userbpf_prog_pin;
/* Opens the program pinned at path (read, checked; not loaded). */
USERBPF_API struct userbpf_prog_pin *userbpf_prog_pin__open(struct userbpf_rt *rt,
							    const char *path);
/* What the pin holds; owned by the pin, statistics read anew each call. */
USERBPF_API const struct userbpf_prog_info *userbpf_prog_pin__info(struct userbpf_prog_pin *pin);
/* Loads the program (its maps opened at their pins); its runs count in
 * the pin's statistics.  Owned by the pin; NULL with errno. */
USERBPF_API struct userbpf_prog *userbpf_prog_pin__load(struct userbpf_prog_pin *pin);
/* Accepts NULL. */
USERBPF_API void userbpf_prog_pin__close(struct userbpf_prog_pin *pin);
/* The pin's shared run statistics (NULL when the file is read-only), for
 * userbpf_prog__set_stats() on a program loaded another way (the syscall
 * agent loads attached programs from their object); valid until close. */
USERBPF_API struct userbpf_prog_stats *userbpf_prog_pin__stats(struct userbpf_prog_pin *pin);

/* ---- text forms --------------------------------------------------------- */

/*
 * Disassembles the instruction at insns[0] (the slot count `cnt` bounds lddw)
 * into buf, in llvm-objdump's syntax.  Returns the number of slots consumed
 * (1 or 2), or a negative errno for an invalid encoding (buf then holds a
 * reason).
 */
USERBPF_API int userbpf_disasm_insn(const struct userbpf_insn *insns, size_t cnt,
				    char *buf, size_t buf_sz);

/*
 * Assembles bpf_conformance assembly text.  On success *insns is an array
 * of *cnt slots allocated with malloc (the caller frees it) and 0 is
 * returned; on failure a negative errno and `err` holds "line N: reason".
 */
USERBPF_API int userbpf_asm(const char *text, struct userbpf_insn **insns,
			    size_t *cnt, char *err, size_t err_sz);

/* The last error as a string, for CLI use: libbpf_strerror-like. */
USERBPF_API const char *userbpf_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* USERBPF_USERBPF_H */
