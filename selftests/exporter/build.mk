# SPDX-License-Identifier: GPL-2.0
# The exporter suite's C programs, for selftests/build.mk to include
# (until it does, run-host.sh and run-guest.sh build them with cc).
$(eval $(call program,selftests/exporter/unit_test,selftests/exporter/unit_test.c))
$(eval $(call program,selftests/exporter/import_client,selftests/exporter/import_client.c))
