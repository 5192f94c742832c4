// SPDX-License-Identifier: GPL-2.0
/*
 * usbip.c - USB/IP import PDUs and the usbip-host / vhci-hcd sysfs
 * hand-offs (see usbip.h for the speed rule).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "usbip.h"

#define USB_DEVICES	"/bus/usb/devices"
#define USBIP_HOST	"/bus/usb/drivers/usbip-host"
#define VHCI		"/devices/platform/vhci_hcd.0"

static const char *sysfs_root = "/sys";

void usbip_set_sysfs_root(const char *root)
{
	sysfs_root = root ? root : "/sys";
}

/* --- PDUs ------------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* [1-9][0-9]* */
static const char *number(const char *s)
{
	if (*s < '1' || *s > '9')
		return NULL;
	while (isdigit((unsigned char)*s))
		s++;
	return s;
}

bool usbip_busid_valid(const char *busid)
{
	const char *s = number(busid);

	if (strlen(busid) >= USBIP_BUSID_SIZE || !s || *s++ != '-')
		return false;
	s = number(s);
	while (s && *s == '.')
		s = number(s + 1);
	return s && *s == '\0';
}

static void put_header(uint8_t *pdu, uint16_t code)
{
	put16(pdu, USBIP_VERSION);
	put16(pdu + 2, code);
	put32(pdu + 4, 0);
}

static int check_header(const uint8_t *pdu, uint16_t code)
{
	if (get16(pdu) != USBIP_VERSION || get16(pdu + 2) != code ||
	    get32(pdu + 4) != 0)
		return -EPROTO;
	return 0;
}

/* Copies a NUL-padded field; -EINVAL if it has no NUL. */
static int get_str(char *dst, const uint8_t *src, size_t size)
{
	const uint8_t *nul = memchr(src, '\0', size);

	if (!nul)
		return -EINVAL;
	memcpy(dst, src, (size_t)(nul - src) + 1);
	return 0;
}

static void put_str(uint8_t *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memset(dst, 0, size);
	memcpy(dst, src, len);
}

void usbip_build_req_import(uint8_t pdu[USBIP_REQ_IMPORT_SIZE],
			    const char *busid)
{
	put_header(pdu, USBIP_OP_REQ_IMPORT);
	put_str(pdu + 8, busid, USBIP_BUSID_SIZE);
}

int usbip_parse_req_import(const uint8_t pdu[USBIP_REQ_IMPORT_SIZE],
			   char busid[USBIP_BUSID_SIZE])
{
	int err = check_header(pdu, USBIP_OP_REQ_IMPORT);

	return err ? err : get_str(busid, pdu + 8, USBIP_BUSID_SIZE);
}

void usbip_build_rep_import(uint8_t pdu[USBIP_REP_IMPORT_SIZE],
			    const struct usbip_device *d)
{
	put_header(pdu, USBIP_OP_REP_IMPORT);
	put_str(pdu + 8, d->path, USBIP_PATH_SIZE);
	put_str(pdu + 264, d->busid, USBIP_BUSID_SIZE);
	put32(pdu + 296, d->busnum);
	put32(pdu + 300, d->devnum);
	put32(pdu + 304, d->speed);
	put16(pdu + 308, d->vendor);
	put16(pdu + 310, d->product);
	put16(pdu + 312, d->bcd_device);
	pdu[314] = d->dev_class;
	pdu[315] = d->dev_subclass;
	pdu[316] = d->dev_protocol;
	pdu[317] = d->configuration_value;
	pdu[318] = d->num_configurations;
	pdu[319] = d->num_interfaces;
}

int usbip_parse_rep_import(const uint8_t pdu[USBIP_REP_IMPORT_SIZE],
			   struct usbip_device *d)
{
	int err = check_header(pdu, USBIP_OP_REP_IMPORT);

