#!/usr/bin/env bash
# Install every Debian package ddf needs to build, test and run. Idempotent: when all are
# present it changes nothing and does not touch the network (no apt-get update).
set -euo pipefail

packages=(
  build-essential cmake pkg-config       # toolchain
  libcsv-dev                             # CSV tokenizer
  libxmlrpc-core-c3-dev                  # XML-RPC client and method registry
  libmicrohttpd-dev                      # the worker's HTTP/1.1 server
  libhiredis-dev redis-server            # the registry
  libcmocka-dev                          # unit tests
  libedit-dev                            # the REPL's line editing
  python3-pandas                         # the differential tests' oracle (/usr/bin/python3)
  clang libclang-rt-14-dev               # fuzz targets (libFuzzer)
  valgrind
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
