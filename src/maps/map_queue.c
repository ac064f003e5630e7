/* SPDX-License-Identifier: MIT */
/*
 * map_queue.c - QUEUE (FIFO) and STACK (LIFO), as Linux's
 * queue_stack_maps.c: no keys (key_size 0), values in a ring of
 * max_entries + 1 slots, head and tail indexes and a spin lock in the
 * header's type_state.  Every operation takes the lock, as on Linux (the
 * ring has no per-element state a lock-free reader could trust).
 *
 * Program side: push (BPF_EXIST overwrites the oldest element when full,
 * else -E2BIG), pop, peek (-ENOENT when empty).  User side: lookup is
 * peek, update is push, lookup_and_delete with no key is pop; a key that
 * is not NULL is -EINVAL, as bpf(2) refuses a key for key_size 0.
 */
#include <errno.h>
#include <string.h>
#include "maps/map.h"

struct qs_state {
	uint32_t lock;
	uint32_t head;		/* next slot to write */
	uint32_t tail;		/* oldest element */
	uint32_t size;		/* max_entries + 1 */
};

_Static_assert(sizeof(struct qs_state) <= sizeof(((struct ub_map_hdr *)0)->type_state),
	       "queue state fits the header");

static struct qs_state *qs(struct userbpf_map *m)
{
	return (struct qs_state *)m->hdr->type_state;
}

static size_t slot_size(const struct ub_map_def *def)
{
	return ((size_t)def->value_size + 7) & ~(size_t)7;
}

static int qs_check(struct userbpf_rt *rt, const struct ub_map_def *def)
{
	const uint32_t ok = UB_F_RDONLY | UB_F_WRONLY | UB_F_RDONLY_PROG | UB_F_WRONLY_PROG;

	if (def->key_size != 0 || def->value_size == 0 || def->max_entries == 0 ||
	    (def->map_flags & ~ok) || def->extra) {
		ub_log(rt, USERBPF_LOG_WARN,
		       "map '%.16s': a queue or stack needs key_size 0, value_size > 0, max_entries > 0, no map_extra and only access flags",
		       def->name);
		return -EINVAL;
	}
	if (def->max_entries == UINT32_MAX || def->value_size > (1u << 22)) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': %u values of %u bytes are too large",
		       def->name, def->max_entries, def->value_size);
		return -E2BIG;
	}
	if (def->spin_lock_off >= 0) {
		ub_log(rt, USERBPF_LOG_WARN, "map '%.16s': a queue or stack cannot hold a bpf_spin_lock",
		       def->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static size_t qs_data_size(const struct ub_map_def *def, unsigned ncpus)
{
	(void)ncpus;
	return ((size_t)def->max_entries + 1) * slot_size(def);
}

static int qs_init(struct userbpf_map *m)
{
	qs(m)->size = m->def.max_entries + 1;
	return 0;
}

/* The header is shared: check what another process could have written. */
static int qs_attach(struct userbpf_map *m)
{
	struct qs_state *s = qs(m);

	if (s->size != m->def.max_entries + 1 || s->head >= s->size || s->tail >= s->size)
		return -EINVAL;
	return 0;
}

static uint8_t *slot(struct userbpf_map *m, uint32_t i)
{
	return m->data + (size_t)i * slot_size(&m->def);
}

static long qs_push(struct userbpf_map *m, const void *value, uint64_t flags)
{
	struct qs_state *s = qs(m);
	long err = 0;

	if ((flags & UB_NOEXIST) || flags > UB_EXIST)
		return -EINVAL;
	ub_map_spin_lock(&s->lock);
	if ((s->head + 1) % s->size == s->tail) {	/* full */
		if (flags != UB_EXIST) {
			err = -E2BIG;
			goto out;
		}
		s->tail = (s->tail + 1) % s->size;	/* drop the oldest */
	}
	memcpy(slot(m, s->head), value, m->def.value_size);
	s->head = (s->head + 1) % s->size;
out:
	ub_map_spin_unlock(&s->lock);
	return err;
}

/* Queue: the oldest element (at tail). */
static long queue_take(struct userbpf_map *m, void *value, bool remove)
{
	struct qs_state *s = qs(m);
	long err = 0;

	ub_map_spin_lock(&s->lock);
	if (s->head == s->tail) {
		err = -ENOENT;
		goto out;
	}
	memcpy(value, slot(m, s->tail), m->def.value_size);
	if (remove)
		s->tail = (s->tail + 1) % s->size;
out:
	ub_map_spin_unlock(&s->lock);
	return err;
}

/* Stack: the newest element (just below head). */
static long stack_take(struct userbpf_map *m, void *value, bool remove)
{
	struct qs_state *s = qs(m);
	uint32_t top;
	long err = 0;

	ub_map_spin_lock(&s->lock);
	if (s->head == s->tail) {
		err = -ENOENT;
		goto out;
	}
	top = s->head ? s->head - 1 : s->size - 1;
	memcpy(value, slot(m, top), m->def.value_size);
	if (remove)
		s->head = top;
out:
	ub_map_spin_unlock(&s->lock);
	return err;
}

static long queue_pop(struct userbpf_map *m, void *value) { return queue_take(m, value, true); }
static long queue_peek(struct userbpf_map *m, void *value) { return queue_take(m, value, false); }
static long stack_pop(struct userbpf_map *m, void *value) { return stack_take(m, value, true); }
static long stack_peek(struct userbpf_map *m, void *value) { return stack_take(m, value, false); }

static int qs_lookup_user(struct userbpf_map *m, const void *key, void *value, uint64_t flags)
{
	if (key || flags)
		return -EINVAL;
	return (int)m->ops->peek(m, value);
}

static int qs_update_user(struct userbpf_map *m, const void *key, const void *value,
			  uint64_t flags)
{
	if (key)
		return -EINVAL;
	return (int)qs_push(m, value, flags);
}

static int qs_lookup_and_delete(struct userbpf_map *m, const void *key, void *value)
{
	if (key)
		return -EINVAL;
	return (int)m->ops->pop(m, value);
}

const struct ub_map_ops ub_map_queue_ops = {
	.check = qs_check,
	.data_size = qs_data_size,
	.init = qs_init,
	.attach = qs_attach,
	.push = qs_push,
	.pop = queue_pop,
	.peek = queue_peek,
	.lookup_user = qs_lookup_user,
	.update_user = qs_update_user,
	.lookup_and_delete = qs_lookup_and_delete,
};

const struct ub_map_ops ub_map_stack_ops = {
	.check = qs_check,
	.data_size = qs_data_size,
	.init = qs_init,
	.attach = qs_attach,
	.push = qs_push,
	.pop = stack_pop,
	.peek = stack_peek,
	.lookup_user = qs_lookup_user,
	.update_user = qs_update_user,
	.lookup_and_delete = qs_lookup_and_delete,
};
