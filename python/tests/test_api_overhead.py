"""The Python API's overhead on a 4096 x 4096 bitmod3 quantization: under
5 % against the C++ quantizer timed inside C++ and against bitmod-quant's
own time (python/bench_api.py prints the same figures)."""

import json
import os
import subprocess
import time

import numpy as np
import pytest

bitmod = pytest.importorskip("bitmod")
if not hasattr(bitmod, "quantize"):
    pytest.skip("bitmod._core is not built", allow_module_level=True)

N = K = 4096
REPEAT = 5


def best_of(fn, repeat=REPEAT):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.fixture(scope="module")
def weights():
    return np.random.default_rng(0).standard_normal((N, K)).astype(np.float32)


def test_quantize_overhead_vs_cpp(weights):
    # One thread (the machine is shared), interleaved, best of each.
    cpp = py = float("inf")
    for _ in range(REPEAT):
        cpp = min(cpp, bitmod._core._time_quantize(weights, "bitmod3", 128,
                                                   8, 1))
        py = min(py, best_of(lambda: bitmod.quantize(
            weights, "bitmod3", num_threads=1), 1))
    assert py <= cpp * 1.05, (py, cpp)


def test_fake_quantize_overhead_vs_bitmod_quant(weights, tmp_path):
    """bitmod.fake_quantize against `bitmod-quant in.npy -o out.npy`
    (its report's time_s: read, quantize, dequantize), same output."""
    src, dst, rep = (tmp_path / f for f in ("w.npy", "q.npy", "r.json"))
    np.save(src, weights)
    tool = py = float("inf")
    for _ in range(REPEAT):
        subprocess.run([bitmod.find_tool("bitmod-quant"), "--dtype=bitmod3",
                        "--num-threads=1", str(src), "-o", str(dst),
                        f"--report={rep}"], check=True, capture_output=True)
        tool = min(tool, json.loads(rep.read_text())["time_s"])
        py = min(py, best_of(lambda: bitmod.fake_quantize(
            weights, "bitmod3", num_threads=1), 1))
    got = bitmod.fake_quantize(weights, "bitmod3", num_threads=1)
    assert np.array_equal(got.view(np.uint32), np.load(dst).view(np.uint32))
    assert py <= tool * 1.05, (py, tool)