	if (err)
		return err;
	memset(d, 0, sizeof(*d));
	if (get_str(d->path, pdu + 8, USBIP_PATH_SIZE) ||
	    get_str(d->busid, pdu + 264, USBIP_BUSID_SIZE))
		return -EPROTO;
	d->busnum = get32(pdu + 296);
	d->devnum = get32(pdu + 300);
	d->speed = get32(pdu + 304);
	d->vendor = get16(pdu + 308);
	d->product = get16(pdu + 310);
	d->bcd_device = get16(pdu + 312);
	d->dev_class = pdu[314];
	d->dev_subclass = pdu[315];
	d->dev_protocol = pdu[316];
	d->configuration_value = pdu[317];
	d->num_configurations = pdu[318];
	d->num_interfaces = pdu[319];
	return 0;
}

uint32_t usbip_speed_parse(const char *s)
{
	static const char *const names[] = {
		"", "1.5", "12", "480", "53.3-480", "5000", "10000",
	};
	unsigned int i;

	if (!strcmp(s, "20000"))
		return 6;
	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return i;
	return 0;
}

uint32_t usbip_speed_wire(uint32_t speed)
{
	return speed <= 5 ? speed : 0;
}

uint32_t usbip_devid(const struct usbip_device *d)
{
	return d->busnum << 16 | (d->devnum & 0xffff);
}

/* --- sysfs ----------------------------------------------------------- */

static int path_of(char *buf, size_t size, const char *fmt, const char *a)
{
	int n = snprintf(buf, size, "%s", sysfs_root);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	n += snprintf(buf + n, size - (size_t)n, fmt, a);
	return (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int dev_attr(const char *busid, const char *attr, char *buf,
		    size_t size)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s" USB_DEVICES "/%s/%s",
			 sysfs_root, busid, attr);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return file_read_line(path, buf, size);
}

/* An attribute parsed in base; empty counts as 0. */
static int dev_num(const char *busid, const char *attr, int base,
		   unsigned long *val)
{
	char buf[64], *end;
	int err = dev_attr(busid, attr, buf, sizeof(buf));

	if (err)
		return err;
	if (!buf[0]) {
		*val = 0;
		return 0;
	}
	errno = 0;
	*val = strtoul(buf, &end, base);
	if (errno || (*end && !isspace((unsigned char)*end)))
		return -EINVAL;
	return 0;
}

int usbip_read_device(const char *busid, struct usbip_device *d)
{
	static const struct {
		const char *name;
		int base;
	} attrs[] = {
		{ "busnum", 10 }, { "devnum", 10 }, { "idVendor", 16 },
		{ "idProduct", 16 }, { "bcdDevice", 16 },
		{ "bDeviceClass", 16 }, { "bDeviceSubClass", 16 },
		{ "bDeviceProtocol", 16 }, { "bConfigurationValue", 16 },
		{ "bNumConfigurations", 16 }, { "bNumInterfaces", 16 },
	};
	unsigned long v[sizeof(attrs) / sizeof(attrs[0])];
	char speed[32];
	unsigned int i;
	int err;

	if (!usbip_busid_valid(busid))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		err = dev_num(busid, attrs[i].name, attrs[i].base, &v[i]);
		if (err)
			return err;
	}
	err = dev_attr(busid, "speed", speed, sizeof(speed));
	if (err)
		return err;
	snprintf(d->path, sizeof(d->path), "/sys" USB_DEVICES "/%s", busid);
	snprintf(d->busid, sizeof(d->busid), "%s", busid);
	d->busnum = (uint32_t)v[0];
	d->devnum = (uint32_t)v[1];
	d->vendor = (uint16_t)v[2];
	d->product = (uint16_t)v[3];
	d->bcd_device = (uint16_t)v[4];
	d->dev_class = (uint8_t)v[5];
	d->dev_subclass = (uint8_t)v[6];
	d->dev_protocol = (uint8_t)v[7];
	d->configuration_value = (uint8_t)v[8];
	d->num_configurations = (uint8_t)v[9];
	d->num_interfaces = (uint8_t)v[10];
	d->speed = usbip_speed_wire(usbip_speed_parse(speed));
	return 0;
}

int usbip_device_driver(const char *busid, char *buf, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;
	int err;

	if (!usbip_busid_valid(busid))
		return -EINVAL;
	err = path_of(path, sizeof(path), USB_DEVICES "/%s", busid);
	if (err)
		return err;
	if (access(path, F_OK))
		return -errno;
	strncat(path, "/driver", sizeof(path) - strlen(path) - 1);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		n = 0;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	snprintf(buf, size, "%s", base ? base + 1 : link);
	return 0;
}

