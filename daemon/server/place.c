// SPDX-License-Identifier: GPL-2.0
/*
 * place.c - export descriptions (wire protocol §5): validation with
 * Python-like messages, normalisation to known fields, and the JSON of
 * a place as /api/v1/places lists it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place_name.h"
#include "place.h"

static const char *type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return "NoneType";
	case json_type_boolean: return "bool";
	case json_type_double: return "float";
	case json_type_int: return "int";
	case json_type_object: return "dict";
	case json_type_array: return "list";
	case json_type_string: return "str";
	}
	return "object";
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } \
	while (0)

/* Python counts bool as int; port: int >= 1. */
static bool port_ok(json_object *v, int64_t *out)
{
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return *out >= 1;
	}
	if (!json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return *out >= 1;
}

/* [1-9][0-9]*-[1-9][0-9]*(\.[1-9][0-9]*)* */
static bool usbid_ok(const char *s)
{
	int groups = 0;

	for (;;) {
		if (*s < '1' || *s > '9')
			return false;
		while (isdigit((unsigned char)*s))
			s++;
		groups++;
		if (!*s)
			return groups >= 2;
		if (!((*s == '-' && groups == 1) || (*s == '.' && groups >= 2)))
			return false;
		s++;
	}
}

static json_object *parse_ifaces(json_object *in, bool usb, const char *pfx,
				 char *err, size_t errlen)
{
	json_object *out = json_object_new_object(), *v;

	if (!in)
		return out;
	if (!json_object_is_type(in, json_type_object))
		FAIL("%s: Expected dict, got %s", pfx, type_name(in));
	json_object_object_foreach(in, name, iface) {
		json_object *o = json_object_new_object();
		int64_t port;

		json_object_object_add(out, name, o);
		if (!json_object_is_type(iface, json_type_object))
			FAIL("%s.%.64s: Expected dict, got %s", pfx, name,
			     type_name(iface));
		if (usb) {
			if (!json_object_object_get_ex(iface, "usbid", &v))
				FAIL("%s.%.64s.usbid: Missing", pfx, name);
			if (!json_object_is_type(v, json_type_string))
				FAIL("%s.%.64s.usbid: Expected str, got %s",
				     pfx, name, type_name(v));
			if (!usbid_ok(json_object_get_string(v)))
				FAIL("%s.%.64s.usbid: Invalid value", pfx,
				     name);
			json_object_object_add(o, "usbid",
					       json_object_get(v));
			continue;
		}
		if (!json_object_object_get_ex(iface, "host", &v))
			FAIL("%s.%.64s.host: Missing", pfx, name);
		if (!json_object_is_type(v, json_type_string))
			FAIL("%s.%.64s.host: Expected str, got %s", pfx, name,
			     type_name(v));
		json_object_object_add(o, "host", json_object_get(v));
		if (!json_object_object_get_ex(iface, "port", &v))
			FAIL("%s.%.64s.port: Missing", pfx, name);
		if (!port_ok(v, &port))
			FAIL("%s.%.64s.port: Invalid value", pfx, name);
		json_object_object_add(o, "port", json_object_new_int64(port));
	}
	return out;
fail:
	json_object_put(out);
	return NULL;
}

/* Part I's "usb" or "tcp" interfaces into out; 0 or -EINVAL (err). */
static int add_ifaces(json_object *out, json_object *in, const char *key,
		      size_t i, char *err, size_t errlen)
{
	json_object *v = NULL, *o;
	char pfx[64];

	snprintf(pfx, sizeof(pfx), "parts.%zu.%s", i, key);
	json_object_object_get_ex(in, key, &v);
	o = parse_ifaces(v, !strcmp(key, "usb"), pfx, err, errlen);
	if (!o)
		return -EINVAL;
	json_object_object_add(out, key, o);
	return 0;
}

