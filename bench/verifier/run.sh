#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - builds and runs the verifier speed benchmark:
# `sh bench/verifier/run.sh [BUILD] [-n RUNS]`.  BUILD holds libuserbpf.a
# (make BUILD=... lib); the binary goes to BUILD/bench/vfy_bench.
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
CC=${CC:-cc}
[ -f "$BUILD/libuserbpf.a" ] || { echo "verifier bench: $BUILD/libuserbpf.a is missing: run 'make BUILD=$BUILD lib' first" >&2; exit 1; }
mkdir -p "$BUILD/bench"
"$CC" -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Werror -Iinclude -Isrc \
	"$(dirname "$0")/vfy_bench.c" "$BUILD/libuserbpf.a" -lpthread -o "$BUILD/bench/vfy_bench"
exec "$BUILD/bench/vfy_bench" "$@"
