// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - nmbctl's edge: one-line errors with exit codes, the agent's
 * JSON printed as is, and tables in aligned columns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"
#include "jsonrpc.h"

#define AGENT_HINT	"is nmb-agent running? (systemctl start nmb-agent)"

static const struct {
	const char *kind;
	int code;
} kinds[] = {
	{ "not-found", CTL_NOT_FOUND },
	{ "conflict", CTL_CONFLICT },
	{ "invalid", CTL_USAGE },
	{ "timeout", CTL_TIMEOUT },
	{ "unavailable", CTL_UNAVAILABLE },
	{ "internal", CTL_FAILED },
};

int ctl_kind_exit(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].kind))
			return kinds[i].code;
	return CTL_FAILED;
}

static void vfail(const char *verb, const char *noun, const char *fmt,
		  va_list ap)
{
	fprintf(stderr, "nmbctl: %s%s%s: ", verb, noun && *noun ? " " : "",
		noun ? noun : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int ctl_fail(int code, const char *verb, const char *noun, const char *fmt,
	     ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(verb, noun, fmt, ap);
	va_end(ap);
	return code;
}

int ctl_ipc_fail(struct ipc *ipc, int err, const char *verb,
		 const char *noun)
{
	const struct ipc_error *e;

	switch (err) {
	case -EREMOTEIO:
		e = ipc_error(ipc);
		if (e->code == RPC_METHOD_NOT_FOUND)
			return ctl_fail(CTL_FAILED, verb, noun,
					"%s; is nmb-agent as new as nmbctl?",
					e->message);
		return ctl_fail(ctl_kind_exit(e->kind), verb, noun, "%s",
				e->message);
	case -EINTR:
		return ctl_fail(CTL_INTERRUPTED, verb, noun,
				"interrupted; the agent cancels the request");
	case -EPIPE:
	case -ECONNRESET:
		return ctl_fail(CTL_NO_AGENT, verb, noun,
				"connection to nmb-agent lost; " AGENT_HINT);
	case -EMSGSIZE:
		return ctl_fail(CTL_USAGE, verb, noun,
				"request over the agent's 64 KiB limit; is the import description that large?");
	default:
		return ctl_fail(CTL_FAILED, verb, noun, "%s", strerror(-err));
	}
}

int ctl_connect(struct ipc **ipc, const char *verb, const char *noun)
{
	int err = ipc_open(ctl.socket, ipc);

	if (!err)
		return 0;
	if (err == -EACCES)
		return ctl_fail(CTL_NO_AGENT, verb, noun,
				"cannot connect to nmb-agent at %s: %s; are you in group nmb?",
				ctl.socket, strerror(-err));
	return ctl_fail(CTL_NO_AGENT, verb, noun,
			"cannot connect to nmb-agent at %s: %s; " AGENT_HINT,
			ctl.socket, strerror(-err));
}

int ctl_call1(const char *method, json_object *params, json_object **result,
	      const char *verb, const char *noun)
{
	struct ipc *ipc;
	int ret, err;

	*result = NULL;
	ret = ctl_connect(&ipc, verb, noun);
	if (ret) {
		json_object_put(params);
		return ret;
	}
	err = ipc_call(ipc, method, params, result);
	ret = err ? ctl_ipc_fail(ipc, err, verb, noun) : CTL_OK;
	ipc_close(ipc);
	return ret;
}

int ctl_list_fetch(int argc, char **argv, const char *method,
		   const char *what, json_object **result)
{
	int i, ret;

	*result = NULL;
	i = ctl_parse(argc, argv, NULL);
	if (i <= 0)
		return i ? CTL_USAGE : CTL_OK;
	if (i != argc)
		return ctl_usage_error(argv[0], "takes no arguments");
	ret = ctl_call1(method, NULL, result, argv[0], NULL);
	if (ret)
		return ret;
	if (ctl.json)
		ctl_print_json(*result);
	else if (json_object_is_type(*result, json_type_array))
		return CTL_OK;
	else
		ret = ctl_fail(CTL_FAILED, argv[0], NULL,
			       "the agent's answer is not a list%s", what);
	json_object_put(*result);
	*result = NULL;
	return ret;
}

void ctl_print_json(json_object *result)
{
	puts(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *ctl_field(json_object *o, const char *key, char *buf,
		      size_t len)
{
	json_object *v = NULL;
	size_t used = 0;

	snprintf(buf, len, "-");
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !v)
		return buf;
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		snprintf(buf, len, "%s", json_object_get_boolean(v) ?
			 "yes" : "no");
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			int n = snprintf(buf + used, len - used, "%s%s",
					 i ? "," : "",
					 json_object_get_string(e));

			if (n < 0 || (size_t)n >= len - used)
				break;
			used += (size_t)n;
		}
		if (!used)
			snprintf(buf, len, "-");
		break;
	case json_type_null:
		break;
	default:
		snprintf(buf, len, "%s", json_object_get_string(v));
		break;
	}
	return buf;
}

int ctl_table_init(struct ctl_table *t, unsigned int ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	return 0;
}

int ctl_table_add(struct ctl_table *t, const char *const *row)
{
	char **cells;

	if ((t->nrows + 1) * t->ncols > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : (size_t)16 * t->ncols;

		cells = realloc(t->cells, cap * sizeof(*cells));
		if (!cells)
			return -ENOMEM;
		t->cells = cells;
		t->cap = cap;
	}
	cells = t->cells + t->nrows * t->ncols;
	for (unsigned int i = 0; i < t->ncols; i++) {
		cells[i] = strdup(row[i] ? row[i] : "-");
		if (!cells[i]) {
			while (i--)
				free(cells[i]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

/* Width on a terminal: UTF-8 code points, continuation bytes not counted. */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void ctl_table_print(const struct ctl_table *t)
{
	size_t w[16] = { 0 };
	unsigned int ncols = t->ncols < 16 ? t->ncols : 16;

	for (size_t r = 0; r < t->nrows; r++)
		for (unsigned int c = 0; c < ncols; c++) {
			size_t n = width(t->cells[r * t->ncols + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (unsigned int c = 0; c < ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c + 1 == ncols) {
				printf("%s\n", s);
				break;
			}
			printf("%s%*s", s, (int)(w[c] - width(s) + 2), "");
		}
	}
}

void ctl_table_free(struct ctl_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
