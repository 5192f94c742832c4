/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay_hello.h - the first bytes of a dial-out exporter's data
 * connection to nmb-server's relay port (Documentation/protocol.rst,
 * "Dial-out places"): one HTTP/1.1 request head naming the one-time
 * relay id the server gave in relay_open,
 *
 *	NMB-RELAY /<32 lower-case hex digits> HTTP/1.1\r\n
 *	Host: nmb-relay\r\n
 *	\r\n
 *
 * and nothing after it until the server forwards the agent's CONNECT.
 * Parsed with lib/http; shared by the server (relay.c) and the exporter
 * (dial_out.c).
 */
#ifndef NMB_RELAY_HELLO_H
#define NMB_RELAY_HELLO_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_ID_LEN		32	/* hex digits of 16 random bytes */
#define RELAY_HELLO_MAX		512	/* a longer head is refused */
#define RELAY_HELLO_METHOD	"NMB-RELAY"

/* True if s is RELAY_ID_LEN lower-case hex digits. */
bool relay_id_valid(const char *s);
/* A fresh random id into id (RELAY_ID_LEN + 1 bytes); 0 or -errno. */
int relay_id_new(char *id);
/* The hello for id; its length, or -ENOSPC / -EINVAL. */
int relay_hello_format(char *buf, size_t size, const char *id);
/*
 * Parses the hello at the start of buf: 0 with id (RELAY_ID_LEN + 1
 * bytes) and *used (the head's length) set, -EAGAIN (incomplete, and
 * still under RELAY_HELLO_MAX), or -EINVAL (anything else).
 */
int relay_hello_parse(const char *buf, size_t len, char *id, size_t *used);

#endif /* NMB_RELAY_HELLO_H */
