#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_syscalls.py - writes src/hooks/syscall_table.c, the syscall table of
userbpf's syscall tracepoints, for x86-64 and arm64.

For every syscall: its number on x86-64 and on arm64 (-1 where the arch has
none), its name, and the fields of its sys_enter_NAME tracepoint context as
Linux's tracefs format files give them (every argument is an 8-byte field
at 16 + 8*i after the common header and `int __syscall_nr` at 8).

Inputs (run on a Linux machine, as root when tracefs must be mounted):
  - the tracefs format files: /sys/kernel/tracing/events/syscalls/*/format
    (or --tracefs DIR);
  - x86-64 numbers: the C preprocessor's view of <asm/unistd_64.h>;
  - arm64 numbers: aarch64-linux-gnu-gcc's view of <asm/unistd.h> (the
    asm-generic table; package libc6-dev-arm64-cross);
  - NEWER below: syscalls the installed headers may predate (all arches share
    numbers from 424 on, so one number serves both).

Usage: tools/gen/gen_syscalls.py [--tracefs DIR] [-o src/hooks/syscall_table.c]
The output is committed, so builds never need tracefs.
"""
import argparse
import os
import re
import subprocess
import sys

# Numbers of syscalls newer than bookworm's kernel headers (Linux 6.1).
# From 424 on every architecture uses the same number.
NEWER = {
    "cachestat": 451, "fchmodat2": 452, "map_shadow_stack": 453,
    "futex_wake": 454, "futex_wait": 455, "futex_requeue": 456,
    "statmount": 457, "listmount": 458, "lsm_get_self_attr": 459,
    "lsm_set_self_attr": 460, "lsm_list_modules": 461, "mseal": 462,
    "setxattrat": 463, "getxattrat": 464, "listxattrat": 465,
    "removexattrat": 466, "open_tree_attr": 467, "file_getattr": 468,
    "file_setattr": 469,
}
# x86-64 only, newer than the headers.
NEWER_X86 = {"uretprobe": 335, "uprobe": 336}

# Tracepoint name (SYSCALL_DEFINE name) -> the __NR_ name, where they differ.
TP_ALIAS = {
    "newfstat": "fstat", "newlstat": "lstat", "newstat": "stat",
    "newuname": "uname", "sendfile64": "sendfile", "umount": "umount2",
}


def cpp_numbers(cc, header):
    """Every __NR_name of header through cc -dM -E, resolved to numbers."""
    out = subprocess.run([cc, "-dM", "-E", "-"], input="#include <%s>\n" % header,
                         capture_output=True, text=True, check=True).stdout
    defs = {}
    for line in out.splitlines():
        m = re.match(r"#define (__NR\w*) (.+)$", line)
        if m:
            defs[m.group(1)] = m.group(2).strip()

    def value(sym, depth=0):
        v = defs.get(sym)
        if v is None or depth > 8:
            return None
        v = v.strip("() ")
        if re.fullmatch(r"\d+", v):
            return int(v)
        m = re.fullmatch(r"(__NR\w+)\s*\+\s*(\d+)", v)
        if m:
            b = value(m.group(1), depth + 1)
            return None if b is None else b + int(m.group(2))
        if re.fullmatch(r"__NR\w+", v):
            return value(v, depth + 1)
        return None

    nums = {}
    for sym in defs:
        if not sym.startswith("__NR_") or sym in ("__NR_syscalls", "__NR_arch_specific_syscall"):
            continue
        n = value(sym)
        if n is not None and n < 1024:
            nums[sym[5:]] = n
    return nums


def read_format(path):
    """The argument fields (type, name) of a sys_enter format file."""
    fields = []
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);", line)
            if not m:
                continue
            decl, off, size = m.group(1).strip(), int(m.group(2)), int(m.group(3))
            if off < 16:
                continue
            if size != 8 or off != 16 + 8 * len(fields):
                sys.exit("%s: field '%s' at %d size %d breaks the 8-byte layout" %
                         (path, decl, off, size))
            nm = re.search(r"(\w+)$", decl).group(1)
            ty = decl[: decl.rfind(nm)].strip()
            fields.append((ty, nm))
    return fields


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracefs", default=None)
    ap.add_argument("-o", "--output", default="src/hooks/syscall_table.c")
    a = ap.parse_args()
    tdir = a.tracefs
    if not tdir:
        for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
            if os.path.isdir(os.path.join(d, "events/syscalls")):
                tdir = d
                break
    if not tdir:
        sys.exit("no tracefs with events/syscalls (mount -t tracefs nodev /sys/kernel/tracing)")
    sdir = os.path.join(tdir, "events/syscalls")

    x86 = cpp_numbers("gcc", "asm/unistd_64.h")
    arm = cpp_numbers("aarch64-linux-gnu-gcc", "asm/unistd.h")
    for k, v in NEWER.items():
        x86.setdefault(k, v)
        arm.setdefault(k, v)
    for k, v in NEWER_X86.items():
        x86.setdefault(k, v)

    tps = {}
    for ent in sorted(os.listdir(sdir)):
        if ent.startswith("sys_enter_"):
            tp = ent[len("sys_enter_"):]
            tps[TP_ALIAS.get(tp, tp)] = (tp, read_format(os.path.join(sdir, ent, "format")))

    names = sorted(set(x86) | set(arm))
    rows = []
    for n in names:
        tp, fields = tps.get(n, (None, None))
        rows.append((n, x86.get(n, -1), arm.get(n, -1), tp, fields))
    missing = sorted(set(t for t in tps) - set(names))

    out = []
    w = out.append
    w("/* SPDX-License-Identifier: MIT */")
    w("/*")
    w(" * syscall_table.c - every x86-64 and arm64 syscall: numbers, name and the")
    w(" * arguments of its sys_enter_NAME tracepoint, as Linux's tracefs format")
    w(" * files lay them out (8-byte fields from offset 16).")
    w(" *")
    w(" * GENERATED by tools/gen/gen_syscalls.py from the format files of Linux %s" %
      os.uname().release)
    w(" * and the unistd headers; do not edit.  Regenerate with")
    w(" *   python3 tools/gen/gen_syscalls.py")
    w(" */")
    w('#include "hooks/syscall_table.h"')
    w("")
    w("const struct ub_sys_desc ub_sys_table[] = {")
    for n, nx, na, tp, fields in rows:
        if fields is None:
            w('\t{ "%s", NULL, %d, %d, -1, { 0 }, { 0 } },' % (n, nx, na))
            continue
        args = ", ".join('"%s"' % f[1] for f in fields) or "0"
        types = ", ".join('"%s"' % f[0] for f in fields) or "0"
        w('\t{ "%s", "%s", %d, %d, %d, { %s }, { %s } },' %
          (n, tp, nx, na, len(fields), args, types))
    w("};")
    w("const unsigned ub_sys_table_cnt = sizeof(ub_sys_table) / sizeof(ub_sys_table[0]);")
    w("")
    with open(a.output, "w") as f:
        f.write("\n".join(out))
    print("%s: %d syscalls (%d with tracepoints); x86-64 %d, arm64 %d; tracepoints "
          "without a number: %s" % (a.output, len(rows), sum(1 for r in rows if r[4] is not None),
                                    len(x86), len(arm), ", ".join(missing) or "none"))


if __name__ == "__main__":
    main()
