#!/bin/sh
# execsnoop.sh - examples/execsnoop on known command runs: one line per
# successful execve with the right comm, pid, parent pid (the shell) and
# arguments; failed execs only with -x, with RET -2; argument lists past
# MAX_ARGS end with "..."; a missing object is a clear error.
suite=execsnoop
. "$(dirname "$0")/common.inc"
need_agent
need_bin execsnoop
build_bpf execsnoop execsnoop

start_tool "$tmp/out" "$tmp/err" "$ex/execsnoop" --obj "$tmp/execsnoop.bpf.o"
"$ub" exec -- sh -c 'echo $$ >"$1"; /bin/true a b; /bin/echo x y >/dev/null' sh "$tmp/shpid"
sleep 0.5	# execsnoop holds an exec 200 ms for a return value that never comes
stop_tool
sh_pid=$(cat "$tmp/shpid")
check "exits 0 at SIGINT" [ "$tool_rc" = 0 ]
check "header as libbpf-tools prints it" \
	sh -c "head -1 '$tmp/out' | grep -qE '^PCOMM +PID +PPID +RET ARGS\$'"
check "a line for /bin/true a b (comm true, RET 0)" \
	grep -qE '^true +[0-9]+ +[0-9]+ +0 /bin/true a b$' "$tmp/out"
check "a line for /bin/echo x y (comm echo, RET 0)" \
	grep -qE '^echo +[0-9]+ +[0-9]+ +0 /bin/echo x y$' "$tmp/out"
check "exactly those two execs" [ "$(tail -n +2 "$tmp/out" | wc -l)" = 2 ]
check "PPID is the shell's pid ($sh_pid), PID another" \
	sh -c "[ \$(awk '\$3 == $sh_pid && \$2 != $sh_pid' '$tmp/out' | wc -l) = 2 ]"
check "the two execs ran in two processes" \
	sh -c "[ \$(tail -n +2 '$tmp/out' | awk '{print \$2}' | sort -u | wc -l) = 2 ]"

# -x: a failed exec (a path with a slash: one try) shows with RET -2
start_tool "$tmp/outx" "$tmp/errx" "$ex/execsnoop" -x -q --obj "$tmp/execsnoop.bpf.o"
"$ub" exec -- sh -c '/nonexistent/prog_x a 2>/dev/null; /bin/true 1 2 3 4 5 6 7 8 9' \
	>/dev/null 2>&1
sleep 0.5
stop_tool
check "-x: the failed exec with RET -2 (ENOENT) and the caller's comm" \
	grep -qE '^sh +[0-9]+ +[0-9]+ +-2 "/nonexistent/prog_x" "a"$' "$tmp/outx"
check "-q quotes; 9 arguments: the first 7 then ..." \
	grep -qE '^true +[0-9]+ +[0-9]+ +0 "/bin/true" "1" "2" "3" "4" "5" "6" "7" \.\.\.$' "$tmp/outx"

start_tool "$tmp/out2" "$tmp/err2" "$ex/execsnoop" --obj "$tmp/execsnoop.bpf.o"
"$ub" exec -- sh -c '/nonexistent/prog_x a 2>/dev/null; /bin/true' >/dev/null 2>&1
sleep 0.5
stop_tool
check "without -x failed execs are left out" \
	sh -c "! grep -q prog_x '$tmp/out2' && grep -qE '^true .* 0 /bin/true\$' '$tmp/out2'"

"$ex/execsnoop" --obj "$tmp/nonexistent.o" >/dev/null 2>"$tmp/err3"
rc=$?
check "a missing object: exit 1, the file named" \
	sh -c "[ $rc = 1 ] && grep -q nonexistent.o '$tmp/err3'"
"$ex/execsnoop" --bogus >/dev/null 2>&1
check "an unknown option is a usage error (2)" [ $? = 2 ]
