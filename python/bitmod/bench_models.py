"""LLM shape table and workload generation for the paper benchmark.

The paper's evaluation (HPCA 2025, section V; /work/shared/REFERENCE.md) runs
six decoder-only LLMs at batch 1. This module holds their true shapes and
turns them into the inputs of the real tool flow:

* ``linear_workload_mlir``: an MLIR module of ``bitmod.linear`` ops (the IR
  ``bitmod-translate --import-onnx`` produces for MatMuls with constant
  weights) for the linear layers of one decoder layer, or the LM head, at one
  or more token counts. Weights are splat constants (``dense<0.01>``): the
  timing-only simulation does not read weight values, the quantizer still
  runs on them, and the IR stays a few hundred bytes instead of gigabytes.
  Quantization error is measured separately on small Gaussian and
  heavy-tailed matrices (bench/paper/run.py, Fig. 9).
* ``attention_gemms``: the activation x activation matmuls of attention
  (QK^T and PV, FP16 on both sides) as GEMM records for
  ``bitmod-sim --estimate``. With grouped-query attention the query heads of
  one KV head share its K/V, so one GEMM per KV head carries
  ``tokens * heads / kv_heads`` query rows.
* ``geomean`` and the scenario arithmetic used for results.json.

GEMM convention (docs/simulator.md): ``Y[M, N] = X[M, K] W[N, K]^T``,
M tokens, N output channels, K reduction.
"""

import math
from dataclasses import dataclass

#: Tokens of the prompt (discriminative and generative) and of the output.
PROMPT_TOKENS = 256
OUTPUT_TOKENS = 256
#: Decode steps of the paper's generative bars (cost(prefill) + 20 x decode).
PAPER_DECODE_STEPS = 20


@dataclass(frozen=True)
class ModelShape:
    """Shapes of a decoder-only transformer.

    ``mlp`` is ``"gelu"`` (two matrices: fc1 hidden->ffn, fc2 ffn->hidden,
    OPT and Phi-2) or ``"swiglu"`` (three: gate, up, down; Llama, Yi).
    ``key`` is the paper-model name bitmod-sim's ``--model`` takes for the
    baselines' per-model generative widths (None: discriminative widths).
    """

    name: str
    key: str
    hidden: int
    ffn: int
    heads: int
    kv_heads: int
    layers: int
    vocab: int
    mlp: str

    def __post_init__(self):
        if self.mlp not in ("gelu", "swiglu"):
            raise ValueError("mlp must be 'gelu' or 'swiglu', got %r" % self.mlp)
        for f in ("hidden", "ffn", "heads", "kv_heads", "layers", "vocab"):
            if getattr(self, f) <= 0:
                raise ValueError("%s: %s must be positive" % (self.name, f))
        if self.hidden % self.heads:
            raise ValueError("%s: hidden must be a multiple of heads" % self.name)
        if self.heads % self.kv_heads:
            raise ValueError("%s: heads must be a multiple of kv_heads"
                             % self.name)

    @property
    def head_dim(self):
        return self.hidden // self.heads

    @property
    def group(self):
        """Query heads per KV head (1 without GQA)."""
        return self.heads // self.kv_heads

    def linear_layers(self):
        """(name, N, K) of the weight matmuls of one decoder layer."""
        kv = self.kv_heads * self.head_dim
        h = self.hidden
        layers = [("q_proj", h, h), ("k_proj", kv, h), ("v_proj", kv, h),
                  ("o_proj", h, h)]
        if self.mlp == "gelu":
            layers += [("fc1", self.ffn, h), ("fc2", h, self.ffn)]
        else:
            layers += [("gate_proj", self.ffn, h), ("up_proj", self.ffn, h),
                       ("down_proj", h, self.ffn)]
        return layers

    def lm_head(self):
        return [("lm_head", self.vocab, self.hidden)]

    def weight_count(self):
        """Parameters of the linear layers (all layers + LM head)."""
        per_layer = sum(n * k for _, n, k in self.linear_layers())
        return per_layer * self.layers + self.vocab * self.hidden


#: The paper's six models (HF configs of the public checkpoints).
PAPER_MODELS = [
    ModelShape("OPT-1.3B", "opt-1.3b", 2048, 8192, 32, 32, 24, 50272, "gelu"),
    ModelShape("Phi-2", "phi-2", 2560, 10240, 32, 32, 32, 51200, "gelu"),
    ModelShape("Yi-6B", "yi-6b", 4096, 11008, 32, 4, 32, 64000, "swiglu"),
    ModelShape("Llama-2-7B", "llama-2-7b", 4096, 11008, 32, 32, 32, 32000,
               "swiglu"),
    ModelShape("Llama-2-13B", "llama-2-13b", 5120, 13824, 40, 40, 40, 32000,
               "swiglu"),
    ModelShape("Llama-3-8B", "llama-3-8b", 4096, 14336, 32, 8, 32, 128256,
               "swiglu"),
]

