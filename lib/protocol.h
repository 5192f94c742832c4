/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protocol.h - the names of every JSON-RPC method nmb speaks, once.
 *
 * Two interfaces (Documentation/protocol.rst):
 *  - the wire protocol of not-my-board 0.13 between nmb-server and its
 *    exporters and agents (WebSocket /ws), plus nmb's own additions;
 *  - the agent's control socket, between nmb-agent and nmbctl or the
 *    Python package.
 * Parameter names used by more than one file are here too, next to
 * their method.
 */
#ifndef NMB_PROTOCOL_H
#define NMB_PROTOCOL_H

/* --- wire: methods of the server (called by exporters and agents) --- */
#define WIRE_REGISTER_PLACE		"register_place"
#define WIRE_RESERVE			"reserve"
#define WIRE_RETURN_RESERVATION		"return_reservation"
#define WIRE_GET_RESERVATIONS		"get_reservations"
#define WIRE_GET_PLACE_STATS		"get_place_stats"
/* nmb only: capabilities, leases and the farm page */
#define WIRE_HELLO			"hello"
#define WIRE_RENEW_LEASE		"renew_lease"
#define WIRE_SUBSCRIBE_FARM		"subscribe_farm"
/*
 * nmb only: per-reservation secrets. A peer that lists this feature in
 * hello gets them: an agent in the reserve result ({"place_id": N,
 * "secret": S}), an exporter as set_allowed_ips(ips, secret).
 */
#define WIRE_FEATURE_SECRET		"secret"
#define WIRE_PARAM_SECRET		"secret"
/*
 * nmb only: an exporter that lists this feature in hello runs TLS on its
 * relay data connections when relay_open says tls: true; others are
 * not sent that argument (older exporters reject unknown arguments).
 */
#define WIRE_FEATURE_RELAY_TLS		"relay_tls"
#define WIRE_PARAM_PLACE_ID		"place_id"

/* --- wire: methods of an exporter (called by the server) ------------ */
#define WIRE_SET_ALLOWED_IPS		"set_allowed_ips"
/* nmb only: a dial-out place's data connection to the relay */
#define WIRE_RELAY_OPEN			"relay_open"
#define WIRE_RELAY_OPEN_ID		"relay_id"
#define WIRE_RELAY_OPEN_PLACE		"place_id"
#define WIRE_RELAY_OPEN_IP		"ip"
#define WIRE_RELAY_OPEN_PORT		"port"
#define WIRE_RELAY_OPEN_TLS		"tls"	/* optional: true */
#define WIRE_PLACE_RELAY_TLS		"relay_tls"	/* optional: true */

/* --- wire: a part's state, exporter -> server -> holder (nmb only) -- */
#define WIRE_PART_STATE			"part_state"

/* --- wire: OpenID Connect (auth note §1, §8) ------------------------- */
/* of an exporter or agent, called by the hub: its ID token */
#define WIRE_GET_ID_TOKEN		"get_id_token"
/* of the hub: wait for the /oidc-callback of a login's state */
#define WIRE_GET_AUTHENTICATION_RESPONSE	"get_authentication_response"
/* notification of the hub: the state is registered */
#define WIRE_OIDC_CALLBACK_REGISTERED	"oidc_callback_registered"

/* --- wire: notifications of the server to an agent (nmb only) ------- */
#define WIRE_RESERVE_QUEUED		"reserve_queued"
#define WIRE_RESERVATION_LOST		"reservation_lost"
/* --- wire: notification of the server to a subscribe_farm page ------ */
#define WIRE_FARM			"farm"

/* --- JSON-RPC 2.0 itself -------------------------------------------- */
#define RPC_CANCEL			"rpc.cancel"

/* --- the agent's control socket (nmbctl, the Python package) -------- */
#define CTL_RESERVE			"reserve"
#define CTL_RETURN_RESERVATION		"return_reservation"
#define CTL_ATTACH			"attach"
#define CTL_DETACH			"detach"
#define CTL_LIST			"list"
#define CTL_STATUS			"status"
#define CTL_SEARCH			"search"
#define CTL_GET_PLACE_BY_NAME		"get_place_by_name"
#define CTL_GET_RESERVED_PLACE		"get_reserved_place"
#define CTL_GET_RESERVATIONS		"get_reservations"
#define CTL_GET_IMPORT_DESCRIPTION	"get_import_description"
#define CTL_UPDATE_IMPORT_DESCRIPTION	"update_import_description"
/* notification of the agent to nmbctl while a reserve waits */
#define CTL_RESERVE_PROGRESS		"reserve_progress"
/* nmbctl login: the agent runs the OpenID Connect flow */
#define CTL_LOGIN			"login"
/* notification of the agent to nmbctl: the URL to open in a browser */
#define CTL_LOGIN_URL			"login_url"

#endif /* NMB_PROTOCOL_H */
