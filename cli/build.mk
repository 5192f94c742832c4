# SPDX-License-Identifier: GPL-2.0
# nmbctl: one file per subcommand.
ifneq ($(wildcard cli/*.c),)
$(eval $(call program,nmbctl,$(wildcard cli/*.c)))
endif
