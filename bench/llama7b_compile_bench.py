"""bitmod-compile on a Llama-2-7B-shaped ONNX model: wall time and peak RSS
(the "Compile in bounded memory" figures of docs/driver.md).

  /usr/bin/python3 bench/llama7b_compile_bench.py [--layers 32] [--seq 16]
      [--dir /work/tmp/llama7b] [--tools build/bin] [--dtype bitmod3]
      [--emit isa,sim] [--keep]

The model has the true Llama-2-7B dimensions: hidden 4096, 32 heads of 128,
SwiGLU MLP 11008, --layers decoder layers (RMSNorm, q/k/v/o projections,
RoPE, causal softmax attention, MLP) and the final RMSNorm + LM head
[4096, 32000]; x [1, seq, 4096] float16 in, logits [1, seq, 32000] out (the
token embedding is a host Gather and is left out). Every tensor is float16
and the seven MatMul weights of each layer and the LM head are external data
in DIR/llama7b.onnx.data (12.6 GiB for 32 layers). The values are
N(0, 0.02) with every 997th one scaled by 20 (outliers); the file is written
in chunks of 256 rows, each a slice of a 64 Mi-value pool of such values at
a distinct offset, so no two weight blocks are equal (no deduplication in
the .bmod) and generating 13 GB takes about as long as writing it. The model is reused when DIR holds
one of the same --layers/--seq.

For each --emit it runs `bitmod-compile --dtype=T --emit=E` (E = isa: up to
model.bmod/model.s; sim: model.sim with the host code) and prints the
command, the wall time, the peak RSS of the compiler process (getrusage of
that child: includes the pages of the memory-mapped weights it touched) and
its --time-stages report.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
from onnx import TensorProto, helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
from bitmod import onnx_models  # noqa: E402

HIDDEN, HEADS, MLP, VOCAB = 4096, 32, 11008, 32000
POOL = 1 << 26


class _Llama7BGraph(onnx_models._Graph):
    """_Graph whose weights stream to an external-data file as float16 and
    whose other float constants are float16 initializers."""

    def __init__(self, data_path, write, seed=0):
        super().__init__("initializer", seed)
        self.data_path = data_path
        self.data = open(data_path, "wb") if write else None
        self.offset = 0
        self.chunks = 0
        if write:
            pool = self.rng.standard_normal(POOL, dtype=np.float32) * 0.02
            pool[::997] *= 20  # outliers
            self.pool = pool.astype(np.float16)

    def const(self, name, array, weight=False):
        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = np.clip(array, -65504, 65504).astype(np.float16)
        return super().const(name, array)

    def weight(self, name, shape, scale=None):
        rows, cols = shape
        for r0 in range(0, rows if self.data else 0, 256):
            # Chunk i is the pool slice at (i * a large prime) mod the pool
            # size: distinct offsets, so no two weight blocks are equal.
            n = min(256, rows - r0) * cols
            at = (self.chunks * 1000003) % (POOL - (256 * MLP))
            self.chunks += 1
            self.data.write(memoryview(self.pool[at:at + n]))
        t = TensorProto()
        t.name, t.data_type = name, TensorProto.FLOAT16
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        nbytes = rows * cols * 2
        for k, v in (("location", os.path.basename(self.data_path)),
                     ("offset", str(self.offset)), ("length", str(nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        self.offset += nbytes
        return name


def _layer(g, x, i, seq):
    """One Llama decoder layer (the structure of onnx_models'
    llama_decoder_layer) with names prefixed by `layers.i.`."""
    p = "layers.%d." % i
    head_dim = HIDDEN // HEADS
    h = onnx_models._rms_norm(g, x, HIDDEN, p + "input_norm")

    def proj(inp, name, k, n):
        return g.node("MatMul", [inp, g.weight(p + name + ".weight", (k, n))],
                      name=p + name)

    q = proj(h, "q_proj", HIDDEN, HIDDEN)
    k = proj(h, "k_proj", HIDDEN, HIDDEN)
    v = proj(h, "v_proj", HIDDEN, HIDDEN)
    split = g.const(p + "heads_shape",
                    np.array([1, seq, HEADS, head_dim], np.int64))

    def to_heads(t, name):
        r = g.node("Reshape", [t, split], name=p + name + "_reshape")
        return g.node("Transpose", [r], name=p + name + "_transpose",
                      perm=[0, 2, 1, 3])

    qh = onnx_models._rope(g, to_heads(q, "q"), seq, head_dim, p + "q_rope")
    kh = onnx_models._rope(g, to_heads(k, "k"), seq, head_dim, p + "k_rope")
    vh = to_heads(v, "v")
    kt = g.node("Transpose", [kh], name=p + "k_t", perm=[0, 1, 3, 2])
    scores = g.node("MatMul", [qh, kt], name=p + "attn_scores")
    scores = g.node("Mul", [scores, g.const(p + "attn_scale", np.array(
        1.0 / np.sqrt(head_dim)))], name=p + "attn_scale_mul")
    mask = np.triu(np.full((seq, seq), -1e9), 1)
    scores = g.node("Add", [scores, g.const(p + "causal_mask", mask)],
                    name=p + "attn_mask")
    probs = g.node("Softmax", [scores], name=p + "attn_softmax", axis=-1)
    ctx = g.node("MatMul", [probs, vh], name=p + "attn_context")
    ctx = g.node("Transpose", [ctx], name=p + "ctx_transpose",
                 perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, g.const(p + "merge_shape", np.array(
        [1, seq, HIDDEN], np.int64))], name=p + "ctx_reshape")
    h1 = g.node("Add", [x, proj(ctx, "o_proj", HIDDEN, HIDDEN)],
                name=p + "attn_residual")
    n2 = onnx_models._rms_norm(g, h1, HIDDEN, p + "post_norm")
    gate = proj(n2, "gate_proj", HIDDEN, MLP)
    up = proj(n2, "up_proj", HIDDEN, MLP)
    silu = g.node("Mul", [gate, g.node("Sigmoid", [gate],
                                       name=p + "silu_sigmoid")],
                  name=p + "silu")
    act = g.node("Mul", [silu, up], name=p + "swiglu")
    return g.node("Add", [h1, proj(act, "down_proj", MLP, HIDDEN)],
                  name=p + "mlp_residual")


def write_model(d, layers, seq, write=True):
    """Writes DIR/llama7b-s<seq>.onnx and, with `write`, the weights in
    DIR/llama7b.onnx.data (the graphs of every seq share them); returns the
    model path and the weight bytes."""
    path = os.path.join(d, "llama7b-s%d.onnx" % seq)
    g = _Llama7BGraph(os.path.join(d, "llama7b.onnx.data"), write)
    x = "x"
    for i in range(layers):
        x = _layer(g, x, i, seq)
    x = onnx_models._rms_norm(g, x, HIDDEN, "final_norm")
    x = g.node("MatMul", [x, g.weight("lm_head.weight", (HIDDEN, VOCAB))],
               name="lm_head")
    g.nodes.append(helper.make_node("Identity", [x], ["logits"],
                                    name="output"))
    if g.data:
        g.data.close()
    h = TensorProto.FLOAT16
    graph = helper.make_graph(
        g.nodes, "llama7b",
        [helper.make_tensor_value_info("x", h, [1, seq, HIDDEN])],
        [helper.make_tensor_value_info("logits", h, [1, seq, VOCAB])],
        g.inits)
    model = helper.make_model(graph, producer_name="bitmod",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return path, g.offset


def run_compile(cmd):
    """Runs `cmd`; returns (wall s, peak RSS GiB of that process, stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (proc.returncode, " ".join(cmd), err))
    return wall, usage.ru_maxrss / 2**20, err


