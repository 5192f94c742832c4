# SPDX-License-Identifier: GPL-2.0
"""nmb.place - an attached place as the agent reports it: per part and
interface, the local device nodes and vhci port of a USB interface, and
(host, port) of a TCP interface's local listener.

    place["board.serial"].nodes        # ["/dev/ttyACM0", ...]
    place.tty("board.serial")          # "/dev/ttyACM0"
    place.tcp("power.scpi")            # ("localhost", 5025)
"""

import os
import time

from . import errors

TCP_HOST = "localhost"


class Interface:
    """One interface of an attached place (an interface status object of
    Documentation/agent-api.rst)."""

    def __init__(self, entry):
        self.part = str(entry.get("part"))
        self.name = str(entry.get("interface"))
        self.type = str(entry.get("type"))
        self.attached = bool(entry.get("attached"))
        self.up = bool(entry.get("up"))
        self.busid = entry.get("busid")
        nodes = entry.get("nodes")
        self.nodes = [n for n in nodes if isinstance(n, str)] \
            if isinstance(nodes, list) else []
        port = entry.get("port")
        try:
            self.port = int(port)
        except (TypeError, ValueError):
            self.port = None
        # the part's power, when its exporter tells one (a virtual board)
        power = entry.get("power")
        self.power = power if isinstance(power, str) else None
        reason = entry.get("power_reason")
        self.power_reason = reason if isinstance(reason, str) else None
        since = entry.get("power_since")
        self.power_since = since if isinstance(since, int) and \
            not isinstance(since, bool) else None

    @property
    def key(self):
        return "%s.%s" % (self.part, self.name)

    @property
    def is_usb(self):
        return self.type == "USB"

    @property
    def is_tcp(self):
        return self.type == "TCP"

    @property
    def vhci_port(self):
        """The local vhci port of a USB interface."""
        return self.port if self.is_usb else None

    @property
    def address(self):
        """(host, port) of a TCP interface's local listener."""
        return (TCP_HOST, self.port) if self.is_tcp else None

    @property
    def ttys(self):
        """The tty nodes among the device nodes (/dev/ttyACM0 or a
        /dev/pts/N first, then the /dev/serial/ links)."""
        return [n for n in self.nodes if n.startswith(("/dev/tty",
                                                       "/dev/pts/"))] + \
            [n for n in self.nodes if n.startswith("/dev/serial/")]

    def __repr__(self):
        return "<Interface %s %s port %s up=%s nodes=%s>" % (
            self.key, self.type, self.port, self.up, self.nodes)


class Place:
    """The interfaces of reservation name, from the agent's status list.
    As a context manager it detaches and returns the reservation on exit
    (unless keep)."""

    def __init__(self, agent, name, status, keep=False):
        self.agent = agent
        self.name = name
        self.keep = keep
        self._set(status)

    def _set(self, status):
        self.interfaces = {}
        for e in status:
            if isinstance(e, dict) and e.get("place") == self.name:
                i = Interface(e)
                self.interfaces[i.key] = i

    def refresh(self):
        """Reads the agent's status again."""
        self._set(self.agent.status())
        return self

    @property
    def parts(self):
        return sorted({i.part for i in self.interfaces.values()})

    def __getitem__(self, key):
        """The Interface "PART.INTERFACE"."""
        i = self.interfaces.get(key)
        if i is None:
            raise errors.NotFound(
                "%s: no interface %s in the reservation; it has: %s"
                % (self.name, key, ", ".join(sorted(self.interfaces))
                   or "none (is it attached?)"))
        return i

    def __contains__(self, key):
        return key in self.interfaces

    def _up(self, key, kind):
        i = self[key]
        if kind == "USB" and not i.is_usb or kind == "TCP" and not i.is_tcp:
            raise errors.UsageError(
                "%s: %s is a %s interface, not %s" % (self.name, key,
                                                       i.type, kind))
        if not i.attached or not i.up:
            raise errors.Unavailable(
                "%s: %s is not attached and up; nmbctl attach %s, or "
                "wait_up()" % (self.name, key, self.name))
        return i

    def tty(self, key):
        """The tty node of USB interface key, e.g. "/dev/ttyACM0"."""
        i = self._up(key, "USB")
        if not i.ttys:
            raise errors.UsageError(
                "%s: %s is not a serial interface (device nodes: %s)"
                % (self.name, key, ", ".join(i.nodes) or "none"))
        return i.ttys[0]

    def nodes(self, key):
        """The local device nodes of USB interface key."""
        return list(self._up(key, "USB").nodes)

    def vhci_port(self, key):
        return self._up(key, "USB").port

    def tcp(self, key):
        """(host, port) of TCP interface key's local listener."""
        return self._up(key, "TCP").address

    def wait(self, key, up=True, timeout=60, step=0.2):
        """Waits until interface key is up (with its device nodes present)
        or down, e.g. around a board's power cycle. Returns the
        Interface."""
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            i = self.interfaces.get(key)
            if i is not None:
                is_up = i.attached and i.up and \
                    all(os.path.exists(n) for n in i.nodes) and \
                    (not i.is_usb or bool(i.nodes))
                if is_up == up:
                    return i
            if time.monotonic() >= deadline:
                raise errors.Timeout("%s: %s not %s after %g s" % (
                    self.name, key, "up" if up else "down", timeout))
            time.sleep(step)

    def wait_up(self, key, timeout=60):
        return self.wait(key, True, timeout)

    def wait_down(self, key, timeout=60):
        return self.wait(key, False, timeout)

    def close(self, quiet=False):
        """Detaches and returns the reservation (unless keep). Raises the
        return's error unless quiet."""
        if self.keep:
            return
        err = self.agent._cleanup(self.name)
        if err and not quiet:
            raise err

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        # an exception in flight is the one the caller wants to see
        self.close(quiet=exc_type is not None)

    def __repr__(self):
        return "<Place %s: %s>" % (self.name, ", ".join(
            repr(i) for i in self.interfaces.values()))
