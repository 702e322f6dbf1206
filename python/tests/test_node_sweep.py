"""Imports every ONNX conformance node model whose ops are all supported.

Run as a script (prints "N imported, M skipped (unsupported op), F failed";
-v lists the failures) or through pytest, which fails if any model whose ops
are all supported fails to import, except for the documented refusals in
KNOWN_REFUSALS (docs/import.md).

Every non-float graph input (shape-like operands such as Reshape's shape,
Slice's starts or Unsqueeze's axes, and integer/bool data) and every input
of a Range node (its bounds may be floats) is bound to its test value with --bind-input NAME=test_data_set_0/input_<i>.pb, where i is
the input's position in the graph's input list.

Environment: BITMOD_TRANSLATE (path of bitmod-translate), ONNX_NODE_DIR.
"""

import glob
import os
import subprocess
import sys

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
)

# ONNX TensorProto data types that stay runtime inputs.
_FLOAT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
# Ops whose operands are all shape-like (bound even when they are floats).
_FLOAT_SHAPE_OPERANDS = {"Range"}


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


def _bind_args(model_path):
    """--bind-input flags for the non-float graph inputs of `model_path`."""
    import onnx

    model = onnx.load(model_path, load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    # Operands that must be constants even when they are floats.
    shape_like = {name for node in model.graph.node
                  if node.op_type in _FLOAT_SHAPE_OPERANDS
                  for name in node.input}
    data_dir = os.path.join(os.path.dirname(model_path), "test_data_set_0")
    args = []
    for i, inp in enumerate(model.graph.input):
        if inp.name in inits or not inp.type.HasField("tensor_type"):
            continue
        if (inp.type.tensor_type.elem_type in _FLOAT_TYPES
                and inp.name not in shape_like):
            continue
        pb = os.path.join(data_dir, "input_%d.pb" % i)
        if os.path.exists(pb):
            args.append("--bind-input=%s=%s" % (inp.name, pb))
    return args


def sweep(verbose=False):
    tool = _translate()
    imported, skipped, failed = 0, 0, []
    for model in sorted(glob.glob(os.path.join(NODE_DIR, "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(model))
        try:
            binds = _bind_args(model)
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
