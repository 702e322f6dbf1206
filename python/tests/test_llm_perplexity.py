"""bench/llm_perplexity.py in CI: perplexity of the trained tiny Llama
(test/Inputs/llm) through model.sim next to ONNX Runtime on the
bitmod-quant fake-quantized export, for two dtypes on the first 512 tokens
of eval-tokens.npy (window 128, stride 64). The full table (9 dtypes, all
4096 tokens) is in docs/llm.md."""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import llm_perplexity as ppl  # noqa: E402


@pytest.mark.parametrize("dtype", ["int8", "bitmod3"])
def test_perplexity_matches_ort(tmp_path, dtype):
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("torch is not installed")
    for t in (ppl.COMPILE, ppl.QUANT):
        if not os.path.exists(t):
            pytest.skip(f"{t} not built")
    try:
        r = subprocess.run(["node", "-e", "require('onnxruntime-node')"],
                           cwd=os.path.join(ROOT, "third_party", "node"),
                           capture_output=True)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    if r.returncode:
        pytest.skip("onnxruntime-node is not installed")
    tokens = str(tmp_path / "tokens.npy")
    np.save(tokens, np.load(ppl.TOKENS)[:512])
    [(_, sim, ort, rel)] = ppl.table(str(tmp_path), [dtype], tokens, 128, 64,
                                     ["--cxx-flags=-O0"])
    print("%s: model.sim %.5f, ORT %.5f, relative difference %.1e"
          % (dtype, sim, ort, rel))
    assert rel < ppl.BOUND
