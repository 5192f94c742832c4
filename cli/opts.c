// SPDX-License-Identifier: GPL-2.0
/*
 * opts.c - option tables of the subcommands turned into getopt_long()
 * calls, plus the options every subcommand takes, and their --help.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "subcommands.h"

#define MAX_OPTS	16

static bool want_help;

/* Appended to every subcommand's table; --json only to listing commands. */
static const struct ctl_opt common_opts[] = {
	{ "json", 0, CTL_OPT_FLAG, &ctl.json, NULL,
	  "print the agent's answer as JSON, as it came" },
	{ "no-header", 'n', CTL_OPT_FLAG, &ctl.no_header, NULL,
	  "print the table without its header line" },
	{ "socket", 's', CTL_OPT_STRING, &ctl.socket, "PATH",
	  "the agent's socket (default $NMB_AGENT_SOCKET, /run/nmb/agent.sock)" },
	{ "help", 'h', CTL_OPT_FLAG, &want_help, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

/* Collects the options cmd takes: its own, then the common ones. */
static int collect(const struct ctl_cmd *cmd, const struct ctl_opt *opts,
		   const struct ctl_opt **all)
{
	int n = 0;

	for (; opts && opts->name && n < MAX_OPTS; opts++)
		all[n++] = opts;
	for (opts = common_opts; opts->name && n < MAX_OPTS; opts++)
		if ((opts->dest != &ctl.json && opts->dest != &ctl.no_header) ||
		    (cmd && cmd->json && (opts->dest == &ctl.json ||
					  strcmp(cmd->name, "show") != 0)))
			all[n++] = opts;
	return n;
}

/* "-k, --keep", "    --json", "-s, --socket PATH" */
static const char *opt_left(const struct ctl_opt *o, char *buf, size_t len)
{
	snprintf(buf, len, "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
		 o->short_name ? o->short_name : ' ',
		 o->short_name ? ',' : ' ', o->name, o->arg ? " " : "",
		 o->arg ? o->arg : "");
	return buf;
}

static void print_opts(FILE *f, const struct ctl_opt **all, int n)
{
	char left[64];
	int width = 0;

	fprintf(f, "\nOptions:\n");
	for (int i = 0; i < n; i++)
		if (width < (int)strlen(opt_left(all[i], left, sizeof(left))))
			width = (int)strlen(left);
	for (int i = 0; i < n; i++)
		fprintf(f, "  %-*s  %s\n", width,
			opt_left(all[i], left, sizeof(left)), all[i]->help);
}

void ctl_opts_help(FILE *f, const struct ctl_opt *opts)
{
	const struct ctl_opt *all[MAX_OPTS];
	int n = 0;

	for (; opts->name && n < MAX_OPTS; opts++)
		all[n++] = opts;
	print_opts(f, all, n);
}

void ctl_cmd_help(const char *name, const struct ctl_opt *opts)
{
	const struct ctl_cmd *cmd = ctl_cmd_find(name);
	const struct ctl_opt *all[MAX_OPTS];
	int n = collect(cmd, opts, all);

	printf("Usage: nmbctl %s [OPTIONS]%s%s\n", name,
	       cmd && *cmd->args ? " " : "", cmd ? cmd->args : "");
	if (cmd)
		printf("%s.\n", cmd->summary);
	print_opts(stdout, all, n);
}

int ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct ctl_cmd *c = cmd ? ctl_cmd_find(cmd) : NULL;
	va_list ap;

	fprintf(stderr, "nmbctl: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nUsage: nmbctl %s [OPTIONS]%s%s (see nmbctl %s --help)\n",
			cmd, c && *c->args ? " " : "", c ? c->args : "", cmd);
	else
		fprintf(stderr, "\nUsage: nmbctl [OPTIONS] COMMAND [ARGS] (see nmbctl --help)\n");
	return CTL_USAGE;
}

static int set_value(const char *cmd, const struct ctl_opt *o,
		     const char *arg)
{
	unsigned long v;
	char *end;

	switch (o->type) {
	case CTL_OPT_FLAG:
		*(bool *)o->dest = true;
		return 0;
	case CTL_OPT_STRING:
		*(const char **)o->dest = arg;
		return 0;
	case CTL_OPT_UINT:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || v > UINT_MAX) {
			ctl_usage_error(cmd, "--%s: '%s' is not a number",
					o->name, arg);
			return -EINVAL;
		}
		*(unsigned int *)o->dest = (unsigned int)v;
		return 0;
	case CTL_OPT_INT: {
		long n;

		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || end == arg || *end || n < INT_MIN + 1 ||
		    n > INT_MAX) {
			ctl_usage_error(cmd, "--%s: '%s' is not a number",
					o->name, arg);
			return -EINVAL;
		}
		*(int *)o->dest = (int)n;
		return 0;
	}
	}
	return -EINVAL;
}

