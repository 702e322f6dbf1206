"""K-split numerics: the simulated Y of the wide GEMM (W = 0.5 everywhere,
int8) against float64 X_f16 W^T, and every K chunk's partial accumulated.

usage: check_ksplit.py make X.npy | check Y.npy X.npy
"""
import sys

import numpy as np

if sys.argv[1] == "make":
    rng = np.random.default_rng(7)
    np.save(sys.argv[2], rng.standard_normal((4, 65536)).astype(np.float32))
    sys.exit(0)
y = np.load(sys.argv[2]).astype(np.float64)
x = np.load(sys.argv[3]).astype(np.float16).astype(np.float64)
ref = np.repeat((0.5 * x.sum(axis=1))[:, None], 64, axis=1)
err = np.abs(y - ref).max()
scale = np.abs(x).sum(axis=1).max() * 0.5
print("shape %s max_abs_err %.3g rel %.3g" % (y.shape, err, err / scale))
if y.shape != (4, 64) or not np.all(np.isfinite(y)) or err > 1e-5 * scale:
    sys.exit("K-split output differs from the reference")
# All channels see the same weights, so they must agree bit for bit.
if not np.all(y == y[:, :1]):
    sys.exit("channels of identical weights differ")
print("ksplit ok")
