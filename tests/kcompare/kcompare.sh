#!/bin/sh
# kcompare.sh - the same BPF C programs, built once with clang, run by the
# Linux kernel (bpftool prog loadall / prog run / map dump) and by userbpf
# (the CLI with the same words; for objects whose maps hold program or map
# ids, the embedding API in one process: kcompare_helper oneproc), on the
# same frames: every return value and the final content of every map must
# be equal.  Prints "ok/not ok kcompare OBJ ..." per run and per map.
#
# Maps are compared as `bpftool -j map dump` prints them, sorted by key
# (kc_norm.py), without BTF's "formatted"; per-CPU values summed over the
# CPUs (a test run's CPU differs); program and map ids (values of
# PROG_ARRAY and map-in-maps) by their keys only.  QUEUE and STACK are
# popped empty, RINGBUF consumed, BLOOM_FILTER asked about 0..1023
# (kcompare_helper), a PERF_EVENT_ARRAY compared through what the program
# recorded.
#
# Skips, saying why, unless we are root with bpftool, a bpf file system,
# clang's BPF target, python3 and a kernel that answers bpf().  Kernel pins
# live under /sys/fs/bpf/kcmp-PID, userbpf's in a private store; both are
# removed at the end.
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
[ -n "$bt" ] || skip_all "bpftool is not installed (set BPFTOOL=path)"
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

# build NAME [CFLAGS...]: progs/NAME.bpf.c -> $tmp/NAME.o
build() {
	n=$1
	shift
	if clang -O2 -g -target bpf -I"$arch_inc" "$@" -c "$here/progs/$n.bpf.c" \
		-o "$tmp/$n.o" 2>"$tmp/cc.err"; then
		return 0
	fi
	notok "$n: clang: $(head -3 "$tmp/cc.err" | tr '\n' ' ')"
	return 1
}

# compare_map OBJ PIN MODE: the map pinned at $K/OBJ/m/PIN on both sides
# (userbpf's: the CLI's pin, or oneproc's dump file $tmp/u/OBJ/PIN)
compare_map() {
	o=$1 m=$2 cmode=$3
	kp="$K/$o/m/$m"
	"$bt" -j map show pinned "$kp" >"$tmp/show" 2>/dev/null
	t=$(sed -n 's/^{"id":[0-9]*,"type":"\([a-z_]*\)".*/\1/p' "$tmp/show")
	maps=$((maps + 1))
	case "$t" in
	queue | stack | ringbuf | bloom_filter)
		# no keys: `map dump` ends at once, with the error as exit code
		if [ "$cmode" != oneproc ]; then
			"$bt" -j map dump pinned "$kp" >"$tmp/k.d" 2>/dev/null
			echo "exit $?" >>"$tmp/k.d"
			"$ub" -j map dump pinned "$kp" >"$tmp/u.d" 2>/dev/null
			echo "exit $?" >>"$tmp/u.d"
			if cmp -s "$tmp/k.d" "$tmp/u.d"; then
				ok "$lbl map $m ($t): -j map dump as bpftool's ($(tr '\n' ' ' <"$tmp/k.d"))"
			else
				notok "$lbl map $m ($t): -j map dump differs from bpftool's"
				show_diff "$tmp/k.d" "$tmp/u.d"
			fi
		fi
		;;
	esac
	case "$t" in
	queue | stack)
		: >"$tmp/k.pops"
		i=0
		while [ $i -lt 300 ] && "$bt" -j map pop pinned "$kp" >>"$tmp/k.pops" 2>/dev/null; do
			echo >>"$tmp/k.pops"
			i=$((i + 1))
		done
		norm pops "$tmp/k.pops" >"$tmp/k.m"
		"$helper" pop "$kp" >"$tmp/u.m" 2>&1
		what="popped empty"
		;;
	ringbuf)
		"$helper" kring "$kp" >"$tmp/k.m" 2>&1
		"$helper" uring "$kp" >"$tmp/u.m" 2>&1
		what="consumed"
		;;
	bloom_filter)
		"$helper" kbloom "$kp" 1024 >"$tmp/k.m" 2>&1
		"$helper" ubloom "$kp" 1024 >"$tmp/u.m" 2>&1
		what="asked about 0..1023"
		;;
	*)
		"$bt" -j map dump pinned "$kp" >"$tmp/k.json" 2>/dev/null
		if [ "$cmode" = oneproc ]; then
			cp "$tmp/u/$o/$m" "$tmp/u.json" 2>/dev/null || echo '{"error":"no dump"}' >"$tmp/u.json"
		else
			"$ub" -j map dump pinned "$kp" >"$tmp/u.json" 2>/dev/null
		fi
		cmode=
		case "$t" in
		percpu_* | lru_percpu_*) cmode=sum ;;
		prog_array | array_of_maps | hash_of_maps) cmode=ids ;;
		esac
		norm dumps "${cmode:--}" "$tmp/k.json" "$tmp/k.m" "$tmp/u.json" "$tmp/u.m" 2>"$tmp/n.err" ||
			cat "$tmp/n.err" >>"$tmp/u.m"
		what="$(wc -l <"$tmp/k.m" | tr -d ' ') entries${cmode:+, $cmode}"
		;;
	esac
	if cmp -s "$tmp/k.m" "$tmp/u.m"; then
		ok "$lbl map $m ($t, $what)"
		[ -n "${KC_VERBOSE:-}" ] && sed 's/^/#     /' "$tmp/k.m"
	else
		notok "$lbl map $m ($t, $what): differs"
		show_diff "$tmp/k.m" "$tmp/u.m"
	fi
}

