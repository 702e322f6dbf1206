"""Issue-6 acceptance: the cycle-level simulation of a compiled launch must
run at the roofline, and agree with the compiler's analytic estimate.

usage: check_roofline.py REPORT.json SCHEDULED.mlir M N K CODE_BITS TERMS OUT_BYTES

bound = max(compute, dram) with the paper accelerator (AccelConfig defaults):
  compute = M*N*K*terms / (PEs * dp)
  dram    = (N*K*(b + (scale_bits + sel_bits)/G)/8 + 2*M*K + OUT_BYTES*M*N) / 32
(the compulsory traffic: packed weights once, FP16 input once, output once).
Fails unless -3% <= simulated/bound - 1 <= +10% and the simulated cycles are
within 5% of the launch `estimate` attribute (sim::estimate).
"""
import json
import re
import sys

report, mlir = sys.argv[1:3]
M, N, K, code_bits, terms, out_bytes = (int(a) for a in sys.argv[3:9])
pes, dp, bw, G, scale_bits, sel_bits = 1024, 4, 32, 128, 8, 2
compute = M * N * K * terms / (pes * dp)
weight_bytes = N * K * (code_bits + (scale_bits + sel_bits) / G) / 8
dram = (weight_bytes + 2 * M * K + out_bytes * M * N) / bw
bound = max(compute, dram)

with open(report) as f:
    sim = json.load(f)["total_cycles"]
with open(mlir) as f:
    est = [int(v) for v in re.findall(r"estimate = (\d+)", f.read())]
if len(est) != 1:
    sys.exit("expected one launch estimate, found %d" % len(est))
ratio = sim / bound
agree = sim / est[0]
print("simulated %d bound %d (compute %d dram %d) ratio %.4f estimate %d "
      "sim/estimate %.4f" % (sim, bound, compute, dram, ratio, est[0], agree))
if not 0.97 <= ratio <= 1.10:
    sys.exit("simulated cycles outside -3%..+10% of the roofline bound")
if not 0.95 <= agree <= 1.05:
    sys.exit("simulated cycles differ from the compiler estimate by > 5%")
print("roofline ok")
