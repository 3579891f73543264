#!/usr/bin/env python3
"""Opens a saved GTKWave view on a fresh trace under Xvfb and checks it.

  scripts/check_wave_view.py VIEW -- COMMAND...

Runs COMMAND with NPU_WAVES set to a temporary FST (a unit test or npu_sim that
honours it; `{fst}` in COMMAND is replaced by the path too), then opens
sim/waves/VIEW.gtkw on it in GTKWave (xvfb-run, the repository as working
directory, as `make waves` runs it) and reads every trace back through GTKWave's
Tcl interface at the end of the trace. Fails (exit 1, naming each problem) when a
signal of the view is not in the trace (GTKWave drops it silently), a filter file
cannot be opened or is not attached, or a signal with names (sim/waves/views.yaml:
`filter`, `enum`) shows a number that has a name.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_wave_views as views  # noqa: E402

ROOT = views.ROOT

TCL = r"""
gtkwave::setMarker [gtkwave::getMaxTime]
foreach s [gtkwave::getDisplayedSignals] { puts "DISPLAYED $s" }
for {set i 0} {$i < [gtkwave::getTotalNumTraces]} {incr i} {
  puts "TRACE $i [gtkwave::getTraceFlagsFromIndex $i] = [gtkwave::getTraceValueAtMarkerFromIndex $i]"
}
gtkwave::/File/Quit
"""


def read_names(path):
    """value -> name of a filter file."""
    table = {}
    for line in open(os.path.join(ROOT, path)):
        parts = line.split(None, 1)
        if len(parts) == 2 and not parts[0].startswith("#"):
            table[int(parts[0])] = parts[1].strip()
    return table


def number(shown, flags):
    """The value a trace shows as a number, or None (a name, X, empty)."""
    base = 2 if flags & views.FMT["bin"] == views.FMT["bin"] else 10 if flags & 0x4 else 16
    try:
        return int(shown, base)
    except ValueError:
        return None


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    name, cmd = argv[1], argv[3:]
    view = views.load().get(name)
    if view is None:
        print(f"check_wave_view: no view {name!r} in {views.SRC}", file=sys.stderr)
        return 2
    sigs = views.signals(view)
    gtkw = os.path.join(ROOT, f"sim/waves/{name}.gtkw")
    with tempfile.TemporaryDirectory() as tmp:
        fst = os.path.join(tmp, "trace.fst")
        env = dict(os.environ, NPU_WAVES=fst)
        r = subprocess.run([c.replace("{fst}", fst) for c in cmd], env=env, capture_output=True, text=True,
                           timeout=600)
        if not os.path.isfile(fst):
            print(f"check_wave_view: {' '.join(cmd)} wrote no trace (exit {r.returncode}):\n{r.stdout[-2000:]}"
                  f"{r.stderr[-2000:]}")
            return 1
        tcl = os.path.join(tmp, "check.tcl")
        with open(tcl, "w") as f:
            f.write(TCL)
        g = subprocess.run(["xvfb-run", "-a", "gtkwave", "-S", tcl, fst, gtkw], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    out = g.stdout + g.stderr
    problems = []
    if "Could not open filter file" in out:
        problems.append("GTKWave could not open a filter file")
    displayed = {l.split(" ", 1)[1] for l in out.splitlines() if l.startswith("DISPLAYED ")}
    traces = [re.match(r"TRACE \d+ (\d+) = ?(.*)$", l) for l in out.splitlines() if l.startswith("TRACE ")]
    if not traces:
        problems.append(f"GTKWave showed no traces (exit {g.returncode}):\n{out[-2000:]}")
    missing = [s for s, *_ in sigs if s not in displayed]
    problems += [f"{s}: not in the trace" for s in missing]
    named = 0
    if traces and not missing:
        # each group adds a begin and an end trace around its signals
        shown = [t for t in traces if int(t.group(1)) not in (views.GROUP_BEGIN, views.GROUP_END)]
        if len(shown) != len(sigs):
            problems.append(f"{len(sigs)} signals in the view, {len(shown)} traces shown")
        for (sig, flags, filt, names), t in zip(sigs, shown):
            got_flags, value = int(t.group(1)), t.group(2).strip()
            if got_flags != flags:
                problems.append(f"{sig}: flags 0x{got_flags:x} in GTKWave, 0x{flags:x} in the view")
            if not names:
                continue
            table = read_names(names)
            v = number(value, flags)
            if v is not None and v in table:
                problems.append(f"{sig}: shows {value!r} at the end of the trace, not {table[v]!r}")
            elif v is None and value not in table.values():
                problems.append(f"{sig}: shows {value!r}, not a name of {names}")
            else:
                named += v is None
    if problems:
        print(f"sim/waves/{name}.gtkw: {len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print(f"sim/waves/{name}.gtkw: {len(sigs)} signals, all in the trace; "
          f"{sum(1 for s in sigs if s[3])} with names, {named} shown by name at the end of the trace")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
