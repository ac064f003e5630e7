#!/bin/sh
# kcompare.sh - the same BPF C programs (progs/*.bpf.c), built once with
# clang, run by the Linux kernel (bpftool prog loadall / prog run / map
# dump) and by userbpf (the CLI with the same words; for objects whose maps
# hold program or map ids, and once more for the syscall program, the
# embedding API in one process: kcompare_helper oneproc) on the same frames
# and contexts.  Every return value (or refusal), the frame and context
# after each run, and the final content of every map must be equal.
# Prints "ok/not ok kcompare ENGINE OBJ ..." per object, run and map.
#
# The kernel's side runs once; userbpf's twice, once per engine (default,
# i.e. the JIT for verified programs, and the interpreter), each from
# fresh maps.  Maps are compared as `bpftool -j map dump` prints them,
# sorted by key (kc_norm.py), without BTF's "formatted"; per-CPU values
# summed over the CPUs (a test run's CPU differs); program and map ids
# (PROG_ARRAY and map-in-map values) by their keys only.  QUEUE and STACK
# are popped empty, RINGBUF consumed, BLOOM_FILTER asked about 0..1023
# (kcompare_helper), and for those key-less maps `map dump` itself too; a
# PERF_EVENT_ARRAY through what the program recorded.  Verifier verdicts
# (`userbpf verify`) are compared once per object.  -mcpu=v4 objects
# (cpuv4.bpf.c, which holds every instruction v4 added, and v4 builds of
# the others) need clang >= 18: clang-19 when the system's clang is older;
# without either they are skipped, saying so.  cpuv4 also runs a third
# time, in the JIT alone (--engine jit).
#
# Skips, saying why, unless we are root with bpftool, a bpf file system,
# clang's BPF target, libbpf's headers, python3 and a kernel that answers
# bpf().  Kernel pins live under /sys/fs/bpf/kcmp-PID, userbpf's in a
# private store (USERBPF_ROOT=$(mktemp -d)); both are removed.
set -u
ub="$UB_BUILD/userbpf"
helper="$UB_BUILD/tests/kcompare_helper"
here="${UB_ROOT:-.}/tests/kcompare"
tmp=$(mktemp -d)
K=/sys/fs/bpf/kcmp-$$
USERBPF_ROOT="$tmp/root"
export USERBPF_ROOT
cleanup() {
	rm -rf "$K" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

skip_all() {
	echo "skip kcompare: $1"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all "not root: bpftool cannot ask the kernel"
bt=${BPFTOOL:-}
if [ -z "$bt" ]; then
	for c in "$(command -v bpftool 2>/dev/null)" /usr/sbin/bpftool /usr/local/sbin/bpftool; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			bt=$c
			break
		fi
	done
fi
[ -n "$bt" ] && [ -x "$bt" ] || skip_all "bpftool is not installed (set BPFTOOL=path)"
command -v clang >/dev/null 2>&1 || skip_all "clang is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
[ -x "$ub" ] || skip_all "$ub is not built"
[ -x "$helper" ] || skip_all "$helper is not built"
if ! grep -q ' /sys/fs/bpf bpf ' /proc/mounts 2>/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip_all "no bpf file system at /sys/fs/bpf and mount failed"
fi
mkdir -p "$K" 2>/dev/null || skip_all "cannot make $K in bpffs"
"$bt" map create "$K/probe" type array key 4 value 4 entries 1 name probe >"$tmp/probe" 2>&1 ||
	skip_all "bpf() does not answer: $(grep -v '^Warning\|^If it' "$tmp/probe" | head -1)"
rm -f "$K/probe"

[ -f /usr/include/bpf/bpf_helpers.h ] || skip_all "libbpf's headers are not installed (/usr/include/bpf)"
printf 'int x(void *c) { return 0; }\n' >"$tmp/probe.c"
clang -O2 -target bpf -c "$tmp/probe.c" -o "$tmp/probe.o" >/dev/null 2>&1 ||
	skip_all "clang cannot build BPF objects (-target bpf)"

norm() { python3 "$here/kc_norm.py" "$@"; }
norm packets "$tmp" || skip_all "python3 cannot write the test frames"
arch_inc=/usr/include/$(gcc -dumpmachine 2>/dev/null || uname -m)-linux-gnu
[ -d "/usr/include/$(gcc -dumpmachine 2>/dev/null)" ] && arch_inc=/usr/include/$(gcc -dumpmachine)

progs=0 maps=0 runs=0 bad=0
eng=default
ok() { echo "ok kcompare $eng $*"; }
notok() { echo "not ok kcompare $eng $*"; bad=$((bad + 1)); }
# userbpf's prog run in the engine of this pass
ubrun() {
	if [ "$eng" = default ]; then "$ub" "$@"; else "$ub" --engine "$eng" "$@"; fi
}
show_diff() { # kernel file, userbpf file: the lines that differ
	diff "$1" "$2" | sed -n 's/^</#   kernel: /p; s/^>/#   userbpf:/p' | head -24
}
# bpftool's noise about strict mode
quiet() { grep -v -E '^Warning: bpftool is now running|^If it used to work|^$' "$1" | head -3; }
retval() { sed -n 's/^Return value: \([0-9-]*\).*/\1/p' "$1" | head -1; }
runerr() { sed -n 's/.*failed to run program[^:]*: \([A-Za-z][A-Za-z ]*[a-z]\).*/\1/p' "$1" | head -1; }

# build NAME [CFLAGS...]: progs/NAME.bpf.c -> $tmp/NAME.o; NAME=SRC builds
# progs/SRC.bpf.c as $tmp/NAME.o (the same source, other flags).  The
# compiler is $bcc (build4: -mcpu=v4 with $cc4).
bcc=clang
build() {
	n=${1%%=*} src=${1#*=}
	shift
	if "$bcc" -O2 -g -target bpf -I"$arch_inc" "$@" -c "$here/progs/$src.bpf.c" \
		-o "$tmp/$n.o" 2>"$tmp/cc.err"; then
		return 0
	fi
	notok "$n: clang: $(head -3 "$tmp/cc.err" | tr '\n' ' ')"
	return 1
}

# -mcpu=v4 needs clang >= 18 (Debian 12's clang is 14): the system's clang
# when it knows v4, else clang-19 (scripts/deps.sh installs it), with the
# llvm-objdump of the same version to show the v4 instructions are there.
cc4='' od4=''
for c in clang clang-19; do
	if command -v "$c" >/dev/null 2>&1 &&
		"$c" -O2 -target bpf -mcpu=v4 -c "$tmp/probe.c" -o "$tmp/probe4.o" >/dev/null 2>&1; then
		cc4=$c
		break
	fi
done
case "$cc4" in
clang-*) od4=llvm-objdump-${cc4#clang-} ;;
clang) od4=llvm-objdump ;;
esac
build4() {
	[ -n "$cc4" ] || return 1
	bcc=$cc4
	build "$@" -mcpu=v4
	r=$?
	bcc=clang
	return $r
}

# run_parts RUN: p (program), f (frame or context), n (repeat)
run_parts() {
	p=${1%%:*} n=${1##*:}
	f=${1#*:}
	f=${f%:*}
}

# kernel_side OBJ RUN...: the kernel loads, runs and reads the object once;
# what it answered is kept in $kc for every userbpf pass.
kernel_side() {
	o=$1
	shift
	mkdir -p "$kc" "$K/$o"
	if ! "$bt" prog loadall "$tmp/$o.o" "$K/$o/p" pinmaps "$K/$o/m" >"$tmp/kl" 2>&1; then
		quiet "$tmp/kl" | tr '\n' ' ' >"$kc/refused"
		rm -rf "$K/$o"
		return
	fi
	i=0
	for r in "$@"; do
		i=$((i + 1))
		run_parts "$r"
		case "$f" in
		@*)	# context-only: ctx_in alone (bpftool always passes data_in)
			"$helper" krun "$K/$o/p/$p" "$tmp/ctx_${f#@}" "$kc/ctx.$i" >"$kc/run.$i" 2>&1 ;;
		*+*)
			"$bt" prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_${f%%+*}" repeat "$n" \
				data_out "$kc/out.$i" ctx_in "$tmp/ctx_${f#*+}" ctx_out "$kc/ctx.$i" \
				>"$kc/run.$i" 2>&1 ;;
		*)
			"$bt" prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_$f" repeat "$n" \
				data_out "$kc/out.$i" >"$kc/run.$i" 2>&1 ;;
		esac
	done
	ls "$K/$o/m" >"$kc/maps" 2>/dev/null
	while read -r m; do
		kp="$K/$o/m/$m"
		"$bt" -j map show pinned "$kp" >"$tmp/show" 2>/dev/null
		t=$(sed -n 's/^{"id":[0-9]*,"type":"\([a-z_]*\)".*/\1/p' "$tmp/show")
		echo "$t" >"$kc/$m.type"
		case "$t" in
		queue | stack | ringbuf | bloom_filter)
			"$bt" -j map dump pinned "$kp" >"$kc/$m.d" 2>/dev/null
			echo "exit $?" >>"$kc/$m.d"
			;;
		esac
		case "$t" in
		queue | stack)
			: >"$kc/$m.pops"
			j=0
			while [ $j -lt 300 ] && "$bt" -j map pop pinned "$kp" >>"$kc/$m.pops" 2>/dev/null; do
				echo >>"$kc/$m.pops"
				j=$((j + 1))
			done
			;;
		ringbuf) "$helper" kring "$kp" >"$kc/$m.m" 2>&1 ;;
		bloom_filter) "$helper" kbloom "$kp" 1024 >"$kc/$m.m" 2>&1 ;;
		*) "$bt" -j map dump pinned "$kp" >"$kc/$m.json" 2>/dev/null ;;
		esac
	done <"$kc/maps"
	rm -rf "$K/$o"
}