#: A small model for --quick and the tests (GQA, SwiGLU, no paper widths).
TINY_MODEL = ModelShape("Tiny-GQA", None, 256, 512, 4, 2, 2, 1000, "swiglu")


def get_model(name):
    """Looks a model up by display name or paper key (case-insensitive)."""
    for m in PAPER_MODELS + [TINY_MODEL]:
        if name.lower() in (m.name.lower(), (m.key or "").lower()):
            return m
    raise KeyError("unknown model %r (known: %s)" % (
        name, ", ".join(m.name for m in PAPER_MODELS + [TINY_MODEL])))


def launch_name(layer, tokens):
    """Launch name of a linear layer at a token count ("q_proj.m256")."""
    return "%s.m%d" % (layer, tokens)


def linear_workload_mlir(layers, token_counts, splat=0.01, func="workload"):
    """MLIR text with one ``bitmod.linear`` per (layer, token count).

    ``layers``: (name, N, K) triples. Each layer has one splat weight
    constant shared by its token counts; each (token count, K) pair has one
    function argument (the activation the host would produce).
    """
    if not layers or not token_counts:
        raise ValueError("need at least one layer and one token count")
    args, arg_index = [], {}
    for m in token_counts:
        for _, _, k in layers:
            if (m, k) not in arg_index:
                arg_index[(m, k)] = len(args)
                args.append("%%x%d: tensor<%dx%dxf32>" % (len(args), m, k))
    body, results = [], []
    for i, (name, n, k) in enumerate(layers):
        body.append("  %%w%d = arith.constant dense<%r> : tensor<%dx%dxf32>"
                    % (i, float(splat), n, k))
        for m in token_counts:
            y = "%%y%d_%d" % (i, m)
            body.append(
                '  %s = bitmod.linear %%x%d, %%w%d {name = "%s"} : '
                "tensor<%dx%dxf32>, tensor<%dx%dxf32> -> tensor<%dx%dxf32>"
                % (y, arg_index[(m, k)], i, launch_name(name, m), m, k, n, k,
                   m, n))
            results.append((y, "tensor<%dx%dxf32>" % (m, n)))
    return "\n".join(
        ["func.func @%s(%s) -> (%s) {" % (
            func, ", ".join(args), ", ".join(t for _, t in results))]
        + body
        + ["  return %s : %s" % (", ".join(v for v, _ in results),
                                 ", ".join(t for _, t in results)), "}", ""])


def attention_gemms(model, q_tokens, context, tag=""):
    """QK^T and PV of one decoder layer as ``bitmod-sim --estimate`` records.

    Per KV head: scores S[q*g, ctx] = Q[q*g, d] K[ctx, d]^T and context
    O[q*g, d] = P[q*g, ctx] V^T[d, ctx]^T, with g query heads per KV head.
    The "weight" side (K, V) is the runtime activation (``attention``).
    All ``context`` keys are computed (no causal skipping, as a dense
    accelerator does).
    """
    if q_tokens <= 0 or context <= 0:
        raise ValueError("q_tokens and context must be positive")
    m = q_tokens * model.group
    return [
        {"name": "qk%s" % tag, "m": m, "n": context, "k": model.head_dim,
         "count": model.kv_heads, "attention": True},
        {"name": "pv%s" % tag, "m": m, "n": model.head_dim, "k": context,
         "count": model.kv_heads, "attention": True},
    ]


def decode_contexts(prompt=PROMPT_TOKENS, output=OUTPUT_TOKENS):
    """Context lengths of the decode steps of a prompt:output run.

    The prefill produces the first output token; each of the remaining
    ``output - 1`` steps feeds one token and attends to the cache plus
    itself: contexts prompt+1 .. prompt+output-1.
    """
    return list(range(prompt + 1, prompt + output))


def geomean(values):
    """Geometric mean of positive numbers (error on empty or non-positive)."""
    values = list(values)
    if not values:
        raise ValueError("geomean of an empty list")
    if any(not (v > 0) for v in values):
        raise ValueError("geomean needs positive values, got %r" % (values,))
    return math.exp(sum(math.log(v) for v in values) / len(values))


def combine(parts):
    """Sums (weight, {"cycles", "energy_pj": {component: pJ}}) pairs."""
    out = {"cycles": 0.0, "energy_pj": {}}
    for weight, cost in parts:
        out["cycles"] += weight * cost["cycles"]
        for comp, pj in cost["energy_pj"].items():
            out["energy_pj"][comp] = out["energy_pj"].get(comp, 0.0) + \
                weight * pj
    return out
