#!/usr/bin/python3
"""Writes the bundled example: a small MLP block (up projection, ReLU, down
projection) whose linear layers carry constant weights, as the ONNX importer
produces them. K = 256 gives two quantization groups of 128 per channel.
Weights are seeded N(0, 0.05^2), so the file is the same on every run."""

import sys

import numpy as np


def dense(a):
    rows = (", ".join(f"{v:.5f}" for v in row) for row in a)
    return "dense<[" + ", ".join(f"[{r}]" for r in rows) + "]>"


def main():
    tokens, k, hidden = 8, 256, 128
    rng = np.random.default_rng(0)
    w_up = rng.standard_normal((hidden, k)) * 0.05
    w_down = rng.standard_normal((k, hidden)) * 0.05
    x_t = f"tensor<1x{tokens}x{k}xf32>"
    h_t = f"tensor<1x{tokens}x{hidden}xf32>"
    sys.stdout.write(f"""func.func @mlp_block(%x: {x_t}) -> {x_t} {{
  %w_up = arith.constant {dense(w_up)} : tensor<{hidden}x{k}xf32>
  %w_down = arith.constant {dense(w_down)} : tensor<{k}x{hidden}xf32>
  %h = bitmod.linear %x, %w_up {{name = "mlp.up"}} : {x_t}, tensor<{hidden}x{k}xf32> -> {h_t}
  %zero = arith.constant dense<0.0> : {h_t}
  %r = arith.maximumf %h, %zero : {h_t}
  %y = bitmod.linear %r, %w_down {{name = "mlp.down"}} : {h_t}, tensor<{k}x{hidden}xf32> -> {x_t}
  return %y : {x_t}
}}
""")


if __name__ == "__main__":
    main()
