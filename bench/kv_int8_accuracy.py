"""INT8 per-group K/V (docs/attention.md) on the trained tiny Llama:
perplexity and greedy generation with K and V fake-quantized exactly as
bitmod.kv_matmul quantizes them, against float K/V, in PyTorch.

K is quantized per context position along head_dim, V per head-dimension
channel along the context (G = min(128, head_dim) and min(128,
align8(T))), INT8 with 8-bit group scales against a float32 row scale:
python/bitmod/quant_ref.py's quantize_ref(..., "int8"), the numpy
reference of the weight path. The quantization is applied to the K/V the
attention reads (the Concat of past and new entries), every call.

    python3 bench/kv_int8_accuracy.py [--tokens N] [--steps 32]
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from bitmod import quant_ref  # noqa: E402
from bitmod.llm import reference, zoo  # noqa: E402

FIXTURE = os.path.join(ROOT, "test", "Inputs", "llm")


def fake_quant_rows(m, group):
    """INT8 fake quantization of the rows of m [..., R] along R."""
    shape = m.shape
    rows = m.reshape(-1, shape[-1]).numpy().astype(np.float32)
    deq, _, _ = quant_ref.quantize_ref(rows, "int8", group_size=group)
    return torch.from_numpy(deq.reshape(shape))


def kv_fake_quant(key, value):
    d, t = key.shape[-1], key.shape[-2]
    k = fake_quant_rows(key, min(128, d))
    g = min(128, -(-t // 8) * 8)
    v = fake_quant_rows(value.transpose(-1, -2), g).transpose(-1, -2)
    return k, v


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--tokens", type=int, default=1024)
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--stride", type=int, default=64)
    p.add_argument("--steps", type=int, default=32)
    a = p.parse_args(argv)
    model = zoo.load_weights(zoo.build("llama"),
                             os.path.join(FIXTURE, "tiny-llama-trained.npz"))
    tokens = np.load(os.path.join(FIXTURE, "eval-tokens.npy"))[:a.tokens]
    # bench/llm_matrix.py's prompt, "Hello, w".
    prompt = np.array([[72, 101, 108, 108, 111, 44, 32, 119]], np.int64)
    plain = zoo.eager_attention

    def quantized(query, key, value, mask, scaling, n_rep):
        key, value = kv_fake_quant(key, value)
        return plain(query, key, value, mask, scaling, n_rep)

    out = {}
    for name, fn in (("fp32", plain), ("int8", quantized)):
        zoo.eager_attention = fn
        ppl = reference.perplexity(reference.torch_logits_fn(model), tokens,
                                   a.window, a.stride)
        gen = reference.greedy_generate(model, prompt, a.steps)
        out[name] = {"ppl": ppl["ppl"], "tokens_scored": ppl["tokens_scored"],
                     "generated": gen[0].tolist()}
    zoo.eager_attention = plain
    out["ppl_change"] = out["int8"]["ppl"] / out["fp32"]["ppl"] - 1
    out["generation_equal"] = (out["int8"]["generated"] ==
                               out["fp32"]["generated"])
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
