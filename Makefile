# SPDX-License-Identifier: GPL-2.0
#
# nmb: top-level build. `make` builds the kernel module (kmod/nmb_watch.ko)
# and user space (build/); `make check` installs what is missing and runs
# every test; `make demo` runs the simulated farm in QEMU.

PREFIX ?= /usr
DESTDIR ?=
SHELL := /bin/bash

# The kernel we build against and boot in QEMU: the one Debian's
# linux-image-amd64 points at, never a hard-coded version.
KVER ?= $(shell dpkg-query -W -f='$${Depends}' linux-image-amd64 2>/dev/null | \
	  sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
KDIR ?= /lib/modules/$(KVER)/build
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR)
SRCTAR := /usr/src/linux-source-6.1.tar.xz
OUT ?= build
ASAN_OUT := $(OUT)/asan

# Debian packages, by purpose. `make deps` installs those missing.
DEB_BUILD := gcc make pkg-config libwebsockets-dev libssl-dev libjson-c-dev \
	libyaml-dev libmnl-dev libsystemd-dev linux-headers-amd64 kmod
DEB_TEST := linux-image-amd64 qemu-system-x86 busybox-static cpio \
	linux-source-6.1 python3 python3-yaml iproute2 valgrind usbip \
	clang-tidy sparse codespell systemd openssl
DEB_ALL := $(DEB_BUILD) $(DEB_TEST)

all: module userspace

deps:
	@missing=; for p in $(DEB_ALL); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
			grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  DEPS   installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing \
			>/dev/null || exit 1; \
	fi

# --- kernel module --------------------------------------------------------

module:
	$(KMAKE) modules

module-debug:
	$(KMAKE) CONFIG_NMB_WATCH_DEBUG=y modules

module-install: module
	$(KMAKE) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

# checkpatch.pl comes from the linux-source tarball. It is given a tree
# root with the kernel's include/ so that it knows the kernel's own
# identifiers (idVendor, ...) as it does in-tree.
CHECKPATCH_TREE := $(OUT)/checkpatch
CODESPELL_DICT = $(shell dpkg -L codespell 2>/dev/null | grep -m1 'dictionary.txt$$')

$(CHECKPATCH_TREE)/scripts/checkpatch.pl:
	@mkdir -p $(CHECKPATCH_TREE)
	tar -C $(CHECKPATCH_TREE) --strip-components=1 -xf $(SRCTAR) \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/include linux-source-6.1/COPYING \
		linux-source-6.1/CREDITS linux-source-6.1/Kbuild \
		linux-source-6.1/MAINTAINERS linux-source-6.1/Makefile \
		linux-source-6.1/README
	cd $(CHECKPATCH_TREE) && mkdir -p Documentation arch drivers fs \
		init ipc kernel lib
	@touch $@

style: $(CHECKPATCH_TREE)/scripts/checkpatch.pl
	GIT_DIR=/nonexistent $< --root=$(CHECKPATCH_TREE) --strict \
		--codespell --codespellfile=$(CODESPELL_DICT) --show-types \
		-f kmod/*.c kmod/*.h include/uapi/linux/nmb_watch.h

# Warnings are errors here: W=1 and sparse (C=2) must both be silent.
module-check:
	@mkdir -p $(OUT)
	$(KMAKE) clean >/dev/null
	$(KMAKE) W=1 C=2 modules >$(OUT)/module-check.log 2>&1; rc=$$?; \
	cat $(OUT)/module-check.log; \
	grep -q '  CHECK   .*kmod/main.c' $(OUT)/module-check.log || \
		{ echo "module-check: sparse did not run"; exit 1; }; \
	[ $$rc = 0 ] && ! grep -E 'warning:|error:' $(OUT)/module-check.log

# --- user space -----------------------------------------------------------

userspace:
	$(MAKE) -f userspace.mk O=$(OUT)

userspace-asan:
	$(MAKE) -f userspace.mk O=$(ASAN_OUT) SANITIZE=1

# --- tests ----------------------------------------------------------------

selftests: deps
	$(MAKE) module userspace
	selftests/run_all.sh --kernel-only

check: deps
	@mkdir -p $(OUT)
	$(MAKE) module-check
	$(MAKE) style
	$(MAKE) module userspace userspace-asan
	selftests/run_all.sh

bench: deps
	$(MAKE) module userspace
	selftests/bench/run.sh

demo: deps
	$(MAKE) module userspace
	selftests/qemu/demo.sh

demo-shell: deps
	$(MAKE) module userspace
	selftests/qemu/demo.sh --shell

clean:
	-$(KMAKE) clean
	rm -rf $(OUT)

.PHONY: all deps module module-debug module-install style module-check \
	userspace userspace-asan selftests check bench demo demo-shell clean
