# SPDX-License-Identifier: GPL-2.0
"""nmb.agent - a client of nmb-agent's control socket.

The socket speaks line-framed JSON-RPC 2.0 (Documentation/agent-api.rst),
as nmbctl does. Each call opens its own connection, as nmbctl does, except
reserve() and attach(), which keep theirs open while they wait: closing it
(KeyboardInterrupt, an exception) makes the agent withdraw the request.

    agent = nmb.Agent()                  # $NMB_AGENT_SOCKET or the default
    with agent.attach("demo") as place:  # reserve if needed, attach
        tty = place.tty("board.serial")  # detach + return on exit
"""

import itertools
import json
import os
import socket

from . import errors
from .place import Place

DEFAULT_SOCKET = "/run/nmb/agent.sock"
SOCKET_ENV = "NMB_AGENT_SOCKET"
LINE_MAX = 64 * 1024        # the agent's line limit
DESCR_MAX = 60 * 1024       # largest import description nmbctl sends
AGENT_HINT = "is nmb-agent running? (systemctl start nmb-agent)"
RPC_METHOD_NOT_FOUND = -32601


def split_ref(ref):
    """NAME[@PLACE] or PATH.yaml[@PLACE] -> (spec, name, place or None),
    as nmbctl splits it."""
    if not isinstance(ref, str) or not ref:
        raise errors.UsageError("expected NAME[@PLACE], got %r" % (ref,))
    spec, place = ref, None
    at = ref.rfind("@")
    if at >= 0 and "/" not in ref[at + 1:]:
        spec, place = ref[:at], ref[at + 1:]
        if not place:
            raise errors.UsageError("%s: empty place name after '@'" % ref)
    if not spec:
        raise errors.UsageError("%s: empty name" % ref)
    if spec.endswith(".yaml"):
        name = os.path.basename(spec)[:-len(".yaml")]
    elif "/" in spec:
        raise errors.UsageError("%s: a path must end in .yaml" % ref)
    else:
        name = spec
    if not name:
        raise errors.UsageError("%s: empty name" % ref)
    return spec, name, place


def find_description(spec, cwd=None, home=None):
    """The path of import description spec: a path ending in .yaml as is,
    else NAME.yaml in ./.nmb/, the .nmb/ of each parent folder, then
    ~/.config/nmb/. Raises NotFound listing the files tried."""
    if spec.endswith(".yaml"):
        return spec
    tried = []
    d = os.path.abspath(cwd or os.getcwd())
    while True:
        tried.append(os.path.join(d, ".nmb", spec + ".yaml"))
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    home = home if home is not None else os.environ.get("HOME")
    if home:
        tried.append(os.path.join(home, ".config", "nmb", spec + ".yaml"))
    for path in tried:
        if os.path.isfile(path):
            return path
    raise errors.NotFound("no import description %s; looked for %s"
                          % (spec, ", ".join(tried)))


