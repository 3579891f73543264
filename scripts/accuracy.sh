#!/usr/bin/env bash
# Builds sw/tools/accuracy, runs it and replaces the block between
# <!-- accuracy:begin --> and <!-- accuracy:end --> in a markdown file.
# Usage: scripts/accuracy.sh [markdown file (default docs/numerics.md)] [build dir (default build)]
set -euo pipefail
cd "$(dirname "$0")/.."
doc="${1:-docs/numerics.md}"
build="${2:-build}"
[[ -f "$doc" ]] || { echo "accuracy.sh: no such file: $doc" >&2; exit 1; }
grep -q '<!-- accuracy:begin -->' "$doc" && grep -q '<!-- accuracy:end -->' "$doc" ||
  { echo "accuracy.sh: $doc lacks the accuracy:begin/end markers" >&2; exit 1; }
[[ -f "$build/CMakeCache.txt" ]] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j2 --target accuracy
table="$(mktemp)"
trap 'rm -f "$table" "$table.doc"' EXIT
# The tool fails if a bound is exceeded; publish nothing in that case.
tool="$build/sw/tools/accuracy"
[[ -x "$tool" ]] || tool="$build/tools/accuracy"  # scratch builds that add sw/tools directly
"$tool" > "$table"
awk -v table="$table" '
  /<!-- accuracy:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- accuracy:end -->/   { skip = 0 }
  !skip
' "$doc" > "$table.doc"
cp "$table.doc" "$doc"
echo "accuracy.sh: updated $doc"
