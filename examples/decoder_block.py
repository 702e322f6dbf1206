"""The README example: a small Llama-style decoder block as ONNX, plus its
input. Usage: python3 examples/decoder_block.py OUT_DIR [--hidden 256]
[--heads 4] [--intermediate 512] [--seq 16] [--seed 0]

Writes OUT_DIR/decoder.onnx (one decoder layer: RMSNorm, q/k/v/o
projections, RoPE, causal softmax attention, SwiGLU MLP; seven linear
layers) and OUT_DIR/x.npy (N(0, 1) activations, float32 [1, seq, hidden]).
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "python"))
from bitmod import onnx_models  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out_dir")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=512)
    p.add_argument("--seq", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    model = onnx_models.llama_decoder_layer(
        hidden=a.hidden, heads=a.heads, intermediate=a.intermediate,
        seq=a.seq, seed=a.seed)
    onnx_models.save(model, os.path.join(a.out_dir, "decoder.onnx"))
    x = np.random.default_rng(a.seed + 1).standard_normal(
        (1, a.seq, a.hidden)).astype(np.float32)
    np.save(os.path.join(a.out_dir, "x.npy"), x)


if __name__ == "__main__":
    main()