# how a map's dump is compared (kc_norm.py's modes)
map_mode() {
	case "$1" in
	queue | stack) echo pops ;;
	percpu_* | lru_percpu_*) echo sum ;;
	prog_array | array_of_maps | hash_of_maps) echo ids ;;
	*) echo plain ;;
	esac
}

# object NAME MODE RUN...: $tmp/NAME.o on both sides (MODE cli: the
# userbpf CLI; oneproc: the embedding API in one process); each RUN is
# PROG:FRAME:REPEAT (FRAME a..e; @N: context ctx_N alone; F+C: frame F
# with ctx_in ctx_C); every return value, frame and context after, and
# every map pinmaps pinned are compared.
object() {
	o=$1 mode=$2
	shift 2
	lbl=$o
	[ "$mode" = oneproc ] && lbl="$o(api)"
	[ -f "$tmp/$o.o" ] || return 0
	kc=$tmp/k/$lbl u=$tmp/u/$lbl
	first=0
	if [ ! -d "$kc" ]; then
		first=1
		kernel_side "$o" "$@"
	fi
	progs=$((progs + 1))
	if [ -f "$kc/refused" ]; then
		notok "$lbl: the kernel refuses it: $(cat "$kc/refused")"
		return
	fi
	rm -rf "$u"
	mkdir -p "$u"
	if [ "$mode" = oneproc ]; then
		specs=
		for r in "$@"; do
			run_parts "$r"
			case "$f" in
			@*) specs="$specs $p:@$tmp/ctx_${f#@}:$n" ;;
			*) specs="$specs $p:$tmp/pkt_$f:$n" ;;
			esac
		done
		# shellcheck disable=SC2086
		if ! KC_ENGINE=$eng "$helper" oneproc "$tmp/$o.o" "$u" $specs >"$u/runs" 2>"$tmp/ul"; then
			notok "$lbl: userbpf refuses it: $(head -3 "$tmp/ul" | tr '\n' ' ')"
			return
		fi
	elif ! "$ub" prog loadall "$tmp/$o.o" "$K/$o/p" pinmaps "$K/$o/m" >"$tmp/ul" 2>&1; then
		notok "$lbl: userbpf refuses it: $(head -3 "$tmp/ul" | tr '\n' ' ')"
		rm -rf "$USERBPF_ROOT/kcmp-$$/$o"
		return
	fi
	ok "$lbl: loaded by both"
	# userbpf's loader runs what its verifier refuses in the checked
	# interpreter: the verdicts are compared on their own (once)
	if [ $first = 1 ]; then
		if "$ub" verify "$tmp/$o.o" >"$tmp/uv" 2>&1; then
			ok "$lbl: every program accepted by both verifiers"
		else
			notok "$lbl: the kernel's verifier accepts it, userbpf's refuses: $(grep -m1 refused: "$tmp/uv")"
		fi
	fi
	i=0
	for r in "$@"; do
		i=$((i + 1))
		run_parts "$r"
		ur=$u/run.$i
		case "$f" in
		@*)
			what="context $f"
			[ "$mode" = oneproc ] || ubrun prog run pinned "$K/$o/p/$p" data_in "$tmp/empty" \
				ctx_in "$tmp/ctx_${f#@}" ctx_out "$u/out.$i" >"$ur" 2>&1
			;;
		*+*)
			what="frame ${f%%+*} and context ${f#*+} x$n"
			ubrun prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_${f%%+*}" repeat "$n" \
				data_out "$u/out.$i" ctx_in "$tmp/ctx_${f#*+}" ctx_out "$u/ctx.$i" >"$ur" 2>&1
			;;
		*)
			what="frame $f x$n"
			[ "$mode" = oneproc ] || ubrun prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_$f" \
				repeat "$n" data_out "$u/out.$i" >"$ur" 2>&1
			;;
		esac
		[ "$mode" = oneproc ] && sed -n "${i}p" "$u/runs" >"$ur"
		# the frame, or for a context-only program the context, after it
		ko=$kc/out.$i
		[ "$f" != "${f#@}" ] && ko=$kc/ctx.$i
		kv=$(retval "$kc/run.$i") uv=$(retval "$ur")
		ke=$(runerr "$kc/run.$i") ue=$(runerr "$ur")
		runs=$((runs + 1))
		if [ -z "$kv" ] && [ -n "$ke" ] && [ "$ke" = "$ue" ]; then
			ok "$lbl run $i: $p on $what fails on both: $ke"
		elif [ -z "$kv" ] || [ "$kv" != "$uv" ]; then
			notok "$lbl run $i: $p on $what: kernel '${kv:-$(quiet "$kc/run.$i" | head -1)}', userbpf '${uv:-$(head -1 "$ur")}'"
		elif ! cmp -s "$ko" "$u/out.$i"; then
			notok "$lbl run $i: $p on $what: returns $kv on both, but the $([ "$ko" = "$kc/out.$i" ] && echo frames || echo contexts) after differ"
		elif { [ -f "$kc/ctx.$i" ] || [ -f "$u/ctx.$i" ]; } && [ "$f" = "${f#@}" ] &&
			! cmp -s "$kc/ctx.$i" "$u/ctx.$i"; then
			notok "$lbl run $i: $p on $what: returns $kv on both, but the contexts after differ"
			od -An -tx1 -v "$kc/ctx.$i" >"$tmp/k.x" 2>/dev/null
			od -An -tx1 -v "$u/ctx.$i" >"$tmp/u.x" 2>/dev/null
			show_diff "$tmp/k.x" "$tmp/u.x"
		else
			ok "$lbl run $i: $p on $what returns $kv on both"
		fi
	done
	# userbpf's maps; then every dump normalized by one kc_norm.py
	batch=
	while read -r m; do
		t=$(cat "$kc/$m.type")
		kp="$K/$o/m/$m"
		if [ "$mode" != oneproc ] && [ ! -e "$USERBPF_ROOT/kcmp-$$/$o/m/$m" ]; then
			echo "missing" >"$u/$m.missing"
			continue
		fi
		if [ -f "$kc/$m.d" ] && [ "$mode" != oneproc ]; then
			"$ub" -j map dump pinned "$kp" >"$u/$m.d" 2>/dev/null
			echo "exit $?" >>"$u/$m.d"
		fi
		case "$t" in
		queue | stack) "$helper" pop "$kp" >"$u/$m.m" 2>&1 ;;
		ringbuf) "$helper" uring "$kp" >"$u/$m.m" 2>&1 ;;
		bloom_filter) "$helper" ubloom "$kp" 1024 >"$u/$m.m" 2>&1 ;;
		*)
			if [ "$mode" = oneproc ]; then
				cp "$u/$m" "$u/$m.json" 2>/dev/null || echo '{"error":"no dump"}' >"$u/$m.json"
			else
				"$ub" -j map dump pinned "$kp" >"$u/$m.json" 2>/dev/null
			fi
			batch="$batch $(map_mode "$t") $u/$m.json $u/$m.m"
			;;
		esac
		mm=$(map_mode "$t")
		[ "$mm" = pops ] && [ ! -f "$kc/$m.m" ] && batch="$batch pops $kc/$m.pops $kc/$m.m"
		[ -f "$kc/$m.json" ] && [ ! -f "$kc/$m.m" ] && batch="$batch $mm $kc/$m.json $kc/$m.m"
	done <"$kc/maps"
	# shellcheck disable=SC2086
	[ -n "$batch" ] && norm batch $batch 2>"$tmp/n.err"
	while read -r m; do
		t=$(cat "$kc/$m.type")
		maps=$((maps + 1))
		if [ -f "$u/$m.missing" ]; then
			notok "$lbl map $m: the kernel pinned it, userbpf did not"
			continue
		fi
		if [ -f "$u/$m.d" ]; then
			# no keys: `map dump` ends at once, the error as exit code
			if cmp -s "$kc/$m.d" "$u/$m.d"; then
				ok "$lbl map $m ($t): -j map dump as bpftool's ($(tr '\n' ' ' <"$kc/$m.d"))"
			else
				notok "$lbl map $m ($t): -j map dump differs from bpftool's"
				show_diff "$kc/$m.d" "$u/$m.d"
			fi
		fi
		case "$t" in
		queue | stack) what="popped empty" ;;
		ringbuf) what="consumed" ;;
		bloom_filter) what="asked about 0..1023" ;;
		*)
			mm=$(map_mode "$t")
			what="$(wc -l <"$kc/$m.m" | tr -d ' ') entries"
			[ "$mm" = plain ] || what="$what, $mm"
			;;
		esac
		if [ -f "$kc/$m.m" ] && cmp -s "$kc/$m.m" "$u/$m.m"; then
			ok "$lbl map $m ($t, $what)"
			[ -n "${KC_VERBOSE:-}" ] && sed 's/^/#     /' "$kc/$m.m"
		else
			notok "$lbl map $m ($t, $what): differs"
			show_diff "$kc/$m.m" "$u/$m.m"
			sed 's/^/#   /' "$tmp/n.err" | head -3
		fi
	done <"$kc/maps"
	rm -rf "$USERBPF_ROOT/kcmp-$$/$o"
}

