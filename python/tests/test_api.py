"""The Python API (bitmod.api over bitmod._core): numerics against
bitmod-quant and the numpy reference, the cost model, the datapath, .bmod
round trips, the command line and the error paths."""

import os
import subprocess
import sys

import numpy as np
import pytest

bitmod = pytest.importorskip("bitmod")
if not hasattr(bitmod, "quantize"):
    pytest.skip("bitmod._core is not built", allow_module_level=True)

from bitmod import quant_ref  # noqa: E402

TOOLS = os.environ.get("BITMOD_TOOLS_DIR", "")
PYTHON_DIR = os.path.join(os.path.dirname(__file__), "..")


def tool(name):
    path = os.path.join(TOOLS, name)
    if not os.path.isfile(path):
        pytest.skip(f"{name} not built")
    return path


def rng_matrix(n, k, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal((n, k)).astype(dtype)


@pytest.mark.parametrize("dtype,group,scale_bits", [
    ("bitmod3", 128, 8), ("bitmod4", 64, 6), ("int4_asym", 32, 8),
    ("mxfp4", 32, 8), ("fp6_e2m3", 128, 0), ("int8", 96, 4)])
def test_bit_identical_to_bitmod_quant(tmp_path, dtype, group, scale_bits):
    w = rng_matrix(48, 300, seed=1)
    src = tmp_path / "w.npy"
    np.save(src, w)
    out = tmp_path / "q.npy"
    packed_path = tmp_path / "q.bmqw"
    subprocess.run([tool("bitmod-quant"), f"--dtype={dtype}",
                    f"--group-size={group}", f"--scale-bits={scale_bits}",
                    str(src), "-o", str(out), f"--packed={packed_path}"],
                   check=True, capture_output=True)
    packed = bitmod.quantize(w, dtype, group_size=group, scale_bits=scale_bits,
                             name="w.npy")
    deq = packed.dequantize()
    assert deq.dtype == np.float32 and deq.shape == w.shape
    assert np.array_equal(deq.view(np.uint32), np.load(out).view(np.uint32))
    assert packed.serialize() == packed_path.read_bytes()
    same = bitmod.PackedWeights.deserialize(packed_path.read_bytes())
    assert np.array_equal(same.codes, packed.codes)


def test_float16_input_matches_numpy_reference():
    w = rng_matrix(16, 256, seed=2, dtype=np.float16)
    got = bitmod.fake_quantize(w, "bitmod3")
    ref, selectors, _ = quant_ref.quantize_ref(w.astype(np.float32),
                                               "bitmod3", 128, 8)
    assert np.array_equal(got, ref)
    assert np.array_equal(
        bitmod.quantize(w, "bitmod3").unpacked_selectors(), selectors)


def test_packed_views_are_zero_copy_and_read_only():
    w = rng_matrix(8, 256)
    p = bitmod.quantize(w, "bitmod3")
    codes = p.codes
    assert codes.shape == (8, 96) and codes.dtype == np.uint8
    assert not codes.flags.writeable and not codes.flags.owndata
    assert p.selectors.shape == (8, 1)
    assert p.group_scale_codes.shape == (8, 2)
    assert p.channel_scales.shape == (8,)
    del p  # the view keeps the storage alive
    assert codes.sum() >= 0
    q = bitmod.quantize(w, "bitmod3")
    assert q.unpacked_codes().shape == (8, 256)
    assert q.unpacked_selectors().max() <= 3
    assert sum(q.selector_histogram()) == 16


def test_metrics():
    w = rng_matrix(32, 256)
    d = bitmod.fake_quantize(w, "int8")
    err = (w.astype(np.float64) - d) ** 2
    assert bitmod.mse(w, d) == pytest.approx(err.mean(), rel=1e-9)
    s = 10 * np.log10((w.astype(np.float64) ** 2).sum() / err.sum())
    assert bitmod.sqnr(w, d) == pytest.approx(s, rel=1e-9)
    assert bitmod.sqnr(w, w) == float("inf")
    assert bitmod.sqnr(w, bitmod.fake_quantize(w, "bitmod3")) < \
        bitmod.sqnr(w, bitmod.fake_quantize(w, "bitmod4"))


def test_dtype_tables():
    names = bitmod.dtype_names()
    assert names == quant_ref.DTYPES
    info = bitmod.dtype_info("fp4")
    assert info["code_bits"] == 4 and info["qmax"] == 12
    assert bitmod.dtype_info("mxfp4")["required_group_size"] == 32
    assert bitmod.decode_code("fp3", 0b011) == 4
    assert bitmod.nominal_bits_per_weight("bitmod3", 128, 8) == \
        pytest.approx(3 + 10 / 128)


def test_estimate_and_accel_config():
    c = bitmod.estimate(1, 4096, 4096, "bitmod3")
    assert c["total_cycles"] >= max(c["compute_cycles"], c["dram_cycles"])
    assert c["energy_pj"] == pytest.approx(
        c["dram_pj"] + c["act_buffer_pj"] + c["wgt_buffer_pj"] + c["core_pj"])
    fp16 = bitmod.estimate(1, 4096, 4096, "bitmod3", kind="fp16")
    assert fp16["total_cycles"] > c["total_cycles"]
    small = bitmod.estimate(1, 4096, 4096, "bitmod3",
                            accel={"dram_bytes_per_cycle": 8})
    assert small["dram_cycles"] > c["dram_cycles"]
    same = bitmod.estimate(1, 4096, 4096, "bitmod3", accel="dram_bytes_per_cycle=8")
    assert same == small
    assert bitmod.accel_config()["num_tiles"] == 16


def test_grouped_matmul_against_float_reference():
    w = rng_matrix(64, 256, seed=3)
    p = bitmod.quantize(w, "bitmod3")
    x = rng_matrix(4, 256, seed=4, dtype=np.float16)
    y, stats = bitmod.grouped_matmul(x, p, return_stats=True)
    ref = x.astype(np.float64) @ p.dequantize().astype(np.float64).T
    assert y.shape == (4, 64)
    assert np.abs(y - ref).max() <= 1e-4 * np.abs(ref).max()
    assert stats["group_dequants"] == 4 * 64 * 2
    y16 = bitmod.grouped_matmul(x.astype(np.float32), p, output="fp16")
    assert np.array_equal(y16, y.astype(np.float16).astype(np.float32))


@pytest.mark.parametrize("call,message", [
    (lambda w: bitmod.quantize(w, "int7"), "unknown data type 'int7'"),
    (lambda w: bitmod.quantize(w, "bitmod3", group_size=0), "group"),
    (lambda w: bitmod.quantize(w, "bitmod3", scale_bits=3), "scale"),
    (lambda w: bitmod.quantize(w, "mxfp4", granularity="per-channel"),
     "requires per-group granularity"),
    (lambda w: bitmod.quantize(w[0], "bitmod3"), "2-D"),
    (lambda w: bitmod.quantize(w.astype(np.int32), "bitmod3"), "float32"),
    (lambda w: bitmod.quantize(w, "bitmod3", granularity="rows"),
     "granularity"),
    (lambda w: bitmod.estimate(0, 1, 1, "bitmod3"), ""),
    (lambda w: bitmod.estimate(1, 1, 1, "bitmod3", accel={"tile_rows": 0}),
     "tile_rows"),
    (lambda w: bitmod.estimate(1, 1, 1, "bitmod3", accel={"bogus": 1}),
     "bogus"),
    (lambda w: bitmod.grouped_matmul(np.ones((1, 3), np.float16),
                                     bitmod.quantize(w, "bitmod3")), "K="),
    (lambda w: bitmod.grouped_matmul(np.ones((1, 256), np.float16),
                                     bitmod.quantize(w, "bitmod3",
                                                     scale_bits=0)), ""),
    (lambda w: bitmod.PackedWeights.deserialize(b"BMQWxx"), ""),
    (lambda w: bitmod.read_bmod(b"not a program"), ""),
])
def test_errors_carry_the_cpp_message(call, message):
    w = rng_matrix(4, 256)
    with pytest.raises(bitmod.Error, match=message) as e:
        call(w)
    assert isinstance(e.value, ValueError) and str(e.value)


def test_non_finite_weight_names_the_element():
    w = rng_matrix(4, 256)
    w[2, 7] = np.inf
    with pytest.raises(bitmod.Error, match=r"non-finite weight \+inf at \[2, 7\]"):
        bitmod.quantize(w, "bitmod3")


ISA_LISTING = os.path.join(os.path.dirname(__file__), "..", "..", "test",
                           "Target", "ISA", "Inputs", "small-int8.s")


def test_bmod_round_trip(tmp_path):
    with open(ISA_LISTING) as f:
        listing = f.read()
    prog = bitmod.Program.from_assembly(listing)
    assert prog.assembly() == listing
    assert prog.symbols[0]["name"] == "x" and prog.symbols[0]["shape"] == [2, 128]
    assert prog.layers[0] == {"name": "linear", "first_inst": 0,
                              "num_insts": 6, "M": 2, "N": 8, "K": 128}
    assert len(prog.weights) == 1072 and not prog.weights.flags.writeable
    path = tmp_path / "p.bmod"
    bitmod.write_bmod(prog, path)
    again = bitmod.read_bmod(path)
    assert again.to_bytes() == prog.to_bytes() == path.read_bytes()
    assert again.opcodes[0] == "config" and again.opcodes[-1] == "halt"
    if os.path.isfile(os.path.join(TOOLS, "bitmod-sim")):
        ref = tmp_path / "ref.bmod"
        subprocess.run([tool("bitmod-sim"), "--assemble", ISA_LISTING, "-o",
                        str(ref)], check=True, capture_output=True)
        assert ref.read_bytes() == path.read_bytes()
    with pytest.raises(bitmod.Error, match="cannot write"):
        bitmod.write_bmod(prog, tmp_path / "no" / "such" / "dir.bmod")


def test_compiled_model_bmod_and_sim(tmp_path):
    """Compiles a one-MatMul ONNX model, reads its .bmod and runs model.sim
    through run_model_sim with numpy in and out."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    compile_tool = tool("bitmod-compile")
    w = rng_matrix(64, 32, seed=5)  # ONNX MatMul B is [K, N]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "mm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 32])],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model_path = tmp_path / "mm.onnx"
    onnx.save(model, str(model_path))
    out = tmp_path / "out"
    r = subprocess.run([compile_tool, str(model_path), "-o", str(out),
                        "--dtype=int8"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("bitmod-compile failed: " + r.stderr[-300:])
    bmods = [f for f in os.listdir(out) if f.endswith(".bmod")]
    assert bmods, os.listdir(out)
    prog = bitmod.read_bmod(out / bmods[0])
    assert prog.num_instructions > 0 and prog.opcodes[-1] == "halt"
    assert bitmod.read_bmod(prog.to_bytes()).to_bytes() == prog.to_bytes()
    x = rng_matrix(2, 64, seed=6)
    res = bitmod.run_model_sim(out / "model.sim", {"x": x}, report=True)
    assert res["y"].shape == (2, 32)
    # int8 weights, FP16 activations: close to the float product.
    ref = x @ bitmod.fake_quantize(w.T, "int8").T
    assert np.abs(res["y"] - ref).max() <= 1e-2 * np.abs(ref).max()
    assert "__report__" in res
    with pytest.raises(bitmod.Error, match="no input 'nope'"):
        bitmod.run_model_sim(out / "model.sim", {"nope": x})


def test_command_line(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.abspath(PYTHON_DIR) + os.pathsep + \
        env.get("PYTHONPATH", "")
    w = rng_matrix(16, 256)
    np.save(tmp_path / "w.npy", w)
    r = subprocess.run([sys.executable, "-m", "bitmod", "quantize",
                        str(tmp_path / "w.npy"), "-o", str(tmp_path / "q.npy"),
                        "--dtype", "bitmod3"],
                       capture_output=True, text=True, env=env, check=True)
    assert "sqnr_db" in r.stdout
    assert np.array_equal(np.load(tmp_path / "q.npy"),
                          bitmod.fake_quantize(w, "bitmod3", name="w.npy"))
    r = subprocess.run([sys.executable, "-m", "bitmod", "estimate",
                        "1", "4096", "4096", "--dtype", "bitmod3"],
                       capture_output=True, text=True, env=env, check=True)
    assert "total_cycles" in r.stdout
    r = subprocess.run([sys.executable, "-m", "bitmod", "quantize",
                        str(tmp_path / "w.npy"), "-o", str(tmp_path / "x.npy"),
                        "--dtype", "int7"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "unknown data type 'int7'" in r.stderr


def test_threads_share_the_quantizer():
    """The GIL is released in C++: threads quantize concurrently and get
    the single-threaded result."""
    import threading
    mats = [rng_matrix(64, 512, seed=s) for s in range(4)]
    expected = [bitmod.fake_quantize(m, "bitmod4", num_threads=1)
                for m in mats]
    got = [None] * len(mats)

    def work(i):
        got[i] = bitmod.fake_quantize(mats[i], "bitmod4", num_threads=1)

    threads = [threading.Thread(target=work, args=(i,))
               for i in range(len(mats))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e, g in zip(expected, got):
        assert np.array_equal(e, g)
