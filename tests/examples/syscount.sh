#!/bin/sh
# syscount.sh - examples/syscount on a workload with a known number of
# syscalls: a C program doing 1000 getpid through syscall(SYS_getpid).
# The table names getpid with a count of at least 1000 (twice that for two
# runs), sorted; the histogram has BCC's header and a bar of stars, and its
# counts add up to at least the calls timed; -T, -N, -p and -d work.
suite=syscount
. "$(dirname "$0")/common.inc"
need_agent
need_bin syscount
build_bpf syscount syscount
obj="$tmp/syscount.bpf.o"
cat >"$tmp/getpids.c" <<'EOC'
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;

	for (int i = 0; i < n; i++)
		syscall(SYS_getpid);
	return 0;
}
EOC
if ! ${CC:-cc} -O2 -o "$tmp/getpids" "$tmp/getpids.c" 2>"$tmp/cc.err"; then
	skip_all "no C compiler for the workload: $(head -1 "$tmp/cc.err")"
fi

start_tool "$tmp/out" "$tmp/err" "$ex/syscount" --obj "$obj"
"$ub" exec -- "$tmp/getpids" 1000
stop_tool
check "exits 0 at SIGINT" [ "$tool_rc" = 0 ]
check "table header" grep -qE '^SYSCALL +COUNT +TOTAL \(us\) +AVG \(us\)$' "$tmp/out"
n=$(awk '$1 == "getpid" {print $2}' "$tmp/out")
check "getpid counted by name: ${n:-none} >= 1000" [ "${n:-0}" -ge 1000 ]
check "getpid is the top row" \
	sh -c "grep -A1 '^SYSCALL' '$tmp/out' | tail -1 | grep -q '^getpid '"
check "exit_group (never returns) is counted too" grep -qE '^exit_group +1 ' "$tmp/out"
check "histogram header as BCC's print_log2_hist" \
	grep -qE '^ +usecs +: count +distribution$' "$tmp/out"
check "histogram: a 0 -> 1 usecs bucket, the fullest one with 40 stars" \
	grep -qE '^ +0 -> 1 +: [0-9]+ +\|\*{40}\|$' "$tmp/out"
h=$(awk '/ -> .*: [0-9]+ +\|/ {s += $5} END {print s + 0}' "$tmp/out")
check "histogram counts add up to the timed calls ($h >= 1000)" [ "$h" -ge 1000 ]

# two runs under one shell, -T 3, -N (nanoseconds), -d 
start_tool "$tmp/out2" "$tmp/err2" "$ex/syscount" -T 3 -N --obj "$obj"
"$ub" exec -- sh -c '"$1" 1000; "$1" 1000' sh "$tmp/getpids"
stop_tool
n=$(awk '$1 == "getpid" {print $2}' "$tmp/out2")
check "two runs: getpid ${n:-none} >= 2000" [ "${n:-0}" -ge 2000 ]
check "-T 3: three rows" \
	sh -c "[ \$(sed -n '/^SYSCALL/,/^\$/p' '$tmp/out2' | grep -cvE '^(SYSCALL|\$)') = 3 ]"
check "-N: the histogram in nsecs" grep -qE '^ +nsecs +: count +distribution$' "$tmp/out2"

# -p: only the process named; another traced process does not count
mkfifo "$tmp/go"
"$ub" exec -- sh -c 'echo $$ >"$1"; read x <"$2"; exec "$3" 500' sh "$tmp/pid" "$tmp/go" \
	"$tmp/getpids" &
shp=$!
i=0
while [ ! -s "$tmp/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
start_tool "$tmp/out3" "$tmp/err3" "$ex/syscount" -p "$(cat "$tmp/pid")" --obj "$obj"
"$ub" exec -- "$tmp/getpids" 700
echo go >"$tmp/go"
wait $shp
stop_tool
n=$(awk '$1 == "getpid" {print $2}' "$tmp/out3")
check "-p: that process's 500 getpid only (${n:-none})" [ "${n:-0}" = 500 ]

"$ex/syscount" -d 1 --obj "$obj" >"$tmp/out4" 2>&1
check "-d 1 stops by itself and prints the table" \
	sh -c "[ $? = 0 ] && grep -q '^SYSCALL' '$tmp/out4' && grep -q 'no usecs recorded' '$tmp/out4'"
"$ex/syscount" --obj "$tmp/nonexistent.o" >/dev/null 2>"$tmp/err5"
rc=$?
check "a missing object: exit 1, the file named" \
	sh -c "[ $rc = 1 ] && grep -q nonexistent.o '$tmp/err5'"
"$ex/syscount" -T x >/dev/null 2>&1
check "a bad number is a usage error (2)" [ $? = 2 ]