# ---- the programs ----------------------------------------------------------
# (frames: a 10.1.2.3 64B, b 192.168.7.9 80B, c 10.200.0.7 128B,
#  d 8.8.8.8 64B, e 10.1.2.200 96B)
build maps
build lpm
build qsb
build glob
build calls
build loops
build atomics -mcpu=v3
build ringbuf
build perf
build sys
build tail
build mim
build misc
build skb
# clang's default is -mcpu=v1; v3 brings 32-bit ALU and jumps
build loops3=loops -mcpu=v3
build calls3=calls -mcpu=v3
build lpm3=lpm -mcpu=v3
build glob3=glob -mcpu=v3
# -mcpu=v4: cpuv4.bpf.c holds every instruction v4 added; the other
# sources as v4 objects give what they give as v1 or v3
if [ -z "$cc4" ]; then
	echo "skip kcompare -mcpu=v4 objects: neither clang nor clang-19 knows -mcpu=v4 (scripts/deps.sh installs clang-19)"
elif build4 cpuv4; then
	for k in 's/=:sdiv' 's%=:smod' '= (s8)r:movsx' '= (s16)w:movsx32' '= \*(s8 \*):ldsx8' \
		'= \*(s16 \*):ldsx16' '= \*(s32 \*):ldsx32' 'bswap16:bswap16' 'bswap64:bswap64' \
		'gotol:gotol' 'if w[0-9]* s<:jmp32'; do
		if ! command -v "$od4" >/dev/null 2>&1; then
			echo "skip kcompare cpuv4: $od4 is not installed: the v4 instructions are not looked for"
			break
		fi
		[ -f "$tmp/cpuv4.dis" ] || "$od4" -d "$tmp/cpuv4.o" >"$tmp/cpuv4.dis" 2>&1
		if grep -q -- "${k%:*}" "$tmp/cpuv4.dis"; then
			eng=all ok "cpuv4: $cc4 emitted ${k#*:} ($(grep -c -- "${k%:*}" "$tmp/cpuv4.dis") times)"
		else
			eng=all notok "cpuv4: $cc4 emitted no ${k#*:} (no '${k%:*}' in $od4 -d)"
		fi
	done
	build4 maps4=maps
	build4 loops4=loops
	build4 calls4=calls
	build4 atomics4=atomics
	build4 lpm4=lpm
	build4 glob4=glob
	build4 misc4=misc
	build4 skb4=skb
