"""unsigned.test: `gen DIR` writes inputs with the high bits set; `check
DIR` compares model.sim's outputs with numpy's unsigned semantics."""
import sys

import numpy as np

mode, d = sys.argv[1], sys.argv[2]
if mode == "gen":
    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, (2, 4)).astype(np.uint8)
    a[0, :2] = [255, 128]  # ordering across the signed boundary
    b = rng.integers(1, 256, (2, 4)).astype(np.uint8)
    b[0, :2] = [1, 3]
    c = np.array([0, 2**31 - 1, 2**31, 2**32 - 1], dtype=np.uint32)
    for name, v in (("a", a), ("b", b), ("c", c)):
        np.save("%s/%s.npy" % (d, name), v)
    sys.exit(0)

a, b, c = (np.load("%s/%s.npy" % (d, n)) for n in "abc")
want = {
    "max": np.maximum(a, b),
    "less": a < b,
    "quot": a // b,
    "float": a.astype(np.float32),
    "rowmax": a.max(axis=1),
    "clip": np.clip(a, 10, 200).astype(np.uint8),
    "wide": (a.astype(np.float32) * 2).astype(np.uint16),
    "c64": c.astype(np.int64),
}
for name, w in want.items():
    got = np.load("%s/res/%s.npy" % (d, name))
    assert got.dtype == w.dtype, (name, got.dtype, w.dtype)
    assert got.shape == w.shape and (got == w).all(), (name, got, w)
print("OK")
