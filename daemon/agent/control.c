// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - the control socket for nmbctl (Documentation/agent-api.rst):
 * accepts one lib/unixrpc connection per command, checks each method's
 * parameters and hands the call to the module that owns it (reservation,
 * attach, place_query). A request that needs the server waits for its
 * connection first (connwait). A connection that closes cancels its
 * running calls: a queued reserve is withdrawn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "agent.h"
#include "attach.h"
#include "connwait.h"
#include "control.h"
#include "list.h"
#include "log.h"
#include "login.h"
#include "loop.h"
#include "match.h"
#include "place_query.h"
#include "protocol.h"
#include "reservation.h"
#include "unixrpc.h"

#define ARGS(req, params, nreq, out, ...)				\
	({								\
		char err_[200];						\
		int r_ = rpc_args(params, (const char *[]){ __VA_ARGS__, \
					  NULL }, nreq, out, err_,	\
				  sizeof(err_));			\
		if (r_)							\
			unixrpc_error(req, "invalid", "%s() %s",	\
				      rpc_req_method(req), err_);	\
		r_;							\
	})

/* One open nmbctl connection. */
struct client {
	struct agent *a;
	struct unixrpc *u;
	struct list_head node;		/* in control->clients */
};

struct control {
	int listen_fd;
	struct loop_fd *listen_lfd;
	bool own_socket;
	struct list_head clients;	/* freed at stop */
};

/* The agent, from a handler's ctx (the unixrpc of its connection). */
static struct agent *agent_of(void *ctx)
{
	struct client *c = unixrpc_arg(ctx);

	return c->a;
}

static const char *str_arg(json_object *o)
{
	return json_object_is_type(o, json_type_string) ?
	       json_object_get_string(o) : NULL;
}

static bool need_str(struct rpc_req *req, json_object *o, const char *what)
{
	if (str_arg(o))
		return true;
	unixrpc_error(req, "invalid", "%s: expected a string", what);
	return false;
}

static struct reservation *need_res(struct agent *a, struct rpc_req *req,
				    json_object *name)
{
	struct reservation *r;

	if (!need_str(req, name, "name"))
		return NULL;
	r = res_find(a, json_object_get_string(name));
	if (!r)
		unixrpc_error(req, "not-found",
			      "no reservation named '%s'; see nmbctl list",
			      json_object_get_string(name));
	return r;
}

/* Parses the import description of reservation name; NULL if invalid. */
static struct match_import *need_import(struct rpc_req *req,
					const char *text, const char *name)
{
	struct match_import *imp;
	char err[600], file[300];

	snprintf(file, sizeof(file), "%s.yaml", name);
	if (match_import_parse(text, file, &imp, err, sizeof(err))) {
		unixrpc_error(req, "invalid", "%s", err);
		return NULL;
	}
	return imp;
}

static void m_reserve(struct rpc_req *req, json_object *params, void *ctx)
{
	struct agent *a = agent_of(ctx);
	struct reserve_args args = { 0 };
	json_object *x[6];
	char err[600];

	if (ARGS(req, params, 2, x, "name", "import_description",
		 "place_name", "priority", "wait", "progress") ||
	    !need_str(req, x[0], "name") ||
	    !need_str(req, x[1], "import_description") ||
	    (x[2] && !need_str(req, x[2], "place_name")))
		return;
	if (x[3] && (!json_object_is_type(x[3], json_type_int) ||
		     json_object_get_int(x[3]) < -1000 ||
		     json_object_get_int(x[3]) > 1000))
		return unixrpc_error(req, "invalid",
				     "priority: expected an integer from -1000 to 1000");
	args.name = json_object_get_string(x[0]);
	args.text = json_object_get_string(x[1]);
	if (res_find(a, args.name))
		return unixrpc_error(req, "conflict",
				     "'%s' is already reserved; return it first or use another name",
				     args.name);
	args.imp = need_import(req, args.text, args.name);
	if (!args.imp)
		return;
	if (res_check_ports(a, args.imp, args.name, err, sizeof(err))) {
		match_import_free(args.imp);
		return unixrpc_error(req, "conflict", "%s", err);
	}
	if (connwait(a, req, params, m_reserve, ctx)) {
		match_import_free(args.imp);
		return;
	}
	args.pin = x[2] ? json_object_get_string(x[2]) : NULL;
	args.priority = x[3] ? json_object_get_int(x[3]) : 0;
	args.no_wait = x[4] && !json_object_get_boolean(x[4]);
	args.progress = x[5] && json_object_get_boolean(x[5]);
	res_reserve(a, req, &args);
}

