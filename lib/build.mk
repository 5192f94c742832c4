# SPDX-License-Identifier: GPL-2.0
# libnmb.a: user-space code shared by the daemons, nmbctl and the tests.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst %.c,$(O)/%.o,$(LIB_SRCS))
# The version nmb_build_info reports (lib/prom.c).
NMB_VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CPPFLAGS_lib_ := -DNMB_VERSION='"$(NMB_VERSION)"'
