#!/bin/sh
# cli.sh - the userbpf command line: output shapes (bpftool's), exit codes,
# and one clear line for each kind of bad input.  Also runs `make demo`'s
# script end to end, since a newcomer's first command must not rot.
set -u
ub="$UB_BUILD/userbpf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # name, condition-command...
	name=$1
	shift
	if "$@"; then echo "ok cli $name"; else echo "not ok cli $name"; fi
}
# run CMD...: captures stdout, stderr and status
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
lines() { wc -l <"$1" | tr -d ' '; }

# a raw program: r0 = 7; r0 += r2 (the length); exit
printf '\267\000\000\000\007\000\000\000\017\040\000\000\000\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/p.bin"
printf 'abcd' >"$tmp/data"

run "$ub" test-run "$tmp/p.bin" data_in "$tmp/data"
check "test-run prints bpftool's line" sh -c "[ $rc = 0 ] && grep -qE '^Return value: 11, duration: [0-9]+ns$' '$tmp/out'"
run "$ub" test-run "$tmp/p.bin" data_in "$tmp/data" repeat 50
check "repeat prints the average" grep -qE '^Return value: 11, duration \(average\): [0-9]+ns$' "$tmp/out"
run "$ub" -j test-run "$tmp/p.bin" data_in "$tmp/data"
check "-j prints JSON" grep -qE '^\{"retval":11,"duration":[0-9]+\}$' "$tmp/out"
run "$ub" --engine interpreter test-run "$tmp/p.bin"
check "--engine interpreter" sh -c "[ $rc = 0 ] && grep -q 'Return value: 7' '$tmp/out'"
run "$ub" verify --data-size 4 "$tmp/p.bin"
check "verify accepts, exit 0" sh -c "[ $rc = 0 ] && grep -q '3 instructions verified' '$tmp/out'"
run "$ub" verify "$tmp/p.bin"
check "verify without the data convention refuses r2, exit 1" sh -c "[ $rc = 1 ] && grep -q 'insn 1: r0 += r2: R2 is read before any path writes it' '$tmp/err'"
# reads 8 bytes of the data: safe for 8 bytes, not for 4
printf '\171\020\000\000\000\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/rd8.bin"
run "$ub" verify --data-size 8 "$tmp/rd8.bin"
check "verify --data-size 8 accepts an 8-byte read" sh -c "[ $rc = 0 ]"
run "$ub" verify --data-size 4 "$tmp/rd8.bin"
check "verify --data-size 4 refuses it, naming insn and bounds" sh -c "[ $rc = 1 ] && grep -q 'insn 0: r0 = \*(u64 \*)(r1 + 0): read of 8 bytes at \[0, 8) is outside the 4 bytes' '$tmp/err'"
run "$ub" verify -vv --data-size 8 "$tmp/rd8.bin"
check "verify -vv prints every instruction with its state" sh -c "grep -q '^0: r0 = \*(u64 \*)(r1 + 0) ; R1=mem' '$tmp/err'"
printf 'abcd' >"$tmp/d4"
run "$ub" test-run "$tmp/rd8.bin" data_in "$tmp/d4"
check "test-run of an unverified program: checked interpreter stops the overread" sh -c "[ $rc = 1 ] && grep -q 'not verified' '$tmp/err' && grep -q 'out-of-bounds read of 8 bytes' '$tmp/err'"
run "$ub" disasm "$tmp/p.bin"
check "disasm in llvm syntax" sh -c "grep -q 'r0 = 7' '$tmp/out' && grep -q 'r0 += r2' '$tmp/out' && grep -q 'exit' '$tmp/out'"

# refusals: exit 1, the file and the instruction named
printf '\277\001\000\000\000\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/uninit.bin"
run "$ub" verify "$tmp/uninit.bin"
check "verify refuses, exit 1, names insn" sh -c "[ $rc = 1 ] && grep -q 'insn 0: r0 is read before it is written' '$tmp/err'"
printf '\267\000\000\000\007\000\000\000\017' >"$tmp/odd.bin"
run "$ub" verify "$tmp/odd.bin"
check "length not a multiple of 8" sh -c "[ $rc = 1 ] && grep -q '9 bytes is not a whole number of 8-byte instructions' '$tmp/err'"
printf '\377\000\000\000\000\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/unk.bin"
run "$ub" verify "$tmp/unk.bin"
check "unknown opcode named" sh -c "[ $rc = 1 ] && grep -q 'insn 0: unknown opcode 0xff' '$tmp/err'"
printf '\005\000\011\000\000\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/jmp.bin"
run "$ub" verify "$tmp/jmp.bin"
check "jump out of range named" sh -c "[ $rc = 1 ] && grep -q 'insn 0: jump target 10 is out of range' '$tmp/err'"
printf '\030\000\000\000\001\000\000\000' >"$tmp/lddw.bin"
run "$ub" verify "$tmp/lddw.bin"
check "lddw missing its second half" sh -c "[ $rc = 1 ] && grep -q 'lddw is missing its second half' '$tmp/err'"
printf '\267\020\000\000\001\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/resv.bin"
run "$ub" verify "$tmp/resv.bin"
check "nonzero reserved field named" sh -c "[ $rc = 1 ] && grep -q 'reserved src field is 1' '$tmp/err'"
run "$ub" verify "$tmp/missing.o"
check "missing file named, exit 1" sh -c "[ $rc = 1 ] && grep -q 'missing.o' '$tmp/err'"
printf '\177ELF\002\001\001' >"$tmp/trunc.o"
run "$ub" verify "$tmp/trunc.o"
check "truncated ELF refused" sh -c "[ $rc = 1 ] && grep -q 'not an ELF file' '$tmp/err'"

# usage errors: exit 2, one line
run "$ub" frobnicate
check "unknown command: exit 2, one line" sh -c "[ $rc = 2 ] && [ $(lines "$tmp/err") = 1 ]"
run "$ub" --engine warp verify x
check "unknown engine: exit 2, one line" sh -c "[ $rc = 2 ] && [ $(lines "$tmp/err") = 1 ]"
run "$ub" test-run "$tmp/p.bin" repeat -3
check "bad repeat: exit 2" sh -c "[ $rc = 2 ] && grep -q 'repeat' '$tmp/err'"
run "$ub" test-run "$tmp/p.bin" data_in
check "missing value: exit 2" sh -c "[ $rc = 2 ] && grep -q \"'data_in' needs a value\" '$tmp/err'"
run "$ub" verify
check "verify without FILE: exit 2" sh -c "[ $rc = 2 ]"

# the demo, end to end (needs clang; it links a user program against the
# library, which the sanitizer build cannot give a plain cc)
case "$UB_BUILD" in
*asan*|*tsan*) echo "skip cli demo: runs with the plain build (its hello_user links the library)" ;;
*)
if command -v clang >/dev/null 2>&1; then
	run sh "$UB_ROOT/examples/demo.sh" "$UB_BUILD"
	check "make demo's script: 3 Hello lines, and agrees with native C" sh -c "[ $rc = 0 ] && grep -q 'results agree' '$tmp/out' && [ \$(grep -c 'bpf_trace_printk: Hello BPF from sh' '$tmp/out') = 3 ]"
else
	echo "skip cli demo: clang is not installed"
fi ;;
esac
