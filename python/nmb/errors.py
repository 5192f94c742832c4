# SPDX-License-Identifier: GPL-2.0
"""nmb.errors - the exceptions of the nmb package.

Every error is an NmbError carrying the message nmbctl would print and
nmbctl's exit code for it (nmbctl(1), EXIT STATUS), so that a script can
tell "place unknown" from "agent not running" the way a shell script does
with nmbctl's exit status.
"""

# nmbctl's exit codes (cli/ctl.h).
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_TIMEOUT = 5
EXIT_NO_AGENT = 6
EXIT_UNAVAILABLE = 7
EXIT_INTERRUPTED = 130


class NmbError(Exception):
    """An error for the user: message says what failed and what to do;
    exit_code is nmbctl's exit status for the same failure; kind the
    agent's error kind ("not-found", ...) or None."""

    exit_code = EXIT_FAILED
    kind = None

    def __init__(self, message, kind=None, exit_code=None):
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(NmbError):
    """Invalid arguments or description, an interface of the wrong kind."""
    exit_code = EXIT_USAGE
    kind = "invalid"


class NotFound(NmbError):
    """No such reservation, place, description, part or interface."""
    exit_code = EXIT_NOT_FOUND
    kind = "not-found"


class Conflict(NmbError):
    """Already reserved, port in use."""
    exit_code = EXIT_CONFLICT
    kind = "conflict"


class Timeout(NmbError):
    """Something did not happen in time (attach, expect, power state)."""
    exit_code = EXIT_TIMEOUT
    kind = "timeout"


class AgentNotRunning(NmbError):
    """nmb-agent's socket cannot be reached, or the connection was lost."""
    exit_code = EXIT_NO_AGENT


class Unavailable(NmbError):
    """The agent cannot reach the server; a console or device went away."""
    exit_code = EXIT_UNAVAILABLE
    kind = "unavailable"


class ConsoleClosed(Unavailable):
    """The console's other end closed: the exporter closed the TCP port,
    or the board's USB serial device went away."""


class ExpectTimeout(Timeout):
    """expect()/read_until() saw no match in time; tail holds the last
    bytes of the transcript (also in the message)."""

    def __init__(self, message, tail=b""):
        super().__init__(message)
        self.tail = tail


_KINDS = {cls.kind: cls for cls in (UsageError, NotFound, Conflict, Timeout,
                                    Unavailable)}


def from_agent(message, kind):
    """The exception for an agent error answer of data.kind kind."""
    cls = _KINDS.get(kind, NmbError)
    return cls(message, kind=kind)
