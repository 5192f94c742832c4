// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - nmbctl: global options, then the subcommand from the dispatch
 * table, which talks to nmb-agent over its control socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"
#include "subcommands.h"
#include "version.h"

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
	{ "console", console_main, "NAME [PART.INTERFACE]",
	  "Interactive terminal to an attached serial interface", false },
	{ "login", login_main, "[HUB_URL]",
	  "Log in to the agent's server (OpenID Connect) in a browser", true },
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

static bool want_help, want_version;

static const struct ctl_opt global_opts[] = {
	{ "socket", 's', CTL_OPT_STRING, &ctl.socket, "PATH",
	  "the agent's socket (default $" IPC_SOCKET_ENV ", "
	  IPC_DEFAULT_SOCKET ")" },
	{ "json", 0, CTL_OPT_FLAG, &ctl.json, NULL,
	  "listing commands print the agent's JSON" },
	{ "help", 'h', CTL_OPT_FLAG, &want_help, NULL, "show this help" },
	{ "version", 0, CTL_OPT_FLAG, &want_version, NULL,
	  "show the version" },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nmbctl [OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
		"Reserve and attach boards of an nmb board farm through nmb-agent.\n"
		"\nCommands:\n");
	for (const struct ctl_cmd *c = ctl_cmds; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	ctl_opts_help(f, global_opts);
	fprintf(f, "\nnmbctl COMMAND --help describes a command; see nmbctl(1).\n");
}

int main(int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	int i;

	ctl.socket = getenv(IPC_SOCKET_ENV);
	if (!ctl.socket || !*ctl.socket)
		ctl.socket = IPC_DEFAULT_SOCKET;

	i = ctl_parse_global(argc, argv, global_opts);
	if (i < 0)
		return CTL_USAGE;
	if (want_help) {
		usage(stdout);
		return CTL_OK;
	}
	if (want_version) {
		nmb_print_version("nmbctl");
		return CTL_OK;
	}
	if (i >= argc)
		return ctl_usage_error(NULL, "missing a command");
	cmd = ctl_cmd_find(argv[i]);
	if (!cmd)
		return ctl_usage_error(NULL, "unknown command '%s'", argv[i]);
	if (ctl.json && !cmd->json)
		return ctl_usage_error(cmd->name,
				       "--json applies to list, status, search, show, who and login only");
	return cmd->fn(argc - i, argv + i);
}
