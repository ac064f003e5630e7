/* SPDX-License-Identifier: MIT */
/*
 * twoproc.c - a pinned hash map shared by processes.  A writer process
 * opens the pin and writes keys round after round (values (key, seq,
 * check)), telling the parent through a pipe after each completed write
 * and keeping a counter in the map itself; a reader process opens the pin
 * and checks, live, that every write the counter says is complete is
 * there, whole.  Then the parent kill -9s the writer at a random moment and
 * checks that every write it reported is in the map, and that the map is
 * still writable (a bucket lock the writer may have held is taken over).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testlib.h"
#include "maps/map.h"

#define NKEYS 4096u
#define COUNTER 0xffffffffu

struct val {
	uint64_t key, seq, check;
};

static uint64_t check_of(uint64_t key, uint64_t seq)
{
	uint64_t h = (key + 1) * 0x9e3779b97f4a7c15ull ^ seq;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Write number i goes to key i % NKEYS with seq i / NKEYS + 1. */
static void writer(const char *path, int fd)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	struct userbpf_map *m = rt ? userbpf_map__open_pinned(rt, path) : NULL;

	if (!m)
		_exit(4);
	for (uint64_t i = 0;; i++) {
		uint32_t k = (uint32_t)(i % NKEYS), c = COUNTER;
		struct val v = { k, i / NKEYS + 1, 0 }, cnt = { COUNTER, i + 1, 0 };

		v.check = check_of(k, v.seq);
		cnt.check = check_of(COUNTER, i + 1);
		if (userbpf_map__update_elem(m, &k, &v, 0))
			_exit(5);
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(6);
		if (userbpf_map__update_elem(m, &c, &cnt, 0))
			_exit(5);
	}
}

/* The writes 0..n-1 are complete: key k must hold seq >= its last one. */
static int check_upto(struct userbpf_map *m, uint64_t n, uint32_t k)
{
	struct val v;

	if (n <= k)
		return 0;
	if (userbpf_map__lookup_elem(m, &k, &v, 0))
		return 1;
	if (v.key != k || v.check != check_of(k, v.seq))
		return 2;
	return v.seq < (n - 1 - k) / NKEYS + 1 ? 3 : 0;
}

static void reader(const char *path, unsigned ms)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	struct userbpf_map *m = rt ? userbpf_map__open_pinned(rt, path) : NULL;
	uint64_t end = now_ms() + ms, last = 0, changes = 0;
	uint32_t c = COUNTER, k = 0;

	if (!m)
		_exit(4);
	while (now_ms() < end) {
		struct val cnt;

		if (userbpf_map__lookup_elem(m, &c, &cnt, 0))
			continue;
		if (cnt.check != check_of(COUNTER, cnt.seq))
			_exit(2);
		if (cnt.seq != last)
			changes++;
		last = cnt.seq;
		/* A few keys each round, walking all of them. */
		for (int j = 0; j < 64; j++, k = (k + 1) % NKEYS) {
			int r = check_upto(m, cnt.seq, k);

			if (r)
				_exit(10 + r);
		}
	}
	_exit(changes >= 10 ? 0 : 3);
}

/* A process killed inside a read-side section must not hold the epoch
 * back for ever: writers clear the slots of dead processes. */
