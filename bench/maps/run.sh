#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh - builds and runs the map benchmark: `sh bench/maps/run.sh [BUILD] [REPS]`
# (REPS: test runs per side and row, best kept; default 25, about 30 s).
# BUILD holds libuserbpf.a (make BUILD=... lib); the binary goes to
# BUILD/bench/maps_bench.  Kernel columns need root (bpf()); they print
# "-" otherwise.
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
CC=${CC:-cc}
[ -f "$BUILD/libuserbpf.a" ] || { echo "maps bench: $BUILD/libuserbpf.a is missing: run 'make BUILD=$BUILD lib' first" >&2; exit 1; }
mkdir -p "$BUILD/bench"
"$CC" -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Werror -Iinclude -Isrc \
	"$(dirname "$0")/maps_bench.c" "$BUILD/libuserbpf.a" -lpthread -o "$BUILD/bench/maps_bench"
exec "$BUILD/bench/maps_bench" "$@"
