// SPDX-License-Identifier: GPL-2.0
/*
 * usbip_test.c - unit tests of lib/usbip: USB/IP PDUs, speed mapping,
 * busids, vhci port arithmetic and the sysfs reader on a fake tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "usbip.h"

static void test_req_import(void)
{
	uint8_t pdu[USBIP_REQ_IMPORT_SIZE];
	char busid[USBIP_BUSID_SIZE];
	static const uint8_t head[8] = { 0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0 };

	usbip_build_req_import(pdu, "1-4.2");
	ok(!memcmp(pdu, head, 8) && !memcmp(pdu + 8, "1-4.2\0\0", 7) &&
	   pdu[39] == 0, "OP_REQ_IMPORT bytes");
	ok(usbip_parse_req_import(pdu, busid) == 0 && !strcmp(busid, "1-4.2"),
	   "OP_REQ_IMPORT round trip");
	pdu[1] = 0x06;
	ok(usbip_parse_req_import(pdu, busid) == -EPROTO, "bad version");
	pdu[1] = 0x11;
	pdu[3] = 0x05;	/* OP_REQ_DEVLIST */
	ok(usbip_parse_req_import(pdu, busid) == -EPROTO, "DEVLIST refused");
	pdu[3] = 0x03;
	pdu[7] = 1;
	ok(usbip_parse_req_import(pdu, busid) == -EPROTO, "non-zero status");
	pdu[7] = 0;
	memset(pdu + 8, 'x', 32);
	ok(usbip_parse_req_import(pdu, busid) == -EINVAL, "busid without NUL");
}

static void test_rep_import(void)
{
	struct usbip_device d = {
		.path = "/sys/bus/usb/devices/1-1", .busid = "1-1",
		.busnum = 1, .devnum = 2, .speed = 3, .vendor = 0x1d6b,
		.product = 0x0104, .bcd_device = 0x0510, .dev_class = 0xef,
		.dev_subclass = 2, .dev_protocol = 1,
		.configuration_value = 1, .num_configurations = 1,
		.num_interfaces = 2,
	}, e;
	uint8_t pdu[USBIP_REP_IMPORT_SIZE];

	usbip_build_rep_import(pdu, &d);
	ok(pdu[0] == 1 && pdu[1] == 0x11 && pdu[2] == 0 && pdu[3] == 3 &&
	   !memcmp(pdu + 8, d.path, strlen(d.path) + 1) &&
	   !memcmp(pdu + 264, "1-1", 4) && pdu[299] == 1 && pdu[303] == 2 &&
	   pdu[307] == 3 && pdu[308] == 0x1d && pdu[309] == 0x6b &&
	   pdu[312] == 0x05 && pdu[313] == 0x10 && pdu[314] == 0xef &&
	   pdu[319] == 2, "OP_REP_IMPORT offsets of §7");
	ok(usbip_parse_rep_import(pdu, &e) == 0 && !memcmp(&d, &e, sizeof(d)),
	   "OP_REP_IMPORT round trip");
	ok(usbip_devid(&e) == 0x10002, "devid = busnum << 16 | devnum");
	pdu[7] = 1;
	ok(usbip_parse_rep_import(pdu, &e) == -EPROTO, "reply status != 0");
}

static void test_speed(void)
{
	ok(usbip_speed_parse("1.5") == 1 && usbip_speed_parse("12") == 2 &&
	   usbip_speed_parse("480") == 3 && usbip_speed_parse("53.3-480") == 4 &&
	   usbip_speed_parse("5000") == 5, "sysfs speed strings");
	ok(usbip_speed_parse("10000") == 6 && usbip_speed_parse("20000") == 6 &&
	   usbip_speed_parse("x") == 0, "SuperSpeedPlus parsed as 6");
	ok(usbip_speed_wire(6) == 0 && usbip_speed_wire(5) == 5,
	   "wire speed of §7: 10000/20000 -> 0");
}

static void test_busid(void)
{
	ok(usbip_busid_valid("1-1") && usbip_busid_valid("12-4.2.10"),
	   "valid busids");
	ok(!usbip_busid_valid("0-1") && !usbip_busid_valid("1-") &&
	   !usbip_busid_valid("1-1.") && !usbip_busid_valid("1-01") &&
	   !usbip_busid_valid("../1-1") && !usbip_busid_valid("1-1\n") &&
	   !usbip_busid_valid(""), "invalid busids");
}

