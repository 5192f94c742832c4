# SPDX-License-Identifier: GPL-2.0
# The exporter suite's C programs (selftests/build.mk includes this).

$(eval $(call program,selftests/exporter/import_client,selftests/exporter/import_client.c))
