# Sourced by lint.sh and synth.sh: reads rtl/rtl.f into $files and
# rtl/tops.txt into $tops (one "<module> <kind> [P=V ...]" per entry).
rtl_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mapfile -t files < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$rtl_root/rtl/rtl.f")
mapfile -t tops < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$rtl_root/rtl/tops.txt")
if [ ${#files[@]} -eq 0 ] || [ ${#tops[@]} -eq 0 ]; then
  echo "rtl/rtl.f or rtl/tops.txt is empty" >&2
  exit 1
fi
