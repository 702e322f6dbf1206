"""Issue #15 end to end on real torch.onnx exports of the model zoo.

A subset of bench/llm_matrix.py (the full matrix and its table are in
docs/llm.md), sharing its code:

* logits: for every family a prefill and a decode-with-past export, the
  cells chosen so that opsets 14 and 17, static and dynamic exports (bound
  with --input-dim) and int8, int6, bitmod4, bitmod3 all appear; model.sim
  against ONNX Runtime on the bitmod-quant fake-quantized export, all
  outputs (logits, present.N.*) within llm_matrix.BOUND;
* generation: 32 tokens of the two-phase model (decode export +
  --prefill-model) equal to scripts/ort_generate.js --cache sliding on the
  fake-quantized exports, int8 and bitmod4 (two families each);
* bad inputs on real exports: a dynamic export compiled without binding
  its axes (shape depending on runtime values), a decode export whose
  present outputs are renamed (unpaired cache), a token id outside the
  vocabulary, a prompt longer than the compiled prefill.

Compiles with --cxx-flags=-O0 (the generated C++ dominates the wall time;
optimisation does not change the numerics checked here).
"""

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import llm_matrix as matrix  # noqa: E402

CXX = ["--cxx-flags=-O0"]

# (family, phase, opset, mode, dtype)
LOGIT_CELLS = [
    ("llama", "prefill", 17, "dynamic", "int8"),
    ("llama", "decode", 14, "static", "bitmod3"),
    ("gpt2", "prefill", 14, "static", "int6"),
    ("gpt2", "decode", 17, "dynamic", "bitmod4"),
    ("opt", "prefill", 17, "static", "bitmod3"),
    ("opt", "decode", 14, "dynamic", "int8"),
    ("phi", "prefill", 14, "dynamic", "bitmod4"),
    ("phi", "decode", 17, "static", "int6"),
]
GEN_CELLS = [("llama", 17, "int8"), ("gpt2", 14, "bitmod4"),
             ("opt", 17, "bitmod4"), ("phi", 14, "int8")]


def _have_tools():
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("torch is not installed")
    for t in (matrix.COMPILE, matrix.QUANT):
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


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    _have_tools()
    import torch
    torch.set_num_threads(1)
    return str(tmp_path_factory.mktemp("llm_e2e"))


@pytest.mark.parametrize("family,phase,opset,mode,dtype", LOGIT_CELLS)
def test_logits_match_ort(work, family, phase, opset, mode, dtype):
    cell = matrix.logits_cell(work, family, phase, opset, mode, dtype, CXX)
    print("%s %s opset %d %s %s: max rel err %.2e (%.0f s)" % (
        family, phase, opset, mode, dtype, cell["err"], cell["seconds"]))
    assert cell["err"] <= matrix.BOUND


@pytest.mark.parametrize("family,opset,dtype", GEN_CELLS)
def test_generation_matches_ort(work, family, opset, dtype):
    g = matrix.generation_cell(work, family, opset, dtype, CXX)
    print("%s opset %d %s: %d tokens %s (%.0f s)" % (
        family, opset, dtype, len(g["sim"]), g["sim"], g["seconds"]))
    assert len(g["sim"]) == matrix.STEPS
    if g["tie"]:
        # Only a near-tie in ORT's logits (below the logits bound) may part
        # the sequences; the tokens before it must be identical.
        print("parts at token %(step)d, ORT top-2 gap %(gap).1e" % g["tie"])
        assert g["tie"]["within_bound"]
    else:
        assert g["sim"] == g["ort"]



TRAINED = os.path.join(ROOT, "test", "Inputs", "llm", "tiny-llama-trained.npz")


@pytest.mark.parametrize("dtype", ["int8", "bitmod4"])
def test_trained_generation_is_identical_to_ort(work, dtype):
    """The trained Llama's logits are peaked, so no near-ties: 32 greedy
    tokens of the two-phase model.sim must equal ONNX Runtime's exactly."""
    from bitmod.llm import export as exporter
    trained = os.path.join(work, "trained")
    for phase in ("prefill", "decode"):
        d = matrix.export_dir(trained, "llama", phase, 17, "static")
        if not os.path.exists(os.path.join(d, "export.json")):
            exporter.export("llama", phase, 17, False,
                            matrix.PREFILL if phase == "prefill" else 1,
                            matrix.CACHE if phase == "decode" else 0, d,
                            weights=TRAINED)
    g = matrix.generation_cell(trained, "llama", 17, dtype, CXX)
    print("trained llama %s: %s" % (dtype, bytes(g["sim"]).decode("latin-1")))
    assert len(g["sim"]) == matrix.STEPS
    assert g["sim"] == g["ort"]

def _gen_sim(work):
    """The llama int8 two-phase model.sim of test_generation_matches_ort."""
    matrix.generation_cell(work, "llama", 17, "int8", CXX)
    return os.path.join(work, "gen", "llama-op17-int8", "out", "model.sim")


def test_unbound_dynamic_export_is_an_error(work):
    d = matrix.export(work, "llama", "prefill", 17, "dynamic")
    r = matrix.run([matrix.COMPILE, os.path.join(d, "model.onnx"), "-o",
                    os.path.join(work, "unbound"), "--quiet"] + CXX, ok=False)
    print(r.stderr)
    assert r.returncode != 0
    assert "--input-dim" in r.stderr or "--input-shape" in r.stderr


def test_unpaired_cache_is_an_error(work):
    import onnx
    pre = matrix.export(work, "llama", "prefill", 17, "static")
    dec = matrix.export(work, "llama", "decode", 17, "static")
    model = onnx.load(os.path.join(dec, "model.onnx"))
    renamed = {"present.1.key": "cache_out.1.key"}
    for node in model.graph.node:
        node.input[:] = [renamed.get(i, i) for i in node.input]
        node.output[:] = [renamed.get(o, o) for o in node.output]
    for out in model.graph.output:
        out.name = renamed.get(out.name, out.name)
    path = os.path.join(work, "unpaired.onnx")
    onnx.save(model, path)
    r = matrix.run([matrix.COMPILE, path, "--prefill-model",
                    os.path.join(pre, "model.onnx"), "-o",
                    os.path.join(work, "unpaired"), "--quiet"] + CXX,
                   ok=False)
    print(r.stderr)
    assert r.returncode != 0
    assert "does not pair" in r.stderr
    assert "'past_key_values.1.key'" in r.stderr
    assert "'cache_out.1.key'" in r.stderr


def test_token_out_of_vocabulary_is_an_error(work):
    sim = _gen_sim(work)
    prompt = os.path.join(work, "bad-token.npy")
    np.save(prompt, np.array([72, 256, 3], np.int64))
    r = matrix.run([sim, "--generate", 4, "--input", "input_ids=" + prompt,
                    "--output-dir", os.path.join(work, "bad-token")],
                   ok=False)
    print(r.stderr)
    assert r.returncode != 0
    assert "256" in r.stderr and "vocabulary" in r.stderr


def test_prompt_longer_than_prefill_is_an_error(work):
    sim = _gen_sim(work)
    prompt = os.path.join(work, "long-prompt.npy")
    np.save(prompt, np.arange(matrix.PREFILL + 1, dtype=np.int64))
    r = matrix.run([sim, "--generate", 4, "--input", "input_ids=" + prompt,
                    "--output-dir", os.path.join(work, "long")], ok=False)
    print(r.stderr)
    assert r.returncode != 0
    assert ("the prompt has %d tokens, the prefill entry was compiled for at "
            "most %d" % (matrix.PREFILL + 1, matrix.PREFILL)) in r.stderr
