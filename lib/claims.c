// SPDX-License-Identifier: GPL-2.0
/*
 * claims.c - roles from claims, user names and shown claims, as
 * not-my-board 0.13 derives them, with the differences of claims.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"

unsigned int claims_role_bit(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "exporter"))
		return CLAIMS_ROLE_EXPORTER;
	if (!strcmp(name, "importer"))
		return CLAIMS_ROLE_IMPORTER;
	return 0;
}

static bool is_number(json_object *o)
{
	return json_object_is_type(o, json_type_boolean) ||
	       json_object_is_type(o, json_type_int) ||
	       json_object_is_type(o, json_type_double);
}

/* An integer (or boolean) against a double, exactly as Python does. */
static bool int_eq_double(json_object *i, double d)
{
	int64_t v = json_object_get_int64(i);

	if (!isfinite(d) || d != trunc(d))
		return false;
	if (d >= 9223372036854775808.0)		/* 2^63 */
		return d < 18446744073709551616.0 && v == INT64_MAX &&
		       json_object_get_uint64(i) == (uint64_t)d;
	if (d < -9223372036854775808.0)
		return false;
	return v == (int64_t)d;
}

static bool number_eq(json_object *a, json_object *b)
{
	bool ad = json_object_is_type(a, json_type_double);
	bool bd = json_object_is_type(b, json_type_double);

	if (ad && bd)
		return json_object_get_double(a) == json_object_get_double(b);
	if (ad)
		return int_eq_double(b, json_object_get_double(a));
	if (bd)
		return int_eq_double(a, json_object_get_double(b));
	/* int, uint64 beyond INT64_MAX, or boolean (0, 1) */
	return json_object_get_int64(a) == json_object_get_int64(b) &&
	       (json_object_get_int64(a) != INT64_MAX ||
		json_object_get_uint64(a) == json_object_get_uint64(b));
}