/*
 * getopt_long() over the n options of all; cmd names the subcommand in
 * messages (NULL: the global options, which stop at the command).
 * Returns the index of the first argument, or -1 after a usage error.
 */
static int parse_table(int argc, char **argv, const struct ctl_opt **all,
		       int n, const char *cmd)
{
	struct option lopts[MAX_OPTS + 1];
	char sopts[2 * MAX_OPTS + 3], *s = sopts;
	int c, idx;

	if (!cmd)
		*s++ = '+';	/* stop at the command, whose options are its own */
	*s++ = ':';	/* report a missing argument as ':' */
	for (int i = 0; i < n; i++) {
		lopts[i] = (struct option){
			.name = all[i]->name,
			.has_arg = all[i]->type == CTL_OPT_FLAG ?
				   no_argument : required_argument,
			.val = 256 + i,
		};
		if (all[i]->short_name) {
			*s++ = all[i]->short_name;
			if (all[i]->type != CTL_OPT_FLAG)
				*s++ = ':';
		}
	}
	*s = '\0';
	lopts[n] = (struct option){ 0 };

	opterr = 0;
	optind = 0;	/* glibc: start afresh, options may follow arguments */
	while ((c = getopt_long(argc, argv, sopts, lopts, &idx)) != -1) {
		const struct ctl_opt *o = NULL;

		if (c == '?' || c == ':') {
			char what[64];

			if (optopt >= 256 && optopt < 256 + n)
				snprintf(what, sizeof(what), "--%s",
					 all[optopt - 256]->name);
			else if (optopt)
				snprintf(what, sizeof(what), "-%c", optopt);
			else
				snprintf(what, sizeof(what), "%s",
					 argv[optind - 1]);
			ctl_usage_error(cmd, "%s '%s'", c == ':' ?
					"missing the argument of option" :
					"unknown option", what);
			return -1;
		}
		if (c >= 256 && c < 256 + n) {
			o = all[c - 256];
		} else {
			for (int i = 0; i < n && !o; i++)
				if (all[i]->short_name == c)
					o = all[i];
		}
		if (!o || set_value(cmd, o, optarg))
			return -1;
	}
	return optind;
}

int ctl_parse(int argc, char **argv, const struct ctl_opt *opts)
{
	const struct ctl_opt *all[MAX_OPTS];
	int n = collect(ctl_cmd_find(argv[0]), opts, all), i;

	want_help = false;
	i = parse_table(argc, argv, all, n, argv[0]);
	if (i > 0 && want_help) {
		ctl_cmd_help(argv[0], opts);
		return 0;
	}
	return i;
}

int ctl_parse_global(int argc, char **argv, const struct ctl_opt *opts)
{
	const struct ctl_opt *all[MAX_OPTS];
	int n = 0;

	for (; opts->name && n < MAX_OPTS; opts++)
		all[n++] = opts;
	return parse_table(argc, argv, all, n, NULL);
}
