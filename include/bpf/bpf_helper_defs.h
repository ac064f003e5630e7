/* SPDX-License-Identifier: MIT */
/*
 * bpf/bpf_helper_defs.h - the helpers userbpf provides, declared as libbpf
 * declares them: a function pointer whose value is the Linux helper id,
 * which clang turns into `call ID`.  Written from the ids and signatures
 * of the Linux uapi (facts).  Add a line here when a helper lands.
 */
#ifndef USERBPF_BPF_HELPER_DEFS_H
#define USERBPF_BPF_HELPER_DEFS_H

#include <linux/types.h>

struct bpf_spin_lock;
struct bpf_timer;

static void *(* const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (* const bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (* const bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static long (* const bpf_probe_read)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)4;
static __u64 (* const bpf_ktime_get_ns)(void) = (void *)5;
static long (* const bpf_trace_printk)(const char *fmt, __u32 fmt_size, ...) = (void *)6;
static __u32 (* const bpf_get_prandom_u32)(void) = (void *)7;
static __u32 (* const bpf_get_smp_processor_id)(void) = (void *)8;
static long (* const bpf_tail_call)(void *ctx, void *prog_array_map, __u32 index) = (void *)12;
static __u64 (* const bpf_get_current_pid_tgid)(void) = (void *)14;
static __u64 (* const bpf_get_current_uid_gid)(void) = (void *)15;
static long (* const bpf_get_current_comm)(void *buf, __u32 size_of_buf) = (void *)16;
static long (* const bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data, __u64 size) = (void *)25;
static __s64 (* const bpf_csum_diff)(__be32 *from, __u32 from_size, __be32 *to, __u32 to_size, __wsum seed) = (void *)28;
static long (* const bpf_map_push_elem)(void *map, const void *value, __u64 flags) = (void *)87;
static long (* const bpf_map_pop_elem)(void *map, void *value) = (void *)88;
static long (* const bpf_map_peek_elem)(void *map, void *value) = (void *)89;
static long (* const bpf_spin_lock)(struct bpf_spin_lock *lock) = (void *)93;
static long (* const bpf_spin_unlock)(struct bpf_spin_lock *lock) = (void *)94;
static long (* const bpf_strtol)(const char *buf, unsigned long buf_len, __u64 flags, long *res) = (void *)105;
static long (* const bpf_strtoul)(const char *buf, unsigned long buf_len, __u64 flags, unsigned long *res) = (void *)106;
static long (* const bpf_probe_read_user)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)112;
static long (* const bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static long (* const bpf_probe_read_user_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)114;
static long (* const bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)115;
static __u64 (* const bpf_jiffies64)(void) = (void *)118;
static __u64 (* const bpf_ktime_get_boot_ns)(void) = (void *)125;
static long (* const bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)130;
static void *(* const bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (* const bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
static void (* const bpf_ringbuf_discard)(void *data, __u64 flags) = (void *)133;
static __u64 (* const bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;
static __u64 (* const bpf_ktime_get_coarse_ns)(void) = (void *)160;
static long (* const bpf_for_each_map_elem)(void *map, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)164;
static long (* const bpf_snprintf)(char *str, __u32 str_size, const char *fmt, __u64 *data, __u32 data_len) = (void *)165;
static long (* const bpf_timer_init)(struct bpf_timer *timer, void *map, __u64 flags) = (void *)169;
static long (* const bpf_timer_set_callback)(struct bpf_timer *timer, void *callback_fn) = (void *)170;
static long (* const bpf_timer_start)(struct bpf_timer *timer, __u64 nsecs, __u64 flags) = (void *)171;
static long (* const bpf_timer_cancel)(struct bpf_timer *timer) = (void *)172;
static long (* const bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)181;
static long (* const bpf_strncmp)(const char *s1, __u32 s1_sz, const char *s2) = (void *)182;

#endif
