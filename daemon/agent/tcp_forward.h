/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp_forward.h - one imported TCP interface (tcp_forward.c).
 */
#ifndef NMB_AGENT_TCP_FORWARD_H
#define NMB_AGENT_TCP_FORWARD_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct agent;
struct reservation;
struct tcp_forward;

int tcp_forward_new(struct reservation *r, const char *part,
		    const char *iface, unsigned int local_port,
		    const char *host, unsigned int port, const char *target,
		    struct tcp_forward **out, char *err, size_t errlen);
void tcp_forward_free(struct tcp_forward *f);
void tcp_forward_status(struct tcp_forward *f, json_object *o);
/* Bytes of the TCP connections still open, over every reservation. */
void tcp_forward_live_bytes(struct agent *a, uint64_t *to_local,
			    uint64_t *to_remote);

#endif /* NMB_AGENT_TCP_FORWARD_H */
