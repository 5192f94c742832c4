# SPDX-License-Identifier: GPL-2.0
# nmbctl: one file per subcommand. --version says which commit it is.
NMB_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CPPFLAGS_cli_ := -DNMB_VERSION='"$(NMB_VERSION)"'
ifneq ($(wildcard cli/*.c),)
$(eval $(call program,nmbctl,$(wildcard cli/*.c)))
endif
