#!/usr/bin/env bash
# make coverage: the npu_top tests (test_top, `top: ...`: every unit inside npu_top)
# on a `small` model, and the unit tests that reach corners the top cannot (vector
# engine at 1, 4 and 16 lanes, command decoder, DMA, CSR), all Verilated with
# --coverage (line, toggle and `cover` points), in its own build directory; the
# runs merged with verilator_coverage, lcov HTML by genhtml and a per-unit table
# (scripts/coverage_table.py) in <build>/coverage/.
#   scripts/coverage.sh [build directory, default build-cov]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-cov}
J=${JOBS:-$(nproc)}
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DNPU_COVERAGE=ON >/dev/null
targets=(test_top test_vec_engine_l1 test_vec_engine_l4 test_vec_engine_l16
         test_cmd_decode_small test_dma test_axi_watchdog test_csr)
cmake --build "$B" -j "$J" --target "${targets[@]}"
out="$(cd "$B" && pwd)/coverage"
rm -rf "$out"
mkdir -p "$out/dat"
NPU_COVERAGE_DIR="$out/dat" ctest --test-dir "$B" -R '^(top|vec_engine L[0-9]+|cmd_decode small|dma|csr):' -LE nightly -j "$J" --output-on-failure
shopt -s nullglob
dats=("$out"/dat/*.dat)
if [ ${#dats[@]} -eq 0 ]; then
  echo "coverage: no coverage files were written (is $B configured with NPU_COVERAGE=ON?)" >&2
  exit 1
fi
verilator_coverage --write "$out/merged.dat" "${dats[@]}"
verilator_coverage --write-info "$out/merged.info" "$out/merged.dat"
genhtml --quiet --output-directory "$out/html" "$out/merged.info"
.venv/bin/python scripts/coverage_table.py "$out/merged.dat" | tee "$out/units.md"
echo "coverage: ${#dats[@]} runs merged; HTML in $out/html/index.html, table in $out/units.md"
