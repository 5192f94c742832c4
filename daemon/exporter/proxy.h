/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proxy.h - the HTTP CONNECT proxy of a place (proxy.c) and its
 * allow-list.
 */
#ifndef NMB_EXPORTER_PROXY_H
#define NMB_EXPORTER_PROXY_H

#include <stdbool.h>
#include <stddef.h>

struct place;

int proxy_start(struct place *p);
/* Closes the listeners and every connection of p. */
void proxy_stop(struct place *p);
/* Normalises an IP literal (IPv4-mapped -> dotted). -EINVAL if not one. */
int ip_normalise(const char *in, char *out, size_t size);
/*
 * A connected socket (a dial-out data connection, dial_out.c) enters
 * p's proxy as an accepted one from peer would: the allow-list, the
 * CONNECT head, then a USB or TCP tunnel. The proxy owns fd from here.
 */
void proxy_adopt(struct place *p, int fd, const char *peer);
/*
 * Replaces the grant: the allow-list (taken) and its secret (copied;
 * NULL: none, admit by IP). Cuts every connection the new grant does
 * not admit: from a removed IP, let in by IP when the grant now has a
 * secret, or let in with another grant's secret.
 */
void proxy_set_allowed(struct place *p, char **ips, size_t n,
		       const char *secret);
/* A reload changed the place's ip_fallback; cuts what it no longer admits. */
void proxy_set_ip_fallback(struct place *p, bool on);

#endif /* NMB_EXPORTER_PROXY_H */
