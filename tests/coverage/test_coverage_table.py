#!/usr/bin/env python3
"""scripts/coverage_table.py on a hand-written coverage file: points of two
instances of one line count once, a point hit by any instance is covered,
toggle points are their own column, files outside rtl/ are left out, and a
unit under the goal lists its uncovered lines."""
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def point(file, line, page, name, hier, count):
    kv = {"f": file, "l": str(line), "page": page, "o": name, "h": hier}
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in kv.items()) + f"' {count}\n"


def main():
    dat = "# SystemC::Coverage-3\n" + "".join([
        point("/x/rtl/a/u.sv", 10, "v_line/u", "block", "TOP.a", 0),
        point("/x/rtl/a/u.sv", 10, "v_line/u", "block", "TOP.b", 3),   # same line, other instance: covered
        point("/x/rtl/a/u.sv", 20, "v_line/u", "block", "TOP.a", 0),   # never hit
        point("/x/rtl/a/u.sv", 5, "v_toggle/u", "sig[0]", "TOP.a", 1),
        point("/x/rtl/a/u.sv", 5, "v_toggle/u", "sig[1]", "TOP.a", 0),
        point("/x/rtl/b/w.sv", 7, "v_line/w", "block", "TOP.w", 2),
        point("/x/tb/t.cpp", 1, "v_line/t", "block", "TOP", 0),         # not RTL
    ])
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "merged.dat"
        p.write_text(dat, encoding="latin-1")
        out = subprocess.run([sys.executable, str(ROOT / "scripts/coverage_table.py"), str(p)],
                             check=True, capture_output=True, text=True).stdout
    print(out)
    assert "| `rtl/a/u.sv` | 50.0 % (1/2) | 50.0 % (1/2) | - |" in out, "u.sv line/toggle"
    assert "| `rtl/b/w.sv` | 100.0 % (1/1) | - | - |" in out, "w.sv"
    assert "| all | 66.7 % (2/3) | 50.0 % (1/2) | - |" in out, "totals"
    assert "t.cpp" not in out, "non-RTL files are left out"
    assert "- `rtl/a/u.sv`: 20" in out, "uncovered lines of a unit below the goal"
    assert "rtl/b/w.sv`:" not in out, "a unit at the goal is not listed"
    print("coverage_table: ok")


if __name__ == "__main__":
    main()
