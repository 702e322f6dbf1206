"""End-to-end compile and run times of bitmod-compile on the bundled and
real models (the figures in docs/driver.md, "Compile time").

  /usr/bin/python3 bench/compile_bench.py [--tools build/bin] [--opt -O1]

For each model: the per-stage wall times of the timing report
`bitmod-compile --time-stages` prints, the wall time of the whole compile
and of one model.sim run. Models whose files are missing (the PaddleOCR
ones come from scripts/setup.sh) are skipped with a note.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OCR = os.path.join(ROOT, "third_party", "node", "node_modules", "@gutenye",
                   "ocr-models", "assets")


def models(work):
    subprocess.run([sys.executable, os.path.join(ROOT, "examples",
                                                 "decoder_block.py"), work],
                   check=True, capture_output=True)
    yield ("decoder block", os.path.join(work, "decoder.onnx"), "bitmod3",
           [], {"x": os.path.join(work, "x.npy")})
    for name, file, shape in (
            ("OCR classifier", "ch_ppocr_mobile_v2.0_cls_infer.onnx",
             (1, 3, 48, 192)),
            ("OCR recognizer", "ch_PP-OCRv4_rec_infer.onnx", (1, 3, 48, 320))):
        x = os.path.join(work, file + ".x.npy")
        np.save(x, np.random.default_rng(5).random(shape).astype(np.float32))
        yield (name, os.path.join(OCR, file), "bitmod4",
               ["--input-shape", "x=" + "x".join(map(str, shape))], {"x": x})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--opt", default="-O1", help="--cxx-flags for model.sim")
    args = ap.parse_args()
    compile_tool = os.path.join(args.tools, "bitmod-compile")
    with tempfile.TemporaryDirectory(prefix="bitmod-compile-bench-") as work:
        for name, model, dtype, flags, inputs in models(work):
            if not os.path.exists(model):
                print("%-16s skipped: %s is missing (scripts/setup.sh)"
                      % (name, model))
                continue
            out = os.path.join(work, "out-" + name.replace(" ", "_"))
            t0 = time.perf_counter()
            r = subprocess.run([compile_tool, model, "-o", out,
                                "--dtype=" + dtype, "--time-stages",
                                "--cxx-flags=" + args.opt] + flags,
                               capture_output=True, text=True)
            compile_s = time.perf_counter() - t0
            if r.returncode != 0:
                print("%-16s compile failed: %s" % (name, r.stderr.strip()))
                continue
            # MLIR's timing report: [user time (%)] wall time (%)  name.
            stages = dict((m.group(2).strip(), float(m.group(1))) for m in
                          re.finditer(r"^\s+(?:[0-9.]+ \(\s*[0-9.]+%\)\s+)*"
                                      r"([0-9.]+) \(\s*[0-9.]+%\)\s+(\S.*)$",
                                      r.stderr, re.M))
            run = [os.path.join(out, "model.sim"), "--output-dir",
                   os.path.join(out, "res")]
            for k, v in inputs.items():
                run += ["--input", "%s=%s" % (k, v)]
            t0 = time.perf_counter()
            subprocess.run(run, check=True, capture_output=True)
            run_s = time.perf_counter() - t0
            with open(os.path.join(out, "model.cpp")) as f:
                lines = sum(1 for _ in f)
            print("%-16s %s  compile %.2f s (host lowering %.2f s, "
                  "emit C++ %.2f s, c++ %s %.2f s; model.cpp %d lines)  "
                  "run %.2f s" % (name, dtype, compile_s,
                                  stages.get("host lowering", 0),
                                  stages.get("emit model.cpp", 0), args.opt,
                                  stages.get("c++ compile", 0), lines, run_s))


if __name__ == "__main__":
    main()
