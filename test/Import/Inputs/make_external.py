"""Writes small models whose weight uses external data (good and broken)."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper

out = sys.argv[1]
w = np.arange(12, dtype=np.float32).reshape(3, 4)
with open(os.path.join(out, "w.bin"), "wb") as f:
    f.write(b"\0" * 16 + w.tobytes())
with open(os.path.join(out, "short.bin"), "wb") as f:
    f.write(b"\0" * 8)


def model(location, offset=16):
    t = TensorProto()
    t.name = "w"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([3, 4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)),
                 ("length", str(w.nbytes))):
        e = t.external_data.add()
        e.key, e.value = k, v
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        initializer=[t])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


for name, loc, off in (("good", "w.bin", 16), ("missing", "nowhere.bin", 0),
                       ("short", "short.bin", 0),
                       ("absolute", "/etc/passwd", 0),
                       ("dotdot", "../w.bin", 0)):
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(model(loc, off).SerializeToString())
