#!/usr/bin/env python3
"""Mutation campaign for the accelerator's control RTL against the top tests.

Each mutant is a one-line change (file, exact text on one line, replacement)
in the GEMM engine sequencing, the command queues/tokens, the command checker
or npu_top's store path. The script never touches the tree it is run from: it
copies the repository into the work directory (git clone on first use, then
overlays the current working-tree files so uncommitted RTL/test changes are
used), then for every mutant edits the copy's RTL file, rebuilds `test_top`,
checks that Verilator really regenerated the model, runs
`test_top "~[nightly]"` under a wall-clock timeout, records killed /
survived (and which test case failed) and restores the file.

    scripts/mutate_top.py                 # all mutants
    scripts/mutate_top.py --list          # show the mutant list
    scripts/mutate_top.py --only 3,7      # a subset (ids from --list)
    scripts/mutate_top.py --work /tmp/mutop --jobs 2 --timeout 300
    scripts/mutate_top.py --xinit         # survivors also face test_top_xinit

Work dir layout: DIR is the copy of the repository, DIR/build its build tree
(configured Release on first use). Not part of `make test`: every mutant
re-verilates npu_top (small config), about 3 minutes each on 2 cores.
Exit code: 0 if every non-equivalent mutant was killed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

from mutation import Mutant, sh, sync_tree

GEMM = "rtl/gemm/npu_gemm_engine.sv"
QUEUE = "rtl/ctrl/npu_queue.sv"
CPROC = "rtl/ctrl/npu_cmdproc.sv"
CHECK = "rtl/ctrl/npu_cmd_check.sv"
TOP = "rtl/npu_top.sv"

TARGET = "test_top"
XINIT_TARGET = "test_top_xinit"
# Verilator output of the model test_top links (hashed to prove a rebuild)
MODEL_DIR = "tb/top/CMakeFiles/vnpu_top_small.dir/Vnpu_top.dir"
XINIT_MODEL_DIR = "tb/top/CMakeFiles/vnpu_top_small_x.dir/Vnpu_top.dir"


MUTANTS: list[Mutant] = [
    # ---- GEMM engine
    Mutant(GEMM, "assign seq_desc      = {seq_last_tile, (seq_acc_q || seq_kt_q != '0), seq_mode_q, seq_m_q,",
           "assign seq_desc      = {seq_last_tile, (seq_kt_q != '0), seq_mode_q, seq_m_q,",
           "use_cinit ignores the ACCUMULATE flag (only k tiles after the first add C_init)"),
    Mutant(GEMM, "assign a_req_valid_o = ai_active_q && !pending_q[ai_acc_q] &&",
           "assign a_req_valid_o = ai_active_q &&",
           "A issuer does not wait for an ACC row whose previous result is still in flight"),
    Mutant(GEMM, "assign wl_last_row = (wl_row_q == 16'(Rows - 1));",
           "assign wl_last_row = (wl_row_q == 16'(Rows - 2));",
           "W loader issues one WSPAD row too few per tile"),
    Mutant(GEMM, "assign w_lanes = unpack(w_rd_data_i, wl_rsp_mode_q);",
           "assign w_lanes = unpack(w_rd_data_i, wl_mode_q);",
           "W unpack uses the loader's current mode, not the mode of the read in flight",
           equivalent="the next descriptor's mode reaches wl_mode_q one cycle after the last "
                      "row's data: the loader pops only once inactive"),
    Mutant(GEMM, "assign w_lanes = unpack(w_rd_data_i, wl_rsp_mode_q);",
           "assign w_lanes = unpack(w_rd_data_i, rsp_mode_q);",
           "W unpack uses the A issuer's mode (differs while W prefetches the next GEMM's tile)"),
    # ---- command queue
    Mutant(QUEUE, "assign err    = dn_pop && (dn_err != 8'd0);", "assign err    = 1'b0;",
           "engine error ignored at retirement (no fault)"),
    Mutant(QUEUE, "assign tok_next_push_o = retire && !err && ob_data[32];",
           "assign tok_next_push_o = retire && ob_data[32];",
           "a failed command still pushes its next token",
           equivalent="the fault halts every queue the cycle the token becomes visible"),
    Mutant(QUEUE, "assign tok_next_push_o = retire && !err && ob_data[32];",
           "assign tok_next_push_o = retire && !err && ob_data[33];",
           "push_next taken from the push_prev bit"),
    # ---- command processor
    Mutant(CPROC, "assign barrier_ok   = all_quiet;", "assign barrier_ok   = 1'b1;",
           "FENCE/IRQ do not wait for the queues and engines to drain"),
    Mutant(CPROC, "tok_l2c_q <= tok_l2c_q + 8'(q_next_push[0]) - 8'(q_prev_pop[1]);",
           "tok_l2c_q <= tok_l2c_q + 8'(q_next_push[0]);",
           "load->compute token not consumed on pop"),
    # ---- command checker
    Mutant(CHECK, "end else if (dram_first < win_lo || dram_last >= win_hi || dram_last >= 64'h1_0000_0000) begin",
           "end else if (dram_first < win_lo || dram_last > win_hi || dram_last >= 64'h1_0000_0000) begin",
           "window end check off by one (last byte == window end accepted)"),
    Mutant(CHECK, "end else if ((w1 % BusBytes) != 0 || (w2 % BusBytes) != 0) begin",
           "end else if ((w1 % BusBytes) != 0) begin",
           "ALIGN check ignores the DRAM stride"),
    # ---- npu_top
    Mutant(TOP, "assign lr_rdata = acc_rd_rsp[1] ? acc_row_padded[32'(lr_part_q) * DW +: DW] : as_rdata;",
           "assign lr_rdata = acc_rd_rsp[1] ? acc_row_padded[0 +: DW] : as_rdata;",
           "STORE from ACC always returns slice 0 of the row"),
]


def needs_configure(rel: str) -> bool:
    """Source lists and CMake code are read at configure time."""
    return rel == "rtl/rtl.f" or rel.endswith("CMakeLists.txt") or rel.endswith(".cmake") \
        or rel.startswith("configs/")


def tree_hash(d: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(d.rglob("*")):
        if f.is_file() and f.suffix in (".cpp", ".h"):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def parse_catch(out: str, names: list[str]) -> tuple[list[str], list[str]]:
    """Failed test cases (console reporter headers) and completed ones (-d yes lines)."""
    by_key = {squash(n): n for n in names}
    failed: list[str] = []
    lines = out.splitlines()
    dash = "-" * 79
    i = 0
    while i < len(lines):
        if lines[i] == dash:
            j = i + 1
            while j < len(lines) and lines[j] != dash:
                j += 1
            key = squash(" ".join(lines[i + 1:j]))
            if key in by_key and by_key[key] not in failed:
                failed.append(by_key[key])
            i = j + 1
        else:
            i += 1
    done = []
    for ln in lines:
        m = re.match(r"\s*[0-9.]+ s: (.*)$", ln)
        if m and m.group(1).strip() in names:
            done.append(m.group(1).strip())
    return failed, done


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/mutop", help="work dir (copy + DIR/build), reused between runs")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated mutant ids")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timeout", type=int, default=300, help="seconds for one test_top run")
    ap.add_argument("--spec", default="~[nightly]", help="Catch2 test spec")
    ap.add_argument("--xinit", action="store_true",
                    help="also build and run test_top_xinit for mutants test_top does not kill")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--no-sync", action="store_true",
                    help="use the work copy as it is (do not overlay the source working tree)")
    args = ap.parse_args()

    if args.list:
        for i, m in enumerate(MUTANTS):
            eq = f"  [equivalent: {m.equivalent}]" if m.equivalent else ""
            print(f"{i:3d} {m.file:28s} {m.what}{eq}")
        return 0

    src = Path(__file__).resolve().parent.parent
    work = Path(args.work).resolve()
    if work == src or src in work.parents or work in src.parents:
        sys.exit("--work must be outside the source tree")
    build = work / "build"
    logs = work / "mutlogs"
    if not (work / ".git").exists():
        if work.exists() and any(work.iterdir()):
            sys.exit(f"{work} exists and is not a copy of the repository")
        rc, out = sh(["git", "clone", "-q", str(src), str(work)])
        if rc:
            sys.exit(out)
    copied = [] if args.no_sync else sync_tree(src, work)
    if copied:
        print(f"synced {len(copied)} changed file(s) from {src}", flush=True)
    if (src / ".venv").exists() and not (work / ".venv").exists():
        (work / ".venv").symlink_to(src / ".venv")
    logs.mkdir(exist_ok=True)
    if not (build / "CMakeCache.txt").exists() or any(needs_configure(c) for c in copied):
        rc, _ = sh(["cmake", "-S", str(work), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"],
                   log=logs / "configure.log")
        if rc:
            sys.exit(f"configure failed, see {logs / 'configure.log'}")

    def build_target(target: str, tag: str) -> bool:
        rc, _ = sh(["cmake", "--build", str(build), "--target", target, f"-j{args.jobs}"],
                   log=logs / f"build-{target}-{tag}.log")
        return rc == 0

    def run_tests(exe: str, tag: str):
        binary = build / "tb/top" / exe
        _, out = sh([str(binary), args.spec, "--list-test-names-only"])
        names = [n.strip() for n in out.splitlines() if n.strip()]
        t0 = time.time()
        rc, out = sh(["stdbuf", "-oL", "-eL", str(binary), args.spec, "-d", "yes"],
                     log=logs / f"run-{exe}-{tag}.log", timeout=args.timeout)
        dt = time.time() - t0
        failed, done = parse_catch(out, names)
        if rc is None:
            hung = next((n for n in names if n not in done and n not in failed), "?")
            return "killed", failed + [f"TIMEOUT {args.timeout}s in: {hung}"], dt
        if rc != 0:
            return "killed", failed or [f"exit code {rc}"], dt
        return "survived", [], dt

    model_dirs = {TARGET: build / MODEL_DIR, XINIT_TARGET: build / XINIT_MODEL_DIR}
    targets = [TARGET] + ([XINIT_TARGET] if args.xinit else [])
    base_hash = {}
    for tgt in targets:
        if not build_target(tgt, "baseline"):
            sys.exit(f"baseline build of {tgt} failed, see {logs}")
        base_hash[tgt] = tree_hash(model_dirs[tgt])
        if not args.skip_baseline:
            st, fails, dt = run_tests(tgt, "baseline")
            if st != "survived":
                sys.exit(f"baseline {tgt} does not pass ({fails}); see {logs}")
            print(f"baseline: {tgt} passes ({dt:.0f}s)", flush=True)

    ids = [int(x) for x in args.only.split(",") if x] if args.only else list(range(len(MUTANTS)))
    rows = []
    t_all = time.time()
    for i in ids:
        m = MUTANTS[i]
        path = work / m.file
        orig = path.read_text()
        lines = [ln for ln in orig.splitlines() if m.old in ln]
        if orig.count(m.old) != 1 or len(lines) != 1:
            rows.append((i, m, "bad-pattern", [], 0.0))
            print(f"[{i}] pattern not found exactly once: {m.old!r}", flush=True)
            continue
        t0 = time.time()
        st, fails = "survived", []
        try:
            path.write_text(orig.replace(m.old, m.new))
            for tgt in targets:
                if tgt != TARGET and st == "killed":
                    break
                if not build_target(tgt, f"m{i}"):
                    st, fails = "build-error", [f"{tgt} did not build"]
                    break
                if tree_hash(model_dirs[tgt]) == base_hash[tgt]:
                    st, fails = "same-model", [f"Verilator output of {tgt} unchanged"]
                    break
                st, f, _ = run_tests(tgt, f"m{i}")
                fails += [f"{tgt}: {x}" for x in f] if tgt != TARGET else f
        finally:
            path.write_text(orig)
        dt = time.time() - t0
        rows.append((i, m, st, fails, dt))
        print(f"[{i}] {st:11s} {m.file}: {m.what}  ({dt:.0f}s) {'; '.join(fails[:3])}", flush=True)

    print("\n| id | file | mutant | result | killed by | s |")
    print("|---|---|---|---|---|---|")
    bad = 0
    for i, m, st, fails, dt in rows:
        res = st
        if st in ("survived", "same-model") and m.equivalent:
            res = f"{st} (equivalent)"
        elif st == "killed" and m.equivalent:
            res = "killed (listed as equivalent!)"
        if st in ("survived", "same-model", "bad-pattern", "build-error") and not m.equivalent:
            bad += 1
        who = "; ".join(fails[:2]) + (f" +{len(fails) - 2}" if len(fails) > 2 else "")
        print(f"| {i} | {Path(m.file).name} | {m.what} | {res} | {who} | {dt:.0f} |")
    killed = sum(1 for r in rows if r[2] == "killed")
    print(f"\n{killed}/{len(rows)} killed, {bad} non-equivalent survivor(s) / bad pattern(s); "
          f"{time.time() - t_all:.0f}s for the mutants; logs in {logs}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
