"""K-split numerics: the simulated Y of the wide GEMM (W = 0.5 everywhere,
int8) against float64 X_f16 W^T, and every K chunk's partial accumulated.

usage: check_ksplit.py make X.npy [M K] | check Y.npy X.npy [N]
(default 4 x 65536 tokens x K, 64 channels)
"""
import sys

import numpy as np

if sys.argv[1] == "make":
    rng = np.random.default_rng(7)
    shape = tuple(int(v) for v in sys.argv[3:5]) or (4, 65536)
    np.save(sys.argv[2], rng.standard_normal(shape).astype(np.float32))
    sys.exit(0)
y = np.load(sys.argv[2]).astype(np.float64)
x = np.load(sys.argv[3]).astype(np.float16).astype(np.float64)
n = int(sys.argv[4]) if len(sys.argv) > 4 else 64
ref = np.repeat((0.5 * x.sum(axis=1))[:, None], n, axis=1)
err = np.abs(y - ref).max()
scale = np.abs(x).sum(axis=1).max() * 0.5
print("shape %s max_abs_err %.3g rel %.3g" % (y.shape, err, err / scale))
if y.shape != (x.shape[0], n) or not np.all(np.isfinite(y)) or err > 1e-5 * scale:
    sys.exit("K-split output differs from the reference")
# All channels see the same weights, so they must agree bit for bit.
if not np.all(y == y[:, :1]):
    sys.exit("channels of identical weights differ")
print("ksplit ok")
