/* SPDX-License-Identifier: GPL-2.0 */
/*
 * subcommands.h - the subcommands of nmbctl, one file each, and the
 * dispatch table of main.c that names them.
 */
#ifndef NMBCTL_SUBCOMMANDS_H
#define NMBCTL_SUBCOMMANDS_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>

/* argv[0] is the subcommand's name; returns an exit code (ctl.h). */
typedef int (*ctl_main_fn)(int argc, char **argv);

struct ctl_cmd {
	const char *name;
	ctl_main_fn fn;
	const char *args;	/* synopsis after the options */
	const char *summary;	/* one line for --help */
	bool json;		/* a listing command: takes --json */
};

/* The dispatch table of main.c, ending with a NULL name. */
extern const struct ctl_cmd ctl_cmds[];
const struct ctl_cmd *ctl_cmd_find(const char *name);

struct ipc;
struct descr_ref;

/*
 * Steps shared between subcommands; each returns an exit code and has
 * printed the error. reserve.c: finds and reads ref's description (*text
 * to free()), reserves it with that text. status.c: prints interface
 * status objects as attach does.
 */
int load_ref(const struct descr_ref *ref, const char *verb, char **text);

/* How reserve and attach wait in the server's queue. */
struct reserve_opts {
	unsigned int timeout;	/* --timeout: seconds, 0 no limit */
	bool no_wait;		/* --no-wait: fail instead of queueing */
	int priority;		/* --priority, or RESERVE_NO_PRIORITY */
};

#define RESERVE_NO_PRIORITY	INT_MIN

int reserve_text(struct ipc *ipc, const struct descr_ref *ref,
		 const char *text, const char *verb,
		 const struct reserve_opts *o);
int print_attached(json_object *ifaces);
/* -n/--with-name NAME (NULL: none) as ref's name, or a usage error. */
int set_reservation_name(const char *cmd, struct descr_ref *ref,
			 const char *name);
/* Parses a NAME[@PLACE] argument of cmd, or prints a usage error. */
int parse_ref(const char *cmd, const char *arg, struct descr_ref *ref);

int reserve_main(int argc, char **argv);
int return_main(int argc, char **argv);
int attach_main(int argc, char **argv);
int detach_main(int argc, char **argv);
int list_main(int argc, char **argv);
int status_main(int argc, char **argv);
int search_main(int argc, char **argv);
int show_main(int argc, char **argv);
int who_main(int argc, char **argv);
int login_main(int argc, char **argv);
int edit_main(int argc, char **argv);
int console_main(int argc, char **argv);

#endif /* NMBCTL_SUBCOMMANDS_H */
