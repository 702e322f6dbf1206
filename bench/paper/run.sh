#!/bin/sh
# Reproduces the paper's evaluation through the compiler (docs/results.md).
#   bench/paper/run.sh [--quick] [--model m.onnx] [--accel a.json] [...]
# Needs Debian's python3 (numpy, matplotlib): the python3 first on PATH may
# lack numpy, so /usr/bin/python3 is preferred.
here=$(dirname "$0")
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/run.py" "$@"
