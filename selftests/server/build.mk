# SPDX-License-Identifier: GPL-2.0
# The load tool of `make bench` (built here, run only by selftests/bench).
$(eval $(call program,selftests/bench/load,selftests/bench/load.c))
# The scheduler alone: its pure files, no sockets, no event loop.
$(eval $(call program,selftests/server/scheduler_test,selftests/server/scheduler_test.c daemon/server/scheduler.c daemon/server/place.c))
CPPFLAGS_selftests_server_ := -Idaemon/server
