# SPDX-License-Identifier: GPL-2.0
# libnmb.a: user-space code shared by the daemons, nmbctl and the tests.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst %.c,$(O)/%.o,$(LIB_SRCS))

# The one version of nmb (--version of every program, DKMS, the
# nmb_build_info metric of lib/prom.c): the file VERSION, so that a
# tarball without git builds the same.
NMB_VERSION := $(strip $(file <VERSION))
ifeq ($(NMB_VERSION),)
$(error VERSION is missing or empty)
endif
CPPFLAGS_lib_ := -DNMB_VERSION='"$(NMB_VERSION)"'
$(O)/lib/version.o $(O)/lib/prom.o: VERSION
