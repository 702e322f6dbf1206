#!/usr/bin/env bash
# Regenerates the TableGen dialect/pass reference and copies it into docs/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BITMOD_BUILD_DIR:-$root/build}"
cmake --build "$build" --target bitmod-doc
mkdir -p "$root/docs/dialects"
cp "$build"/docs/*/*.md "$root/docs/dialects/"
echo "docs/dialects updated"
