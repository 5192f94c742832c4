# SPDX-License-Identifier: GPL-2.0
# libnmb.a: user-space code shared by the daemons, nmbctl and the tests.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst %.c,$(O)/%.o,$(LIB_SRCS))
