# SPDX-License-Identifier: GPL-2.0
#
# The libFuzzer targets of fuzz/ (one .c file each), built with clang,
# ASan and UBSan into $(O) (build/fuzz): lib/ and the daemons'
# configuration loaders are compiled again with coverage instrumentation.
# `make fuzz` runs each target for FUZZ_SECONDS and grows its corpus in
# fuzz/corpus/<target>/; `make check` replays every corpus
# (selftests/fuzz/run-host.sh). Used as: make -f fuzz/build.mk O=build/fuzz

O ?= build/fuzz
FUZZ_CC ?= clang
PKGS := libuv libwebsockets openssl json-c yaml-0.1 libmnl libsystemd
FUZZ_FLAGS := -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP \
	-fno-strict-aliasing -Iinclude/uapi -Ilib \
	$(shell pkg-config --cflags $(PKGS)) $(FUZZ_FLAGS)
FUZZ_LDLIBS := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

ifneq ($(V),1)
Q_CC = @echo "  CC     $@";
Q_LD = @echo "  LD     $@";
endif

FUZZ_LIB_SRCS := $(wildcard lib/*.c)
# target -> the daemon sources it needs besides lib/
FUZZ_SRCS_config_server := daemon/server/config.c \
	daemon/server/auth_config.c
FUZZ_SRCS_config_exporter := daemon/exporter/config.c \
	daemon/exporter/virtual_conf.c
FUZZ_SRCS_config_agent := daemon/agent/config.c
FUZZ_CPPFLAGS_config_server := -Idaemon/server
FUZZ_SRCS_oidc_callback := daemon/server/login_query.c
FUZZ_CPPFLAGS_oidc_callback := -Idaemon/server
FUZZ_CPPFLAGS_config_exporter := -Idaemon/exporter
FUZZ_CPPFLAGS_config_agent := -Idaemon/agent
FUZZ_SRCS_virtual_gpio := daemon/exporter/virtual_line.c
FUZZ_SRCS_virtual_power := daemon/exporter/virtual_line.c
FUZZ_CPPFLAGS_virtual_gpio := -Idaemon/exporter
FUZZ_CPPFLAGS_virtual_power := -Idaemon/exporter

FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_BINS := $(addprefix $(O)/,$(FUZZ_TARGETS))
FUZZ_LIB_OBJS := $(patsubst %.c,$(O)/%.o,$(FUZZ_LIB_SRCS))

all: $(FUZZ_BINS)

# $(O)/fuzz/<target>.o and the daemon objects get the daemon's include dir
$(O)/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -Ifuzz $(FUZZ_CPPFLAGS_$*) -c -o $@ $<

$(O)/daemon/%.o: daemon/%.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(dir $<) -c -o $@ $<

$(O)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

define fuzz_target
$(O)/$(1): $(O)/fuzz/$(1).o $(patsubst %.c,$(O)/%.o,$(FUZZ_SRCS_$(1))) \
		$(FUZZ_LIB_OBJS)
	$$(Q_LD)$$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $$@ \
		$$^ $$(FUZZ_LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

-include $(shell find $(O) -name '*.d' 2>/dev/null)

.PHONY: all
.DEFAULT_GOAL := all
