#!/usr/bin/env bash
# Verilator -Wall lint of every unit in rtl/tops.txt, with the sources of
# rtl/rtl.f and the one waiver file. Any warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v verilator >/dev/null || { echo "lint: verilator not found (run scripts/setup.sh)" >&2; exit 1; }
source scripts/rtl_files.sh

status=0
for entry in "${tops[@]}"; do
  read -r top _kind params <<<"$entry"
  gflags=()
  for p in $params; do
    case "$p" in *\<=*) continue ;; esac  # an ecp5 budget (LUT4<=n), not a parameter
    gflags+=("-G$p")
  done
  if verilator --lint-only -Wall rtl/lint/waivers.vlt "${files[@]}" \
       --top-module "$top" "${gflags[@]}"; then
    echo "lint: $top ${params:-(defaults)}: clean"
  else
    echo "lint: $top ${params:-(defaults)}: FAILED" >&2
    status=1
  fi
done
exit $status
