#!/bin/sh
# bpftool.sh - `userbpf prog ...` and `userbpf map ...`: every verb, the
# output shapes bpftool prints (plain, -j, -p), bpftool's exit codes, one
# "Error: ..." line for each kind of bad argument, and JSON that parses.
# Runs in a private store (USERBPF_ROOT=$(mktemp -d)).
set -u
ub="$UB_BUILD/userbpf"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
USERBPF_ROOT="$tmp/root"
export USERBPF_ROOT
B=/sys/fs/bpf/t
have_py=0
command -v python3 >/dev/null 2>&1 && have_py=1

SUITE=bpftool
# shellcheck source=../lib/cli.inc
. "${UB_ROOT:-.}/tests/lib/cli.inc"
json_ok() { # file
	[ "$have_py" = 0 ] && return 0
	python3 -m json.tool "$1" >/dev/null 2>&1
}
json_get() { # file, python expression on d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# ---- maps ----------------------------------------------------------------
run "$ub" map create $B/arr type array key 4 value 8 entries 4 name arr
check "map create: exit 0, silent" sh -c "[ $rc = 0 ] && [ ! -s '$tmp/out' ] && [ ! -s '$tmp/err' ]"
check "map create: the pin is ROOT/t/arr, mode 0600" sh -c "[ \"\$(stat -c %a '$USERBPF_ROOT/t/arr')\" = 600 ]"
run "$ub" map update pinned $B/arr key 1 0 0 0 value 1 2 3 4 5 6 7 8
check "map update: decimal bytes" sh -c "[ $rc = 0 ] && [ ! -s '$tmp/out' ]"
run "$ub" map update pinned $B/arr key hex 02 00 00 00 value hex ff 0 0 0 0 0 0 0a
check "map update: hex bytes" sh -c "[ $rc = 0 ]"
run "$ub" map update pinned $B/arr key 0x3 0 0 0 value 0x10 0 0 0 0 0 0 0 exist
check "map update: 0x bytes and exist" sh -c "[ $rc = 0 ]"
run "$ub" map dump pinned $B/arr
check "map dump: bpftool's lines" same "$tmp/out" "key: 00 00 00 00  value: 00 00 00 00 00 00 00 00
key: 01 00 00 00  value: 01 02 03 04 05 06 07 08
key: 02 00 00 00  value: ff 00 00 00 00 00 00 0a
key: 03 00 00 00  value: 10 00 00 00 00 00 00 00
Found 4 elements"
run "$ub" -j map dump pinned $B/arr
check "map dump -j: parses" json_ok "$tmp/out"
check "map dump -j: bpftool's shape" grep -qF '[{"key":["0x00","0x00","0x00","0x00"],"value":["0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00"]},{"key":["0x01","0x00","0x00","0x00"],"value":["0x01","0x02","0x03","0x04","0x05","0x06","0x07","0x08"]},' "$tmp/out"
run "$ub" -p map lookup pinned $B/arr key 1 0 0 0
check "map lookup -p: bpftool's pretty layout" same "$tmp/out" '{
    "key": ["0x01","0x00","0x00","0x00"
    ],
    "value": ["0x01","0x02","0x03","0x04","0x05","0x06","0x07","0x08"
    ]
}'
run "$ub" map lookup pinned $B/arr key 1 0 0 0
check "map lookup: one line" same "$tmp/out" "key: 01 00 00 00  value: 01 02 03 04 05 06 07 08"
run "$ub" map lookup pinned $B/arr key 9 0 0 0
check "map lookup missing: bpftool's 'Not found', exit 254" sh -c "[ $rc = 254 ] && [ ! -s '$tmp/err' ]" 
check "map lookup missing: text" same "$tmp/out" "key:
09 00 00 00

