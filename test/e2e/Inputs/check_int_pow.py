"""Checks int-pow.test's outputs against an exact Python reference."""
import sys

import numpy as np

d = sys.argv[1]
for w in (32, 64):
    x = np.load("%s/x%d.npy" % (d, w)).astype(object)
    e = np.load("%s/e%d.npy" % (d, w)).astype(object)
    y = np.load("%s/res/y%d.npy" % (d, w))
    assert y.dtype == np.dtype("int%d" % w), y.dtype
    want = []
    for b, n in zip(x, e):
        if n >= 0:
            v = pow(int(b), int(n), 1 << w)  # wraps like the machine
            want.append(v - (1 << w) if v >= 1 << (w - 1) else v)
        else:
            want.append(1 if b == 1 else (-1 if n % 2 else 1) if b == -1
                        else 0)
    assert list(y) == want, (w, list(y), want)
print("OK")
