"""numpy reference for the host-lowering run tests.

  host_ref.py gen MODEL IN.bin          deterministic f32 input (one graph input)
  host_ref.py check MODEL IN.bin OUT.bin [--tol T]

MODEL is an ONNX file (binary, or text syntax for *.onnxtxt). `check`
evaluates the model with the small numpy interpreter below (only the ops
the tests use) and compares it with the raw f32 output of the compiled C++:
max |y - ref| / max |ref| <= tol. Prints `OK <err>` or `FAIL <err>`.
"""

import math
import sys

import numpy as np
import onnx
import onnx.parser
from onnx import helper, numpy_helper


def load(path):
    if path.endswith(".onnxtxt"):
        with open(path) as f:
            return onnx.parser.parse_model(f.read())
    return onnx.load(path)


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


_erf = np.vectorize(math.erf, otypes=[np.float64])


def conv2d(x, w, b, pads, strides):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - kh) // strides[0] + 1
    ow = (xp.shape[3] - kw) // strides[1] + 1
    y = np.zeros((n, o, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * strides[0]:i * strides[0] + kh,
                       j * strides[1]:j * strides[1] + kw]
            y[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return y + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def maxpool(x, k, s):
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    y = np.empty((n, c, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = x[:, :, i * s[0]:i * s[0] + k[0],
                              j * s[1]:j * s[1] + k[1]].max(axis=(2, 3))
    return y


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def evaluate(model, feeds):
    env = {t.name: numpy_helper.to_array(t).astype(np.float64)
           if numpy_helper.to_array(t).dtype.kind == "f"
           else numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update({k: v.astype(np.float64) for k, v in feeds.items()})
    for n in model.graph.node:
        a = attrs(n)
        x = [env[i] if i else None for i in n.input]
        t = n.op_type
        if t == "Constant":
            r = numpy_helper.to_array(a["value"]).astype(np.float64)
        elif t in ("Add", "Sub", "Mul", "Div"):
            r = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
                 "Div": np.divide}[t](x[0], x[1])
        elif t == "MatMul":
            r = np.matmul(x[0], x[1])
        elif t in ("Erf", "Tanh", "Sqrt", "Neg", "Exp", "Sigmoid", "Relu",
                   "Identity"):
            r = {"Erf": _erf, "Tanh": np.tanh, "Sqrt": np.sqrt,
                 "Neg": np.negative, "Exp": np.exp,
                 "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
                 "Relu": lambda v: np.maximum(v, 0),
                 "Identity": lambda v: v}[t](x[0])
        elif t == "Softmax":
            r = softmax(x[0], a.get("axis", -1))
        elif t == "Transpose":
            r = np.transpose(x[0], a.get("perm"))
        elif t == "Reshape":
            shape = [int(d) for d in x[1]]
            shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
            r = x[0].reshape(shape)
        elif t in ("ReduceMean", "ReduceSum"):
            axes = a.get("axes")
            if axes is None and len(x) > 1:
                axes = [int(v) for v in x[1]]
            f = np.mean if t == "ReduceMean" else np.sum
            r = f(x[0], axis=tuple(axes), keepdims=bool(a.get("keepdims", 1)))
        elif t == "Split":
            axis = a.get("axis", 0)
            if len(x) > 1 and x[1] is not None:
                idx = np.cumsum([int(v) for v in x[1]])[:-1]
                r = np.split(x[0], idx, axis=axis)
            else:
                r = np.split(x[0], len(n.output), axis=axis)
        elif t == "Concat":
            r = np.concatenate(x, axis=a["axis"])
        elif t == "Conv":
            r = conv2d(x[0], x[1], x[2] if len(x) > 2 else None,
                       a.get("pads", [0, 0, 0, 0]), a.get("strides", [1, 1]))
        elif t == "MaxPool":
            r = maxpool(x[0], a["kernel_shape"], a.get("strides", [1, 1]))
        else:
            raise SystemExit(f"host_ref.py: no reference for {t}")
        outs = r if isinstance(r, list) else [r]
        for name, v in zip(n.output, outs):
            env[name] = v
    return [env[o.name] for o in model.graph.output]


def input_shape(model):
    inits = {t.name for t in model.graph.initializer}
    ins = [i for i in model.graph.input if i.name not in inits]
    assert len(ins) == 1, "the run tests use one graph input"
    return ins[0].name, [d.dim_value for d in ins[0].type.tensor_type.shape.dim]


def main():
    mode, model = sys.argv[1], load(sys.argv[2])
    name, shape = input_shape(model)
    if mode == "gen":
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        x.tofile(sys.argv[3])
        return
    tol = float(sys.argv[sys.argv.index("--tol") + 1]) if "--tol" in sys.argv else 1e-5
    x = np.fromfile(sys.argv[3], np.float32).reshape(shape)
    ref = evaluate(model, {name: x})[0]
    y = np.fromfile(sys.argv[4], np.float32)
    if y.size != ref.size:
        print(f"FAIL size {y.size} != {ref.size}")
        sys.exit(1)
    err = float(np.abs(y - ref.reshape(-1)).max() / max(np.abs(ref).max(), 1e-30))
    print(("OK" if err <= tol else "FAIL") + f" {err:.3g}")
    sys.exit(0 if err <= tol else 1)


if __name__ == "__main__":
    main()