Not found"
run "$ub" -j map lookup pinned $B/arr key 9 0 0 0
check "map lookup missing -j: null, exit 254" sh -c "[ $rc = 254 ] && [ \"\$(cat '$tmp/out')\" = null ]"
run "$ub" map getnext pinned $B/arr key 1 0 0 0
check "map getnext" same "$tmp/out" "key:
01 00 00 00
next key:
02 00 00 00"
run "$ub" map getnext pinned $B/arr
check "map getnext without key" same "$tmp/out" "key: None
next key:
00 00 00 00"
run "$ub" -j map getnext pinned $B/arr
check "map getnext -j" same "$tmp/out" '{"key":null,"next_key":["0x00","0x00","0x00","0x00"]}'
run "$ub" map getnext pinned $B/arr key 3 0 0 0
check "map getnext past the last: exit 254, one line" one_error 254 "can't get next key: No such file or directory"
run "$ub" map delete pinned $B/arr key 1 0 0 0
check "map delete on an array: EINVAL as exit 234" one_error 234 "delete failed: Invalid argument"
run "$ub" map update pinned $B/arr key 1 0 0 0 value 1 1 1 1 1 1 1 1 noexist
check "map update noexist: EEXIST as exit 239" one_error 239 "update failed: File exists"
run "$ub" map update pinned $B/arr key 9 0 0 0 value 1 1 1 1 1 1 1 1
check "map update past the end: E2BIG as exit 249" one_error 249 "update failed: Argument list too long"
run "$ub" -j map update pinned $B/arr key 0 0 0 0 value 0 0 0 0 0 0 0 0
check "map update -j: null" sh -c "[ $rc = 0 ] && [ \"\$(cat '$tmp/out')\" = null ]"

# per-CPU values: one per possible CPU, each the value given
run "$ub" map create $B/pc type percpu_array key 4 value 4 entries 2 name pc
check "percpu_array create" sh -c "[ $rc = 0 ]"
run "$ub" map update pinned $B/pc key 1 0 0 0 value 1 2 3 4
check "percpu_array update: one value for every CPU" sh -c "[ $rc = 0 ]"
run "$ub" map lookup pinned $B/pc key 1 0 0 0
ncpu=$(grep -c '^value (CPU ' "$tmp/out")
check "percpu lookup: key: then one line per CPU" sh -c "[ $ncpu -ge 1 ] && head -2 '$tmp/out' | tr '\n' '|' | grep -qx 'key:|01 00 00 00|' && [ \$(grep -c '^value (CPU [0-9][0-9]): 01 02 03 04$' '$tmp/out') = $ncpu ]"
run "$ub" -j map dump pinned $B/pc
check "percpu dump -j: values per cpu" sh -c "json_ok() { true; }; [ $rc = 0 ] && grep -qF '\"values\":[{\"cpu\":0,\"value\":[\"0x00\",\"0x00\",\"0x00\",\"0x00\"]}' '$tmp/out'"
if [ "$have_py" = 1 ]; then
	check "percpu dump -j: parses, $ncpu CPUs per key" sh -c "[ \"\$(python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); print(len(d), set(len(e['values']) for e in d))\" '$tmp/out')\" = \"2 {$ncpu}\" ]"
fi

