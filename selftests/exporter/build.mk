# SPDX-License-Identifier: GPL-2.0
# The exporter suite's C programs (selftests/build.mk includes this).

$(eval $(call program,selftests/exporter/import_client,selftests/exporter/import_client.c))
# The gpio and power lines of an emulated board, without a board.
$(eval $(call program,selftests/exporter/virtual_line_test,selftests/exporter/virtual_line_test.c daemon/exporter/virtual_line.c))
CPPFLAGS_selftests_exporter_ := -Idaemon/exporter -Iselftests/lib