/* Python's == on the JSON values a and b. */
static bool py_equal(json_object *a, json_object *b)
{
	size_t i, n;

	if (!a || !b)
		return !a && !b;	/* json-c's null is NULL */
	if (is_number(a) || is_number(b))
		return is_number(a) && is_number(b) && number_eq(a, b);
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	switch (json_object_get_type(a)) {
	case json_type_string:
		return json_object_get_string_len(a) ==
			       json_object_get_string_len(b) &&
		       !memcmp(json_object_get_string(a),
			       json_object_get_string(b),
			       (size_t)json_object_get_string_len(a));
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!py_equal(json_object_array_get_idx(a, i),
				      json_object_array_get_idx(b, i)))
				return false;
		return true;
	case json_type_object: {
		json_object *bv;

		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return false;
		json_object_object_foreach(a, key, av) {
			if (!json_object_object_get_ex(b, key, &bv) ||
			    !py_equal(av, bv))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

bool claims_value_matches(json_object *want, json_object *have)
{
	size_t i, j, nw, nh;

	if (!have)
		return false;	/* missing (JSON null: see py_equal) */
	if (!json_object_is_type(want, json_type_array))
		return py_equal(want, have);
	if (!json_object_is_type(have, json_type_array))
		return false;
	/* nmb: the token's array must contain every configured value */
	nw = json_object_array_length(want);
	nh = json_object_array_length(have);
	for (i = 0; i < nw; i++) {
		json_object *w = json_object_array_get_idx(want, i);

		for (j = 0; j < nh; j++)
			if (py_equal(w, json_object_array_get_idx(have, j)))
				break;
		if (j == nh)
			return false;
	}
	return true;
}

/* Whether every claim of p matches token. */
static bool permission_matches(const struct claims_permission *p,
			       json_object *token, const char *default_iss)
{
	json_object *have, *iss;

	if (!json_object_is_type(p->claims, json_type_object))
		return false;
	if (default_iss && !json_object_object_get_ex(p->claims, "iss", NULL)) {
		if (!json_object_object_get_ex(token, "iss", &iss) ||
		    !json_object_is_type(iss, json_type_string) ||
		    strcmp(json_object_get_string(iss), default_iss) != 0)
			return false;
	}
	json_object_object_foreach(p->claims, key, want) {
		/* a claim present as JSON null is not missing: None == None */
		if (!json_object_object_get_ex(token, key, &have))
			return false;
		if (!have ? want != NULL : !claims_value_matches(want, have))
			return false;
	}
	return true;
}

unsigned int claims_roles(const struct claims_permission *perms, size_t n,
			  json_object *token, const char *default_iss)
{
	unsigned int roles = 0;
	size_t i;

	if (!json_object_is_type(token, json_type_object))
		return 0;
	for (i = 0; i < n; i++) {
		if (!(perms[i].roles & ~roles))
			continue;
		if (permission_matches(&perms[i], token, default_iss))
			roles |= perms[i].roles;
	}
	return roles;
}

/* A growing string; len < cap always, buf NUL-terminated. */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool nomem;
};

static void sb_add(struct sbuf *sb, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (sb->nomem)
		return;
	if (sb->len + n + 1 > sb->cap) {
		cap = (sb->len + n + 1) * 2;
		p = realloc(sb->buf, cap);
		if (!p) {
			sb->nomem = true;
			return;
		}
		sb->buf = p;
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* Python's repr() of a float, e.g. 1.0, 0.1, 1e+16, 1.5e-05. */
static void py_float(struct sbuf *sb, double d)
{
	char tmp[40], digits[20], out[48];
	int prec, exp, ndig = 0, i, o = 0;
	char *e;

	if (isnan(d) || isinf(d)) {
		sb_str(sb, isnan(d) ? "nan" : d < 0 ? "-inf" : "inf");
		return;
	}
	/* the shortest %e that reads back as d */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	e = strchr(tmp, 'e');
	exp = atoi(e + 1);
	for (i = tmp[0] == '-'; tmp + i < e; i++)
		if (tmp[i] >= '0' && tmp[i] <= '9')
			digits[ndig++] = tmp[i];
	while (ndig > 1 && digits[ndig - 1] == '0')
		ndig--;
	if (signbit(d))
		out[o++] = '-';
	if (exp >= -4 && exp < 16) {
		if (exp < 0) {
			out[o++] = '0';
			out[o++] = '.';
			for (i = 0; i < -exp - 1; i++)
				out[o++] = '0';
			for (i = 0; i < ndig; i++)
				out[o++] = digits[i];
		} else {
			for (i = 0; i <= exp; i++)
				out[o++] = (char)(i < ndig ? digits[i] : '0');
			out[o++] = '.';
			if (ndig <= exp + 1)
				out[o++] = '0';
			for (i = exp + 1; i < ndig; i++)
				out[o++] = digits[i];
		}
		out[o] = '\0';
	} else {
		out[o++] = digits[0];
		if (ndig > 1) {
			out[o++] = '.';
			for (i = 1; i < ndig; i++)
				out[o++] = digits[i];
		}
		snprintf(out + o, sizeof(out) - (size_t)o, "e%c%02d",
			 exp < 0 ? '-' : '+', abs(exp));
	}
	sb_str(sb, out);
}

/* Python's repr() of a str: quotes chosen and escapes as Python does. */
static void py_repr_str(struct sbuf *sb, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
	char esc[8];
	size_t i;

	sb_add(sb, &q, 1);
	for (i = 0; i < n; i++) {
		if (u[i] == '\\' || u[i] == (unsigned char)q) {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			sb_add(sb, esc, 2);
		} else if (u[i] == '\n') {
			sb_str(sb, "\\n");
		} else if (u[i] == '\r') {
			sb_str(sb, "\\r");
		} else if (u[i] == '\t') {
			sb_str(sb, "\\t");
		} else if (u[i] < 0x20 || u[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
			sb_str(sb, esc);
		} else if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 &&
			   u[i + 1] <= 0x9f) {
			/* C1 controls, U+0080..U+009F */
			snprintf(esc, sizeof(esc), "\\x%02x", u[i + 1]);
			sb_str(sb, esc);
			i++;
		} else {
			sb_add(sb, s + i, 1);
		}
	}
	sb_add(sb, &q, 1);
}

/* Python's str() (top) or repr() (inside containers) of a JSON value. */
static void py_print(struct sbuf *sb, json_object *o, bool repr)
{
	char num[32];
	size_t i, n;
	bool first = true;

	switch (json_object_get_type(o)) {
	case json_type_null:
		sb_str(sb, "None");
		break;
	case json_type_boolean:
		sb_str(sb, json_object_get_boolean(o) ? "True" : "False");
		break;
	case json_type_int:
		if (json_object_get_int64(o) == INT64_MAX)
			snprintf(num, sizeof(num), "%llu", (unsigned long long)
				 json_object_get_uint64(o));
		else
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_object_get_int64(o));
		sb_str(sb, num);
		break;
	case json_type_double:
		py_float(sb, json_object_get_double(o));
		break;
	case json_type_string:
		if (repr)
			py_repr_str(sb, json_object_get_string(o),
				    (size_t)json_object_get_string_len(o));
		else
			sb_add(sb, json_object_get_string(o),
			       (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		sb_str(sb, "[");
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (i)
				sb_str(sb, ", ");
			py_print(sb, json_object_array_get_idx(o, i), true);
		}
		sb_str(sb, "]");
		break;
	case json_type_object:
		sb_str(sb, "{");
		json_object_object_foreach(o, key, v) {
			if (!first)
				sb_str(sb, ", ");
			first = false;
			py_repr_str(sb, key, strlen(key));
			sb_str(sb, ": ");
			py_print(sb, v, true);
		}
		sb_str(sb, "}");
		break;
	}
}

static bool ident_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

int claims_format(const char *tmpl, json_object *token, char **out)
{
	struct sbuf sb = { 0 };
	const char *p = tmpl, *name;
	char key[CLAIMS_NAME_MAX + 1];
	json_object *v;
	size_t n, i;
	bool brace;

	*out = NULL;
	if (!tmpl || !json_object_is_type(token, json_type_object))
		return -EINVAL;
	sb_add(&sb, "", 0);
	while (*p && !sb.nomem) {
		if (*p != '$') {
			n = strcspn(p, "$");
			sb_add(&sb, p, n);
			p += n;
			continue;
		}
		p++;
		if (*p == '$') {
			sb_add(&sb, "$", 1);
			p++;
			continue;
		}
		brace = *p == '{';
		name = p + brace;
		if (!ident_start(*name))
			goto bad;
		for (n = 1; ident_char(name[n]); n++)
			;
		if ((brace && name[n] != '}') || n > CLAIMS_NAME_MAX)
			goto bad;
		memcpy(key, name, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(token, key, &v))
			goto bad;	/* missing claim */
		py_print(&sb, v, false);
		p = name + n + brace;
		if (sb.len > CLAIMS_NAME_MAX)
			goto bad;
	}
	if (sb.nomem) {
		free(sb.buf);
		return -ENOMEM;
	}
	/* nmb: no control characters in names that reach logs */
	if (sb.len > CLAIMS_NAME_MAX || strlen(sb.buf) != sb.len)
		goto bad;
	for (i = 0; i < sb.len; i++)
		if ((unsigned char)sb.buf[i] < 0x20 || sb.buf[i] == 0x7f)
			goto bad;
	*out = sb.buf;
	return 0;
bad:
	free(sb.buf);
	return -EINVAL;
}

int claims_user_name(const char *const *formats, size_t n,
		     json_object *token, char **name)
{
	size_t i;
	int ret;

	*name = NULL;
	for (i = 0; i <= n; i++) {
		ret = claims_format(i < n ? formats[i] : "${sub}@${iss}",
				    token, name);
		if (ret != -EINVAL)
			return ret;
	}
	return -ENOENT;
}

json_object *claims_show(json_object *token, const char *const *show,
			 size_t n)
{
	json_object *out = json_object_new_object();
	size_t i;

	if (!out || !json_object_is_type(token, json_type_object))
		return out;
	json_object_object_foreach(token, key, v) {
		for (i = 0; show && i < n; i++)
			if (show[i] && !strcmp(show[i], key))
				break;
		if (show && i == n)
			continue;
		if (json_object_object_add(out, key, json_object_get(v))) {
			json_object_put(v);
			json_object_put(out);
			return NULL;
		}
	}
	return out;
}
