"""Imports every ONNX conformance node model whose ops are all supported.

Run as a script (prints "N imported, M skipped (unsupported op), F failed";
-v lists the failures) or through pytest, which fails if any model whose ops
are all supported fails to import, except for the documented refusals in
KNOWN_REFUSALS (docs/import.md).

Every non-float graph input (shape-like operands such as Reshape's shape,
Slice's starts or Unsqueeze's axes, and integer/bool data) and the float
shape-like operands of Range and Resize are bound to their test values
with --bind-input (bitmod/node_binding.py).

Environment: BITMOD_TRANSLATE (path of bitmod-translate), ONNX_NODE_DIR.
"""

import glob
import os
import subprocess
import sys

from bitmod.node_binding import bind_args

NODE_DIR = os.environ.get("ONNX_NODE_DIR",
                          "/usr/share/libonnx-testdata/data/node")

# Diagnostics of features the importer refuses on purpose (docs/import.md,
# "Not supported"): a model failing with one of these is reported but does
# not fail the pytest.
KNOWN_REFUSALS = (
    "unsupported element type string",  # string tensors
    "unsupported target type string",   # Cast to string
    "is not a tensor",                  # sequence / optional graph inputs
    "only inference mode is supported",  # BatchNormalization training
    "the Indices output is not supported",  # MaxPool argmax indices
    "training mode (random masking) is not supported",  # Dropout training
    "'tf_crop_and_resize' is not supported",  # Resize coordinate mode
    "only 1-D and 2-D transposed convolutions",  # ConvTranspose 3-D
)

def _translate():
    t = os.environ.get("BITMOD_TRANSLATE")
    if t:
        return t
    tools = os.environ.get("BITMOD_TOOLS_DIR")
    if tools and os.path.exists(os.path.join(tools, "bitmod-translate")):
        return os.path.join(tools, "bitmod-translate")
    here = os.path.dirname(os.path.abspath(__file__))
    for build in ("build", "build-import"):
        p = os.path.join(here, "..", "..", build, "bin", "bitmod-translate")
        if os.path.exists(p):
            return p
    return "bitmod-translate"


def sweep(verbose=False):
    tool = _translate()
    imported, skipped, failed = 0, 0, []
    for model in sorted(glob.glob(os.path.join(NODE_DIR, "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(model))
        try:
            binds = bind_args(model)
        except Exception:  # unreadable for the python onnx package
            binds = []
        r = subprocess.run([tool, "--import-onnx", model, "-o", os.devnull]
                           + binds, capture_output=True, text=True,
                           timeout=120)
        if r.returncode == 0:
            imported += 1
        elif "unsupported ONNX operators" in r.stderr:
            skipped += 1
        elif r.returncode < 0:
            failed.append((name, "crashed with signal %d" % -r.returncode))
        else:
            lines = r.stderr.strip().splitlines()
            failed.append((name, lines[0] if lines else "no diagnostic"))
    if verbose:
        for name, why in failed:
            print("FAILED %s: %s" % (name, why))
    print("%d imported, %d skipped (unsupported op), %d failed"
          % (imported, skipped, len(failed)))
    return imported, skipped, failed


def test_node_sweep():
    imported, _, failed = sweep()
    assert imported > 0
    unexpected = [f for f in failed
                  if not any(k in f[1] for k in KNOWN_REFUSALS)]
    assert not unexpected, "\n".join("%s: %s" % f for f in unexpected)


if __name__ == "__main__":
    sweep(verbose="-v" in sys.argv)
