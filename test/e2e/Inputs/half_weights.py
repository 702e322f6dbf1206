"""Models and checks of test/e2e/f16-weights.test.

  half_weights.py make DIR        writes DIR/mlp16.onnx, DIR/mlpbf.onnx (an
                                  MLP: MatMul + bias, Relu, Gemm transB=1,
                                  f16/bf16 weights and activations), the
                                  inputs DIR/x16.npy, DIR/x32.npy, and
                                  DIR/dec16/dec16.onnx (a Llama decoder layer
                                  in f16 with external data)
  half_weights.py check16 Q.onnx X.npy Y.npy
                                  Y (model.sim of mlp16) against numpy on the
                                  fake-quantized f16 model Q (bitmod-quant)
  half_weights.py checkbf Q.onnx X.npy Y.npy   the same for mlpbf
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from bitmod import onnx_models


def mlp(dtype):
    """f16: f16 weights and activations, graph I/O included. bf16: model.sim
    has no bf16 I/O, so x and y stay float32 with Casts to and from bf16 and
    everything between them is bf16."""
    rng = np.random.default_rng(5)
    w1 = (rng.standard_normal((256, 96)) * 0.06).astype(np.float32)
    b1 = (rng.standard_normal(96) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((40, 96)) * 0.1).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
         helper.make_node("Relu", ["hb"], ["r"], name="relu"),
         helper.make_node("Gemm", ["r", "w2"], ["y"], name="fc2", transB=1)],
        "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 40])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "w2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                          ir_version=8)
    m = onnx_models.to_half(m, dtype)
    if dtype == "bfloat16":
        g = m.graph
        for n in g.node:
            n.input[:] = ["xb" if i == "x" else i for i in n.input]
            n.output[:] = ["yb" if o == "y" else o for o in n.output]
        g.node.insert(0, helper.make_node("Cast", ["x"], ["xb"], name="to_bf16",
                                          to=TensorProto.BFLOAT16))
        g.node.append(helper.make_node("Cast", ["yb"], ["y"], name="to_f32",
                                       to=TensorProto.FLOAT))
        g.input[0].type.tensor_type.elem_type = TensorProto.FLOAT
        g.output[0].type.tensor_type.elem_type = TensorProto.FLOAT
    onnx.checker.check_model(m)
    return m


def weights(path):
    """The initializers of a model as float32 arrays (bf16 via its bits)."""
    out = {}
    for t in onnx.load(path).graph.initializer:
        if t.data_type == TensorProto.BFLOAT16:
            bits = np.frombuffer(t.raw_data, np.uint16).astype(np.uint32)
            out[t.name] = (bits << 16).view(np.float32).reshape(t.dims)
        else:
            out[t.name] = numpy_helper.to_array(t).astype(np.float32)
    return out


def check(qpath, xpath, ypath, out_dtype, bound):
    w = weights(qpath)
    x = np.load(xpath).astype(np.float64)
    if out_dtype == np.float32:  # the model casts x to bf16
        x = (np.load(xpath).view(np.uint32) + 0x7FFF +
             ((np.load(xpath).view(np.uint32) >> 16) & 1)) & 0xFFFF0000
        x = x.astype(np.uint32).view(np.float32).astype(np.float64)
    h = np.maximum(x @ w["w1"] + w["b1"], 0)
    ref = h @ w["w2"].T
    y = np.load(ypath)
    assert y.dtype == out_dtype, y.dtype
    err = np.abs(y.astype(np.float64) - ref).max() / np.abs(ref).max()
    assert err < bound, (err, bound)
    print("OK max error %.2e of max |y| (bound %.0e)" % (err, bound))


def main():
    if sys.argv[1] == "make":
        d = sys.argv[2]
        onnx.save(mlp("float16"), os.path.join(d, "mlp16.onnx"))
        onnx.save(mlp("bfloat16"), os.path.join(d, "mlpbf.onnx"))
        x = np.random.default_rng(6).standard_normal((6, 256))
        np.save(os.path.join(d, "x16.npy"), x.astype(np.float16))
        np.save(os.path.join(d, "x32.npy"), x.astype(np.float32))
        os.makedirs(os.path.join(d, "dec16"), exist_ok=True)
        onnx_models.save(
            onnx_models.llama_decoder_layer_half(hidden=128, heads=4,
                                                 intermediate=256, seq=8),
            os.path.join(d, "dec16", "dec16.onnx"), external=True)
        np.save(os.path.join(d, "xdec.npy"),
                np.random.default_rng(7).standard_normal((1, 8, 128))
                .astype(np.float16))
    elif sys.argv[1] == "check16":
        # f16 host ops (the Add, the Relu), the f16 rounding of the launch
        # outputs and of the fake-quantized weights: a few f16 ulps.
        check(*sys.argv[2:5], np.float16, 4e-3)
    elif sys.argv[1] == "checkbf":
        # bf16 rounding of the host ops and the fake-quantized weights.
        check(*sys.argv[2:5], np.float32, 3e-2)
    else:
        sys.exit("unknown command " + sys.argv[1])


if __name__ == "__main__":
    main()
