#!/usr/bin/env python3
"""tools/check_cycles.py BUILD_DIR — no dependency cycle inside src/lib.

Builds two graphs of the library and fails, naming the cycle, when either
has one:

  files    one node per .c file of src/lib; A -> B when A's object file
           needs a symbol B's defines (`nm`: U in A, T/D/B/R in B);
  folders  one node per folder of src/lib (base, spec, ...); X -> Y when a
           file of X needs a symbol of Y or includes a header of Y.

A folder may depend only on folders before it in LAYERS (state the reason
there when the order changes); any edge the other way is reported, and so
is any cycle between files, even inside one folder, a file of src/lib in no
folder, and two headers of one name on the include path.

Reads BUILD_DIR/compile_commands.json (meson writes it) to find each
source's object file. Python 3 standard library and binutils' nm only.
"""
import json
import os
import re
import shlex
import subprocess
import sys

# The allowed direction: a folder may use only the folders before it here.
#   base      errors and file helpers every folder needs
#   ns        namespace facts (the table of types) and id maps: below spec,
#             whose parser and writer name namespaces with its table
#   spec      struct cell_spec: defaults, names, config.json in and out
#   cgroup    cgroups (v1, v2, hybrid)
#   security  capabilities, seccomp, scheduling, sysctl: reads the spec
#   rootfs    mounts and pivot_root: applies sysctls after the mounts
#   net       the network, set up by the parent
#   run       the start path (validation, parent, child, init): uses them all
LAYERS = ["base", "ns", "spec", "cgroup", "security", "rootfs", "net", "run"]

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIB = os.path.join(ROOT, "src", "lib")
INCLUDE_DIRS = []  # the -I directories of the source tree, from compile_commands.json
DEFINED = set("TDBRVWGSi")


def source_include_dirs(cmd, build):
    """The -I directories of compile command @cmd inside the source tree, in order."""
    out = os.path.abspath(build)
    for arg in shlex.split(cmd.get("command", "")):
        if not arg.startswith("-I"):
            continue
        d = os.path.normpath(os.path.join(cmd["directory"], arg[2:]))
        if d.startswith(ROOT + os.sep) and d != out and not d.startswith(out + os.sep):
            yield d


def lib_sources(build):
    """{source path: object path} for every .c of src/lib compiled in @build."""
    with open(os.path.join(build, "compile_commands.json")) as f:
        cmds = json.load(f)
    objs = {}
    for c in cmds:
        src = os.path.normpath(os.path.join(c["directory"], c["file"]))
        if not src.startswith(LIB + os.sep) or not src.endswith(".c"):
            continue
        for d in source_include_dirs(c, build):
            if d not in INCLUDE_DIRS:
                INCLUDE_DIRS.append(d)
        out = os.path.join(c["directory"], c["output"])
        # the network sources may be compiled twice (module and library): one is enough
        objs.setdefault(src, out)
    return objs


def symbols(obj):
    """(defined, undefined) global symbol names of object file @obj."""
    if not os.path.isfile(obj):
        sys.exit("check_cycles: %s is missing: build first (ninja -C BUILD_DIR)" % obj)
    out = subprocess.run(["nm", "-g", obj], check=True, capture_output=True,
                         text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in DEFINED:
            defined.add(parts[2])
    return defined, undefined


def folder(path):
    """The folder of src/lib @path is in; "src/lib" for a file in none."""
    rel = os.path.relpath(path, LIB)
    if rel.startswith(".."):
        return None  # outside src/lib (include/cell, src/cli)
    return rel.split(os.sep)[0] if os.sep in rel else "src/lib"


def includes(path):
    """The headers @path includes with "...", resolved as the compiler would."""
    found = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            for d in [os.path.dirname(path)] + INCLUDE_DIRS:
                cand = os.path.normpath(os.path.join(d, m.group(1)))
                if os.path.isfile(cand):
                    found.append(cand)
                    break
    return found


def header_clashes():
    """Headers found under one name in two include directories: which one a
    file gets would depend on the order of -I flags."""
    seen, clashes = {}, []
    for d in INCLUDE_DIRS:
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not name.endswith(".h"):
                continue
            if name in seen:
                clashes.append((name, seen[name], d))
            seen.setdefault(name, d)
    return clashes


def find_cycle(graph):
    """One cycle of @graph ({node: set(nodes)}) as a list, or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def all_cycles(graph):
    """Cycles of @graph, one per strongly connected part, each named once."""
    graph = {n: set(e) for n, e in graph.items()}
    cycles = []
    while True:
        c = find_cycle(graph)
        if not c:
            return cycles
        cycles.append(c)
        graph[c[-2]].discard(c[-1])  # cut it, look for the next one


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tools/check_cycles.py BUILD_DIR")
    objs = lib_sources(sys.argv[1])
    if not objs:
        sys.exit("check_cycles: no src/lib object in compile_commands.json")
    defs, undefs = {}, {}
    for src, obj in objs.items():
        defs[src], undefs[src] = symbols(obj)
    owner = {}
    for src, names in defs.items():
        for s in names:
            owner.setdefault(s, src)

    def rel(p):
        return os.path.relpath(p, LIB)

    files = {rel(s): set() for s in objs}
    folders = {d: {} for d in LAYERS}  # folder -> {folder: why}
    for src in objs:
        for s in undefs[src]:
            dst = owner.get(s)
            if dst and dst != src:
                files[rel(src)].add(rel(dst))
                a, b = folder(src), folder(dst)
                if a != b:
                    folders[a].setdefault(b, "%s uses %s of %s" % (rel(src), s, rel(dst)))
    bad = 0
    for dirpath, _, names in sorted(os.walk(LIB)):
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            src = os.path.join(dirpath, name)
            if folder(src) == "src/lib":
                print("check_cycles: %s is in no folder of src/lib" % rel(src))
                bad += 1
            for h in includes(src):
                a, b = folder(src), folder(h)
                if a and b and a != b and "src/lib" not in (a, b):
                    folders[a].setdefault(b, "%s includes %s" % (rel(src), rel(h)))

    for name, a, b in header_clashes():
        print("check_cycles: %s is in both %s and %s (both on the include path)" %
              (name, os.path.relpath(a, ROOT), os.path.relpath(b, ROOT)))
        bad += 1
    for c in all_cycles(files):
        print("check_cycles: cycle between files: " + " -> ".join(c))
        bad += 1
    for a, deps in sorted(folders.items()):
        for b, why in sorted(deps.items()):
            if a not in LAYERS or b not in LAYERS:
                print("check_cycles: folder %s/ or %s/ is not in LAYERS" % (a, b))
                bad += 1
            elif LAYERS.index(b) > LAYERS.index(a):
                print("check_cycles: %s/ may not use %s/ (%s)" % (a, b, why))
                bad += 1
    n_edges = sum(len(e) for e in files.values())
    print("check_cycles: %d files, %d file dependencies, %d problems" %
          (len(files), n_edges, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
