"""Exports a zoo model as an Optimum-style ONNX decoder (docs/llm.md).

    /usr/bin/python3 -m bitmod.llm.export --family llama --phase prefill \\
        --opset 17 --dynamic --seq 16 -o out/llama-prefill
    /usr/bin/python3 -m bitmod.llm.export --family llama --phase decode \\
        --opset 14 --static --seq 1 --past 31 -o out/llama-decode

Writes DIR/model.onnx (with --external-data also DIR/model.onnx.data),
DIR/export.json (family, config, phase, input/output names and shapes) and
DIR/test_data/{inputs,outputs}/<name>.npy: the example inputs the graph was
traced with and the PyTorch outputs for them.

Graph signature (Optimum naming):
  inputs   input_ids [batch, seq] int64, attention_mask [batch, past+seq]
           int64, position_ids [batch, seq] int64, and for --phase decode
           past_key_values.N.key / .value [batch, kv_heads, past, head_dim]
  outputs  logits [batch, seq, vocab], present.N.key / .value
           [batch, kv_heads, past+seq, head_dim]
With --dynamic the axes are named batch_size, sequence_length,
past_sequence_length and total_sequence_length (past + seq); a prefill
graph has no past, so its mask and present use sequence_length.

The exporter is torch.onnx.export (TorchScript tracing) with constant
folding. --fp16 then converts the graph to float16 weights and activations
(`convert_float_to_float16`; integer inputs stay int64). Everything is
deterministic for a given --seed (weights and example inputs).
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper, TensorProto

FP16_MAX = 65504.0


def input_names(num_layers, with_past):
    names = ["input_ids", "attention_mask", "position_ids"]
    if with_past:
        for i in range(num_layers):
            names += ["past_key_values.%d.key" % i,
                      "past_key_values.%d.value" % i]
    return names


def output_names(num_layers):
    names = ["logits"]
    for i in range(num_layers):
        names += ["present.%d.key" % i, "present.%d.value" % i]
    return names


def dynamic_axes(num_layers, with_past):
    total = "total_sequence_length" if with_past else "sequence_length"
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: total},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(num_layers):
        for kind in ("key", "value"):
            if with_past:
                axes["past_key_values.%d.%s" % (i, kind)] = {
                    0: "batch_size", 2: "past_sequence_length"}
            axes["present.%d.%s" % (i, kind)] = {0: "batch_size", 2: total}
    return axes


def example_inputs(model, batch, seq, past, seed):
    """Token ids, an all-ones mask, positions past..past+seq-1 and, for
    past > 0, the cache of a real prefill over `past` random tokens."""
    import torch
    gen = torch.Generator().manual_seed(seed + 1)
    vocab = model.config.vocab_size
    ids = torch.randint(0, vocab, (batch, seq), generator=gen)
    mask = torch.ones(batch, past + seq, dtype=torch.int64)
    positions = torch.arange(past, past + seq,
                             dtype=torch.int64)[None].expand(batch, seq)
    cache = ()
    if past:
        prefix = torch.randint(0, vocab, (batch, past), generator=gen)
        with torch.no_grad():
            cache = model(prefix, torch.ones(batch, past, dtype=torch.int64),
                          torch.arange(past)[None].expand(batch, past))[1:]
    return (ids, mask, positions.contiguous()) + tuple(cache)


def _fp16_tensor(t):
    arr = numpy_helper.to_array(t)
    half = np.clip(arr, -FP16_MAX, FP16_MAX).astype(np.float16)
    out = numpy_helper.from_array(half, t.name)
    return out


def _fp16_type(type_proto):
    if type_proto.HasField("tensor_type"):
        if type_proto.tensor_type.elem_type == TensorProto.FLOAT:
            type_proto.tensor_type.elem_type = TensorProto.FLOAT16


def _fp16_graph(graph):
    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT:
            graph.initializer[i].CopyFrom(_fp16_tensor(init))
    for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
        _fp16_type(vi.type)
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and \
                    attr.t.data_type == TensorProto.FLOAT:
                attr.t.CopyFrom(_fp16_tensor(attr.t))
            elif attr.type == onnx.AttributeProto.GRAPH:
                _fp16_graph(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    _fp16_graph(g)
            if node.op_type == "Cast" and attr.name == "to" and \
                    attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.FLOAT16


def convert_float_to_float16(model):
    """Rewrites every float32 tensor of `model` to float16, like Optimum's
    fp16 export: initializers and Constant/ConstantOfShape values (clipped
    to the float16 range, so finfo(float32).min masks become -65504),
    graph input/output/value_info types and Cast targets. Integer tensors
    (input_ids, attention_mask, position_ids, shapes) are left alone."""
    _fp16_graph(model.graph)
    return model


def export(family, phase, opset, dynamic, seq, past, out_dir, batch=1,
           weights=None, fp16=False, external_data=False, seed=0, model=None):
    """Exports one graph; returns the path of DIR/model.onnx. `model`, if
    given, is exported instead of building `family` from `seed`/`weights`
    (it must be a zoo model of that family)."""
    import torch
    from bitmod.llm import zoo

    torch.set_num_threads(1)
    if phase not in ("prefill", "decode"):
        raise ValueError("phase must be prefill or decode, not '%s'" % phase)
    with_past = phase == "decode"
    if with_past and past < 1:
        raise ValueError("--phase decode needs --past >= 1")
    if not with_past:
        past = 0
    if model is None:
        model = zoo.build(family, seed=seed)
        if weights:
            zoo.load_weights(model, weights)
    cfg = model.config
    args = example_inputs(model, batch, seq, past, seed)
    ins = input_names(cfg.num_hidden_layers, with_past)
    outs = output_names(cfg.num_hidden_layers)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarnings on shape asserts
        reference = model(*args)
        torch.onnx.export(model, args, path, input_names=ins,
                          output_names=outs, opset_version=opset,
                          do_constant_folding=True,
                          dynamic_axes=(dynamic_axes(cfg.num_hidden_layers,
                                                     with_past)
                                        if dynamic else None))
    graph = onnx.load(path)
    graph.producer_name = "bitmod.llm.export"
    if fp16:
        convert_float_to_float16(graph)
    if external_data:
        onnx.save_model(graph, path, save_as_external_data=True,
                        all_tensors_to_one_file=True,
                        location="model.onnx.data", size_threshold=1024)
    else:
        onnx.save_model(graph, path)

    data = os.path.join(out_dir, "test_data")
    os.makedirs(os.path.join(data, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(data, "outputs"), exist_ok=True)
    float_type = np.float16 if fp16 else np.float32
    signature = {"inputs": {}, "outputs": {}}
    for name, t in zip(ins, args):
        a = t.numpy()
        if a.dtype == np.float32:
            a = a.astype(float_type)
        np.save(os.path.join(data, "inputs", name + ".npy"), a)
        signature["inputs"][name] = [str(a.dtype), list(a.shape)]
    for name, t in zip(outs, reference):
        a = t.numpy()
        np.save(os.path.join(data, "outputs", name + ".npy"), a)
        signature["outputs"][name] = [str(float_type.__name__), list(a.shape)]
    meta = {
        "family": family, "phase": phase, "opset": opset, "dynamic": dynamic,
        "batch": batch, "seq": seq, "past": past, "fp16": fp16,
        "external_data": external_data, "seed": seed,
        "weights": os.path.abspath(weights) if weights else None,
        "config": cfg.to_dict(),
        "kv_shape": [batch, cfg.num_key_value_heads, "past", cfg.head_dim],
        **signature,
    }
    with open(os.path.join(out_dir, "export.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return path


def main(argv=None):
    from bitmod.llm import zoo
    p = argparse.ArgumentParser(
        prog="python3 -m bitmod.llm.export",
        description="Export a zoo decoder as an Optimum-style ONNX graph.")
    p.add_argument("--family", required=True, choices=zoo.FAMILIES)
    p.add_argument("--phase", required=True, choices=("prefill", "decode"))
    p.add_argument("--opset", type=int, default=17)
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--dynamic", dest="dynamic", action="store_true",
                       help="named dynamic axes (batch, sequence, past)")
    shape.add_argument("--static", dest="dynamic", action="store_false",
                       help="every shape fixed to the traced sizes (default)")
    p.set_defaults(dynamic=False)
    p.add_argument("--seq", type=int, default=None,
                   help="tokens per call (default 8 prefill, 1 decode)")
    p.add_argument("--past", type=int, default=8,
                   help="past length of a decode graph (default 8)")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--weights", help=".npz/.pt state dict (default: random "
                   "init from --seed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fp16", action="store_true",
                   help="float16 weights and activations")
    p.add_argument("--external-data", action="store_true",
                   help="tensors in DIR/model.onnx.data")
    p.add_argument("-o", "--output", required=True, help="output directory")
    a = p.parse_args(argv)
    seq = a.seq if a.seq is not None else (8 if a.phase == "prefill" else 1)
    try:
        path = export(a.family, a.phase, a.opset, a.dynamic, seq, a.past,
                      a.output, batch=a.batch, weights=a.weights, fp16=a.fp16,
                      external_data=a.external_data, seed=a.seed)
    except (ValueError, OSError) as e:
        sys.stderr.write("export: error: %s\n" % e)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
