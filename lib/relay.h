/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay.h - zero-copy byte relay between two stream sockets on the event
 * loop: splice() through one pipe per direction, half-close passed on
 * (EOF on one side -> shutdown(SHUT_WR) on the other).
 */
#ifndef NMB_RELAY_H
#define NMB_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct relay;

/*
 * Runs once both directions reached EOF and were passed on (err 0), or
 * on the first error (-errno). The callback may call relay_free().
 */
typedef void (*relay_done_cb)(struct relay *r, int err, void *arg);

/*
 * Relays between a and b (both made non-blocking; the relay owns them
 * and closes them in relay_free()). early (may be NULL) is sent to b
 * first: bytes already read from a. Returns 0 or -errno; on error the
 * fds are still the caller's.
 */
int relay_new(struct loop *loop, int a, int b, const void *early,
	      size_t early_len, relay_done_cb done, void *arg,
	      struct relay **out);
void relay_free(struct relay *r);
/* Bytes moved a -> b and b -> a so far. */
uint64_t relay_bytes(const struct relay *r, int dir);

#endif /* NMB_RELAY_H */
