"""convtranspose.test: compares model.sim's ConvTranspose outputs with a
direct numpy evaluation of ONNX ConvTranspose (every input element scatters
the kernel times itself to i * stride + k * dilation; pads crop, and
output_shape / SAME pads are derived as in the ONNX spec)."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def conv_transpose(x, w, b, a):
    sp = x.ndim - 2
    n, c = x.shape[:2]
    group = a.get("group", 1)
    cg, mg, k = c // group, w.shape[1], w.shape[2:]
    strides = a.get("strides", [1] * sp)
    dil = a.get("dilations", [1] * sp)
    outpad = a.get("output_padding", [0] * sp)
    pads = list(a.get("pads", [0] * 2 * sp))
    full = [(x.shape[2 + i] - 1) * strides[i] + (k[i] - 1) * dil[i] + 1 +
            outpad[i] for i in range(sp)]
    auto = a.get("auto_pad", b"NOTSET")
    extra = [0] * sp
    if "output_shape" in a or auto in (b"SAME_UPPER", b"SAME_LOWER"):
        target = a.get("output_shape") or [x.shape[2 + i] * strides[i]
                                           for i in range(sp)]
        for i in range(sp):
            total = full[i] - target[i]
            extra[i] = max(0, -total)
            total = max(0, total)
            begin = total // 2 if auto == b"SAME_UPPER" else total - total // 2
            pads[i], pads[sp + i] = begin, total - begin
    y = np.zeros((n, mg * group) + tuple(f + e for f, e in zip(full, extra)))
    for idx in np.ndindex(*x.shape[2:]):
        for kk in np.ndindex(*k):
            o = tuple(idx[i] * strides[i] + kk[i] * dil[i] for i in range(sp))
            for g in range(group):
                xs = x[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
                ws = w[(slice(g * cg, (g + 1) * cg), slice(None)) + kk]
                y[(slice(None), slice(g * mg, (g + 1) * mg)) + o] += xs @ ws
    y = y[(slice(None), slice(None)) + tuple(
        slice(pads[i], y.shape[2 + i] - pads[sp + i]) for i in range(sp))]
    return y + b.reshape((1, -1) + (1,) * sp)


model, d = onnx.load(sys.argv[1]), sys.argv[2]
inits = {t.name: numpy_helper.to_array(t).astype(np.float64)
         for t in model.graph.initializer}
inputs = {n: np.load("%s/%s.npy" % (d, n)).astype(np.float64)
          for n in ("x", "s")}
for node in model.graph.node:
    a = {at.name: onnx.helper.get_attribute_value(at)
         for at in node.attribute}
    w = inits[node.input[1]]
    b = inits[node.input[2]] if len(node.input) > 2 else np.zeros(
        w.shape[1] * a.get("group", 1))
    want = conv_transpose(inputs[node.input[0]], w, b, a)
    got = np.load("%s/res/%s.npy" % (d, node.output[0])).astype(np.float64)
    assert got.shape == want.shape, (node.name, got.shape, want.shape)
    err = np.max(np.abs(got - want)) / np.max(np.abs(want))
    assert err < 1e-6, (node.name, err)
print("OK")
