"""bitmod-quant on ONNX models: only linear weights change, the numerics
match the numpy reference, and (when onnxruntime-node is installed) the
quantized model computes x @ dequantized(W). Also the tool's error cases."""

import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from bitmod.quant_ref import quantize_ref

TOOLS = os.environ.get("BITMOD_TOOLS_DIR", "/work/main/build/bin")
TOOL = os.path.join(TOOLS, "bitmod-quant")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ORT_RUN = os.path.join(ROOT, "scripts", "ort_run.js")
ORT_DIR = os.path.join(ROOT, "third_party", "node", "node_modules",
                       "onnxruntime-node")


@pytest.fixture(autouse=True)
def _require_tool():
    if not os.path.exists(TOOL):
        pytest.skip(f"{TOOL} not built")


def _quant(args, check=True):
    r = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def _build_model(rng):
    """x[3,200] -MatMul(W1 init [200,48])-> +b1 -> Relu -> Gemm(transB=1,
    W2 Constant [32,48], C=b2) -> y; plus a MatMul whose weight `shared` is
    also read by an Add, and a 3-D MatMul weight."""
    w1 = rng.standard_normal((200, 48)).astype(np.float32)
    b1 = rng.standard_normal((48,)).astype(np.float32)
    w2 = rng.standard_normal((32, 48)).astype(np.float32)
    b2 = rng.standard_normal((32,)).astype(np.float32)
    shared = rng.standard_normal((32, 32)).astype(np.float32)
    w3 = rng.standard_normal((2, 32, 8)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h1"], name="mm1"),
        helper.make_node("Add", ["h1", "b1"], ["h2"], name="add1"),
        helper.make_node("Relu", ["h2"], ["h3"], name="relu"),
        helper.make_node("Constant", [], ["w2"], name="const_w2",
                         value=numpy_helper.from_array(w2, "w2")),
        helper.make_node("Gemm", ["h3", "w2", "b2"], ["y"], name="gemm",
                         transB=1),
        helper.make_node("MatMul", ["y", "shared"], ["z"], name="mm_shared"),
        helper.make_node("Add", ["shared", "shared"], ["s2"], name="add_shared"),
        helper.make_node("MatMul", ["z", "w3"], ["u"], name="mm3d"),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 200])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 32]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [3, 32]),
         helper.make_tensor_value_info("s2", TensorProto.FLOAT, [32, 32]),
         helper.make_tensor_value_info("u", TensorProto.FLOAT, [2, 3, 8])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(b2, "b2"),
         numpy_helper.from_array(shared, "shared"),
         numpy_helper.from_array(w3, "w3")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, dict(w1=w1, b1=b1, w2=w2, b2=b2, shared=shared, w3=w3)


def _deq_kn(w, dtype, g=128, sb=8):
    """Weight stored [K, N]: groups along K of the transpose."""
    return quantize_ref(w.T, dtype, g, sb)[0].T


