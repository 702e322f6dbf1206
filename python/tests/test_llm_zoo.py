"""The LLM test-model zoo (python/bitmod/llm) through ONNX Runtime.

* Every family (Llama, GPT-2, OPT, Phi-2) x {prefill, decode} x opsets
  {14, 17} x {static, dynamic} exports with bitmod.llm.export and runs in
  ONNX Runtime (scripts/ort_run.js) matching the PyTorch forward: static
  graphs on their traced inputs, dynamic ones at other sizes (batch 2, left
  padding, another sequence and past length). Metric: max |y - y_torch| /
  max |y_torch| over logits and present.*, bound REL_BOUND.
* scripts/ort_generate.js: the growing cache (dynamic graphs) and the
  static sliding cache (fixed-shape graphs, left-padded prefill) give the
  same 8 tokens as the PyTorch greedy loop, and logits within REL_BOUND.
* scripts/ort_perplexity.js on the trained fixture equals the PyTorch
  computation of bitmod.llm.reference.perplexity.
* float16 export with external data runs in ONNX Runtime.
* ort_perplexity.js on bitmod-quant fake-quantized weights (int8, bitmod3;
  skips when bitmod-quant is not built).

Skips when torch/onnx, node or onnxruntime-node are missing.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from bitmod.llm import export as llm_export  # noqa: E402
from bitmod.llm import reference, zoo  # noqa: E402

SCRIPTS = os.path.join(ROOT, "scripts")
FIXTURES = os.path.join(ROOT, "test", "Inputs", "llm")
TRAINED = os.path.join(FIXTURES, "tiny-llama-trained.npz")
EVAL_TOKENS = os.path.join(FIXTURES, "eval-tokens.npy")

# float32 ONNX Runtime against float32 PyTorch (measured <= 1e-6).
REL_BOUND = 1e-4
PREFILL_SEQ = 8
DECODE_PAST = 16  # static decode graphs: the sliding cache length
PROMPT = [72, 101, 108, 108, 111]  # "Hello"
STEPS = 8

torch.set_num_threads(1)


def _node(script, *args):
    try:
        r = subprocess.run(["node", os.path.join(SCRIPTS, script),
                            *map(str, args)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    if r.returncode == 2:
        pytest.skip("onnxruntime-node is not installed")
    return r


def _node_ok(script, *args):
    r = _node(script, *args)
    assert r.returncode == 0, r.stderr
    return r


def _rel(got, ref):
    return float(np.abs(got.astype(np.float32) - ref).max() /
                 np.abs(ref).max())


@pytest.fixture(scope="module")
def models():
    return {f: zoo.build(f) for f in zoo.FAMILIES}


@pytest.fixture(scope="module")
def exported(tmp_path_factory, models):
    """Lazily exported graphs, keyed by (family, phase, opset, dynamic)."""
    root = tmp_path_factory.mktemp("llm")
    cache = {}

    def get(family, phase, opset, dynamic):
        key = (family, phase, opset, dynamic)
        if key not in cache:
            out = root / ("%s-%s-%d-%s" % (family, phase, opset,
                                           "dyn" if dynamic else "static"))
            seq = PREFILL_SEQ if phase == "prefill" else 1
            llm_export.export(family, phase, opset, dynamic, seq, DECODE_PAST,
                              str(out), model=models[family])
            cache[key] = out
        return cache[key]
    return get


def _left_padded(batch, seq, past, pad):
    """Mask [batch, past + seq] with `pad` leading zeros in row 1 and the
    Hugging Face position ids (cumsum - 1, 1 on padding)."""
    mask = torch.ones(batch, past + seq, dtype=torch.int64)
    mask[1, :pad] = 0
    positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    return mask, positions


def _dynamic_case(model, phase):
    """Inputs at sizes other than the traced ones, and PyTorch outputs."""
    gen = torch.Generator().manual_seed(7)
    vocab = model.config.vocab_size
    batch, seq, past, pad = 2, 5, 6, 2
    if phase == "prefill":
        mask, positions = _left_padded(batch, seq, 0, pad)
        args = (torch.randint(0, vocab, (batch, seq), generator=gen), mask,
                positions)
    else:
        seq = 3
        mask, positions = _left_padded(batch, seq, past, pad)
        with torch.no_grad():
            cache = model(torch.randint(0, vocab, (batch, past),
                                        generator=gen), mask[:, :past],
                          positions[:, :past])[1:]
        args = (torch.randint(0, vocab, (batch, seq), generator=gen), mask,
                positions[:, past:].contiguous()) + tuple(cache)
    with torch.no_grad():
        return args, model(*args)


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("opset", [14, 17])
@pytest.mark.parametrize("phase", ["prefill", "decode"])
@pytest.mark.parametrize("family", zoo.FAMILIES)
def test_export_matches_torch(family, phase, opset, dynamic, exported,
                              models, tmp_path):
    out = exported(family, phase, opset, dynamic)
    cfg = models[family].config
    names_in = llm_export.input_names(cfg.num_hidden_layers,
                                      phase == "decode")
    names_out = llm_export.output_names(cfg.num_hidden_layers)
    if dynamic:
        args, ref = _dynamic_case(models[family], phase)
        for name, t in zip(names_in, args):
            np.save(tmp_path / (name + ".npy"), t.numpy())
        inputs = {n: tmp_path / (n + ".npy") for n in names_in}
        ref = {n: t.numpy() for n, t in zip(names_out, ref)}
    else:
        inputs = {n: out / "test_data" / "inputs" / (n + ".npy")
                  for n in names_in}
        ref = {n: np.load(out / "test_data" / "outputs" / (n + ".npy"))
               for n in names_out}
    args = [out / "model.onnx", "--output-dir", tmp_path / "ort"]
    for name, path in inputs.items():
        args += ["--input", "%s=%s" % (name, path)]
    _node_ok("ort_run.js", *args)
    for name in names_out:
        got = np.load(tmp_path / "ort" / (name + ".npy"))
        assert got.shape == ref[name].shape, name
        assert _rel(got, ref[name]) < REL_BOUND, name


def _generate(prefill, decode, prompt_file, out, *extra):
    r = _node_ok("ort_generate.js", "--prefill", prefill / "model.onnx",
                 "--decode", decode / "model.onnx", "--prompt", prompt_file,
                 "--steps", STEPS, "-o", out / "tokens.npy", "--logits",
                 out / "logits.npy", *extra)
    return (json.loads(r.stdout), np.load(out / "tokens.npy"),
            np.load(out / "logits.npy"))


def _torch_step_logits(model, prompt, tokens):
    """The logits each generated token was chosen from, by full recompute."""
    seq = np.concatenate([prompt, tokens[:, :-1]], axis=1)
    ids = torch.from_numpy(seq)
    n = ids.shape[1]
    with torch.no_grad():
        logits = model(ids, torch.ones(1, n, dtype=torch.int64),
                       torch.arange(n)[None])[0].numpy()
    return logits[:, prompt.shape[1] - 1:]


def _check_generation(model, graphs, tmp_path):
    """graphs: {'growing': (prefill, decode), 'sliding': (prefill, decode)}"""
    prompt = np.array([PROMPT], dtype=np.int64)
    np.save(tmp_path / "prompt.npy", prompt)
    expected = reference.greedy_generate(model, prompt, STEPS)
    step_logits = _torch_step_logits(model, prompt, expected)
    for mode, (prefill, decode) in graphs.items():
        out = tmp_path / mode
        out.mkdir()
        summary, tokens, logits = _generate(prefill, decode,
                                            tmp_path / "prompt.npy", out,
                                            "--cache", mode)
        assert summary["mode"] == mode
        np.testing.assert_array_equal(tokens, expected, err_msg=mode)
        assert _rel(logits, step_logits) < REL_BOUND, mode
    return expected


@pytest.mark.parametrize("family", zoo.FAMILIES)
def test_generation_growing_equals_sliding_equals_torch(family, exported,
                                                        models, tmp_path):
    _check_generation(models[family], {
        "growing": (exported(family, "prefill", 17, True),
                    exported(family, "decode", 17, True)),
        # Fixed shapes as model.sim runs them: prompt left-padded to 8,
        # cache of 16 slots.
        "sliding": (exported(family, "prefill", 14, False),
                    exported(family, "decode", 14, False)),
    }, tmp_path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    if not os.path.exists(TRAINED):
        pytest.skip("trained fixture %s is missing" % TRAINED)
    model = zoo.load_weights(zoo.build("llama"), TRAINED)
    root = tmp_path_factory.mktemp("trained")
    graphs = {}
    for phase, opset, dynamic, seq in (("prefill", 17, False, 32),
                                       ("prefill", 17, True, 32),
                                       ("decode", 17, True, 1),
                                       ("decode", 14, False, 1)):
        out = root / ("%s-%d-%s" % (phase, opset, dynamic))
        llm_export.export("llama", phase, opset, dynamic, seq, 40, str(out),
                          weights=TRAINED)
        graphs[(phase, dynamic)] = out
    return model, graphs


def test_trained_generation(trained, tmp_path):
    model, graphs = trained
    tokens = _check_generation(model, {
        "growing": (graphs[("prefill", True)], graphs[("decode", True)]),
        "sliding": (graphs[("prefill", False)], graphs[("decode", False)]),
    }, tmp_path)
    # Real statistics: the trained model does not repeat one byte.
    assert len(set(tokens[0].tolist())) > 2


@pytest.mark.parametrize("window,stride", [(32, 16), (32, 32), (32, 7)])
def test_trained_perplexity(trained, window, stride):
    model, graphs = trained
    tokens = np.load(EVAL_TOKENS)[:1024]
    path = graphs[("prefill", False)].parent / "tokens.npy"
    np.save(path, tokens)
    r = _node_ok("ort_perplexity.js", graphs[("prefill", False)] /
                 "model.onnx", "--tokens", path, "--window", window,
                 "--stride", stride)
    got = json.loads(r.stdout)
    ref = reference.perplexity(reference.torch_logits_fn(model), tokens,
                               window, stride)
    assert got["tokens_scored"] == ref["tokens_scored"]
    assert got["windows"] == ref["windows"]
    assert abs(got["nll"] - ref["nll"]) < 1e-5 * ref["nll"]
    # A trained byte-level model is far better than uniform (ln 256 = 5.55).
    assert ref["nll"] < 3.0


def test_perplexity_windows_cover_every_target_once():
    for n, t, s in ((100, 32, 16), (100, 32, 7), (33, 32, 31), (5, 32, 16)):
        scored = []
        for begin, end, first in reference.perplexity_windows(n, t, s):
            assert end - begin <= t and first > begin
            scored += range(first, end)
        assert scored == list(range(1, n))
    # stride == window: each window's first token is not scored (HF).
    scored = [j for b, e, f in reference.perplexity_windows(100, 32, 32)
              for j in range(f, e)]
    assert len(scored) == 100 - 4


def test_dynamic_perplexity_matches_static(trained):
    _, graphs = trained
    path = graphs[("prefill", True)].parent / "tokens.npy"
    np.save(path, np.load(EVAL_TOKENS)[:300])
    results = [json.loads(_node_ok("ort_perplexity.js", graphs[
        ("prefill", d)] / "model.onnx", "--tokens", path, "--window", 32,
        "--stride", 16).stdout) for d in (False, True)]
    assert results[0]["tokens_scored"] == results[1]["tokens_scored"] == 299
    assert abs(results[0]["nll"] - results[1]["nll"]) < 1e-6


def test_errors(trained, tmp_path):
    _, graphs = trained
    long_prompt = tmp_path / "long.npy"
    np.save(long_prompt, np.zeros((1, 40), dtype=np.int64))
    r = _node("ort_generate.js", "--prefill",
              graphs[("prefill", False)] / "model.onnx", "--decode",
              graphs[("decode", False)] / "model.onnx", "--prompt",
              long_prompt, "--steps", 2, "-o", tmp_path / "x.npy")
    assert r.returncode == 1
    assert "longer than the prefill model's sequence length 32" in r.stderr
    bad = tmp_path / "bad.npy"
    np.save(bad, np.array([1, 2, 300, 4], dtype=np.int64))
    r = _node("ort_perplexity.js", graphs[("prefill", False)] / "model.onnx",
              "--tokens", bad)
    assert r.returncode == 1
    assert "token 300 at 2 is outside the vocabulary (256)" in r.stderr
    r = _node("ort_generate.js", "--prefill",
              graphs[("prefill", False)] / "model.onnx", "--decode",
              graphs[("decode", False)] / "model.onnx", "--prompt", bad,
              "--steps", 2, "-o", tmp_path / "x.npy")
    assert r.returncode == 1
    assert "token 300 at 2 is outside the vocabulary (256)" in r.stderr
    r = _node("ort_generate.js", "--prefill",
              graphs[("prefill", True)] / "model.onnx", "--decode",
              graphs[("decode", True)] / "model.onnx", "--prompt",
              long_prompt, "--steps", 2, "-o", tmp_path / "x.npy", "--cache",
              "sliding")
    assert r.returncode == 1
    assert "needs a decode model with a fixed past length" in r.stderr
    # A decode graph whose past/present names do not pair.
    import onnx
    m = onnx.load(str(graphs[("decode", False)] / "model.onnx"))
    for value in m.graph.input:
        if value.name == "past_key_values.1.value":
            value.name = "past_1_value"
    for node in m.graph.node:
        node.input[:] = ["past_1_value" if x == "past_key_values.1.value"
                         else x for x in node.input]
    onnx.save(m, str(tmp_path / "unpaired.onnx"))
    np.save(tmp_path / "prompt.npy", np.array(PROMPT, dtype=np.int64))
    r = _node("ort_generate.js", "--prefill",
              graphs[("prefill", False)] / "model.onnx", "--decode",
              tmp_path / "unpaired.onnx", "--prompt", tmp_path / "prompt.npy",
              "--steps", 2, "-o", tmp_path / "x.npy")
    assert r.returncode == 1
    assert ("decode model output 'present.1.value' has no input "
            "'past_key_values.1.value'") in r.stderr


def test_fp16_external_data(tmp_path):
    import onnx
    out = tmp_path / "f16"
    llm_export.export("phi", "decode", 17, True, 1, 8, str(out), fp16=True,
                      external_data=True)
    assert (out / "model.onnx.data").exists()
    m = onnx.load(str(out / "model.onnx"), load_external_data=False)
    kinds = {t.data_type for t in m.graph.initializer}
    assert onnx.TensorProto.FLOAT not in kinds
    assert onnx.TensorProto.FLOAT16 in kinds
    types = {i.name: i.type.tensor_type.elem_type for i in m.graph.input}
    assert types["input_ids"] == onnx.TensorProto.INT64
    assert types["past_key_values.0.key"] == onnx.TensorProto.FLOAT16
    meta = json.load(open(out / "export.json"))
    args = [out / "model.onnx", "--output-dir", tmp_path / "ort"]
    for name in meta["inputs"]:
        args += ["--input", "%s=%s" % (name, out / "test_data" / "inputs" /
                                       (name + ".npy"))]
    _node_ok("ort_run.js", *args)
    for name in meta["outputs"]:
        got = np.load(tmp_path / "ort" / (name + ".npy"))
        assert got.dtype == np.float16
        ref = np.load(out / "test_data" / "outputs" / (name + ".npy"))
        assert _rel(got, ref) < 2e-2, name


def test_trained_perplexity_fake_quantized(trained, tmp_path):
    """ort_perplexity.js on bitmod-quant's fake-quantized model (the
    reference side of model.sim --perplexity at a quantized dtype)."""
    tools = os.environ.get("BITMOD_TOOLS_DIR",
                           os.path.join(ROOT, "build", "bin"))
    quant = os.path.join(tools, "bitmod-quant")
    if not os.path.exists(quant):
        pytest.skip("%s not built" % quant)
    _, graphs = trained
    model = graphs[("prefill", False)] / "model.onnx"
    tokens = tmp_path / "tokens.npy"
    np.save(tokens, np.load(EVAL_TOKENS)[:512])
    ppl = {}
    for dtype in ("none", "int8", "bitmod3"):
        path = model
        if dtype != "none":
            path = tmp_path / ("%s.onnx" % dtype)
            r = subprocess.run([quant, "--dtype=" + dtype, "--group-size=128",
                                "--scale-bits=8", "--num-threads=1",
                                str(model), "-o", str(path)],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        ppl[dtype] = json.loads(_node_ok(
            "ort_perplexity.js", path, "--tokens", tokens, "--window", 32,
            "--stride", 16).stdout)["ppl"]
    assert abs(ppl["int8"] / ppl["none"] - 1) < 5e-3
    assert ppl["bitmod3"] != ppl["none"]
    assert abs(ppl["bitmod3"] / ppl["none"] - 1) < 0.1
