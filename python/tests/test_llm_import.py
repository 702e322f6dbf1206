"""The ONNX frontend on what LLM exporters emit.

* Hand-built opset 18 and 21 models (libonnx 1.12 knows opsets up to 17, so
  the reader uses its own checks and type propagation for them):
  ReduceMean with `axes` as an input, Split with `num_outputs`,
  LayerNormalization, Pad with an `axes` input and a MatMul with constant
  weights, compiled with bitmod-compile and run by model.sim against a
  numpy reference (float32 build) and against ONNX Runtime on the
  bitmod-quant fake-quantized model (int8).
* Newer opsets / IR versions than supported are refused.
* A shape operand computed from a graph input's values gives one error
  naming the node, the operand and the graph input to bind.
* --input-dim binds a symbolic dimension everywhere it appears.
* Exports of the bitmod.llm zoo (torch.onnx.export; skipped without it):
  Llama decode-with-past (opset 17, dynamic axes bound with --input-dim) at
  int8 and GPT-2 prefill (opset 14, static, LayerNorm decomposed) at bitmod4
  against ONNX Runtime on the fake-quantized model.

The models are built with onnx.helper with opset_import set by hand and no
onnx.checker (python3-onnx is 1.12 as well).
"""

import os
import subprocess

import numpy as np
import pytest
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOLS = os.environ.get("BITMOD_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
COMPILE = os.path.join(TOOLS, "bitmod-compile")
TRANSLATE = os.path.join(TOOLS, "bitmod-translate")
QUANT = os.path.join(TOOLS, "bitmod-quant")
ORT_RUN = os.path.join(ROOT, "scripts", "ort_run.js")

# model.sim (int8 weights, FP16 activations on the accelerator) against ONNX
# Runtime on the fake-quantized model: the decoder bound of test_e2e_models.
INT8_BOUND = 6e-4
FLOAT_BOUND = 2e-6


@pytest.fixture(autouse=True)
def _require_tools():
    for t in (COMPILE, TRANSLATE, QUANT):
        if not os.path.exists(t):
            pytest.skip(f"{t} not built")


def _run(args, ok=True):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                       timeout=600)
    if ok:
        assert r.returncode == 0, "%s\n%s" % (" ".join(map(str, args)),
                                              r.stderr)
    return r


def _save(graph, path, opset, ir_version):
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path


