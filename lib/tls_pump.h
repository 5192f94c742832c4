/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tls_pump.h - the slow path of a TLS connection whose records the
 * kernel cannot handle (no tls module, a cipher it cannot offload):
 * SSL_read()/SSL_write() on the event loop between the TLS socket and
 * one end of a socketpair. The other end carries plain bytes and goes
 * where the socket would have gone (splice relay, usbip-host, vhci-hcd,
 * a TCP tunnel), so the rest of the code does not know the difference.
 * Half-close is passed on both ways (close_notify <-> shutdown).
 */
#ifndef NMB_TLS_PUMP_H
#define NMB_TLS_PUMP_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct loop;
struct tls_pump;

/*
 * Runs once, when both directions ended and were passed on (err 0) or
 * on the first error (-errno; the plain end was then closed). The
 * callback may call tls_pump_free().
 */
typedef void (*tls_pump_done_cb)(struct tls_pump *tp, int err, void *arg);

/*
 * Pumps between ssl (handshake done, on the non-blocking socket net)
 * and a new socketpair; *plain gets the caller's end (non-blocking,
 * close-on-exec). The pump owns ssl and net from now on, even on error.
 * done may be NULL. NULL with errno set on failure.
 */
struct tls_pump *tls_pump_new(struct loop *loop, SSL *ssl, int net,
			      int *plain, tls_pump_done_cb done, void *arg);
/*
 * Sets (or replaces) the done callback; false if the pump has finished
 * already, and done will not run.
 */
bool tls_pump_on_done(struct tls_pump *tp, tls_pump_done_cb done,
		      void *arg);
/* Stops, frees ssl and closes the socket and the pump's plain end. */
void tls_pump_free(struct tls_pump *tp);
/* Plain bytes moved: dir 0 TLS -> plain, 1 plain -> TLS. */
uint64_t tls_pump_bytes(const struct tls_pump *tp, int dir);

#endif /* NMB_TLS_PUMP_H */
