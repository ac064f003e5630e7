/* SPDX-License-Identifier: MIT */
/*
 * progtypes.c - program types as data: registration and its version
 * check, the helper allow-list, load flags reaching the provider, the
 * 64-byte context header, and test runs of the built-in xdp and
 * socket_filter types (compared with the kernel's BPF_PROG_TEST_RUN when
 * bpf() answers).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "testlib.h"

#define I(c, d, s, o, i) ((struct userbpf_insn){ (c), (d), (s), (o), (i) })

/* xdp: IPv4 (ethertype 0x0800) passes (2), anything else drops (1), a
 * frame shorter than an Ethernet header aborts (0). */
static const struct userbpf_insn xdp_prog[] = {
	I(0x61, 2, 1, 0, 0),	/* r2 = ctx->data */
	I(0x61, 3, 1, 4, 0),	/* r3 = ctx->data_end */
	I(0xbf, 4, 2, 0, 0),	/* r4 = r2 */
	I(0x07, 4, 0, 0, 14),	/* r4 += 14 */
	I(0xb7, 0, 0, 0, 0),	/* r0 = 0 */
	I(0x2d, 4, 3, 4, 0),	/* if r4 > r3 goto exit */
	I(0x69, 5, 2, 12, 0),	/* r5 = *(u16 *)(r2 + 12) */
	I(0xb7, 0, 0, 0, 1),	/* r0 = 1 */
	I(0x55, 5, 0, 1, 0x0008), /* if r5 != htons(0x800) goto exit */
	I(0xb7, 0, 0, 0, 2),	/* r0 = 2 */
	I(0x95, 0, 0, 0, 0),
};

/* socket filter: r0 = the IP protocol byte (LD_ABS from the network
 * header) + skb->len * 256 */
static const struct userbpf_insn sk_prog[] = {
	I(0xbf, 6, 1, 0, 0),
	I(0x30, 0, 0, 0, 9),	/* r0 = ldabsb 9 */
	I(0x61, 1, 6, 0, 0),	/* r1 = skb->len */
	I(0x67, 1, 0, 0, 8),
	I(0x0f, 0, 1, 0, 0),
	I(0x95, 0, 0, 0, 0),
};

static long kernel_test_run(uint32_t type, const struct userbpf_insn *insns, size_t cnt,
			    const void *pkt, size_t len, uint32_t *retval)
{
	union bpf_attr a;
	int fd;
	long r;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uint64_t)(uintptr_t)"GPL";
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = (uint32_t)len;
	a.test.repeat = 1;
	r = syscall(__NR_bpf, BPF_PROG_TEST_RUN, &a, sizeof(a));
	close(fd);
	if (r < 0)
		return -errno;
	*retval = a.test.retval;
	return 0;
}

static uint8_t frame[64];

static void check_type_run(struct userbpf_rt *rt, const char *type, uint32_t ktype,
			   const struct userbpf_insn *insns, size_t cnt, const char *label)
{
	struct userbpf_prog_opts po = { .sz = sizeof(po), .prog_type = type };
	struct userbpf_prog *p = userbpf_prog__load(rt, insns, cnt, &po);
	char name[128];
	int kernel_ok = 1;

	snprintf(name, sizeof(name), "%s loads", label);
	TL_CHECK(name, p != NULL);
	if (!p)
		return;
	snprintf(name, sizeof(name), "%s verifies against the %s context", label, type);
	TL_EQ_U64(name, userbpf_prog__verify(p, NULL), 0);
	for (int variant = 0; variant < 3; variant++) {
		size_t len = variant == 2 ? 10 : sizeof(frame);
		struct userbpf_test_run_opts o = { .sz = sizeof(o), .data_in = frame,
						   .data_size_in = len };
		uint32_t kret = 0;
		long kerr;

		if (variant == 2) {
			/* Both refuse frames shorter than an Ethernet header. */
			o.data_size_in = len;
			snprintf(name, sizeof(name), "%s test run of a 10-byte frame is EINVAL", label);
			TL_CHECK(name, userbpf_prog__test_run(p, &o) < 0 && errno == EINVAL);
			break;
		}
		frame[12] = 0x08;
		frame[13] = variant == 1 ? 0x06 : 0x00;
		frame[14 + 9] = 17;
		for (int e = 0; e < 2; e++) {
			o.engine = e ? USERBPF_ENGINE_INTERPRETER : USERBPF_ENGINE_DEFAULT;
			snprintf(name, sizeof(name), "%s test run, frame %d, %s", label, variant,
				 e ? "interpreter" : "jit");
			TL_EQ_U64(name, userbpf_prog__test_run(p, &o), 0);
		}
		kerr = kernel_test_run(ktype, insns, cnt, frame, len, &kret);
		if (kerr) {
			if (kernel_ok)
				tl_skip(label, "the kernel's bpf() does not answer BPF_PROG_TEST_RUN here");
			kernel_ok = 0;
			continue;
		}
		snprintf(name, sizeof(name), "%s frame %d: same result as the kernel (%u)", label,
			 variant, kret);
		TL_EQ_U64(name, o.retval, kret);
	}
	userbpf_prog__free(p);
}