static void dead_reader(struct userbpf_map *m, const char *path)
{
	int p[2];
	pid_t c;
	char b = 0;
	int fails = 0;
	uint64_t t0;

	if (pipe(p))
		return;
	c = fork();
	if (c == 0) {
		struct userbpf_rt *rt = tl_rt_new(0);
		struct userbpf_map *mm = rt ? userbpf_map__open_pinned(rt, path) : NULL;

		if (!mm)
			_exit(4);
		ub_map_epoch_enter(mm);
		if (write(p[1], &b, 1) != 1)
			_exit(5);
		pause();
		_exit(0);
	}
	close(p[1]);
	TL_CHECK("twoproc reader in a section", read(p[0], &b, 1) == 1);
	close(p[0]);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	t0 = now_ms();
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t k = i % 8;
		struct val v = { k, i + 1, check_of(k, i + 1) };

		fails += userbpf_map__update_elem(m, &k, &v, 0) != 0;
	}
	TL_EQ_U64("twoproc 20000 replacements after a reader died in its section", fails, 0);
	TL_CHECK("twoproc ... without waiting out the dead reader", now_ms() - t0 < 3000);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	char dir[] = "/tmp/ub-twoproc-XXXXXX", path[64];
	struct userbpf_map *m;
	pid_t w, r;
	int p[2], st, rst = -1, bad[4] = { 0 };
	uint64_t reported = 0, got, kill_at = 0;
	bool any = false, reader_done = false;
	ssize_t n;

	if (!mkdtemp(dir)) {
		tl_fail("twoproc tmpdir", "%s", strerror(errno));
		return tl_exit();
	}
	snprintf(path, sizeof(path), "%s/map", dir);
	m = userbpf_map__create(rt, UB_MAP_HASH, "twoproc", 4, sizeof(struct val), NKEYS + 1, NULL);
	TL_CHECK("twoproc create", m != NULL);
	if (!m || userbpf_map__pin(m, path) || pipe(p)) {
		tl_fail("twoproc pin", "%s", strerror(errno));
		return tl_exit();
	}
	w = fork();
	if (w == 0) {
		close(p[0]);
		writer(path, p[1]);
	}
	close(p[1]);
	r = fork();
	if (r == 0)
		reader(path, 400);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	srand((unsigned)time(NULL));
	/* Drain the reports while the reader runs, then a little more. */
	for (;;) {
		while ((n = read(p[0], &got, sizeof(got))) == sizeof(got)) {
			reported = got;
			any = true;
		}
		if (!reader_done && waitpid(r, &rst, WNOHANG) == r) {
			reader_done = true;
			kill_at = now_ms() + (unsigned)rand() % 50;
		}
		if (reader_done && now_ms() >= kill_at)
			break;
		if (n == 0)
			break;	/* the writer died by itself */
		usleep(200);
	}
	kill(w, SIGKILL);
	waitpid(w, &st, 0);
	if (!reader_done)
		waitpid(r, &rst, 0);
	fcntl(p[0], F_SETFL, 0);
	while ((n = read(p[0], &got, sizeof(got))) == sizeof(got)) {
		reported = got;
		any = true;
	}
	close(p[0]);
	TL_CHECK("twoproc writer ran until killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	if (WIFEXITED(rst) && WEXITSTATUS(rst))
		tl_fail("twoproc reader saw every completed write live", "reader exit %d (2: torn counter, 3: no progress, 4: open, 11: key missing, 12: torn value, 13: old value)",
			WEXITSTATUS(rst));
	else
		TL_CHECK("twoproc reader saw every completed write live", WIFEXITED(rst));
	TL_CHECK("twoproc writer reported writes", any);
	for (uint32_t k = 0; k < NKEYS; k++) {
		int e = check_upto(m, reported + 1, k);

		if (e)
			bad[e]++;
	}
	{
		char msg[96];

		snprintf(msg, sizeof(msg), "twoproc: %llu writes reported before kill -9",
			 (unsigned long long)reported + 1);
		tl_ok(msg);
	}
	TL_EQ_U64("twoproc after kill -9: no reported write missing", bad[1], 0);
	TL_EQ_U64("twoproc after kill -9: no torn value", bad[2], 0);
	TL_EQ_U64("twoproc after kill -9: no value older than reported", bad[3], 0);
	{
		int fails = 0;
		uint64_t t0 = now_ms();

		for (uint32_t k = 0; k < NKEYS; k++) {
			struct val v = { k, 1u << 30, check_of(k, 1u << 30) };

			fails += userbpf_map__update_elem(m, &k, &v, 0) != 0;
		}
		TL_EQ_U64("twoproc map writable after the writer's kill -9", fails, 0);
		TL_CHECK("twoproc ... within seconds", now_ms() - t0 < 20000);
	}
	dead_reader(m, path);
	userbpf_map__free(m);
	unlink(path);
	rmdir(dir);
	userbpf_rt__free(rt);
	return tl_exit();
}