# show, list, pin, freeze, ids, names
run "$ub" map show pinned $B/arr
check "map show: bpftool's two lines and the pin" sh -c "[ $rc = 0 ] && [ \$(wc -l <'$tmp/out') = 3 ] && grep -qE '^[0-9]+: array  name arr  flags 0x0$' '$tmp/out' && grep -qE '^	key 4B  value 8B  max_entries 4  memlock [0-9]+B$' '$tmp/out' && grep -qx '	pinned $B/arr' '$tmp/out'"
run "$ub" -j map show pinned $B/arr
check "map show -j: parses" json_ok "$tmp/out"
check "map show -j: bpftool's keys" grep -qE '^\{"id":[0-9]+,"type":"array","name":"arr","flags":0,"bytes_key":4,"bytes_value":8,"max_entries":4,"bytes_memlock":[0-9]+,"frozen":0,"pinned":\["/sys/fs/bpf/t/arr"\]\}$' "$tmp/out"
id=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$tmp/out")
run "$ub" map pin pinned $B/arr $B/arr2
check "map pin: a second name" sh -c "[ $rc = 0 ] && [ -f '$USERBPF_ROOT/t/arr2' ]"
run "$ub" map pin pinned $B/arr $B/arr2
check "map pin over an existing file: exit 239" one_error 239 "can't pin the object (/sys/fs/bpf/t/arr2): File exists"
run "$ub" map show id "$id"
check "map show id: both names, same id" sh -c "grep -q '^$id: array' '$tmp/out' && grep -qx '	pinned $B/arr' '$tmp/out' && grep -qx '	pinned $B/arr2' '$tmp/out'"
run "$ub" map lookup name arr key 1 0 0 0
check "map lookup name" same "$tmp/out" "key: 01 00 00 00  value: 01 02 03 04 05 06 07 08"
run "$ub" map update pinned $B/arr2 key 1 0 0 0 value 7 7 7 7 7 7 7 7
run "$ub" map lookup pinned $B/arr key 1 0 0 0
check "map pin: both names are one map" same "$tmp/out" "key: 01 00 00 00  value: 07 07 07 07 07 07 07 07"
run "$ub" map freeze pinned $B/arr
check "map freeze" sh -c "[ $rc = 0 ]"
run "$ub" map update pinned $B/arr key 1 0 0 0 value 1 1 1 1 1 1 1 1
check "frozen map refuses update: EPERM as exit 255" one_error 255 "update failed: Operation not permitted"
run "$ub" -j map show pinned $B/arr2
check "map show -j after freeze: frozen 1" grep -q '"frozen":1' "$tmp/out"
run "$ub" map show
check "map show: every map, the frozen one says so" sh -c "[ \$(grep -cE '^[0-9]+: ' '$tmp/out') = 2 ] && grep -qx '	frozen' '$tmp/out'"
run "$ub" map list
cp "$tmp/out" "$tmp/list"
run "$ub" map
check "map list = map show = map" sh -c "cmp -s '$tmp/out' '$tmp/list'"
run "$ub" -j map show
check "map show -j: an array" sh -c "json_ok() { true; }; head -c1 '$tmp/out' | grep -q '\['"
check "map show -j: parses" json_ok "$tmp/out"

# prog_array: shown empty; values that would outlive the command refused
run "$ub" map create $B/pa type prog_array key 4 value 4 entries 4 name pa
run "$ub" map dump pinned $B/pa
check "prog_array dump: Found 0 elements" same "$tmp/out" "Found 0 elements"

# hash maps (landing in another branch): skip while not supported
run "$ub" map create $B/h type hash key 4 value 4 entries 8 name hh
if grep -q "not supported" "$tmp/err"; then
	echo "skip bpftool hash map: this build has no hash maps yet ($(cat "$tmp/err"))"
else
	check "hash create" sh -c "[ $rc = 0 ]"
	run "$ub" map dump pinned $B/h
	check "hash dump empty" same "$tmp/out" "Found 0 elements"
	run "$ub" map update pinned $B/h key 5 0 0 0 value 1 1 1 1
	run "$ub" map update pinned $B/h key 6 0 0 0 value 2 2 2 2
	run "$ub" map dump pinned $B/h
	check "hash dump: two elements" sh -c "grep -qx 'key: 05 00 00 00  value: 01 01 01 01' '$tmp/out' && grep -qx 'key: 06 00 00 00  value: 02 02 02 02' '$tmp/out' && grep -qx 'Found 2 elements' '$tmp/out'"
	run "$ub" map delete pinned $B/h key 6 0 0 0
	check "hash delete" sh -c "[ $rc = 0 ]"
	run "$ub" map delete pinned $B/h key 6 0 0 0
	check "hash delete missing: ENOENT as exit 254" one_error 254 "delete failed: No such file or directory"
	run "$ub" map update pinned $B/h key 5 0 0 0 value 1 1 1 1 noexist
	check "hash update noexist on a key present: 239" one_error 239 "File exists"
fi

