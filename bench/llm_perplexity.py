#!/usr/bin/env python3
"""Perplexity of the trained tiny Llama through model.sim next to ONNX
Runtime on the bitmod-quant fake-quantized model (docs/llm.md).

The fixture test/Inputs/llm/tiny-llama-trained.npz is exported as a static
prefill graph of sequence WINDOW (bitmod.llm.export, opset 17); per weight
dtype:

* model.sim: bitmod-compile --dtype=D (--dtype=none for fp32), then
  OUT/model.sim --perplexity eval-tokens.npy --window W --stride S;
* ONNX Runtime: bitmod-quant --dtype=D --group-size=128 --scale-bits=8 on
  the same export (the float graph for fp32), then
  scripts/ort_perplexity.js --window W --stride S.

Prints a markdown table with the relative difference of the two
perplexities (acceptance: below 0.1 %).

    PYTHONPATH=python nice /usr/bin/python3 bench/llm_perplexity.py
        [--dtypes none,int8,...] [--tokens N] [--window 128] [--stride 64]
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

TOOLS = os.environ.get("BITMOD_TOOLS_DIR", os.path.join(ROOT, "build", "bin"))
COMPILE = os.path.join(TOOLS, "bitmod-compile")
QUANT = os.path.join(TOOLS, "bitmod-quant")
ORT_PERPLEXITY = os.path.join(ROOT, "scripts", "ort_perplexity.js")
FIXTURE = os.path.join(ROOT, "test", "Inputs", "llm")
WEIGHTS = os.path.join(FIXTURE, "tiny-llama-trained.npz")
TOKENS = os.path.join(FIXTURE, "eval-tokens.npy")

DTYPES = ("none", "int8", "int6", "int4_asym", "bitmod4", "int3_asym",
          "bitmod3", "fp4", "fp3")
BOUND = 1e-3


def run(args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("%s\n%s" % (" ".join(map(str, args)), r.stderr))
    return r


def export_trained(work, window):
    from bitmod.llm import export
    d = os.path.join(work, "llama-trained-seq%d" % window)
    if not os.path.exists(os.path.join(d, "export.json")):
        export.export("llama", "prefill", 17, False, window, 0, d,
                      weights=WEIGHTS)
    return os.path.join(d, "model.onnx")


def sim_perplexity(work, model, dtype, tokens, window, stride, cxx_flags=()):
    out = os.path.join(work, "out-" + dtype)
    if not os.path.exists(os.path.join(out, "model.sim")):
        run([COMPILE, model, "-o", out, "--quiet", "--dtype=" + dtype] +
            list(cxx_flags))
    r = run([os.path.join(out, "model.sim"), "--perplexity", tokens,
             "--window", window, "--stride", stride])
    m = re.search(r"perplexity: ([0-9.]+) \(mean NLL ([0-9.]+)", r.stdout +
                  r.stderr)
    if not m:
        raise RuntimeError("no perplexity in model.sim's output:\n" +
                           r.stdout + r.stderr)
    return float(m.group(1))


def ort_perplexity(work, model, dtype, tokens, window, stride):
    graph = model
    if dtype != "none":
        graph = os.path.join(work, "model.%s.onnx" % dtype)
        run([QUANT, "--dtype=" + dtype, "--group-size=128", "--scale-bits=8",
             model, "-o", graph])
    r = run(["node", ORT_PERPLEXITY, graph, "--tokens", tokens, "--window",
             window, "--stride", stride])
    return json.loads(r.stdout.strip().splitlines()[-1])["ppl"]


def table(work, dtypes, tokens, window, stride, cxx_flags=()):
    """Returns [(dtype, sim, ort, rel)] and prints the table rows."""
    import torch
    torch.set_num_threads(1)
    os.makedirs(work, exist_ok=True)
    model = export_trained(work, window)
    rows = []
    for dtype in dtypes:
        sim = sim_perplexity(work, model, dtype, tokens, window, stride,
                             cxx_flags)
        ort = ort_perplexity(work, model, dtype, tokens, window, stride)
        rel = abs(sim - ort) / ort
        rows.append((dtype, sim, ort, rel))
        print("| %s | %.4f | %.4f | %.1e | %s |" % (
            "fp32 (none)" if dtype == "none" else dtype, sim, ort, rel,
            "pass" if rel < BOUND else "FAIL"), flush=True)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--work", default=os.path.join(ROOT, "build",
                                                        "llm-perplexity"))
    p.add_argument("--dtypes", default=",".join(DTYPES))
    p.add_argument("--tokens", type=int, default=0,
                   help="score only the first N tokens (default: all 4096)")
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--stride", type=int, default=64)
    p.add_argument("--cxx-flags", default=None)
    a = p.parse_args(argv)
    tokens = TOKENS
    if a.tokens:
        os.makedirs(a.work, exist_ok=True)
        tokens = os.path.join(a.work, "tokens-%d.npy" % a.tokens)
        np.save(tokens, np.load(TOKENS)[:a.tokens])
    print("perplexity of %s, %s, window %d, stride %d (%s)" % (
        os.path.relpath(WEIGHTS, ROOT), os.path.relpath(tokens, ROOT),
        a.window, a.stride,
        datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")))
    print("| weights | model.sim | ONNX Runtime (fake-quant) | rel. diff | "
          "< 0.1 % |")
    print("|---|---|---|---|---|")
    rows = table(a.work, a.dtypes.split(","), tokens, a.window, a.stride,
                 ["--cxx-flags=" + a.cxx_flags] if a.cxx_flags else [])
    return 0 if all(r[3] < BOUND for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
