"""model.sim --generate / --perplexity against ONNX Runtime (docs/llm.md).

The tiny LM of python/bitmod/onnx_models.tiny_lm (2 layers, hidden 128,
vocabulary 256) is compiled as a two-phase model (decode graph + prefill
graph, --prefill-model) at int8 and bitmod4, and as a float build
(--dtype=none). References run ONNX Runtime (scripts/ort_run.js) on the
`bitmod-quant` fake-quantized graphs (the float graphs for --dtype=none):

* generation: greedy decoding by recomputation, without any KV cache: a
  prefill graph with the same weights and C + 1 positions runs the whole
  sequence (right-padded) at every step and the argmax of its last valid
  row is the next token. model.sim uses the static sliding KV cache
  between its prefill and decode entries, so identical token ids check the
  cache plumbing (pairing, right alignment, masks, positions) as well as
  the datapath.
* perplexity: the Hugging Face sliding-window definition computed in numpy
  (float64 log-softmax) on ORT's logits of the P-token prefill graph, the
  windows right-padded like model.sim's. Agreement bound: 0.1 % relative.
* when scripts/ort_generate.js and scripts/ort_perplexity.js (the ONNX
  Runtime references of docs/llm.md; another directory with
  BITMOD_ORT_SCRIPTS) exist: the same comparisons against them (their
  generation left-pads the prompt and runs the static sliding cache
  through the decode graph).

Skips when the tools or onnxruntime-node are missing.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from bitmod import onnx_models  # noqa: E402

TOOLS = os.environ.get("BITMOD_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
COMPILE = os.path.join(TOOLS, "bitmod-compile")
QUANT = os.path.join(TOOLS, "bitmod-quant")
ORT_RUN = os.path.join(ROOT, "scripts", "ort_run.js")
ORT_SCRIPTS = os.environ.get("BITMOD_ORT_SCRIPTS",
                             os.path.join(ROOT, "scripts"))
ORT_GENERATE = os.path.join(ORT_SCRIPTS, "ort_generate.js")
ORT_PERPLEXITY = os.path.join(ORT_SCRIPTS, "ort_perplexity.js")

PREFILL, CONTEXT = 16, 48
PROMPT = [5, 17, 42, 99, 3, 200, 7, 1]
NEW_TOKENS = 24
PPL_TOKENS, PPL_STRIDE = 72, 8
PPL_BOUND = 1e-3


@pytest.fixture(autouse=True)
def _require_tools():
    for t in (COMPILE, QUANT):
        if not os.path.exists(t):
            pytest.skip(f"{t} not built")


def _run(args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, "%s\n%s" % (" ".join(map(str, args)), r.stderr)
    return r


def _ort(model, inputs, out_dir):
    """ORT on `inputs` {name: array}; returns the logits."""
    os.makedirs(out_dir, exist_ok=True)
    args = ["node", ORT_RUN, model, "--output-dir", out_dir]
    for name, array in inputs.items():
        path = os.path.join(out_dir, "in_%s.npy" % name)
        np.save(path, array)
        args += ["--input", "%s=%s" % (name, path)]
    try:
        r = subprocess.run(args, capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    if r.returncode == 2:
        pytest.skip("onnxruntime-node is not installed")
    assert r.returncode == 0, r.stderr
    return np.load(os.path.join(out_dir, "logits.npy"))


def _prefill_inputs(tokens, length):
    n = len(tokens)
    ids = np.zeros((1, length), np.int64)
    ids[0, :n] = tokens
    mask = np.zeros((1, length), np.int64)
    mask[0, :n] = 1
    return {"input_ids": ids, "attention_mask": mask,
            "position_ids": np.arange(length, dtype=np.int64)[None]}


def _save(tmp, name, model, dtype):
    """Saves `model`; for a quantized dtype returns its fake-quantized copy."""
    path = os.path.join(tmp, name + ".onnx")
    onnx_models.save(model, path)
    if dtype == "none":
        return path, path
    fq = os.path.join(tmp, "%s.%s.onnx" % (name, dtype))
    _run([QUANT, "--dtype=" + dtype, "--group-size=128", "--scale-bits=8",
          path, "-o", fq])
    return path, fq


@pytest.fixture(scope="module")
def lm_models(tmp_path_factory):
    """Per dtype: the compiled two-phase model and the ORT graphs."""
    built = {}

    def get(dtype):
        if dtype in built:
            return built[dtype]
        tmp = str(tmp_path_factory.mktemp("lm_" + dtype))
        pre, pre_fq = _save(tmp, "prefill", onnx_models.tiny_lm(
            "prefill", seq=PREFILL, context=CONTEXT), dtype)
        dec, dec_fq = _save(tmp, "decode", onnx_models.tiny_lm(
            "decode", seq=PREFILL, context=CONTEXT), dtype)
        _, long_fq = _save(tmp, "long", onnx_models.tiny_lm(
            "prefill", seq=CONTEXT + 1, context=CONTEXT), dtype)
        out = os.path.join(tmp, "out")
        _run([COMPILE, dec, "--prefill-model", pre, "-o", out, "--quiet",
              "--dtype=" + dtype])
        built[dtype] = dict(tmp=tmp, sim=os.path.join(out, "model.sim"),
                            prefill_fq=pre_fq, decode_fq=dec_fq,
                            long_fq=long_fq)
        return built[dtype]

    return get


def _ort_greedy(model, length, prompt, count, out_dir):
    tokens = list(prompt)
    for step in range(count):
        logits = _ort(model, _prefill_inputs(tokens, length),
                      os.path.join(out_dir, "step%d" % step))
        tokens.append(int(np.argmax(logits[0, len(tokens) - 1])))
    return tokens[len(prompt):]


def _hf_perplexity(logits_of, tokens, window, stride):
    """Hugging Face's sliding-window perplexity; logits_of(window tokens)
    returns [len, vocab] logits."""
    nll, scored, prev_end = 0.0, 0, 0
    for begin in range(0, len(tokens), stride):
        end = min(begin + window, len(tokens))
        logits = logits_of(tokens[begin:end]).astype(np.float64)
        for target in range(max(prev_end, begin + 1), end):
            row = logits[target - begin - 1]
            m = row.max()
            logp = row[tokens[target]] - m - np.log(np.exp(row - m).sum())
            nll -= logp
            scored += 1
        prev_end = end
        if end == len(tokens):
            break
    return float(np.exp(nll / scored)), scored


@pytest.mark.parametrize("dtype", ["int8", "bitmod4"])
def test_generate_matches_ort(lm_models, dtype):
    m = lm_models(dtype)
    prompt = os.path.join(m["tmp"], "prompt.npy")
    np.save(prompt, np.array([PROMPT], np.int64))
    res = os.path.join(m["tmp"], "gen")
    report = os.path.join(m["tmp"], "gen.json")
    out = _run([m["sim"], "--generate", NEW_TOKENS, "--input",
                "input_ids=" + prompt, "--output-dir", res, "--report",
                report]).stdout
    ids = np.load(os.path.join(res, "generated_ids.npy"))
    assert ids.dtype == np.int64 and ids.shape == (1, NEW_TOKENS)
    ref = _ort_greedy(m["long_fq"], CONTEXT + 1, PROMPT, NEW_TOKENS,
                      os.path.join(m["tmp"], "ort_gen"))
    assert ids[0].tolist() == ref, out
    if os.path.exists(ORT_GENERATE):
        scripted = os.path.join(m["tmp"], "ort_generate.npy")
        _run(["node", ORT_GENERATE, "--prefill", m["prefill_fq"], "--decode",
              m["decode_fq"], "--prompt", prompt, "--steps", NEW_TOKENS,
              "-o", scripted])
        assert np.load(scripted).tolist() == ids.tolist()
    with open(report) as f:
        gen = json.load(f)["generation"]
    phases = gen["phases"]
    assert [p["name"] for p in phases] == ["prefill"] + [
        "decode.%d" % i for i in range(1, NEW_TOKENS)]
    assert [p["context"] for p in phases[1:]] == list(
        range(len(PROMPT) + 1, len(PROMPT) + NEW_TOKENS))
    # 15 linear layers per phase (7 per layer x 2 + LM head).
    assert all(p["launches"] == 15 for p in phases)
    assert gen["total"]["cycles"] == sum(p["cycles"] for p in phases)
    assert abs(gen["total"]["energy_pj"]["total"] - sum(
        p["energy_pj"]["total"] for p in phases)) < 1e-6 * gen["total"][
            "energy_pj"]["total"]


@pytest.mark.parametrize("dtype", ["int8", "bitmod4", "none"])
def test_perplexity_matches_ort(lm_models, dtype):
    m = lm_models(dtype)
    rng = np.random.default_rng(7)
    # A stream with structure (repeated phrases) so that the perplexity is
    # not that of uniform noise.
    phrase = rng.integers(0, 256, 12)
    tokens = np.concatenate([phrase, rng.integers(0, 256, 12)] * 3)[
        :PPL_TOKENS].astype(np.int64)
    path = os.path.join(m["tmp"], "tokens.npy")
    np.save(path, tokens)
    report = os.path.join(m["tmp"], "ppl.json")
    out = _run([m["sim"], "--perplexity", path, "--stride", PPL_STRIDE,
                "--report", report]).stdout
    assert "perplexity: " in out
    with open(report) as f:
        ppl = json.load(f)["perplexity"]
    calls = [0]

    def ort_logits(window_tokens):
        calls[0] += 1
        logits = _ort(m["prefill_fq"], _prefill_inputs(window_tokens,
                                                       PREFILL),
                      os.path.join(m["tmp"], "ort_ppl%d" % calls[0]))
        return logits[0, :len(window_tokens)]

    ref, scored = _hf_perplexity(ort_logits, tokens.tolist(), PREFILL,
                                 PPL_STRIDE)
    assert ppl["tokens_scored"] == scored == PPL_TOKENS - 1
    assert ppl["windows"] == calls[0]
    assert abs(ppl["perplexity"] - ref) / ref < PPL_BOUND, (ppl, ref)
    if os.path.exists(ORT_PERPLEXITY):
        r = json.loads(_run(["node", ORT_PERPLEXITY, m["prefill_fq"],
                             "--tokens", path, "--window", PREFILL,
                             "--stride", PPL_STRIDE]).stdout)
        assert r["tokens_scored"] == scored and r["windows"] == calls[0]
        assert abs(r["ppl"] - ref) / ref < 1e-9, (r, ref)