# bad arguments: one line each, bpftool's exit code
run "$ub" map dump pinned $B/none
check "missing pinned path" one_error 255 "bpf obj get (/sys/fs/bpf/t/none): No such file or directory"
run "$ub" map dump pinned
check "pinned without a path" one_error 255 "'pinned' needs a value"
run "$ub" map create $B/x type foo key 4 value 4 entries 1 name x
check "bad map type" one_error 255 "unrecognized map type: foo"
run "$ub" map create $B/x type array key four value 4 entries 1 name x
check "bad key size" one_error 255 "can't parse four as key size"
run "$ub" map create $B/x type array
check "map create: too few arguments" one_error 255 "'create' needs at least 7 arguments, 3 found"
run "$ub" map create $B/x type array key 4 value 4 entries 1
check "map create: no name" one_error 255 "map name not specified"
run "$ub" map create $B/x type array key 4 value 4 entries 1 name x bar
check "map create: a word without its value" one_error 255 "'bar' needs at least 2 arguments, 1 found"
run "$ub" map create $B/x type array key 3 value 4 entries 0 name x
check "map create refused by the map: one line with the reason" one_error 255 "map create failed: Invalid argument"
run "$ub" map lookup pinned $B/arr key 1 0 0
check "bad key length" one_error 255 "key expected 4 bytes got 3"
run "$ub" map update pinned $B/arr2 key 1 0 0 0 value 1 2 3 4 5 6 7
check "bad value length" one_error 255 "value expected 8 bytes got 7"
run "$ub" map update pinned $B/arr2 key 1 0 0 0 value 1 2 3 4 5 6 7 8 9
check "extra value byte" one_error 255 "expected key or value, got: 9"
run "$ub" map update pinned $B/arr2 key 1 0 0 0 value 1 2 3 4 5 6 7 zz
check "bad byte" one_error 255 "error parsing byte: zz"
run "$ub" map update pinned $B/arr2 key 1 0 0 0 value 1 2 3 4 5 6 7 256
check "byte out of range" one_error 255 "error parsing byte: 256"
run "$ub" map update pinned $B/arr2 key 1 0 0 0
check "update without value" one_error 255 "did not find value"
run "$ub" map lookup pinned $B/arr2
check "lookup without key" one_error 255 "did not find key"
run "$ub" map update pinned $B/arr2 key 1 0 0 0 value 1 0 0 0 0 0 0 0 any exist
check "flags twice" one_error 255 "flags specified multiple times: exist"
run "$ub" map lookup id abc key 1 0 0 0
check "bad id" one_error 255 "can't parse abc as ID"
run "$ub" map lookup id 4000000000 key 1 0 0 0
check "unknown id" one_error 255 "get map by id (4000000000): No such file or directory"
run "$ub" map lookup foo bar
check "bad map handle" one_error 255 "expected 'id', 'name' or 'pinned', got: 'foo'?"
run "$ub" map lookup name nosuch key 1 0 0 0
check "unknown name" one_error 255 "no map with name nosuch found"
printf 'not a map' >"$tmp/junk"
run "$ub" map dump pinned "$tmp/junk"
check "a file that is not a pin" one_error 255 "not a pinned userbpf map"
run "$ub" map update pinned $B/pa key 0 0 0 0 value pinned $B/nope
check "prog_array value: missing program pin" one_error 255 "bpf obj get (/sys/fs/bpf/t/nope): No such file or directory"
run "$ub" map update pinned $B/pa key 0 0 0 0 value pinned $B/arr
check "prog_array value: a map is not a program" one_error 255 "incorrect object type: map"
run "$ub" map frobnicate
check "unknown map verb" one_error 255 "unknown map command 'frobnicate'"
run "$ub" -j map lookup pinned $B/arr key 1 0 0
check "-j error: {\"error\":...} on stdout, exit 255" sh -c "[ $rc = 255 ] && [ \"\$(cat '$tmp/out')\" = '{\"error\":\"key expected 4 bytes got 3\"}' ]"
check "-j error parses" json_ok "$tmp/out"
run "$ub" map help
check "map help" sh -c "[ $rc = 0 ] && grep -q 'map create' '$tmp/out'"

