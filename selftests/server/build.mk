# SPDX-License-Identifier: GPL-2.0
# The load tool of `make bench` (built here, run only by selftests/bench).
$(eval $(call program,selftests/bench/load,selftests/bench/load.c))