int usbip_status(const char *busid)
{
	unsigned long v;
	int err;

	if (!usbip_busid_valid(busid))
		return -EINVAL;
	err = dev_num(busid, "usbip_status", 10, &v);
	return err ? err : (int)v;
}

int usbip_set_sockfd(const char *busid, int fd)
{
	char path[PATH_MAX], line[16];
	int err;

	if (!usbip_busid_valid(busid))
		return -EINVAL;
	err = path_of(path, sizeof(path), USB_DEVICES "/%s/usbip_sockfd",
		      busid);
	if (err)
		return err;
	snprintf(line, sizeof(line), "%d\n", fd);
	return file_write_str(path, line);
}

int usbip_match_busid(const char *busid, bool add)
{
	char path[PATH_MAX], line[64];
	int err;

	if (!usbip_busid_valid(busid))
		return -EINVAL;
	err = path_of(path, sizeof(path), "%s", USBIP_HOST "/match_busid");
	if (err)
		return err;
	/* No newline: stub_main.c copies the rest of the line verbatim. */
	snprintf(line, sizeof(line), "%s %s", add ? "add" : "del", busid);
	return file_write_str(path, line);
}

int usbip_host_bind(const char *busid)
{
	char path[PATH_MAX];
	int err;

	if (!usbip_busid_valid(busid))
		return -EINVAL;
	err = path_of(path, sizeof(path), "%s", USBIP_HOST "/bind");
	return err ? err : file_write_str(path, busid);
}

int usbip_unbind(const char *busid)
{
	char path[PATH_MAX];
	int err;

	if (!usbip_busid_valid(busid))
		return -EINVAL;
	err = path_of(path, sizeof(path), USB_DEVICES "/%s/driver/unbind",
		      busid);
	return err ? err : file_write_str(path, busid);
}

bool usbip_host_loaded(void)
{
	char path[PATH_MAX];

	return !path_of(path, sizeof(path), "%s", USBIP_HOST) &&
	       !access(path, F_OK);
}

/* --- vhci-hcd -------------------------------------------------------- */

int usbip_vhci_port(unsigned int nports, unsigned int nhcs,
		    unsigned int port_num, uint32_t speed)
{
	unsigned int p, h, port;

	if (!nhcs || nports < nhcs)
		return -EINVAL;
	p = nports / nhcs;
	h = p / 2;
	if (!h)
		return -EINVAL;
	port = (port_num / h) * p + port_num % h;
	if (speed == 5)
		port += h;
	if (port >= nports || port > INT_MAX)
		return -EINVAL;
	return (int)port;
}

int usbip_vhci_geometry(unsigned int *nports, unsigned int *nhcs)
{
	char path[PATH_MAX], buf[32];
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir;
	int err;

	err = path_of(path, sizeof(path), "%s", VHCI "/nports");
	if (err)
		return err;
	err = file_read_line(path, buf, sizeof(buf));
	if (err)
		return err;
	*nports = (unsigned int)strtoul(buf, NULL, 10);
	err = path_of(path, sizeof(path), "%s", "/devices/platform");
	if (err)
		return err;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vhci_hcd.", 9))
			n++;
	closedir(dir);
	*nhcs = n;
	return n ? 0 : -ENODEV;
}

int usbip_vhci_attach(int port, int fd, uint32_t devid, uint32_t speed)
{
	char path[PATH_MAX], line[64];
	int err = path_of(path, sizeof(path), "%s", VHCI "/attach");

	if (err)
		return err;
	snprintf(line, sizeof(line), "%d %d %u %u\n", port, fd, devid, speed);
	return file_write_str(path, line);
}

int usbip_vhci_detach(int port)
{
	char path[PATH_MAX], line[16];
	int err = path_of(path, sizeof(path), "%s", VHCI "/detach");

	if (err)
		return err;
	snprintf(line, sizeof(line), "%d\n", port);
	return file_write_str(path, line);
}
