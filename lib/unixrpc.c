// SPDX-License-Identifier: GPL-2.0
/*
 * unixrpc.c - line-framed JSON-RPC over a Unix stream socket on lib/loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "unixrpc.h"

struct unixrpc {
	struct loop *loop;
	int fd;
	struct loop_fd *lfd;
	struct rpc_chan *chan;
	void *arg;
	unixrpc_closed_fn closed;
	char *rx;
	size_t rx_len, rx_cap;
	size_t rx_max;		/* longest line accepted */
	char *tx;
	size_t tx_len, tx_cap;
	bool dead;
	const char *kind;		/* set around unixrpc_error() */
	char last_kind[32];
};

static const struct rpc_method no_methods[] = { { NULL, NULL } };

static void update_events(struct unixrpc *u)
{
	if (u->lfd)
		loop_fd_mod(u->lfd, EPOLLIN | (u->tx_len ? EPOLLOUT : 0));
}

static void flush(struct unixrpc *u)
{
	while (u->tx_len && !u->dead) {
		ssize_t n = send(u->fd, u->tx, u->tx_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				u->dead = true;
			break;
		}
		memmove(u->tx, u->tx + n, u->tx_len - (size_t)n);
		u->tx_len -= (size_t)n;
	}
	if (u->dead)
		u->tx_len = 0;
	update_events(u);
}

static int queue(struct unixrpc *u, const char *msg, size_t len)
{
	size_t need = u->tx_len + len + 1;
	char *p;

	if (u->dead)
		return -EPIPE;
	if (need > u->tx_cap) {
		size_t cap = u->tx_cap ? u->tx_cap : 4096;

		while (cap < need)
			cap *= 2;
		p = realloc(u->tx, cap);
		if (!p)
			return -ENOMEM;
		u->tx = p;
		u->tx_cap = cap;
	}
	memcpy(u->tx + u->tx_len, msg, len);
	u->tx[u->tx_len + len] = '\n';
	u->tx_len = need;
	flush(u);
	return 0;
}

/* Adds data.kind to the error message being sent by unixrpc_error(). */
static int send_with_kind(struct unixrpc *u, const char *msg, size_t len)
{
	json_object *o = json_tokener_parse(msg), *err, *data;
	const char *s;
	size_t n;
	int ret;

	if (!o || !json_object_object_get_ex(o, "error", &err)) {
		json_object_put(o);
		return queue(u, msg, len);
	}
	data = json_object_new_object();
	json_object_object_add(data, "kind", json_object_new_string(u->kind));
	json_object_object_add(err, "data", data);
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE,
					      &n);
	ret = queue(u, s, n);
	json_object_put(o);
	return ret;
}

static int chan_send(void *ctx, const char *msg, size_t len)
{
	struct unixrpc *u = ctx;

	if (u->kind)
		return send_with_kind(u, msg, len);
	return queue(u, msg, len);
}

static void note_kind(struct unixrpc *u, const char *line, size_t len)
{
	json_object *o, *err, *data, *kind;

	if (!memmem(line, len, "\"error\"", 7))
		return;
	/* Each error answer stands alone: no kind of an earlier one. */
	u->last_kind[0] = '\0';
	o = json_tokener_parse(line);
	if (o && json_object_object_get_ex(o, "error", &err) &&
	    json_object_object_get_ex(err, "data", &data) &&
	    json_object_object_get_ex(data, "kind", &kind) &&
	    json_object_is_type(kind, json_type_string))
		snprintf(u->last_kind, sizeof(u->last_kind), "%s",
			 json_object_get_string(kind));
	json_object_put(o);
}

static void input(struct unixrpc *u)
{
	char *nl;

	while (!u->dead && (nl = memchr(u->rx, '\n', u->rx_len))) {
		size_t len = (size_t)(nl - u->rx);

		*nl = '\0';
		if (len) {
			note_kind(u, u->rx, len);
			rpc_input(u->chan, u->rx, len);
		}
		u->rx_len -= len + 1;
		memmove(u->rx, nl + 1, u->rx_len);
	}
}

