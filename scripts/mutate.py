#!/usr/bin/env python3
"""Mutation campaign for the MAC-array RTL against the default mac_array tests.

Each mutant is a one-line change (file, exact text on one line, replacement).
The script never touches the working tree it is run from: it clones the
repository into a work directory, overlays the current working-tree files
(so uncommitted test changes are used), then for every mutant edits the
clone's RTL file, rebuilds `test_mac_array`, runs
`ctest -R "^mac_array:" -LE nightly`, records killed / survived and restores
the file.

    scripts/mutate.py                 # all mutants
    scripts/mutate.py --list          # show the mutant list
    scripts/mutate.py --only 3,17     # a subset (ids from --list)
    scripts/mutate.py --work /tmp/mut --jobs 2

Not part of `make test` (each mutant re-verilates the small model, ~1 min).
Exit code: 0 if every non-equivalent mutant was killed, 1 otherwise.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from mutation import Mutant, sh, sync_tree

BF16 = "rtl/gemm/bf16_mac.sv"
PE = "rtl/gemm/mac_pe.sv"
ARR = "rtl/gemm/mac_array.sv"
DLY = "rtl/common/npu_delay.sv"
LZC = "rtl/common/npu_lzc.sv"


MUTANTS: list[Mutant] = [
    # ---- rounding (bf16_mac stage 2)
    Mutant(BF16, "rnd    = guard & (sticky | norm[SumW-SigW]);", "rnd    = guard;",
           "RNE -> round half away from zero (tie-to-even bit ignored)"),
    Mutant(BF16, "rnd    = guard & (sticky | norm[SumW-SigW]);", "rnd    = guard & sticky;",
           "RNE -> ties always round down"),
    Mutant(BF16, "sticky = |norm[SumW-SigW-2:0];", "sticky = |norm[SumW-SigW-2:1];",
           "sticky ignores the lowest (jammed) frame bit"),
    Mutant(BF16, "guard  = norm[SumW-SigW-1];", "guard  = norm[SumW-SigW-2];",
           "guard bit taken one position too low"),
    Mutant(BF16, "           + $signed({{(ExpW-1){1'b0}}, mant_r[SigW]});", "           ;",
           "rounding carry does not bump the exponent"),
    Mutant(BF16, "end else if (exp_r <= $signed(ExpW'(0))) begin", "end else if (exp_r < $signed(ExpW'(0))) begin",
           "FTZ threshold off by one (exponent 0 packed as a subnormal)"),
    Mutant(BF16, "end else if (exp_r <= $signed(ExpW'(0))) begin",
           "end else if (e_big_q + $signed(ExpW'(127 + SumW - 1 - G)) - $signed({{(ExpW-LzW){1'b0}}, lz}) <= $signed(ExpW'(0))) begin",
           "FTZ decided before rounding (tininess before rounding)"),
    Mutant(BF16, "end else if (exp_r >= $signed(ExpW'(255))) begin", "end else if (exp_r > $signed(ExpW'(255))) begin",
           "overflow-to-Inf threshold off by one"),
    # ---- alignment
    Mutant(BF16, "if (e_diff >= $signed(ExpW'(FrameW))) begin", "if (e_diff >= $signed(ExpW'(FrameW - 2))) begin",
           "alignment shift saturates 2 positions early"),
    Mutant(BF16, "if (e_diff >= $signed(ExpW'(FrameW))) begin", "if (e_diff > $signed(ExpW'(FrameW))) begin",
           "alignment saturation threshold >= -> >",
           equivalent="e_diff == FrameW gives shamt = FrameW on both branches"),
    Mutant(BF16, "| {{(FrameW-1){1'b0}}, |small_wide[FrameW-1:0]};", "| {{(FrameW-1){1'b0}}, 1'b0};",
           "bits shifted out of the aligned operand are dropped (no sticky jam)"),
    Mutant(BF16, "p_big = (e_p >= e_c);", "p_big = (e_p > e_c);",
           "equal exponents: accumulator taken as the larger operand",
           equivalent="no shift at equal exponents; a negative difference is fixed up by mag/sign"),
    Mutant(BF16, "sign_d = s_big ^ raw[SumW];", "sign_d = s_big;",
           "sign of the sum ignores a negative difference"),
    # ---- exponents / biases
    Mutant(BF16, "- $signed(ExpW'(277))", "- $signed(ExpW'(276))", "product exponent bias off by one"),
    Mutant(BF16, "- $signed(ExpW'(150));", "- $signed(ExpW'(149));", "accumulator exponent bias off by one"),
    Mutant(BF16, "+ $signed({{(ExpW-1){1'b0}}, prod[15]});", ";",
           "product exponent ignores the significand-product carry"),
    # ---- specials, DAZ, signs
    Mutant(BF16, "assign a_zero = (ea == 8'h00);", "assign a_zero = (a_i[14:0] == '0);",
           "no DAZ on the activation"),
    Mutant(BF16, "assign c_zero = (ec == 8'h00);", "assign c_zero = (acc_i[30:0] == '0);",
           "no DAZ on the accumulator"),
    Mutant(BF16, "assign c_nan  = (ec == 8'hFF) && (acc_i[22:0] != '0);",
           "assign c_nan  = (ec == 8'hFF) && (acc_i[22:1] != '0);",
           "accumulator NaN with only payload bit 0 taken for Inf"),
    Mutant(BF16, "assign p_nan     = a_nan | b_nan | ((a_inf | b_inf) & p_zero);",
           "assign p_nan     = a_nan | b_nan;", "0 x Inf not a NaN"),
    Mutant(BF16, "(p_inf & c_inf & (sp ^ sc));", "(p_inf & c_inf);",
           "Inf + Inf of equal signs gives NaN"),
    Mutant(BF16, "assign inf_sign  = p_inf ? sp : sc;", "assign inf_sign  = p_inf ? sa : sc;",
           "sign of an infinite product ignores the weight sign"),
    Mutant(BF16, "assign zero_sign = p_zero & c_zero & sp & sc;", "assign zero_sign = p_zero & c_zero & (sp | sc);",
           "exact zero sum is -0 if either addend is -0"),
    Mutant(BF16, "fp_res = {zero_sign_q, 31'h0};", "fp_res = {sign_q, 31'h0};",
           "exact zero takes the sign of the (cancelled) sum"),
    Mutant(BF16, "fp_res = {sign_q, 31'h0};           // flush", "fp_res = {1'b0, 31'h0};           // flush",
           "flushed results are always +0"),
    # ---- significand product / operands
    Mutant(BF16, "assign prod = {8'h00, 1'b1, a_i[6:0]} * {8'h00, 1'b1, b_i[6:0]};",
           "assign prod = {8'h00, 1'b1, a_i[6:0]} * {8'h00, 1'b1, a_i[6:0]};", "operand swap: a*a instead of a*w"),
    Mutant(BF16, "assign m_p  = prod[15] ? {prod, 8'h00} : {prod[14:0], 9'h000};",
           "assign m_p  = {prod, 8'h00};", "product not normalised when < 2"),
    # ---- INT8
    Mutant(BF16, "assign iprod = {{8{a_i[IntW-1]}}, a_i[IntW-1:0]} * {{8{b_i[IntW-1]}}, b_i[IntW-1:0]};",
           "assign iprod = {8'h00, a_i[IntW-1:0]} * {{8{b_i[IntW-1]}}, b_i[IntW-1:0]};",
           "INT8 activation zero-extended"),
    Mutant(BF16, "assign int_d = acc_i + {{(AccW-16){iprod[15]}}, iprod};",
           "assign int_d = acc_i + {{(AccW-16){1'b0}}, iprod};", "INT8 product not sign-extended to 32 bits"),
    Mutant(BF16, "assign iprod = {{8{a_i[IntW-1]}}, a_i[IntW-1:0]} * {{8{b_i[IntW-1]}}, b_i[IntW-1:0]};",
           "assign iprod = {{8{a_i[IntW-1]}}, a_i[IntW-1:0]} * {{8{b_i[IntW]}}, b_i[IntW-1:0]};",
           "INT8 weight sign taken from bit 8 (high byte)"),
    Mutant(BF16, "res_d = (mode_q == npu_pkg::ModeBf16) ? fp_res : int_q;",
           "res_d = (mode_i == npu_pkg::ModeBf16) ? fp_res : int_q;", "stage-2 mode mux uses the stage-1 mode"),
    # ---- leading-zero counter
    Mutant(LZC, "for (int unsigned i = 0; i < Width; i++) begin", "for (int unsigned i = 1; i < Width; i++) begin",
           "LZC ignores bit 0"),
    Mutant(LZC, "cnt_o = CntW'(Width - 1 - i);", "cnt_o = CntW'(Width - i);", "LZC count off by one"),
    # ---- PE
    Mutant(PE, ".b_i   (a_bank_i ? w1_q : w0_q),", ".b_i   (bank_q ? w1_q : w0_q),",
           "PE selects the weight bank with the previous row's bank bit"),
    Mutant(PE, ".mode_i(a_mode_i),", ".mode_i(mode_q),", "PE uses the previous row's mode"),
    Mutant(PE, "mode_q <= a_mode_i;", "mode_q <= npu_pkg::ModeBf16;", "mode not forwarded to the right"),
    # ---- array: handshakes
    Mutant(ARR, "assign advance = !c_valid_o || c_ready_i;", "assign advance = c_ready_i;",
           "pipeline stalls whenever c_ready is low, even with an empty output"),
    Mutant(ARR, "assign advance = !c_valid_o || c_ready_i;", "assign advance = 1'b1;",
           "pipeline ignores back-pressure"),
    Mutant(ARR, "assign a_ready_o = advance && full_q[cur_bank_q];", "assign a_ready_o = full_q[cur_bank_q];",
           "a_ready ignores the stall"),
    Mutant(ARR, "assign a_ready_o = advance && full_q[cur_bank_q];", "assign a_ready_o = advance && (|full_q);",
           "a_ready when any bank is full",
           equivalent="tiles are loaded and consumed in order: full[!cur] implies full[cur]"),
    Mutant(ARR, "(inflight_q[load_bank_q*CntW +: CntW] == '0);", "1'b1;",
           "weights reloaded while rows of the old tile are still in the array"),
    Mutant(ARR, "assign inc = a_fire && (cur_bank_q == 1'(b));", "assign inc = a_valid_i && (cur_bank_q == 1'(b));",
           "in-flight count increments on valid instead of fire"),
    Mutant(ARR, "assign dec = c_fire && (out_bank == 1'(b));", "assign dec = c_valid_o && (out_bank == 1'(b));",
           "in-flight count decrements on valid instead of fire"),
    Mutant(ARR, ".d_i   ({a_fire, a_last_i, cur_bank_q}),", ".d_i   ({a_valid_i, a_last_i, cur_bank_q}),",
           "result valid from a_valid instead of the A handshake"),
    Mutant(ARR, "assign c_last_o  = meta_out[1];", "assign c_last_o  = meta_out[0];", "c_last driven by the bank bit"),
    # ---- array: bank control
    Mutant(ARR, "assign load_done = w_fire && (load_row_q == RowIdxW'(Rows - 1));",
           "assign load_done = w_fire && (load_row_q == RowIdxW'(Rows - 2));", "tile complete one beat early"),
    Mutant(ARR, "load_row_q <= load_done ? '0 : load_row_q + 1'b1;", "load_row_q <= load_row_q + 1'b1;",
           "load_row wraps by overflow instead of at Rows-1",
           equivalent="Rows is a power of two in every configuration (tiny 2, small 4, base 16)"),
    Mutant(ARR, "if (a_fire && a_last_i) begin", "if (a_fire) begin", "bank released after every row"),
    Mutant(ARR, "cur_bank_q         <= !cur_bank_q;", "cur_bank_q         <= cur_bank_q;",
           "current bank never switches"),
    Mutant(ARR, "full_q[cur_bank_q] <= 1'b0;", "full_q[!cur_bank_q] <= 1'b0;", "the wrong bank is released"),
    # ---- array: skew, de-skew, lanes
    Mutant(ARR, "localparam int unsigned Depth   = L * Rows + Cols;", "localparam int unsigned Depth   = L * Rows + Cols + 1;",
           "valid/last line one register too long"),
    Mutant(ARR, "npu_delay #(.Width(ElemW + 2), .Depth(1 + L * k)) u_skew (",
           "npu_delay #(.Width(ElemW + 2), .Depth(1 + L * k + (k == Rows - 1 ? 1 : 0))) u_skew (",
           "last row's input skew one register too long"),
    Mutant(ARR, "npu_delay #(.Width(AccW), .Depth(1 + j)) u_skew (", "npu_delay #(.Width(AccW), .Depth(1 + j + (j == Cols - 1 ? 1 : 0))) u_skew (",
           "last column's top skew one register too long"),
    Mutant(ARR, "npu_delay #(.Width(AccW), .Depth(Cols - 1 - j)) u_deskew (",
           "npu_delay #(.Width(AccW), .Depth((j == 0) ? Cols : Cols - 1 - j)) u_deskew (",
           "column 0 de-skew one register too long"),
    Mutant(ARR, ".d_i   ({a_data_i[k*ElemW +: ElemW], a_mode_i, cur_bank_q}),",
           ".d_i   ({a_data_i[k*ElemW +: ElemW], a_mode_i, load_bank_q}),", "rows carry the load bank"),
    Mutant(ARR, ".d_i   (a_acc_i[j*AccW +: AccW]),", ".d_i   (a_acc_i[((j + 1) % Cols)*AccW +: AccW]),",
           "C_init lanes rotated by one column"),
    Mutant(ARR, ".w_data_i(w_data_i[j*ElemW +: ElemW]),", ".w_data_i(w_data_i[(Cols-1-j)*ElemW +: ElemW]),",
           "weight columns reversed"),
    Mutant(ARR, ".w_we_i  (w_fire && (load_row_q == RowIdxW'(k))),",
           ".w_we_i  (w_fire && (load_row_q == RowIdxW'(Rows-1-k))),", "weight rows reversed"),
    # ---- delay line
    Mutant(DLY, "end else if (en_i) begin", "end else begin", "delay lines ignore the stall enable"),
    Mutant(DLY, "assign q_o = pipe_q[Width*Depth-1 -: Width];", "assign q_o = pipe_q[Width*Depth-1 -: Width] | pipe_q[Width-1:0];",
           "delay output ORed with the first stage"),
]


def failing_tests(ctest_out: str) -> list[str]:
    out = []
    for line in ctest_out.splitlines():
        m = re.match(r"\s*\d+ - (mac_array:.*?) \((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception).*\)", line)
        if m:
            out.append(m.group(1))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/npu-mutate", help="work dir (clone + build), reused between runs")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated mutant ids")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--tests", default="^mac_array:", help="ctest -R regex")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()

    if args.list:
        for i, m in enumerate(MUTANTS):
            eq = f"  [equivalent: {m.equivalent}]" if m.equivalent else ""
            print(f"{i:3d} {m.file:26s} {m.what}{eq}")
        return 0

    src = Path(__file__).resolve().parent.parent
    work = Path(args.work).resolve()
    if work == src or src in work.parents:
        sys.exit("--work must be outside the source tree")
    repo, build = work / "repo", work / "build"
    work.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        rc, out = sh(["git", "clone", "-q", str(src), str(repo)])
        if rc != 0:
            print(out, file=sys.stderr)
            return 2
    sync_tree(src, repo)
    if not (build / "CMakeCache.txt").exists():
        rc, _ = sh(["cmake", "-S", str(repo), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release"], log=work / "configure.log")
        if rc:
            sys.exit(f"configure failed, see {work / 'configure.log'}")

    def build_and_test(tag: str):
        rc, _ = sh(["cmake", "--build", str(build), "--target", "test_mac_array", f"-j{args.jobs}"],
                   log=work / f"build-{tag}.log")
        if rc:
            return "build-error", []
        rc, out = sh(["ctest", "--test-dir", str(build), "-R", args.tests, "-LE", "nightly", "--timeout", "300"],
                     log=work / f"ctest-{tag}.log")
        return ("survived" if rc == 0 else "killed"), failing_tests(out)

    ids = [int(x) for x in args.only.split(",") if x] if args.only else list(range(len(MUTANTS)))
    if not args.skip_baseline:
        st, fails = build_and_test("baseline")
        if st != "survived":
            sys.exit(f"baseline does not pass ({st}: {fails}); see {work}")
        print("baseline: all tests pass", flush=True)

    rows = []
    for i in ids:
        m = MUTANTS[i]
        path = repo / m.file
        orig = path.read_text()
        lines = [ln for ln in orig.splitlines() if m.old in ln]
        if orig.count(m.old) != 1 or len(lines) != 1:
            rows.append((i, m, "bad-pattern", [], 0.0))
            print(f"[{i}] pattern not found exactly once: {m.old!r}", flush=True)
            continue
        t0 = time.time()
        try:
            path.write_text(orig.replace(m.old, m.new))
            st, fails = build_and_test(f"m{i}")
        finally:
            path.write_text(orig)
        dt = time.time() - t0
        rows.append((i, m, st, fails, dt))
        print(f"[{i}] {st:11s} {m.file}: {m.what}  ({dt:.0f}s) {'; '.join(fails[:3])}", flush=True)

    print("\n| id | file | mutant | result | killed by |")
    print("|---|---|---|---|---|")
    bad = 0
    for i, m, st, fails, _ in rows:
        res = st
        if st == "survived" and m.equivalent:
            res = "survived (equivalent)"
        elif st == "killed" and m.equivalent:
            res = "killed (listed as equivalent!)"
        if st in ("survived", "bad-pattern") and not m.equivalent:
            bad += 1
        who = ", ".join(f.replace("mac_array:", "") for f in fails[:2]) + (f" +{len(fails) - 2}" if len(fails) > 2 else "")
        print(f"| {i} | {m.file} | {m.what} | {res} | {who} |")
    killed = sum(1 for r in rows if r[2] == "killed")
    print(f"\n{killed}/{len(rows)} killed, {bad} non-equivalent survivor(s) / bad pattern(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