def compile_model(a, model, emit, out, extra=()):
    shutil.rmtree(out, ignore_errors=True)
    cmd = [os.path.join(a.tools, "bitmod-compile"), model, "-o", out,
           "--dtype=" + a.dtype, "--emit=" + emit, "--time-stages"]
    cmd += list(extra)
    wall, rss, err = run_compile(cmd)
    print("$ " + " ".join(cmd))
    print("  --emit=%s: %.1f s wall, peak RSS %.2f GiB" % (emit, wall, rss))
    for line in err.splitlines():
        if "(" in line and "%" in line and "Total" not in line:
            print("   " + line.rstrip())
    bmod = os.path.join(out, "model.bmod")
    if os.path.exists(bmod):
        print("  model.bmod: %.2f GiB" % (os.path.getsize(bmod) / 2**30))
    return bmod


def time_sim(a, bmod, repeat):
    cmd = [os.path.join(a.tools, "bitmod-sim"), bmod, "--timing-only",
           "--layer-cache", "--repeat=%d" % repeat]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    print("$ " + " ".join(cmd))
    print("  %.1f s wall: %s" % (wall, " / ".join(r.stdout.split("\n")[:2])))
    cycles = int(r.stdout.split(" cycles")[0].split()[-1])
    return wall, cycles


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layers", type=int, default=32)
    p.add_argument("--seq", type=int, default=16,
                   help="tokens of the graph --emit compiles")
    p.add_argument("--dir", default="/work/tmp/llama7b")
    p.add_argument("--tools", default=os.path.join(ROOT, "build", "bin"))
    p.add_argument("--dtype", default="bitmod3")
    p.add_argument("--emit", default="isa,sim",
                   help="comma-separated --emit values ('' for none)")
    p.add_argument("--timing", action="store_true",
                   help="also compile the --prefill and 1-token graphs "
                   "(--emit=isa) and time --decode-steps decode steps after "
                   "the prefill with bitmod-sim --timing-only --layer-cache")
    p.add_argument("--prefill", type=int, default=256)
    p.add_argument("--decode-steps", type=int, default=256)
    p.add_argument("--keep", action="store_true",
                   help="keep DIR (the model) afterwards")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    stamp = os.path.join(a.dir, "model.json")
    config = {"layers": a.layers}
    data = os.path.join(a.dir, "llama7b.onnx.data")
    seqs = [a.seq] + ([a.prefill, 1] if a.timing else [])
    if os.path.exists(stamp) and json.load(open(stamp)) == config:
        print("model: reusing %s (%.2f GiB of f16 external data)"
              % (data, os.path.getsize(data) / 2**30))
    else:
        need = (a.layers * (4 * HIDDEN * HIDDEN + 3 * HIDDEN * MLP) +
                HIDDEN * VOCAB) * 2
        free = shutil.disk_usage(a.dir).free
        if free < need + (4 << 30):
            sys.exit("need %.1f GiB free in %s, have %.1f GiB"
                     % ((need + (4 << 30)) / 2**30, a.dir, free / 2**30))
        if os.path.exists(stamp):
            os.remove(stamp)
        t0 = time.time()
        _, size = write_model(a.dir, a.layers, a.seq)
        json.dump(config, open(stamp, "w"))
        print("model: %d layers + LM head, %.2f GiB of f16 external data, "
              "written in %.1f s" % (a.layers, size / 2**30,
                                     time.time() - t0))
    models = {s: write_model(a.dir, a.layers, s, write=False)[0]
              for s in seqs}
    for emit in filter(None, a.emit.split(",")):
        out = os.path.join(a.dir, "out-" + emit)
        compile_model(a, models[a.seq], emit, out)
        shutil.rmtree(out, ignore_errors=True)
    if a.timing:
        total_wall, total_cycles = 0.0, 0
        for seq, repeat in ((a.prefill, 1), (1, a.decode_steps)):
            out = os.path.join(a.dir, "out-timing-s%d" % seq)
            bmod = compile_model(a, models[seq], "isa", out)
            wall, cycles = time_sim(a, bmod, repeat)
            total_wall += wall
            total_cycles += cycles
            shutil.rmtree(out, ignore_errors=True)
        print("timing-only, prefill %d + %d decode steps: %.1f s of "
              "simulation, %d accelerator cycles"
              % (a.prefill, a.decode_steps, total_wall, total_cycles))
    if not a.keep:
        shutil.rmtree(a.dir)


if __name__ == "__main__":
    main()
