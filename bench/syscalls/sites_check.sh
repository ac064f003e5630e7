#!/bin/sh
# sites_check.sh BUILD [LIB...] - checks the agent's byte scan of syscall
# sites (src/hooks/sites.c) against objdump's disassembly of shared
# libraries (default: this system's libc, ld.so, libm, libstdc++): every
# site the scan would rewrite must be, per objdump, a `mov $NR,%eax`
# followed by instructions that neither write eax nor address relative to
# rip (but lea), then `syscall`.  Prints counts per kind and any disagreement.
set -u
build=${1:-build}
shift 2>/dev/null
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/scan.c" <<'EOC'
#include <stdio.h>
#include <stdlib.h>
#include "hooks/hooks.h"
/* scan FILE OFF VADDR SIZE: "kind mov sys nr" per syscall */
int main(int argc, char **argv)
{
	static struct ub_site s[1 << 16];
	FILE *f = argc == 5 ? fopen(argv[1], "rb") : NULL;
	long off = f ? strtol(argv[2], 0, 0) : 0, va = f ? strtol(argv[3], 0, 0) : 0;
	size_t sz = f ? strtoul(argv[4], 0, 0) : 0, n;
	unsigned char *b = malloc(sz + 1);

	if (!f || !b || fseek(f, off, SEEK_SET) || fread(b, 1, sz, f) != sz)
		return 1;
	n = ub_sites_scan(b, sz, (uint64_t)va, s, 1 << 16);
	for (size_t i = 0; i < n && i < (1 << 16); i++)
		printf("%d %lx %lx %d\n", (int)s[i].kind, (unsigned long)s[i].mov,
		       (unsigned long)s[i].sys, s[i].nr);
	return 0;
}
EOC
cc -O2 -I"$root/src" -I"$root/include" "$tmp/scan.c" "$build/libuserbpf.a" -o "$tmp/scan" || exit 1
libs="$*"
[ -n "$libs" ] || libs=$(ldd /bin/ls /usr/bin/c++filt 2>/dev/null | awk '$3 ~ /^\// {print $3} $1 ~ /^\/.*[^:]$/ {print $1}' | sort -u)
bad=0
for lib in $libs; do
	readelf -lW "$lib" | awk '$1 == "LOAD" && $(NF-1) ~ /E/ {print $2, $3, $5}' | while read -r off va sz; do
		"$tmp/scan" "$lib" "$off" "$va" "$sz"
	done >"$tmp/sites"
	objdump -d --no-show-raw-insn "$lib" | awk -F'\t' '/^ *[0-9a-f]+:\t/ {a=$1; sub(/^ */,"",a); sub(/:$/,"",a); print a "\t" $2}' >"$tmp/insns"
	python3 - "$tmp/sites" "$tmp/insns" "$lib" <<'EOP' || bad=1
import re, sys
sites = [l.split() for l in open(sys.argv[1])]
ins = {}
order = []
for l in open(sys.argv[2]):
    a, t = l.rstrip('\n').split('\t', 1)
    a = int(a, 16); ins[a] = t.strip(); order.append(a)
idx = {a: i for i, a in enumerate(order)}
kinds = [0, 0, 0]; wrong = []
for k, mov, sysa, nr in sites:
    k = int(k); kinds[k] += 1
    if k != 0:
        continue
    mov, sysa = int(mov, 16), int(sysa, 16)
    t = ins.get(mov, '')
    if mov not in idx or sysa not in idx or not re.match(r'mov\s+\$0x[0-9a-f]+,%eax$', t) or ins[sysa] != 'syscall':
        wrong.append((hex(mov), t)); continue
    for a in order[idx[mov] + 1: idx[sysa]]:
        t = ins[a]
        if ('rip' in t and not t.startswith('lea')) or re.search(r',%(e|r)?a[xlh]$', t) or t.startswith(('j', 'call', 'ret')):
            wrong.append((hex(a), t))
print("%s: rewrite %d guessed %d unknown %d, wrong %d" % (sys.argv[3], kinds[0], kinds[1], kinds[2], len(wrong)))
for w in wrong[:10]:
    print("  not a site:", *w)
sys.exit(1 if wrong else 0)
EOP
done
exit $bad
