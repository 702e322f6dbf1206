"""ONNX model builders for tests and examples (onnx.helper, numpy).

* ``llama_decoder_layer``: one Llama-style decoder layer (RMSNorm, q/k/v/o
  projections, optional RoPE, causal softmax attention, SwiGLU MLP). Its seven
  weight MatMuls use constant weights stored as initializers, Constant nodes
  or external data (``weights=``), so the importer turns them into seven
  ``bitmod.linear`` ops.
* ``to_half`` / ``llama_decoder_layer_half``: the same graphs with float16
  (or bfloat16) weights and activations.
* ``small_convnet``: Conv, BatchNormalization, HardSwish, GlobalAveragePool,
  Flatten, Gemm, MatMul, Softmax.
* ``tiny_lm``: a small decoder-only language model (token and learned
  position embeddings, RMSNorm, attention with a padding mask, SwiGLU MLP,
  LM head) as a prefill graph (``input_ids [1, P]`` -> ``logits``,
  ``present.N.key/value``) or a decode-with-past graph (``input_ids [1, 1]``,
  ``past_key_values.N.key/value [1, H, C, D]``, ``attention_mask [1, C+1]``)
  with Optimum's input/output names and only constant shapes, for
  ``bitmod-compile --prefill-model`` and ``model.sim --generate/--perplexity``
  (docs/llm.md).

Command line: ``python -m bitmod.onnx_models decoder out.onnx [--external]
[--half float16|bfloat16]``, ``python -m bitmod.onnx_models
lm-prefill|lm-decode out.onnx [--seq P] [--context C]``.
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class _Graph:
    """Small helper collecting nodes and constant weights."""

    def __init__(self, weights="initializer", seed=0):
        if weights not in ("initializer", "constant", "external"):
            raise ValueError("weights must be initializer, constant or external")
        self.weights = weights
        self.nodes = []
        self.inits = []
        self.rng = np.random.default_rng(seed)
        self._count = 0

    def fresh(self, base):
        self._count += 1
        return "%s_%d" % (base, self._count)

    def const(self, name, array, weight=False):
        """Adds a constant. Weights follow the chosen storage style; small
        helper constants are always initializers."""
        array = np.asarray(array)
        if weight and self.weights == "constant":
            self.nodes.append(helper.make_node(
                "Constant", [], [name], name=name + "_const",
                value=numpy_helper.from_array(array, name)))
        else:
            self.inits.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, name, shape, scale=None):
        scale = scale if scale is not None else 1.0 / np.sqrt(shape[0])
        w = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        return self.const(name, w, weight=True)

    def node(self, op, inputs, name=None, outputs=1, **attrs):
        name = name or self.fresh(op.lower())
        outs = [name + "_out%d" % i if outputs > 1 else name + "_out"
                for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs if outputs > 1 else outs[0]


def _rms_norm(g, x, hidden, name, eps=1e-6):
    sq = g.node("Mul", [x, x], name=name + "_sq")
    mean = g.node("ReduceMean", [sq], name=name + "_mean", axes=[-1],
                  keepdims=1)
    eps_c = g.const(name + "_eps", np.array(eps, dtype=np.float32))
    var = g.node("Add", [mean, eps_c], name=name + "_add_eps")
    rms = g.node("Sqrt", [var], name=name + "_sqrt")
    normed = g.node("Div", [x, rms], name=name + "_div")
    gamma = g.const(name + "_gamma", np.ones(hidden, dtype=np.float32))
    return g.node("Mul", [normed, gamma], name=name + "_scale")


def _rope(g, x, seq, head_dim, name):
    """Rotate-half RoPE on x [B, H, S, D] with constant cos/sin tables."""
    half = head_dim // 2
    inv = 1.0 / (10000 ** (np.arange(half, dtype=np.float64) * 2 / head_dim))
    ang = np.outer(np.arange(seq), inv)
    cos = np.concatenate([np.cos(ang), np.cos(ang)], -1).astype(np.float32)
    sin = np.concatenate([np.sin(ang), np.sin(ang)], -1).astype(np.float32)
    cos_c = g.const(name + "_cos", cos)
    sin_c = g.const(name + "_sin", sin)
    x1, x2 = g.node("Split", [x, g.const(name + "_split",
                                          np.array([half, half], np.int64))],
                    name=name + "_split", outputs=2, axis=-1)
    neg = g.node("Neg", [x2], name=name + "_neg")
    rot = g.node("Concat", [neg, x1], name=name + "_rot", axis=-1)
    a = g.node("Mul", [x, cos_c], name=name + "_mcos")
    b = g.node("Mul", [rot, sin_c], name=name + "_msin")
    return g.node("Add", [a, b], name=name + "_add")


def llama_decoder_layer(hidden=64, heads=4, intermediate=128, seq=8, batch=1,
                        rope=True, weights="initializer", dynamic_seq=False,
                        seed=0):
    """Builds one decoder layer: x [B, S, hidden] -> y [B, S, hidden]."""
    if hidden % heads:
        raise ValueError("hidden must be a multiple of heads")
    head_dim = hidden // heads
    g = _Graph(weights, seed)
    x = "x"
    h = _rms_norm(g, x, hidden, "input_norm")
    q = g.node("MatMul", [h, g.weight("q_proj.weight", (hidden, hidden))],
               name="q_proj")
    k = g.node("MatMul", [h, g.weight("k_proj.weight", (hidden, hidden))],
               name="k_proj")
    v = g.node("MatMul", [h, g.weight("v_proj.weight", (hidden, hidden))],
               name="v_proj")
    split_shape = g.const("heads_shape",
                          np.array([batch, seq, heads, head_dim], np.int64))

    def to_heads(t, name):
        r = g.node("Reshape", [t, split_shape], name=name + "_reshape")
        return g.node("Transpose", [r], name=name + "_transpose",
                      perm=[0, 2, 1, 3])

    qh, kh, vh = to_heads(q, "q"), to_heads(k, "k"), to_heads(v, "v")
    if rope:
        qh = _rope(g, qh, seq, head_dim, "q_rope")
        kh = _rope(g, kh, seq, head_dim, "k_rope")
    kt = g.node("Transpose", [kh], name="k_t", perm=[0, 1, 3, 2])
    scores = g.node("MatMul", [qh, kt], name="attn_scores")
    scale = g.const("attn_scale",
                    np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    scores = g.node("Mul", [scores, scale], name="attn_scale_mul")
    mask = np.triu(np.full((seq, seq), -1e9, dtype=np.float32), 1)
    scores = g.node("Add", [scores, g.const("causal_mask", mask)],
                    name="attn_mask")
    probs = g.node("Softmax", [scores], name="attn_softmax", axis=-1)
    ctx = g.node("MatMul", [probs, vh], name="attn_context")
    ctx = g.node("Transpose", [ctx], name="ctx_transpose", perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, g.const("merge_shape", np.array(
        [batch, seq, hidden], np.int64))], name="ctx_reshape")
    o = g.node("MatMul", [ctx, g.weight("o_proj.weight", (hidden, hidden))],
               name="o_proj")
    h1 = g.node("Add", [x, o], name="attn_residual")
    n2 = _rms_norm(g, h1, hidden, "post_norm")
    gate = g.node("MatMul", [n2, g.weight("gate_proj.weight",
                                          (hidden, intermediate))],
                  name="gate_proj")
    up = g.node("MatMul", [n2, g.weight("up_proj.weight",
                                        (hidden, intermediate))],
                name="up_proj")
    sig = g.node("Sigmoid", [gate], name="silu_sigmoid")
    silu = g.node("Mul", [gate, sig], name="silu")
    act = g.node("Mul", [silu, up], name="swiglu")
    down = g.node("MatMul", [act, g.weight("down_proj.weight",
                                           (intermediate, hidden))],
                  name="down_proj")
    y = g.node("Add", [h1, down], name="mlp_residual")
    g.nodes.append(helper.make_node("Identity", [y], ["y"], name="output"))

    seq_dim = "seq" if dynamic_seq else seq
    graph = helper.make_graph(
        g.nodes, "llama_decoder_layer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [batch, seq_dim, hidden])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [batch, seq_dim, hidden])],
        initializer=g.inits)
    model = helper.make_model(graph, producer_name="bitmod",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model


def small_convnet(batch=1, channels=3, size=16, classes=10, seed=0):
    """Conv -> BN -> HardSwish -> Conv(stride 2) -> Relu -> GAP -> Flatten ->
    Gemm -> MatMul -> Softmax."""
    g = _Graph("initializer", seed)
    rng = g.rng
    c1, c2, hid = 8, 16, 32
    w1 = g.const("conv1.weight", (rng.standard_normal((c1, channels, 3, 3))
                                  * 0.3).astype(np.float32))
    b1 = g.const("conv1.bias", np.zeros(c1, np.float32))
    x = g.node("Conv", ["x", w1, b1], name="conv1", pads=[1, 1, 1, 1],
               kernel_shape=[3, 3])
    bn = [g.const("bn1." + n, v) for n, v in (
        ("scale", rng.uniform(0.5, 1.5, c1).astype(np.float32)),
        ("bias", rng.uniform(-0.1, 0.1, c1).astype(np.float32)),
        ("mean", rng.uniform(-0.1, 0.1, c1).astype(np.float32)),
        ("var", rng.uniform(0.5, 1.5, c1).astype(np.float32)))]
    x = g.node("BatchNormalization", [x] + bn, name="bn1", epsilon=1e-5)
    x = g.node("HardSwish", [x], name="hswish1")
    w2 = g.const("conv2.weight", (rng.standard_normal((c2, c1, 3, 3))
                                  * 0.2).astype(np.float32))
    x = g.node("Conv", [x, w2], name="conv2", pads=[1, 1, 1, 1],
               strides=[2, 2], kernel_shape=[3, 3])
    x = g.node("Relu", [x], name="relu2")
    x = g.node("GlobalAveragePool", [x], name="gap")
    x = g.node("Flatten", [x], name="flatten", axis=1)
    fc1 = g.weight("fc1.weight", (hid, c2))
    fc1b = g.const("fc1.bias", np.zeros(hid, np.float32))
    x = g.node("Gemm", [x, fc1, fc1b], name="fc1", transB=1)
    x = g.node("Relu", [x], name="relu3")
    x = g.node("MatMul", [x, g.weight("fc2.weight", (hid, classes))],
               name="fc2")
    g.nodes.append(helper.make_node("Softmax", [x], ["probs"], name="softmax",
                                    axis=-1))
    graph = helper.make_graph(
        g.nodes, "small_convnet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [batch, channels, size, size])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT,
                                       [batch, classes])],
        initializer=g.inits)
    model = helper.make_model(graph, producer_name="bitmod",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model


def tiny_lm(mode="prefill", seq=16, context=48, vocab=256, hidden=128,
            heads=2, intermediate=256, layers=2, max_positions=64, seed=0,
            present_names=None, past_names=None):
    """A decoder-only LM with Optimum's KV-cache naming.

    mode "prefill": inputs input_ids, attention_mask, position_ids [1, seq]
    (int64); outputs logits [1, seq, vocab] and present.N.key/value
    [1, heads, seq, head_dim]; attention is causal and masks keys whose
    attention_mask is 0.
    mode "decode": inputs input_ids, position_ids [1, 1],
    past_key_values.N.key/value [1, heads, context, head_dim] and
    attention_mask [1, context + 1]; outputs logits [1, 1, vocab] and
    present.N.key/value [1, heads, context + 1, head_dim] (past, then the new
    token). Both modes with the same seed have the same weights. Linear
    weights are N(0, 0.02)-initialised like the Hugging Face reference
    models except the embeddings (N(0, 1): peaked logits for greedy tests).
    `present_names` / `past_names` override the K/V names (lists of
    (key, value) name pairs per layer), for the pairing error tests.
    """
    if mode not in ("prefill", "decode"):
        raise ValueError("mode must be prefill or decode")
    if hidden % heads:
        raise ValueError("hidden must be a multiple of heads")
    head_dim = hidden // heads
    decode = mode == "decode"
    s = 1 if decode else seq
    total = context + 1 if decode else seq
    if total > max_positions:
        raise ValueError("max_positions must cover the context")
    g = _Graph("initializer", seed)
    rng = g.rng
    embed = g.const("embed_tokens.weight", rng.standard_normal(
        (vocab, hidden)).astype(np.float32))
    pos = g.const("embed_positions.weight", (rng.standard_normal(
        (max_positions, hidden)) * 0.5).astype(np.float32))
    x = g.node("Gather", [embed, "input_ids"], name="embed_tokens", axis=0)
    p = g.node("Gather", [pos, "position_ids"], name="embed_positions",
               axis=0)
    x = g.node("Add", [x, p], name="embed_add")

    # Additive mask [1, 1, s, total]: -1e9 where attention_mask is 0, and
    # above the diagonal in prefill.
    m = g.node("Cast", ["attention_mask"], name="mask_cast",
               to=TensorProto.FLOAT)
    one = g.const("mask_one", np.array(1.0, np.float32))
    inv = g.node("Sub", [one, m], name="mask_invert")
    neg = g.const("mask_neg", np.array(-1e9, np.float32))
    add_mask = g.node("Mul", [inv, neg], name="mask_scale")
    add_mask = g.node("Reshape", [add_mask, g.const(
        "mask_shape", np.array([1, 1, 1, total], np.int64))],
        name="mask_reshape")
    if not decode:
        causal = np.triu(np.full((seq, seq), -1e9, np.float32), 1)
        add_mask = g.node("Add", [add_mask, g.const("causal_mask", causal)],
                          name="mask_causal")

    def w(name, shape):
        return g.const(name, (rng.standard_normal(shape) * 0.02).astype(
            np.float32), weight=True)

    heads_shape = g.const("heads_shape",
                          np.array([1, s, heads, head_dim], np.int64))
    merge_shape = g.const("merge_shape", np.array([1, s, hidden], np.int64))
    scale = g.const("attn_scale",
                    np.array(1.0 / np.sqrt(head_dim), np.float32))
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                            [1, s])]
    cache_inputs, outputs = [], []
    kv_shape_in = [1, heads, context, head_dim]
    kv_shape_out = [1, heads, total, head_dim]
    for i in range(layers):
        pre = "layers.%d." % i
        h = _rms_norm(g, x, hidden, pre + "input_norm")

        def proj(t, name, shape):
            return g.node("MatMul", [t, w(pre + name + ".weight", shape)],
                          name=pre + name)

        def to_heads(t, name):
            r = g.node("Reshape", [t, heads_shape], name=pre + name + "_split")
            return g.node("Transpose", [r], name=pre + name + "_heads",
                          perm=[0, 2, 1, 3])

        q = to_heads(proj(h, "q_proj", (hidden, hidden)), "q")
        k = to_heads(proj(h, "k_proj", (hidden, hidden)), "k")
        v = to_heads(proj(h, "v_proj", (hidden, hidden)), "v")
        present = (present_names[i] if present_names else
                   ("present.%d.key" % i, "present.%d.value" % i))
        if decode:
            past = (past_names[i] if past_names else
                    ("past_key_values.%d.key" % i,
                     "past_key_values.%d.value" % i))
            g.nodes.append(helper.make_node("Concat", [past[0], k],
                                            [present[0]], axis=2,
                                            name=pre + "k_cache"))
            g.nodes.append(helper.make_node("Concat", [past[1], v],
                                            [present[1]], axis=2,
                                            name=pre + "v_cache"))
            for n in past:
                cache_inputs.append(helper.make_tensor_value_info(
                    n, TensorProto.FLOAT, kv_shape_in))
        else:
            g.nodes.append(helper.make_node("Identity", [k], [present[0]],
                                            name=pre + "k_present"))
            g.nodes.append(helper.make_node("Identity", [v], [present[1]],
                                            name=pre + "v_present"))
        for n in present:
            outputs.append(helper.make_tensor_value_info(
                n, TensorProto.FLOAT, kv_shape_out))
        kt = g.node("Transpose", [present[0]], name=pre + "k_t",
                    perm=[0, 1, 3, 2])
        scores = g.node("MatMul", [q, kt], name=pre + "attn_scores")
        scores = g.node("Mul", [scores, scale], name=pre + "attn_scale")
        scores = g.node("Add", [scores, add_mask], name=pre + "attn_mask")
        probs = g.node("Softmax", [scores], name=pre + "attn_softmax",
                       axis=-1)
        ctx = g.node("MatMul", [probs, present[1]], name=pre + "attn_context")
        ctx = g.node("Transpose", [ctx], name=pre + "ctx_heads",
                     perm=[0, 2, 1, 3])
        ctx = g.node("Reshape", [ctx, merge_shape], name=pre + "ctx_merge")
        x = g.node("Add", [x, proj(ctx, "o_proj", (hidden, hidden))],
                   name=pre + "attn_residual")
        n2 = _rms_norm(g, x, hidden, pre + "post_norm")
        gate = proj(n2, "gate_proj", (hidden, intermediate))
        up = proj(n2, "up_proj", (hidden, intermediate))
        sig = g.node("Sigmoid", [gate], name=pre + "silu_sigmoid")
        act = g.node("Mul", [g.node("Mul", [gate, sig], name=pre + "silu"),
                             up], name=pre + "swiglu")
        x = g.node("Add", [x, proj(act, "down_proj", (intermediate, hidden))],
                   name=pre + "mlp_residual")
    x = _rms_norm(g, x, hidden, "final_norm")
    head = g.const("lm_head.weight", (rng.standard_normal((hidden, vocab))
                                      * 0.2).astype(np.float32), weight=True)
    g.nodes.append(helper.make_node("MatMul", [x, head], ["logits"],
                                    name="lm_head"))
    inputs.append(helper.make_tensor_value_info(
        "attention_mask", TensorProto.INT64, [1, total]))
    inputs.append(helper.make_tensor_value_info(
        "position_ids", TensorProto.INT64, [1, s]))
    inputs += cache_inputs
    outputs.insert(0, helper.make_tensor_value_info(
        "logits", TensorProto.FLOAT, [1, s, vocab]))
    graph = helper.make_graph(g.nodes, "tiny_lm_" + mode, inputs, outputs,
                              initializer=g.inits)
    model = helper.make_model(graph, producer_name="bitmod",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model
def _to_bfloat16_bits(a):
    """float32 -> bfloat16 bit patterns (uint16), round to nearest even."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    bits = bits.astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = np.isnan(np.asarray(a, dtype=np.float32))
    rounded = np.where(nan, (bits >> 16) | 0x40, rounded)
    return rounded.astype(np.uint16)


