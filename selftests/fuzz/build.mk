# SPDX-License-Identifier: GPL-2.0
# Unit tests of the parser robustness suite (the libFuzzer targets are
# built by fuzz/build.mk with clang).
$(eval $(call program,selftests/fuzz/url_test,selftests/fuzz/url_test.c))
CPPFLAGS_selftests_fuzz_ := -Iselftests/server
