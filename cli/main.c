// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - nmbctl: global options, then the subcommand from the dispatch
 * table, which talks to nmb-agent over its control socket.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"
#include "subcommands.h"

#ifndef NMB_VERSION
#define NMB_VERSION	"unknown"
#endif

struct ctl_globals ctl;

const struct ctl_cmd ctl_cmds[] = {
	{ "reserve", reserve_main, "NAME[@PLACE]",
	  "Reserve a place matching the import description NAME", false },
	{ "return", return_main, "NAME",
	  "Return the reservation NAME", false },
	{ "attach", attach_main, "NAME[@PLACE]",
	  "Reserve NAME if needed, attach it and print its local devices and ports",
	  false },
	{ "detach", detach_main, "[NAME...]",
	  "Detach and return reservations, all of them without NAME", false },
	{ "list", list_main, "",
	  "List this agent's reservations", true },
	{ "status", status_main, "",
	  "Show every reserved interface: port, state, busid, device nodes",
	  true },
	{ "search", search_main, "[NAME]",
	  "List the places, or those matching the import description NAME",
	  true },
	{ "show", show_main, "NAME|@PLACE",
	  "Show the place reserved as NAME, or the place PLACE", true },
	{ "who", who_main, "",
	  "Show who holds which place", true },
	{ "edit", edit_main, "NAME",
	  "Edit the import description of the reservation NAME", false },
	{ NULL, NULL, NULL, NULL, false }
};

const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	for (const struct ctl_cmd *c = ctl_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nmbctl [-s PATH] [--json] COMMAND [OPTIONS] [ARGS]\n"
		"Reserve and attach boards of an nmb board farm through nmb-agent.\n"
		"\nCommands:\n");
	for (const struct ctl_cmd *c = ctl_cmds; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f,
		"\nOptions:\n"
		"  -s, --socket PATH  the agent's socket (default $%s, %s)\n"
		"      --json         listing commands print the agent's JSON\n"
		"  -h, --help         show this help\n"
		"      --version      show the version\n"
		"\nnmbctl COMMAND --help describes a command; see nmbctl(1).\n",
		IPC_SOCKET_ENV, IPC_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_cmd *cmd;
	int c;

	ctl.socket = getenv(IPC_SOCKET_ENV);
	if (!ctl.socket || !*ctl.socket)
		ctl.socket = IPC_DEFAULT_SOCKET;

	opterr = 0;
	/* '+': stop at the command, whose options are its own */
	while ((c = getopt_long(argc, argv, "+:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctl.socket = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'V':
			printf("nmbctl %s\n", NMB_VERSION);
			return CTL_OK;
		case ':':
			fprintf(stderr, "nmbctl: missing the argument of option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return CTL_USAGE;
		default:
			fprintf(stderr, "nmbctl: unknown option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nmbctl: missing a command\n");
		usage(stderr);
		return CTL_USAGE;
	}
	cmd = ctl_cmd_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "nmbctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return CTL_USAGE;
	}
	if (ctl.json && !cmd->json)
		return ctl_usage_error(cmd->name,
				       "--json applies to list, status, search, show and who only");
	return cmd->fn(argc - optind, argv + optind);
}