static json_object *parse_part(json_object *in, size_t i, char *err,
			       size_t errlen)
{
	json_object *out = json_object_new_object(), *v;

	if (!json_object_is_type(in, json_type_object))
		FAIL("parts.%zu: Expected dict, got %s", i, type_name(in));
	if (!json_object_object_get_ex(in, "compatible", &v))
		FAIL("parts.%zu.compatible: Missing", i);
	if (!json_object_is_type(v, json_type_array))
		FAIL("compatible: Expected list, got %s", type_name(v));
	for (size_t k = 0; k < json_object_array_length(v); k++) {
		json_object *t = json_object_array_get_idx(v, k);

		if (!json_object_is_type(t, json_type_string))
			FAIL("compatible.%zu: Expected str, got %s", k,
			     type_name(t));
	}
	json_object_object_add(out, "compatible", json_object_get(v));
	if (add_ifaces(out, in, "usb", i, err, errlen) ||
	    add_ifaces(out, in, "tcp", i, err, errlen))
		goto fail;
	return out;
fail:
	json_object_put(out);
	return NULL;
}

struct srv_place *srv_place_parse(json_object *in, char *err, size_t errlen)
{
	json_object *desc = json_object_new_object(), *v, *parts, *o;
	struct srv_place *p = NULL;
	char why[128];
	int64_t port;

	if (!json_object_is_type(in, json_type_object))
		FAIL("export_desc: Expected dict, got %s", type_name(in));
	if (json_object_object_get_ex(in, "id", NULL))
		FAIL("id: Extra inputs are not permitted");
	if (json_object_object_get_ex(in, "host", NULL))
		FAIL("host: Extra inputs are not permitted");
	if (!json_object_object_get_ex(in, "name", &v))
		FAIL("name: Missing");
	if (!json_object_is_type(v, json_type_string))
		FAIL("name: Expected str, got %s", type_name(v));
	if (place_name_check(json_object_get_string(v),
			     (size_t)json_object_get_string_len(v), why,
			     sizeof(why)))
		FAIL("name: Invalid value: %s", why);
	json_object_object_add(desc, "name", json_object_get(v));
	/* nmb: a dial-out place gets its port from the relay (relay.c) */
	if (json_object_object_get_ex(in, "dial_out", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			FAIL("dial_out: Expected bool, got %s", type_name(v));
		if (json_object_get_boolean(v))
			json_object_object_add(desc, "dial_out",
					       json_object_new_boolean(1));
	}
	if (!json_object_object_get_ex(in, "port", &v)) {
		if (!json_object_object_get_ex(desc, "dial_out", NULL))
			FAIL("port: Missing");
		port = 0;	/* the relay sets it */
	} else if (!port_ok(v, &port)) {
		FAIL("port: Invalid value");
	}
	json_object_object_add(desc, "port", json_object_new_int64(port));
	if (!json_object_object_get_ex(in, "parts", &v))
		FAIL("parts: Missing");
	if (!json_object_is_type(v, json_type_array))
		FAIL("parts: Expected list, got %s", type_name(v));
	parts = json_object_new_array();
	json_object_object_add(desc, "parts", parts);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		o = parse_part(json_object_array_get_idx(v, i), i, err, errlen);
		if (!o)
			goto fail;
		json_object_array_add(parts, o);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		FAIL("Out of memory");
	json_object_object_get_ex(desc, "name", &v);
	p->name = strdup(json_object_get_string(v));
	if (!p->name) {
		free(p);
		p = NULL;
		FAIL("Out of memory");
	}
	p->desc = desc;
	p->dial_out = json_object_object_get_ex(desc, "dial_out", NULL);
	return p;
fail:
	json_object_put(desc);
	return NULL;
}

void srv_place_free(struct srv_place *p)
{
	if (!p)
		return;
	json_object_put(p->desc);
	free(p->name);
	free(p);
}

json_object *srv_place_json(const struct srv_place *p)
{
	json_object *o = json_object_new_object();

	json_object_object_foreach(p->desc, key, val)
		if (strcmp(key, "dial_out") != 0)	/* kept for the state */
			json_object_object_add(o, key, json_object_get(val));
	json_object_object_add(o, "id", json_object_new_int((int32_t)p->id));
	json_object_object_add(o, "host", json_object_new_string(p->host));
	return o;
}
