/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every difference between the kernels nmb_watch supports
 * (Debian 12's 6.1 to Debian 13's 6.12), in one place.
 *
 * As in WireGuard's compat layer, the kernel is asked, not its version
 * number: kmod/Kbuild probes the kernel's own headers for each feature
 * and defines NMBW_HAVE_<feature> when it is there. The code uses only
 * the names below. No LINUX_VERSION_CODE test anywhere.
 */
#ifndef _NMB_WATCH_COMPAT_H
#define _NMB_WATCH_COMPAT_H

/*
 * NMBW_HAVE_CONST_BUS_TYPE: the driver core takes and gives
 * "const struct bus_type *" (struct device_driver's bus,
 * bus_register_notifier(), bus_find_device_by_name(); 6.3 and later).
 * NMBW_BUS_CONST qualifies our pointers to the USB bus type alike.
 */
#ifdef NMBW_HAVE_CONST_BUS_TYPE
#define NMBW_BUS_CONST const
#else
#define NMBW_BUS_CONST
#endif

#endif /* _NMB_WATCH_COMPAT_H */
