#!/bin/sh
# run.sh BUILD [N] - the syscall-tracing benchmark: N (default 1M) getpid
# calls and N open/close pairs,
#   - untraced (no agent),
#   - with the agent and no link on these syscalls (what untraced syscalls
#     pay: a jump to the rewritten site's stub and back), and the same
#     with USERBPF_FILTER=always (the agent's seccomp filter installed:
#     what they paid before sites were rewritten up front),
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

# The machine may be shared: each configuration runs REPS times,
# interleaved with the others, and keeps its lowest ns/op.
reps=${REPS:-5}
min() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b + 0 < a + 0) print b; else print a }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{ printf "%+.1f%%", (a / b - 1) * 100 }'; }
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN{ printf "%+.0f", (a - b) / n }'; }
ns() { "$@" 2>/dev/null | awk '{print $3}'; }

printf '%-10s %10s %16s %16s %18s %18s %18s %18s\n' workload untraced "agent,untraced" \
	"+filter,untraced" "userbpf empty" "kernel empty" "userbpf count" "kernel count"
summary=""
for w in getpid openclose; do
	if [ $w = getpid ]; then args="getpid $n"; per=1; other=openat
	else args="openclose $n $tmp/file"; per=2; other=getpid; fi
	# the agent with a link on another syscall: these syscalls are untraced
	cat >"$tmp/other.c" <<EOC
#define SEC(name) __attribute__((section(name), used))
SEC("tracepoint/syscalls/sys_enter_$other") int other(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
EOC
	clang -O2 -target bpf -c "$tmp/other.c" -o "$tmp/other.o"
	b= a= af= ue= uc= ke= kc= knone=
	for r in $(seq "$reps"); do
		b=$(min "$b" "$(ns "$tmp/wl" $args)")
		a=$(min "$a" "$(ns "$ub" run "$tmp/other.o" -- "$tmp/wl" $args)")
		af=$(min "$af" "$(ns env USERBPF_FILTER=always "$ub" run "$tmp/other.o" -- "$tmp/wl" $args)")
		ue=$(min "$ue" "$(ns "$ub" run "$tmp/EMPTY.o" -- "$tmp/wl" $args)")
		uc=$(min "$uc" "$(ns "$ub" run "$tmp/COUNT.o" -- "$tmp/wl" $args)")
		if [ -x "$tmp/kattach" ]; then
			k=$(ns "$tmp/kattach" "$tmp/EMPTY.o" -- "$tmp/wl" $args)
			[ -n "$k" ] && ke=$(min "$ke" "$k") || knone=1
			k=$(ns "$tmp/kattach" "$tmp/COUNT.o" -- "$tmp/wl" $args)
			[ -n "$k" ] && kc=$(min "$kc" "$k") || knone=1
		fi
	done
	kcol() { if [ -n "$1" ]; then echo "$1 ($(per "$1" "$b" $per))"; else echo "no bpf()"; fi; }
	printf '%-10s %10s %16s %16s %18s %18s %18s %18s\n' "$w" "$b" "$a ($(pct "$a" "$b"))" \
		"$af ($(pct "$af" "$b"))" "$ue ($(per "$ue" "$b" $per))" "$(kcol "$ke")" \
		"$uc ($(per "$uc" "$b" $per))" "$(kcol "$kc")"
	summary="$summary $w $(pct "$a" "$b") (filter: $(pct "$af" "$b"));"
done
echo "untraced slowdown %:$summary"
# the same, free of the machine's drift: one process, glibc's (rewritten)
# getpid against a raw one from a page the agent never rewrites
sed 's/sys_enter_getpid/sys_enter_openat/' "$tmp/other.c" >"$tmp/openat.c"
clang -O2 -target bpf -c "$tmp/openat.c" -o "$tmp/openat.o"
st=$("$ub" run "$tmp/openat.o" -- "$tmp/wl" stub "$n" 2>/dev/null | awk '{print $3, $4}')
set -- $st
[ $# -eq 2 ] && echo "in one process under the agent: getpid $1 ns through its rewritten site," \
	"$2 ns raw: untraced slowdown $(pct "$1" "$2")"
echo "ns per getpid or per open+close pair; (+N): ns added per traced syscall"
echo "(open+close: two traced syscalls per pair); agent,untraced: the agent is"
echo "loaded with a link on another syscall - what untraced syscalls pay;"
echo "+filter: the same with USERBPF_FILTER=always (the seccomp filter on)."
