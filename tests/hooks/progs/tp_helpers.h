/* tp_helpers.h - the few helper declarations the hooks test programs use,
 * with Linux's helper ids (so the tests need neither libbpf-dev nor the
 * kernel headers). */
#ifndef TP_HELPERS_H
#define TP_HELPERS_H
#define SEC(name) __attribute__((section(name), used))
static long (*bpf_trace_printk)(const char *fmt, unsigned int fmt_size, ...) = (void *)6;
static unsigned long long (*bpf_get_current_pid_tgid)(void) = (void *)14;
static unsigned long long (*bpf_get_current_uid_gid)(void) = (void *)15;
static long (*bpf_get_current_comm)(void *buf, unsigned int size) = (void *)16;
static long (*bpf_probe_read_user)(void *dst, unsigned int size, const void *src) = (void *)112;
static long (*bpf_probe_read_user_str)(void *dst, unsigned int size, const void *src) = (void *)114;
#endif
