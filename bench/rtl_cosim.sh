#!/usr/bin/env bash
# RTL co-simulation at acceptance size: 10^5 random groups per PE data type
# through the PE-level RTL and 10^5/64 tile passes per type (8 tokens x 8
# channels x 1..3 groups each) through the 8x8 tile, every output bit against
# the golden and fast functional models, cycles against the timing model.
# Usage: bench/rtl_cosim.sh [build-dir] [vectors] [seed]
# Results: docs/rtl.md ("Co-simulation").
set -euo pipefail
build=${1:-build}
vectors=${2:-100000}
seed=${3:-1}
exe="$build/bin/bitmod-rtl-cosim"
if [[ ! -x "$exe" ]]; then
  echo "$exe not built (needs verilator; ninja -C $build bitmod-rtl-cosim)" >&2
  exit 1
fi
exec "$exe" --vectors "$vectors" --seed "$seed"
