#!/usr/bin/env python3
"""Per-unit coverage table from a merged Verilator coverage file (make coverage).

Each coverage point of verilator_coverage's .dat is counted once per source
location (file, line, column, kind, name), covered if any instance of the
module hit it. Prints a Markdown table: per RTL file (one module per file:
one unit), line, toggle and `cover` points, then the uncovered lines of each
unit below the line-coverage goal.
"""
import re
import sys
from collections import defaultdict

GOAL = 90.0


def points(path):
    rx = re.compile(r"^C '(.*)' (\d+)\s*$")
    with open(path, encoding="latin-1") as f:
        for line in f:
            m = rx.match(line)
            if not m:
                continue
            fields = {}
            for kv in m.group(1).split("\x01"):
                if "\x02" in kv:
                    k, v = kv.split("\x02", 1)
                    fields[k] = v
            yield fields, int(m.group(2))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: coverage_table.py merged.dat")
    hit = {}
    for f, count in points(sys.argv[1]):
        page = f.get("page", "")
        kind = page.split("/")[0].replace("v_", "")  # line, branch, toggle, user, expr
        if kind == "branch":
            kind = "line"
        key = (f.get("f", "?"), kind, f.get("l", "0"), f.get("n", ""), f.get("o", ""))
        hit[key] = hit.get(key, False) or count > 0
    units = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    missed = defaultdict(set)
    for (file, kind, line, _col, _name), covered in hit.items():
        if "/rtl/" not in file and not file.startswith("rtl/"):
            continue
        unit = file[file.index("rtl/"):]
        units[unit][kind][1] += 1
        if covered:
            units[unit][kind][0] += 1
        elif kind == "line":
            missed[unit].add(int(line))

    def pct(h_t):
        h, t = h_t
        return f"{100.0 * h / t:.1f} % ({h}/{t})" if t else "-"

    print("| unit | line | toggle | cover points |")
    print("|---|---|---|---|")
    total = defaultdict(lambda: [0, 0])
    for unit in sorted(units):
        u = units[unit]
        for k, v in u.items():
            total[k][0] += v[0]
            total[k][1] += v[1]
        print(f"| `{unit}` | {pct(u['line'])} | {pct(u['toggle'])} | {pct(u['user'])} |")
    print(f"| all | {pct(total['line'])} | {pct(total['toggle'])} | {pct(total['user'])} |")
    below = [u for u in sorted(units) if units[u]["line"][1] and
             100.0 * units[u]["line"][0] / units[u]["line"][1] < GOAL]
    if below:
        print(f"\nUnits below {GOAL:.0f} % line coverage, with their uncovered lines:\n")
        for u in below:
            lines = sorted(missed[u])
            shown = ", ".join(str(x) for x in lines[:40]) + (" ..." if len(lines) > 40 else "")
            print(f"- `{u}`: {shown}")


if __name__ == "__main__":
    main()