def test_onnx_rewrite(tmp_path):
    rng = np.random.default_rng(0)
    model, t = _build_model(rng)
    src, dst, rep = tmp_path / "m.onnx", tmp_path / "m.q.onnx", tmp_path / "r.json"
    onnx.save(model, src)
    _quant(["--dtype=bitmod4", src, "-o", dst, "--report", rep])
    q = onnx.load(dst)
    onnx.checker.check_model(q)
    report = json.loads(rep.read_text())
    inits = {i.name: i for i in q.graph.initializer}
    orig = {i.name: i for i in model.graph.initializer}
    # Untouched initializers are byte-identical.
    for name in ("b1", "b2", "shared", "w3"):
        assert inits[name].SerializeToString() == orig[name].SerializeToString()
    # MatMul weight (initializer, [K, N]).
    assert np.array_equal(numpy_helper.to_array(inits["w1"]),
                          _deq_kn(t["w1"], "bitmod4"))
    # Gemm transB=1 weight (Constant node, [N, K]).
    const = [n for n in q.graph.node if n.name == "const_w2"][0]
    got_w2 = numpy_helper.to_array(const.attribute[0].t)
    assert np.array_equal(got_w2, quantize_ref(t["w2"], "bitmod4", 128, 8)[0])
    # Shared weight: original kept for Add, MatMul reads a quantized copy.
    mm = [n for n in q.graph.node if n.name == "mm_shared"][0]
    add = [n for n in q.graph.node if n.name == "add_shared"][0]
    assert list(add.input) == ["shared", "shared"]
    assert mm.input[1] != "shared"
    assert np.array_equal(numpy_helper.to_array(inits[mm.input[1]]),
                          _deq_kn(t["shared"], "bitmod4"))
    # Every other node is unchanged.
    orig_nodes = {n.name: n for n in model.graph.node}
    for n in q.graph.node:
        if n.name not in ("const_w2", "mm_shared"):
            assert n.SerializeToString() == orig_nodes[n.name].SerializeToString()
    # Report: 3 quantized weights, the 3-D one skipped with a reason.
    assert report["num_quantized"] == 3
    assert [s["name"] for s in report["skipped"]] == ["w3"]
    assert "3-D" in report["skipped"][0]["reason"]
    assert sum(report["selector_histogram"]) > 0

    # Numerics through ONNX Runtime, when available.
    if shutil.which("node") is None or not os.path.isdir(ORT_DIR):
        pytest.skip("node or onnxruntime-node not installed")
    x = rng.standard_normal((3, 200)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = {}
    for tag, path in (("orig", src), ("quant", dst)):
        od = tmp_path / tag
        r = subprocess.run(["node", ORT_RUN, str(path), "--input",
                            f"x={tmp_path / 'x.npy'}", "--output-dir", str(od)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs[tag] = {k: np.load(od / f"{k}.npy") for k in ("y", "z", "s2", "u")}
    # Original model vs float64 numpy.
    x64 = x.astype(np.float64)

    def forward(w1, w2, shared_mm):
        h = np.maximum(x64 @ w1 + t["b1"], 0)
        y = h @ w2.T + t["b2"]
        z = y @ shared_mm
        return y, z

    y0, z0 = forward(t["w1"], t["w2"], t["shared"])
    np.testing.assert_allclose(outs["orig"]["y"], y0, rtol=1e-4, atol=1e-3)
    y1, z1 = forward(_deq_kn(t["w1"], "bitmod4").astype(np.float64),
                     quantize_ref(t["w2"], "bitmod4", 128, 8)[0],
                     _deq_kn(t["shared"], "bitmod4"))
    np.testing.assert_allclose(outs["quant"]["y"], y1, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(outs["quant"]["z"], z1, rtol=1e-4, atol=1e-3)
    # The Add still reads the original (unquantized) shared weight.
    np.testing.assert_array_equal(outs["quant"]["s2"], 2 * t["shared"])
    # The 3-D MatMul is untouched: same result as the original on the same z.
    np.testing.assert_allclose(outs["quant"]["u"],
                               np.matmul(outs["quant"]["z"], t["w3"]),
                               rtol=1e-4, atol=1e-3)
    # Quantization changed y, but not by much (4-bit, SQNR > 15 dB).
    assert not np.array_equal(outs["quant"]["y"], outs["orig"]["y"])


def test_onnx_external_data(tmp_path):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((64, 16)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 16])],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    d = tmp_path / "ext"
    d.mkdir()
    onnx.save(model, str(d / "m.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin",
              size_threshold=0)
    out = tmp_path / "q.onnx"
    _quant(["--dtype=int4_asym", "--group-size=32", d / "m.onnx", "-o", out])
    q = onnx.load(out)  # inline now: loads without the .bin
    got = numpy_helper.to_array(q.graph.initializer[0])
    assert np.array_equal(got, quantize_ref(w.T, "int4_asym", 32, 8)[0].T)
    # Missing external file: clear error.
    os.remove(d / "weights.bin")
    r = _quant(["--dtype=int4", d / "m.onnx", "-o", out], check=False)
    assert r.returncode != 0
    assert r.stderr.startswith("bitmod-quant: error: ")
    assert "weights.bin" in r.stderr


def _err(args):
    r = _quant(args, check=False)
    assert r.returncode != 0
    assert r.stderr.startswith("bitmod-quant: error: "), r.stderr
    assert "Stack dump" not in r.stderr
    return r.stderr


def test_errors(tmp_path):
    good = tmp_path / "w.npy"
    np.save(good, np.ones((4, 8), np.float32))
    out = tmp_path / "o.npy"
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"this is not numpy")
    assert "bad.npy" in _err([bad, "-o", out])
    three = tmp_path / "three.npy"
    np.save(three, np.ones((2, 2, 2), np.float32))
    assert "2-D" in _err([three, "-o", out])
    ints = tmp_path / "ints.npy"
    np.save(ints, np.ones((2, 2), np.int32))
    assert "float32" in _err([ints, "-o", out])
    nan = tmp_path / "nan.npy"
    w = np.ones((4, 8), np.float32)
    w[2, 5] = np.nan
    np.save(nan, w)
    msg = _err([nan, "-o", out])
    assert "nan.npy" in msg and "[2, 5]" in msg
    w[2, 5] = 1
    w[3, 1] = -np.inf
    np.save(nan, w)
    assert "[3, 1]" in _err([nan, "-o", out])
    msg = _err(["--dtype=int7", good, "-o", out])
    assert "int7" in msg and "bitmod3" in msg and "fp6_e3m2" in msg
    assert "group size" in _err(["--group-size=0", good, "-o", out])
    assert "group size" in _err(["--group-size=abc", good, "-o", out])
    assert "scale bits" in _err(["--scale-bits=3", good, "-o", out])
    garbage = tmp_path / "g.onnx"
    garbage.write_bytes(b"\x08\x01garbage\xff\xff\xff")
    assert "g.onnx" in _err([garbage, "-o", tmp_path / "q.onnx"])
    assert "missing.onnx" in _err([tmp_path / "missing.onnx", "-o", out])