/* ---- a host-defined type ------------------------------------------------ */

struct host_ctx {
	uint64_t a, b;
};
static int load_calls;
static uint32_t seen_flags;
static int host_on_load(void *user, struct userbpf_prog *prog, uint32_t flags)
{
	(void)user;
	(void)prog;
	load_calls++;
	seen_flags = flags;
	return flags == 0xdead ? -EPERM : 0;
}
static int host_test_ctx(void *user, struct userbpf_test_ctx *t)
{
	struct host_ctx h = { 40, 2 };
	(void)user;
	memcpy(t->ctx, &h, sizeof(h));
	return 0;
}
static const struct userbpf_ctx_field host_fields[] = { { 0, 8, USERBPF_CTX_READ },
							{ 8, 8, USERBPF_CTX_READ | USERBPF_CTX_WRITE } };
static const uint32_t host_helpers[] = { 1000 };
static const char *const host_secs[] = { "myhook", NULL };

static int header_ok;
static uint64_t h_check_header(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			       struct userbpf_call *call)
{
	struct userbpf_ctx_header *h = userbpf_ctx_header((void *)(uintptr_t)r1);
	(void)r2; (void)r3; (void)r4; (void)r5;
	header_ok = h->magic == USERBPF_CTX_MAGIC && h->call == call && h->prog != NULL &&
		    h->load_flags == 7;
	return 1;
}