# ---- programs ------------------------------------------------------------
# raw: r0 = *(u8 *)(r1 + 0); r0 += r2; *(u8 *)(r1 + 0) = 0x55; exit
printf '\161\020\000\000\000\000\000\000\017\040\000\000\000\000\000\000\162\001\000\000\125\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/raw.bin"
printf 'abcd' >"$tmp/d4"
# Typed, it would run on a __sk_buff (as on Linux, where it reads r2 and
# is refused); untyped, on the data convention (r1 = data, r2 = length).
run "$ub" prog load "$tmp/raw.bin" $B/rawsock type socket
check "prog load raw type socket" sh -c "[ $rc = 0 ] && [ ! -s '$tmp/err' ]"
run "$ub" prog show pinned $B/rawsock
check "prog show: bpftool's lines" sh -c "grep -qE '^[0-9]+: socket_filter  name raw  tag [0-9a-f]{16}$' '$tmp/out' && grep -qE '^	loaded_at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4}  uid [0-9]+$' '$tmp/out' && grep -qE '^	xlated 32B  (jited [0-9]+B|not jited)  memlock [0-9]+B$' '$tmp/out' && grep -qx '	pinned $B/rawsock' '$tmp/out'"
run "$ub" prog load "$tmp/raw.bin" $B/raw
run "$ub" prog run pinned $B/raw data_in "$tmp/d4"
check "prog run: bpftool's line" sh -c "[ $rc = 0 ] && grep -qE '^Return value: 101, duration: [0-9]+ns$' '$tmp/out'"
run "$ub" prog run pinned $B/raw data_in "$tmp/d4" repeat 5 data_out "$tmp/dout"
# the data persists across repeats, as in the kernel's test run: 'U' + 4
check "prog run repeat: average" grep -qE '^Return value: 89, duration \(average\): [0-9]+ns$' "$tmp/out"
check "prog run data_out file" sh -c "[ \"\$(cat '$tmp/dout')\" = Ubcd ]"
run "$ub" prog run pinned $B/raw data_in "$tmp/d4" data_out -
check "prog run data_out -: bpftool's hex dump first" sh -c "head -1 '$tmp/out' | grep -qx '0000000	5562 6364                               | Ubcd' && tail -1 '$tmp/out' | grep -qE '^Return value: 101, duration: [0-9]+ns$'"
run "$ub" -j prog run pinned $B/raw data_in "$tmp/d4" data_out -
check "prog run -j: data_out, retval, duration" grep -qE '^\{"data_out":\[85,98,99,100\],"retval":101,"duration":[0-9]+\}$' "$tmp/out"
check "prog run -j parses" json_ok "$tmp/out"
run "$ub" -p prog run pinned $B/raw data_in "$tmp/d4"
check "prog run -p: bpftool's layout" sh -c "[ \$(wc -l <'$tmp/out') = 4 ] && sed -n 2p '$tmp/out' | grep -qx '    \"retval\": 101,'"
run "$ub" prog show pinned $B/raw
check "prog show: run_time_ns and run_cnt after 9 runs" grep -qE '^[0-9]+: unspec  name [^ ]+  tag [0-9a-f]{16} run_time_ns [0-9]+ run_cnt 9$' "$tmp/out"
# ctx_in: r1 = the context; r0 = *(u32 *)(r1 + 0); *(u32 *)(r1 + 4) = r0; exit
printf '\141\020\000\000\000\000\000\000\143\001\004\000\000\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/ctx.bin"
printf '\007\000\000\000\000\000\000\000' >"$tmp/ctx"
run "$ub" prog load "$tmp/ctx.bin" $B/ctx
run "$ub" prog run pinned $B/ctx data_in "$tmp/d4" ctx_in "$tmp/ctx" ctx_out "$tmp/ctxo"
check "prog run ctx_in/ctx_out" sh -c "grep -qE '^Return value: 7, duration: [0-9]+ns$' '$tmp/out' && [ \"\$(od -An -tu4 '$tmp/ctxo' | tr -s ' ')\" = ' 7 7' ]"
run "$ub" prog show pinned $B/ctx
check "prog show: no type given is unspec, no gpl; a raw file's name" grep -qE '^[0-9]+: unspec  name ctx  tag [0-9a-f]{16} run_time_ns [0-9]+ run_cnt 1$' "$tmp/out"

run "$ub" prog dump xlated pinned $B/raw
check "prog dump xlated: bpftool's dialect" same "$tmp/out" "   0: (71) r0 = *(u8 *)(r1 +0)
   1: (0f) r0 += r2
   2: (72) *(u8 *)(r1 +0) = 85
   3: (95) exit"
run "$ub" prog dump xlated pinned $B/raw opcodes
check "prog dump xlated opcodes" sh -c "sed -n 2p '$tmp/out' | grep -qx '       71 10 00 00 00 00 00 00'"
run "$ub" -j prog dump xlated pinned $B/raw
check "prog dump xlated -j" same "$tmp/out" '[{"disasm":"(71) r0 = *(u8 *)(r1 +0)"},{"disasm":"(0f) r0 += r2"},{"disasm":"(72) *(u8 *)(r1 +0) = 85"},{"disasm":"(95) exit"}]'
run "$ub" prog dump xlated pinned $B/raw file "$tmp/x.bin"
check "prog dump xlated file: the instructions" cmp -s "$tmp/x.bin" "$tmp/raw.bin"
run "$ub" prog dump jited pinned $B/raw
if grep -q "no JIT" "$tmp/err"; then
	echo "skip bpftool prog dump jited: no JIT on this machine"
