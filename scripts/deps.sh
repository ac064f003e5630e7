#!/bin/sh
# deps.sh - installs the Debian packages the build and tests need, when they
# are missing and we are root.  Called by `make check`, `make demo`, etc.
# Without root it only says what is missing; tests that need a missing tool
# skip and say so.
#
# The cross packages (tests/cross/cross.sh: arm64 under qemu-user, Windows
# under wine) go in without their Recommends, which would pull in i386
# wine32 (needing `dpkg --add-architecture i386`) and desktop packages;
# the one Recommends they do need, the arm64 libc headers, is named.
# wine64 alone puts its loader at /usr/lib/wine/wine64, where cross.sh
# looks for it.
#
# clang-19 (and llvm-19, for llvm-objdump-19) is there for -mcpu=v4:
# Debian 12's clang is 14, which knows v1..v3 only.  The tests that build
# v4 objects (tests/object, tests/kcompare) use `clang` when it knows v4,
# else clang-19, else skip saying so; like the cross packages it is
# optional, so a distribution without it still gets the rest.
set -u
pkgs="clang llvm libclang-rt-14-dev libbpf-dev bpftool"
cross_pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user gcc-mingw-w64-x86-64 wine64"
v4_pkgs="clang-19 llvm-19"

deps_missing() { # packages...
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || printf ' %s' "$p"
	done
}

# shellcheck disable=SC2086 # the lists are meant to split
missing=$(deps_missing $pkgs)
# shellcheck disable=SC2086
cross_missing=$(deps_missing $cross_pkgs)
# shellcheck disable=SC2086
v4_missing=$(deps_missing $v4_pkgs)
[ -z "$missing$cross_missing$v4_missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing$cross_missing$v4_missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || true
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086
		apt-get install -y -qq $missing >/dev/null ||
			{ echo "deps: apt-get install$missing failed" >&2; exit 1; }
	fi
	if [ -n "$cross_missing" ]; then
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $cross_missing >/dev/null ||
			echo "deps: apt-get install$cross_missing failed; the cross tests will skip" >&2
	fi
	if [ -n "$v4_missing" ]; then
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $v4_missing >/dev/null ||
			echo "deps: apt-get install$v4_missing failed; the -mcpu=v4 tests will skip" >&2
	fi
else
	echo "deps: missing$missing$cross_missing$v4_missing (run as root to install them)"
fi