static void test_vhci_port(void)
{
	/* Debian: 8 controllers x 15 ports -> N = 240, P = 30, h = 15 */
	ok(usbip_vhci_port(240, 8, 0, 3) == 0 &&
	   usbip_vhci_port(240, 8, 0, 5) == 15 &&
	   usbip_vhci_port(240, 8, 16, 3) == 31 &&
	   usbip_vhci_port(240, 8, 16, 5) == 46, "vhci port of §7 step 5");
	ok(usbip_vhci_port(240, 8, 120, 3) == -EINVAL &&
	   usbip_vhci_port(16, 1, 7, 5) == 15 &&
	   usbip_vhci_port(16, 1, 8, 2) == -EINVAL, "vhci port out of range");
}

static void put_attr(const char *dir, const char *name, const char *val)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

static void test_sysfs(void)
{
	char root[] = "/tmp/nmb-sysfs-XXXXXX", dir[256], drv[256], buf[512];
	struct usbip_device d;

	if (!mkdtemp(root)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/bus", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/bus/usb", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/bus/usb/drivers", root);
	mkdir(dir, 0755);
	snprintf(drv, sizeof(drv), "%s/bus/usb/drivers/usbip-host", root);
	mkdir(drv, 0755);
	snprintf(dir, sizeof(dir), "%s/bus/usb/devices", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/bus/usb/devices/1-1", root);
	mkdir(dir, 0755);
	put_attr(dir, "busnum", "3\n");
	put_attr(dir, "devnum", "17\n");
	put_attr(dir, "speed", "10000\n");
	put_attr(dir, "idVendor", "1d6b\n");
	put_attr(dir, "idProduct", "0104\n");
	put_attr(dir, "bcdDevice", "0510\n");
	put_attr(dir, "bDeviceClass", "ef\n");
	put_attr(dir, "bDeviceSubClass", "02\n");
	put_attr(dir, "bDeviceProtocol", "01\n");
	put_attr(dir, "bConfigurationValue", "\n");
	put_attr(dir, "bNumConfigurations", "1\n");
	put_attr(dir, "bNumInterfaces", "\n");
	put_attr(dir, "usbip_status", "1\n");
	put_attr(dir, "usbip_sockfd", "");
	put_attr(drv, "match_busid", "");
	snprintf(buf, sizeof(buf), "%s/driver", dir);
	symlink(drv, buf);
	usbip_set_sysfs_root(root);
	ok(usbip_read_device("1-1", &d) == 0 && d.busnum == 3 &&
	   d.devnum == 17 && d.vendor == 0x1d6b && d.bcd_device == 0x0510 &&
	   d.dev_class == 0xef && d.configuration_value == 0 &&
	   d.num_interfaces == 0 && d.speed == 0 &&
	   !strcmp(d.path, "/sys/bus/usb/devices/1-1"),
	   "device read from sysfs (empty values 0, 10000 -> 0)");
	ok(usbip_read_device("1-2", &d) == -ENOENT, "absent device: ENOENT");
	ok(usbip_device_driver("1-1", buf, sizeof(buf)) == 0 &&
	   !strcmp(buf, "usbip-host"), "driver name from symlink");
	ok(usbip_status("1-1") == 1, "usbip_status");
	ok(usbip_set_sockfd("1-1", 7) == 0 && usbip_match_busid("1-1", true) == 0,
	   "sockfd and match_busid writes");
	snprintf(buf, sizeof(buf), "%s/usbip_sockfd", dir);
	{
		char line[32] = "";
		FILE *f = fopen(buf, "r");

		if (f) {
			if (!fgets(line, sizeof(line), f))
				line[0] = '\0';
			fclose(f);
		}
		ok(!strcmp(line, "7\n"), "usbip_sockfd got \"7\\n\"");
	}
	ok(usbip_host_loaded(), "usbip-host seen");
	ok(usbip_set_sockfd("../x", 1) == -EINVAL, "busid checked before use");
	usbip_set_sysfs_root(NULL);
	snprintf(buf, sizeof(buf), "rm -rf %s", root);
	if (system(buf))
		fprintf(stderr, "# cannot remove %s\n", root);
}

int main(void)
{
	printf("TAP version 13\n");
	test_req_import();
	test_rep_import();
	test_speed();
	test_busid();
	test_vhci_port();
	test_sysfs();
	return tap_done();
}
