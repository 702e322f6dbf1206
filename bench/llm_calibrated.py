#!/usr/bin/env python3
"""Perplexity of the trained tiny Llama through model.sim for weight data
types x quantization methods (rtn, awq, gptq); docs/numerics.md.

Calibration: the float model (bitmod.llm.zoo in PyTorch, the fixture's
weights) runs on --calib-samples windows of --calib-seq tokens drawn
(seeded) from the training corpus (the Debian license texts of
bitmod.llm.train, not the held-out Apache-2.0 evaluation text); a forward
pre-hook on every nn.Linear accumulates the inputs' sum |x| and X^T X in
float64 into a bitmod-calib-stats directory, keyed by the compiled model's
layer names (the `name` of each bitmod.linear in OUT/model.mlir, the ONNX
MatMul node '/layers.0/self_attn/q_proj/MatMul', matched to the PyTorch
module 'model.layers.0.self_attn.q_proj' by name). Then, per cell:

    bitmod-compile model.onnx -o OUT --dtype=D --method=M --calib-stats DIR
    OUT/model.sim --perplexity eval-tokens.npy --window W --stride S

    PYTHONPATH=python nice /usr/bin/python3 bench/llm_calibrated.py
        [--dtypes bitmod3,int3_asym,bitmod4,int4_asym] [--methods rtn,awq,gptq]
        [--tokens N] [--calib-samples 64] [--calib-seq 128]
"""

import argparse
import datetime
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import llm_perplexity as lp  # noqa: E402


def calibration_tokens(samples, seq, seed=0):
    from bitmod.llm import train
    stream = np.frombuffer(
        b"\n".join(train.read_bytes(n)[0] for n in train.TRAIN_FILES),
        dtype=np.uint8).astype(np.int64)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(stream) - seq, size=samples)
    return np.stack([stream[s:s + seq] for s in starts])


def layer_names(work, model):
    """The bitmod.linear names of the compiled model with their [N, K]."""
    out = os.path.join(work, "names")
    if not os.path.exists(os.path.join(out, "model.mlir")):
        lp.run([lp.COMPILE, model, "-o", out, "--quiet", "--emit=mlir",
                "--dtype=int8"])
    text = open(os.path.join(out, "model.mlir")).read()
    return re.findall(r'bitmod\.weights .*\{name = "([^"]+)"\} : '
                      r'!bitmod\.qweights<(\d+)x(\d+)', text)


def _key(name):
    """'/layers.0/self_attn/q_proj/MatMul' (ONNX node, the compiled layer
    name) and 'model.layers.0.self_attn.q_proj' (PyTorch) -> one key."""
    name = name.replace("/MatMul", "")
    if name.startswith("model."):
        name = name[len("model."):]
    return re.sub(r"[./]", "", name)


def collect_stats(work, model, samples, seq):
    import torch
    from bitmod.calib_ref import write_stats
    from bitmod.llm import zoo

    torch.set_num_threads(1)
    d = os.path.join(work, "calib-%dx%d" % (samples, seq))
    if os.path.exists(os.path.join(d, "stats.json")):
        return d
    m = zoo.load_weights(zoo.build("llama"), lp.WEIGHTS)
    names = layer_names(work, model)
    acc = {}

    def hook(name):
        def fn(module, args):
            x = args[0].detach().reshape(-1, args[0].shape[-1]).double()
            c, s, g = acc.get(name, (0, 0.0, 0.0))
            acc[name] = (c + x.shape[0], s + x.abs().sum(0), g + x.T @ x)
        return fn

    # Match each PyTorch Linear to a compiled layer by name suffix.
    handles = []
    for tname, mod in m.named_modules():
        if isinstance(mod, torch.nn.Linear):
            hits = [n for n, _, _ in names if _key(n) == _key(tname)]
            if len(hits) == 1:
                handles.append(mod.register_forward_pre_hook(hook(hits[0])))
    ids = calibration_tokens(samples, seq)
    pos = np.broadcast_to(np.arange(seq), ids.shape).copy()
    with torch.no_grad():
        for i in range(0, samples, 8):
            b = torch.from_numpy(ids[i:i + 8])
            m(b, torch.ones_like(b), torch.from_numpy(pos[i:i + 8]))
    for h in handles:
        h.remove()
    got = {n for n in acc}
    want = {n for n, _, _ in names}
    if got != want:
        raise RuntimeError("no calibration statistics for %s" %
                           sorted(want - got))
    write_stats(d, {n: (c, s.numpy(), g.numpy())
                    for n, (c, s, g) in acc.items()})
    return d


def layer_weights(names):
    """name -> W [N, K] float32 of the compiled layers (PyTorch weights)."""
    import torch
    from bitmod.llm import zoo
    m = zoo.load_weights(zoo.build("llama"), lp.WEIGHTS)
    out = {}
    for tname, mod in m.named_modules():
        if isinstance(mod, torch.nn.Linear):
            for n, _, _ in names:
                if _key(n) == _key(tname):
                    out[n] = mod.weight.detach().numpy().astype(np.float32)
    return out


def nominal_bits(dtype, group=128, scale_bits=8):
    code = {"bitmod3": 3, "bitmod4": 4, "int3_asym": 3, "int4_asym": 4}[dtype]
    extra = scale_bits + (2 if dtype.startswith("bitmod") else 0) + \
        (8 if dtype.endswith("_asym") else 0)
    return code + extra / group