# object NAME MODE RUN...: loads $tmp/NAME.o on both sides (MODE cli or
# oneproc), runs each RUN (PROG:FRAME:REPEAT; FRAME a..e), compares each
# return value, then every map pinmaps pinned.
object() {
	o=$1 mode=$2
	shift 2
	lbl=$o
	[ "$mode" = oneproc ] && lbl="$o(api)"
	[ -f "$tmp/$o.o" ] || return 0
	progs=$((progs + 1))
	mkdir -p "$K/$o"
	if ! "$bt" prog loadall "$tmp/$o.o" "$K/$o/p" pinmaps "$K/$o/m" >"$tmp/kl" 2>&1; then
		notok "$o: the kernel refuses it: $(quiet "$tmp/kl" | tr '\n' ' ')"
		rm -rf "$K/$o"
		return
	fi
	if [ "$mode" = oneproc ]; then
		mkdir -p "$tmp/u/$o"
		specs=
		for r in "$@"; do
			f=$(echo "$r" | cut -d: -f2)
			case "$f" in
			@*) specs="$specs ${r%%:*}:@$tmp/ctx_${f#@}:${r##*:}" ;;
			*) specs="$specs ${r%%:*}:$tmp/pkt_$f:${r##*:}" ;;
			esac
		done
		# shellcheck disable=SC2086
		if ! KC_ENGINE=$eng "$helper" oneproc "$tmp/$o.o" "$tmp/u/$o" $specs >"$tmp/u.runs" 2>"$tmp/ul"; then
			notok "$o: userbpf refuses it: $(head -3 "$tmp/ul" | tr '\n' ' ')"
			rm -rf "$K/$o"
			return
		fi
	elif ! "$ub" prog loadall "$tmp/$o.o" "$K/$o/p" pinmaps "$K/$o/m" >"$tmp/ul" 2>&1; then
		notok "$o: userbpf refuses it: $(head -3 "$tmp/ul" | tr '\n' ' ')"
		rm -rf "$K/$o"
		return
	fi
	ok "$o: loaded by both"
	# userbpf's loader runs what its verifier refuses in the checked
	# interpreter: the verdicts are compared on their own
	if "$ub" verify "$tmp/$o.o" >"$tmp/uv" 2>&1; then
		ok "$o: every program accepted by both verifiers"
	else
		notok "$o: the kernel's verifier accepts it, userbpf's refuses: $(grep -m1 refused: "$tmp/uv")"
	fi
	i=0
	for r in "$@"; do
		i=$((i + 1))
		p=${r%%:*} f=$(echo "$r" | cut -d: -f2) n=${r##*:}
		case "$f" in
		@*)	# a context-only program: ctx_in alone (see kcompare_helper krun)
			c=$tmp/ctx_${f#@}
			"$helper" krun "$K/$o/p/$p" "$c" "$tmp/k.ctx" >"$tmp/kr" 2>&1
			if [ "$mode" = oneproc ]; then
				sed -n "${i}p" "$tmp/u.runs" >"$tmp/ur"
				cp "$tmp/u/$o/out.$i" "$tmp/u.ctx" 2>/dev/null
			else
				ubrun prog run pinned "$K/$o/p/$p" data_in "$tmp/empty" ctx_in "$c" \
					ctx_out "$tmp/u.ctx" >"$tmp/ur" 2>&1
			fi
			what="context $f"
			;;
		*+*)	# a frame and a context (ctx_in FILE, ctx_out compared too)
			c=$tmp/ctx_${f#*+}
			"$bt" prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_${f%%+*}" repeat "$n" \
				data_out "$tmp/k.out" ctx_in "$c" ctx_out "$tmp/k.ctx" >"$tmp/kr" 2>&1
			ubrun prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_${f%%+*}" repeat "$n" \
				data_out "$tmp/u.out" ctx_in "$c" ctx_out "$tmp/u.ctx" >"$tmp/ur" 2>&1
			what="frame ${f%%+*} and context ${f#*+} x$n"
			;;
		*)
			"$bt" prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_$f" repeat "$n" \
				data_out "$tmp/k.out" >"$tmp/kr" 2>&1
			if [ "$mode" = oneproc ]; then
				sed -n "${i}p" "$tmp/u.runs" >"$tmp/ur"
				cp "$tmp/u/$o/out.$i" "$tmp/u.out" 2>/dev/null
			else
				ubrun prog run pinned "$K/$o/p/$p" data_in "$tmp/pkt_$f" repeat "$n" \
					data_out "$tmp/u.out" >"$tmp/ur" 2>&1
			fi
			what="frame $f x$n"
			;;
		esac
		kv=$(retval "$tmp/kr") uv=$(retval "$tmp/ur")
		ke=$(runerr "$tmp/kr") ue=$(runerr "$tmp/ur")
		runs=$((runs + 1))
		if [ -z "$kv" ] && [ -n "$ke" ] && [ "$ke" = "$ue" ]; then
			ok "$lbl run $i: $p on $what fails on both: $ke"
		elif [ -z "$kv" ] || [ "$kv" != "$uv" ]; then
			notok "$lbl run $i: $p on $what: kernel '${kv:-$(quiet "$tmp/kr" | head -1)}', userbpf '${uv:-$(head -1 "$tmp/ur")}'"
		elif [ "$f" = "${f#@}" ] && ! cmp -s "$tmp/k.out" "$tmp/u.out"; then
			notok "$lbl run $i: $p on $what: returns $kv on both, but the frames after differ"
		elif { [ -f "$tmp/k.ctx" ] || [ -f "$tmp/u.ctx" ]; } && ! cmp -s "$tmp/k.ctx" "$tmp/u.ctx"; then
			notok "$lbl run $i: $p on $what: returns $kv on both, but the contexts after differ"
			od -An -tx1 -v "$tmp/k.ctx" >"$tmp/k.x" 2>/dev/null
			od -An -tx1 -v "$tmp/u.ctx" >"$tmp/u.x" 2>/dev/null
			show_diff "$tmp/k.x" "$tmp/u.x"
		else
			ok "$lbl run $i: $p on $what returns $kv on both"
		fi
		rm -f "$tmp/k.out" "$tmp/u.out" "$tmp/k.ctx" "$tmp/u.ctx"
	done
	for m in $(ls "$K/$o/m" 2>/dev/null); do
		if [ "$mode" = oneproc ]; then
			compare_map "$o" "$m" oneproc
		elif [ -e "$USERBPF_ROOT/kcmp-$$/$o/m/$m" ]; then
			compare_map "$o" "$m" ""
		else
			maps=$((maps + 1))
			notok "$lbl map $m: the kernel pinned it, userbpf did not"
		fi
	done
	rm -rf "$K/$o" "$USERBPF_ROOT/kcmp-$$/$o"
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

