# SPDX-License-Identifier: GPL-2.0
# Host-side unit tests of the libraries nmb-server uses, and the load
# tool of `make bench` (built here, run only by selftests/bench).
$(eval $(call program,selftests/server/jsonrpc_test,selftests/server/jsonrpc_test.c))
$(eval $(call program,selftests/server/conf_test,selftests/server/conf_test.c))
$(eval $(call program,selftests/bench/load,selftests/bench/load.c))
$(eval $(call program,selftests/server/loop_test,selftests/server/loop_test.c))
