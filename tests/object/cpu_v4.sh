#!/bin/sh
# cpu_v4.sh - every BPF C source of the project, built by one clang at
# -mcpu=v3 and at -mcpu=v4 (which adds sdiv/smod, movsx, ldsx, bswap,
# gotol; the ALU32 code is otherwise the same), gets the same verdict for
# each of its programs from userbpf's verifier (`userbpf verify`, with
# --data-size 256 for sources of the data convention), program by
# program.  The results of v4 objects are compared elsewhere: with the
# kernel (tests/kcompare: cpuv4.bpf.c and v4 builds), and with C oracles
# (object_object, object_maps).
#
# The compiler is clang when it knows v4, else clang-19 (scripts/deps.sh
# installs it; Debian 12's clang is 14); skips, saying so, without either.
set -u
B=${UB_BUILD:?} R=${UB_ROOT:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'int x;' >"$tmp/probe.c"
cc=''
for c in clang clang-19; do
	if command -v "$c" >/dev/null 2>&1 &&
		"$c" -target bpf -mcpu=v4 -c "$tmp/probe.c" -o "$tmp/probe.o" >/dev/null 2>&1; then
		cc=$c
		break
	fi
done
[ -n "$cc" ] || { echo "skip cpu v4: neither clang nor clang-19 knows -mcpu=v4 (scripts/deps.sh installs clang-19)"; exit 0; }
[ -x "$B/userbpf" ] || { echo "skip cpu v4: $B/userbpf is not built"; exit 0; }
arch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
cd "$R" || exit 1
n=0 bad=0
# verdicts FILE: "prog verified|refused" per program, sorted
verdicts() {
	sed -n "s/^[^:]*: prog '\([^']*\)' (section [^)]*): \([0-9]* instructions \)\{0,1\}\(verified\|refused\).*/\1 \3/p" "$1" | sort
}
# shellcheck disable=SC2012 # the project's own file names
for src in $(ls bench/progs/*.c examples/*/*.bpf.c tests/disasm/progs/*.c \
	bench/*/*.bpf.c examples/*/*_kern.c tests/*/progs/*.bpf.c 2>/dev/null | sort -u); do
	b="$tmp/$(echo "$src" | tr / _)"
	case "$src" in
	bench/progs/*|examples/demo/*|tests/disasm/progs/*) how="--data-size 256" ;;
	*) how="" ;;
	esac
	for v in v3 v4; do
		"$cc" -O2 -g -target bpf -mcpu=$v -DUB_CPU=${v#v} -I"$R/include" -I"/usr/include/$arch" \
			-I"$(dirname "$src")" -c "$src" -o "$b.$v.o" >"$tmp/cc" 2>&1 || rm -f "$b.$v.o"
		# shellcheck disable=SC2086 # $how is one option or none
		[ -f "$b.$v.o" ] && "$B/userbpf" verify $how "$b.$v.o" >"$b.$v.out" 2>&1
	done
	if [ ! -f "$b.v4.o" ]; then
		if [ -f "$b.v3.o" ]; then
			echo "not ok cpu v4 $src: builds at v3, not at v4: $(head -1 "$tmp/cc")"
			bad=$((bad + 1))
		else
			echo "skip cpu v4 $src: $cc builds it at neither v3 nor v4 (not a BPF program for this tree)"
		fi
		continue
	fi
	n=$((n + 1))
	verdicts "$b.v4.out" >"$b.v4.v"
	if [ ! -s "$b.v4.v" ]; then
		# no program verdicts (a fixture that breaks the loader's or the
		# verifier's rules on purpose): the same error, instruction
		# numbers aside
		for v in v3 v4; do
			sed "s|$b\.$v\.o|OBJ|g; s/insn [0-9]*/insn N/g" "$b.$v.out" >"$b.$v.e" 2>/dev/null
		done
		if [ -f "$b.v3.o" ] && cmp -s "$b.v3.e" "$b.v4.e"; then
			echo "ok cpu v4 $src: the same error as v3: $(head -1 "$b.v4.e")"
		else
			echo "not ok cpu v4 $src: no verdict from userbpf verify: $(head -1 "$b.v4.out")"
			bad=$((bad + 1))
		fi
	elif [ ! -f "$b.v3.o" ]; then
		# only v4 reaches it (cpuv4.bpf.c: gotol): every program accepted
		if grep -q refused "$b.v4.v"; then
			echo "not ok cpu v4 $src: only v4 builds it, and userbpf refuses: $(grep -m1 'refused:' "$b.v4.out")"
			bad=$((bad + 1))
		else
			echo "ok cpu v4 $src: only v4 builds it: $(wc -l <"$b.v4.v" | tr -d ' ') programs accepted"
		fi
	else
		verdicts "$b.v3.out" >"$b.v3.v"
		if cmp -s "$b.v3.v" "$b.v4.v"; then
			echo "ok cpu v4 $src: same verdicts as v3 ($(grep -c verified "$b.v4.v") accepted, $(grep -c refused "$b.v4.v") refused)"
		else
			echo "not ok cpu v4 $src: verdicts differ from v3:"
			diff "$b.v3.v" "$b.v4.v" | sed -n 's/^</#   v3:/p; s/^>/#   v4:/p'
			bad=$((bad + 1))
		fi
	fi
done
echo "# cpu v4: $n sources built at -mcpu=v4 by $cc; $bad differ"
exit 0