static void close_now(struct unixrpc *u)
{
	if (u->lfd) {
		loop_fd_del(u->lfd);
		u->lfd = NULL;
	}
	u->dead = true;
	rpc_chan_close(u->chan);
	if (u->closed)
		u->closed(u, u->arg);
}

static void on_fd(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct unixrpc *u = arg;
	ssize_t n;

	(void)lfd;
	if (events & EPOLLOUT)
		flush(u);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (u->rx_len == u->rx_cap && u->rx_cap <= u->rx_max) {
			size_t cap = u->rx_cap * 2 > u->rx_max + 1 ?
				     u->rx_max + 1 : u->rx_cap * 2;
			char *rx = realloc(u->rx, cap);

			if (!rx)
				return close_now(u);
			u->rx = rx;
			u->rx_cap = cap;
		}
		n = recv(u->fd, u->rx + u->rx_len, u->rx_cap - u->rx_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			return close_now(u);
		u->rx_len += (size_t)n;
		input(u);
		if (u->rx_len > u->rx_max) {
			log_warn("control socket: message over %zu bytes, closing the connection",
				 u->rx_max);
			return close_now(u);
		}
	}
	if (u->dead)
		close_now(u);
}

void unixrpc_set_rx_max(struct unixrpc *u, size_t max)
{
	u->rx_max = max;
}

int unixrpc_new(struct loop *loop, int fd, const struct rpc_method *methods,
		void *arg, unixrpc_closed_fn closed, struct unixrpc **out)
{
	struct unixrpc *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->loop = loop;
	u->fd = fd;
	u->arg = arg;
	u->closed = closed;
	/* Requests to a server are short (§8: 64 KiB); answers may not be. */
	u->rx_max = methods ? UNIXRPC_LINE_MAX : UNIXRPC_ANSWER_MAX;
	u->rx_cap = UNIXRPC_LINE_MAX + 1;
	u->rx = malloc(u->rx_cap);
	u->chan = rpc_chan_new(methods ? methods : no_methods, chan_send, u);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (u->rx && u->chan)
		u->lfd = loop_fd_add(loop, fd, EPOLLIN, on_fd, u);
	if (!u->lfd) {
		if (u->chan)
			rpc_chan_free(u->chan);
		free(u->rx);
		free(u);
		return -ENOMEM;
	}
	*out = u;
	return 0;
}

void unixrpc_free(struct unixrpc *u)
{
	if (!u)
		return;
	if (u->lfd)
		loop_fd_del(u->lfd);
	rpc_chan_close(u->chan);
	rpc_chan_free(u->chan);
	close(u->fd);
	free(u->rx);
	free(u->tx);
	free(u);
}

struct rpc_chan *unixrpc_chan(const struct unixrpc *u)
{
	return u->chan;
}

void *unixrpc_arg(const void *ctx)
{
	return ((const struct unixrpc *)ctx)->arg;
}

int unixrpc_peer_uid(const struct unixrpc *u)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(u->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -1;
	return (int)cred.uid;
}

void unixrpc_error(struct rpc_req *req, const char *kind, const char *fmt,
		   ...)
{
	struct unixrpc *u = rpc_chan_ctx(rpc_req_chan(req));
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	u->kind = kind;
	rpc_error(req, RPC_INTERNAL_ERROR, msg);
	u->kind = NULL;
}

const char *unixrpc_last_error_kind(const struct unixrpc *u)
{
	return u->last_kind;
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int unixrpc_listen(const char *path, mode_t mode, const char *group)
{
	struct sockaddr_un sa;
	struct group *gr;
	int fd, err;

	err = fill_addr(&sa, path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, mode) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	gr = group ? getgrnam(group) : NULL;
	if (gr && chown(path, (uid_t)-1, gr->gr_gid))
		log_warn("control socket %s: cannot give it to group %s: %s",
			 path, group, strerror(errno));
	return fd;
}

int unixrpc_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, err;

	err = fill_addr(&sa, path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
