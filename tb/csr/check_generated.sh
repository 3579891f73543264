#!/usr/bin/env bash
# ctest csr.generated_files_fresh: the committed files generated from
# rtl/csr/npu_csr.rdl must equal a fresh run of scripts/gen_csr.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$root/.venv/bin/peakrdl" ]; then
  echo "csr.generated_files_fresh: $root/.venv/bin/peakrdl missing; run 'make setup' (scripts/setup.sh)" >&2
  exit 1
fi
bash "$root/scripts/gen_csr.sh" "$tmp" >/dev/null
status=0
for f in rtl/csr/npu_csr_reg_pkg.sv rtl/csr/npu_csr_reg.sv \
         sw/runtime/include/npu/regs.h docs/register-map.md; do
  if [ ! -f "$root/$f" ]; then
    echo "MISSING: $f is not in the tree" >&2
    status=1
  elif ! diff -u "$root/$f" "$tmp/$f" > "$tmp/diff.txt"; then
    echo "STALE: $f differs from what rtl/csr/npu_csr.rdl generates:" >&2
    head -n 40 "$tmp/diff.txt" >&2
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "regenerate with: bash scripts/gen_csr.sh   (then review and commit the result)" >&2
  exit 1
fi
echo "csr.generated_files_fresh: all 4 generated files match rtl/csr/npu_csr.rdl"
