"""python3 -m bitmod: the common jobs of the Python API.

  python3 -m bitmod quantize w.npy -o q.npy --dtype bitmod3 [--group-size G]
      [--scale-bits B] [--packed q.bmqw]   fake-quantize a 2-D .npy, print stats
  python3 -m bitmod estimate M N K --dtype bitmod3 [--accel cfg.json|k=v,..]
      [--kind bitmod|fp16|ant|olive]        cost of one GEMM layer
  python3 -m bitmod dtypes                  the data-type table
  python3 -m bitmod bmod prog.bmod          summary of a .bmod program
Results are printed as JSON; errors go to stderr with exit status 1.
"""

import argparse
import json
import os
import sys

import numpy as np


def _quantize(args, bitmod):
    w = np.load(args.input)
    p = bitmod.quantize(w, args.dtype, group_size=args.group_size,
                        scale_bits=args.scale_bits,
                        granularity=args.granularity,
                        name=os.path.basename(args.input))
    deq = p.dequantize()
    np.save(args.output, deq)
    if args.packed:
        with open(args.packed, "wb") as f:
            f.write(p.serialize())
    st = bitmod.compute_stats(w, deq)
    st.update(dtype=p.dtype, shape=list(p.shape), group_size=p.group_size,
              scale_bits=p.scale_bits,
              storage_bits_per_weight=p.storage_bits_per_weight,
              selector_histogram=p.selector_histogram())
    return st


def _estimate(args, bitmod):
    return bitmod.estimate(args.M, args.N, args.K, args.dtype,
                           accel=args.accel, kind=args.kind,
                           group_size=args.group_size,
                           attention=args.attention)


def _dtypes(args, bitmod):
    return [bitmod.dtype_info(n) for n in bitmod.dtype_names()]


def _bmod(args, bitmod):
    p = bitmod.read_bmod(args.path)
    return {"version": list(p.version), "instructions": p.num_instructions,
            "dram_size": p.dram_size, "weight_bytes": len(p.weights),
            "symbols": p.symbols, "layers": p.layers}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m bitmod",
                                 description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quantize", help="fake-quantize a 2-D .npy matrix")
    q.add_argument("input")
    q.add_argument("-o", "--output", required=True)
    q.add_argument("--dtype", default="bitmod3")
    q.add_argument("--group-size", type=int, default=128)
    q.add_argument("--scale-bits", type=int, default=8)
    q.add_argument("--granularity", default="per-group")
    q.add_argument("--packed", help="also write the packed .bmqw")
    q.set_defaults(run=_quantize)
    e = sub.add_parser("estimate", help="cost model of Y[M,N] = X[M,K] W^T")
    for d in ("M", "N", "K"):
        e.add_argument(d, type=int)
    e.add_argument("--dtype", default="bitmod3")
    e.add_argument("--accel", help="AccelConfig .json or key=value,...")
    e.add_argument("--kind", default="bitmod")
    e.add_argument("--group-size", type=int, default=128)
    e.add_argument("--attention", action="store_true")
    e.set_defaults(run=_estimate)
    sub.add_parser("dtypes", help="data-type table").set_defaults(run=_dtypes)
    b = sub.add_parser("bmod", help="summary of a .bmod program")
    b.add_argument("path")
    b.set_defaults(run=_bmod)
    args = ap.parse_args(argv)
    import bitmod
    try:
        result = args.run(args, bitmod)
    except (bitmod.Error, OSError, ValueError) as err:
        print(f"python3 -m bitmod {args.cmd}: error: {err}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=2, default=float)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