static void m_return_reservation(struct rpc_req *req, json_object *params,
				 void *ctx)
{
	struct reservation *r;
	json_object *x[2];

	if (ARGS(req, params, 1, x, "name", "force"))
		return;
	r = need_res(agent_of(ctx), req, x[0]);
	if (r)
		res_return_req(r, x[1] && json_object_get_boolean(x[1]), req);
}

static void m_attach(struct rpc_req *req, json_object *params, void *ctx)
{
	struct reservation *r;
	json_object *x[2];
	int timeout = AGENT_ATTACH_TIMEOUT_S;

	if (ARGS(req, params, 1, x, "name", "timeout"))
		return;
	r = need_res(agent_of(ctx), req, x[0]);
	if (!r)
		return;
	if (x[1]) {
		timeout = json_object_get_int(x[1]);
		if (!json_object_is_type(x[1], json_type_int) || timeout < 1 ||
		    timeout > 3600)
			return unixrpc_error(req, "invalid",
					     "timeout: expected seconds from 1 to 3600");
	}
	attach_req(r, req, (unsigned int)timeout);
}

static void m_detach(struct rpc_req *req, json_object *params, void *ctx)
{
	struct reservation *r;
	json_object *x[1];

	if (ARGS(req, params, 1, x, "name"))
		return;
	r = need_res(agent_of(ctx), req, x[0]);
	if (!r)
		return;
	attach_stop(r);
	rpc_reply(req, NULL);
}

static void m_list(struct rpc_req *req, json_object *params, void *ctx)
{
	json_object *x[1];

	if (!ARGS(req, params, 0, x, NULL))
		rpc_reply(req, res_list(agent_of(ctx)));
}

static void m_status(struct rpc_req *req, json_object *params, void *ctx)
{
	json_object *x[1];

	if (!ARGS(req, params, 0, x, NULL))
		rpc_reply(req, attach_status_all(agent_of(ctx)));
}

static void m_search(struct rpc_req *req, json_object *params, void *ctx)
{
	struct agent *a = agent_of(ctx);
	struct match_import *imp = NULL;
	json_object *x[1];
	char err[600];

	if (ARGS(req, params, 0, x, "import_description"))
		return;
	if (x[0] && !need_str(req, x[0], "import_description"))
		return;
	if (x[0] && match_import_parse(json_object_get_string(x[0]),
				       "import description", &imp, err,
				       sizeof(err)))
		return unixrpc_error(req, "invalid", "%s", err);
	if (connwait(a, req, params, m_search, ctx)) {
		match_import_free(imp);
		return;
	}
	query_search(a, req, imp);
}

static void m_get_place_by_name(struct rpc_req *req, json_object *params,
				void *ctx)
{
	struct agent *a = agent_of(ctx);
	json_object *x[1];

	if (ARGS(req, params, 1, x, "place_name") ||
	    !need_str(req, x[0], "place_name") ||
	    connwait(a, req, params, m_get_place_by_name, ctx))
		return;
	query_place(a, req, json_object_get_string(x[0]), NULL);
}

static void m_get_reserved_place(struct rpc_req *req, json_object *params,
				 void *ctx)
{
	struct agent *a = agent_of(ctx);
	json_object *x[1];

	if (ARGS(req, params, 1, x, "name") || !need_res(a, req, x[0]) ||
	    connwait(a, req, params, m_get_reserved_place, ctx))
		return;
	query_place(a, req, NULL, json_object_get_string(x[0]));
}

static void m_get_reservations(struct rpc_req *req, json_object *params,
			       void *ctx)
{
	struct agent *a = agent_of(ctx);
	json_object *x[1];

	if (ARGS(req, params, 0, x, NULL) ||
	    connwait(a, req, params, m_get_reservations, ctx))
		return;
	query_reservations(a, req);
}

static void m_get_import_description(struct rpc_req *req,
				     json_object *params, void *ctx)
{
	struct reservation *r;
	json_object *x[1];

	if (ARGS(req, params, 1, x, "name"))
		return;
	r = need_res(agent_of(ctx), req, x[0]);
	if (r)
		rpc_reply(req, json_object_new_string(r->text));
}

