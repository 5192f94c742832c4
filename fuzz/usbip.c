// SPDX-License-Identifier: GPL-2.0
/*
 * usbip.c - fuzz target: USB/IP PDUs (lib/usbip): OP_REQ_IMPORT as the
 * exporter reads it, OP_REP_IMPORT as the agent reads it, and the busid
 * and speed strings they carry.
 */
#include "fuzz.h"
#include "usbip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t req[USBIP_REQ_IMPORT_SIZE] = { 0 };
	uint8_t rep[USBIP_REP_IMPORT_SIZE] = { 0 };
	char busid[USBIP_BUSID_SIZE];
	struct usbip_device dev;
	static bool init;
	char *s;

	if (!init) {
		fuzz_log_init("fuzz-usbip");
		init = true;
	}
	memcpy(req, data, size < sizeof(req) ? size : sizeof(req));
	memcpy(rep, data, size < sizeof(rep) ? size : sizeof(rep));
	if (!usbip_parse_req_import(req, busid)) {
		if (strnlen(busid, sizeof(busid)) == sizeof(busid))
			abort();
		usbip_busid_valid(busid);
	}
	if (!usbip_parse_rep_import(rep, &dev)) {
		usbip_devid(&dev);
		usbip_speed_wire(dev.speed);
		usbip_build_rep_import(rep, &dev);
	}
	s = fuzz_strdup(data, size);
	usbip_busid_valid(s);
	usbip_speed_parse(s);
	free(s);
	return 0;
}
