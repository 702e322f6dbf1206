"""bitmod-translate --import-onnx on the Python-built models."""

import os
import subprocess

import numpy as np
import pytest
from onnx import TensorProto, helper

from bitmod import onnx_models
from test_node_sweep import _translate

TOOL = _translate()


def _run(*args):
    return subprocess.run([TOOL, "--import-onnx", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def _need_tool():
    if subprocess.run(["sh", "-c", "command -v '%s'" % TOOL],
                      capture_output=True).returncode != 0:
        pytest.skip("bitmod-translate not built")


@pytest.mark.parametrize("weights", ["initializer", "constant"])
def test_decoder_seven_linears(tmp_path, weights):
    path = onnx_models.save(onnx_models.llama_decoder_layer(weights=weights),
                            str(tmp_path / "dec.onnx"))
    r = _run(path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("bitmod.linear ") == 7
    assert r.stdout.count("tosa.matmul ") == 2


def test_decoder_external_data_same_ir(tmp_path):
    model = onnx_models.llama_decoder_layer(hidden=32, heads=2,
                                            intermediate=64, seq=4)
    a = onnx_models.save(model, str(tmp_path / "a.onnx"))
    os.mkdir(tmp_path / "ext")
    b = onnx_models.save(model, str(tmp_path / "ext" / "b.onnx"),
                         external=True)
    ra, rb = _run(a), _run(b)
    assert ra.returncode == 0 and rb.returncode == 0, ra.stderr + rb.stderr
    assert ra.stdout == rb.stdout


def test_missing_external_data_file(tmp_path):
    os.mkdir(tmp_path / "ext")
    path = onnx_models.save(onnx_models.llama_decoder_layer(),
                            str(tmp_path / "ext" / "m.onnx"), external=True)
    os.remove(path + ".data")
    r = _run(path)
    assert r.returncode != 0
    assert "cannot open external data file" in r.stderr


def test_convnet(tmp_path):
    path = onnx_models.save(onnx_models.small_convnet(),
                            str(tmp_path / "c.onnx"))
    r = _run(path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("bitmod.linear ") == 2
    assert r.stdout.count("tosa.conv2d ") == 2


def test_dynamic_seq_needs_input_shape(tmp_path):
    path = onnx_models.save(
        onnx_models.llama_decoder_layer(dynamic_seq=True),
        str(tmp_path / "d.onnx"))
    r = _run(path)
    assert r.returncode != 0
    assert "graph input 'x' has dynamic dimension 1 ('seq')" in r.stderr
    r = _run(path, "--input-shape", "x=1x8x64")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("data", [b"", b"\x08\x07\x12\xff\xff",
                                  np.random.default_rng(1).bytes(2048)])
def test_corrupt_files(tmp_path, data):
    path = tmp_path / "bad.onnx"
    path.write_bytes(data)
    out = tmp_path / "out.mlir"
    r = _run(path, "-o", out)
    assert r.returncode > 0 and "error:" in r.stderr
    assert not out.exists()


def test_truncated_decoder(tmp_path):
    full = onnx_models.llama_decoder_layer().SerializeToString()
    path = tmp_path / "t.onnx"
    path.write_bytes(full[: len(full) // 2])
    r = _run(path)
    assert r.returncode > 0 and "error:" in r.stderr


def test_unsupported_ops_listed_once(tmp_path):
    nodes = [helper.make_node("NonZero", ["x"], ["a"], name="e1"),
             helper.make_node("NonZero", ["a"], ["b"], name="e2"),
             helper.make_node("Det", ["b"], ["y"], name="det")]
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                   [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    path = onnx_models.save(m, str(tmp_path / "u.onnx"))
    r = _run(path)
    assert r.returncode > 0
    assert r.stderr.count("error:") == 1
    assert "NonZero (node 'e1')" in r.stderr and "Det (node 'det')" in r.stderr
    assert "e2" not in r.stderr


def test_bind_input_slice_bounds(tmp_path):
    """--bind-input turns runtime Slice bounds into constants (.npy and .pb
    give the same IR); binding a float input with int data is refused."""
    from onnx import numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6])
    starts = helper.make_tensor_value_info("starts", TensorProto.INT64, [2])
    ends = helper.make_tensor_value_info("ends", TensorProto.INT64, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph(
        [helper.make_node("Slice", ["x", "starts", "ends"], ["y"])],
        "slice", [x, starts, ends], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = str(tmp_path / "slice.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    np.save(tmp_path / "starts.npy", np.array([1, 2], dtype=np.int64))
    with open(tmp_path / "ends.pb", "wb") as f:
        f.write(numpy_helper.from_array(
            np.array([3, 5], dtype=np.int64)).SerializeToString())
    np.save(tmp_path / "ends.npy", np.array([3, 5], dtype=np.int64))

    r = _run(path, "--bind-input", "starts=%s" % (tmp_path / "starts.npy"),
             "--bind-input", "ends=%s" % (tmp_path / "ends.pb"))
    assert r.returncode == 0, r.stderr
    assert "tosa.slice" in r.stdout
    assert '"starts"' not in r.stdout and '"ends"' not in r.stdout
    r2 = _run(path, "--bind-input", "starts=%s" % (tmp_path / "starts.npy"),
              "--bind-input", "ends=%s" % (tmp_path / "ends.npy"))
    assert r2.returncode == 0 and r2.stdout == r.stdout, r2.stderr

    r = _run(path, "--bind-input", "x=%s" % (tmp_path / "starts.npy"))
    assert r.returncode != 0
    assert ("--bind-input x: the tensor in '%s' has element type int64 but "
            "the input is float" % (tmp_path / "starts.npy")) in r.stderr
