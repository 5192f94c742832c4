# SPDX-License-Identifier: GPL-2.0
# Helper programs of selftests/bench/guest-farm.sh (make bench); include
# from selftests/build.mk. guest-farm.sh builds probe into /tmp itself
# when this is not included.
$(eval $(call program,selftests/bench/probe,selftests/bench/probe.c))
