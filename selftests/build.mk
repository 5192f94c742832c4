# SPDX-License-Identifier: GPL-2.0
# C test programs. Kernel selftests use kselftest_harness.h, taken from
# the linux-source package at build time.
SRCTAR := /usr/src/linux-source-6.1.tar.xz
KSFT_INC := $(O)/include/kselftest

$(KSFT_INC)/kselftest_harness.h:
	@mkdir -p $(KSFT_INC)
	tar -C $(KSFT_INC) --strip-components=4 -xf $(SRCTAR) \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h
	@touch $@

# Every selftests/<suite>/*.c that has a main() is a program of its own:
# selftests/kmod/watch_test.c -> $(O)/selftests/kmod/watch_test.
KSFT_SRCS := $(wildcard selftests/kmod/*_test.c)
KSFT_LIB := $(filter-out $(KSFT_SRCS),$(wildcard selftests/kmod/*.c))
$(foreach t,$(KSFT_SRCS),$(eval $(call program,$(t:.c=),$(t) $(KSFT_LIB))))
$(patsubst %.c,$(O)/%.o,$(KSFT_SRCS) $(KSFT_LIB)): $(KSFT_INC)/kselftest_harness.h
# -isystem: the kernel's harness header is not ours to warn about.
CPPFLAGS_selftests_kmod_ := -isystem $(KSFT_INC)

# Each suite with C programs of its own lists them in its build.mk.
include $(wildcard selftests/*/build.mk)

# Benchmark programs of `make bench` (selftests/bench/run.sh).
$(eval $(call program,selftests/bench/detect,selftests/bench/detect.c))
$(eval $(call program,selftests/bench/ktls_probe,selftests/bench/ktls_probe.c))
