#!/usr/bin/env python3
"""Perplexity of the trained tiny Llama through model.sim for weight data
types x quantization methods (rtn, awq, gptq); docs/numerics.md.

Calibration: the float model (bitmod.llm.zoo in PyTorch, the fixture's
weights) runs on --calib-samples windows of --calib-seq tokens drawn
(seeded) from the training corpus (the Debian license texts of
bitmod.llm.train, not the held-out Apache-2.0 evaluation text); a forward
pre-hook on every nn.Linear accumulates the inputs' sum |x| and X^T X in
float64 into a bitmod-calib-stats directory, keyed by the compiled model's
layer names (the `name` of each bitmod.linear in OUT/model.mlir, matched to
the PyTorch module by its weight). Then, per cell:

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
            short = tname.replace("model.", "").replace("self_attn.", "") \
                .replace("mlp.", "")
            hits = [n for n, _, _ in names if n == short or
                    n.endswith("." + short) or n == tname]
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


def sim_perplexity(work, model, dtype, method, stats, tokens, window,
                   stride):
    out = os.path.join(work, "out-%s-%s" % (dtype, method))
    if not os.path.exists(os.path.join(out, "model.sim")):
        args = [lp.COMPILE, model, "-o", out, "--quiet", "--dtype=" + dtype,
                "--method=" + method]
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
