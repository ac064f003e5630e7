#!/bin/sh
# SPDX-License-Identifier: MIT
#
# cross.sh - builds userbpf for arm64 Linux and for 64-bit Windows and runs
# the bpf_conformance suite against those plugins through qemu-user and
# wine, with the native runner of the plain build; on arm64 also a few of
# the test programs themselves (mk/cross.mk, CROSS_ARM64_TESTS).
#
# The interpreter is portable C, but nothing on an x86-64 Linux host proves
# that: a little-endian-only assumption, an LP64 `long`, a signed `char`, a
# text-mode fopen or a missing POSIX call only shows on another target; and
# the arm64 JIT and the Win64 calling convention of the x86-64 JIT run
# nowhere else here.  The checks are the ones the native conformance test
# makes (tests/conformance/conformance.c, pointed at another plugin by
# UB_PLUGIN and UB_PLUGIN_WRAP; both engines unless UB_CROSS_ENGINES says
# otherwise), plus a run of the CLI on a raw program holding the bytes
# 0a 0d 1a, which a text-mode read on Windows would change.
#
# tests/run.sh runs every tests/*/*.sh once per build folder; the cross
# builds do not depend on that folder, so this acts only for the plain
# `build` folder (whose native runner it uses) and prints skip lines for
# the others.  A missing toolchain or emulator is a skip naming the tool;
# scripts/deps.sh installs them when run as root.
#
# Output is folded to a few lines per platform: the runner's hundreds of
# per-file lines become one count, and each failing file keeps its own
# "not ok" line.
set -u
root=${UB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${UB_SHARED:-$root/../shared}
ub_build=${UB_BUILD:-build}

if ! [ -d "$ub_build" ] || ! [ -d "$root/build" ] ||
	[ "$(cd "$ub_build" && pwd -P)" != "$(cd "$root/build" && pwd -P)" ]; then
	echo "skip cross-arm64: runs once, with the plain build folder (this is $ub_build)"
	echo "skip cross-win64: runs once, with the plain build folder (this is $ub_build)"
	exit 0
fi
runner=$ub_build/tests/conformance_conformance
tdir=$shared/conformance/tests
ntests=$(find "$tdir" -maxdepth 1 -name '?*.data' 2>/dev/null | wc -l)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ran="" skipped="" fails=0

nok() { echo "not ok $*"; fails=$((fails + 1)); }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# mov r0, 0x001a0d0a; exit -- the immediate holds LF, CR and ^Z.
printf '\267\000\000\000\012\015\032\000\225\000\000\000\000\000\000\000' >"$tmp/prog.bin"
cli_expect="Return value: 1707274"

# Builds one target with mk/cross.mk; prints ok/not ok.  Returns 0 if built.
cross_build() { # platform
	start=$(now)
	if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" -j2 "cross-$1" \
		>"$tmp/build-$1.log" 2>&1; then
		echo "ok cross-$1 build ($(since "$start")s)"
		return 0
	fi
	nok "cross-$1 build: make cross-$1 failed ($(since "$start")s)"
	grep -E 'error:|Error [0-9]' "$tmp/build-$1.log" | head -15 | sed 's/^/# /'
	return 1
}

# Is the file's header that of the platform (so a host binary cannot pass)?
cross_is_target() { # platform file
	case $1 in
	arm64) # ELF, 64-bit, little-endian; e_machine (bytes 18-19) 183, AArch64
		h=$(od -An -tx1 -N20 "$2" | tr -d ' \n')
		[ "$(echo "$h" | cut -c1-12)" = 7f454c460201 ] &&
			[ "$(echo "$h" | cut -c37-40)" = b700 ] ;;
	win64) [ "$(od -An -c -N2 "$2" | tr -d ' \n')" = "MZ" ] ;;
	esac
}

