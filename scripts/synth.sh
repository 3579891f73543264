#!/usr/bin/env bash
# yosys synthesis (generic cells) of every unit marked `synth` in
# rtl/tops.txt. Fails on a parse error, an unsupported construct, an inferred
# latch or a `check` problem; prints the cell counts per unit.
# Usage: scripts/synth.sh <outdir> [module ...]   (default: all synth units)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/synth.sh <outdir> [module ...]}
shift
only=" $* "
command -v yosys >/dev/null || { echo "synth: yosys not found (run scripts/setup.sh)" >&2; exit 1; }
source scripts/rtl_files.sh
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(pwd)

synth_one() {
  local top=$1 params=$2 tag=$1
  local set=""
  for p in $params; do set+=" -set ${p%%=*} ${p#*=}"; tag+="_${p%%=*}${p#*=}"; done
  local log="$out/$tag.log" script="$out/$tag.ys"
  {
    for f in "${files[@]}"; do echo "read_verilog -sv $root/$f"; done
    # chparam before hierarchy: yosys 0.23 asserts on hierarchy -chparam here.
    [ -n "$set" ] && echo "chparam$set $top"
    echo "hierarchy -check -top $top"
    echo "proc"
    # A latch after proc means an incompletely assigned always_comb.
    echo "select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$sr"
    echo "synth"
    echo "check -assert"
    echo "select -assert-none t:\$_DLATCH* t:\$_SR_*"
    echo "tee -q -o $out/$tag.stat stat"
    echo "write_verilog -noattr $out/$tag.v"
  } > "$script"
  if ! yosys -q -l "$log" -s "$script" >/dev/null 2>&1; then
    echo "synth: $top $params: FAILED; see $log" >&2
    grep -E "ERROR|Latch inferred|^Warning:" "$log" | tail -n 20 >&2 || tail -n 20 "$log" >&2
    return 1
  fi
  if grep -qE "^(Latch inferred|Warning:)" "$log"; then
    echo "synth: $top $params: FAILED: latch or warning in $log" >&2
    grep -E "^(Latch inferred|Warning:)" "$log" >&2
    return 1
  fi
  local cells ffs
  cells=$(awk '/design hierarchy/{h=1} h&&/Number of cells:/{print $4; exit}' "$out/$tag.stat")
  [ -n "$cells" ] || cells=$(awk '/Number of cells:/{n=$4} END{print n}' "$out/$tag.stat")
  ffs=$(grep -oE '\$_(S)?DFF[A-Z0-9_]*_ +[0-9]+' "$out/$tag.stat" | awk '{s+=$2} END{print s+0}')
  printf 'synth: %-20s %-26s OK  %8s cells (%s flip-flops)\n' "$top" "${params:-(defaults)}" "$cells" "$ffs"
}

status=0
for entry in "${tops[@]}"; do
  read -r top kind params <<<"$entry"
  # synth-nightly entries (the whole accelerator: ~10 minutes) only with
  # NPU_SYNTH_NIGHTLY=1 (make synth-nightly, ctest label nightly).
  case "$kind" in
    synth) ;;
    synth-nightly) [ "${NPU_SYNTH_NIGHTLY:-0}" = 1 ] || continue ;;
    *) continue ;;
  esac
  if [ "$only" != "  " ] && [[ "$only" != *" $top "* ]]; then continue; fi
  synth_one "$top" "$params" || status=1
done
[ $status -eq 0 ] && echo "synth: all units OK (netlists and logs in $out)"
exit $status
