#!/usr/bin/env python3
"""The RTL files a Verilated model elaborates, in rtl/rtl.f order.

  scripts/rtl_deps.py TOP [EXTRA.sv ...]

Prints, one per line, the files of rtl/rtl.f that module TOP needs (itself, the
modules it instantiates and the packages it uses, transitively), then the EXTRA
files (test-bench tops outside rtl/, scanned the same way). Each RTL file holds
one module or package named like the file (the layout rtl/ keeps), and a file
depends on every other one whose name appears in it as a word outside comments,
so the list may hold a file too many, never one too few. cmake/npu_config.cmake
(npu_rtl_closure) gives each model only these files, so an edit re-verilates
only the models that elaborate the edited file.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DECL = re.compile(r"^\s*(?:module|package|interface)\s+(\w+)", re.M)
WORD = re.compile(r"\b[A-Za-z_]\w*\b")


def rtl_files():
    files = []
    for line in open(os.path.join(ROOT, "rtl/rtl.f")):
        line = line.strip()
        if line and not line.startswith("#") and line.endswith(".sv"):
            files.append(os.path.join(ROOT, line))
    return files


def scan(path):
    src = open(path).read()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r"//[^\n]*", "", src)
    src = re.sub(r'"(\\.|[^"\\])*"', '""', src)
    return DECL.findall(src), set(WORD.findall(src))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    top, extras = argv[1], [os.path.abspath(p) for p in argv[2:]]
    files = rtl_files()
    owner, words = {}, {}
    for f in files + extras:
        try:
            decls, w = scan(f)
        except OSError as e:
            print(f"rtl_deps: {e}", file=sys.stderr)
            return 1
        words[f] = w
        for d in decls:
            if d in owner and owner[d] != f:
                print(f"rtl_deps: {d} is declared in {owner[d]} and {f}", file=sys.stderr)
                return 1
            owner[d] = f
    if top not in owner:
        print(f"rtl_deps: no file of rtl/rtl.f{' or ' + ' '.join(argv[2:]) if extras else ''} declares {top}",
              file=sys.stderr)
        return 1
    need, todo = set(), [owner[top]] + extras
    while todo:
        f = todo.pop()
        if f in need:
            continue
        need.add(f)
        todo += [owner[w] for w in words[f] if w in owner and owner[w] not in need]
    for f in files + extras:
        if f in need:
            print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
