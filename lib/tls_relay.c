// SPDX-License-Identifier: GPL-2.0
/*
 * tls_relay.c - handshake on the loop, then kernel TLS or the pump
 * (tls_relay.h). The model is tlshd (ktls-utils): user space does the
 * handshake, the kernel carries the records. OpenSSL 3 does the hand-off
 * itself with SSL_OP_ENABLE_KTLS (setsockopt(TCP_ULP, "tls") and
 * TLS_TX/TLS_RX once the keys are known); BIO_get_ktls_send/recv say
 * whether it worked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "loop.h"
#include "tls_pump.h"
#include "tls_relay.h"

/* The ciphers Linux's tls module offloads both ways, for TLS 1.2. */
#define RELAY_CIPHERS	"ECDHE-ECDSA-AES128-GCM-SHA256:" \
			"ECDHE-RSA-AES128-GCM-SHA256:" \
			"ECDHE-ECDSA-AES256-GCM-SHA384:" \
			"ECDHE-RSA-AES256-GCM-SHA384"

struct tls_handshake {
	struct loop *loop;
	SSL *ssl;
	int fd;
	struct loop_fd *lfd;
	tls_handshake_cb cb;
	void *arg;
};

static const char *const path_names[TLS_PATHS] = { "ktls", "userspace" };

const char *tls_path_name(enum tls_path path)
{
	return path < TLS_PATHS ? path_names[path] : "unknown";
}

static void ssl_why(char *why, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();

	snprintf(why, len, "%s: %s", what,
		 e ? ERR_reason_error_string(e) : "unknown error");
	ERR_clear_error();
}

static SSL_CTX *ctx_new(bool server, char *why, size_t len)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() :
				   TLS_client_method());

	if (!ctx) {
		ssl_why(why, len, "cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS | SSL_OP_NO_TICKET |
			    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, RELAY_CIPHERS) != 1) {
		ssl_why(why, len, "cannot limit TLS to 1.2 with AES-GCM");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *tls_relay_server_ctx(const char *cert, const char *key, char *why,
			      size_t len)
{
	SSL_CTX *ctx = ctx_new(true, why, len);

	if (!ctx)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_why(why, len, "cannot read the certificate");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_why(why, len, "cannot use the private key");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *tls_relay_client_ctx(const char *ca_file, bool verify, char *why,
			      size_t len)
{
	SSL_CTX *ctx = ctx_new(false, why, len);
	int ok;

	if (!ctx)
		return NULL;
	ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) :
	     SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		ssl_why(why, len, "cannot load the CA certificates");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
			   NULL);
	return ctx;
}

static void hs_free(struct tls_handshake *h, bool keep_ssl)
{
	loop_fd_del(h->lfd);
	if (!keep_ssl)
		SSL_free(h->ssl);	/* the socket BIO does not close fd */
	free(h);
}

static void hs_fail(struct tls_handshake *h, int ret)
{
	struct tls_result r = { .err = -EPROTO, .fd = -1 };
	tls_handshake_cb cb = h->cb;
	void *arg = h->arg;
	int e = SSL_get_error(h->ssl, ret), saved = errno;
	long verify = SSL_get_verify_result(h->ssl);
	char msg[256];

	if (verify != X509_V_OK) {
		snprintf(msg, sizeof(msg), "the certificate was refused: %s",
			 X509_verify_cert_error_string(verify));
	} else if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
		r.err = saved ? -saved : -ECONNRESET;
		snprintf(msg, sizeof(msg), "the peer closed during the TLS handshake%s%s",
			 saved ? ": " : "", saved ? strerror(saved) : "");
	} else {
		ssl_why(msg, sizeof(msg), "TLS handshake failed");
	}
	ERR_clear_error();
	r.msg = msg;
	hs_free(h, false);
	cb(arg, &r);
}

static void hs_done(struct tls_handshake *h)
{
	struct tls_result r = { .fd = h->fd, .path = TLS_PATH_KTLS };
	tls_handshake_cb cb = h->cb;
	struct loop *loop = h->loop;
	void *arg = h->arg;
	SSL *ssl = h->ssl;
	int fd = h->fd;

	if (BIO_get_ktls_send(SSL_get_wbio(ssl)) &&
	    BIO_get_ktls_recv(SSL_get_rbio(ssl)) && !SSL_has_pending(ssl)) {
		/* the kernel has the keys: OpenSSL has nothing left to do */
		hs_free(h, false);
		cb(arg, &r);
		return;
	}
	hs_free(h, true);
	r.path = TLS_PATH_USERSPACE;
	r.pump = tls_pump_new(loop, ssl, fd, &r.fd, NULL, NULL);
	if (!r.pump) {
		/* ssl and the socket went with the failed pump */
		r.err = -errno;
		r.fd = -1;
		r.msg = "cannot start the user-space TLS pump";
	}
	cb(arg, &r);
}

static void hs_step(struct tls_handshake *h)
{
	int ret;

	ERR_clear_error();	/* SSL_get_error() reads the whole queue */
	ret = SSL_do_handshake(h->ssl);

	if (ret == 1) {
		hs_done(h);
		return;
	}
	switch (SSL_get_error(h->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		loop_fd_mod(h->lfd, EPOLLIN);
		return;
	case SSL_ERROR_WANT_WRITE:
		loop_fd_mod(h->lfd, EPOLLOUT);
		return;
	default:
		hs_fail(h, ret);
	}
}

static void on_event(struct loop_fd *lfd, uint32_t events, void *arg)
{
	(void)lfd;
	(void)events;
	hs_step(arg);
}

/* host as the name to match: an IP literal, or a DNS name (and SNI). */
static int set_host(SSL *ssl, const char *host)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
						     host) == 1 ? 0 : -EINVAL;
	if (SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1)
		return -EINVAL;
	return 0;
}

struct tls_handshake *tls_handshake_start(struct loop *loop, SSL_CTX *ctx,
					  int fd, const char *host,
					  tls_handshake_cb cb, void *arg)
{
	struct tls_handshake *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->loop = loop;
	h->fd = fd;
	h->cb = cb;
	h->arg = arg;
	h->ssl = SSL_new(ctx);
	if (!h->ssl || SSL_set_fd(h->ssl, fd) != 1 ||
	    (host && set_host(h->ssl, host))) {
		ERR_clear_error();
		hs_free(h, false);
		errno = EINVAL;
		return NULL;
	}
	if (host)
		SSL_set_connect_state(h->ssl);
	else
		SSL_set_accept_state(h->ssl);
	/* a client speaks first; the first step runs from the loop */
	h->lfd = loop_fd_add(loop, fd, host ? EPOLLOUT : EPOLLIN, on_event, h);
	if (!h->lfd) {
		int err = errno;

		hs_free(h, false);
		errno = err;
		return NULL;
	}
	return h;
}

void tls_handshake_cancel(struct tls_handshake *h)
{
	if (h)
		hs_free(h, false);
}
