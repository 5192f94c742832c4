// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - nmb_watch: keep devices on watched USB ports for usbip-host
 * and report USB events of watched ports and vhci buses over generic
 * netlink.
 *
 * Set-up order: claim driver (it gives us the USB bus), netlink family
 * and release notifier, then the bus notifier that sends events.
 * Tear-down runs in reverse; the claim driver goes last, after every
 * watch has ended and its device went back to its default drivers.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "nmb_watch.h"

static int __init nmbw_init(void)
{
	int err;

	err = nmbw_port_init();
	if (err)
		return err;
	err = nmbw_netlink_init();
	if (err)
		goto err_port;
	err = nmbw_event_init();
	if (err)
		goto err_netlink;
	pr_info("watching USB ports for usbip-host (genl family %s v%d)\n",
		NMB_WATCH_FAMILY_NAME, NMB_WATCH_FAMILY_VERSION);
	return 0;

err_netlink:
	nmbw_netlink_exit();
err_port:
	nmbw_port_exit();
	return err;
}

static void __exit nmbw_exit(void)
{
	nmbw_event_exit();
	nmbw_netlink_exit();
	nmbw_port_exit();
}

module_init(nmbw_init);
module_exit(nmbw_exit);

MODULE_DESCRIPTION("Claim watched USB ports for usbip-host, report USB events");
MODULE_AUTHOR("The nmb authors");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: usbip-host");
MODULE_ALIAS_GENL_FAMILY(NMB_WATCH_FAMILY_NAME);
