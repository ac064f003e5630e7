#!/bin/sh
# demo.sh - what `make demo` shows.
#
# Part 1, the hello world of eBPF, without root: hello_kern.c
# (SEC("tracepoint/syscalls/sys_enter_execve") + bpf_printk) built with
# clang; hello_user.c, a libbpf program (open, find, load, attach, read
# the trace pipe, destroy, close) built against our headers; a shell that
# runs a few commands under `userbpf exec`; one Hello line per execve, in
# the kernel's trace_pipe format.
#
# Part 2: a BPF C program loaded, verified, disassembled and run in the
# JIT, agreeing with the same C compiled natively.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
hello_pid=
cleanup() {
	[ -n "$hello_pid" ] && kill "$hello_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ub="$build/userbpf"
src="$root/examples/demo/checksum.bpf.c"
arch=$(gcc -dumpmachine)
export USERBPF_ROOT="$tmp/store"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Hello world: build the BPF side with clang, the user side against libbpf's API"
echo "\$ clang -O2 -g -target bpf -Iinclude -c examples/hello/hello_kern.c -o hello_kern.o"
clang -O2 -g -target bpf -I"$root/include" -I"/usr/include/$arch" \
	-c "$root/examples/hello/hello_kern.c" -o "$tmp/hello_kern.o"
echo "\$ cc examples/hello/hello_user.c -Iinclude libuserbpf.a -o hello_user"
cc -O2 -Wall -I"$root/include" "$root/examples/hello/hello_user.c" "$build/libuserbpf.a" \
	-lpthread -o "$tmp/hello_user"

say "Run hello_user (it attaches and reads the trace pipe), then commands under userbpf exec"
"$tmp/hello_user" "$tmp/hello_kern.o" >"$tmp/hello.out" 2>"$tmp/hello.err" &
hello_pid=$!
i=0
until grep -q attached "$tmp/hello.err" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$hello_pid" 2>/dev/null; then
		cat "$tmp/hello.err" >&2
		echo "hello_user did not attach" >&2
		exit 1
	fi
	sleep 0.1
done
echo "\$ userbpf exec -- sh -c '/bin/true; /bin/ls / >/dev/null; /bin/echo done'"
"$ub" exec -- sh -c '/bin/true; /bin/ls / >/dev/null; /bin/echo done'
sleep 0.5
kill -INT "$hello_pid"
wait "$hello_pid" || true
hello_pid=
echo "--- hello_user printed:"
cat "$tmp/hello.out"
n=$(grep -c 'bpf_trace_printk: Hello BPF from ' "$tmp/hello.out" || true)
if [ "$n" -ne 3 ]; then
	echo "expected 3 Hello lines (one per execve), got $n" >&2
	exit 1
fi
echo "3 execve calls, 3 Hello lines"

say "1. clang builds the program for BPF, as for Linux"
echo "\$ clang -O2 -g -target bpf -c examples/demo/checksum.bpf.c -o checksum.bpf.o"
clang -O2 -g -target bpf -c "$src" -o "$tmp/checksum.bpf.o"

say "2. userbpf loads it (ELF sections, .text subprograms linked) and proves it safe"
echo "   for 32 bytes of input: every path, every memory access, the loops end"
echo "\$ userbpf verify --data-size 32 checksum.bpf.o"
"$ub" verify --data-size 32 "$tmp/checksum.bpf.o"

say "3. disassembly (llvm-objdump's syntax)"
echo "\$ userbpf disasm checksum.bpf.o"
"$ub" disasm "$tmp/checksum.bpf.o"

say "4. run it on 32 bytes (r1 = data, r2 = length), once and 100000 times (JIT)"
printf 'Hello from userbpf, in user space' | head -c 32 >"$tmp/in.bin"
echo "\$ userbpf test-run checksum.bpf.o data_in in.bin"
"$ub" test-run "$tmp/checksum.bpf.o" data_in "$tmp/in.bin"
echo "\$ userbpf test-run checksum.bpf.o data_in in.bin repeat 100000"
"$ub" test-run "$tmp/checksum.bpf.o" data_in "$tmp/in.bin" repeat 100000
bpf=$("$ub" -j test-run "$tmp/checksum.bpf.o" data_in "$tmp/in.bin" | sed 's/.*"retval":\([0-9]*\).*/\1/')

say "5. the same C, compiled natively, agrees"
cat >"$tmp/main.c" <<'EOC'
#include <stdio.h>
unsigned long long checksum(const unsigned char *data, unsigned long long len);
int main(int argc, char **argv)
{
	unsigned char buf[256];
	FILE *f = fopen(argv[1], "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	printf("%u\n", (unsigned)checksum(buf, n));
	return 0;
}
EOC
clang -O2 -DNATIVE "$src" "$tmp/main.c" -o "$tmp/native"
native=$("$tmp/native" "$tmp/in.bin")
echo "native: $native   userbpf: $bpf"
if [ "$native" = "$bpf" ]; then
	echo "results agree"
else
	echo "RESULTS DIFFER" >&2
	exit 1
fi
