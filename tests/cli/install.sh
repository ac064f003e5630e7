#!/bin/sh
# install.sh - `make install PREFIX=...` puts the library, both header
# sets, userbpf.pc and the CLI in place, and a libbpf user program builds
# unchanged with `cc prog.c $(pkg-config --cflags --libs userbpf)` and
# runs against the installed shared library.
set -u
B=${UB_BUILD:?} R=${UB_ROOT:?}
case "$B" in
*asan*|*tsan*) echo "skip install: the sanitizer build's library needs its runtime; the plain build checks install"; exit 0 ;;
esac
command -v pkg-config >/dev/null 2>&1 || { echo "skip install: pkg-config is not installed"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # name cmd...
	n=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok install $n"; else echo "not ok install $n"; fi
}
make -s -C "$R" BUILD="$B" install PREFIX="$tmp/prefix" >"$tmp/make.log" 2>&1
check "make install succeeds" test $? = 0
for f in lib/libuserbpf.a lib/libuserbpf.so lib/pkgconfig/userbpf.pc bin/userbpf \
	include/userbpf/userbpf.h include/bpf/libbpf.h include/bpf/bpf.h include/bpf/bpf_helpers.h \
	include/bpf/bpf_helper_defs.h; do
	check "installs $f" test -f "$tmp/prefix/$f"
done
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
check "pkg-config knows userbpf" pkg-config --exists userbpf
# shellcheck disable=SC2046 # pkg-config's words are meant to split
cc -o "$tmp/hello_user" "$R/examples/hello/hello_user.c" $(pkg-config --cflags --libs userbpf) \
	>"$tmp/cc.log" 2>&1
check "a libbpf user program builds with pkg-config's flags" test $? = 0
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/hello_user" "$tmp/missing.o" >"$tmp/out" 2>&1
check "it runs against the installed library (and reports the missing object)" \
	grep -q "opening $tmp/missing.o failed" "$tmp/out"
check "the installed CLI runs" "$tmp/prefix/bin/userbpf" version
