#!/bin/sh
# host_hook.sh - examples/host_hook, a host that embeds userbpf and
# defines its own program type: the plugin's verdicts, priorities, tags
# and the host's quota column are recomputed here from the printed
# requests with the plugin's rules; the maps it kept agree with the
# requests; each rule-breaking plugin is refused with the runtime's
# reason; bad arguments and a missing plugin fail cleanly.
suite=host_hook
. "$(dirname "$0")/common.inc"
need_bin host_hook
build_bpf host_hook filter
build_bpf host_hook bad_plugins

"$ex/host_hook" --plugin "$tmp/filter.bpf.o" --bad "$tmp/bad_plugins.bpf.o" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "exits 0 (plugin ran, every bad plugin refused)" [ $rc = 0 ]
check "nothing on stderr" [ ! -s "$tmp/err" ]
check "the type registered, with its context, helpers and verdict range" \
	sh -c "grep -q \"registered program type 'request_filter'\" '$tmp/out' &&
	       grep -q 'host_quota_left (id 1000)' '$tmp/out' && grep -q '0 (drop) .. 2 (sample)' '$tmp/out'"
check "the plugin verified against request_filter" \
	grep -qE "program 'filter' \([0-9]+ instructions\) verified against request_filter" "$tmp/out"

# REQ CLIENT STATUS BYTES LATENCY ms VERDICT PRIORITY TAG QUOTA
awk '
BEGIN { q[0] = 20000; q[1] = 5000; q[2] = 9000; q[3] = 1500; bad = 0; n = 0 }
$1 ~ /^[0-9]+$/ && $6 == "ms" {
	n++
	c = $2; st = $3; b = $4; lat = $5
	if (st >= 500) { v = "SAMPLE"; p = 7; t = "0x5e7e" }
	else if (b > q[c]) { v = "DROP"; p = 0; t = "0xdd" }
	else if (lat > 500) { v = "SAMPLE"; p = 3; t = "0x510" }
	else { v = "PASS"; p = 0; t = "0x0" }
	if (v != "DROP") q[c] = q[c] > b ? q[c] - b : 0
	if ($7 != v || $8 != p || $9 != t || $10 != q[c]) {
		print "request " $1 ": got " $7 " " $8 " " $9 " " $10 ", expected " v " " p " " t " " q[c]
		bad++
	}
	cls[int(st / 100)]++; by[c] += b; cnt[v]++
}
END {
	for (k in cls) print "class " k " " cls[k] > "/dev/stderr"
	for (k in by) print "client " k " " by[k] > "/dev/stderr"
	print "requests " n " bad " bad " pass " cnt["PASS"] + 0 " sample " cnt["SAMPLE"] + 0 " drop " cnt["DROP"] + 0
}' "$tmp/out" >"$tmp/check" 2>"$tmp/expect"
summary=$(tail -1 "$tmp/check")
check "16 requests, each decided by the plugin's rules, host quota via its helper ($summary)" \
	sh -c "echo '$summary' | grep -q '^requests 16 bad 0 '"
grep -v '^requests' "$tmp/check" | head -5
set -- $summary
check "every verdict occurs (pass $6, sample $8, drop ${10})" \
	sh -c "[ $6 -gt 0 ] && [ $8 -gt 0 ] && [ ${10} -gt 0 ]"
check "the verdict tally line agrees" grep -qx "verdicts: $6 PASS, $8 SAMPLE, ${10} DROP" "$tmp/out"
ok=1
while read -r kind k v; do
	if [ "$kind" = class ]; then
		grep -qx "  ${k}xx: $v" "$tmp/out" || ok=0
	else
		grep -qx "  client $k: $v bytes" "$tmp/out" || ok=0
	fi
done <"$tmp/expect"
check "maps status_counts and client_bytes, as the plugin kept them, match the requests" [ $ok = 1 ]

check "a read past the context: refused by the verifier, instruction named" \
	grep -qE "read_past_ctx: refused by the verifier:" "$tmp/out"
check "a read past the context: the reason, at insn 0" grep -q "insn 0: .*invalid context read of 8 bytes at offset 32" "$tmp/out"
check "a write to a read-only field: refused, with the reason" \
	sh -c "grep -q 'write_read_only: refused by the verifier' '$tmp/out' &&
	       grep -q 'invalid context write of 4 bytes at offset 0' '$tmp/out'"
check "a helper the type does not allow: refused at load, named" \
	sh -c "grep -q 'call_not_allowed: refused by the loader' '$tmp/out' &&
	       grep -q 'helper 5 (bpf_ktime_get_ns) is not allowed in request_filter' '$tmp/out'"
check "a verdict out of range: refused, with the range" \
	sh -c "grep -q 'verdict_out_of_range: refused by the verifier' '$tmp/out' &&
	       grep -q 'return value must lie in \[0, 2\]' '$tmp/out'"
check "no bad plugin accepted" sh -c "! grep -q ACCEPTED '$tmp/out'"

"$ex/host_hook" --plugin "$tmp/filter.bpf.o" --bad "$tmp/bad_plugins.bpf.o" --requests 5000 \
	>"$tmp/out2" 2>&1
check "5000 requests run" sh -c "[ $? = 0 ] && grep -q '^4999 ' '$tmp/out2'"

# the good plugin as the bad one: accepted, so the host says so and fails
"$ex/host_hook" --plugin "$tmp/filter.bpf.o" --bad "$tmp/filter.bpf.o" >"$tmp/out3" 2>&1
check "a rule-abiding plugin in the bad list is reported ACCEPTED, exit 1" \
	sh -c "[ $? = 1 ] && grep -q 'filter: ACCEPTED' '$tmp/out3'"
"$ex/host_hook" --plugin "$tmp/nonexistent.o" >/dev/null 2>"$tmp/err4"
rc=$?
check "a missing plugin: exit 1, the file named" \
	sh -c "[ $rc = 1 ] && grep -q nonexistent.o '$tmp/err4'"
"$ex/host_hook" --requests 0 >/dev/null 2>&1
check "a bad request count is a usage error (2)" [ $? = 2 ]
