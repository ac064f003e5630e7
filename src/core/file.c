/* SPDX-License-Identifier: MIT */
/*
 * file.c - reading a whole file into runtime memory, with standard C I/O
 * so it is the same on every platform.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/core_internal.h"

/* Files larger than this are refused: no BPF object comes near it. */
#define UB_MAX_FILE (256u << 20)

int ub_read_file(struct userbpf_rt *rt, const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	int err = 0;

	*data = NULL;
	*len = 0;
	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			if (ncap > UB_MAX_FILE) {
				err = -EFBIG;
				break;
			}
			nb = ub_malloc(rt, ncap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			if (n)
				memcpy(nb, buf, n);
			ub_free(rt, buf);
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		ub_free(rt, buf);
		return err;
	}
	*data = buf;
	*len = n;
	return 0;
}
