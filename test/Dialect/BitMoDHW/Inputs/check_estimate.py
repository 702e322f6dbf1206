"""Checks a launch's cost-model estimate against the hand formula of
docs/hw-dialect.md ("Estimate"): max(compute bound, DRAM bound) within 5%.

usage: check_estimate.py M N K code_bits terms < scheduled.mlir
"""
import math
import re
import sys

M, N, K, code_bits, terms = (int(a) for a in sys.argv[1:6])
# Paper accelerator (AccelConfig defaults).
pes, dp, bw, G, scale_bits, sel_bits = 1024, 4, 32, 128, 8, 2
compute = M * N * K * terms / (pes * dp)
weight_bytes = N * K * (code_bits + (scale_bits + sel_bits) / G) / 8
dram = (weight_bytes + M * K * 2 + M * N * 2) / bw
bound = max(compute, dram)
text = sys.stdin.read()
est = [int(v) for v in re.findall(r"estimate = (\d+)", text)]
if len(est) != 1:
    sys.exit("expected one launch estimate, found %d" % len(est))
ratio = est[0] / bound
print("estimate %d hand %d ratio %.4f" % (est[0], bound, ratio))
if not 0.95 <= ratio <= 1.05:
    sys.exit("estimate off by more than 5%")
