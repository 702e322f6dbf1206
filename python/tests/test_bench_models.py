"""Fast unit tests of the paper benchmark logic (bench_models, run.py)."""

import json
import math
import os
import subprocess
import sys

import pytest

from bitmod import bench_models as bm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_paper_shapes():
    names = [m.name for m in bm.PAPER_MODELS]
    assert names == ["OPT-1.3B", "Phi-2", "Yi-6B", "Llama-2-7B",
                     "Llama-2-13B", "Llama-3-8B"]
    yi, l3 = bm.get_model("yi-6b"), bm.get_model("Llama-3-8B")
    assert (yi.kv_heads, l3.kv_heads) == (4, 8)
    assert [m.vocab for m in bm.PAPER_MODELS] == [50272, 51200, 64000,
                                                 32000, 32000, 128256]
    # 2-matrix GELU MLP for OPT/Phi, 3-matrix SwiGLU for Llama/Yi.
    assert len(bm.get_model("opt-1.3b").linear_layers()) == 6
    assert len(l3.linear_layers()) == 7
    assert dict((n, (a, b)) for n, a, b in l3.linear_layers())["k_proj"] \
        == (1024, 4096)
    # Parameter counts close to the model names.
    approx = {"OPT-1.3B": 1.2e9, "Llama-2-7B": 6.5e9, "Llama-2-13B": 12.7e9,
              "Llama-3-8B": 7.0e9, "Yi-6B": 5.7e9, "Phi-2": 2.6e9}
    for m in bm.PAPER_MODELS:
        assert abs(m.weight_count() / approx[m.name] - 1) < 0.1, m.name


def test_bad_shapes():
    with pytest.raises(ValueError):
        bm.ModelShape("x", None, 100, 10, 3, 3, 1, 10, "swiglu")
    with pytest.raises(ValueError):
        bm.ModelShape("x", None, 64, 10, 4, 3, 1, 10, "swiglu")
    with pytest.raises(ValueError):
        bm.ModelShape("x", None, 64, 10, 4, 4, 1, 10, "relu")
    with pytest.raises(KeyError):
        bm.get_model("gpt-5")


def test_attention_gqa():
    yi = bm.get_model("Yi-6B")
    qk, pv = bm.attention_gemms(yi, 1, 300)
    assert (qk["m"], qk["n"], qk["k"], qk["count"]) == (8, 300, 128, 4)
    assert (pv["m"], pv["n"], pv["k"], pv["count"]) == (8, 128, 300, 4)
    assert qk["attention"] and pv["attention"]
    assert bm.decode_contexts(256, 256) == list(range(257, 512))


def test_geomean():
    assert bm.geomean([2, 8]) == pytest.approx(4)
    assert bm.geomean([1.5]) == pytest.approx(1.5)
    with pytest.raises(ValueError):
        bm.geomean([])
    with pytest.raises(ValueError):
        bm.geomean([1, 0])


def test_mlir_text():
    text = bm.linear_workload_mlir([("a", 16, 32), ("b", 32, 16)], [4, 1])
    assert text.count("bitmod.linear") == 4
    assert text.count("arith.constant") == 2
    assert '"a.m4"' in text and '"b.m1"' in text
    assert "tensor<1x16xf32>, tensor<32x16xf32> -> tensor<1x32xf32>" in text
    with pytest.raises(ValueError):
        bm.linear_workload_mlir([], [1])


def _tools():
    """A tool directory with all four tools and bitmod-sim --estimate:
    $BITMOD_TOOLS, build-bench/bin or build/bin."""
    cands = [os.environ.get("BITMOD_TOOLS")] + [
        os.path.join(ROOT, d, "bin") for d in ("build-bench", "build")]
    for d in filter(None, cands):
        if not all(os.path.exists(os.path.join(d, t)) for t in (
                "bitmod-opt", "bitmod-translate", "bitmod-sim",
                "bitmod-quant")):
            continue
        help_text = subprocess.run([os.path.join(d, "bitmod-sim"), "--help"],
                                   capture_output=True, text=True).stdout
        if "--estimate" in help_text:
            return d
    pytest.skip("no build with bitmod-sim --estimate")


def test_quick_end_to_end(tmp_path):
    """The tiny model through bitmod-opt/translate/sim in seconds."""
    tools = _tools()
    sys.path.insert(0, os.path.join(ROOT, "bench", "paper"))
    import run as bench
    res = bench.main(["--quick", "--tools", tools, "--out-dir",
                      str(tmp_path), "--no-pareto"])
    data = json.load(open(tmp_path / "results.json"))
    for sc in ("discriminative", "generative", "generative_paper"):
        assert data[sc]["models"] == ["Tiny-GQA"]
        for k in ("lossy_vs_ant", "lossy_vs_olive", "lossless_vs_fp16",
                  "lossy_vs_fp16"):
            assert data[sc]["speedup"][k] > 0
            assert data[sc]["energy_efficiency"][k] > 0
        c = data[sc]["cycles"]["Tiny-GQA"]
        assert c["bitmod_lossy"] > 0 and c["fp16"] > 0
    # generative = prefill + more decode steps than the paper formula
    # (8 output tokens -> 7 decode steps < 20).
    g, gp = (data[s]["cycles"]["Tiny-GQA"]["ant"]
             for s in ("generative", "generative_paper"))
    assert g < gp
    assert data["config"]["consistency_checks"] > 0
    assert (tmp_path / "figures" / "speedup.png").exists()
    assert "Headline" in (tmp_path / "results.md").read_text()
    assert res["headline"]["lossy_vs_ant_generative_paper"] > 0


def test_onnx_model(tmp_path):
    tools = _tools()
    from bitmod import onnx_models
    import onnx
    path = tmp_path / "dec.onnx"
    onnx.save(onnx_models.llama_decoder_layer(hidden=128, heads=4,
                                              intermediate=256, seq=16),
              str(path))
    sys.path.insert(0, os.path.join(ROOT, "bench", "paper"))
    import run as bench
    res = bench.main(["--model", str(path), "--tools", tools, "--out-dir",
                      str(tmp_path / "out"), "--no-pareto",
                      "--output-tokens", "4"])
    assert res["discriminative"]["models"] == ["dec"]
    assert res["discriminative"]["cycles"]["dec"]["bitmod_lossy"] > 0
    with pytest.raises(bench.BenchError):
        bench.main(["--model", str(tmp_path / "missing.onnx"), "--tools",
                    tools, "--out-dir", str(tmp_path / "o2")])