else
	check "prog dump jited: name then offsets and bytes" sh -c "[ $rc = 0 ] && grep -qE '^   0:	([0-9a-f]{2} ){15}[0-9a-f]{2}$' '$tmp/out'"
	run "$ub" prog dump jited pinned $B/raw file "$tmp/j.bin"
	check "prog dump jited file: the code" sh -c "[ $rc = 0 ] && [ -s '$tmp/j.bin' ]"
	run "$ub" -j prog dump jited pinned $B/raw
	check "prog dump jited -j parses" json_ok "$tmp/out"
fi
run "$ub" prog pin pinned $B/raw $B/raw2
check "prog pin" sh -c "[ $rc = 0 ]"
run "$ub" -j prog show pinned $B/raw2
check "prog show -j: bpftool's keys" grep -qE '^\{"id":[0-9]+,"type":"unspec","name":"raw","tag":"[0-9a-f]{16}","gpl_compatible":false,"run_time_ns":[0-9]+,"run_cnt":9,"loaded_at":[0-9]+,"uid":[0-9]+,"bytes_xlated":32,"jited":(true,"bytes_jited":[0-9]+|false),"bytes_memlock":[0-9]+,"pinned":\["/sys/fs/bpf/t/raw","/sys/fs/bpf/t/raw2"\]\}$' "$tmp/out"
check "prog show -j parses" json_ok "$tmp/out"
pid=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$tmp/out")
run "$ub" prog show id "$pid"
check "prog show id" grep -q "^$pid: unspec" "$tmp/out"
run "$ub" prog run id "$pid" data_in "$tmp/d4"
check "prog run id" grep -q '^Return value: 101' "$tmp/out"

if command -v clang >/dev/null 2>&1; then
	cat >"$tmp/two.c" <<'EOF'
#define SEC(n) __attribute__((section(n), used))
struct __sk_buff { unsigned int len; };
struct xdp_md { unsigned int data, data_end; };
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
/* a socket filter: LD_ABS offsets start at the network header */
SEC("socket") int first(struct __sk_buff *skb)
{
	return skb->len > 3 ? load_byte(skb, 0) + load_byte(skb, 3) : 1;
}
SEC("xdp") int second(struct xdp_md *ctx)
{
	unsigned char *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;

	if (d + 1 <= e)
		d[0] = 0x55;
	return 2;
}
char LICENSE[] SEC("license") = "GPL";
EOF
	# an Ethernet header, then "abcdef"
	printf '0123456789ABCDabcdef' >"$tmp/frame"
	clang -O2 -g -target bpf -c "$tmp/two.c" -o "$tmp/two.o"
	run "$ub" prog load "$tmp/two.o" $B/first
	check "prog load OBJ: the first program" sh -c "[ $rc = 0 ]"
	run "$ub" prog show pinned $B/first
	check "prog show: type from SEC, name, gpl" grep -qE '^[0-9]+: socket_filter  name first  tag [0-9a-f]{16}  gpl$' "$tmp/out"
	run "$ub" prog run pinned $B/first data_in "$tmp/frame"
	check "prog run: verified, right value" grep -qE '^Return value: 197, duration: [0-9]+ns$' "$tmp/out"
	run "$ub" prog loadall "$tmp/two.o" $B/all
	check "prog loadall: DIR/NAME for each" sh -c "[ $rc = 0 ] && [ -f '$USERBPF_ROOT/t/all/first' ] && [ -f '$USERBPF_ROOT/t/all/second' ]"
	run "$ub" prog show pinned $B/all/second
	check "prog loadall: xdp type" grep -qE '^[0-9]+: xdp  name second  tag [0-9a-f]{16}  gpl$' "$tmp/out"
	run "$ub" prog load "$tmp/two.o" $B/first
	check "prog load over an existing pin" one_error 255 "failed to pin program socket_filter: File exists"
	run "$ub" prog load "$tmp/two.o" $B/p9 type foo
	check "prog load: bad type" one_error 255 "unknown program type 'foo'"
	run "$ub" prog load "$tmp/two.o" $B/p9 pinmaps $B/maps
	check "prog load pinmaps with a map-less object" sh -c "[ $rc = 0 ]"
	run "$ub" prog show
	check "prog show: every program once" sh -c "[ \$(grep -cE '^[0-9]+: ' '$tmp/out') = 7 ]"
	run "$ub" -j prog list
	check "prog list -j parses" json_ok "$tmp/out"
