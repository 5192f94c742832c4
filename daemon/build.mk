# SPDX-License-Identifier: GPL-2.0
# The three daemons, one folder of sources each.
ifneq ($(wildcard daemon/server/*.c),)
$(eval $(call program,nmb-server,$(wildcard daemon/server/*.c)))
# web.c embeds the page's files with .incbin.
$(O)/daemon/server/web.o: $(wildcard daemon/server/www/*)
endif
ifneq ($(wildcard daemon/exporter/*.c),)
$(eval $(call program,nmb-exporter,$(wildcard daemon/exporter/*.c)))
endif
ifneq ($(wildcard daemon/agent/*.c),)
$(eval $(call program,nmb-agent,$(wildcard daemon/agent/*.c)))
endif
