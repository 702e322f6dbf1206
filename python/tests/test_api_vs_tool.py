"""bitmod.fake_quantize gives bit-identical results to bitmod-quant's .npy
mode, one thread and several. Timing is a benchmark, not a test:
python/bench_api.py prints the Python API's overhead (docs/python.md)."""

import subprocess

import numpy as np
import pytest

bitmod = pytest.importorskip("bitmod")
if not hasattr(bitmod, "quantize"):
    pytest.skip("bitmod._core is not built", allow_module_level=True)


@pytest.mark.parametrize("dtype,threads", [("bitmod3", 1), ("bitmod4", 2),
                                           ("int6", 2)])
def test_fake_quantize_matches_bitmod_quant(dtype, threads, tmp_path):
    weights = np.random.default_rng(7).standard_normal(
        (256, 1024)).astype(np.float32)
    src, dst = tmp_path / "w.npy", tmp_path / "q.npy"
    np.save(src, weights)
    subprocess.run([bitmod.find_tool("bitmod-quant"), f"--dtype={dtype}",
                    f"--num-threads={threads}", str(src), "-o", str(dst)],
                   check=True, capture_output=True)
    got = bitmod.fake_quantize(weights, dtype, num_threads=threads)
    assert np.array_equal(got.view(np.uint32), np.load(dst).view(np.uint32))
