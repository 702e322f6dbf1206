"""Which graph inputs of an ONNX backend node test to bind as constants.

The importer needs shape-like operands (Reshape's shape, Slice's starts,
Unsqueeze's axes, Resize's scales/sizes, Range's bounds, ...) to be
constants after folding. The node tests pass them as graph inputs, so the
harnesses bind them to their stored test values with --bind-input, as a
user would with a real model: every non-float graph input, and the float
operands of ops whose operands are shape-like.
"""

import os

import onnx

# ONNX TensorProto data types that stay runtime inputs.
FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16,
               onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16}
# op type -> index of its first shape-like operand (bound even when float).
FLOAT_SHAPE_OPERANDS = {"Range": 0, "Resize": 1}


def bind_args(model_path, data_dir=None):
    """--bind-input=NAME=test_data_set_0/input_<i>.pb flags for the inputs
    of `model_path` to bind (i is the input's position in the graph's input
    list, as in the test data)."""
    model = onnx.load(model_path, load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    shape_like = {name for node in model.graph.node
                  if node.op_type in FLOAT_SHAPE_OPERANDS
                  for name in node.input[FLOAT_SHAPE_OPERANDS[node.op_type]:]
                  if name}
    data_dir = data_dir or os.path.join(os.path.dirname(model_path),
                                        "test_data_set_0")
    args = []
    for i, inp in enumerate(model.graph.input):
        if inp.name in inits or not inp.type.HasField("tensor_type"):
            continue
        if (inp.type.tensor_type.elem_type in FLOAT_TYPES
                and inp.name not in shape_like):
            continue
        pb = os.path.join(data_dir, "input_%d.pb" % i)
        if os.path.exists(pb):
            args.append("--bind-input=%s=%s" % (inp.name, pb))
    return args
