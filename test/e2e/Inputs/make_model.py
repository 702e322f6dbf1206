"""Writes the small ONNX models of the e2e lit tests.

  make_model.py mlp OUT.onnx      x[4,256] -> MatMul(256x64) -> Relu ->
                                  MatMul(64x32) -> y[4,32] (two linears)
  make_model.py decoder OUT.onnx  decoder layer, hidden 64, 2 heads, seq 8
  make_model.py hostonly OUT.onnx x[2,3] -> Exp -> Add(x) -> y (no linear)
  make_model.py typed OUT.onnx    ids[2,3] int64, ref[2,3] int64 ->
                                  mask = Equal(ids, ref) (bool),
                                  half = Cast(ids, float16),
                                  sum = Add(ids, ref) (int64)
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


def groupconv():
    """Depthwise (group = C, multiplier 2) and grouped (2 groups of 2
    channels) convolutions with biases."""
    rng = np.random.default_rng(3)
    f = TensorProto.FLOAT

    def init(name, shape):
        return numpy_helper.from_array(
            rng.standard_normal(shape).astype(np.float32), name)

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
             "unsigned_mean": unsigned_mean,
             "decoder": lambda: onnx_models.llama_decoder_layer(
                 hidden=64, heads=2, intermediate=128, seq=8)}[kind]()
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
