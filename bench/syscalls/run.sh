#!/bin/sh
# run.sh BUILD [N] - the syscall-tracing benchmark: N (default 1M) getpid
# calls and N open/close pairs,
#   - untraced (no agent),
#   - with the agent and no link on these syscalls (what untraced syscalls
#     pay: the seccomp filter),
#   - traced by userbpf (sys_enter programs on getpid, or openat and close),
#     with an empty program and with a "count" program (context, helper),
#   - traced by the kernel's tracepoints with the same programs (raw bpf(),
#     kattach.c), when bpf() answers.
# Prints ns per syscall, the overhead per traced syscall against the
# untraced run, and the slowdown of untraced syscalls under the agent.
set -u
build=${1:-build}
n=${2:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export USERBPF_ROOT="$tmp/root"
ub="$build/userbpf"
cc -O2 "$root/bench/syscalls/workload.c" -o "$tmp/wl" || exit 1
cc -O2 -I"$root/include" "$root/bench/syscalls/kattach.c" "$build/libuserbpf.a" -lpthread \
	-o "$tmp/kattach" 2>/dev/null || echo "note: kattach did not build; no kernel column"
for v in EMPTY COUNT; do
	clang -O2 -g -target bpf -DVARIANT_$v -c "$root/bench/syscalls/progs.bpf.c" -o "$tmp/$v.o" || exit 1
done
# one object traces getpid, openat and close: each timed loop meets only
# its own syscalls
: >"$tmp/file"

best() { # runs "$@" 3 times, prints the lowest ns/op
	b=
	for i in 1 2 3; do
		r=$("$@" 2>/dev/null | awk '{print $3}')
		[ -n "$r" ] || { echo "-"; return; }
		if [ -z "$b" ] || awk "BEGIN{exit !($r < $b)}"; then b=$r; fi
	done
	echo "$b"
}

for w in getpid openclose; do
	if [ $w = getpid ]; then args="getpid $n"; per=1
	else args="openclose $n $tmp/file"; per=2; fi
	base=$(best "$tmp/wl" $args)
	# the agent with a link on another syscall: these syscalls are untraced
	if [ $w = getpid ]; then other=openat; else other=getpid; fi
	cat >"$tmp/other.c" <<EOC
#define SEC(name) __attribute__((section(name), used))
SEC("tracepoint/syscalls/sys_enter_$other") int other(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
EOC
	clang -O2 -target bpf -c "$tmp/other.c" -o "$tmp/other.o"
	agent=$(best "$ub" run "$tmp/other.o" -- "$tmp/wl" $args)
	row="$w: untraced $base ns"
	row="$row | agent, untraced $agent ns ($(awk "BEGIN{printf \"%+.1f%%\", ($agent/$base-1)*100}"))"
	for v in EMPTY COUNT; do
		u=$(best "$ub" run "$tmp/$v.o" -- "$tmp/wl" $args)
		row="$row | userbpf $v $u ns (+$(awk "BEGIN{printf \"%.0f\", ($u-$base)/$per}") ns/traced syscall)"
		if [ -x "$tmp/kattach" ]; then
			k=$(best "$tmp/kattach" "$tmp/$v.o" -- "$tmp/wl" $args)
			if [ "$k" != "-" ]; then
				row="$row | kernel $v $k ns (+$(awk "BEGIN{printf \"%.0f\", ($k-$base)/$per}") ns/traced syscall)"
			fi
		fi
	done
	echo "$row"
done
