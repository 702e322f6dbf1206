"""Writes the ONNX models of test/e2e/driver-hardening.test.

  make_bad_model.py splat OUT.onnx    x[4,1048576] @ ConstantOfShape([1048576,
                                      65536], 0.5): a 256 GiB splat weight
  make_bad_model.py hugedims OUT.onnx an initializer of 2^40 x 2^40 dims
  make_bad_model.py nan OUT.onnx      x[2,8] @ w[8,16] with w[3, 5] = NaN
"""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def splat():
    shape = numpy_helper.from_array(np.array([1048576, 65536], np.int64),
                                    "shape")
    fill = helper.make_tensor("fill", TensorProto.FLOAT, [1], [0.5])
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["w"],
                              name="weights", value=fill),
             helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")]
    return model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 1048576])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 65536])],
        [shape])


def hugedims():
    w = TensorProto(name="w", data_type=TensorProto.FLOAT,
                    dims=[1 << 40, 1 << 40])
    w.raw_data = b"\0" * 16
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")]
    return model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 1 << 40])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 1 << 40])],
        [w])


def nan():
    w = np.linspace(-1, 1, 8 * 16, dtype=np.float32).reshape(8, 16)
    w[3, 5] = np.nan
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")]
    return model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 16])],
        [numpy_helper.from_array(w, "w")])


if __name__ == "__main__":
    m = {"splat": splat, "hugedims": hugedims, "nan": nan}[sys.argv[1]]()
    with open(sys.argv[2], "wb") as f:
        f.write(m.SerializeToString())