def read_description(path):
    """The text of the import description at path (at most 60 KiB)."""
    try:
        with open(path, "rb") as f:
            data = f.read(DESCR_MAX + 1)
    except FileNotFoundError:
        raise errors.NotFound("%s: no such import description" % path)
    except OSError as e:
        raise errors.NmbError("%s: cannot read: %s" % (path, e.strerror))
    if len(data) > DESCR_MAX:
        raise errors.UsageError("%s: over %d KiB; is it an import "
                                "description?" % (path, DESCR_MAX // 1024))
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise errors.UsageError("%s: not UTF-8 text" % path)


class Connection:
    """One connection to the agent: synchronous calls, line framing."""

    def __init__(self, path, timeout=None):
        self.path = path
        self.ids = itertools.count(1)
        self.buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(path)
        except PermissionError as e:
            self.sock.close()
            raise errors.AgentNotRunning(
                "cannot connect to nmb-agent at %s: %s; are you in group "
                "nmb?" % (path, e.strerror))
        except OSError as e:
            self.sock.close()
            raise errors.AgentNotRunning(
                "cannot connect to nmb-agent at %s: %s; %s"
                % (path, e.strerror or e, AGENT_HINT))
        self.sock.settimeout(timeout)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _lost(self):
        return errors.AgentNotRunning("connection to nmb-agent lost; "
                                      + AGENT_HINT)

    def _line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > LINE_MAX:
                raise errors.NmbError("nmb-agent sent a line over %d KiB"
                                      % (LINE_MAX // 1024))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise errors.Timeout("nmb-agent did not answer in time")
            except OSError:
                raise self._lost()
            if not data:
                raise self._lost()
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def call(self, method, params=None, on_notify=None):
        """The result of method(params), or raises the agent's error.
        on_notify(method, params) gets the notifications that come while
        the call waits (others are dropped)."""
        rid = next(self.ids)
        msg = {"jsonrpc": "2.0", "id": rid, "method": method,
               "params": params if params is not None else {}}
        data = json.dumps(msg, separators=(",", ":")).encode() + b"\n"
        if len(data) > LINE_MAX:
            raise errors.UsageError("request over the agent's 64 KiB "
                                    "limit; is the import description "
                                    "that large?")
        try:
            self.sock.sendall(data)
        except OSError:
            raise self._lost()
        while True:
            try:
                reply = json.loads(self._line())
            except ValueError:
                raise errors.NmbError("nmb-agent sent a line that is not "
                                      "JSON")
            if not isinstance(reply, dict):
                raise errors.NmbError("nmb-agent sent a JSON-RPC message "
                                      "that is not an object")
            if reply.get("id") is None and on_notify and \
                    isinstance(reply.get("method"), str):
                on_notify(reply["method"], reply.get("params"))
                continue
            if reply.get("id") != rid:
                continue        # a notification or a stale answer
            if "error" in reply:
                raise self._error(reply["error"])
            return reply.get("result")

    @staticmethod
    def _error(err):
        if not isinstance(err, dict):
            return errors.NmbError("nmb-agent answered an invalid error")
        message = str(err.get("message", "error without a message"))
        if err.get("code") == RPC_METHOD_NOT_FOUND:
            return errors.NmbError(message + "; is nmb-agent as new as "
                                   "this nmb package?")
        data = err.get("data")
        kind = data.get("kind") if isinstance(data, dict) else None
        return errors.from_agent(message, kind)


def _print_login_url(url, hub):
    print("Open this URL in a browser to log in to %s:\n\n    %s\n\n"
          "Waiting for the browser (Ctrl-C gives up)..."
          % (hub or "the server", url), flush=True)


class Agent:
    """nmb-agent, reached at socket (default $NMB_AGENT_SOCKET, then
    /run/nmb/agent.sock). timeout bounds the calls that do not wait for
    the server's queue (None: no bound)."""

    def __init__(self, socket=None, timeout=60):
        self.socket = (socket or os.environ.get(SOCKET_ENV)
                       or DEFAULT_SOCKET)
        self.timeout = timeout

    def connect(self, timeout=None):
        return Connection(self.socket, timeout)

    def call(self, method, params=None):
        """One call on a fresh connection."""
        with self.connect(self.timeout) as c:
            return c.call(method, params)

    # --- the agent's methods ------------------------------------------

    def reserve(self, ref, description=None, priority=0, connection=None):
        """Reserves NAME[@PLACE]; blocks while queued at the server.
        description is the YAML text; None looks NAME up as nmbctl does.
        Returns the reservation's name."""
        spec, name, place = split_ref(ref)
        if description is None:
            description = read_description(find_description(spec))
        params = {"name": name, "import_description": description,
                  "place_name": place}
        if priority:
            params["priority"] = priority
        if connection:
            connection.call("reserve", params)
        else:
            with self.connect() as c:
                c.call("reserve", params)
        return name

    def return_(self, name, force=False):
        """Returns the reservation name."""
        self.call("return_reservation", {"name": name, "force": force})

    def detach(self, name):
        """Detaches name's interfaces (the reservation stays)."""
        self.call("detach", {"name": name})

    def status(self):
        """Every reserved interface: a list of interface status dicts."""
        return self._list(self.call("status"), "status")

    def list(self):
        """This agent's reservations: [{"place", "place_name",
        "attached"}]."""
        return self._list(self.call("list"), "list")

    def search(self, description=None):
        """Every place (None), or [{"name"}] of the places matching the
        import description (YAML text, or a NAME looked up as nmbctl
        does)."""
        if description is not None and "\n" not in description and \
                ":" not in description:
            spec, _, _ = split_ref(description)
            description = read_description(find_description(spec))
        return self._list(self.call("search", {
            "import_description": description}), "search")

    def show(self, ref):
        """The place reserved as NAME, or the place PLACE for "@PLACE"."""
        if ref.startswith("@"):
            return self.call("get_place_by_name", {"place_name": ref[1:]})
        return self.call("get_reserved_place", {"name": ref})

    def who(self):
        """Who holds which place: [{"place_name", "user"}]."""
        return self._list(self.call("get_reservations"), "who")

    def login(self, hub=None, on_url=None, timeout=None):
        """Logs the agent's user in to its server with OpenID Connect, as
        nmbctl login does: the agent sends the URL to open in a browser,
        on_url(url, hub) gets it (default: printed to stdout as nmbctl
        prints it), and once the browser came back and the tokens are in
        the agent's token store, returns {"hub": URL, "claims": {...}}
        with the claims the server's show_claims lets through. No token
        ever reaches this process. hub, if given, must be the agent's
        server URL. timeout bounds the whole wait (None: no bound)."""
        if on_url is None:
            on_url = _print_login_url

        def notified(method, params):
            if method == "login_url" and isinstance(params, dict) and \
                    isinstance(params.get("url"), str):
                on_url(params["url"], params.get("hub"))
        params = {"hub": hub} if hub is not None else {}
        with self.connect(timeout) as c:
            result = c.call("login", params, on_notify=notified)
        if not isinstance(result, dict):
            raise errors.NmbError("login: the agent's answer is not an "
                                  "object")
        return {"hub": result.get("hub"),
                "claims": result.get("claims") or {}}

    def place(self, name):
        """The Place of the reservation name, from status()."""
        return Place(self, name, self.status())

    def attach(self, ref, description=None, timeout=None, keep=False,
               priority=0):
        """Reserves NAME[@PLACE] unless this agent holds it already,
        attaches it and returns its Place. The Place is a context manager
        that detaches and returns the reservation on exit, even on an
        exception or KeyboardInterrupt (keep=True leaves it reserved).
        An exception in here returns what this call reserved."""
        spec, name, place = split_ref(ref)
        held = {e.get("place"): e for e in self.list()
                if isinstance(e, dict)}
        entry = held.get(name)
        if entry and place and entry.get("place_name") != place:
            raise errors.Conflict(
                "%s: reserved at place %s, not %s; return %s first"
                % (name, entry.get("place_name"), place, name))
        if not entry and description is None:
            description = read_description(find_description(spec))
        reserved = False
        try:
            with self.connect() as c:
                if not entry:
                    self.reserve(ref, description, priority, connection=c)
                    reserved = True
                params = {"name": name}
                if timeout:
                    params["timeout"] = timeout
                ifaces = c.call("attach", params)
            return Place(self, name, self._list(ifaces, "attach"),
                         keep=keep)
        except BaseException:
            if reserved:
                self._cleanup(name)
            raise

    def _cleanup(self, name):
        """Detaches and returns name, each on a fresh connection, whatever
        happened before. Returns the error of the return, or None."""
        try:
            self.call("detach", {"name": name})
        except errors.NmbError:
            pass            # not attached, or the return says more
        try:
            self.call("return_reservation", {"name": name, "force": True})
        except errors.NmbError as e:
            return e
        return None

    @staticmethod
    def _list(result, what):
        if not isinstance(result, list):
            raise errors.NmbError("%s: the agent's answer is not a list"
                                  % what)
        return result
