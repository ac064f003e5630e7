/* SPDX-License-Identifier: MIT */
/*
 * timers.c - bpf_timer: a timer armed by a program fires its callback
 * once, on the element it lives in (key and value); init twice is EBUSY;
 * a far timer cancelled never fires and cancel reports it was armed;
 * freeing the program stops its timers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"

struct elem {
	uint64_t t[2];
	uint64_t fired, key_seen;
};

static int64_t run(struct userbpf_prog *p, uint32_t key, uint32_t op)
{
	uint32_t ctx[2] = { key, op };
	struct userbpf_test_run_opts o = { .sz = sizeof(o), .ctx_in = ctx, .ctx_size_in = 8 };

	if (userbpf_prog__test_run(p, &o))
		return -1000 - errno;
	return (int32_t)o.retval;
}

static struct elem get(struct userbpf_map *m, uint32_t key)
{
	struct elem e;

	memset(&e, 0, sizeof(e));
	userbpf_map__lookup_elem(m, &key, &e, 0);
	return e;
}

int main(void)
{
	const char *root = getenv("UB_ROOT");
	char cmd[1024], obj_path[] = "/tmp/ub-timer-XXXXXX";
	struct userbpf_rt *rt;
	struct userbpf_obj *obj;
	struct userbpf_prog *p;
	struct userbpf_map *m;
	int fd;

	if (!root) {
		tl_skip("timers", "UB_ROOT is not set (run through tests/run.sh)");
		return 0;
	}
	fd = mkstemp(obj_path);
	if (fd < 0)
		return 1;
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "clang -O2 -g -target bpf -I%s/include -I/usr/include/$(gcc -dumpmachine) -c %s/tests/helpers/progs/timer.bpf.c -o %s",
		 root, root, obj_path);
	if (system(cmd)) {
		tl_skip("timers", "clang -target bpf failed");
		unlink(obj_path);
		return 0;
	}
	rt = tl_rt_new(0);
	obj = userbpf_obj__open_file(rt, obj_path, NULL);
	TL_CHECK("timer object loads", obj && !userbpf_obj__load(obj));
	p = obj ? userbpf_obj__find_prog(obj, "arm") : NULL;
	m = obj ? userbpf_obj__find_map(obj, "timers") : NULL;
	if (!p || !m)
		return tl_exit();
	TL_EQ_U64("program with timers verifies", userbpf_prog__verify(p, NULL), 0);
	TL_EQ_U64("init, set_callback, start 1 ms", run(p, 2, 0), 0);
	for (int i = 0; i < 200 && get(m, 2).fired == 0; i++)
		usleep(5000);
	usleep(20000);
	TL_EQ_U64("the callback ran once", get(m, 2).fired, 1);
	TL_EQ_U64("with the element's key", get(m, 2).key_seen, 2);
	TL_EQ_U64("other elements untouched", get(m, 1).fired, 0);
	TL_EQ_U64("init twice is EBUSY", (uint64_t)run(p, 2, 2), (uint64_t)-EBUSY);
	TL_EQ_U64("a timer 10 s away", run(p, 3, 3), 0);
	TL_EQ_U64("cancel says it was armed", run(p, 3, 1), 1);
	TL_EQ_U64("cancel again says it was not", run(p, 3, 1), 0);
	TL_EQ_U64("cancel of an uninitialised timer is EINVAL", (uint64_t)run(p, 0, 1), (uint64_t)-EINVAL);
	TL_EQ_U64("re-armed at 1 ms", run(p, 1, 0), 0);
	/* Freeing the program with a timer armed stops it (ASan and the
	 * timer thread's join in userbpf_rt__free would catch a callback
	 * into freed code). */
	userbpf_obj__close(obj);
	usleep(20000);
	userbpf_rt__free(rt);
	unlink(obj_path);
	return tl_exit();
}
