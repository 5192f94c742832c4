/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl.h - what every nmbctl subcommand shares: global options, option
 * tables, exit codes, the one-line error at the edge, and aligned tables.
 */
#ifndef NMBCTL_CTL_H
#define NMBCTL_CTL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ipc;

/* Exit codes, documented in nmbctl(1). */
enum ctl_exit {
	CTL_OK = 0,
	CTL_FAILED = 1,		/* internal error, unclassified error */
	CTL_USAGE = 2,		/* bad command line, invalid description */
	CTL_NOT_FOUND = 3,	/* no such reservation, place, description */
	CTL_CONFLICT = 4,	/* already reserved, port in use */
	CTL_TIMEOUT = 5,	/* attach timed out */
	CTL_NO_AGENT = 6,	/* nmb-agent unreachable */
	CTL_UNAVAILABLE = 7,	/* the agent cannot reach the server */
	CTL_INTERRUPTED = 130,	/* SIGINT/SIGTERM while waiting */
};

/* Global options, set by main.c and by every subcommand's parser. */
struct ctl_globals {
	const char *socket;	/* -s, NMB_AGENT_SOCKET, default */
	bool json;		/* --json */
	bool no_header;		/* -n/--no-header of listing commands */
};

extern struct ctl_globals ctl;

/* --- option tables (opts.c) ------------------------------------------ */

enum ctl_opt_type {
	CTL_OPT_FLAG,		/* bool *, set to true */
	CTL_OPT_STRING,		/* const char ** */
	CTL_OPT_UINT,		/* unsigned int * */
	CTL_OPT_INT,		/* int * */
};

struct ctl_opt {
	const char *name;	/* long name; NULL ends a table */
	char short_name;	/* 0 if none */
	enum ctl_opt_type type;
	void *dest;
	const char *arg;	/* the argument's name in --help */
	const char *help;
};

/*
 * Parses the options of subcommand argv[0] from its table plus the common
 * ones (-s/--socket, -h/--help, and --json for listing commands). Options
 * and arguments may be mixed. Returns the index of the first argument; 0
 * after printing --help; -1 after a usage error was printed.
 */
int ctl_parse(int argc, char **argv, const struct ctl_opt *opts);
/*
 * The global options, before the command: returns the index of the
 * command, or -1 after a usage error was printed.
 */
int ctl_parse_global(int argc, char **argv, const struct ctl_opt *opts);
/* Prints the options of a table, as --help shows them. */
void ctl_opts_help(FILE *f, const struct ctl_opt *opts);
/*
 * Prints "nmbctl: CMD: <message>" (CMD NULL: the global options) and the
 * usage line; returns CTL_USAGE.
 */
int ctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The usage and options of cmd (for --help). */
void ctl_cmd_help(const char *cmd, const struct ctl_opt *opts);

/* --- errors at the edge (output.c) ----------------------------------- */

/* "nmbctl: VERB NOUN: <message>" on stderr; returns code. */
int ctl_fail(int code, const char *verb, const char *noun, const char *fmt,
	     ...) __attribute__((format(printf, 4, 5)));
/* The same for an ipc_*() error err (-errno): message and exit code. */
int ctl_ipc_fail(struct ipc *ipc, int err, const char *verb,
		 const char *noun);
/* Exit code of an agent error kind ("not-found", ...). */
int ctl_kind_exit(const char *kind);
/* Opens the connection to the agent, or fails at the edge: 0 or a code. */
int ctl_connect(struct ipc **ipc, const char *verb, const char *noun);
/* One call on a fresh connection: 0 with *result, or an exit code. */
int ctl_call1(const char *method, json_object *params, json_object **result,
	      const char *verb, const char *noun);

/* --- output (output.c) ----------------------------------------------- */

/* Prints the agent's JSON result as is, one line. */
void ctl_print_json(json_object *result);
/*
 * The start every listing without arguments shares: parses the options,
 * calls method and, with --json, prints the answer as is. Returns CTL_OK
 * with *result a list for the caller to print and put, CTL_OK with
 * *result NULL when all is done, or an exit code. what completes the
 * message for an answer that is no list (" of interfaces", or "").
 */
int ctl_list_fetch(int argc, char **argv, const char *method,
		   const char *what, json_object **result);

/*
 * A field of object o as text: strings as is, booleans yes/no, numbers,
 * arrays joined with ",", missing or null "-". Returns buf.
 */
const char *ctl_field(json_object *o, const char *key, char *buf,
		      size_t len);

struct ctl_table {
	unsigned int ncols;
	size_t nrows, cap;
	char **cells;
};

int ctl_table_init(struct ctl_table *t, unsigned int ncols);
/* Adds a row of t->ncols strings (copied). Returns 0 or -ENOMEM. */
int ctl_table_add(struct ctl_table *t, const char *const *row);
/* Prints the rows in columns two spaces apart; the last column unpadded. */
void ctl_table_print(const struct ctl_table *t);
void ctl_table_free(struct ctl_table *t);

#endif /* NMBCTL_CTL_H */
