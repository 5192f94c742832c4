# SPDX-License-Identifier: GPL-2.0
"""syscalls.py - which system calls an strace -f log holds that the
SystemCallFilter= of a unit of systemd/ does not allow (selftests/ops, on
the host and in the guest), and how to stop a daemon traced by strace."""
import os
import re
import signal
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def syscall_groups():
    """{"@group": [members]} from systemd-analyze syscall-filter."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"],
                         capture_output=True, text=True).stdout
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = groups.setdefault(line.strip(), [])
        elif cur is not None and line.strip() and \
                not line.strip().startswith("#"):
            cur.append(line.strip())
    return groups


def expand(groups, names):
    out, todo = set(), list(names)
    while todo:
        n = todo.pop()
        if n.startswith("@"):
            todo.extend(groups.get(n, []))
        else:
            out.add(n)
    return out


def unit_filter(unit):
    """The groups and names of SystemCallFilter= in systemd/UNIT."""
    with open(os.path.join(ROOT, "systemd", unit)) as f:
        names = []
        for line in f:
            if line.startswith("SystemCallFilter="):
                names += line.split("=", 1)[1].split()
    return names


def traced(log):
    """The names of the system calls in an strace -f log."""
    names = set()
    with open(log) as f:
        for line in f:
            m = re.match(r"(?:\d+\s+)?([a-z_0-9]+)\(", line)
            if m:
                names.add(m.group(1))
    return names


def outside_filter(log, unit):
    """(every call in log, the sorted calls outside unit's filter). A unit
    without SystemCallFilter= allows nothing here, so that its absence
    fails."""
    allowed = expand(syscall_groups(), unit_filter(unit))
    used = traced(log)
    return used, sorted(used - allowed) if allowed else sorted(used)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop_traced(p, timeout):
    """SIGTERM to the daemon that strace p runs, which then exits, and
    strace with it. (SIGTERM to strace is not passed on: strace waited
    out the whole timeout, and killed it left the daemon running.)
    strace's exit status, or None when both had to be killed after
    timeout seconds."""
    signal_all(children(p.pid) or [p.pid], signal.SIGTERM)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        signal_all(children(p.pid), signal.SIGKILL)
        p.kill()
        p.wait()
        return None