def dtype_auto(work, model, stats, budget, candidates, method):
    """Per-layer data types under an average nominal bits/weight budget:
    each layer's sensitivity is its output error on the calibration
    statistics (bitmod-quant --method on the layer's weight) per candidate;
    starting from the cheapest candidate everywhere, the upgrade with the
    largest error reduction per added bit is taken while the budget allows
    (greedy on the Pareto front of each layer). Writes and returns a
    --dtype-config JSON."""
    import json
    names = layer_names(work, model)
    weights = layer_weights(names)
    cands = sorted(candidates, key=nominal_bits)
    err = {}
    for n, _, _ in names:
        wp = os.path.join(work, "auto-w.npy")
        np.save(wp, weights[n])
        for c in cands:
            rep = os.path.join(work, "auto-r.json")
            lp.run([lp.QUANT, wp, "-o", os.path.join(work, "auto-q.npy"),
                    "--dtype=" + c, "--method=" + method, "--calib-stats",
                    stats, "--calib-layer", n, "--report", rep])
            err[n, c] = json.load(open(rep))["output_error"]
    size = {n: int(N) * int(K) for n, N, K in names}
    total = sum(size.values())
    choice = {n: cands[0] for n in size}
    used = sum(size[n] * nominal_bits(cands[0]) for n in size)
    while True:
        best = None
        for n in size:
            i = cands.index(choice[n])
            for c in cands[i + 1:]:
                dbits = size[n] * (nominal_bits(c) - nominal_bits(choice[n]))
                gain = err[n, choice[n]] - err[n, c]
                if used + dbits <= budget * total and gain > 0:
                    r = gain / dbits
                    if best is None or r > best[0]:
                        best = (r, n, c, dbits)
        if best is None:
            break
        _, n, c, dbits = best
        choice[n], used = c, used + dbits
    cfg = {"default": cands[0],
           "layers": [{"match": n, "dtype": c} for n, c in sorted(
               choice.items()) if c != cands[0]]}
    path = os.path.join(work, "dtype-auto-%g-%s.json" % (budget, method))
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path, used / total, choice


def sim_perplexity(work, model, dtype, method, stats, tokens, window,
                   stride, config=None):
    tag = os.path.basename(config)[:-5] if config else dtype
    out = os.path.join(work, "out-%s-%s" % (tag, method))
    if not os.path.exists(os.path.join(out, "model.sim")):
        args = [lp.COMPILE, model, "-o", out, "--quiet", "--method=" + method]
        args += ["--dtype-config=" + config] if config else ["--dtype=" + dtype]
        if method != "rtn":
            args += ["--calib-stats", stats]
        lp.run(args)
    r = lp.run([os.path.join(out, "model.sim"), "--perplexity", tokens,
                "--window", window, "--stride", stride])
    m = re.search(r"perplexity: ([0-9.]+)", r.stdout + r.stderr)
    return float(m.group(1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--work", default=os.path.join(ROOT, "build",
                                                        "llm-calibrated"))
    p.add_argument("--dtypes", default="bitmod3,int3_asym,bitmod4,int4_asym")
    p.add_argument("--methods", default="rtn,awq,gptq")
    p.add_argument("--tokens", type=int, default=0)
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--stride", type=int, default=64)
    p.add_argument("--calib-samples", type=int, default=64)
    p.add_argument("--calib-seq", type=int, default=128)
    p.add_argument("--dtype-auto", type=float, default=0,
                   help="also choose per-layer types (bitmod3/bitmod4) at "
                   "this average nominal bits/weight")
    a = p.parse_args(argv)
    os.makedirs(a.work, exist_ok=True)
    tokens = lp.TOKENS
    if a.tokens:
        tokens = os.path.join(a.work, "tokens-%d.npy" % a.tokens)
        np.save(tokens, np.load(lp.TOKENS)[:a.tokens])
    model = lp.export_trained(a.work, a.window)
    stats = collect_stats(a.work, model, a.calib_samples, a.calib_seq)
    methods = a.methods.split(",")
    print("perplexity of %s on %s, window %d, stride %d, calibration %d x %d "
          "tokens of the training corpus (%s)" % (
              os.path.relpath(lp.WEIGHTS, ROOT), os.path.relpath(tokens, ROOT),
              a.window, a.stride, a.calib_samples, a.calib_seq,
              datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")))
    fp = sim_perplexity(a.work, model, "none", "rtn", stats, tokens,
                        a.window, a.stride)
    print("fp32: %.4f" % fp)
    print("| dtype | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for dtype in a.dtypes.split(","):
        cells = [sim_perplexity(a.work, model, dtype, m, stats, tokens,
                                a.window, a.stride) for m in methods]
        print("| %s | %s |" % (dtype, " | ".join("%.4f" % c for c in cells)),
              flush=True)
    if a.dtype_auto:
        for m in methods:
            cfg, bits, choice = dtype_auto(a.work, model, stats, a.dtype_auto,
                                           ["bitmod3", "bitmod4"], m)
            ppl = sim_perplexity(a.work, model, None, m, stats, tokens,
                                 a.window, a.stride, config=cfg)
            p3 = sim_perplexity(a.work, model, "bitmod3", m, stats, tokens,
                                a.window, a.stride)
            p4 = sim_perplexity(a.work, model, "bitmod4", m, stats, tokens,
                                a.window, a.stride)
            b3, b4 = nominal_bits("bitmod3"), nominal_bits("bitmod4")
            interp = p3 + (p4 - p3) * (bits - b3) / (b4 - b3)
            print("dtype-auto %s at %.3f bits/weight (budget %g): perplexity "
                  "%.4f; bitmod3/bitmod4 interpolated at that budget %.4f; "
                  "bitmod4 layers: %s (%s)" % (
                      m, bits, a.dtype_auto, ppl, interp,
                      sorted(n for n, c in choice.items() if c == "bitmod4"),
                      os.path.relpath(cfg, ROOT)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
