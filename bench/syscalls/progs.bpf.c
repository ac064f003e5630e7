/* progs.bpf.c - the benchmark's programs, one object per variant (the
 * run script compiles this file with -DVARIANT_...):
 *   EMPTY   return 0
 *   COUNT   the work of a counter without maps (they come with another
 *           layer): read the context, call a helper, fold the result.
 * Only the fields every sys_enter format has are read (Linux refuses to
 * attach a program that reads past its tracepoint's fields). */
#define SEC(name) __attribute__((section(name), used))
static unsigned long long (*bpf_ktime_get_ns)(void) = (void *)5;

struct enter { unsigned long long common; int nr; };

#ifdef VARIANT_EMPTY
#define BODY return 0;
#else
#define BODY return (int)(bpf_ktime_get_ns() ^ ctx->nr) & 1;
#endif

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(struct enter *ctx) { BODY }
SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct enter *ctx) { BODY }
SEC("tracepoint/syscalls/sys_enter_close")
int on_close(struct enter *ctx) { BODY }

char LICENSE[] SEC("license") = "GPL";
