#!/usr/bin/env bash
# Staleness test of generated files: reruns a generator into a temporary
# directory and diffs every file it owns against the committed copy.
# Usage: scripts/check_generated.sh <test name> <source> <generator script> <file> ...
#   (the generator is called as `<script> <outdir>`; .py scripts run on .venv's python)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=$1 src=$2 gen=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "$gen" in
  *.py) py="$root/.venv/bin/python"
        [ -x "$py" ] || { echo "$name: $py missing; run 'make setup' (scripts/setup.sh)" >&2; exit 1; }
        run=("$py" "$root/$gen") ;;
  *)    run=(bash "$root/$gen") ;;
esac
"${run[@]}" "$tmp" >/dev/null
status=0
for f in "$@"; do
  if [ ! -f "$root/$f" ]; then
    echo "MISSING: $f is not in the tree" >&2
    status=1
  elif ! diff -u "$root/$f" "$tmp/$f" > "$tmp/diff.txt"; then
    echo "STALE: $f differs from what $src generates:" >&2
    head -n 40 "$tmp/diff.txt" >&2
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "regenerate with: ${gen##*/} (see $gen), then review and commit the result" >&2
  exit 1
fi
echo "$name: all $# generated files match $src"
