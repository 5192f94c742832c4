# SPDX-License-Identifier: GPL-2.0
#
# User space: lib/ (libnmb.a, shared by daemons, CLI and tests), daemon/,
# cli/ and the C test programs of selftests/. Non-recursive: each folder
# lists its sources in its own build.mk. Objects and binaries go to $(O).
# SANITIZE=1 builds with ASan and UBSan; V=1 shows the commands.

O ?= build
CC ?= cc
PKGS := libuv libwebsockets openssl json-c yaml-0.1 libmnl libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP \
	  -fno-strict-aliasing -Iinclude/uapi -Ilib $(PKG_CFLAGS)
LDLIBS += -Wl,--as-needed $(PKG_LIBS) -lpthread -lm
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

ifneq ($(V),1)
Q_CC = @echo "  CC     $@";
Q_LD = @echo "  LD     $@";
Q_AR = @echo "  AR     $@";
endif

PROGRAMS :=
OBJS :=

# $(call program,NAME,SOURCES): link $(O)/NAME from SOURCES and libnmb.a.
define program
$(O)/$(1): $(patsubst %.c,$(O)/%.o,$(2)) $(O)/libnmb.a
	$$(Q_LD)$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(O)/libnmb.a $$(LDLIBS)
PROGRAMS += $(O)/$(1)
OBJS += $(patsubst %.c,$(O)/%.o,$(2))
endef

include lib/build.mk
include daemon/build.mk
include cli/build.mk
include selftests/build.mk

all: $(O)/libnmb.a $(PROGRAMS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(CFLAGS) $(CPPFLAGS_$(subst /,_,$(dir $<))) -c -o $@ $<

$(O)/libnmb.a: $(LIB_OBJS)
	$(Q_AR)rm -f $@ && ar rcs $@ $^

-include $(OBJS:.o=.d) $(LIB_OBJS:.o=.d)

.PHONY: all
.DEFAULT_GOAL := all
