"""Writes the small ONNX models of the e2e lit tests.

  make_model.py mlp OUT.onnx      x[4,256] -> MatMul(256x64) -> Relu ->
                                  MatMul(64x32) -> y[4,32] (two linears)
  make_model.py decoder OUT.onnx  decoder layer, hidden 64, 2 heads, seq 8
  make_model.py hostonly OUT.onnx x[2,3] -> Exp -> Add(x) -> y (no linear)
  make_model.py typed OUT.onnx    ids[2,3] int64, ref[2,3] int64 ->
                                  mask = Equal(ids, ref) (bool),
                                  half = Cast(ids, float16),
                                  sum = Add(ids, ref) (int64)
  make_model.py resize OUT.onnx   one Resize per RESIZE_CASES entry on
                                  x[1,2,5,7], v[2,6,4], int32 k[1,1,3,3]
  make_model.py convtranspose OUT.onnx
                                  ConvTranspose variants on x[1,4,5,6] and
                                  (1-D) s[1,2,7], constant weights
  make_model.py input OUT.npy SHAPE   N(0,1) float32 tensor of SHAPE (AxB)
  make_model.py pb OUT.pb SHAPE       the same as a TensorProto
  make_model.py ints OUT(.npy|.pb) SHAPE DTYPE [SEED]
                                  integers in [-3, 3] of numpy DTYPE
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/python")
from bitmod import onnx_models  # noqa: E402


def mlp():
    rng = np.random.default_rng(0)
    w1 = (rng.standard_normal((256, 64)) / 16).astype(np.float32)
    w2 = (rng.standard_normal((64, 32)) / 8).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")]
    g = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 32])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def hostonly():
    nodes = [helper.make_node("Exp", ["x"], ["e"], name="exp"),
             helper.make_node("Add", ["e", "x"], ["y"], name="add")]
    g = helper.make_graph(
        nodes, "hostonly",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def typed():
    i64 = TensorProto.INT64
    nodes = [helper.make_node("Equal", ["ids", "ref"], ["mask"], name="eq"),
             helper.make_node("Cast", ["ids"], ["half"], name="cast",
                              to=TensorProto.FLOAT16),
             helper.make_node("Add", ["ids", "ref"], ["sum"], name="add")]
    g = helper.make_graph(
        nodes, "typed",
        [helper.make_tensor_value_info("ids", i64, [2, 3]),
         helper.make_tensor_value_info("ref", i64, [2, 3])],
        [helper.make_tensor_value_info("mask", TensorProto.BOOL, [2, 3]),
         helper.make_tensor_value_info("half", TensorProto.FLOAT16, [2, 3]),
         helper.make_tensor_value_info("sum", i64, [2, 3])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def intpow():
    """Integer Pow in int32 and int64 (math.ipowi on the host)."""
    i32, i64 = TensorProto.INT32, TensorProto.INT64
    nodes = [helper.make_node("Pow", ["x32", "e32"], ["y32"], name="pow32"),
             helper.make_node("Pow", ["x64", "e64"], ["y64"], name="pow64")]
    g = helper.make_graph(
        nodes, "intpow",
        [helper.make_tensor_value_info("x32", i32, [12]),
         helper.make_tensor_value_info("e32", i32, [12]),
         helper.make_tensor_value_info("x64", i64, [12]),
         helper.make_tensor_value_info("e64", i64, [12])],
        [helper.make_tensor_value_info("y32", i32, [12]),
         helper.make_tensor_value_info("y64", i64, [12])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def unsigned():
    """uint8/uint32 graph I/O and the ops whose result depends on
    signedness (order, division, conversions)."""
    u8, u16, u32 = TensorProto.UINT8, TensorProto.UINT16, TensorProto.UINT32
    nodes = [
        helper.make_node("Max", ["a", "b"], ["max"], name="max"),
        helper.make_node("Less", ["a", "b"], ["less"], name="less"),
        helper.make_node("Div", ["a", "b"], ["quot"], name="div"),
        helper.make_node("Cast", ["a"], ["float"], name="tofloat",
                         to=TensorProto.FLOAT),
        helper.make_node("ReduceMax", ["a"], ["rowmax"], name="rowmax",
                         axes=[1], keepdims=0),
        helper.make_node("Clip", ["a", "lo", "hi"], ["clip"], name="clip"),
        helper.make_node("Add", ["float", "float"], ["twice"], name="twice"),
        helper.make_node("Cast", ["twice"], ["wide"], name="towide",
                         to=u16),
        helper.make_node("Cast", ["c"], ["c64"], name="toint64",
                         to=TensorProto.INT64),
    ]
    g = helper.make_graph(
        nodes, "unsigned",
        [helper.make_tensor_value_info("a", u8, [2, 4]),
         helper.make_tensor_value_info("b", u8, [2, 4]),
         helper.make_tensor_value_info("c", u32, [4])],
        [helper.make_tensor_value_info("max", u8, [2, 4]),
         helper.make_tensor_value_info("less", TensorProto.BOOL, [2, 4]),
         helper.make_tensor_value_info("quot", u8, [2, 4]),
         helper.make_tensor_value_info("float", TensorProto.FLOAT, [2, 4]),
         helper.make_tensor_value_info("rowmax", u8, [2]),
         helper.make_tensor_value_info("clip", u8, [2, 4]),
         helper.make_tensor_value_info("wide", u16, [2, 4]),
         helper.make_tensor_value_info("c64", TensorProto.INT64, [4])],
        [helper.make_tensor("lo", u8, [], [10]),
         helper.make_tensor("hi", u8, [], [200])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def unsigned_mean():
    """ReduceMean on uint32: refused (its lowering would divide signed)."""
    u32 = TensorProto.UINT32
    g = helper.make_graph(
        [helper.make_node("ReduceMean", ["x"], ["y"], name="mean",
                          keepdims=0)],
        "unsigned_mean", [helper.make_tensor_value_info("x", u32, [4])],
        [helper.make_tensor_value_info("y", u32, [])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def _random_initializers(seed):
    """init(name, shape): a standard-normal float32 initializer."""
    rng = np.random.default_rng(seed)

    def init(name, shape):
        return numpy_helper.from_array(
            rng.standard_normal(shape).astype(np.float32), name)
    return init


def f16conv():
    """A float16 model: depthwise 3x3 conv with bias, then Relu (the C++
    has _Float16 constants)."""
    rng = np.random.default_rng(4)
    h = TensorProto.FLOAT16
    w = numpy_helper.from_array(
        rng.standard_normal((2, 1, 3, 3)).astype(np.float16), "w")
    bias = numpy_helper.from_array(np.array([0.5, -0.25], np.float16), "b")
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv",
                          group=2, pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"], name="relu")],
        "f16conv", [helper.make_tensor_value_info("x", h, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", h, [1, 2, 4, 4])], [w, bias])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def groupconv():
    """Depthwise (group = C, multiplier 2) and grouped (2 groups of 2
    channels) convolutions with biases."""
    init = _random_initializers(3)
    f = TensorProto.FLOAT

    nodes = [
        helper.make_node("Conv", ["x", "wd", "bd"], ["depthwise"], name="dw",
                         group=4, pads=[1, 1, 1, 1], strides=[2, 1]),
        helper.make_node("Conv", ["x", "wg", "bg"], ["grouped"], name="gc",
                         group=2, pads=[2, 2, 2, 2], dilations=[2, 2]),
    ]
    g = helper.make_graph(
        nodes, "groupconv", [helper.make_tensor_value_info("x", f,
                                                           [1, 4, 6, 6])],
        [helper.make_tensor_value_info("depthwise", f, [1, 8, 3, 6]),
         helper.make_tensor_value_info("grouped", f, [1, 4, 6, 6])],
        [init("wd", [8, 1, 3, 3]), init("bd", [8]),
         init("wg", [4, 2, 3, 3]), init("bg", [4])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


# (output, mode, coordinate_transformation_mode, nearest_mode, extra
#  attributes, "scales" or "sizes", values) of resize(); the input is
# x[1, 2, 5, 7] unless the output name starts with v (v[2, 6, 4]) or k
# (int32 k[1, 1, 3, 3]).
RESIZE_CASES = [
    ("tile", "nearest", "asymmetric", "floor", {}, "scales", [1, 1, 2, 3]),
    ("batch", "nearest", "half_pixel", "round_prefer_floor", {}, "sizes",
     [2, 2, 5, 7]),
    ("n_half", "nearest", "half_pixel", "round_prefer_floor", {}, "scales",
     [1, 1, 0.6, 1.5]),
    ("n_align", "nearest", "align_corners", "round_prefer_ceil", {}, "sizes",
     [1, 2, 9, 4]),
    ("n_pyt", "nearest", "pytorch_half_pixel", "ceil", {}, "sizes",
     [1, 2, 3, 11]),
    ("n_tfnn", "nearest", "tf_half_pixel_for_nn", "floor", {}, "sizes",
     [1, 2, 4, 5]),
    ("l_half", "linear", "half_pixel", None, {}, "scales", [1, 1, 2, 1.5]),
    ("l_align", "linear", "align_corners", None, {}, "scales",
     [1, 1, 0.6, 1.7]),
    ("l_asym", "linear", "asymmetric", None, {}, "sizes", [1, 2, 8, 3]),
    ("l_pyt", "linear", "pytorch_half_pixel", None, {}, "sizes",
     [1, 2, 1, 9]),
    ("l_chan", "linear", "half_pixel", None, {}, "sizes", [1, 3, 5, 7]),
    ("c_half", "cubic", "half_pixel", None, {}, "scales", [1, 1, 1.6, 0.8]),
    ("c_excl", "cubic", "asymmetric", None,
     {"cubic_coeff_a": -0.5, "exclude_outside": 1}, "sizes", [1, 2, 7, 12]),
    ("c_align", "cubic", "align_corners", None, {}, "sizes", [1, 2, 3, 5]),
    ("v_lin3d", "linear", "asymmetric", None, {}, "scales", [1, 1.5, 2]),
    ("k_near", "nearest", "half_pixel", "round_prefer_ceil", {}, "sizes",
     [1, 1, 5, 4]),
]


def resize():
    """One Resize per RESIZE_CASES entry, scales/sizes as initializers."""
    f, i32, i64 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT64
    nodes, inits, outs = [], [], []
    shapes = {"x": [1, 2, 5, 7], "v": [2, 6, 4], "k": [1, 1, 3, 3]}
    for name, mode, coord, nearest, extra, kind, vals in RESIZE_CASES:
        src = name[0] if name[0] in "vk" else "x"
        attrs = dict(mode=mode, coordinate_transformation_mode=coord,
                     **extra)
        if nearest:
            attrs["nearest_mode"] = nearest
        if kind == "scales":
            inits.append(numpy_helper.from_array(
                np.array(vals, np.float32), name + "_scales"))
            ins = [src, "", name + "_scales"]
            out = [int(np.floor(np.float32(d) * np.float32(s)))
                   for d, s in zip(shapes[src], vals)]
        else:
            inits.append(numpy_helper.from_array(
                np.array(vals, np.int64), name + "_sizes"))
            ins = [src, "", "", name + "_sizes"]
            out = list(vals)
        nodes.append(helper.make_node("Resize", ins, [name], name=name,
                                      **attrs))
        outs.append(helper.make_tensor_value_info(
            name, i32 if src == "k" else f, out))
    g = helper.make_graph(
        nodes, "resize",
        [helper.make_tensor_value_info("x", f, shapes["x"]),
         helper.make_tensor_value_info("v", f, shapes["v"]),
         helper.make_tensor_value_info("k", i32, shapes["k"])],
        outs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                             ir_version=8)


def convtranspose():
    """ConvTranspose with constant weights: strides, pads (also larger than
    the kernel reach), output_padding, dilations, output_shape, SAME_LOWER,
    depthwise and grouped, 1-D."""
    init = _random_initializers(5)
    f = TensorProto.FLOAT

    cases = [
        ("ct_basic", "x", "w433", "b3",
         dict(strides=[2, 2], pads=[1, 0, 1, 1])),
        ("ct_outpad", "x", "w433", None,
         dict(strides=[3, 2], output_padding=[2, 1], dilations=[1, 2])),
        ("ct_same", "x", "w433", "b3",
         dict(strides=[2, 2], auto_pad="SAME_LOWER")),
        ("ct_oshape", "x", "w433", None,
         dict(strides=[2, 2], output_shape=[12, 12])),
        ("ct_bigpad", "x", "w422", "b2", dict(strides=[3, 3],
                                              pads=[2, 2, 2, 3])),
        ("ct_dw", "x", "w423", "b8", dict(group=4, strides=[2, 1],
                                          pads=[1, 1, 0, 0])),
        ("ct_group", "x", "w432", "b6", dict(group=2, strides=[2, 2])),
        ("ct_1d", "s", "w234", None, dict(strides=[3], pads=[1, 2],
                                          output_padding=[1])),
    ]
    shapes = {"ct_basic": [1, 3, 9, 12], "ct_outpad": [1, 3, 17, 16],
              "ct_same": [1, 3, 10, 12], "ct_oshape": [1, 3, 12, 12],
              "ct_bigpad": [1, 2, 10, 12], "ct_dw": [1, 8, 10, 7],
              "ct_group": [1, 6, 10, 12], "ct_1d": [1, 3, 20]}
    nodes = []
    for name, x, w, bias, attrs in cases:
        ins = [x, w] + ([bias] if bias else [])
        nodes.append(helper.make_node("ConvTranspose", ins, [name],
                                      name=name, **attrs))
    inits = [init("w433", [4, 3, 3, 3]), init("w422", [4, 2, 2, 2]),
             init("w423", [4, 2, 3, 3]), init("w432", [4, 3, 2, 2]),
             init("w234", [2, 3, 4]), init("b3", [3]), init("b2", [2]),
             init("b8", [8]), init("b6", [6])]
    g = helper.make_graph(
        nodes, "convtranspose",
        [helper.make_tensor_value_info("x", f, [1, 4, 5, 6]),
         helper.make_tensor_value_info("s", f, [1, 2, 7])],
        [helper.make_tensor_value_info(n, f, shapes[n]) for n, *_ in cases],
        inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                             ir_version=8)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "ints":
        shape = [int(d) for d in sys.argv[3].split("x")]
        seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
        a = np.random.default_rng(seed).integers(-3, 4, shape).astype(
            sys.argv[4])
        if out.endswith(".npy"):
            np.save(out, a)
        else:
            with open(out, "wb") as f:
                f.write(numpy_helper.from_array(a, "x").SerializeToString())
        return
    if kind in ("input", "pb"):
        shape = [int(d) for d in sys.argv[3].split("x")]
        a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        if kind == "input":
            np.save(out, a)
        else:
            with open(out, "wb") as f:
                f.write(numpy_helper.from_array(a, "x").SerializeToString())
        return
    model = {"mlp": mlp, "hostonly": hostonly, "typed": typed,
             "intpow": intpow, "unsigned": unsigned, "groupconv": groupconv,
             "f16conv": f16conv,
             "unsigned_mean": unsigned_mean, "resize": resize,
             "convtranspose": convtranspose,
             "decoder": lambda: onnx_models.llama_decoder_layer(
                 hidden=64, heads=2, intermediate=128, seq=8)}[kind]()
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
