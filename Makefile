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
# kbuild's clean of M=$(CURDIR) would delete every *.o, *.a and *.ko* under
# build/ too, the Debian 13 root's and kernel's among them: clean kmod/.
KCLEAN = $(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean && \
	rm -f Module.symvers modules.order .Module.symvers.cmd \
		.modules.order.cmd
SRCTAR := /usr/src/linux-source-6.1.tar.xz
OUT ?= build
# The one version of nmb: every program's --version, the DKMS package.
VERSION := $(strip $(file <VERSION))
ASAN_OUT := $(OUT)/asan

# Debian packages, by purpose. `make deps` installs those missing.
DEB_BUILD := gcc make pkg-config libwebsockets-dev libwebsockets-evlib-uv \
	libuv1-dev libssl-dev libjson-c-dev \
	libyaml-dev libmnl-dev libsystemd-dev linux-headers-amd64 kmod
DEB_TEST := linux-image-amd64 qemu-system-x86 busybox-static cpio \
	linux-source-6.1 python3 python3-yaml iproute2 valgrind usbip \
	clang-tidy sparse codespell systemd openssl python3-docutils \
	python3-websockets groff man-db clang libclang-rt-14-dev \
	mmdebstrap xz-utils dkms \
	python3-pytest picocom python3-pip python3-setuptools \
	jq python3-jsonschema chromium prometheus strace python3-jwt python3-cryptography \
	nftables
# Virtual places: QEMU for the emulated board; its guest is made from
# Debian's arm64 packages by selftests/virtual/assets.sh (make deps).
DEB_VIRTUAL := qemu-system-arm qemu-utils device-tree-compiler
DEB_ALL := $(DEB_BUILD) $(DEB_TEST) $(DEB_VIRTUAL)

all: module userspace

deps: deps-host deps-trixie

deps-host:
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
	@selftests/virtual/assets.sh $(OUT)/virtual

# --- Debian 13 (trixie): the second kernel ---------------------------------
# Its kbuild tools are built against Debian 13's C library and compiler, so
# the module is built for it in a Debian 13 root under build/ (mmdebstrap;
# nothing goes into the host): gcc, make, sparse and linux-headers-amd64.
# The linux-image package of the same version is fetched with it and
# unpacked into build/trixie/kernel for the QEMU bed
# (NMB_QEMU_KERNEL_ROOT of selftests/qemu/run.sh). Versions come from the
# packages: the root's linux-headers-amd64 names the kernel.
# `rm -rf build/trixie && make deps-trixie` takes a newer Debian 13 kernel.
TRIXIE := $(OUT)/trixie
TRIXIE_ROOT := $(TRIXIE)/root
TRIXIE_KERNEL := $(TRIXIE)/kernel
TRIXIE_KO := $(TRIXIE)/nmb_watch.ko
TRIXIE_MIRROR ?= http://deb.debian.org/debian
TRIXIE_PKGS := gcc make sparse linux-headers-amd64
TRIXIE_KVER = $(shell cat $(TRIXIE_KERNEL)/kver 2>/dev/null)
# One line naming the target that makes what is missing.
TRIXIE_NEED = @[ -s $(TRIXIE_KERNEL)/kver ] && \
	[ -d $(TRIXIE_ROOT)/lib/modules/$(TRIXIE_KVER)/build ] || \
	{ echo "$@: no Debian 13 build root and kernel in $(TRIXIE);" \
		"make deps-trixie makes them"; exit 1; }
# chroot ROOT CMD... with a clean environment.
TRIXIE_RUN = chroot $(TRIXIE_ROOT) /usr/bin/env -i \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8

deps-trixie: deps-host
	@selftests/qemu/trixie-root.sh $(TRIXIE) $(TRIXIE_MIRROR) $(TRIXIE_PKGS)

# The module's sources (not the Debian 12 objects of kmod/) into DIR.
KMOD_SRCS = kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c)) \
	$(wildcard kmod/*.h)
trixie_copy = rm -rf $(1) && mkdir -p $(1)/kmod && \
	cp -r Kbuild include $(1)/ && cp $(KMOD_SRCS) $(1)/kmod/

# The module for Debian 13, built in the root from a copy of the sources:
# $(TRIXIE_KO).
module-trixie:
	$(TRIXIE_NEED)
	@$(call trixie_copy,$(TRIXIE_ROOT)/nmb)
	$(TRIXIE_RUN) make -C /lib/modules/$(TRIXIE_KVER)/build M=/nmb \
		modules || { echo "module-trixie: nmb_watch does not build" \
		"against $(TRIXIE_KVER) (Debian 13)"; exit 1; }
	@cp $(TRIXIE_ROOT)/nmb/kmod/nmb_watch.ko $(TRIXIE_KO)

# W=1 and sparse (C=2, the root's sparse) must be silent for Debian 13 too.
module-check-trixie:
	$(TRIXIE_NEED)
	@$(call trixie_copy,$(TRIXIE_ROOT)/nmb-check)
	@$(TRIXIE_RUN) make -C /lib/modules/$(TRIXIE_KVER)/build \
		M=/nmb-check W=1 C=2 modules >$(TRIXIE)/module-check.log 2>&1; \
	rc=$$?; cat $(TRIXIE)/module-check.log; \
	grep -q '  CHECK   .*kmod/main.c' $(TRIXIE)/module-check.log || \
		{ echo "module-check-trixie: sparse did not run"; exit 1; }; \
	[ $$rc = 0 ] && ! grep -E 'warning:|error:' \
		$(TRIXIE)/module-check.log || \
		{ echo "module-check-trixie: nmb_watch is not warning-free" \
			"against $(TRIXIE_KVER) (Debian 13)"; exit 1; }

# --- kernel module --------------------------------------------------------

module:
	$(KMAKE) modules || { echo "module: nmb_watch does not build against" \
		"$(KVER) (Debian 12)"; exit 1; }

module-debug:
	$(KMAKE) CONFIG_NMB_WATCH_DEBUG=y modules

# The module goes where DKMS puts it (updates/dkms), so that `make install`
# followed by `dkms install` leaves one nmb_watch.ko, not two. Earlier builds
# installed it under updates/kmod: that copy is removed.
MODULE_DIR = /lib/modules/$(KVER)/updates/dkms
module-install: module
	install -D -m 0644 kmod/nmb_watch.ko \
		$(DESTDIR)$(MODULE_DIR)/nmb_watch.ko
	rm -f $(DESTDIR)/lib/modules/$(KVER)/updates/kmod/nmb_watch.ko
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)

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
		-f $(filter-out %.mod.c,$(wildcard kmod/*.c)) kmod/*.h \
		include/uapi/linux/nmb_watch.h

# Warnings are errors here: W=1 and sparse (C=2) must both be silent.
module-check:
	@mkdir -p $(OUT)
	{ $(KCLEAN); } >/dev/null
	$(KMAKE) W=1 C=2 modules >$(OUT)/module-check.log 2>&1; rc=$$?; \
	cat $(OUT)/module-check.log; \
	grep -q '  CHECK   .*kmod/main.c' $(OUT)/module-check.log || \
		{ echo "module-check: sparse did not run"; exit 1; }; \
	[ $$rc = 0 ] && ! grep -E 'warning:|error:' $(OUT)/module-check.log || \
		{ echo "module-check: nmb_watch is not warning-free against" \
			"$(KVER) (Debian 12)"; exit 1; }

# --- user space -----------------------------------------------------------

userspace:
	$(MAKE) -f userspace.mk O=$(OUT)

userspace-asan:
	$(MAKE) -f userspace.mk O=$(ASAN_OUT) SANITIZE=1

# --- installation -----------------------------------------------------------

BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
PKGLIBDIR ?= $(PREFIX)/lib
SYSTEMDUNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
UDEVDIR ?= $(shell pkg-config --variable=udevdir udev 2>/dev/null || echo /lib/udev)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR ?= $(PREFIX)/share/doc/nmb
DKMSDIR ?= $(PREFIX)/src/nmb_watch-$(VERSION)
# Configurations installed to /etc/nmb; every example goes to the docs.
ETC_CONFIGS := server.yaml exporter.yaml agent.yaml
# The DKMS source copy: sources only, never build output (*.mod.c, ...).
DKMS_KMOD := kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.c)) \
	$(wildcard kmod/*.h)
# Where Debian's python3 finds packages: dist-packages of /usr, or of the
# version's folder under another PREFIX (/usr/local/lib/python3.11/...).
PYTHON ?= /usr/bin/python3
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)/dist-packages)
# The Python package carries the one version too (pyproject.toml and
# nmb/__init__.py say the same; selftests/ops checks it).
PYTHON_VERSION := $(VERSION)
WITH_MODULE ?= yes

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(OUT)/nmb-server $(OUT)/nmb-exporter \
		$(OUT)/nmb-agent $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(OUT)/nmbctl $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(UDEVDIR)/rules.d \
		$(DESTDIR)$(PKGLIBDIR)/modules-load.d \
		$(DESTDIR)$(PKGLIBDIR)/sysusers.d
	install -m 0644 systemd/*.service systemd/*.socket \
		$(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 systemd/nmb.conf $(DESTDIR)$(PKGLIBDIR)/modules-load.d/
	install -m 0644 systemd/sysusers-nmb.conf \
		$(DESTDIR)$(PKGLIBDIR)/sysusers.d/nmb.conf
	$(if $(wildcard udev/*.rules),install -m 0644 udev/*.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/)
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/nmb
	# server.yaml is read by the server's dynamic user and holds no
	# secrets (tokens go to token_file); the others are root's.
	for f in $(ETC_CONFIGS); do \
		t=$(DESTDIR)$(SYSCONFDIR)/nmb/$$f; \
		m=0640; [ $$f = server.yaml ] && m=0644; \
		[ -e $$t ] || install -m $$m Documentation/examples/$$f $$t; \
	done
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 Documentation/examples/*.yaml \
		$(DESTDIR)$(DOCDIR)/examples/
	for s in 1 5 8; do \
		for m in Documentation/man/*.$$s; do \
			[ -e $$m ] || continue; \
			install -d $(DESTDIR)$(MANDIR)/man$$s; \
			install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
		done; \
	done
	$(if $(wildcard cli/completion/nmbctl.bash),install -d \
		$(DESTDIR)$(BASHCOMPDIR) && install -m 0644 \
		cli/completion/nmbctl.bash $(DESTDIR)$(BASHCOMPDIR)/nmbctl)
	install -d $(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/include/uapi/linux
	install -m 0644 Kbuild $(DESTDIR)$(DKMSDIR)/
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' dkms.conf \
		> $(DESTDIR)$(DKMSDIR)/dkms.conf
	install -m 0644 $(DKMS_KMOD) $(DESTDIR)$(DKMSDIR)/kmod/
	install -m 0644 include/uapi/linux/nmb_watch.h \
		$(DESTDIR)$(DKMSDIR)/include/uapi/linux/
	# clean removes kbuild's output itself: DKMS runs it without KDIR,
	# and the running kernel's headers may be absent.
	printf 'KDIR ?= /lib/modules/$$(shell uname -r)/build\nmodule:\n\t$$(MAKE) -C $$(KDIR) M=$$(CURDIR) modules\nclean:\n\trm -rf .*.cmd *.order *.symvers kmod/.*.cmd kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/*.order\n' \
		> $(DESTDIR)$(DKMSDIR)/Makefile
	$(MAKE) python-install
	$(if $(filter yes,$(WITH_MODULE)),$(MAKE) module-install)

# The nmb Python package, its metadata (the pytest11 entry point that
# loads the plugin) and the nmb-from-toml command, as pip would install
# them, without pip.
python-install:
	install -d $(DESTDIR)$(PYTHONDIR)/nmb \
		$(DESTDIR)$(PYTHONDIR)/nmb-$(PYTHON_VERSION).dist-info
	install -m 0644 python/nmb/*.py $(DESTDIR)$(PYTHONDIR)/nmb/
	printf 'Metadata-Version: 2.1\nName: nmb\nVersion: %s\nSummary: %s\nLicense: GPL-2.0\nRequires-Python: >=3.11\n' \
		'$(PYTHON_VERSION)' 'Automate boards of an nmb board farm' \
		> $(DESTDIR)$(PYTHONDIR)/nmb-$(PYTHON_VERSION).dist-info/METADATA
	printf '[console_scripts]\nnmb-from-toml = nmb.from_toml:main\n\n[pytest11]\nnmb = nmb.pytest_plugin\n' \
		> $(DESTDIR)$(PYTHONDIR)/nmb-$(PYTHON_VERSION).dist-info/entry_points.txt
	echo make > $(DESTDIR)$(PYTHONDIR)/nmb-$(PYTHON_VERSION).dist-info/INSTALLER
	install -d $(DESTDIR)$(BINDIR)
	printf '#!$(PYTHON)\nimport sys\nfrom nmb.from_toml import main\nsys.exit(main())\n' \
		> $(DESTDIR)$(BINDIR)/nmb-from-toml
	chmod 0755 $(DESTDIR)$(BINDIR)/nmb-from-toml

# --- tests ----------------------------------------------------------------

selftests: deps
	$(MAKE) module module-trixie userspace userspace-asan
	selftests/run_all.sh --kernel-only

# make check builds with one job per CPU unless make was given -j itself.
CHECK_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))

check: deps
	@mkdir -p $(OUT)
	$(MAKE) module-check
	$(MAKE) module-check-trixie
	$(MAKE) style
	$(MAKE) $(CHECK_JOBS) module module-trixie userspace userspace-asan \
		fuzz-build
	selftests/run_all.sh --parallel

# libFuzzer targets of fuzz/ (clang): `make fuzz` grows their corpora for
# FUZZ_SECONDS each; `make check` replays the corpora (selftests/fuzz).
FUZZ_SECONDS ?= 60

fuzz-build:
	$(MAKE) -f fuzz/build.mk O=$(OUT)/fuzz

fuzz: deps fuzz-build
	O=$(OUT) fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	$(MAKE) module userspace
	selftests/bench/run.sh

# The detection benchmark alone, on Debian 12's and Debian 13's kernels.
bench-detect: deps
	$(MAKE) module module-trixie userspace
	selftests/bench/detect-kernels.sh

demo: deps
	$(MAKE) module userspace
	selftests/qemu/demo.sh
	selftests/virtual/demo.py $(OUT) $(OUT)/virtual

demo-shell: deps
	$(MAKE) module userspace
	selftests/qemu/demo.sh --shell

# The Debian 13 root stays (make deps made it); distclean removes it too.
clean:
	-$(KCLEAN)
	[ ! -d $(OUT) ] || find $(OUT) -mindepth 1 -maxdepth 1 \
		! -name trixie -exec rm -rf {} +
	rm -rf $(TRIXIE_ROOT)/nmb $(TRIXIE_ROOT)/nmb-check $(TRIXIE_KO)

distclean: clean
	rm -rf $(OUT)

# install: see above
.PHONY: install python-install all deps deps-host deps-trixie module-trixie \
	module-check-trixie distclean \
	module module-debug module-install style module-check \
	userspace userspace-asan selftests check bench bench-detect demo demo-shell clean \
	fuzz fuzz-build