def _block(opset, rng, hidden=64, seq=4, ffn=128):
    """x [1, seq, hidden] -> LayerNormalization -> MatMul W1 -> Split in
    two (num_outputs at 18+) -> a * b -> Pad (axes input) of the last axis
    by one zero on each side and crop back with Slice -> MatMul W2 ->
    subtract ReduceMean over the last axis (axes input)."""
    f32 = TensorProto.FLOAT
    w1 = rng.standard_normal((hidden, 2 * ffn)).astype(np.float32) * 0.1
    w2 = rng.standard_normal((ffn, hidden)).astype(np.float32) * 0.1
    gamma = (1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32)
    beta = (0.1 * rng.standard_normal(hidden)).astype(np.float32)
    inits = [numpy_helper.from_array(a, n) for a, n in [
        (w1, "w1"), (w2, "w2"), (gamma, "gamma"), (beta, "beta"),
        (np.array([-1], np.int64), "axes"),
        (np.array([1, 1], np.int64), "pads"),
        (np.array([1], np.int64), "start"),
        (np.array([ffn + 1], np.int64), "end")]]
    split_attrs = {"axis": -1}
    if opset >= 18:
        split_attrs["num_outputs"] = 2
    nodes = [
        helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["n"],
                         axis=-1, epsilon=1e-5),
        helper.make_node("MatMul", ["n", "w1"], ["h"]),
        helper.make_node("Split", ["h"], ["a", "b"], **split_attrs),
        helper.make_node("Mul", ["a", "b"], ["g"]),
        helper.make_node("Pad", ["g", "pads", "", "axes"], ["p"]),
        helper.make_node("Slice", ["p", "start", "end", "axes"], ["c"]),
        helper.make_node("MatMul", ["c", "w2"], ["o"]),
        helper.make_node("ReduceMean", ["o", "axes"], ["m"], keepdims=1),
        helper.make_node("Sub", ["o", "m"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "block", [helper.make_tensor_value_info("x", f32,
                                                       [1, seq, hidden])],
        [helper.make_tensor_value_info("y", f32, [1, seq, hidden])], inits)

    def reference(x):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        n = (x - mu) / np.sqrt(var + 1e-5) * gamma + beta
        h = n @ w1
        g = h[..., :ffn] * h[..., ffn:]
        o = g @ w2
        return o - o.mean(-1, keepdims=True)
    return graph, reference


def _compile_and_run(model, x_path, out, dtype):
    """bitmod-compile `model` at `dtype`, run model.sim on x; returns y."""
    _run([COMPILE, model, "-o", out, "--quiet", "--dtype=" + dtype])
    _run([os.path.join(out, "model.sim"), "--output-dir",
          os.path.join(out, "res"), "--input", "x=%s" % x_path])
    return np.load(os.path.join(out, "res", "y.npy"))


def _block_model(tmp_path, opset, ir):
    """The _block model of `opset` and an input x; returns (model path,
    x path, x, numpy reference)."""
    rng = np.random.default_rng(opset)
    graph, reference = _block(opset, rng)
    model = _save(graph, str(tmp_path / "m.onnx"), opset, ir)
    x = rng.standard_normal((1, 4, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    return model, tmp_path / "x.npy", x, reference


def _rel_err(y, ref):
    return float(np.max(np.abs(y - ref)) / np.max(np.abs(ref)))


@pytest.mark.parametrize("opset,ir", [(18, 8), (21, 10)])
def test_new_opset_block_float_matches_numpy(tmp_path, opset, ir):
    model, x_path, x, reference = _block_model(tmp_path, opset, ir)
    y = _compile_and_run(model, x_path, str(tmp_path / "out"), "none")
    err = _rel_err(y, reference(x.astype(np.float64)))
    print("opset %d block float32: max rel err vs numpy %.2e" % (opset, err))
    assert err < FLOAT_BOUND


@pytest.mark.parametrize("opset,ir", [(18, 8), (21, 10)])
def test_new_opset_block_int8_matches_ort(tmp_path, opset, ir):
    model, x_path, _, _ = _block_model(tmp_path, opset, ir)
    qmodel = str(tmp_path / "q.onnx")
    _run([QUANT, "--dtype=int8", "--group-size=128", "--scale-bits=8", model,
          "-o", qmodel])
    try:
        r = _run(["node", ORT_RUN, qmodel, "--input", "x=%s" % x_path,
                  "--output-dir", tmp_path / "ort"], ok=False)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    if r.returncode == 2:
        pytest.skip("onnxruntime-node is not installed")
    assert r.returncode == 0, r.stderr
    ref = np.load(tmp_path / "ort" / "y.npy")
    y = _compile_and_run(model, x_path, str(tmp_path / "out"), "int8")
    err = _rel_err(y, ref)
    print("opset %d block int8: max rel err vs ORT(fake-quant) %.2e"
          % (opset, err))
    assert err < INT8_BOUND


def test_split_num_outputs_mismatch(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Split", ["x"], ["a", "b"], axis=0, num_outputs=3)],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6])],
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [3])])
    model = _save(graph, str(tmp_path / "m.onnx"), 18, 8)
    r = _run([TRANSLATE, "--import-onnx", model], ok=False)
    assert r.returncode != 0
    assert "Split: num_outputs = 3 but the node has 2 outputs" in r.stderr


@pytest.mark.parametrize("opset,ir,message", [
    (22, 10, "unsupported default-domain opset 22 (opsets 1 to 21"),
    (21, 11, "unsupported IR version 11 (IR versions up to 10"),
])
def test_newer_than_supported_refused(tmp_path, opset, ir, message):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = _save(graph, str(tmp_path / "m.onnx"), opset, ir)
    r = _run([TRANSLATE, "--import-onnx", model], ok=False)
    assert r.returncode != 0
    assert message in r.stderr


def test_undefined_input_refused_without_libonnx(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["z"], ["y"], name="r")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = _save(graph, str(tmp_path / "m.onnx"), 19, 9)
    r = _run([TRANSLATE, "--import-onnx", model], ok=False)
    assert r.returncode != 0
    assert "node 'r' (Relu): input 'z' is not defined" in r.stderr


def _runtime_reshape_model(path, opset):
    """y = Reshape(x, [n, -1]) where n = ReduceMax(position_ids) + 1: the
    target shape depends on the values of a graph input."""
    i64 = TensorProto.INT64
    nodes = [
        helper.make_node("ReduceMax", ["position_ids"], ["mx"], keepdims=0),
        helper.make_node("Add", ["mx", "one"], ["n"]),
        helper.make_node("Unsqueeze", ["n", "zero"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"], name="view"),
    ]
    inits = [numpy_helper.from_array(np.array(v, np.int64), n) for v, n in
             [(1, "one"), ([0], "zero"), ([-1], "minus1")]]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6]),
         helper.make_tensor_value_info("position_ids", i64, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["r", "c"])],
        inits)
    return _save(graph, path, opset, 8)


@pytest.mark.parametrize("opset", [14, 18])
def test_runtime_shape_error_names_the_input(tmp_path, opset):
    model = _runtime_reshape_model(str(tmp_path / "m.onnx"), opset)
    r = _run([COMPILE, model, "-o", tmp_path / "out", "--quiet",
              "--dtype=none"], ok=False)
    assert r.returncode != 0
    diagnostics = [line for line in r.stderr.splitlines()
                   if "error:" in line and "import of" not in line]
    assert len(diagnostics) == 1, r.stderr
    assert ("Reshape node 'view': input 'shape' (shape) must be a constant, "
            "but it depends on runtime values of graph input 'position_ids'; "
            "bind it to fixed values with --bind-input position_ids=FILE.npy"
            in r.stderr), r.stderr
    # Bound, it compiles: 3 rows of 8.
    np.save(tmp_path / "pos.npy", np.array([[0, 1, 2, 2]], np.int64))
    r = _run([TRANSLATE, "--import-onnx", model, "--bind-input",
              "position_ids=%s" % (tmp_path / "pos.npy")])
    assert "tensor<3x8xf32>" in r.stdout