else
	echo "skip bpftool prog load OBJ: clang is not installed"
fi

run "$ub" prog load "$tmp/missing.o" $B/m
check "prog load: missing file" one_error 255 "failed to open object file $tmp/missing.o: No such file or directory"
run "$ub" prog load "$tmp/raw.bin"
check "prog load: too few arguments" one_error 255 "'load' needs at least 2 arguments, 1 found"
run "$ub" prog run pinned $B/none data_in "$tmp/d4"
check "prog run: missing pinned path" one_error 255 "bpf obj get (/sys/fs/bpf/t/none): No such file or directory"
run "$ub" prog run pinned $B/arr data_in "$tmp/d4"
check "prog run: a map is not a program" one_error 255 "incorrect object type: map"
run "$ub" map dump pinned $B/raw
check "map dump: a program is not a map" one_error 255 "incorrect object type: prog"
run "$ub" prog run pinned $B/raw data_in "$tmp/nonexist"
check "prog run: missing data_in" one_error 255 "failed to open $tmp/nonexist: No such file or directory"
run "$ub" -j prog run pinned $B/raw data_in "$tmp/nonexist"
check "prog run -j: missing data_in as a JSON error" sh -c "[ $rc = 255 ] && grep -q '^{\"error\":\"failed to open ' '$tmp/out'"
run "$ub" prog run pinned $B/raw data_in "$tmp/d4" repeat abc
check "prog run: bad repeat" one_error 255 "can't parse abc as repeat number"
run "$ub" prog run pinned $B/raw
check "prog run: too few arguments" one_error 255 "'run' needs at least 4 arguments, 2 found"
run "$ub" prog run pinned $B/raw data_in "$tmp/d4" frob 1
check "prog run: unknown word" one_error 255 "got: 'frob'?"
run "$ub" prog dump foo pinned $B/raw
check "prog dump: neither xlated nor jited" one_error 255 "expected 'xlated' or 'jited', got: foo"
run "$ub" prog frob
check "unknown prog verb" one_error 255 "unknown prog command 'frob'"
run "$ub" -j prog show pinned $B/none
check "prog show -j error parses" sh -c "[ $rc = 255 ] && grep -q '^{\"error\":' '$tmp/out'"
printf 'UBPFPRG1 garbage' >"$USERBPF_ROOT/t/badprog"
run "$ub" prog show pinned $B/badprog
check "prog show: a corrupt pin, one line" one_error 255 "not a userbpf program pin"

# prog_array values name programs by their store id (tests/cli/xproc.sh
# runs them from another process)
le32() { printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
run "$ub" map update pinned $B/pa key 0 0 0 0 value pinned $B/raw
check "prog_array value pinned: exit 0, silent" sh -c "[ $rc = 0 ] && [ ! -s '$tmp/out' ] && [ ! -s '$tmp/err' ]"
run "$ub" map lookup pinned $B/pa key 0 0 0 0
check "prog_array lookup: the program's id" same "$tmp/out" "key: 00 00 00 00  value: $(le32 "$pid")"
run "$ub" map update pinned $B/pa key 2 0 0 0 value id "$pid"
check "prog_array value by id" sh -c "[ $rc = 0 ]"
run "$ub" map dump pinned $B/pa
check "prog_array dump: both slots" same "$tmp/out" "key: 00 00 00 00  value: $(le32 "$pid")
key: 02 00 00 00  value: $(le32 "$pid")
Found 2 elements"

# the old verbs still answer
run "$ub" test-run "$tmp/raw.bin" data_in "$tmp/d4"
check "test-run still works" grep -q '^Return value: 101' "$tmp/out"
exit 0
