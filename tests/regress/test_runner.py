#!/usr/bin/env python3
"""CTest regress.runner: scripts/regress.py on a tiny list of fake commands
through the local launcher (exit code, JUnit XML, HTML rerun commands, the
timeout killing the whole process group, strict list validation). About 5 s."""
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "scripts" / "regress.py"
fails = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails.append(what)


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(RUNNER), *map(str, args)], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def main():
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="regress_runner_") as tmp:
        tmp = Path(tmp)
        pidfile = tmp / "grandchild.pid"
        lst = tmp / "tiny.yaml"
        lst.write_text(f"""\
name: tiny
defaults:
  timeout: 20
  labels: [fake]
tests:
  - name: pass
    command: "true"
  - name: fail
    command: "echo the-failure-output; false"
  - name: hang
    # a grandchild in the background: the timeout must kill the whole group
    command: "sleep 30 & echo $! > {pidfile}; sleep 5"
    timeout: 1
  - name: seeded
    command: "test $(( $NPU_SEED % 2 )) -eq 1 && test {{seed}} = $NPU_SEED"
    seeds: 3
    seed_start: 1
  - name: per_config
    command: "test -f configs/{{config}}.yaml && echo config {{config}} seed {{seed}}"
    configurations: [small, base]
    seeds: [7]
    waves_arg: "--waves {{waves}}"
""")
        out = tmp / "out"
        cov = tmp / "cov"  # a make coverage output: its table goes into the summary
        cov.mkdir()
        (cov / "units.md").write_text("| unit | line | toggle | cover points |\n|---|---|---|---|\n"
                                      "| `rtl/x/u.sv` | 87.5 % (7/8) | 50.0 % (1/2) | - |\n\nbelow: u.sv 12\n")
        rep = tmp / "report"  # a make report output: its plots go into the summary
        rep.mkdir()
        (rep / "report.html").write_text("<html></html>")
        (rep / "roofline.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        t0 = time.monotonic()
        p = run(lst, "--out", out, "-j", "4", "--coverage", cov, "--report", rep)
        took = time.monotonic() - t0
        print(p.stdout[-3000:], p.stderr[-2000:], sep="\n")
        check(p.returncode == 1, f"exit code 1 on failures (got {p.returncode})")
        check(took < 8, f"the list ran in parallel, timeout included ({took:.1f} s < 8 s)")

        junit = out / "junit.xml"
        check(junit.is_file(), "junit.xml written")
        root = ET.parse(junit).getroot()
        check(root.get("tests") == "8", f"JUnit tests=8 (got {root.get('tests')})")
        check(root.get("failures") == "3", f"JUnit failures=3 (got {root.get('failures')})")
        check(root.get("errors") == "0", f"JUnit errors=0 (got {root.get('errors')})")
        cases = {c.get("name"): c for c in root.iter("testcase")}
        expect = {"pass[seed=default]": None, "fail[seed=default]": "exit code 1",
                  "hang[seed=default]": "timeout after 1 s", "seeded[seed=1]": None,
                  "seeded[seed=2]": "exit code 1", "seeded[seed=3]": None,
                  "per_config[config=small,seed=7]": None, "per_config[config=base,seed=7]": None,
                  "pass[seed=default]": None}
        for name, msg in expect.items():
            c = cases.get(name)
            check(c is not None, f"JUnit testcase {name}")
            if c is None:
                continue
            f = c.find("failure")
            if msg is None:
                check(f is None, f"{name} passed")
            else:
                check(f is not None and msg in f.get("message", ""),
                      f"{name} failed with message containing '{msg}'"
                      f" (got {None if f is None else f.get('message')!r})")
        f = cases["fail[seed=default]"].find("failure")
        check(f is not None and "the-failure-output" in (f.text or ""), "the failure body has the log tail")
        check(len(root.findall("testsuite")) == 5, "one testsuite per entry")

        html = (out / "summary.html").read_text()
        check("NPU_SEED=2 NPU_WAVES=" in html and "seeded-s2.fst" in html,
              "HTML has the rerun command with NPU_SEED and NPU_WAVES for seeded[seed=2]")
        check("hang-sdefault.fst" in html and "the-failure-output" in html,
              "HTML has the rerun commands and log tails of the other failures")
        check(html.count("class='pass'") == 5 and html.count("class='fail'") == 2
              and html.count("class='timeout'") == 1, "HTML matrix: 5 pass, 2 fail, 1 timeout cells")
        check("<td>rtl/x/u.sv</td><td>87.5 % (7/8)</td><td>50.0 % (1/2)</td>" in html and "below: u.sv 12" in html,
              "HTML has make coverage's per-unit table")
        check("<img src='../report/roofline.png'" in html and "breakdown.png" not in html,
              "HTML shows make report's plots that exist")
        check((out / "logs" / "per_config-base-s7.log").read_text().strip().endswith("config base seed 7"),
              "configurations x seeds expanded into the command")

        try:
            gpid = int(pidfile.read_text())
        except (OSError, ValueError):
            gpid = None
        check(gpid is not None, "the hanging job started its grandchild")
        if gpid:
            deadline = time.monotonic() + 3
            while alive(gpid) and time.monotonic() < deadline:
                time.sleep(0.05)
            check(not alive(gpid), "timeout killed the job's whole process group (grandchild gone)")

        # All-pass list: exit 0.
        ok = tmp / "ok.yaml"
        ok.write_text("tests:\n  - {name: a, command: 'true'}\n  - {name: b, command: 'exit 0', seeds: 2}\n")
        p = run(ok, "--out", tmp / "ok_out")
        check(p.returncode == 0, f"exit code 0 when every job passes (got {p.returncode})")
        check("3/3 passed" in p.stdout and "\x1b[K" not in p.stdout,
              "plain progress lines when stdout is not a TTY")

        # Malformed lists: clear error naming file:line and field, exit 2, no traceback.
        bad = {
            "syntax.yaml": ("tests:\n  - name: x\n    command: [unclosed\n", ":4", "malformed YAML"),
            "field.yaml": ("tests:\n  - name: x\n    command: 'true'\n    timout: 3\n", ":2", "unknown field 'timout'"),
            "seeds.yaml": ("tests:\n  - name: x\n    command: 'true'\n    seeds: -1\n", ":2", "field 'seeds'"),
            "both.yaml": ("tests:\n  - name: x\n    command: 'true'\n    ctest: 'a'\n", ":2", "exactly one of"),
            "conf.yaml": ("tests:\n  - name: x\n    ctest: '^csr'\n    configurations: [small]\n", ":2",
                          "no configuration dimension"),
            "noconf.yaml": ("tests:\n  - name: x\n    command: 'echo {config}'\n    configurations: [nope]\n", ":2",
                            "no configs/nope.yaml"),
            "dup.yaml": ("tests:\n  - {name: x, command: 'true'}\n  - {name: x, command: 'true'}\n", ":3", "appears twice"),
            "dupkey.yaml": ("tests:\n  - name: x\n    name: y\n    command: 'true'\n", ":3", "duplicate key 'name'"),
            "timeout.yaml": ("tests:\n  - {name: x, command: 'true', timeout: fast}\n", ":2", "field 'timeout'"),
        }
        for fname, (text, line, msg) in bad.items():
            path = tmp / fname
            path.write_text(text)
            p = run(path, "--out", tmp / "bad_out")
            err = p.stderr.strip()
            check(p.returncode == 2 and f"{path}{line}" in err and msg in err and "Traceback" not in err,
                  f"{fname}: exit 2, '{path.name}{line}' and '{msg}' in the error (got {p.returncode}: {err!r})")

        # The shipped lists validate.
        for name in ("smoke", "nightly", "full"):
            p = run(name, "--check")
            check(p.returncode == 0, f"regress/{name}.yaml validates ({p.stdout.strip() or p.stderr.strip()})")

    print(f"runner checks took {time.monotonic() - t_start:.1f} s")  # a figure, not an assertion
    if fails:
        print(f"\n{len(fails)} check(s) failed", file=sys.stderr)
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
