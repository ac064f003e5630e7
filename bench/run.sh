#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - builds and runs the benchmarks: `sh bench/run.sh BUILD [ARGS]`.
#
# BUILD is a build folder holding libuserbpf.a (make BUILD=... lib).  Each
# program of bench/progs/ is compiled twice from the same source: for BPF
# (clang -target bpf), whose "xdp" section's raw bytes the harness loads,
# and natively, linked into the harness as the baseline.  Everything goes
# to BUILD/bench/.  ARGS go to the harness (-b BATCH_MS, -n BATCHES,
# -p PROGRAM, -s median|min).  Variables: CC (harness), CLANG, BPF_CPU
# (v3), OBJCOPY, NM, READELF.  Then the map benchmark runs
# (bench/maps/run.sh), with its own table, the verifier's and the syscall
# tracing one (bench/syscalls/run.sh).
set -eu

BUILD=${1:-build}
[ $# -gt 0 ] && shift
CC=${CC:-cc}
CLANG=${CLANG:-clang}
BPF_CPU=${BPF_CPU:-v3}
OBJCOPY=${OBJCOPY:-llvm-objcopy}
NM=${NM:-llvm-nm}
READELF=${READELF:-llvm-readelf}
SRC=$(dirname "$0")
OUT=$BUILD/bench

die() { echo "bench: $*" >&2; exit 1; }

for tool in "$CLANG" "$OBJCOPY" "$NM" "$READELF"; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' not found: the benchmarks need clang and llvm (apt-get install clang llvm)"
done
[ -f "$BUILD/libuserbpf.a" ] || die "$BUILD/libuserbpf.a is missing: run 'make BUILD=$BUILD lib' first"

mkdir -p "$OUT"
NATIVE_OBJS=
for src in "$SRC"/progs/*.c; do
	name=$(basename "$src" .c)
	# -fno-builtin in both builds: keeps copy loops loops (BPF has no
	# memcpy to call), so both sides run the same algorithm.
	"$CLANG" -O2 -target bpf -mcpu="$BPF_CPU" -fno-builtin -Wall -Werror \
		-c "$src" -o "$OUT/$name.bpf.o" || die "$src: BPF build failed"
	# Raw bytes are only right when the section needs no relocation (clang
	# resolves calls inside one section itself) and starts at the entry.
	if "$READELF" -S "$OUT/$name.bpf.o" | grep -q '\.relxdp'; then
		die "$name: section xdp has relocations; raw-byte loading cannot handle them (use the object loader)"
	fi
	addr=$("$NM" "$OUT/$name.bpf.o" | awk -v s="bench_$name" '$3 == s { print $1 }')
	[ -n "$addr" ] || die "$name: no symbol bench_$name in the BPF object"
	[ "$((0x$addr))" -eq 0 ] || die "$name: bench_$name is not at the start of section xdp"
	"$OBJCOPY" -O binary --only-section=xdp "$OUT/$name.bpf.o" "$OUT/$name.bin"
	"$CLANG" -O2 -fno-builtin -falign-functions=64 -falign-loops=32 -Wall -Werror -c "$src" -o "$OUT/$name.native.o" ||
		die "$src: native build failed"
	NATIVE_OBJS="$NATIVE_OBJS $OUT/$name.native.o"
done

# shellcheck disable=SC2086
$CC -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Werror \
	-Iinclude -Isrc -I"$SRC/progs" -o "$OUT/bench" "$SRC/bench.c" \
	$NATIVE_OBJS "$BUILD/libuserbpf.a" -lpthread -lm || die "harness build failed"

echo "bench: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
"$OUT/bench" "$OUT" "$@"

# Map operations from a BPF program, and the empty test run, against the
# kernel (bench/maps/maps_bench.c; its own table).
echo
sh "$SRC/maps/run.sh" "$BUILD"

# Verifier speed: a 1M-instruction straight line, a bounded loop with a
# map lookup (bench/verifier/vfy_bench.c; its own lines).
echo
sh "$SRC/verifier/run.sh" "$BUILD"

# Syscall tracing: traced and untraced syscalls under the agent against
# the kernel's tracepoints (bench/syscalls/run.sh; its own table and the
# "untraced slowdown %" line).
echo
sh "$SRC/syscalls/run.sh" "$BUILD"
