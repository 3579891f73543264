#!/usr/bin/env bash
# Fuzz targets (fuzz/, libFuzzer + ASan + UBSan), built with clang into their own
# tree, separate from the g++ main build (docs/verification.md, "Fuzzing").
#   scripts/fuzz.sh build                  configure + build every target
#   scripts/fuzz.sh run TARGET SECONDS     build, replay fuzz/corpus/TARGET once,
#                                          then fuzz for SECONDS (new inputs go to
#                                          $FUZZ_BUILD/work/TARGET; a crash input to
#                                          $FUZZ_BUILD/artifacts/TARGET/)
#   scripts/fuzz.sh replay TARGET          build, replay fuzz/corpus/TARGET once
# Environment: FUZZ_BUILD (default build/fuzz), FUZZ_JOBS (default 2),
# FUZZ_ARGS (extra libFuzzer flags), FUZZ_FRESH=1 (start from the checked-in corpus
# only, so a fixed -seed replays exactly).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bdir=${FUZZ_BUILD:-$root/build/fuzz}
jobs=${FUZZ_JOBS:-2}

build() {
  command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found: run scripts/setup.sh (Debian package clang)" >&2; exit 1; }
  mkdir -p "$bdir"
  # Several fuzz.* tests may start at once (ctest -j): one builds, the others wait.
  (
    flock 9
    if [ ! -f "$bdir/CMakeCache.txt" ]; then
      CC=clang CXX=clang++ cmake -S "$root/fuzz" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    cmake --build "$bdir" -j "$jobs" ${1:+--target "$1"}
  ) 9>"$bdir/.build.lock"
}

# -rss_limit_mb / -malloc_limit_mb: a reader must not allocate by a size field
# it has not checked; -timeout: an input running 10 s is a hang.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10)

# Runs the fuzzer, keeps its output in $bdir/logs/TARGET.<what>.log and prints
# the summary (or, on a failure, the end of the log with the report).
fuzz() {
  local t=$1 what=$2; shift 2
  local log="$bdir/logs/$t.$what.log" rc=0
  mkdir -p "$bdir/logs" "$bdir/artifacts/$t"
  "$bdir/$t" "${limits[@]}" -artifact_prefix="$bdir/artifacts/$t/" "$@" >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 60 "$log"
    echo "fuzz.sh: $t ($what) FAILED (exit $rc); log $log, inputs in $bdir/artifacts/$t/" >&2
    exit $rc
  fi
  grep -E '^(INFO: Seed|#[0-9]+.*(INITED|DONE)|stat::|Done [0-9]+ runs)' "$log" || true
}

replay() {
  local t=$1 corpus="$root/fuzz/corpus/$1"
  shopt -s nullglob
  local files=("$corpus"/*)
  [ ${#files[@]} -gt 0 ] || { echo "fuzz.sh: empty corpus $corpus" >&2; exit 1; }
  echo "fuzz.sh: $t: replaying ${#files[@]} corpus inputs"
  fuzz "$t" replay "${files[@]}"
}

cmd=${1:-}
case "$cmd" in
  build) build ;;
  replay) build "$2"; replay "$2" ;;
  run)
    t=$2 secs=$3
    build "$t"
    replay "$t"
    [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$bdir/work/$t"
    mkdir -p "$bdir/work/$t"
    echo "fuzz.sh: $t: fuzzing for $secs s"
    # work/ first: libFuzzer adds new inputs to the first directory only.
    # shellcheck disable=SC2086
    fuzz "$t" run -max_total_time="$secs" -print_final_stats=1 ${FUZZ_ARGS:-} \
      "$bdir/work/$t" "$root/fuzz/corpus/$t"
    ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
