// SPDX-License-Identifier: GPL-2.0
/*
 * places.c - GET <server>/api/v1/places (wire note §1) on the loop, over
 * plain TCP or TLS (OpenSSL, non-blocking), "Connection: close", the
 * body read to EOF and parsed with json-c.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "agent.h"
#include "log.h"
#include "loop.h"
#include "places.h"

#define BODY_MAX	(16u << 20)
#define TIMEOUT_MS	10000

struct places_req {
	struct agent *a;
	int fd;
	struct loop_fd *lfd;
	struct loop_timer *timer;
	SSL_CTX *sctx;
	SSL *ssl;
	bool connected, handshaken;
	char req[1024];
	size_t req_len, req_off;
	char *buf;
	size_t len, cap;
	places_cb cb;
	void *arg;
};

static void req_free(struct places_req *r)
{
	loop_fd_del(r->lfd);
	loop_timer_free(r->timer);
	if (r->ssl)
		SSL_free(r->ssl);
	if (r->sctx)
		SSL_CTX_free(r->sctx);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}

static void done(struct places_req *r, const char *fmt, const char *s)
{
	json_object *o = NULL, *places = NULL;
	char msg[512];
	const char *body;
	int status = 0;

	if (fmt) {
		snprintf(msg, sizeof(msg), fmt, r->a->cfg.server, s);
		goto fail;
	}
	r->buf[r->len] = '\0';
	body = strstr(r->buf, "\r\n\r\n");
	if (sscanf(r->buf, "HTTP/1.%*1[01] %3d", &status) != 1 || !body) {
		snprintf(msg, sizeof(msg),
			 "server %s: no HTTP answer for the place list",
			 r->a->cfg.server);
		goto fail;
	}
	if (status != 200) {
		snprintf(msg, sizeof(msg),
			 "server %s: the place list answered HTTP %d",
			 r->a->cfg.server, status);
		goto fail;
	}
	o = json_tokener_parse(body + 4);
	if (!o || !json_object_object_get_ex(o, "places", &places) ||
	    !json_object_is_type(places, json_type_array)) {
		snprintf(msg, sizeof(msg),
			 "server %s: the place list is not {\"places\": [...]}",
			 r->a->cfg.server);
		goto fail;
	}
	r->cb(r->arg, places, NULL);
	json_object_put(o);
	req_free(r);
	return;
fail:
	json_object_put(o);
	r->cb(r->arg, NULL, msg);
	req_free(r);
}

static const char *ssl_err(void)
{
	unsigned long e = ERR_get_error();

	return e ? ERR_reason_error_string(e) : "TLS error";
}

/* Returns bytes moved, 0 for EOF, -EAGAIN, or another -errno. */
static ssize_t io(struct places_req *r, bool wr, void *buf, size_t len)
{
	ssize_t n;
	int e;

	if (!r->ssl) {
		n = wr ? send(r->fd, buf, len, MSG_NOSIGNAL) :
			 recv(r->fd, buf, len, 0);
		if (n < 0)
			return errno == EINTR ? -EAGAIN : -errno;
		return n;
	}
	n = wr ? SSL_write(r->ssl, buf, (int)len) :
		 SSL_read(r->ssl, buf, (int)len);
	if (n > 0)
		return n;
	e = SSL_get_error(r->ssl, (int)n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		loop_fd_mod(r->lfd, e == SSL_ERROR_WANT_READ ? EPOLLIN :
			    EPOLLOUT);
		return -EAGAIN;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	return -EPROTO;
}

static int tls_start(struct places_req *r)
{
	r->sctx = SSL_CTX_new(TLS_client_method());
	if (!r->sctx)
		return -ENOMEM;
	if (r->a->cfg.insecure) {
		SSL_CTX_set_verify(r->sctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(r->sctx, SSL_VERIFY_PEER, NULL);
		if (r->a->cfg.ca_file ?
		    !SSL_CTX_load_verify_locations(r->sctx, r->a->cfg.ca_file,
						   NULL) :
		    !SSL_CTX_set_default_verify_paths(r->sctx))
			return -EINVAL;
	}
	r->ssl = SSL_new(r->sctx);
	if (!r->ssl)
		return -ENOMEM;
	SSL_set_fd(r->ssl, r->fd);
	SSL_set_tlsext_host_name(r->ssl, r->a->url.host);
	if (!r->a->cfg.insecure)
		SSL_set1_host(r->ssl, r->a->url.host);
	return 0;
}

/* True once the head and Content-Length bytes of body are in. */
static bool complete(struct places_req *r)
{
	const char *eoh, *cl;
	unsigned long len;

	r->buf[r->len] = '\0';
	eoh = strstr(r->buf, "\r\n\r\n");
	if (!eoh)
		return false;
	cl = strcasestr(r->buf, "\r\ncontent-length:");
	if (!cl || cl > eoh)
		return false;
	len = strtoul(cl + 17, NULL, 10);
	return r->len - (size_t)(eoh + 4 - r->buf) >= len;
}

static void on_fd(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct places_req *r = arg;
	socklen_t sl = sizeof(int);
	int soerr = 0, ret;
	ssize_t n;

	(void)events;
	if (!r->connected) {
		if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ||
		    soerr)
			return done(r, "server %s: cannot connect: %s",
				    strerror(soerr ? soerr : errno));
		r->connected = true;
		if (r->a->url.tls && tls_start(r))
			return done(r, "server %s: TLS setup failed: %s",
				    ssl_err());
	}
	if (r->ssl && !r->handshaken) {
		ret = SSL_connect(r->ssl);
		if (ret != 1) {
			int e = SSL_get_error(r->ssl, ret);

			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE) {
				loop_fd_mod(lfd, e == SSL_ERROR_WANT_READ ?
					    EPOLLIN : EPOLLOUT);
				return;
			}
			return done(r, "server %s: TLS handshake failed: %s; check the CA (tls: ca_file)",
				    ssl_err());
		}
		r->handshaken = true;
	}
	while (r->req_off < r->req_len) {
		n = io(r, true, r->req + r->req_off, r->req_len - r->req_off);
		if (n == -EAGAIN) {
			if (!r->ssl)
				loop_fd_mod(lfd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			return done(r, "server %s: cannot send the request: %s",
				    strerror(n ? (int)-n : EPIPE));
		r->req_off += (size_t)n;
	}
	for (;;) {
		if (r->cap - r->len < 4096) {
			char *p;

			if (r->cap >= BODY_MAX)
				return done(r, "server %s: place list too large%s",
					    "");
			p = realloc(r->buf, r->cap ? r->cap * 2 : 65536);
			if (!p)
				return done(r, "server %s: %s", "out of memory");
			r->buf = p;
			r->cap = r->cap ? r->cap * 2 : 65536;
		}
		n = io(r, false, r->buf + r->len, r->cap - r->len - 1);
		if (n == -EAGAIN) {
			if (!r->ssl)
				loop_fd_mod(lfd, EPOLLIN);
			return;
		}
		if (n < 0)
			return done(r, "server %s: cannot read the place list: %s",
				    strerror((int)-n));
		if (n == 0)
			return done(r, NULL, NULL);
		r->len += (size_t)n;
		if (complete(r))
			return done(r, NULL, NULL);
	}
}

static void on_timeout(struct loop_timer *t, void *arg)
{
	(void)t;
	done(arg, "server %s: no place list after 10 s%s", "");
}

struct places_req *places_fetch(struct agent *a, places_cb cb, void *arg)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct places_req *r = calloc(1, sizeof(*r));
	char port[8], authority[URL_HOST_MAX + 16];
	int ret;

	if (!r)
		return NULL;
	url_authority(&a->url, authority, sizeof(authority));
	r->a = a;
	r->fd = -1;
	r->cb = cb;
	r->arg = arg;
	r->req_len = (size_t)snprintf(r->req, sizeof(r->req),
		"GET %s/api/v1/places HTTP/1.1\r\nHost: %s\r\n"
		"Accept: application/json\r\nConnection: close\r\n%s%s%s\r\n",
		a->url.path, authority,
		a->cfg.token ? "Authorization: Bearer " : "",
		a->cfg.token ? a->cfg.token : "",
		a->cfg.token ? "\r\n" : "");
	if (r->req_len >= sizeof(r->req))
		goto fail;
	snprintf(port, sizeof(port), "%u", a->url.port);
	ret = getaddrinfo(a->url.host, port, &hints, &ai);
	if (ret) {
		log_warn("server %s: cannot resolve %s: %s", a->cfg.server,
			 a->url.host, gai_strerror(ret));
		goto fail;
	}
	r->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, ai->ai_protocol);
	if (r->fd < 0 || (connect(r->fd, ai->ai_addr, ai->ai_addrlen) &&
			  errno != EINPROGRESS)) {
		log_warn("server %s: cannot connect: %s", a->cfg.server,
			 strerror(errno));
		goto fail;
	}
	freeaddrinfo(ai);
	ai = NULL;
	r->lfd = loop_fd_add(a->loop, r->fd, EPOLLOUT, on_fd, r);
	r->timer = loop_timer_new(a->loop, on_timeout, r);
	if (!r->lfd || !r->timer)
		goto fail;
	loop_timer_set(r->timer, TIMEOUT_MS);
	return r;
fail:
	if (ai)
		freeaddrinfo(ai);
	req_free(r);
	return NULL;
}

void places_cancel(struct places_req *r)
{
	if (r)
		req_free(r);
}

const char *places_host(const struct agent *a, json_object *place)
{
	json_object *h;
	const char *host;

	if (!json_object_object_get_ex(place, "host", &h))
		return a->url.host;
	host = json_object_get_string(h);
	return url_is_loopback(host) ? a->url.host : host;
}

json_object *places_find(json_object *places, const char *name, int id)
{
	for (size_t i = 0; i < json_object_array_length(places); i++) {
		json_object *p = json_object_array_get_idx(places, i), *v;

		if (name && json_object_object_get_ex(p, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return p;
		if (!name && json_object_object_get_ex(p, "id", &v) &&
		    json_object_get_int(v) == id)
			return p;
	}
	return NULL;
}