def test_input_dim_binds_symbolic_dims(tmp_path):
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"])], "g",
        [helper.make_tensor_value_info("a", f32, ["batch", "seq", 8]),
         helper.make_tensor_value_info("b", f32, ["batch", 1, 8])],
        [helper.make_tensor_value_info("y", f32, ["batch", "seq", 8])])
    model = _save(graph, str(tmp_path / "m.onnx"), 17, 8)
    r = _run([TRANSLATE, "--import-onnx", model, "--input-dim", "batch=2",
              "--input-dim", "seq=5"])
    assert "(%arg0: tensor<2x5x8xf32> {onnx.name = \"a\"}, " \
           "%arg1: tensor<2x1x8xf32>" in r.stdout
    # --input-shape takes precedence for its input.
    r = _run([TRANSLATE, "--import-onnx", model, "--input-dim", "batch=2",
              "--input-shape", "a=2x3x8"])
    assert "tensor<2x3x8xf32>" in r.stdout
    r = _run([TRANSLATE, "--import-onnx", model, "--input-dim", "bach=2"],
             ok=False)
    assert ("--input-dim: no graph input or output has a dimension named "
            "'bach' (other symbolic dimensions: batch, seq)") in r.stderr
    r = _run([TRANSLATE, "--import-onnx", model, "--input-dim", "batch=2"],
             ok=False)
    assert ("graph input 'a' has dynamic dimension 1 ('seq'); pass "
            "--input-shape a=AxBx... or --input-dim seq=N") in r.stderr


# Exporter graphs of the bitmod.llm zoo (torch.onnx.export): compiled with
# the dynamic axes bound by --input-dim, model.sim's logits and present K/V
# against ONNX Runtime on the bitmod-quant fake-quantized model.
LLM_CASES = [
    ("llama", "decode", 17, True, "int8"),
    ("gpt2", "prefill", 14, False, "bitmod4"),
]


@pytest.mark.parametrize("family,phase,opset,dynamic,dtype", LLM_CASES)
def test_llm_export_matches_ort(tmp_path, family, phase, opset, dynamic,
                                dtype):
    export = pytest.importorskip("bitmod.llm.export")
    pytest.importorskip("torch")
    seq, past = (1, 8) if phase == "decode" else (8, 0)
    d = str(tmp_path / "export")
    model = export.export(family, phase, opset, dynamic, seq, past, d)
    m = onnx.load(model)
    inputs = {}
    rng = np.random.default_rng(1)
    # The exporter's axis names (a prefill graph has no past).
    shapes = {"batch_size": 1, "sequence_length": seq}
    if phase == "decode":
        shapes.update(past_sequence_length=past,
                      total_sequence_length=past + seq)
    for inp in m.graph.input:
        dims = [x.dim_value or shapes[x.dim_param]
                for x in inp.type.tensor_type.shape.dim]
        if inp.name == "input_ids":
            a = rng.integers(0, 64, dims, dtype=np.int64)
        elif inp.name == "attention_mask":
            a = np.ones(dims, np.int64)
        elif inp.name == "position_ids":
            a = np.arange(past, past + seq, dtype=np.int64)[None]
        else:
            a = rng.standard_normal(dims).astype(np.float32)
        path = str(tmp_path / (inp.name + ".npy"))
        np.save(path, a)
        inputs[inp.name] = path
    qmodel = str(tmp_path / "q.onnx")
    _run([QUANT, "--dtype=" + dtype, "--group-size=128", "--scale-bits=8",
          model, "-o", qmodel])
    args = ["node", ORT_RUN, qmodel, "--output-dir", tmp_path / "ort"]
    for name, path in inputs.items():
        args += ["--input", "%s=%s" % (name, path)]
    try:
        r = _run(args, ok=False)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    if r.returncode == 2:
        pytest.skip("onnxruntime-node is not installed")
    assert r.returncode == 0, r.stderr
    out = str(tmp_path / "out")
    flags = []
    if dynamic:
        for k, v in shapes.items():
            flags += ["--input-dim", "%s=%d" % (k, v)]
    _run([COMPILE, model, "-o", out, "--quiet", "--dtype=" + dtype, *flags])
    args = [os.path.join(out, "model.sim"), "--output-dir",
            os.path.join(out, "res")]
    for name, path in inputs.items():
        args += ["--input", "%s=%s" % (name, path)]
    _run(args)
    worst = 0.0
    for o in m.graph.output:
        y = np.load(os.path.join(out, "res", o.name + ".npy"))
        ref = np.load(tmp_path / "ort" / (o.name + ".npy"))
        assert y.shape == ref.shape, o.name
        worst = max(worst, _rel_err(y, ref))
    print("%s %s opset %d %s %s: max rel err vs ORT(fake-quant) %.2e"
          % (family, phase, opset, "dynamic" if dynamic else "static", dtype,
             worst))
    assert worst < INT8_BOUND
