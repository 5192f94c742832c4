#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""call-circles.py: circles of calls between the files of each daemon.

Usage: scripts/call-circles.py [OBJDIR]   (default build, the O= of userspace.mk;
run from the repository root, after make userspace)

File A "calls" file B when A's object file needs a symbol (nm: U) that
B defines as a function (nm: T). A circle is a cycle A -> B -> ... -> A
through distinct files of one daemon. Prints the circles of three files
or more (the first ten), and exits 1 if there is one; circles of two files (A calls B, B
calls A: a module and its callback user) are counted, not failed. A
"knot" is a strongly connected set of three files or more.
"""
import glob
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    need, have = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[0] == "U":
            need.add(f[1])
        elif len(f) == 3 and f[1] in "TW":
            have.add(f[2])
    return need, have


def circles(graph):
    """Every simple cycle, each once (starting at its smallest node)."""
    found = []
    nodes = sorted(graph)

    def walk(start, node, path, seen):
        for nxt in sorted(graph[node]):
            if nxt == start and len(path) > 1:
                found.append(list(path))
            elif nxt not in seen and nxt > start:
                seen.add(nxt)
                path.append(nxt)
                walk(start, nxt, path, seen)
                path.pop()
                seen.discard(nxt)

    for n in nodes:
        walk(n, n, [n], {n})
    return found


SHOW = 10


def components(graph):
    """Strongly connected components (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    objdir = sys.argv[1] if len(sys.argv) > 1 else "build"
    bad = 0
    for d in ("server", "exporter", "agent"):
        # only the objects of sources that still exist (no stale ones)
        objs = sorted(o for o in glob.glob(os.path.join(objdir, "daemon", d,
                                                        "*.o"))
                      if os.path.exists(os.path.join(
                          "daemon", d, os.path.basename(o)[:-2] + ".c")))
        if not objs:
            print(f"{d}: no object files under {objdir}/daemon/{d}; "
                  "run make userspace", file=sys.stderr)
            return 2
        info = {os.path.basename(o)[:-2] + ".c": symbols(o) for o in objs}
        owner = {}
        for name, (_, have) in info.items():
            for s in have:
                owner[s] = name
        graph = {n: {owner[s] for s in need if s in owner and owner[s] != n}
                 for n, (need, _) in info.items()}
        cs = circles(graph)
        long_ = [c for c in cs if len(c) > 2]
        print(f"{d}: {len(objs)} files, {len(cs) - len(long_)} two-file "
              f"circles, {len(long_)} of three files or more")
        for c in long_[:SHOW]:
            print("  " + " -> ".join(c + [c[0]]))
        if len(long_) > SHOW:
            print(f"  (+{len(long_) - SHOW} more)")
        for comp in components(graph):
            if len(comp) > 2:
                print("  knot of %d files: %s" % (len(comp), " ".join(comp)))
        bad += len(long_)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
