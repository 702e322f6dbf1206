"""bitmod-quant on an f16 ONNX model whose external data is larger than
2 GB (too heavy for CI: about 2.5 GB of disk per file; the tests cover the
64-bit offset path with a sparse file, python/tests/test_quant_onnx.py).

  /usr/bin/python3 bench/external_data_bench.py [--tools build/bin]
      [--dir /tmp/bitmod-ext] [--dtype bitmod3] [--keep]

Writes DIR/big.onnx with three f16 MatMul weights, W1 [16384, 40960] and
W2 [40960, 16384] (1.25 GiB each) and W3 [16384, 4096] (beyond 2^31 in the
file), N(0, 0.02) with outliers, generated in blocks, in DIR/big.onnx.data; runs `bitmod-quant` on it (the output goes to
external data automatically: protobuf cannot hold it), and prints the wall
time, the tool's peak RSS and the offsets written. Then it checks that the
last tensor of the output sits beyond 2^31 and that sampled rows of both
weights equal the numpy reference (quant_ref) rounded once to f16.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from bitmod.quant_ref import quantize_ref  # noqa: E402

SHAPES = {"w1": (16384, 40960), "w2": (40960, 16384), "w3": (16384, 4096)}


def write_model(d):
    data = os.path.join(d, "big.onnx.data")
    rng = np.random.default_rng(0)
    inits, offset = [], 0
    with open(data, "wb") as f:
        for name, (rows, cols) in SHAPES.items():
            for r0 in range(0, rows, 1024):
                block = rng.standard_normal((min(1024, rows - r0), cols),
                                            dtype=np.float32) * 0.02
                block[:, ::997] *= 20  # outliers
                f.write(block.astype(np.float16).tobytes())
            t = TensorProto()
            t.name, t.data_type = name, TensorProto.FLOAT16
            t.dims.extend([rows, cols])
            t.data_location = TensorProto.EXTERNAL
            nbytes = rows * cols * 2
            for k, v in (("location", "big.onnx.data"), ("offset", str(offset)),
                         ("length", str(nbytes))):
                e = t.external_data.add()
                e.key, e.value = k, v
            inits.append(t)
            offset += nbytes
    h = TensorProto.FLOAT16
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="up"),
         helper.make_node("MatMul", ["h", "w2"], ["h2"], name="down"),
         helper.make_node("MatMul", ["h2", "w3"], ["y"], name="head")], "big",
        [helper.make_tensor_value_info("x", h, [1, 16384])],
        [helper.make_tensor_value_info("y", h, [1, 4096])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with open(os.path.join(d, "big.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    return offset


def tensor_view(d, t):
    e = {x.key: x.value for x in t.external_data}
    return np.memmap(os.path.join(d, e["location"]), np.float16, "r",
                     int(e["offset"]), tuple(t.dims)), int(e["offset"])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tools", default=os.path.join(ROOT, "build", "bin"))
    p.add_argument("--dir", default="/tmp/bitmod-ext")
    p.add_argument("--dtype", default="bitmod3")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    free = shutil.disk_usage(a.dir).free
    if free < 7 << 30:
        sys.exit("need 7 GiB free in %s, have %.1f GiB" % (a.dir, free / 2**30))
    t0 = time.time()
    total = write_model(a.dir)
    print("model: %.2f GiB of f16 external data, written in %.1f s" %
          (total / 2**30, time.time() - t0))
    out = os.path.join(a.dir, "q", "big.q.onnx")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = [os.path.join(a.tools, "bitmod-quant"), "--dtype=" + a.dtype,
           os.path.join(a.dir, "big.onnx"), "-o", out]
    t0 = time.time()
    subprocess.run(cmd, check=True)
    wall = time.time() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print("$ " + " ".join(cmd))
    print("bitmod-quant: %.1f s wall, peak RSS %.2f GiB, %.2e weights/s" %
          (wall, rss, total / 2 / wall))
    q = onnx.load(out, load_external_data=False)
    src = onnx.load(os.path.join(a.dir, "big.onnx"), load_external_data=False)
    for t, s in zip(q.graph.initializer, src.graph.initializer):
        got, off = tensor_view(os.path.dirname(out), t)
        w, _ = tensor_view(a.dir, s)
        print("  %s: offset %d (%s 2^31)" % (t.name, off,
                                            ">" if off > 2**31 else "<"))
        # Rows of the quantized [N, K] = W^T: sample a few output channels.
        for n in (0, w.shape[1] // 2, w.shape[1] - 1):
            col = np.asarray(w[:, n], np.float32)[None, :]
            want = quantize_ref(col, a.dtype, 128, 8)[0][0].astype(np.float16)
            assert np.array_equal(np.asarray(got[:, n]).view(np.uint16),
                                  want.view(np.uint16)), (t.name, n)
    last = q.graph.initializer[-1]
    assert tensor_view(os.path.dirname(out), last)[1] > 2**31
    print("OK: the sampled channels equal quant_ref rounded once to f16")
    if not a.keep:
        shutil.rmtree(a.dir)


if __name__ == "__main__":
    main()
