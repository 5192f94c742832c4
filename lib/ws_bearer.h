/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ws_bearer.h - a bearer token offered as a WebSocket subprotocol
 * ("nmb-bearer.<hex>"), the way a browser page can send one.
 */
#ifndef NMB_WS_BEARER_H
#define NMB_WS_BEARER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Looks through protocols (a Sec-WebSocket-Protocol value, comma and/or
 * space separated) for the first "nmb-bearer.HEX" and decodes HEX into
 * out (NUL-terminated). False if there is none, or it is malformed (odd
 * length, a non-hex digit, a NUL byte) or does not fit in size.
 */
bool ws_bearer_from_protocols(const char *protocols, char *out, size_t size);

#endif /* NMB_WS_BEARER_H */
