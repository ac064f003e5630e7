#!/bin/sh
# opensnoop.sh - examples/opensnoop on known command runs: an existing
# file opened by cat gives FD >= 0 and ERR 0, a missing one FD -1 and
# ERR 2 (ENOENT), each with cat's pid and comm; -x keeps only failures,
# -n filters on the comm, -p on the process; nothing is lost.
suite=opensnoop
. "$(dirname "$0")/common.inc"
need_agent
need_bin opensnoop
build_bpf opensnoop opensnoop
known="$tmp/known.txt"
missing="$tmp/missing.txt"
echo hello >"$known"
obj="$tmp/opensnoop.bpf.o"

start_tool "$tmp/out" "$tmp/err" "$ex/opensnoop" --obj "$obj"
"$ub" exec -- sh -c 'echo $$ >"$1"; exec cat "$2"' sh "$tmp/pid1" "$known" >/dev/null
"$ub" exec -- sh -c 'echo $$ >"$1"; exec cat "$2"' sh "$tmp/pid2" "$missing" 2>/dev/null
sleep 0.3
stop_tool
p1=$(cat "$tmp/pid1")
p2=$(cat "$tmp/pid2")
check "exits 0 at SIGINT" [ "$tool_rc" = 0 ]
check "header as libbpf-tools prints it" \
	sh -c "head -1 '$tmp/out' | grep -qE '^PID +COMM +FD ERR PATH\$'"
check "the known file: cat's pid ($p1), FD >= 0, ERR 0" \
	grep -qE "^$p1 +cat +[0-9]+ +0 $known\$" "$tmp/out"
check "the missing file: cat's pid ($p2), FD -1, ERR 2 (ENOENT)" \
	grep -qE "^$p2 +cat +-1 +2 $missing\$" "$tmp/out"
check "each file once, and the shells' opens of the pid files too" \
	sh -c "[ \$(grep -cE ' ($known|$missing)\$' '$tmp/out') = 2 ] && [ \$(grep -cE '^($p1|$p2) +sh +[0-9]+ +0 $tmp/pid[12]\$' '$tmp/out') = 2 ]"
check "no lost events" sh -c "! grep -q lost '$tmp/err'"

# -x: failures only; -n: comm filter; -e: the flags column
start_tool "$tmp/outx" "$tmp/errx" "$ex/opensnoop" -x -e -n cat --obj "$obj"
"$ub" exec -- sh -c 'cat "$1" "$2"; : >"$3"' sh "$known" "$missing" "$tmp/made" >/dev/null 2>&1
sleep 0.3
stop_tool
check "-x: the failed open only" \
	sh -c "grep -qE ' +-1 +2 [0-7]{8} $missing\$' '$tmp/outx' && ! grep -q '$known' '$tmp/outx'"
check "-n cat: the shell's open of $tmp/made left out" sh -c "! grep -q made '$tmp/outx'"
check "-e: header has FLAGS" sh -c "head -1 '$tmp/outx' | grep -qE 'ERR FLAGS +PATH\$'"

# -p: a traced shell that waits on a FIFO, then opens; another does not count
mkfifo "$tmp/go"
"$ub" exec -- sh -c 'echo $$ >"$1"; read x <"$2"; exec cat "$3"' sh "$tmp/pid3" "$tmp/go" "$known" \
	>/dev/null &
sh3=$!
i=0
while [ ! -s "$tmp/pid3" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
p3=$(cat "$tmp/pid3")
start_tool "$tmp/outp" "$tmp/errp" "$ex/opensnoop" -p "$p3" --obj "$obj"
"$ub" exec -- cat "$known" >/dev/null
echo go >"$tmp/go"
wait $sh3
sleep 0.3
stop_tool
check "-p $p3: that process's open of the known file" \
	grep -qE "^$p3 +cat +[0-9]+ +0 $known\$" "$tmp/outp"
check "-p $p3: no other process" sh -c "[ \$(tail -n +2 '$tmp/outp' | awk '\$1 != $p3' | wc -l) = 0 ]"

"$ex/opensnoop" --obj "$tmp/nonexistent.o" >/dev/null 2>"$tmp/err3"
rc=$?
check "a missing object: exit 1, the file named" \
	sh -c "[ $rc = 1 ] && grep -q nonexistent.o '$tmp/err3'"
"$ex/opensnoop" -p x >/dev/null 2>&1
check "a bad pid is a usage error (2)" [ $? = 2 ]
