#!/usr/bin/env bash
# Reruns one CTest test with an FST trace and opens it in GTKWave.
#   scripts/waves.sh BUILD TEST [SEED] [FROM] [TO]
# TEST: a CTest name or regex that must select exactly one test (see
# `ctest --test-dir build -N`); SEED replays that seed (NPU_SEED); FROM/TO
# record only cycles [FROM, TO) (NPU_TRACE_FROM/NPU_TRACE_TO). The trace goes
# to BUILD/waves/<test>.fst; GTKWave opens it with the view of the unit
# (sim/waves/<unit>.gtkw) when there is one, and only if a display is set.
set -euo pipefail
bdir=$1 test=${2:-} seed=${3:-} from=${4:-} to=${5:-}
[ -n "$test" ] || { echo "usage: make waves TEST=<ctest name or regex> [SEED=n] [FROM=cycle] [TO=cycle]" >&2; exit 2; }
mapfile -t names < <(ctest --test-dir "$bdir" -N -R "$test" | sed -n 's/^ *Test *#[0-9]*: //p')
if [ ${#names[@]} -ne 1 ]; then
  echo "waves: TEST='$test' selects ${#names[@]} tests; it must select exactly one:" >&2
  printf '  %s\n' "${names[@]:0:20}" >&2
  exit 2
fi
name=${names[0]}
mkdir -p "$bdir/waves"
# absolute: ctest runs each test in its own directory
fst="$(cd "$bdir/waves" && pwd)/$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-80).fst"
rm -f "$fst"
echo "waves: running '$name'${seed:+ with seed $seed}${from:+ from cycle $from}${to:+ to cycle $to}"
rc=0
# env: assignments that come from expansions are not assignments to the shell
env NPU_WAVES="$fst" ${seed:+NPU_SEED=$seed} ${from:+NPU_TRACE_FROM=$from} ${to:+NPU_TRACE_TO=$to} \
  ctest --test-dir "$bdir" -R "^$(printf '%s' "$name" | sed 's/[][\.*^$+?(){}|/]/\\&/g')\$" --output-on-failure || rc=$?
[ -f "$fst" ] || { echo "waves: the test wrote no trace ($fst): does it honour NPU_WAVES?" >&2; exit 1; }
echo "waves: $fst ($(du -h "$fst" | cut -f1)); test exit status $rc"
unit=$(echo "$name" | sed -E 's/^([a-z_]+).*/\1/')
view=""
for v in "sim/waves/$unit.gtkw" "sim/waves/npu_top.gtkw"; do [ -f "$v" ] && { view=$v; break; }; done
if [ -n "${DISPLAY:-}" ] && command -v gtkwave >/dev/null; then
  gtkwave "$fst" $view &
else
  echo "waves: no display; open with: gtkwave $fst $view"
fi
