// SPDX-License-Identifier: GPL-2.0
/*
 * token_source.c - get_id_token answered from --token-cmd or the token
 * store (see token_source.h). Each request is one job; a job waits for
 * one thing at a time (the hub's auth-info, the command, the store's
 * lock, the provider's discovery document, its token endpoint) and
 * answers its request at the end. A cancelled request (rpc.cancel, or
 * the hub connection closing) frees its job and everything it waits for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <openssl/crypto.h>

#include "http_client.h"
#include "hub_client.h"
#include "jsonrpc.h"
#include "jwks.h"
#include "log.h"
#include "loop.h"
#include "oidc_client.h"
#include "spawn_capture.h"
#include "token_source.h"
#include "token_store.h"
#include "utf8.h"

#define LOCK_RETRY_MS		50
#define LOCK_TRIES		100	/* 5 s */
#define IDP_TIMEOUT_MS		10000
/* get_id_token requests running at once; more are refused (a hub asks
 * one per connection, and again after expiry) */
#define JOBS_MAX		16

struct job {
	struct token_source *ts;
	struct rpc_req *req;
	struct http_client_req *http;
	struct spawn_capture *cmd;
	struct loop_timer *timer;	/* the store's lock, again */
	unsigned int lock_tries;
	/* a refresh */
	char *iss, *aud, *refresh, *endpoint;
	struct oidc_tokens fresh;
	LIST_ENTRY(job) link;
};

struct token_source {
	struct hub_lws *hl;
	struct loop *loop;
	char *hub_url, *token_cmd, *store, *ca_file, *name;
	bool insecure;
	char *cmd;		/* token_cmd substituted, once auth-info came */
	LIST_HEAD(, job) jobs;
	unsigned int n_jobs;
};

static void secret_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static void job_free(struct job *j)
{
	LIST_REMOVE(j, link);
	j->ts->n_jobs--;
	http_client_cancel(j->http);
	spawn_capture_cancel(j->cmd);
	loop_timer_free(j->timer);
	free(j->iss);
	free(j->aud);
	free(j->endpoint);
	secret_free(j->refresh);
	oidc_tokens_free(&j->fresh);
	free(j);
}

static void on_cancel(struct rpc_req *req, void *data)
{
	struct job *j = data;

	(void)req;
	job_free(j);
}

static void done_token(struct job *j, const char *token)
{
	rpc_req_on_cancel(j->req, NULL, NULL);
	rpc_reply(j->req, json_object_new_string(token));
	job_free(j);
}