fi

cpuv4_runs() {
	object cpuv4 cli kc_v4:a:1 kc_v4:b:1 kc_v4:c:2 kc_v4:d:1 kc_v4:e:3 kc_v4big:a:1 \
		kc_v4big:b:1 kc_v4big:d:2 kc_v4big:e:1 kc_v4:b:1
}

# every object on both sides, once per userbpf engine (the kernel's runs are
# repeated: each pass starts from fresh maps)
for eng in default interpreter; do
	object maps cli kc_maps:a:1 kc_maps:b:3 kc_maps:c:2 kc_maps:a:5 kc_maps:d:1 \
		kc_maps:e:4 kc_sock:a:1 kc_sock:c:2 kc_maps:a+xdp:2 kc_maps:a+xdpbad:1 \
		kc_sock:b+skb:1
	object lpm cli kc_lpm:a:1 kc_lpm_fill:a:1 kc_lpm:a:2 kc_lpm:b:1 kc_lpm:c:3 \
		kc_lpm:d:1 kc_lpm:e:1
	object qsb cli kc_qsb:a:1 kc_qsb:b:2 kc_qsb:c:1 kc_qsb:d:1 kc_drain:a:1 \
		kc_qsb:e:3 kc_qsb:a:1
	object glob cli kc_glob:a:1 kc_glob:b:4 kc_glob:c:2 kc_glob:e:3
	object calls cli kc_calls:a:1 kc_calls:b:2 kc_calls:c:1 kc_calls:d:3
	object loops cli kc_loops:a:1 kc_loops:b:1 kc_loops:c:2 kc_loops:e:1
	object atomics cli kc_atomics:a:1 kc_atomics:b:3 kc_atomics:c:2 \
		kc_atomics:d:1 kc_atomics:e:5
	object ringbuf cli kc_ring:a:1 kc_ring:b:2 kc_ring:c:1 kc_ring:e:3
	object perf cli kc_perf:a:1
	object sys cli kc_sys:@1:1 kc_sys:@2:1 kc_sys:@3:1 kc_sys:@4:1 kc_sys:@1:1
	# ... and through the embedding API's test run, verified
	object sys oneproc kc_sys:@1:1 kc_sys:@3:1 kc_sys:@4:1 kc_sys:@2:1
	# maps holding program and map ids: userbpf's side in one process
	object loops3 cli kc_loops:a:1 kc_loops:c:2 kc_loops:e:1
	object calls3 cli kc_calls:a:1 kc_calls:d:3
	object lpm3 cli kc_lpm_fill:a:1 kc_lpm:a:2 kc_lpm:b:1 kc_lpm:c:3 kc_lpm:d:1 kc_lpm:e:1
	object glob3 cli kc_glob:a:1 kc_glob:b:4 kc_glob:e:3
	object misc cli kc_misc:a:1 kc_misc:b:2 kc_misc:c:1 kc_misc:e:3
	object skb cli kc_tc:a:1 kc_tc:b:1 kc_tc:c:3 kc_tc:a+skb:1 kc_tc:c+skbbad:1 kc_tc:e:2
	# -mcpu=v4 (only when built)
	cpuv4_runs
	object maps4 cli kc_maps:a:1 kc_maps:b:3 kc_maps:c:2 kc_maps:d:1 kc_maps:e:4 \
		kc_sock:a:1 kc_maps:a+xdp:2 kc_sock:b+skb:1
	object loops4 cli kc_loops:a:1 kc_loops:b:1 kc_loops:c:2 kc_loops:e:1
	object calls4 cli kc_calls:a:1 kc_calls:b:2 kc_calls:c:1 kc_calls:d:3
	object atomics4 cli kc_atomics:a:1 kc_atomics:b:3 kc_atomics:c:2 kc_atomics:d:1 \
		kc_atomics:e:5
	object lpm4 cli kc_lpm_fill:a:1 kc_lpm:a:2 kc_lpm:b:1 kc_lpm:c:3 kc_lpm:d:1 kc_lpm:e:1
	object glob4 cli kc_glob:a:1 kc_glob:b:4 kc_glob:c:2 kc_glob:e:3
	object misc4 cli kc_misc:a:1 kc_misc:b:2 kc_misc:c:1 kc_misc:e:3
	object skb4 cli kc_tc:a:1 kc_tc:b:1 kc_tc:c:3 kc_tc:a+skb:1 kc_tc:c+skbbad:1 kc_tc:e:2
	object tail oneproc kc_chain:a:1 kc_self:a:1 kc_chain:b:3 kc_self:c:2 kc_t1:d:1 \
		kc_subtail:e:1 kc_subtail:a:2
	object mim oneproc kc_mim:a:1 kc_mim:b:2 kc_mim:c:1 kc_mim:d:1 kc_mim:e:3
done
# the v4 instructions once more in the JIT alone (the default engine falls
# back to the interpreter, silently, for what the JIT does not handle)
eng=jit
cpuv4_runs

# ---- cleanup -----------------------------------------------------------------
rm -rf "$K"
if [ ! -e "$K" ] && [ -z "$(ls -A "$USERBPF_ROOT/kcmp-$$" 2>/dev/null)" ]; then
	eng=all ok "cleanup: no pins left in bpffs nor in the store"
else
	eng=all notok "cleanup: pins left behind"
fi
echo "# kcompare: $progs object loads, $runs runs, $maps map comparisons (every object once per userbpf engine against one kernel run); $bad disagreements"
exit 0
