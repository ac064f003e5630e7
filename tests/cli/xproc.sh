#!/bin/sh
# xproc.sh - PROG_ARRAY and ARRAY_OF_MAPS slots set by one userbpf process
# and used by another: every command below is its own process, as with
# bpftool on the kernel.
#   prog_array: prog1 tail-calls slot 0 of its pinned jmp table; `map
#     update ... value pinned prog2` (and `value id ID`) in one process,
#     `prog run pinned prog1` in the next returns prog2's value, and falls
#     through once the slot is deleted.
#   array_of_maps: reader looks up slot 0 of its outer map and returns
#     (and bumps) the inner array's value; the inner map is written by one
#     process and read through the outer map by a program another runs,
#     and the program's write is seen by the next `map lookup`.
#   prog loadall of an object whose prog_array the loader fills (libbpf's
#     `values`): another process tail-calls through it.
#   hash_of_maps: the same through a hash of maps.
#   dump and lookup print the store ids `prog show` / `map show` print;
#   bad values (wrong map type, missing pin, a map for a program, unknown
#   id, an index past the end) give bpftool's one line and exit code.
# Then, when root, bpftool and bpffs are there and bpf() answers, the same
# command lines run by bpftool on the kernel give the same return values,
# lines and exit codes (ids masked).
set -u
ub="$UB_BUILD/userbpf"
tmp=$(mktemp -d)
kdir=/sys/fs/bpf/ubcli-xproc-$$
cleanup() {
	rm -rf "$kdir" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
USERBPF_ROOT="$tmp/root"
export USERBPF_ROOT
B=/sys/fs/bpf/x

SUITE=xproc
# shellcheck source=../lib/cli.inc
. "${UB_ROOT:-.}/tests/lib/cli.inc"
silent_ok() { [ "$rc" = 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; }
retval() { sed -n 's/^Return value: \([0-9]*\),.*/\1/p' "$tmp/out"; }
le32() { printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
id_of() { # prog|map PIN: the id show prints
	"$ub" "$1" show pinned "$2" | sed -n '1s/^\([0-9]*\): .*/\1/p'
}

if ! command -v clang >/dev/null 2>&1; then
	echo "skip xproc: clang is not installed (the programs are BPF C)"
	exit 0
fi

# ---- the programs ---------------------------------------------------------
cat >"$tmp/hdr.h" <<'EOF'
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
typedef unsigned int __u32;
static long (*bpf_tail_call)(void *ctx, void *map, __u32 idx) = (void *)12;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
char LICENSE[] SEC("license") = "GPL";
EOF
cat >"$tmp/p1.c" <<'EOF'
#include "hdr.h"
struct { __uint(type, 3); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");
SEC("socket") int prog1(void *ctx) { bpf_tail_call(ctx, &jmp, 0); return 7; }
EOF
cat >"$tmp/p2.c" <<'EOF'
#include "hdr.h"
SEC("socket") int prog2(void *ctx) { return 42; }
EOF
cat >"$tmp/p4.c" <<'EOF'
#include "hdr.h"
SEC("socket") int prog4(void *ctx) { return 43; }
EOF
cat >"$tmp/p3.c" <<'EOF'
#include "hdr.h"
struct inner { __uint(type, 2); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct { __uint(type, 12); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner); } outer SEC(".maps");
SEC("socket") int reader(void *ctx)
{
	__u32 k = 0, old, *v;
	void *in = bpf_map_lookup_elem(&outer, &k);

	if (!in)
		return 1;
	v = bpf_map_lookup_elem(in, &k);
	if (!v)
		return 2;
	old = *v;
	*v = old + 1;
	return old;
}
EOF
# a prog_array the object loader fills (libbpf's `values`)
cat >"$tmp/p5.c" <<'EOF'
#include "hdr.h"
SEC("socket") int t2(void *ctx) { return 42; }
struct { __uint(type, 3); __uint(max_entries, 2); __type(key, __u32); __array(values, int (void *)); }
	jt SEC(".maps") = { .values = { [1] = (void *)&t2 } };
SEC("socket") int t1(void *ctx) { bpf_tail_call(ctx, &jt, 1); return 7; }
EOF
# hash_of_maps: hout[5] -> inner[0]
cat >"$tmp/p6.c" <<'EOF'
#include "hdr.h"
struct inner { __uint(type, 2); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct { __uint(type, 13); __uint(max_entries, 4); __type(key, __u32); __array(values, struct inner); } hout SEC(".maps");
SEC("socket") int hreader(void *ctx)
{
	__u32 k = 5, z = 0, *v;
	void *in = bpf_map_lookup_elem(&hout, &k);

	if (!in)
		return 1;
	v = bpf_map_lookup_elem(in, &z);
	return v ? *v : 2;
}
EOF
for p in p1 p2 p3 p4 p5 p6; do
	if ! clang -O2 -g -target bpf -I"$tmp" -c "$tmp/$p.c" -o "$tmp/$p.o" 2>"$tmp/cc.err"; then
		echo "not ok xproc: clang cannot build $p.c: $(head -1 "$tmp/cc.err")"
		exit 0
	fi
done
head -c 64 /dev/zero >"$tmp/pkt"

# ---- prog_array: set by one process, tail-called by another ---------------
run "$ub" prog load "$tmp/p1.o" $B/prog1 pinmaps $B/m1
check "load prog1, its jmp table pinned" silent_ok
run "$ub" prog load "$tmp/p2.o" $B/prog2
check "load prog2" silent_ok
run "$ub" prog load "$tmp/p4.o" $B/prog4
run "$ub" prog run pinned $B/prog1 data_in "$tmp/pkt"
check "prog1 alone: the tail call falls through (7)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 7 ]"
run "$ub" map update pinned $B/m1/jmp key 0 0 0 0 value pinned $B/prog2
check "map update jmp[0] = pinned prog2" silent_ok
run "$ub" prog run pinned $B/prog1 data_in "$tmp/pkt"
check "another process: prog1 tail-calls prog2 (42)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 42 ]"
run "$ub" prog run pinned $B/prog1 data_in "$tmp/pkt" repeat 5
check "and again, repeated (42)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 42 ]"
p2id=$(id_of prog $B/prog2)
run "$ub" map dump pinned $B/m1/jmp
check "dump: prog2's id, as prog show prints it" same "$tmp/out" "key: 00 00 00 00  value: $(le32 "$p2id")
Found 1 element"
run "$ub" map lookup pinned $B/m1/jmp key 0 0 0 0
check "lookup: prog2's id" same "$tmp/out" "key: 00 00 00 00  value: $(le32 "$p2id")"
run "$ub" -j map lookup pinned $B/m1/jmp key 0 0 0 0
check "lookup -j: prog2's id" same "$tmp/out" "{\"key\":[\"0x00\",\"0x00\",\"0x00\",\"0x00\"],\"value\":[$(le32 "$p2id" | sed 's/\([0-9a-f][0-9a-f]\)/"0x\1"/g; s/ /,/g')]}"
p4id=$(id_of prog $B/prog4)
run "$ub" map update pinned $B/m1/jmp key 0 0 0 0 value id "$p4id"
check "map update jmp[0] = id of prog4" silent_ok
run "$ub" prog run pinned $B/prog1 data_in "$tmp/pkt"
check "another process: prog1 now tail-calls prog4 (43)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 43 ]"
run "$ub" map delete pinned $B/m1/jmp key 0 0 0 0
check "map delete jmp[0]" silent_ok
run "$ub" prog run pinned $B/prog1 data_in "$tmp/pkt"
check "slot deleted: the tail call falls through again (7)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 7 ]"
run "$ub" map dump pinned $B/m1/jmp
check "dump after delete: Found 0 elements" same "$tmp/out" "Found 0 elements"
# prog2 lives on while a slot names it, as a kernel program held by a
# prog_array: its pin removed, the slot still leads to it
run "$ub" map update pinned $B/m1/jmp key 0 0 0 0 value pinned $B/prog2
rm -f "$USERBPF_ROOT/x/prog2"
run "$ub" prog run pinned $B/prog1 data_in "$tmp/pkt"
check "prog2 unpinned, still named by the slot (42)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 42 ]"

# the object loader's slots, once its programs are pinned (loadall)
run "$ub" prog loadall "$tmp/p5.o" $B/all pinmaps $B/m5
check "loadall an object whose prog_array it fills" silent_ok
run "$ub" prog run pinned $B/all/t1 data_in "$tmp/pkt"
check "another process: t1 tail-calls t2 through the loader's slot (42)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 42 ]"
run "$ub" map lookup pinned $B/m5/jt key 1 0 0 0
check "lookup: t2's id" same "$tmp/out" "key: 01 00 00 00  value: $(le32 "$(id_of prog $B/all/t2)")"

# bad values
run "$ub" map update pinned $B/m1/jmp key 0 0 0 0 value pinned $B/nope
check "prog_array value: missing pin" one_error 255 "bpf obj get ($B/nope): No such file or directory"
run "$ub" map update pinned $B/m1/jmp key 0 0 0 0 value pinned $B/m1/jmp
check "prog_array value: a map is not a program" one_error 255 "incorrect object type: map"
run "$ub" map update pinned $B/m1/jmp key 0 0 0 0 value id 4000000000
check "prog_array value: unknown id" one_error 255 "get by id (4000000000): No such file or directory"
run "$ub" map update pinned $B/m1/jmp key 9 0 0 0 value pinned $B/prog4
check "prog_array value: index past the end (E2BIG)" one_error 249 "update failed: Argument list too long"

# ---- array_of_maps: inner written by one process, read through the outer
# map by a program another runs ---------------------------------------------
run "$ub" map create $B/inner type array key 4 value 4 entries 1 name inner
run "$ub" prog load "$tmp/p3.o" $B/reader pinmaps $B/m3
check "load reader, its outer map pinned" silent_ok
run "$ub" prog run pinned $B/reader data_in "$tmp/pkt"
check "reader: empty outer slot (1)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 1 ]"
run "$ub" map update pinned $B/inner key 0 0 0 0 value 99 0 0 0
run "$ub" map update pinned $B/m3/outer key 0 0 0 0 value pinned $B/inner
check "map update outer[0] = pinned inner" silent_ok
run "$ub" prog run pinned $B/reader data_in "$tmp/pkt"
check "another process: reader reads inner through outer (99)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 99 ]"
run "$ub" map lookup pinned $B/inner key 0 0 0 0
check "the program's write, seen through the inner pin (100)" same "$tmp/out" "key: 00 00 00 00  value: 64 00 00 00"
run "$ub" map update pinned $B/inner key 0 0 0 0 value 5 0 0 0
run "$ub" prog run pinned $B/reader data_in "$tmp/pkt"
check "a write to the inner pin, seen by the program (5)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 5 ]"
inid=$(id_of map $B/inner)
run "$ub" map dump pinned $B/m3/outer
check "dump: the inner map's id, as map show prints it" same "$tmp/out" "key: 00 00 00 00  value: $(le32 "$inid")
Found 1 element"
run "$ub" map update pinned $B/m3/outer key 1 0 0 0 value id "$inid"
check "map update outer[1] = id of inner" silent_ok
run "$ub" map lookup pinned $B/m3/outer key 1 0 0 0
check "lookup outer[1]: the inner map's id" same "$tmp/out" "key: 01 00 00 00  value: $(le32 "$inid")"
run "$ub" map delete pinned $B/m3/outer key 0 0 0 0
run "$ub" prog run pinned $B/reader data_in "$tmp/pkt"
check "outer[0] deleted: reader finds nothing (1)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 1 ]"

# ---- hash_of_maps: the same through its table of references ---------------
run "$ub" prog load "$tmp/p6.o" $B/hreader pinmaps $B/m6
check "load hreader, its hash_of_maps pinned" silent_ok
run "$ub" prog run pinned $B/hreader data_in "$tmp/pkt"
check "hreader: no key (1)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 1 ]"
run "$ub" map update pinned $B/m6/hout key 5 0 0 0 value pinned $B/inner
check "map update hout[5] = pinned inner" silent_ok
run "$ub" prog run pinned $B/hreader data_in "$tmp/pkt"
check "another process: hreader reads inner through hout (6: the reader bumped it)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 6 ]"
run "$ub" map dump pinned $B/m6/hout
check "dump hout: the inner map's id" same "$tmp/out" "key: 05 00 00 00  value: $(le32 "$inid")
Found 1 element"
run "$ub" map delete pinned $B/m6/hout key 5 0 0 0
run "$ub" prog run pinned $B/hreader data_in "$tmp/pkt"
check "hout[5] deleted: hreader finds nothing (1)" sh -c "[ $rc = 0 ] && [ '$(retval)' = 1 ]"

# bad values
run "$ub" map create $B/h type hash key 4 value 4 entries 2 name hh
run "$ub" map create $B/big type array key 4 value 4 entries 3 name big
run "$ub" map update pinned $B/m3/outer key 0 0 0 0 value pinned $B/h
check "map-in-map value: a hash for an array template (EINVAL)" one_error 234 "update failed: Invalid argument"
run "$ub" map update pinned $B/m3/outer key 0 0 0 0 value pinned $B/big
check "map-in-map value: other max_entries (EINVAL)" one_error 234 "does not match the template"
run "$ub" map update pinned $B/m3/outer key 0 0 0 0 value pinned $B/nope
check "map-in-map value: missing pin" one_error 255 "bpf obj get ($B/nope): No such file or directory"
run "$ub" map update pinned $B/m3/outer key 0 0 0 0 value pinned $B/prog1
check "map-in-map value: a program is not a map" one_error 255 "incorrect object type: prog"
run "$ub" map update pinned $B/m3/outer key 0 0 0 0 value id 4000000000
check "map-in-map value: unknown id" one_error 255 "get map by id (4000000000): No such file or directory"
run "$ub" map delete pinned $B/m3/outer key 0 0 0 0
check "delete an empty slot (ENOENT)" one_error 254 "delete failed: No such file or directory"
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$tmp")" ]; then
	run "$ub" map create /dev/shm/ubxproc-$$ type array key 4 value 4 entries 1 name far
	run "$ub" map update pinned $B/m3/outer key 0 0 0 0 value pinned /dev/shm/ubxproc-$$
	check "map-in-map value: a pin outside the store's file system, refused" one_error 255 "is not in the store"
	rm -f /dev/shm/ubxproc-$$
	run "$ub" map lookup pinned $B/m3/outer key 0 0 0 0
	check "... and the slot left empty" sh -c "[ $rc = 254 ] && grep -q 'Not found' '$tmp/out'"
else
	echo "skip xproc a pin on another file system: /dev/shm is missing or on the store's"
fi

# ---- the same command lines on the kernel ----------------------------------
skip_k() {
	echo "skip xproc kernel: $1"
	exit 0
}
kernel_ready "$kdir" || skip_k "$why"
rm -rf "$USERBPF_ROOT"
K=$kdir

# both ARGS...: bpftool and userbpf on the same paths; k.* and u.*
both() {
	"$bt" "$@" >"$tmp/k.out" 2>"$tmp/k.err"
	krc=$?
	"$ub" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	urc=$?
}
mask() { # ids (values of reference maps), durations
	sed -E 's/duration: [0-9]+ns/duration: Nns/; s/^(key: .. .. .. ..  value:) .. .. .. ../\1 ID/' "$1" |
		grep -v -E '^Warning|^ +by some process|^libbpf: |^$'
}
same_k() { # the same stdout (masked), stderr and status
	mask "$tmp/k.out" >"$tmp/k.m"
	mask "$tmp/u.out" >"$tmp/u.m"
	mask "$tmp/k.err" >"$tmp/k.e"
	mask "$tmp/u.err" >"$tmp/u.e"
	if [ "$krc" = "$urc" ] && cmp -s "$tmp/k.m" "$tmp/u.m" && cmp -s "$tmp/k.e" "$tmp/u.e"; then
		return 0
	fi
	echo "# kernel (exit $krc):" && sed 's/^/#   /' "$tmp/k.m" "$tmp/k.e" | head -8
	echo "# userbpf (exit $urc):" && sed 's/^/#   /' "$tmp/u.m" "$tmp/u.e" | head -8
	return 1
}
# the error lines differ in what follows the kernel's words: compare the
# first words and the status
same_k_err() {
	k=$(sed -n '1s/^\(Error: [^:(]*\).*/\1/p' "$tmp/k.err")
	u=$(sed -n '1s/^\(Error: [^:(]*\).*/\1/p' "$tmp/u.err")
	[ "$krc" = "$urc" ] && [ -n "$k" ] && [ "$k" = "$u" ] ||
		{ echo "# kernel $krc: $(head -1 "$tmp/k.err") / userbpf $urc: $(head -1 "$tmp/u.err")"; false; }
}

both prog load "$tmp/p1.o" $K/prog1 type socket pinmaps $K/m1
check "kernel: load prog1" same_k
both prog load "$tmp/p2.o" $K/prog2 type socket
both prog run pinned $K/prog1 data_in "$tmp/pkt"
check "kernel: prog1 alone (7)" same_k
both map update pinned $K/m1/jmp key 0 0 0 0 value pinned $K/prog2
check "kernel: jmp[0] = prog2" same_k
both prog run pinned $K/prog1 data_in "$tmp/pkt"
check "kernel: prog1 tail-calls prog2 (42)" same_k
# (jmp has BTF, which bpftool prints as such: dump a map without)
both map create $K/pa type prog_array key 4 value 4 entries 2 name pa
both map update pinned $K/pa key 1 0 0 0 value pinned $K/prog2
both map dump pinned $K/pa
check "kernel: dump a prog_array" same_k
both map lookup pinned $K/pa key 1 0 0 0
check "kernel: lookup a prog_array" same_k
both map lookup pinned $K/pa key 0 0 0 0
check "kernel: lookup an empty slot" same_k
both map delete pinned $K/m1/jmp key 0 0 0 0
both prog run pinned $K/prog1 data_in "$tmp/pkt"
check "kernel: slot deleted, falls through (7)" same_k
both map update pinned $K/m1/jmp key 0 0 0 0 value pinned $K/m1/jmp
check "kernel: a map for a program" same_k
both prog loadall "$tmp/p5.o" $K/all type socket pinmaps $K/m5
check "kernel: loadall, the loader fills the prog_array" same_k
both prog run pinned $K/all/t1 data_in "$tmp/pkt"
check "kernel: t1 tail-calls t2 (42)" same_k
both map update pinned $K/m1/jmp key 0 0 0 0 value pinned $K/nope
check "kernel: missing program pin" same_k

both map create $K/inner type array key 4 value 4 entries 1 name inner
both prog load "$tmp/p3.o" $K/reader type socket pinmaps $K/m3
check "kernel: load reader" same_k
both map update pinned $K/inner key 0 0 0 0 value 99 0 0 0
both map update pinned $K/m3/outer key 0 0 0 0 value pinned $K/inner
check "kernel: outer[0] = inner" same_k
both prog run pinned $K/reader data_in "$tmp/pkt"
check "kernel: reader through outer (99)" same_k
both map lookup pinned $K/inner key 0 0 0 0
check "kernel: the program's write (100)" same_k
both map dump pinned $K/m3/outer
check "kernel: dump outer" same_k
both map create $K/h type hash key 4 value 4 entries 2 name hh
both map update pinned $K/m3/outer key 0 0 0 0 value pinned $K/h
check "kernel: wrong inner map type" same_k_err
both map update pinned $K/m3/outer key 0 0 0 0 value pinned $K/nope
check "kernel: missing inner pin" same_k
both map update pinned $K/m3/outer key 0 0 0 0 value pinned $K/prog1
check "kernel: a program for a map" same_k
both map delete pinned $K/m3/outer key 0 0 0 0
both map delete pinned $K/m3/outer key 0 0 0 0
check "kernel: delete an empty slot" same_k
both prog load "$tmp/p6.o" $K/hreader type socket pinmaps $K/m6
check "kernel: load hreader" same_k
both map update pinned $K/m6/hout key 5 0 0 0 value pinned $K/inner
check "kernel: hout[5] = inner" same_k
both prog run pinned $K/hreader data_in "$tmp/pkt"
check "kernel: hreader through hout (100)" same_k
both map dump pinned $K/m6/hout
check "kernel: dump hout" same_k
both prog run pinned $K/reader data_in "$tmp/pkt"
check "kernel: reader after delete (1)" same_k
exit 0
