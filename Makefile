# Makefile - builds userbpf and runs its tests.
#
#   make              library (static and shared), CLI, conformance plugin, tests
#   make check        installs missing Debian packages (as root), builds a
#                     plain build (gcc) and an ASan+UBSan build (clang), runs
#                     every test in both, ends with "N passed, N failed"
#   make demo         the main job, on a fresh machine
#   make bench        benchmarks, printed as a table of ratios
#   make fuzz-diff N=100000   long differential run against the kernel
#
# Variables: BUILD (output folder), CC, SAN=1 (sanitizers), TSAN=1
# (ThreadSanitizer), OPT.

BUILD ?= build
CC ?= cc
OPT ?= -O2
SAN ?=

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Werror
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -fPIC \
	-fvisibility=hidden -Iinclude -Isrc
ifeq ($(SAN),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
LDSAN := -fsanitize=address,undefined
endif
ifeq ($(TSAN),1)
BASE_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDSAN := -fsanitize=thread
endif
CFLAGS_ALL := $(BASE_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(LDSAN) $(LDFLAGS) -lpthread

LIB_SRCS := $(sort $(wildcard src/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SRCS := $(sort $(wildcard tools/userbpf/*.c))
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
PLUGIN_SRCS := $(sort $(wildcard tools/conformance/*.c))
PLUGIN_OBJS := $(PLUGIN_SRCS:%.c=$(BUILD)/obj/%.o)
TESTLIB_SRCS := $(sort $(wildcard tests/lib/*.c))
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(BUILD)/obj/%.o)
# Every tests/<suite>/<name>.c is one test program: $(BUILD)/tests/<suite>_<name>
TEST_SRCS := $(sort $(filter-out tests/lib/%,$(wildcard tests/*/*.c)))
TEST_BINS := $(foreach s,$(TEST_SRCS),$(BUILD)/tests/$(subst /,_,$(patsubst tests/%.c,%,$(s))))

.PHONY: install all lib check check-plain check-asan check-tsan demo bench fuzz fuzz-diff clean deps
all: lib $(BUILD)/userbpf $(BUILD)/bpf_conformance_plugin $(TEST_BINS)
lib: $(BUILD)/libuserbpf.a $(BUILD)/libuserbpf.so

$(BUILD)/obj/tests/%.o: CFLAGS_ALL += -Itests/lib
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libuserbpf.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libuserbpf.so: $(LIB_OBJS) libuserbpf.map
	$(CC) -shared -Wl,--version-script=libuserbpf.map -o $@ $(LIB_OBJS) $(LDLIBS_ALL)

# The syscall-tracing agent that `userbpf exec` preloads (src/hooks/agent/
# plus the library).  Never built with sanitizers: an ASan runtime cannot
# be preloaded into ordinary programs.
AGENT_SRCS := $(sort $(wildcard src/hooks/agent/*.c))
AGENT_SO := $(BUILD)/libuserbpf-agent.so
all: $(AGENT_SO)
ifneq ($(SAN)$(TSAN),)
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/agent-obj/%.o) $(LIB_SRCS:%.c=$(BUILD)/agent-obj/%.o)
$(BUILD)/agent-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(CFLAGS_ALL)) -MMD -MP -c $< -o $@
else
AGENT_OBJS := $(AGENT_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB_OBJS)
endif
$(AGENT_SO): $(AGENT_OBJS)
	$(CC) -shared -o $@ $(AGENT_OBJS) $(LDFLAGS) -lpthread -ldl

$(BUILD)/userbpf: $(CLI_OBJS) $(BUILD)/libuserbpf.a
	$(CC) -o $@ $(CLI_OBJS) $(BUILD)/libuserbpf.a $(LDLIBS_ALL)

$(BUILD)/bpf_conformance_plugin: $(PLUGIN_OBJS) $(BUILD)/libuserbpf.a
	$(CC) -o $@ $(PLUGIN_OBJS) $(BUILD)/libuserbpf.a $(LDLIBS_ALL)

define TEST_RULE
$(BUILD)/tests/$(subst /,_,$(patsubst tests/%.c,%,$(1))): $(BUILD)/obj/$(1:.c=.o) $(TESTLIB_OBJS) $(BUILD)/libuserbpf.a
	@mkdir -p $$(dir $$@)
	$$(CC) -o $$@ $$^ $$(LDLIBS_ALL)
endef
$(foreach s,$(TEST_SRCS),$(eval $(call TEST_RULE,$(s))))

# Examples (examples/NAME/, README "Examples"): each user side (its *.c
# but *.bpf.c) links with the static library into $(BUILD)/examples/NAME;
# the BPF sides build with clang into $(BUILD)/examples/, beside them,
# where the programs look first, when clang is installed.
EXAMPLES := execsnoop opensnoop syscount host_hook
EXAMPLE_SRCS := $(filter-out %.bpf.c,$(foreach e,$(EXAMPLES),$(wildcard examples/$(e)/*.c)))
all: $(EXAMPLES:%=$(BUILD)/examples/%)
define EXAMPLE_RULE
$(BUILD)/examples/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(filter examples/$(1)/%,$(EXAMPLE_SRCS))) $(BUILD)/libuserbpf.a
	@mkdir -p $$(dir $$@)
	$$(CC) -o $$@ $$^ $$(LDLIBS_ALL)
endef
$(foreach e,$(EXAMPLES),$(eval $(call EXAMPLE_RULE,$(e))))
BPF_CLANG ?= clang
BPF_ARCH ?= $(shell gcc -dumpmachine 2>/dev/null || uname -m)
ifneq ($(shell command -v $(BPF_CLANG) 2>/dev/null),)
EXAMPLE_BPF_SRCS := $(foreach e,$(EXAMPLES),$(wildcard examples/$(e)/*.bpf.c))
all: $(foreach s,$(EXAMPLE_BPF_SRCS),$(BUILD)/examples/$(notdir $(s:.c=.o)))
define EXAMPLE_BPF_RULE
$(BUILD)/examples/$(notdir $(1:.c=.o)): $(1)
	@mkdir -p $$(dir $$@)
	$(BPF_CLANG) -O2 -g -target bpf -Wall -Werror -Iinclude -I/usr/include/$(BPF_ARCH) \
		-MMD -MP -c $$< -o $$@
endef
$(foreach s,$(EXAMPLE_BPF_SRCS),$(eval $(call EXAMPLE_BPF_RULE,$(s))))
-include $(foreach s,$(EXAMPLE_BPF_SRCS),$(BUILD)/examples/$(notdir $(s:.c=.d)))
endif

-include $(LIB_OBJS:.o=.d) $(AGENT_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(PLUGIN_OBJS:.o=.d) $(TESTLIB_OBJS:.o=.d) \
	$(TEST_SRCS:%.c=$(BUILD)/obj/%.d) $(EXAMPLE_SRCS:%.c=$(BUILD)/obj/%.d)

deps:
	@sh scripts/deps.sh

# The plain build uses gcc and the sanitizer build clang, both with -Werror,
# so one `make check` shows the tree warning-free under both compilers.
check: deps
	$(MAKE) BUILD=build CC=gcc all
	$(MAKE) BUILD=build/asan CC=clang SAN=1 all
	$(MAKE) fuzz
	$(MAKE) check-tsan
	@sh tests/run.sh build build/asan

# The map stress test (threads on every concurrent map) and the
# cross-process slot resolution (first uses racing loads and frees) under
# ThreadSanitizer: any report fails the build.
TSAN_TESTS := maps_stress maps_xproc
check-tsan:
	$(MAKE) BUILD=build/tsan CC=clang TSAN=1 $(addprefix build/tsan/tests/,$(TSAN_TESTS))
	for t in $(TSAN_TESTS); do \
		TSAN_OPTIONS="halt_on_error=1 exitcode=66" build/tsan/tests/$$t || exit 1; \
	done

# libFuzzer targets (fuzz/*.c) over a coverage-instrumented library; make
# check builds them and gives each a short smoke run.  Long campaigns:
#   build/fuzz/fuzz_object -max_total_time=3600 corpus/
FUZZ_SRCS := $(sort $(wildcard fuzz/*.c))
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang SAN=1 CFLAGS=-fsanitize=fuzzer-no-link build/fuzz/libuserbpf.a
	@for f in $(FUZZ_SRCS); do \
		n=$$(basename $$f .c); \
		clang $(BASE_CFLAGS) -fsanitize=fuzzer,address,undefined $$f build/fuzz/libuserbpf.a \
			-o build/fuzz/$$n -lpthread || exit 1; \
		build/fuzz/$$n -runs=2000 -seed=1 >build/fuzz/$$n.log 2>&1 || \
			{ echo "fuzz smoke run of $$n failed:"; tail -30 build/fuzz/$$n.log; exit 1; }; \
		echo "fuzz: $$n built, 2000 runs clean"; \
	done

check-plain:
	$(MAKE) BUILD=build all
	@sh tests/run.sh build

demo: deps
	$(MAKE) BUILD=build all
	@sh examples/demo.sh build

bench: deps
	$(MAKE) BUILD=build all
	@sh bench/run.sh build

# make install PREFIX=/usr/local [DESTDIR=...]: the library, both header
# sets (include/userbpf for the embedding API, include/bpf for libbpf's
# API and BPF C authors), userbpf.pc and the CLI.
PREFIX ?= /usr/local
install: lib $(BUILD)/userbpf
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/userbpf \
		$(DESTDIR)$(PREFIX)/include/bpf $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(BUILD)/libuserbpf.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libuserbpf.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/userbpf/*.h $(DESTDIR)$(PREFIX)/include/userbpf/
	install -m 644 include/bpf/*.h $(DESTDIR)$(PREFIX)/include/bpf/
	install -m 755 $(BUILD)/userbpf $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' userbpf.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/userbpf.pc

N ?= 100000
fuzz-diff: deps
	$(MAKE) BUILD=build all
	build/tests/diff_kernel_diff --count $(N)

clean:
	rm -rf build

-include mk/cross.mk