static void done_error(struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void done_error(struct job *j, const char *fmt, ...)
{
	char msg[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s: no ID token for the hub: %s", j->ts->name, msg);
	rpc_req_on_cancel(j->req, NULL, NULL);
	rpc_error(j->req, RPC_INTERNAL_ERROR, msg);
	job_free(j);
}

int token_source_hub_http(const char *hub_url, const char *path, char *buf,
			  size_t size)
{
	const char *rest = hub_url, *scheme = "";
	int n;

	if (!strncmp(hub_url, "ws://", 5)) {
		scheme = "http://";
		rest = hub_url + 5;
	} else if (!strncmp(hub_url, "wss://", 6)) {
		scheme = "https://";
		rest = hub_url + 6;
	} else if (strncmp(hub_url, "http://", 7) != 0 &&
		   strncmp(hub_url, "https://", 8) != 0) {
		return -EINVAL;
	}
	/* a plain concatenation, as not-my-board does (auth note §10.3) */
	n = snprintf(buf, size, "%s%s%s", scheme, rest, path);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

static struct http_client_req *fetch(struct job *j, const char *url,
				     const char *form, http_client_cb cb)
{
	const struct http_client_opts o = {
		.ca_file = j->ts->ca_file,
		.insecure = j->ts->insecure,
		.timeout_ms = IDP_TIMEOUT_MS,
		.body_max = OIDC_MAX_ANSWER,
		.form = form,
	};

	return http_client_start(j->ts->hl, url, &o, cb, j);
}

/* --- --token-cmd ------------------------------------------------------ */

static void cmd_done(void *arg, int status, const char *out, size_t len,
		     const char *err)
{
	struct job *j = arg;
	char *tok;

	j->cmd = NULL;
	if (err)
		return done_error(j, "'%s': %s", j->ts->cmd, err);
	if (status)
		return done_error(j, "'%s' exited with %d", j->ts->cmd, status);
	while (len && strchr(" \t\r\n\v\f", out[len - 1]))
		len--;
	if (!len)
		return done_error(j, "'%s' printed no token", j->ts->cmd);
	if (!utf8_valid(out, len) || memchr(out, '\0', len))
		return done_error(j, "'%s' printed something else than UTF-8 text",
				  j->ts->cmd);
	tok = strndup(out, len);
	if (!tok)
		return done_error(j, "out of memory");
	done_token(j, tok);
	secret_free(tok);
}

static void run_cmd(struct job *j)
{
	char *argv[] = { "/bin/sh", "-c", j->ts->cmd, NULL };

	j->cmd = spawn_capture_start(j->ts->loop, argv, TOKEN_CMD_MAX_OUT,
				     TOKEN_CMD_TIMEOUT_MS, cmd_done, j);
	if (!j->cmd)
		done_error(j, "cannot run /bin/sh for '%s': %s", j->ts->cmd,
			   strerror(errno));
}

static void auth_info_done(void *arg, int status, const char *body,
			   size_t len, const char *err)
{
	struct job *j = arg;
	struct oidc_auth_info ai;
	const char *why;
	int e;

	j->http = NULL;
	if (err)
		return done_error(j, "cannot get the hub's auth-info for --token-cmd: %s",
				  err);
	if (status != 200)
		return done_error(j, "the hub's auth-info answered HTTP %d",
				  status);
	e = oidc_auth_info_parse(body, len, &ai, &why);
	if (e)
		return done_error(j, "%s", why);
	if (!j->ts->cmd &&
	    oidc_cmd_substitute(j->ts->token_cmd, ai.issuer, ai.client_id,
				&j->ts->cmd)) {
		oidc_auth_info_free(&ai);
		return done_error(j, "out of memory");
	}
	oidc_auth_info_free(&ai);
	run_cmd(j);
}

static void from_cmd(struct job *j)
{
	char url[2048];

	if (j->ts->cmd)
		return run_cmd(j);
	if (token_source_hub_http(j->ts->hub_url, "/api/v1/auth-info", url,
				  sizeof(url)))
		return done_error(j, "hub URL %s has no HTTP form",
				  j->ts->hub_url);
	j->http = fetch(j, url, NULL, auth_info_done);
	if (!j->http)
		done_error(j, "cannot ask the hub %s for auth-info: %s", url,
			   strerror(errno));
}

/* --- the token store --------------------------------------------------- */

static void from_store(struct job *j);
static void save_fresh(struct job *j);

static void lock_again(struct loop_timer *t, void *arg)
{
	struct job *j = arg;

	(void)t;
	if (j->fresh.id_token)
		save_fresh(j);
	else
		from_store(j);
}

/* 0 with the lock, 1 when the job waits for it, -1 when it is done. */
static int lock(struct job *j, int *fd)
{
	char why[600];
	int err;

	err = token_store_lock(j->ts->store, false, fd, why, sizeof(why));
	if (err == -EWOULDBLOCK && ++j->lock_tries < LOCK_TRIES) {
		if (!j->timer)
			j->timer = loop_timer_new(j->ts->loop, lock_again, j);
		if (j->timer) {
			loop_timer_set(j->timer, LOCK_RETRY_MS);
			return 1;
		}
	}
	if (err == -ENOENT) {
		done_error(j, "Login required: run nmbctl login (no token store %s)",
			   j->ts->store);
		return -1;
	}
	if (err) {
		done_error(j, "%s", why);
		return -1;
	}
	return 0;
}

static void token_done(void *arg, int status, const char *body, size_t len,
		       const char *err)
{
	struct job *j = arg;
	char why[300];
	int e;

	j->http = NULL;
	if (err)
		return done_error(j, "identity provider unreachable: %s: %s",
				  j->endpoint, err);
	e = oidc_token_response_parse(body, len, false, &j->fresh, why,
				      sizeof(why));
	if (e || status != 200)
		return done_error(j, "the refresh at %s failed (HTTP %d): %s; run nmbctl login",
				  j->endpoint, status,
				  e ? why : "unexpected status");
	j->lock_tries = 0;
	save_fresh(j);
}

static void discovery_done(void *arg, int status, const char *body,
			   size_t len, const char *err)
{
	struct job *j = arg;
	struct oidc_discovery d;
	size_t size = 3 * strlen(j->refresh) + 3 * strlen(j->aud) + 128;
	const char *why;
	char *form;

	j->http = NULL;
	if (err)
		return done_error(j, "identity provider unreachable: %s: %s",
				  j->iss, err);
	if (status != 200)
		return done_error(j, "identity provider %s: discovery answered HTTP %d",
				  j->iss, status);
	if (oidc_discovery_parse(body, len, j->iss, false, &d, &why))
		return done_error(j, "identity provider %s: %s", j->iss, why);
	if (!d.token_endpoint) {
		oidc_discovery_free(&d);
		return done_error(j, "identity provider %s has no token_endpoint",
				  j->iss);
	}
	j->endpoint = strdup(d.token_endpoint);
	oidc_discovery_free(&d);
	form = calloc(1, size);
	if (!j->endpoint || !form ||
	    http_form_add(form, size, "grant_type", "refresh_token") ||
	    http_form_add(form, size, "refresh_token", j->refresh) ||
	    http_form_add(form, size, "client_id", j->aud)) {
		secret_free(form);
		return done_error(j, "cannot form the refresh request");
	}
	log_info("%s: the stored ID token has expired; refreshing it at %s",
		 j->ts->name, j->endpoint);
	j->http = fetch(j, j->endpoint, form, token_done);
	secret_free(form);
	if (!j->http)
		done_error(j, "identity provider unreachable: %s: %s",
			   j->endpoint, strerror(errno));
}

static void refresh(struct job *j)
{
	char url[OIDC_MAX_URL + 64];
	size_t n;

	if (!j->iss || !j->aud || !j->refresh)
		return done_error(j, "Login required: run nmbctl login (the stored ID token has expired and cannot be refreshed)");
	n = strlen(j->iss);
	snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
		 (int)(n && j->iss[n - 1] == '/' ? n - 1 : n), j->iss);
	j->http = fetch(j, url, NULL, discovery_done);
	if (!j->http)
		done_error(j, "identity provider unreachable: %s: %s", j->iss,
			   strerror(errno));
}

static void from_store(struct job *j)
{
	char *text = NULL, *id = NULL;
	const char *why = "";
	size_t len;
	int fd, err;

	if (lock(j, &fd))
		return;
	err = token_store_read(fd, &text, &len);
	token_store_unlock(fd);
	if (err)
		return done_error(j, "cannot read the token store %s: %s",
				  j->ts->store, strerror(-err));
	err = token_store_lookup(text, len, j->ts->hub_url, &id, &j->refresh,
				 &why);
	secret_free(text);
	if (err == -ENOENT)
		return done_error(j, "Login required: run nmbctl login (no token for %s in %s)",
				  j->ts->hub_url, j->ts->store);
	if (err)
		return done_error(j, "token store %s: %s", j->ts->store, why);
	if (oidc_id_token_fresh(id, time(NULL), &j->iss, &j->aud)) {
		done_token(j, id);
		secret_free(id);
		return;
	}
	secret_free(id);
	refresh(j);
}

static void save_fresh(struct job *j)
{
	char *text = NULL, *out = NULL;
	size_t len;
	int fd, err;

	if (lock(j, &fd))
		return;
	err = token_store_read(fd, &text, &len);
	if (!err)
		err = token_store_update(text, len, j->ts->hub_url,
					 j->fresh.id_token,
					 j->fresh.refresh_token, &out);
	if (!err)
		err = token_store_write(fd, out, strlen(out));
	token_store_unlock(fd);
	secret_free(text);
	secret_free(out);
	if (err)
		log_warn("%s: cannot save the refreshed tokens in %s: %s; using them anyway",
			 j->ts->name, j->ts->store, strerror(-err));
	else
		log_info("%s: refreshed ID token saved in %s", j->ts->name,
			 j->ts->store);
	done_token(j, j->fresh.id_token);
}

/* --- the source -------------------------------------------------------- */

void token_source_answer(struct token_source *ts, struct rpc_req *req)
{
	struct job *j;

	if (ts->n_jobs >= JOBS_MAX) {
		log_warn("%s: %u get_id_token requests of the hub are running; one more refused",
			 ts->name, ts->n_jobs);
		return rpc_error(req, RPC_INTERNAL_ERROR,
				 "too many get_id_token requests at once");
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return rpc_error(req, RPC_INTERNAL_ERROR, "out of memory");
	j->ts = ts;
	j->req = req;
	LIST_INSERT_HEAD(&ts->jobs, j, link);
	ts->n_jobs++;
	rpc_req_on_cancel(req, on_cancel, j);
	if (ts->token_cmd)
		from_cmd(j);
	else
		from_store(j);
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*fail = true;
	return d;
}

int token_source_new(struct hub_lws *hl, const struct token_source_conf *c,
		     struct token_source **out)
{
	struct token_source *ts = calloc(1, sizeof(*ts));
	bool fail = false;

	if (!ts)
		return -ENOMEM;
	ts->hl = hl;
	ts->loop = hub_lws_loop(hl);
	LIST_INIT(&ts->jobs);
	ts->hub_url = dup_or_null(c->hub_url, &fail);
	ts->token_cmd = dup_or_null(c->token_cmd, &fail);
	ts->store = dup_or_null(c->store, &fail);
	ts->ca_file = dup_or_null(c->ca_file, &fail);
	ts->name = dup_or_null(c->name ? c->name : "client", &fail);
	ts->insecure = c->insecure;
	if (fail || !ts->hub_url || !ts->store) {
		token_source_free(ts);
		return -ENOMEM;
	}
	*out = ts;
	return 0;
}

void token_source_free(struct token_source *ts)
{
	if (!ts)
		return;
	while (!LIST_EMPTY(&ts->jobs))
		done_error(LIST_FIRST(&ts->jobs), "the %s stops", ts->name);
	free(ts->hub_url);
	free(ts->token_cmd);
	free(ts->store);
	free(ts->ca_file);
	free(ts->name);
	free(ts->cmd);
	free(ts);
}
