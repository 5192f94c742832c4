/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tls_relay.h - TLS on relayed data connections (issue 13 item 4;
 * Documentation/protocol.rst, "TLS on the relay"): a non-blocking
 * handshake on the event loop, then kernel TLS both ways so that the
 * socket can go on to splice(2), usbip-host or vhci-hcd as a plain one
 * would, or, where the kernel cannot take the records, a user-space
 * pump (tls_pump.h) behind a socketpair.
 *
 * The handshake leaves nothing for the kernel to trip over: TLS 1.2
 * with an AES-GCM cipher (what Linux offloads both ways), no session
 * tickets, no renegotiation. usbip's sock_recvmsg() has no room for a
 * control message, so any non-data record after the handshake would
 * fail the connection (net/tls/tls_sw.c, tls_record_content_type()).
 */
#ifndef NMB_TLS_RELAY_H
#define NMB_TLS_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct loop;
struct tls_pump;
struct tls_handshake;

/* The first byte of a TLS connection (a handshake record). */
#define TLS_RECORD_HANDSHAKE	0x16

enum tls_path {
	TLS_PATH_KTLS,		/* the kernel encrypts and decrypts */
	TLS_PATH_USERSPACE,	/* tls_pump */
	TLS_PATHS
};

/* "ktls", "userspace": for logs and /metrics. */
const char *tls_path_name(enum tls_path path);

/* A server context with cert and key (PEM files); NULL with *why set. */
SSL_CTX *tls_relay_server_ctx(const char *cert, const char *key,
			      char *why, size_t len);
/*
 * A client context that verifies the server against ca_file (PEM; NULL:
 * the system's store), or, with verify false (tls.verify: false, tests
 * only), accepts any certificate; NULL with *why set.
 */
SSL_CTX *tls_relay_client_ctx(const char *ca_file, bool verify, char *why,
			      size_t len);

struct tls_result {
	int err;		/* 0, or -errno */
	const char *msg;	/* on error: what failed, for logs */
	int fd;			/* on success: plain bytes here */
	enum tls_path path;
	struct tls_pump *pump;	/* TLS_PATH_USERSPACE: the caller's now */
};

/*
 * Runs once from the loop; the handshake is freed before. On success
 * with TLS_PATH_KTLS, fd is the socket itself; with TLS_PATH_USERSPACE
 * the socket belongs to pump and fd is the plain end of its socketpair
 * (closing fd and freeing pump are the caller's). On error the socket
 * is still the caller's.
 */
typedef void (*tls_handshake_cb)(void *arg, const struct tls_result *r);

/*
 * Starts a handshake on the connected non-blocking socket fd, which must
 * not be watched by the loop meanwhile. host (client only; NULL for a
 * server) is the name or IP the certificate must match. NULL with errno
 * set on failure.
 */
struct tls_handshake *tls_handshake_start(struct loop *loop, SSL_CTX *ctx,
					  int fd, const char *host,
					  tls_handshake_cb cb, void *arg);
/* Stops an unfinished handshake; the socket stays the caller's. */
void tls_handshake_cancel(struct tls_handshake *h);

#endif /* NMB_TLS_RELAY_H */
