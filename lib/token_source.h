/* SPDX-License-Identifier: GPL-2.0 */
/*
 * token_source.h - the answer of nmb-agent and nmb-exporter to the hub's
 * get_id_token() (auth note §1, §9): an ID token from --token-cmd or
 * from the token store, refreshed at the identity provider when it has
 * expired. Everything runs on the daemon's loop: the command through
 * lib/spawn_capture, the hub's auth-info, the provider's discovery
 * document and token endpoint through lib/http_client. The JSON-RPC
 * request is answered when the token is there (deferred), so the hub
 * may ask while the client's own call (register_place, reserve) waits.
 *
 *	struct token_source_conf c = { .hub_url = "https://hub:2092",
 *		.token_cmd = NULL, .store = NULL, .name = "agent" };
 *	token_source_new(hl, &c, &ts);
 *	...in the get_id_token handler: token_source_answer(ts, req);
 *	token_source_free(ts);		// after the hub channel closed
 *
 * At most 16 requests run at once (more are refused at once).
 * Errors reach the hub as -32603 with a message for the user: "Login
 * required: run nmbctl login ...", "'CMD' exited with N", "identity
 * provider unreachable: URL: why", a store refused for its mode with
 * the chmod to run. A token never appears in a message or a log line.
 */
#ifndef NMB_TOKEN_SOURCE_H
#define NMB_TOKEN_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct hub_lws;
struct rpc_req;
struct token_source;

/* How long --token-cmd may run, and its largest output. */
#define TOKEN_CMD_TIMEOUT_MS	25000
#define TOKEN_CMD_MAX_OUT	((size_t)64 * 1024)

struct token_source_conf {
	const char *hub_url;	/* as given: the store's key */
	const char *token_cmd;	/* NULL: the token store */
	const char *store;	/* the token store's path (required) */
	const char *ca_file;	/* for the hub's and the provider's HTTPS */
	bool insecure;
	const char *name;	/* "agent", "exporter": log lines */
};

/* Strings are copied. Returns 0 or -errno. */
int token_source_new(struct hub_lws *hl, const struct token_source_conf *c,
		     struct token_source **out);
/* Requests still running get an error answer. NULL is fine. */
void token_source_free(struct token_source *ts);
/* Answers req (get_id_token) now or later. */
void token_source_answer(struct token_source *ts, struct rpc_req *req);

/*
 * The hub's HTTP URL for path ("/api/v1/auth-info", "/oidc-callback"):
 * ws becomes http, wss https, the hub's path prefix kept. -EINVAL for a
 * URL lib/url refuses, -ENOSPC.
 */
int token_source_hub_http(const char *hub_url, const char *path, char *buf,
			  size_t size);

#endif /* NMB_TOKEN_SOURCE_H */
