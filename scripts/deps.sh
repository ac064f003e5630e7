#!/bin/sh
# deps.sh - installs the Debian packages the build and tests need, when they
# are missing and we are root.  Called by `make check`, `make demo`, etc.
# Without root it only says what is missing; tests that need a missing tool
# skip and say so.
set -u
pkgs="clang llvm libclang-rt-14-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || true
	apt-get install -y -qq $missing >/dev/null || { echo "deps: apt-get install$missing failed" >&2; exit 1; }
else
	echo "deps: missing$missing (run as root to install them)"
fi
