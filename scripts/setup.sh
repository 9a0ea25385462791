#!/usr/bin/env bash
# Installs the Debian packages tsf needs (idempotent), then configures and
# builds it in build/.  Works as root (no sudo needed) and as a user with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(gcc clang pkg-config meson ninja-build
          libgsl-dev liblapacke-dev libopenblas-dev libcsv-dev libjansson-dev libdnnl-dev
          libcmocka-dev libomp-dev libcairo2-dev libopenmpi-dev openmpi-bin python3
          abigail-tools doxygen groff-base python3-numpy python3-pytest python3-pandas)

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

if [ ! -f build/build.ninja ]; then
  meson setup build >&2
fi
ninja -C build >&2
echo "setup: built build/tsf" >&2