# every object on both sides, once per userbpf engine (the kernel's runs are
# repeated: each pass starts from fresh maps)
for eng in default interpreter; do
	object maps cli kc_maps:a:1 kc_maps:b:3 kc_maps:c:2 kc_maps:a:5 kc_maps:d:1 \
		kc_maps:e:4 kc_sock:a:1 kc_sock:c:2
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
	object misc cli kc_misc:a:1 kc_misc:b:2 kc_misc:c:1 kc_misc:e:3
	object skb cli kc_tc:a:1 kc_tc:b:1 kc_tc:c:3 kc_tc:a+skb:1 kc_tc:c+skbbad:1 kc_tc:e:2
	object tail oneproc kc_chain:a:1 kc_self:a:1 kc_chain:b:3 kc_self:c:2 kc_t1:d:1 \
		kc_subtail:e:1 kc_subtail:a:2
	object mim oneproc kc_mim:a:1 kc_mim:b:2 kc_mim:c:1 kc_mim:d:1 kc_mim:e:3
done

# ---- cleanup -----------------------------------------------------------------
rm -rf "$K"
if [ ! -e "$K" ] && [ -z "$(ls -A "$USERBPF_ROOT/kcmp-$$" 2>/dev/null)" ]; then
	eng=all ok "cleanup: no pins left in bpffs nor in the store"
else
	eng=all notok "cleanup: pins left behind"
fi
echo "# kcompare: $progs objects, $runs runs, $maps maps compared (over 2 userbpf engines); $bad disagreements"
exit 0
