/* SPDX-License-Identifier: MIT */
/*
 * libbpf_api.c - a libbpf user program, built against our
 * include/bpf/libbpf.h: open, find, set const volatile values, load,
 * attach a syscall tracepoint, run commands under `userbpf exec`, read the
 * counts map, the ring buffer and the perf buffer the traced processes
 * filled, test-run an xdp program, pin and get, errors, and detach.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "testlib.h"

struct event {
	__u64 tag;
	char comm[16];
	char file[64];
};

static int rb_events, rb_true, rb_tag_ok;
static int on_rb(void *ctx, void *data, size_t size)
{
	const struct event *e = data;

	(void)ctx;
	if (size != sizeof(*e))
		return 0;
	rb_events++;
	rb_true += strstr(e->file, "/true") != NULL;
	rb_tag_ok += e->tag == 0x5eed;
	return 0;
}

static int pb_events;
static void on_pb(void *ctx, int cpu, void *data, __u32 size)
{
	(void)ctx; (void)cpu; (void)data;
	pb_events += size >= sizeof(struct event);
}

static char last_msg[512];
static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	return 0;
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int main(void)
{
	const char *build = getenv("UB_BUILD"), *root = getenv("UB_ROOT");
	char dir[] = "/tmp/ub-compat-XXXXXX", obj_path[256], cmd[1024];
	struct bpf_object *obj;
	struct bpf_program *prog, *xdp, *skip, *p;
	struct bpf_map *counts, *m;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	size_t sz = 0;
	__u64 *tag, count = 0;
	__u32 k = 0;
	int n;

	if (!build || !root) {
		tl_skip("libbpf api", "UB_BUILD/UB_ROOT are not set (run through tests/run.sh)");
		return 0;
	}
	if (!mkdtemp(dir))
		return 1;
	setenv("USERBPF_ROOT", dir, 1);
	snprintf(obj_path, sizeof(obj_path), "%s/snoop.o", dir);
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I%s/include -I/usr/include/$(gcc -dumpmachine) -c %s/tests/compat/progs/snoop.bpf.c -o %s",
		 root, root, obj_path);
	if (sh(cmd)) {
		tl_skip("libbpf api", "clang -target bpf failed");
		return 0;
	}
	libbpf_set_print(print_fn);

	obj = bpf_object__open_file("/nonexistent.o", NULL);
	TL_CHECK("open of a missing file: NULL, libbpf_get_error -ENOENT",
		 !obj && libbpf_get_error(obj) == -ENOENT);
	obj = bpf_object__open_file(obj_path, NULL);
	TL_CHECK("bpf_object__open_file", obj && !libbpf_get_error(obj));
	if (!obj)
		return tl_exit();
	prog = bpf_object__find_program_by_name(obj, "on_execve");
	xdp = bpf_object__find_program_by_name(obj, "pass_ipv4");
	skip = bpf_object__find_program_by_name(obj, "never_loaded");
	TL_CHECK("find_program_by_name", prog && xdp && skip);
	TL_CHECK("find_program_by_name of a missing one is NULL",
		 !bpf_object__find_program_by_name(obj, "nope") && errno == ENOENT);
	TL_CHECK("section_name",
		 !strcmp(bpf_program__section_name(prog), "tracepoint/syscalls/sys_enter_execve"));
	TL_EQ_U64("bpf_program__type from SEC", bpf_program__type(xdp), BPF_PROG_TYPE_XDP);
	n = 0;
	bpf_object__for_each_program(p, obj)
		n++;
	TL_EQ_U64("next_program visits 3 programs", n, 3);
	n = 0;
	bpf_object__for_each_map(m, obj)
		n++;
	TL_EQ_U64("next_map visits counts, events, pevents and .rodata", n, 4);
	TL_EQ_U64("set_autoload(false)", bpf_program__set_autoload(skip, false), 0);
	TL_EQ_U64("set_flags", bpf_program__set_flags(xdp, 0), 0);
	m = bpf_object__find_map_by_name(obj, ".rodata");
	tag = m ? bpf_map__initial_value(m, &sz) : NULL;
	TL_CHECK("const volatile through bpf_map__initial_value", tag && sz >= 8);
	if (tag)
		*tag = 0x5eed;
	counts = bpf_object__find_map_by_name(obj, "counts");
	TL_CHECK("find_map_by_name", counts && bpf_map__type(counts) == BPF_MAP_TYPE_ARRAY &&
					     bpf_map__key_size(counts) == 4 &&
					     bpf_map__value_size(counts) == 8 &&
					     bpf_map__max_entries(counts) == 1);
	TL_EQ_U64("bpf_object__load", bpf_object__load(obj), 0);
	TL_CHECK("program fds", bpf_program__fd(prog) >= 0 && bpf_program__fd(xdp) >= 0);
	TL_CHECK("a program left out has no fd", bpf_program__fd(skip) < 0);

	/* a test run of the xdp program, as bpf_prog_test_run_opts */
	{
		unsigned char pkt[64] = { 0 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .repeat = 3);

		pkt[12] = 0x08;
		TL_EQ_U64("bpf_prog_test_run_opts", bpf_prog_test_run_opts(bpf_program__fd(xdp), &o), 0);
		TL_EQ_U64("xdp verdict XDP_PASS", o.retval, XDP_PASS);
		pkt[13] = 0x06;
		bpf_prog_test_run_opts(bpf_program__fd(xdp), &o);
		TL_EQ_U64("xdp verdict XDP_DROP", o.retval, XDP_DROP);
	}

	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), on_rb,
			      NULL, NULL);
	TL_CHECK("ring_buffer__new", rb != NULL);
	TL_CHECK("ring_buffer__epoll_fd", rb && ring_buffer__epoll_fd(rb) >= 0);
	pb = perf_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "pevents")), 8, on_pb,
			      NULL, NULL, NULL);
	TL_CHECK("perf_buffer__new", pb != NULL);
	TL_CHECK("ring_buffer__new on an array is EINVAL",
		 !ring_buffer__new(bpf_map__fd(counts), on_rb, NULL, NULL) && errno == EINVAL);

	link = bpf_program__attach(prog);
	TL_CHECK("bpf_program__attach", link && !libbpf_get_error(link));
	TL_CHECK("attaching an xdp program is refused",
		 !bpf_program__attach(xdp) && errno == EOPNOTSUPP);
	snprintf(cmd, sizeof(cmd), "%s/userbpf exec -- sh -c '/bin/true; /bin/true; /bin/true' ",
		 build);
	TL_EQ_U64("commands run under userbpf exec", sh(cmd), 0);
	TL_EQ_U64("bpf_map_lookup_elem on the shared counts", bpf_map_lookup_elem(bpf_map__fd(counts), &k, &count), 0);
	TL_CHECK("traced processes counted each execve in our map", count >= 3);
	snprintf(cmd, sizeof(cmd),
		 "%s/userbpf prog show | grep -qE '^[0-9]+: tracepoint  name on_execve  tag [0-9a-f]+  gpl run_time_ns [0-9]+ run_cnt %llu$'",
		 build, (unsigned long long)count);
	TL_EQ_U64("prog show counts the runs in the traced processes", sh(cmd), 0);
	n = rb ? ring_buffer__poll(rb, 1000) : -1;
	TL_CHECK("ring_buffer__poll delivers the events", n >= 3 && rb_events == (int)count);
	TL_CHECK("events carry the filenames", rb_true >= 3);
	TL_CHECK("events carry the const volatile set before load", rb_tag_ok == rb_events);
	n = pb ? perf_buffer__poll(pb, 1000) : -1;
	TL_CHECK("perf_buffer__poll delivers the events", n >= 3 && pb_events == (int)count);
	TL_EQ_U64("ring_buffer__consume with nothing new", rb ? ring_buffer__consume(rb) : 1, 0);

	/* fd calls, pin and get */
	{
		__u64 v = 7, got = 0;
		__u32 bad = 5;
		int fd2;

		TL_EQ_U64("bpf_map_update_elem", bpf_map_update_elem(bpf_map__fd(counts), &k, &v, BPF_ANY), 0);
		TL_EQ_U64("bpf_map__lookup_elem", bpf_map__lookup_elem(counts, &k, 4, &got, 8, 0), 0);
		TL_EQ_U64("value written", got, 7);
		TL_EQ_U64("bpf_map__lookup_elem with a wrong size", bpf_map__lookup_elem(counts, &k, 3, &got, 8, 0), (__u64)-EINVAL);
		TL_EQ_U64("update past the end: E2BIG", bpf_map_update_elem(bpf_map__fd(counts), &bad, &v, 0), (__u64)-E2BIG);
		TL_EQ_U64("bad fd: EBADF", bpf_map_lookup_elem(12345, &k, &got), (__u64)-EBADF);
		TL_EQ_U64("bpf_obj_pin", bpf_obj_pin(bpf_map__fd(counts), "/sys/fs/bpf/counts"), 0);
		fd2 = bpf_obj_get("/sys/fs/bpf/counts");
		TL_CHECK("bpf_obj_get", fd2 >= 0);
		got = 0;
		bpf_map_lookup_elem(fd2, &k, &got);
		TL_EQ_U64("the pin is the same map", got, 7);
		TL_CHECK("bpf_obj_get of a missing pin", bpf_obj_get("/sys/fs/bpf/nope") < 0 && errno == ENOENT);
		TL_EQ_U64("bpf_obj_pin of a program", bpf_obj_pin(bpf_program__fd(xdp), "/sys/fs/bpf/xdp_prog"), 0);
		snprintf(cmd, sizeof(cmd), "%s/userbpf prog show pinned /sys/fs/bpf/xdp_prog | grep -q 'xdp  name pass_ipv4'", build);
		TL_EQ_U64("the pinned program is seen by the CLI", sh(cmd), 0);
	}
	{
		char buf[64];
		TL_EQ_U64("libbpf_strerror", libbpf_strerror(-ENOENT, buf, sizeof(buf)), 0);
		TL_CHECK("libbpf_strerror text", strstr(buf, "No such file") != NULL);
	}
	TL_EQ_U64("bpf_link__destroy", bpf_link__destroy(link), 0);
	count = 0;
	snprintf(cmd, sizeof(cmd), "%s/userbpf exec -- /bin/true", build);
	sh(cmd);
	bpf_map_lookup_elem(bpf_map__fd(counts), &k, &count);
	TL_EQ_U64("after destroy the program no longer runs", count, 7);
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	bpf_object__close(obj);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
	return tl_exit();
}
