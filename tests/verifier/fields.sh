#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fields.sh - a map value's struct bpf_spin_lock and struct bpf_timer, as
# the object's BTF declares them, belong to the helpers: a load or store
# that may touch their bytes, a helper that reads or writes a range over
# them, and a lock or timer helper given another offset are refused, in
# Linux's words; a program that uses them only through the helpers, and
# the value's other bytes directly, is accepted.  Each case is BPF C built
# by clang and judged by `userbpf verify`; when root, bpftool, a bpf file
# system and bpf() are there, the kernel judges the same object and must
# give the same verdict with the same message.
set -u
SUITE=fields
ub="$UB_BUILD/userbpf"
tmp=$(mktemp -d)
kdir=/sys/fs/bpf/ubfields-$$
trap 'rm -rf "$tmp" "$kdir" 2>/dev/null' EXIT
# shellcheck source=../lib/cli.inc
. "${UB_ROOT:-.}/tests/lib/cli.inc"

if ! command -v clang >/dev/null 2>&1; then
	echo "skip fields: clang is not installed (the programs are BPF C)"
	exit 0
fi
arch_inc=/usr/include/$(uname -m)-linux-gnu
kernel=1
kernel_ready "$kdir" || { echo "skip fields kernel: $why"; kernel=0; }

# case NAME EXPECT BODY: EXPECT is "accept" or the refusal's words; BODY
# is the program's, with e the looked-up value of m (key 0).
case_() {
	cn=$1 expect=$2 body=$3
	cat >"$tmp/$cn.bpf.c" <<EOF
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct elem {
	struct bpf_spin_lock l;
	__u32 v;
	__u64 x, y;
	struct bpf_timer t;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct elem);
} m SEC(".maps");
static int cb(void *map, __u32 *key, struct elem *val)
{
	return 0;
}
SEC("syscall")
int $cn(void *ctx)
{
	__u32 k = 0, k1 = 1;
	struct elem *e = bpf_map_lookup_elem(&m, &k);

	if (!e)
		return 0;
	$body
}
char LICENSE[] SEC("license") = "GPL";
EOF
	if ! clang -O2 -g -target bpf -I"$arch_inc" -c "$tmp/$cn.bpf.c" -o "$tmp/$cn.o" \
		2>"$tmp/cc.err"; then
		echo "not ok $SUITE $cn: clang cannot build it: $(head -1 "$tmp/cc.err")"
		return
	fi
	run "$ub" verify "$tmp/$cn.o"
	if [ "$expect" = accept ]; then
		check "$cn: accepted" [ "$rc" = 0 ]
	else
		check "$cn: refused: $expect" eval '[ "$rc" != 0 ] && grep -qF -- "$expect" "$tmp/out" "$tmp/err"'
	fi
	[ "$kernel" = 1 ] || return
	rm -rf "$kdir/$cn"
	"$bt" -d prog loadall "$tmp/$cn.o" "$kdir/$cn" >"$tmp/k.out" 2>&1
	krc=$?
	rm -rf "$kdir/$cn"
	if [ "$expect" = accept ]; then
		check "$cn: the kernel accepts it too" [ "$krc" = 0 ]
	else
		check "$cn: the kernel refuses it in the same words" \
			eval '[ "$krc" != 0 ] && grep -qF -- "$expect" "$tmp/k.out"'
	fi
}

case_ timer_load "bpf_timer cannot be accessed directly by load/store" \
	'return *(volatile __u64 *)&e->t;'
case_ timer_store "bpf_timer cannot be accessed directly by load/store" \
	'*(volatile __u32 *)((char *)&e->t + 12) = 0; return 0;'
case_ lock_load "bpf_spin_lock cannot be accessed directly by load/store" \
	'return *(volatile __u32 *)&e->l;'
case_ var_off "bpf_timer cannot be accessed directly by load/store" \
	'__u32 i = e->v & 8; return *(volatile __u64 *)((char *)&e->y + i);'
case_ helper_whole "bpf_spin_lock cannot be accessed directly by load/store" \
	'return bpf_map_update_elem(&m, &k1, e, 0);'
case_ timer_off "doesn't point to 'struct bpf_timer' that is at 24" \
	'return bpf_timer_init((struct bpf_timer *)&e->x, &m, 1);'
case_ lock_off "doesn't point to 'struct bpf_spin_lock' that is at 0" \
	'bpf_spin_lock((struct bpf_spin_lock *)&e->v); bpf_spin_unlock((struct bpf_spin_lock *)&e->v); return 0;'
case_ proper accept \
	'bpf_spin_lock(&e->l); e->v++; bpf_spin_unlock(&e->l);
	bpf_timer_init(&e->t, &m, 1); bpf_timer_set_callback(&e->t, cb);
	e->x = e->y + 1; return e->v;'