static void test_host_type(struct userbpf_rt *rt)
{
	struct userbpf_prog_type t = {
		.version = USERBPF_PROG_TYPE_VERSION, .size = sizeof(t), .name = "myhook",
		.sec_prefixes = host_secs, .ctx_size = sizeof(struct host_ctx),
		.ctx_fields = host_fields, .ctx_field_cnt = 2, .helpers = host_helpers,
		.helper_cnt = 1, .check_return = true, .ret_min = 0, .ret_max = 100,
		.test_ctx = host_test_ctx, .on_load = host_on_load,
	};
	struct userbpf_prog_type old = t;
	/* r0 = ctx->a + ctx->b + check_header(ctx) */
	const struct userbpf_insn ok[] = {
		I(0x79, 2, 1, 0, 0), I(0x79, 3, 1, 8, 0), I(0x0f, 2, 3, 0, 0),
		I(0xbf, 6, 2, 0, 0), I(0x85, 0, 0, 0, 1000), I(0x0f, 0, 6, 0, 0),
		I(0x57, 0, 0, 0, 63), I(0x95, 0, 0, 0, 0),
	};
	const struct userbpf_insn bad_helper[] = { I(0x85, 0, 0, 0, 5), I(0x95, 0, 0, 0, 0) };
	const struct userbpf_insn bad_ctx[] = { I(0x79, 0, 1, 16, 0), I(0x57, 0, 0, 0, 1),
						I(0x95, 0, 0, 0, 0) };
	const struct userbpf_insn bad_ret[] = { I(0xb7, 0, 0, 0, 101), I(0x95, 0, 0, 0, 0) };
	const struct userbpf_insn ro_write[] = { I(0x7a, 1, 0, 0, 1), I(0xb7, 0, 0, 0, 0),
						 I(0x95, 0, 0, 0, 0) };
	struct userbpf_prog_opts po = { .sz = sizeof(po), .prog_type = "myhook", .prog_flags = 7 };
	struct userbpf_prog *p;

	old.version = (USERBPF_PROG_TYPE_VERSION_MAJOR + 1) << 16;
	tl_last_log[0] = 0;
	TL_CHECK("a provider built for another major version is refused",
		 userbpf_rt__register_prog_type(rt, &old) < 0 && errno == EPROTO);
	TL_CHECK("the refusal names both versions", strstr(tl_last_log, "version 2.0") &&
							     strstr(tl_last_log, "speaks 1.0"));
	TL_EQ_U64("host type registers", userbpf_rt__register_prog_type(rt, &t), 0);
	TL_CHECK("registering the name twice is EEXIST",
		 userbpf_rt__register_prog_type(rt, &t) < 0 && errno == EEXIST);
	TL_CHECK("SEC name finds the host type",
		 userbpf_rt__prog_type_for_sec(rt, "myhook/x") == userbpf_rt__prog_type(rt, "myhook"));
	TL_CHECK("SEC name finds xdp", userbpf_rt__prog_type_for_sec(rt, "xdp") ==
					       userbpf_rt__prog_type(rt, "xdp"));
	userbpf_rt__set_helper(rt, 1000, "check_header", h_check_header);
	p = userbpf_prog__load(rt, ok, sizeof(ok) / sizeof(ok[0]), &po);
	TL_CHECK("host program loads", p != NULL);
	TL_EQ_U64("provider saw the load flags", seen_flags, 7);
	if (p) {
		struct userbpf_test_run_opts o = { .sz = sizeof(o) };
		TL_EQ_U64("host program verifies against its context", userbpf_prog__verify(p, NULL), 0);
		TL_EQ_U64("host test run", userbpf_prog__test_run(p, &o), 0);
		TL_EQ_U64("host result uses the built context", o.retval, 43 & 63);
		TL_CHECK("the helper found the 64-byte header", header_ok);
		userbpf_prog__free(p);
	}
	po.prog_flags = 0xdead;
	TL_CHECK("provider refusing the load flags refuses the load",
		 userbpf_prog__load(rt, ok, sizeof(ok) / sizeof(ok[0]), &po) == NULL);
	po.prog_flags = 0;
	TL_CHECK("a helper outside the type's list is refused at load",
		 userbpf_prog__load(rt, bad_helper, 2, &po) == NULL && errno == EINVAL &&
			 strstr(tl_last_log, "not allowed in myhook"));
	p = userbpf_prog__load(rt, bad_ctx, 3, &po);
	TL_CHECK("a read past the context is refused by the verifier",
		 p && userbpf_prog__verify(p, NULL) < 0 && errno == EACCES);
	userbpf_prog__free(p);
	p = userbpf_prog__load(rt, bad_ret, 2, &po);
	TL_CHECK("a return outside the type's range is refused",
		 p && userbpf_prog__verify(p, NULL) < 0 && errno == EACCES);
	userbpf_prog__free(p);
	p = userbpf_prog__load(rt, ro_write, 3, &po);
	TL_CHECK("a write to a read-only context field is refused",
		 p && userbpf_prog__verify(p, NULL) < 0 && errno == EACCES);
	userbpf_prog__free(p);
	TL_CHECK("unknown type name refused", ({
			 struct userbpf_prog_opts q = { .sz = sizeof(q), .prog_type = "nope" };
			 userbpf_prog__load(rt, ok, 8, &q) == NULL && errno == EINVAL; }));
}

int main(void)
{
	struct userbpf_rt *rt = tl_rt_new(0);

	check_type_run(rt, "xdp", BPF_PROG_TYPE_XDP, xdp_prog,
		       sizeof(xdp_prog) / sizeof(xdp_prog[0]), "xdp");
	check_type_run(rt, "socket_filter", BPF_PROG_TYPE_SOCKET_FILTER, sk_prog,
		       sizeof(sk_prog) / sizeof(sk_prog[0]), "socket_filter");
	test_host_type(rt);
	userbpf_rt__free(rt);
	return tl_exit();
}
