"""resize.test: compares model.sim's Resize outputs with a numpy evaluation
written after ONNX's reference implementation (neighbours taken from the
edge-padded input, coefficients per mode, one axis at a time). Coordinates
use float32 arithmetic like ONNX Runtime; align_corners with `scales`
divides by in * scale - 1 like the reference (onnx/onnx#2462);
pytorch_half_pixel maps a length-1 output to 0 as the spec says."""
import math
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from make_model import RESIZE_CASES  # noqa: E402

F = np.float32


def coordinate(coord, o, scale, n_in, n_out, from_sizes):
    o, s = F(o), F(scale)
    if coord == "half_pixel":
        return (o + F(0.5)) / s - F(0.5)
    if coord == "pytorch_half_pixel":
        return (o + F(0.5)) / s - F(0.5) if n_out > 1 else F(0)
    if coord == "tf_half_pixel_for_nn":
        return (o + F(0.5)) / s
    if coord == "asymmetric":
        return o / s
    length = F(n_out) if from_sizes else F(n_in) * s
    return F(0) if length == 1 else o * F(n_in - 1) / (length - F(1))


def coefficients(mode, nearest, r, a):
    if mode == "nearest":
        up = {"round_prefer_floor": r > 0.5, "round_prefer_ceil": r >= 0.5,
              "floor": False, "ceil": r > 0}[nearest]
        return [0.0, 1.0] if up else [1.0, 0.0]
    if mode == "linear":
        return [1 - r, r]
    s = 1 - r
    return [((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
            ((a + 2) * r - (a + 3)) * r * r + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a]


def resize_1d(line, mode, coord, nearest, scale, n_out, from_sizes, a,
              exclude):
    n_in = len(line)
    pad = 2
    padded = np.pad(line, pad, mode="edge")
    out = []
    for o in range(n_out):
        x = float(coordinate(coord, o, scale, n_in, n_out, from_sizes))
        base = math.floor(x)
        r = x - base
        c = coefficients(mode, nearest, r, a)
        first = base if len(c) == 2 else base - 1
        idx = [first + k for k in range(len(c))]
        if exclude:
            c = [ck if 0 <= i < n_in else 0.0 for ck, i in zip(c, idx)]
            c = [ck / sum(c) for ck in c]
        out.append(sum(ck * padded[min(max(i, -pad), n_in - 1 + pad) + pad]
                       for ck, i in zip(c, idx)))
    return np.array(out)


def reference(x, mode, coord, nearest, extra, kind, vals):
    y = x.astype(np.float64)
    for axis in reversed(range(x.ndim)):
        n_in = x.shape[axis]
        if kind == "sizes":
            n_out, scale = vals[axis], F(vals[axis]) / F(n_in)
        else:
            scale = F(vals[axis])
            n_out = int(np.floor(F(n_in) * scale))
        y = np.apply_along_axis(
            resize_1d, axis, y, mode, coord, nearest, scale, n_out,
            kind == "sizes", extra.get("cubic_coeff_a", -0.75),
            extra.get("exclude_outside", 0))
    return y


d = sys.argv[1]
inputs = {n: np.load("%s/%s.npy" % (d, n)) for n in "xvk"}
for name, mode, coord, nearest, extra, kind, vals in RESIZE_CASES:
    src = name[0] if name[0] in "vk" else "x"
    want = reference(inputs[src], mode, coord, nearest, extra, kind, vals)
    got = np.load("%s/res/%s.npy" % (d, name))
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if src == "k":
        assert got.dtype == np.int32 and (got == want).all(), name
        continue
    err = np.max(np.abs(got - want)) / np.max(np.abs(want))
    assert err < 1e-6, (name, err)
print("OK")
