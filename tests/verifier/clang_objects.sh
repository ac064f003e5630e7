#!/bin/sh
# clang_objects.sh - every BPF object the project builds with clang is
# accepted by the verifier: programs written for Linux against their
# program type's context (from the SEC name), programs written for the
# data convention (r1 = data, r2 = its length: the benchmarks, the demo,
# the disassembler's fixtures) with --data-size.  Fixtures that exist to
# break a rule, or to test the loader with r1 used as a plain number, are
# listed with the reason and not verified.
set -u
B=${UB_BUILD:?} R=${UB_ROOT:?}
command -v clang >/dev/null 2>&1 || { echo "skip clang objects: clang is not installed"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
arch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
cd "$R" || exit 1
for src in $(ls bench/progs/*.c examples/demo/*.bpf.c tests/disasm/progs/*.c \
	bench/*/*.bpf.c examples/*/*.bpf.c examples/*/*_kern.c tests/*/progs/*.bpf.c 2>/dev/null | sort -u); do
	case "$src" in
	*/bad_*|*/bad.bpf.c)
		echo "skip clang objects $src: breaks a rule on purpose (its test checks the refusal)"; continue ;;
	tests/object/progs/globals.bpf.c|tests/object/progs/maps_all.bpf.c|tests/object/progs/multi.bpf.c)
		echo "skip clang objects $src: a loader fixture, run with r1 as a plain number"; continue ;;
	examples/host_hook/filter.bpf.c)
		echo "skip clang objects $src: a plugin of the host's own program type: the host verifies it (tests/examples/host_hook.sh)"; continue ;;
	tests/disasm/progs/calls.c|tests/disasm/progs/mem.c|tests/disasm/progs/rare.c)
		echo "skip clang objects $src: a disassembler fixture (instruction shapes, never run)"; continue ;;
	esac
	obj="$tmp/$(echo "$src" | tr / _).o"
	# clang's default CPU (v1), or v3 for programs that need its atomics
	if ! clang -O2 -g -target bpf -I"$R/include" -I"/usr/include/$arch" -c "$src" -o "$obj" \
		>"$tmp/cc" 2>&1 &&
		! clang -O2 -g -target bpf -mcpu=v3 -I"$R/include" -I"/usr/include/$arch" -c "$src" \
			-o "$obj" >"$tmp/cc" 2>&1; then
		echo "not ok clang objects $src: clang failed: $(head -1 "$tmp/cc")"
		continue
	fi
	case "$src" in
	bench/progs/*|examples/demo/*|tests/disasm/progs/*) how="--data-size 256" ;;
	*) how="" ;;
	esac
	# shellcheck disable=SC2086 # $how is one option or none
	if "$B/userbpf" verify $how "$obj" >"$tmp/out" 2>&1; then
		echo "ok clang objects $src: $(grep -c 'verified' "$tmp/out") programs accepted${how:+ ($how)}"
	else
		echo "not ok clang objects $src: $(grep -m1 'refused' "$tmp/out")"
	fi
done
