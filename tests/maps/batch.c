/* SPDX-License-Identifier: MIT */
/*
 * batch.c - batch operations: lookup in chunks visits every element once
 * and ends with ENOENT, update and delete batches stop at the first error
 * and say how far they got, lookup_and_delete drains the map; on hash and
 * array maps.
 */
#include <errno.h>
#include <string.h>
#include "testlib.h"

static void walk(struct userbpf_map *m, uint32_t chunk, uint32_t n, const char *what)
{
	uint32_t keys[16], vals[16], cur = 0, cnt, seen_cnt = 0;
	static uint8_t seen[1000];
	int err, bad = 0, rounds = 0;
	char name[128];

	memset(seen, 0, sizeof(seen));
	do {
		cnt = chunk;
		err = userbpf_map__lookup_batch(m, rounds ? &cur : NULL, &cur, keys, vals, &cnt, 0);
		for (uint32_t i = 0; i < cnt; i++) {
			if (keys[i] >= n || seen[keys[i]]++ || vals[i] != keys[i] * 3)
				bad++;
			seen_cnt++;
		}
		rounds++;
	} while (!err && rounds < 1000);
	snprintf(name, sizeof(name), "%s: lookup batches of %u end with ENOENT", what, chunk);
	TL_EQ_U64(name, err, (uint64_t)-ENOENT);
	snprintf(name, sizeof(name), "%s: every element once, with its value", what);
	TL_CHECK(name, bad == 0 && seen_cnt == n);
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);
	struct userbpf_map *h = userbpf_map__create(rt, 1, "h", 4, 4, 200, NULL);
	struct userbpf_map *a = userbpf_map__create(rt, 2, "a", 4, 4, 50, NULL);
	uint32_t keys[100], vals[100], cnt, cur, got = 0;
	int err;

	TL_CHECK("maps created", h && a);
	if (!h || !a)
		return tl_exit();
	for (uint32_t i = 0; i < 100; i++) {
		keys[i] = i;
		vals[i] = i * 3;
	}
	cnt = 100;
	TL_EQ_U64("update_batch of 100", userbpf_map__update_batch(h, keys, vals, &cnt, 0), 0);
	TL_EQ_U64("update_batch count", cnt, 100);
	walk(h, 7, 100, "hash");
	walk(h, 16, 100, "hash");
	cnt = 50;
	TL_EQ_U64("array update_batch", userbpf_map__update_batch(a, keys, vals, &cnt, 0), 0);
	walk(a, 9, 50, "array");
	cnt = 100;
	err = userbpf_map__update_batch(a, keys, vals, &cnt, 0);
	TL_CHECK("array update_batch past the end: E2BIG after 50", err == -E2BIG && cnt == 50);
	cnt = 3;
	TL_EQ_U64("update_batch NOEXIST on existing keys: EEXIST",
		  userbpf_map__update_batch(h, keys, vals, &cnt, 1), (uint64_t)-EEXIST);
	TL_EQ_U64("... after 0", cnt, 0);
	{
		uint32_t dk[3] = { 1, 2, 500 };
		cnt = 3;
		TL_EQ_U64("delete_batch stops at a missing key", userbpf_map__delete_batch(h, dk, &cnt),
			  (uint64_t)-ENOENT);
		TL_EQ_U64("... after 2", cnt, 2);
	}
	do {
		cnt = 16;
		err = userbpf_map__lookup_and_delete_batch(h, NULL, &cur, keys, vals, &cnt, 0);
		got += cnt;
	} while (!err);
	TL_CHECK("lookup_and_delete_batch drains the 98 left", err == -ENOENT && got == 98);
	TL_EQ_U64("the map is empty", userbpf_map__get_next_key(h, NULL, &cur), (uint64_t)-ENOENT);
	cnt = 0;
	TL_EQ_U64("count 0 is EINVAL", userbpf_map__lookup_batch(a, NULL, &cur, keys, vals, &cnt, 0),
		  (uint64_t)-EINVAL);
	userbpf_map__free(h);
	userbpf_map__free(a);
	userbpf_rt__free(rt);
	return tl_exit();
}