def to_half(model, dtype="float16"):
    """A copy of `model` with every float32 tensor, value type and Cast
    target turned into float16 (or bfloat16): how LLMs are shipped. float32
    constants beyond the float16 range (e.g. -1e9 attention masks) are
    clipped to +-65504 first, as exporters use finfo(float16).min."""
    if dtype not in ("float16", "bfloat16"):
        raise ValueError("dtype must be float16 or bfloat16")
    target = TensorProto.FLOAT16 if dtype == "float16" else TensorProto.BFLOAT16
    m = onnx.ModelProto()
    m.CopyFrom(model)

    def convert(t):
        if t.data_type != TensorProto.FLOAT:
            return
        a = numpy_helper.to_array(t).astype(np.float32)
        if dtype == "float16":
            new = numpy_helper.from_array(
                np.clip(a, -65504, 65504).astype(np.float16), t.name)
        else:
            new = helper.make_tensor(t.name, TensorProto.BFLOAT16, a.shape,
                                     _to_bfloat16_bits(a).tobytes(), raw=True)
        t.CopyFrom(new)

    def retype(values):
        for v in values:
            tt = v.type.tensor_type
            if tt.elem_type == TensorProto.FLOAT:
                tt.elem_type = target

    g = m.graph
    for t in g.initializer:
        convert(t)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                convert(a.t)
            if n.op_type == "Cast" and a.name == "to" and \
                    a.i == TensorProto.FLOAT:
                a.i = target
    retype(g.input)
    retype(g.output)
    retype(g.value_info)
    return m