# Runs the platform's CROSS_<P>_TESTS programs (mk/cross.mk) through the
# emulator `wrap`, one line each; ext is the programs' suffix (.exe).
cross_tests() { # platform wrap ext
	for t in $(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$root" "cross-$1-tests-list"); do
		start=$(now)
		if ! cross_is_target "$1" "$root/build/$1/tests/$t$3"; then
			nok "cross-$1 test $t: build/$1/tests/$t$3 is not a $1 program"
			continue
		fi
		UB_BUILD=$root/build/$1 UB_SHARED=$shared UB_ROOT=$root \
			timeout 600 "$2" "$root/build/$1/tests/$t$3" >"$tmp/t.log" 2>&1
		rc=$?
		n_ok=$(grep -c '^ok ' "$tmp/t.log")
		n_bad=$(grep -c '^not ok ' "$tmp/t.log")
		n_skip=$(grep -c '^skip ' "$tmp/t.log")
		if [ "$rc" -eq 0 ] && [ "$n_bad" -eq 0 ] && [ "$n_ok" -gt 0 ]; then
			echo "ok cross-$1 test $t: $n_ok ok, $n_skip skipped ($(since "$start")s)"
		else
			nok "cross-$1 test $t: exit status $rc, $n_ok ok, $n_bad failed"
			grep '^not ok ' "$tmp/t.log" | head -20 | sed 's/^/# /'
			[ "$n_bad" -gt 0 ] || tail -5 "$tmp/t.log" | sed 's/^/# /'
		fi
	done
}

# Runs the conformance runner and the CLI through the emulator `wrap`.
cross_run() { # platform wrap plugin cli
	p=$1 wrap=$2 plugin=$3 cli=$4
	if ! cross_is_target "$p" "$plugin"; then
		nok "cross-$p plugin: $plugin is not a $p binary"
		return
	fi
	# The first start of an emulator (wine's prefix, above all) may be slow;
	# doing it here keeps it out of the runner's per-test deadline.
	start=$(now)
	printf 'b7 00 00 00 07 00 00 00 95 00 00 00 00 00 00 00\n' |
		timeout 300 "$wrap" "$plugin" --engine interpreter >"$tmp/warm.out" 2>"$tmp/warm.err"
	if [ "$(tr -d '\r\n' <"$tmp/warm.out")" = 7 ]; then
		echo "ok cross-$p plugin starts under $wrap ($(since "$start")s)"
	else
		nok "cross-$p plugin starts under $wrap: printed '$(head -c 200 "$tmp/warm.out")'"
		head -5 "$tmp/warm.err" | sed 's/^/# /'
		return
	fi

	start=$(now)
	UB_PLUGIN=$plugin UB_PLUGIN_WRAP=$wrap UB_ENGINES=${UB_CROSS_ENGINES:-} \
		UB_SHARED=$shared UB_BUILD=$ub_build "$runner" >"$tmp/run-$p.log" 2>&1
	rc=$?
	secs=$(since "$start")
	if ! grep -qxF "# plugin: $wrap $plugin" "$tmp/run-$p.log"; then
		nok "cross-$p runner: it did not say it ran '$wrap $plugin' (built before UB_PLUGIN_WRAP support?)"
		return
	fi
	for e in interpreter jit; do
		pos=$(grep -c "^ok conformance/[^/ ]*\.data \[$e\]\$" "$tmp/run-$p.log")
		why=$(grep "^skip conformance/\* \[$e\]: " "$tmp/run-$p.log" | head -1 | cut -d' ' -f4-)
		if [ -n "$why" ]; then
			echo "skip cross-$p conformance [$e]: $why"
		elif [ "$pos" -eq "$ntests" ] && [ "$ntests" -gt 0 ]; then
			echo "ok cross-$p conformance $pos/$ntests [$e]"
		else
			nok "cross-$p conformance $pos/$ntests [$e]"
		fi
	done
	other=$(grep '^ok ' "$tmp/run-$p.log" | grep -vc '\.data \[[a-z]*\]$')
	bad=$(grep -c '^not ok ' "$tmp/run-$p.log")
	grep '^not ok ' "$tmp/run-$p.log" | head -40 | sed "s/^not ok /not ok cross-$p /"
	fails=$((fails + bad))
	if [ "$bad" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$other" -gt 0 ]; then
		echo "ok cross-$p negative and asm-vs-raw checks $other/$other"
	elif [ "$bad" -eq 0 ]; then
		nok "cross-$p runner: exit status $rc, $other other checks passed"
		tail -5 "$tmp/run-$p.log" | sed 's/^/# /'
	fi
	echo "# cross-$p: conformance runner took ${secs}s"

	# The CLI on a raw file, with the interpreter and with the default
	# engine (the JIT where there is one).
	for e in interpreter default; do
		set -- test-run "$tmp/prog.bin"
		[ "$e" = default ] || set -- --engine "$e" "$@"
		timeout 120 "$wrap" "$cli" "$@" >"$tmp/cli.out" 2>&1
		if grep -q "^$cli_expect," "$tmp/cli.out"; then
			echo "ok cross-$p CLI test-run of a raw program [$e engine]"
		else
			nok "cross-$p CLI test-run [$e engine]: expected '$cli_expect', got '$(head -c 200 "$tmp/cli.out")'"
		fi
	done
	ran="$ran $p"
}

if ! [ -x "$runner" ]; then
	nok "cross: $runner is missing (make BUILD=$ub_build all first)"
	exit 1
fi

# arm64 Linux under qemu-user: static binaries, so no sysroot (-L) needed.
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static)
if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
	echo "skip cross-arm64: aarch64-linux-gnu-gcc not installed (package gcc-aarch64-linux-gnu)"
	skipped="$skipped arm64"
elif [ -z "$qemu" ]; then
	echo "skip cross-arm64: qemu-aarch64 not installed (package qemu-user)"
	skipped="$skipped arm64"
elif cross_build arm64; then
	cross_run arm64 "$qemu" "$root/build/arm64/bpf_conformance_plugin" "$root/build/arm64/userbpf"
	# A few of the test programs themselves, built for arm64 (where char
	# is unsigned and the JIT is the AArch64 one), one line each.
	cross_build arm64-tests && cross_tests arm64 "$qemu" ""
fi

# Windows under wine, with one prefix kept in build/ (creating it takes
# seconds and hundreds of MB; reusing it makes later runs start at once).
wine=$(command -v wine64 || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } ||
	command -v wine)
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
	echo "skip cross-win64: x86_64-w64-mingw32-gcc not installed (package gcc-mingw-w64-x86-64)"
	skipped="$skipped win64"
elif [ -z "$wine" ]; then
	echo "skip cross-win64: wine64 not installed (package wine64)"
	skipped="$skipped win64"
elif cross_build win64; then
	# mscoree and mshtml off: no offer to install Mono or Gecko.
	export WINEPREFIX="$root/build/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
	# By default the server quits as soon as no program is left, and each
	# start of it runs `wineboot --init`, which takes from a tenth of a
	# second to over a minute on a loaded machine: one server that outlives
	# each plugin run by 30 s serves the whole suite and then leaves alone.
	wineserver=$(command -v wineserver || echo "$(dirname "$wine")/wineserver")
	"$wineserver" -p30 2>/dev/null
	cross_run win64 "$wine" "$root/build/win64/bpf_conformance_plugin.exe" \
		"$root/build/win64/userbpf.exe"
	# Test programs built for Windows: the interpreter, and the JIT's
	# Win64 code and its page protections.
	cross_build win64-tests && cross_tests win64 "$wine" .exe
fi

echo "# cross: ran:${ran:- none}; skipped:${skipped:- none}"
[ "$fails" -eq 0 ]
