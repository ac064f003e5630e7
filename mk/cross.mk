# SPDX-License-Identifier: MIT
#
# cross.mk - cross builds of the library (.a), CLI and conformance plugin,
# included at the end of the Makefile so that they reuse its rules:
#
#   make cross-arm64   build/arm64: aarch64-linux-gnu-gcc, static, runs
#                      under qemu-aarch64 with no sysroot
#   make cross-win64   build/win64: x86_64-w64-mingw32-gcc, static (no
#                      libgcc or winpthread DLLs), .exe, runs under wine64
#   make cross         both
#   make cross-arm64-tests   also the CROSS_ARM64_TESTS programs for arm64
#   make cross-win64-tests   also the CROSS_WIN64_TESTS programs (.exe)
#
# They exist to keep the library portable; tests/cross/cross.sh, run by
# `make check`, builds them and runs the conformance suite through the
# emulators when the tools are installed (scripts/deps.sh installs them).
# The shared library is left out: the tests link the .a, and a .so/.dll
# would only add a link-flag matrix.  SAN is cleared (no cross sanitizer
# runtimes) and CFLAGS/LDFLAGS are set here, overriding the caller's.

CROSS_ARM64_CC ?= aarch64-linux-gnu-gcc
CROSS_WIN64_CC ?= x86_64-w64-mingw32-gcc

# mingw's printf family follows msvcrt (no %zu, %lld) unless
# __USE_MINGW_ANSI_STDIO selects its own C99 implementation, which the
# library's and CLI's format strings assume.
CROSS_WIN64_CFLAGS := -D__USE_MINGW_ANSI_STDIO=1

# Test programs that also run on arm64 under qemu (make cross-arm64-tests):
# the ones that check the interpreter, the ISA, the verifier, the loader
# and the arm64 JIT itself, and need no host tool.  The conformance ones
# are run by tests/cross/cross.sh instead, through the plugin.
CROSS_ARM64_TESTS ?= unit_interp unit_isa jit_arm64_run jit_arm64_blind object_object verifier_verifier jit_wx

.PHONY: cross cross-arm64 cross-win64 cross-arm64-tests cross-arm64-tests-list \
	cross-win64-tests cross-win64-tests-list
cross: cross-arm64 cross-win64

cross-arm64:
	$(MAKE) BUILD=build/arm64 CC=$(CROSS_ARM64_CC) SAN= CFLAGS= LDFLAGS=-static \
		$(addprefix build/arm64/,libuserbpf.a userbpf bpf_conformance_plugin)

cross-arm64-tests: cross-arm64
	$(MAKE) BUILD=build/arm64 CC=$(CROSS_ARM64_CC) SAN= CFLAGS= LDFLAGS=-static \
		$(addprefix build/arm64/tests/,$(CROSS_ARM64_TESTS))

cross-arm64-tests-list:
	@echo $(CROSS_ARM64_TESTS)

# Test programs that also run on Windows under wine (make cross-win64-tests):
# the interpreter, the ISA table, and the JIT's Win64 code and W^X pages.
CROSS_WIN64_TESTS ?= unit_isa unit_interp jit_wx

cross-win64-tests: cross-win64
	$(MAKE) BUILD=build/win64 CC=$(CROSS_WIN64_CC) SAN= CFLAGS="$(CROSS_WIN64_CFLAGS)" \
		LDFLAGS=-static $(addprefix build/win64/tests/,$(CROSS_WIN64_TESTS))

cross-win64-tests-list:
	@echo $(CROSS_WIN64_TESTS)

cross-win64:
	$(MAKE) BUILD=build/win64 CC=$(CROSS_WIN64_CC) SAN= CFLAGS="$(CROSS_WIN64_CFLAGS)" \
		LDFLAGS=-static \
		$(addprefix build/win64/,libuserbpf.a userbpf.exe bpf_conformance_plugin.exe)

# mingw's linker names its output X.exe when asked for X, so a rule for X
# would relink every time; Windows programs get rules of their own.
$(BUILD)/userbpf.exe: $(CLI_OBJS) $(BUILD)/libuserbpf.a
	$(CC) -o $@ $(CLI_OBJS) $(BUILD)/libuserbpf.a $(LDLIBS_ALL)

$(BUILD)/bpf_conformance_plugin.exe: $(PLUGIN_OBJS) $(BUILD)/libuserbpf.a
	$(CC) -o $@ $(PLUGIN_OBJS) $(BUILD)/libuserbpf.a $(LDLIBS_ALL)
