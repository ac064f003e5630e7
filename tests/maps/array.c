/* SPDX-License-Identifier: MIT */
/*
 * array.c - ARRAY, PERCPU_ARRAY and PROG_ARRAY from user space: Linux's
 * flags and errors, freeze, pinning and reopening the pin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testlib.h"

static void test_array(struct userbpf_rt *rt)
{
	struct userbpf_map *m = userbpf_map__create(rt, 2, "arr", 4, 12, 4, NULL);
	uint32_t k = 1, next = 0;
	uint8_t v[12], out[12];

	TL_CHECK("array create", m != NULL);
	if (!m)
		return;
	memset(v, 0xab, sizeof(v));
	TL_EQ_U64("array update any", userbpf_map__update_elem(m, &k, v, 0), 0);
	TL_EQ_U64("array update noexist is EEXIST", userbpf_map__update_elem(m, &k, v, 1),
		  (uint64_t)-EEXIST);
	TL_EQ_U64("array lookup", userbpf_map__lookup_elem(m, &k, out, 0), 0);
	TL_CHECK("array lookup value", !memcmp(out, v, sizeof(v)));
	k = 4;
	TL_EQ_U64("array update past end is E2BIG", userbpf_map__update_elem(m, &k, v, 0),
		  (uint64_t)-E2BIG);
	TL_EQ_U64("array lookup past end is ENOENT", userbpf_map__lookup_elem(m, &k, out, 0),
		  (uint64_t)-ENOENT);
	TL_EQ_U64("array delete is EINVAL", userbpf_map__delete_elem(m, &k), (uint64_t)-EINVAL);
	TL_EQ_U64("array update bad flags is EINVAL", userbpf_map__update_elem(m, &k, v, 8),
		  (uint64_t)-EINVAL);
	TL_EQ_U64("array first key", userbpf_map__get_next_key(m, NULL, &next), 0);
	TL_EQ_U64("array first key is 0", next, 0);
	k = 3;
	TL_EQ_U64("array last key ENOENT", userbpf_map__get_next_key(m, &k, &next),
		  (uint64_t)-ENOENT);
	TL_EQ_U64("array freeze", userbpf_map__freeze(m), 0);
	k = 0;
	TL_EQ_U64("frozen array refuses update", userbpf_map__update_elem(m, &k, v, 0),
		  (uint64_t)-EPERM);
	userbpf_map__free(m);
	TL_CHECK("array bad key size refused",
		 userbpf_map__create(rt, 2, "bad", 8, 4, 4, NULL) == NULL && errno == EINVAL);
	TL_CHECK("unknown type refused",
		 userbpf_map__create(rt, 999, "bad", 4, 4, 4, NULL) == NULL && errno == EINVAL);
}

static void test_percpu(struct userbpf_rt *rt)
{
	struct userbpf_map *m = userbpf_map__create(rt, 6, "pc", 4, 4, 2, NULL);
	unsigned n = userbpf_num_possible_cpus();
	size_t sz;
	uint8_t *v, *out;
	uint32_t k = 1;
	int bad = 0;

	TL_CHECK("percpu create", m != NULL);
	if (!m)
		return;
	sz = userbpf_map__user_value_size(m);
	TL_EQ_U64("percpu value is 8 bytes a cpu", sz, 8u * n);
	v = calloc(1, sz);
	out = calloc(1, sz);
	for (unsigned c = 0; c < n; c++)
		memcpy(v + 8 * c, &c, 4);
	TL_EQ_U64("percpu update", userbpf_map__update_elem(m, &k, v, 0), 0);
	TL_EQ_U64("percpu lookup", userbpf_map__lookup_elem(m, &k, out, 0), 0);
	for (unsigned c = 0; c < n; c++) {
		uint32_t got;
		memcpy(&got, out + 8 * c, 4);
		bad += got != c;
	}
	TL_EQ_U64("percpu slots hold each cpu's value", bad, 0);
	free(v);
	free(out);
	userbpf_map__free(m);
}

static void test_pin(struct userbpf_rt *rt)
{
	char dir[] = "/tmp/ub-maps-XXXXXX", path[64];
	struct userbpf_map *m, *m2;
	uint32_t k = 2, val = 77, got = 0;

	if (!mkdtemp(dir)) {
		tl_fail("pin tmpdir", "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/m", dir);
	m = userbpf_map__create(rt, 2, "pinme", 4, 4, 8, NULL);
	TL_CHECK("pin create", m != NULL);
	if (!m)
		return;
	TL_EQ_U64("pin before write", userbpf_map__update_elem(m, &k, &val, 0), 0);
	TL_EQ_U64("pin", userbpf_map__pin(m, path), 0);
	TL_EQ_U64("pin at the same path again is EEXIST", userbpf_map__pin(m, path), (uint64_t)-EEXIST);
	{
		char path2[80];
		snprintf(path2, sizeof(path2), "%s/m2", dir);
		TL_EQ_U64("a second pin is a second name", userbpf_map__pin(m, path2), 0);
		TL_CHECK("second name exists", access(path2, F_OK) == 0);
		unlink(path2);
	}
	m2 = userbpf_map__open_pinned(rt, path);
	TL_CHECK("open pinned", m2 != NULL);
	if (m2) {
		TL_EQ_U64("reopened sees old write", userbpf_map__lookup_elem(m2, &k, &got, 0), 0);
		TL_EQ_U64("reopened value", got, 77);
		val = 99;
		userbpf_map__update_elem(m, &k, &val, 0);
		userbpf_map__lookup_elem(m2, &k, &got, 0);
		TL_EQ_U64("reopened sees live write", got, 99);
		TL_EQ_U64("reopened type", userbpf_map__type(m2), 2);
		TL_CHECK("reopened name", !strcmp(userbpf_map__name(m2), "pinme"));
		userbpf_map__freeze(m);
		TL_CHECK("freeze seen by the other mapping", userbpf_map__is_frozen(m2));
		userbpf_map__free(m2);
	}
	userbpf_map__free(m);
	TL_CHECK("pin survives the map", access(path, F_OK) == 0);
	TL_CHECK("open of a non-map file fails",
		 userbpf_map__open_pinned(rt, "/etc/hostname") == NULL && errno == EINVAL);
	TL_CHECK("open of a missing pin fails",
		 userbpf_map__open_pinned(rt, "/nonexistent/pin") == NULL && errno == ENOENT);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);

	test_array(rt);
	test_percpu(rt);
	test_pin(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
