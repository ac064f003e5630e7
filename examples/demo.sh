#!/bin/sh
# demo.sh - what `make demo` shows: a BPF C program compiled with clang,
# loaded by userbpf (ELF parsing, subprogram linking), verified,
# disassembled, and run on some bytes in the JIT; then the same C compiled
# natively gives the same answer.
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ub="$build/userbpf"
src="$root/examples/demo/checksum.bpf.c"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

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
