#!/bin/sh
# hello.sh - the classic hello world through `userbpf run` and `userbpf
# exec`: one trace_pipe line per execve of a small shell script, a link
# attached while the traced shell already runs, exit statuses.
set -u
ub="$UB_BUILD/userbpf"
src="${UB_ROOT:-.}/tests/hooks/progs"
tmp=$(mktemp -d)
export USERBPF_ROOT="$tmp/root"
trap 'rm -rf "$tmp"' EXIT

check() { # name, condition-command...
	name=$1
	shift
	if "$@"; then echo "ok hooks $name"; else echo "not ok hooks $name"; fi
}

if [ ! -f "$UB_BUILD/libuserbpf-agent.so" ] || [ "$(uname -m)" != x86_64 ]; then
	echo "skip hooks hello: no agent in $UB_BUILD (x86-64 Linux only)"
	exit 0
fi
if ! clang -O2 -g -target bpf -c "$src/hello.bpf.c" -o "$tmp/hello.o" 2>"$tmp/cc.err"; then
	echo "skip hooks hello: clang -target bpf failed: $(head -1 "$tmp/cc.err")"
	exit 0
fi

line_re='^ +[^ ]+-[0-9]+ +\[[0-9]{3}\] [.dNhsHb0-9]{5} +[0-9]+\.[0-9]{6}: bpf_trace_printk: Hello BPF from '

cat >"$tmp/script.sh" <<'EOS'
/bin/true
ls / >/dev/null
echo done
/usr/bin/env /bin/true
EOS
"$ub" run "$tmp/hello.o" -- sh "$tmp/script.sh" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "run: the command's output passes through" grep -qx done "$tmp/out"
# sh execs three programs; env (a path with a slash: one try) execs true
check "run: one Hello line per execve (4), in trace_pipe's format" \
	sh -c "[ \$(grep -cE '$line_re' '$tmp/out') = 4 ] && [ \$(grep -c bpf_trace_printk '$tmp/out') = 4 ]"
check "run: get_current_comm names the caller (sh 3 times, then env)" \
	sh -c "[ \$(grep -c 'Hello BPF from sh\$' '$tmp/out') = 3 ] && [ \$(grep -c 'Hello BPF from env\$' '$tmp/out') = 1 ]"
check "run: exit 0 and nothing on stderr" sh -c "[ $rc = 0 ] && [ ! -s '$tmp/err' ]"

"$ub" run "$tmp/hello.o" -- sh -c 'exit 7' >/dev/null 2>&1
check "run: exits with the command's status" [ $? = 7 ]

# A link attached while the traced shell already runs: the shell waits on
# a FIFO (a builtin: no execve), then execs twice.
mkfifo "$tmp/go"
"$ub" exec -- sh -c "read x <'$tmp/go'; /bin/true; /bin/true" &
shpid=$!
"$ub" run "$tmp/hello.o" >"$tmp/late" 2>&1 &
runpid=$!
i=0
while [ -z "$(ls "$USERBPF_ROOT/links" 2>/dev/null)" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
echo go >"$tmp/go"
wait $shpid
sleep 0.3
kill -TERM $runpid
wait $runpid
check "exec: links attached later reach a running shell (2 lines)" \
	sh -c "[ \$(grep -cE '$line_re' '$tmp/late') = 2 ]"
check "run without a command: links removed at SIGTERM" \
	sh -c "[ -z \"\$(ls '$USERBPF_ROOT/links')\" ]"

"$ub" exec -- "$tmp/nonexistent" 2>"$tmp/err"
rc=$?
check "exec: a missing command gives 127 and names it" \
	sh -c "[ $rc = 127 ] && grep -q nonexistent '$tmp/err'"
"$ub" exec 2>"$tmp/err"
check "exec: no command is a usage error (2)" [ $? = 2 ]

# trace pipe: prints what agents write into ROOT/trace_pipe, as it comes
"$ub" trace pipe >"$tmp/tp" 2>&1 &
tppid=$!
sleep 0.3
printf '%s\n' "            sh-1      [000] ...21     1.000000: bpf_trace_printk: via the pipe" \
	>"$USERBPF_ROOT/trace_pipe"
sleep 0.3
kill -TERM $tppid
wait $tppid 2>/dev/null
check "trace pipe prints the lines written to the store's FIFO" grep -q 'bpf_trace_printk: via the pipe$' "$tmp/tp"
"$ub" trace 2>"$tmp/err"
check "trace without 'pipe' is a usage error (2)" [ $? = 2 ]
