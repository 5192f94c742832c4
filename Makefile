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
	clang-tidy sparse codespell systemd openssl python3-docutils \
	python3-websockets groff man-db clang libclang-rt-14-dev \
	python3-pytest picocom python3-pip python3-setuptools
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
	$(KMAKE) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		modules_install
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

# --- installation -----------------------------------------------------------

BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
PKGLIBDIR ?= $(PREFIX)/lib
SYSTEMDUNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
UDEVDIR ?= $(shell pkg-config --variable=udevdir udev 2>/dev/null || echo /lib/udev)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DKMSDIR ?= $(PREFIX)/src/nmb_watch-0.1
# Where Debian's python3 finds packages: dist-packages of /usr, or of the
# version's folder under another PREFIX (/usr/local/lib/python3.11/...).
PYTHON ?= /usr/bin/python3
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)/dist-packages)
PYTHON_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' python/pyproject.toml)
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
	for f in $(wildcard Documentation/examples/*.yaml); do \
		t=$(DESTDIR)$(SYSCONFDIR)/nmb/$$(basename $$f); \
		m=0640; [ $$(basename $$f) = server.yaml ] && m=0644; \
		[ -e $$t ] || install -m $$m $$f $$t; \
	done
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
	install -m 0644 dkms.conf Kbuild $(DESTDIR)$(DKMSDIR)/
	install -m 0644 kmod/Kbuild kmod/*.c kmod/*.h $(DESTDIR)$(DKMSDIR)/kmod/
	install -m 0644 include/uapi/linux/nmb_watch.h \
		$(DESTDIR)$(DKMSDIR)/include/uapi/linux/
	printf 'KDIR ?= /lib/modules/$$(shell uname -r)/build\nmodule:\n\t$$(MAKE) -C $$(KDIR) M=$$(CURDIR) modules\nclean:\n\t$$(MAKE) -C $$(KDIR) M=$$(CURDIR) clean\n' \
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
	$(MAKE) module userspace userspace-asan
	selftests/run_all.sh --kernel-only

check: deps
	@mkdir -p $(OUT)
	$(MAKE) module-check
	$(MAKE) style
	$(MAKE) module userspace userspace-asan fuzz-build
	selftests/run_all.sh

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

demo: deps
	$(MAKE) module userspace
	selftests/qemu/demo.sh

demo-shell: deps
	$(MAKE) module userspace
	selftests/qemu/demo.sh --shell

clean:
	-$(KMAKE) clean
	rm -rf $(OUT)

# install: see above
.PHONY: install python-install all deps module module-debug module-install style module-check \
	userspace userspace-asan selftests check bench demo demo-shell clean \
	fuzz fuzz-build
