/* SPDX-License-Identifier: GPL-2.0 */
/*
 * utf8.h - well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 */
#ifndef NMB_UTF8_H
#define NMB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length (2..4) of the well-formed multi-byte sequence at p, with at most
 * left bytes available, its code point in *cp; 0 if there is none.
 */
size_t utf8_seq(const unsigned char *p, size_t left, uint32_t *cp);
/* Are the len bytes at s well-formed UTF-8? */
bool utf8_valid(const void *s, size_t len);

#endif /* NMB_UTF8_H */
