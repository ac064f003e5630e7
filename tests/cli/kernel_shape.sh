#!/bin/sh
# kernel_shape.sh - the same bpftool command lines against the Linux kernel
# (bpftool) and against userbpf, compared line by line: map create,
# update, dump, lookup, getnext, show, freeze and pin for ARRAY,
# PERCPU_ARRAY and (once the branch has them) HASH maps; prog load, show,
# dump xlated and run for a map-less object; and the exit codes and error
# lines of bad arguments.  Only what must differ is masked: ids, times,
# sizes of kernel memory and JIT code.
#
# Skips, saying why, unless we are root, bpftool is found ($BPFTOOL, PATH,
# /usr/sbin, or an unpacked Debian package under /tmp/bpftool-*), and a bpf
# file system is (or can be) mounted at /sys/fs/bpf.  Both sides pin at the
# same /sys/fs/bpf paths: the kernel's in bpffs, ours in a private store.
set -u
ub="$UB_BUILD/userbpf"
tmp=$(mktemp -d)
dir=/sys/fs/bpf/ubcli-kshape-$$
cleanup() {
	rm -rf "$dir" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
USERBPF_ROOT="$tmp/root"
export USERBPF_ROOT

skip_all() {
	echo "skip kshape: $1"
	exit 0
}
# shellcheck source=../lib/cli.inc
. "${UB_ROOT:-.}/tests/lib/cli.inc"
kernel_ready "$dir" || skip_all "$why"

check() { # name, condition-command...
	name=$1
	shift
	if "$@"; then echo "ok kshape $name"; else echo "not ok kshape $name"; fi
}
# both CMD...: runs the bpftool arguments on each side; k.out/k.err/krc
# and u.out/u.err/urc
both() {
	"$bt" "$@" >"$tmp/k.out" 2>"$tmp/k.err"
	krc=$?
	"$ub" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	urc=$?
}
mask() { # file: ids, times, memlock and JIT sizes out
	sed -E 's/^[0-9]+: /ID: /; s/"id": ?[0-9]+/"id":ID/; s/memlock [0-9]+B/memlock NB/;
		s/"bytes_memlock": ?[0-9]+/"bytes_memlock":N/; s/jited [0-9]+B/jited NB/;
		s/"bytes_jited": ?[0-9]+/"bytes_jited":N/; s/loaded_at [^ ]+/loaded_at T/;
		s/"loaded_at": ?[0-9]+/"loaded_at":T/; s/duration( \(average\))?: [0-9]+ns/duration\1: Nns/;
		s/"duration": ?[0-9]+/"duration":N/; s/run_time_ns [0-9]+/run_time_ns N/;
		s/"run_time_ns": ?[0-9]+/"run_time_ns":N/' "$1" | grep -v -E '^	btf_id |^Warning|^If it used|^$'
}
same_out() { # both stdouts equal (masked), both statuses equal
	mask "$tmp/k.out" >"$tmp/k.m"
	mask "$tmp/u.out" >"$tmp/u.m"
	if [ "$krc" = "$urc" ] && cmp -s "$tmp/k.m" "$tmp/u.m"; then
		return 0
	fi
	echo "# kernel (exit $krc):" && sed 's/^/#   /' "$tmp/k.m" "$tmp/k.err" | head -20
	echo "# userbpf (exit $urc):" && sed 's/^/#   /' "$tmp/u.m" "$tmp/u.err" | head -20
	return 1
}
same_sorted() { # as same_out, order of lines aside (hash maps)
	sort "$tmp/k.out" >"$tmp/k.s" && mv "$tmp/k.s" "$tmp/k.out"
	sort "$tmp/u.out" >"$tmp/u.s" && mv "$tmp/u.s" "$tmp/u.out"
	same_out
}
same_err() { # both fail with the same status and the same one error line
	if [ "$krc" = "$urc" ] && [ "$krc" != 0 ] && [ "$(head -1 "$tmp/k.err")" = "$(cat "$tmp/u.err")" ]; then
		return 0
	fi
	echo "# kernel (exit $krc): $(head -1 "$tmp/k.err")"
	echo "# userbpf (exit $urc): $(cat "$tmp/u.err")"
	return 1
}
keys_of() { # file: the JSON object's keys in order (first object if an array)
	python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
d=d[0] if isinstance(d,list) else d
print(' '.join(d.keys()))" "$1" 2>/dev/null
}

# ---- ARRAY ---------------------------------------------------------------
both map create "$dir/arr" type array key 4 value 8 entries 4 name arr
check "array create" sh -c "[ $krc = 0 ] && [ $urc = 0 ]"
both map update pinned "$dir/arr" key 1 0 0 0 value 1 2 3 4 5 6 7 8
check "array update decimal" same_out
both map update pinned "$dir/arr" key hex 02 00 00 00 value hex ff 0 0 0 0 0 0 0a exist
check "array update hex, exist" same_out
both map dump pinned "$dir/arr"
check "array dump: the same key/value lines" same_out
both -j map dump pinned "$dir/arr"
check "array dump -j: the same JSON" same_out
both -p map dump pinned "$dir/arr"
check "array dump -p: the same pretty JSON" same_out
both map lookup pinned "$dir/arr" key 1 0 0 0
check "array lookup" same_out
both map lookup pinned "$dir/arr" key 7 0 0 0
check "array lookup missing: Not found, exit 254" same_out
both -j map lookup pinned "$dir/arr" key 7 0 0 0
check "array lookup missing -j: null, exit 254" same_out
both map getnext pinned "$dir/arr" key 1 0 0 0
check "array getnext" same_out
both map getnext pinned "$dir/arr"
check "array getnext without key" same_out
both -j map getnext pinned "$dir/arr" key 2 0 0 0
check "array getnext -j" same_out
both map getnext pinned "$dir/arr" key 3 0 0 0
check "array getnext at the end: error and exit" same_err
both map update pinned "$dir/arr" key 1 0 0 0 value 1 2 3 4 5 6 7 8 noexist
check "array update noexist: error and exit" same_err
both map update pinned "$dir/arr" key 4 0 0 0 value 1 2 3 4 5 6 7 8
check "array update past the end: error and exit" same_err
both map delete pinned "$dir/arr" key 1 0 0 0
check "array delete: error and exit" same_err
both -f map show pinned "$dir/arr"
check "array show (-f): the same lines" same_out
both -f -j map show pinned "$dir/arr"
kk=$(keys_of "$tmp/k.out")
uk=$(keys_of "$tmp/u.out")
check "array show -j: the same keys in the same order ($uk)" sh -c "[ '$kk' = '$uk' ] && [ -n '$kk' ]"
both map pin pinned "$dir/arr" "$dir/arr2"
check "array pin" same_out
both map pin pinned "$dir/arr" "$dir/arr2"
check "array pin again: error and exit" same_err
both map freeze pinned "$dir/arr"
check "array freeze" same_out
both map update pinned "$dir/arr" key 1 0 0 0 value 1 2 3 4 5 6 7 8
check "frozen array update: error and exit" same_err
both -f map show pinned "$dir/arr2"
check "frozen array show (-f): both pins, frozen" same_sorted

# ---- PERCPU_ARRAY ------------------------------------------------------
both map create "$dir/pc" type percpu_array key 4 value 4 entries 2 name pc
check "percpu_array create" sh -c "[ $krc = 0 ] && [ $urc = 0 ]"
both map update pinned "$dir/pc" key 1 0 0 0 value 1 2 3 4
check "percpu_array update" same_out
both map dump pinned "$dir/pc"
check "percpu_array dump: a value per CPU" same_out
both -j map dump pinned "$dir/pc"
check "percpu_array dump -j" same_out
both map lookup pinned "$dir/pc" key 0 0 0 0
check "percpu_array lookup" same_out

# ---- a 20-byte value: bpftool's line breaks --------------------------------
both map create "$dir/big" type array key 4 value 20 entries 2 name big
both map update pinned "$dir/big" key 1 0 0 0 value hex 1 2 3 4 5 6 7 8 9 a b c d e f 10 11 12 13 14
both map dump pinned "$dir/big"
check "long value dump: the same line breaks" same_out

# ---- PROG_ARRAY ----------------------------------------------------------
both map create "$dir/pa" type prog_array key 4 value 4 entries 4 name pa
both map dump pinned "$dir/pa"
check "empty prog_array dump" same_out

# ---- HASH ------------------------------------------------------------------
"$ub" map create "$dir/h" type hash key 4 value 4 entries 8 name hh >"$tmp/u.out" 2>"$tmp/u.err"
if grep -q "not supported" "$tmp/u.err"; then
	echo "skip kshape hash: this build has no hash maps yet ($(cat "$tmp/u.err"))"
else
	"$bt" map create "$dir/h" type hash key 4 value 4 entries 8 name hh
	both map dump pinned "$dir/h"
	check "hash dump empty" same_out
	both map update pinned "$dir/h" key 5 0 0 0 value 1 1 1 1
	both map update pinned "$dir/h" key 6 0 0 0 value 2 2 2 2
	both map update pinned "$dir/h" key 7 0 0 0 value 3 3 3 3 noexist
	check "hash update noexist" same_out
	both map update pinned "$dir/h" key 7 0 0 0 value 3 3 3 3 noexist
	check "hash update noexist again: error and exit" same_err
	both map dump pinned "$dir/h"
	check "hash dump: the same lines (any order)" same_sorted
	both map delete pinned "$dir/h" key 6 0 0 0
	check "hash delete" same_out
	both map delete pinned "$dir/h" key 6 0 0 0
	check "hash delete missing: error and exit" same_err
	both map lookup pinned "$dir/h" key 6 0 0 0
	check "hash lookup missing" same_out
	both -f map show pinned "$dir/h"
	check "hash show (-f)" same_out
fi

# ---- bad arguments: the same line, the same exit ----------------------------
both map create "$dir/arr" type array key 4 value 8 entries 4 name arr
check "map create over an existing pin" same_err
both map create "$dir/bad" type foo key 4 value 4 entries 1 name bad
check "bad map type" same_err
both map create "$dir/bad" type array key four value 4 entries 1 name bad
check "bad key size" same_err
both map create "$dir/bad" type array key 4 value 4 entries 1
check "no map name" same_err
both map lookup pinned "$dir/pc" key 1 0 0
check "bad key length" same_err
both map update pinned "$dir/pc" key 1 0 0 0 value 1 2 3
check "bad value length" same_err
both map update pinned "$dir/pc" key 1 0 0 0 value 1 2 3 4 5
check "extra value byte" same_err
both map update pinned "$dir/pc" key 1 0 0 0 value 1 2 3 zz
check "bad byte" same_err
both map update pinned "$dir/pc" key 1 0 0 0
check "missing value" same_err
both map update pinned "$dir/pc" key 1 0 0 0 value 1 2 3 4 any exist
check "flags twice" same_err
both map lookup pinned "$dir/none" key 1 0 0 0
check "missing pinned path" same_err
both map lookup id abc key 1 0 0 0
check "bad id" same_err
both map lookup foo bar
check "bad map handle" same_err
both -j map lookup pinned "$dir/pc" key 1 0 0
check "-j error object" same_out

# ---- programs: a map-less object --------------------------------------------
if command -v clang >/dev/null 2>&1; then
	cat >"$tmp/p.c" <<'EOF'
#define SEC(n) __attribute__((section(n), used))
struct xdp_md { unsigned data, data_end, data_meta, ifindex, rxq, egress; };
SEC("xdp") int xdp_two(struct xdp_md *ctx)
{
	return 2;
}
SEC("xdp") int xdp_first(struct xdp_md *ctx)
{
	void *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;

	if (d + 4 > e)
		return 1;
	return ((unsigned char *)d)[0] == 0xaa ? 1 : 2;
}
char LICENSE[] SEC("license") = "GPL";
EOF
	# no -g: no BTF line info, so the kernel's xlated dump is instructions only
	clang -O2 -target bpf -c "$tmp/p.c" -o "$tmp/p.o"
	printf '\252\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017' >"$tmp/pkt"
	both prog load "$tmp/p.o" "$dir/p"
	check "prog load" sh -c "[ $krc = 0 ] && [ $urc = 0 ]"
	both -f prog show pinned "$dir/p"
	check "prog show (-f): the same lines, tag included" same_out
	both -f -j prog show pinned "$dir/p"
	kk=$(keys_of "$tmp/k.out")
	uk=$(keys_of "$tmp/u.out")
	check "prog show -j: the same keys in the same order ($uk)" sh -c "[ '$kk' = '$uk' ] && [ -n '$kk' ]"
	check "prog show -j: the same tag" sh -c "[ \"\$(grep -o '\"tag\":\"[0-9a-f]*\"' '$tmp/k.out')\" = \"\$(grep -o '\"tag\":\"[0-9a-f]*\"' '$tmp/u.out')\" ]"
	both prog dump xlated pinned "$dir/p"
	check "prog dump xlated: the same text" same_out
	both -j prog dump xlated pinned "$dir/p"
	check "prog dump xlated -j: the same JSON" same_out
	both prog dump xlated pinned "$dir/p" opcodes
	check "prog dump xlated opcodes" same_out
	both prog run pinned "$dir/p" data_in "$tmp/pkt"
	check "prog run: Return value line" same_out
	both prog run pinned "$dir/p" data_in "$tmp/pkt" repeat 4
	check "prog run repeat: average" same_out
	both prog run pinned "$dir/p" data_in "$tmp/pkt" data_out -
	check "prog run data_out -: the same hex dump" same_out
	both -j prog run pinned "$dir/p" data_in "$tmp/pkt" data_out -
	check "prog run -j: the same JSON" same_out
	both -p prog run pinned "$dir/p" data_in "$tmp/pkt"
	check "prog run -p" same_out
	both prog loadall "$tmp/p.o" "$dir/all"
	check "prog loadall" same_out
	both -j prog show pinned "$dir/all/xdp_first"
	check "prog loadall: second program, same tag" sh -c "[ \"\$(grep -o '\"tag\":\"[0-9a-f]*\"' '$tmp/k.out')\" = \"\$(grep -o '\"tag\":\"[0-9a-f]*\"' '$tmp/u.out')\" ]"
	both prog pin pinned "$dir/p" "$dir/p2"
	check "prog pin" same_out
	both prog run pinned "$dir/map-none" data_in "$tmp/pkt"
	check "prog run: missing pin" same_err
	both prog run pinned "$dir/arr" data_in "$tmp/pkt"
	check "prog run: a map is not a program" same_err
	both prog run pinned "$dir/p" data_in "$tmp/pkt" repeat abc
	check "prog run: bad repeat" same_err
	both prog run pinned "$dir/p"
	check "prog run: too few arguments" same_err
	both prog dump foo pinned "$dir/p"
	check "prog dump: neither xlated nor jited" same_err
	both prog run pinned "$dir/p" data_in "$tmp/nonexist"
	check "prog run: missing data_in" same_err
else
	echo "skip kshape prog: clang is not installed"
fi
exit 0
