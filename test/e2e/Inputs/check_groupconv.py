"""conv-groups.test: compares model.sim's grouped convolutions with a
direct numpy evaluation of ONNX Conv (NCHW, groups, pads, strides,
dilations)."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def conv(x, w, b, group, pads, strides, dilations):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    y = np.zeros((n, o, oh, ow))
    og = o // group
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * strides[0]:i * strides[0] + (kh - 1) * dilations[0] + 1:dilations[0],
                           j * strides[1]:j * strides[1] + (kw - 1) * dilations[1] + 1:dilations[1]]
                y[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3)) + b[oc]
    return y


model, d = onnx.load(sys.argv[1]), sys.argv[2]
inits = {t.name: numpy_helper.to_array(t).astype(np.float64)
         for t in model.graph.initializer}
x = np.load(d + "/x.npy").astype(np.float64)
for node in model.graph.node:
    a = {at.name: onnx.helper.get_attribute_value(at) for at in node.attribute}
    want = conv(x, inits[node.input[1]], inits[node.input[2]], a["group"],
                a["pads"], a.get("strides", [1, 1]), a.get("dilations", [1, 1]))
    got = np.load("%s/res/%s.npy" % (d, node.output[0])).astype(np.float64)
    assert got.shape == want.shape, (node.name, got.shape, want.shape)
    err = np.max(np.abs(got - want)) / np.max(np.abs(want))
    assert err < 1e-6, (node.name, err)
print("OK")