def llama_decoder_layer_half(dtype="float16", **kwargs):
    """llama_decoder_layer with float16 (or bfloat16) weights and
    activations (to_half); the arguments are llama_decoder_layer's."""
    return to_half(llama_decoder_layer(**kwargs), dtype)


def save(model, path, external=False):
    """Saves `model`; with external=True every tensor goes to
    `<basename>.data` next to the model (relative location)."""
    onnx.checker.check_model(model)
    if external:
        onnx.save_model(model, path, save_as_external_data=True,
                        all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data",
                        size_threshold=0)
    else:
        onnx.save_model(model, path)
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("kind", choices=["decoder", "convnet", "lm-prefill",
                                    "lm-decode"])
    p.add_argument("output")
    p.add_argument("--external", action="store_true")
    p.add_argument("--weights", default="initializer",
                   choices=["initializer", "constant", "external"])
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=128)
    p.add_argument("--seq", type=int, default=8)
    p.add_argument("--no-rope", action="store_true")
    p.add_argument("--dynamic-seq", action="store_true")
    p.add_argument("--context", type=int, default=48,
                   help="lm-decode: cache slots C")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--vocab", type=int, default=256)
    p.add_argument("--past-prefix", default="past_key_values.",
                   help="lm-decode: name the past inputs <prefix>N.key/value")
    p.add_argument("--half", choices=["float16", "bfloat16"],
                   help="float16 or bfloat16 weights and activations")
    a = p.parse_args()
    if a.kind.startswith("lm-"):
        past = [(a.past_prefix + "%d.key" % i, a.past_prefix + "%d.value" % i)
                for i in range(a.layers)]
        m = tiny_lm(a.kind[3:], seq=a.seq, context=a.context, vocab=a.vocab,
                    layers=a.layers, past_names=past)
    elif a.kind == "decoder":
        m = llama_decoder_layer(a.hidden, a.heads, a.intermediate, a.seq,
                                rope=not a.no_rope, dynamic_seq=a.dynamic_seq,
                                weights=("initializer" if a.weights == "external"
                                         else a.weights))
    else:
        m = small_convnet()
    if a.half:
        m = to_half(m, a.half)
    save(m, a.output, external=a.external or a.weights == "external")


if __name__ == "__main__":
    main()
