# SPDX-License-Identifier: GPL-2.0
# The unit tests of lib/: every selftests/lib/*_test.c is a program of
# its own (selftests/lib/NAME_test.c -> $(O)/selftests/lib/NAME_test),
# run by selftests/lib/run-host.sh.
LIB_TEST_SRCS := $(wildcard selftests/lib/*_test.c)
$(foreach t,$(LIB_TEST_SRCS),$(eval $(call program,$(t:.c=),$(t))))
