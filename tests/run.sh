#!/bin/sh
# run.sh - runs every test program of one or more build folders and ends
# with one summary line: "N passed, N failed, N skipped".
#
# A test program is any executable in BUILD/tests/, and any tests/*/*.sh
# script (run with UB_BUILD set).  Each prints "ok NAME", "not ok NAME: why"
# or "skip NAME: why" per check.  A program that exits non-zero without
# printing "not ok" counts as one failure (a crash is never silent).
#
# Environment handed to tests: UB_BUILD (the build folder), UB_SHARED
# (../shared beside the checkout), UB_ROOT (the checkout).  Each program's
# whole output is kept in BUILD/test-logs/NAME.log, for a slow or failing
# test to be read after the run.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${UB_SHARED:-$root/../shared}
pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() { # build name cmd...
	b=$1 name=$2
	shift 2
	start=$(date +%s)
	UB_BUILD=$b UB_SHARED=$shared UB_ROOT=$root timeout 1200 "$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	s=$(grep -c '^skip ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok $name: exited with status $rc" >>"$log"
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	secs=$(( $(date +%s) - start ))
	printf '%-44s %6d ok %4d failed %4d skipped  %4ss\n' "$b/$name" "$p" "$f" "$s" "$secs"
	if [ "$f" -gt 0 ]; then
		grep -E '^not ok ' "$log" | head -40 | sed 's/^/    /'
		tail -n 15 "$log" | grep -v -E '^(ok|not ok|skip) ' | sed 's/^/    | /'
	fi
	grep -E '^skip ' "$log" | sort -u | head -5 | sed 's/^/    /'
	mkdir -p "$b/test-logs" && cp "$log" "$b/test-logs/$(echo "$name" | tr / _).log"
}

for b in "$@"; do
	if [ ! -d "$b/tests" ]; then
		echo "not ok $b: no tests built (run make first)"
		fail=$((fail + 1))
		continue
	fi
	for t in "$b"/tests/*; do
		[ -x "$t" ] || continue
		run_one "$b" "$(basename "$t")" "$t"
	done
	for t in "$root"/tests/*/*.sh; do
		[ -f "$t" ] || continue
		run_one "$b" "$(basename "$(dirname "$t")")/$(basename "$t")" sh "$t"
	done
done
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
