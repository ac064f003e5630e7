#!/bin/sh
# clang_objects.sh - every BPF object the project builds with clang is
# accepted by the verifier: programs written for Linux against their
# program type's context (from the SEC name), programs written for the
# data convention (r1 = data, r2 = its length: the benchmarks, the demo,
# the disassembler's fixtures) with --data-size.  Fixtures that exist to
# break a rule, or to test the loader with r1 used as a plain number, are
# listed with the reason and not verified.  With clang-19 present, each
# source is also built for cpu v4 and verified again.
set -u
B=${UB_BUILD:?} R=${UB_ROOT:?}
command -v clang >/dev/null 2>&1 || { echo "skip clang objects: clang is not installed"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
arch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
cd "$R" || exit 1
V4CC=$(command -v clang-19 || true)
[ -z "$V4CC" ] && echo "skip clang objects (cpu v4): clang-19 is not installed (scripts/deps.sh installs it)"

# verify_obj SRC OBJ HOW LABEL
verify_obj() {
	# shellcheck disable=SC2086 # $3 is one option or none
	if "$B/userbpf" verify $3 "$2" >"$tmp/out" 2>&1; then
		echo "ok clang objects $1$4: $(grep -c 'verified' "$tmp/out") programs accepted${3:+ ($3)}"
	else
		echo "not ok clang objects $1$4: $(grep -m1 'refused' "$tmp/out")"
	fi
}
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
	case "$src" in
	bench/progs/*|examples/demo/*|tests/disasm/progs/*) how="--data-size 256" ;;
	*) how="" ;;
	esac
	obj="$tmp/$(echo "$src" | tr / _).o"
	# clang's default CPU (v1), or v3 for programs that need its atomics;
	# sources written for cpu v4 need clang >= 18
	if ! clang -O2 -g -target bpf -I"$R/include" -I"/usr/include/$arch" -c "$src" -o "$obj" \
		>"$tmp/cc" 2>&1 &&
		! clang -O2 -g -target bpf -mcpu=v3 -I"$R/include" -I"/usr/include/$arch" -c "$src" \
			-o "$obj" >"$tmp/cc" 2>&1; then
		if grep -q 'mcpu=v4' "$src"; then
			[ -z "$V4CC" ] && echo "skip clang objects $src: written for cpu v4, and no clang >= 18 (scripts/deps.sh installs clang-19)"
		else
			echo "not ok clang objects $src: clang failed: $(head -1 "$tmp/cc")"
		fi
	else
		verify_obj "$src" "$obj" "$how" ""
	fi
	# the same source as clang 19 builds it for cpu v4 (sdiv, movsx,
	# ldsx, bswap, gotol; 32-bit pointer subtractions)
	if [ -n "$V4CC" ]; then
		if "$V4CC" -O2 -g -target bpf -mcpu=v4 -I"$R/include" -I"/usr/include/$arch" -c "$src" \
			-o "$obj.v4" >"$tmp/cc" 2>&1; then
			verify_obj "$src" "$obj.v4" "$how" " (clang-19, cpu v4)"
		else
			echo "not ok clang objects $src (clang-19, cpu v4): clang failed: $(head -1 "$tmp/cc")"
		fi
	fi
done