static void m_update_import_description(struct rpc_req *req,
					json_object *params, void *ctx)
{
	struct reservation *r;
	json_object *x[2];

	if (ARGS(req, params, 2, x, "name", "import_description"))
		return;
	r = need_res(agent_of(ctx), req, x[0]);
	if (r && need_str(req, x[1], "import_description"))
		res_update_description(r, json_object_get_string(x[1]), req);
}

static void m_login(struct rpc_req *req, json_object *params, void *ctx)
{
	struct agent *a = agent_of(ctx);
	json_object *x[1];

	if (ARGS(req, params, 0, x, "hub") ||
	    (x[0] && !need_str(req, x[0], "hub")))
		return;
	if (x[0] && strcmp(json_object_get_string(x[0]), a->cfg.server) != 0)
		return unixrpc_error(req, "invalid",
				     "this agent serves %s, not %s; log in to the agent's server, or run an agent for the other one",
				     a->cfg.server,
				     json_object_get_string(x[0]));
	if (connwait(a, req, params, m_login, ctx))
		return;
	login_start(a, req);
}

static const struct rpc_method methods[] = {
	{ CTL_LOGIN, m_login },
	{ CTL_RESERVE, m_reserve },
	{ CTL_RETURN_RESERVATION, m_return_reservation },
	{ CTL_ATTACH, m_attach },
	{ CTL_DETACH, m_detach },
	{ CTL_LIST, m_list },
	{ CTL_STATUS, m_status },
	{ CTL_SEARCH, m_search },
	{ CTL_GET_PLACE_BY_NAME, m_get_place_by_name },
	{ CTL_GET_RESERVED_PLACE, m_get_reserved_place },
	{ CTL_GET_RESERVATIONS, m_get_reservations },
	{ CTL_GET_IMPORT_DESCRIPTION, m_get_import_description },
	{ CTL_UPDATE_IMPORT_DESCRIPTION, m_update_import_description },
	{ NULL, NULL },
};

static void client_free(struct client *c)
{
	list_del(&c->node);
	unixrpc_free(c->u);
	free(c);
}

static void closed(struct unixrpc *u, void *arg)
{
	(void)u;
	client_free(arg);
}

static void on_accept(struct loop_fd *lfd, uint32_t events, void *arg)
{
	struct agent *a = arg;
	struct control *ctl = a->control;
	struct client *c;
	int fd;

	(void)events;
	fd = accept4(loop_fd_fd(lfd), NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c)
		c->a = a;
	if (!c || unixrpc_new(a->loop, fd, methods, c, closed, &c->u)) {
		log_warn("control socket %s: out of memory, connection refused",
			 a->cfg.socket);
		free(c);
		close(fd);
		return;
	}
	list_add(&c->node, &ctl->clients);
}

static int open_socket(struct agent *a, struct control *ctl)
{
	int n = sd_listen_fds(1);

	if (n > 1) {
		log_err("systemd passed %d sockets; nmb-agent.socket must have exactly one",
			n);
		return -EINVAL;
	}
	if (n == 1) {
		ctl->listen_fd = SD_LISTEN_FDS_START;
		log_info("control socket from systemd");
		return 0;
	}
	ctl->listen_fd = unixrpc_listen(a->cfg.socket, 0660, a->cfg.group);
	if (ctl->listen_fd < 0) {
		log_err("cannot listen on %s: %s; does its folder exist, and is another agent running?",
			a->cfg.socket, strerror(-ctl->listen_fd));
		return ctl->listen_fd;
	}
	ctl->own_socket = true;
	return 0;
}

int control_start(struct agent *a)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	int ret;

	if (!ctl)
		return -ENOMEM;
	ctl->listen_fd = -1;
	INIT_LIST_HEAD(&ctl->clients);
	a->control = ctl;
	ret = open_socket(a, ctl);
	if (ret)
		return ret;
	ctl->listen_lfd = loop_fd_add(a->loop, ctl->listen_fd, EPOLLIN,
				      on_accept, a);
	return ctl->listen_lfd ? 0 : -ENOMEM;
}

void control_stop(struct agent *a)
{
	struct control *ctl = a->control;

	if (!ctl)
		return;
	while (!list_empty(&ctl->clients))
		client_free(list_first_entry(&ctl->clients, struct client,
					     node));
	loop_fd_del(ctl->listen_lfd);
	if (ctl->listen_fd >= 0)
		close(ctl->listen_fd);
	if (ctl->own_socket)
		unlink(a->cfg.socket);
	free(ctl);
	a->control = NULL;
}
