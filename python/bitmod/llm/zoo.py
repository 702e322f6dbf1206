"""Four small decoder-only LLM families in PyTorch, after Hugging Face.

Each class follows the module structure and parameter names of the
corresponding `transformers` modeling file (LlamaForCausalLM,
GPT2LMHeadModel, OPTForCausalLM, PhiForCausalLM; eager attention), so a
state dict has the same keys and layouts as a Hugging Face checkpoint of
that architecture. The transformers library itself is not used.

Common interface (the Optimum ONNX export convention, docs/llm.md):

    model(input_ids, attention_mask, position_ids, *past)
        -> (logits, present.0.key, present.0.value, present.1.key, ...)

* input_ids, position_ids: int64 [batch, seq]
* attention_mask: int64 [batch, past + seq], 1 = attend, 0 = padding
* past: 2 * num_layers float tensors [batch, kv_heads, past, head_dim]
  (key then value per layer); none for a prefill call
* logits: float [batch, seq, vocab]; present.N.*: the cache with this
  call's keys/values appended, [batch, kv_heads, past + seq, head_dim]

The attention mask is the Hugging Face 4-D additive mask: causal within the
call (queries see every past slot and the keys up to their own position)
combined with the padding mask, masked entries torch.finfo(float32).min.
Weights are initialised like the reference implementations (`_init_weights`
in transformers): N(0, 0.02) for Linear and Embedding weights, zero biases,
LayerNorm/RMSNorm weight one and bias zero; GPT-2 additionally scales its
residual projections (c_proj) by 1/sqrt(2 * n_layer).
"""

import dataclasses
import math
from typing import Optional

import torch
from torch import nn

FAMILIES = ("llama", "gpt2", "opt", "phi")


@dataclasses.dataclass
class ZooConfig:
    """Hyper-parameters shared by the four families (HF config names)."""

    family: str
    vocab_size: int = 256
    hidden_size: int = 128
    intermediate_size: int = 256
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 4
    max_position_embeddings: int = 512
    rope_theta: float = 10000.0
    partial_rotary_factor: float = 1.0
    rms_norm_eps: float = 1e-6
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02
    pad_token_id: Optional[int] = None
    tie_word_embeddings: bool = False

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    def to_dict(self):
        return dataclasses.asdict(self)


def default_config(family):
    """The CI-sized configuration of `family`.

    Every Linear layer's input dimension (K: hidden 128, MLP 256 or 512) is a
    multiple of the quantizer's group size 128.
    """
    if family == "llama":
        # GQA: 4 query heads share 2 key/value heads.
        return ZooConfig("llama", intermediate_size=256, num_key_value_heads=2)
    if family == "gpt2":
        return ZooConfig("gpt2", intermediate_size=512, tie_word_embeddings=True)
    if family == "opt":
        # OPT's pad token is 1 (its Embedding zeroes that row).
        return ZooConfig("opt", intermediate_size=512, pad_token_id=1,
                         tie_word_embeddings=True)
    if family == "phi":
        # Phi-2 rotates 40% of each head; here half of head_dim 32.
        return ZooConfig("phi", intermediate_size=512, partial_rotary_factor=0.5)
    raise ValueError("unknown family '%s' (expected one of %s)" %
                     (family, ", ".join(FAMILIES)))


# --------------------------------------------------------------------------
# Shared pieces (transformers.modeling_attn_mask_utils, activations,
# modeling_llama helpers)


def prepare_4d_causal_attention_mask(attention_mask, query_len, past_len,
                                     dtype=torch.float32):
    """AttentionMaskConverter.to_4d: causal + padding, additive [b,1,q,kv]."""
    min_value = torch.finfo(dtype).min
    batch = attention_mask.shape[0]
    mask = torch.full((query_len, query_len), min_value, dtype=dtype)
    cond = torch.arange(query_len)
    mask.masked_fill_(cond < (cond + 1).view(query_len, 1), 0.0)
    mask = torch.cat([torch.zeros(query_len, past_len, dtype=dtype), mask],
                     dim=-1)
    causal = mask[None, None, :, :].expand(batch, 1, query_len,
                                           query_len + past_len)
    expanded = attention_mask[:, None, None, :].expand(
        batch, 1, query_len, query_len + past_len).to(dtype)
    inverted = 1.0 - expanded
    inverted = inverted.masked_fill(inverted.to(torch.bool), min_value)
    return causal.masked_fill(inverted.to(torch.bool), min_value)


class NewGELUActivation(nn.Module):
    """gelu_new: the tanh approximation used by GPT-2 and Phi."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(
            math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def rotate_half(x):
    x1 = x[..., :x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


def repeat_kv(hidden_states, n_rep):
    """[b, kv_heads, s, d] -> [b, kv_heads * n_rep, s, d] (GQA)."""
    batch, kv_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(
        batch, kv_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, kv_heads * n_rep, slen, head_dim)


class RotaryEmbedding(nn.Module):
    """LlamaRotaryEmbedding: cos/sin of position * inv_freq for `dim`."""

    def __init__(self, dim, base):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids):
        inv_freq = self.inv_freq[None, :, None].expand(
            position_ids.shape[0], -1, 1)
        freqs = (inv_freq @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def eager_attention(query, key, value, mask, scaling, n_rep):
    """softmax(q k^T * scaling + mask) v in float32, then [b, s, h*d]."""
    key = repeat_kv(key, n_rep)
    value = repeat_kv(value, n_rep)
    weights = torch.matmul(query, key.transpose(2, 3)) * scaling + mask
    weights = nn.functional.softmax(weights, dim=-1, dtype=torch.float32)
    out = torch.matmul(weights.to(query.dtype), value)
    out = out.transpose(1, 2).contiguous()
    return out.reshape(out.shape[0], out.shape[1], -1)


def split_heads(x, heads, head_dim):
    """[b, s, heads*d] -> [b, heads, s, d]."""
    return x.view(x.shape[0], x.shape[1], heads, head_dim).transpose(1, 2)


def append_cache(past, key, value):
    if past is None:
        return key, value
    return (torch.cat([past[0], key], dim=2), torch.cat([past[1], value],
                                                         dim=2))


class ZooPreTrainedModel(nn.Module):
    """Shared init and the flat (input_ids, mask, positions, *past) call."""

    def __init__(self, config):
        super().__init__()
        self.config = config

    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, Conv1D)):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, (nn.LayerNorm, RMSNorm)):
            module.weight.data.fill_(1.0)
            if getattr(module, "bias", None) is not None:
                module.bias.data.zero_()

    def post_init(self):
        self.apply(self._init_weights)
        if self.config.tie_word_embeddings:
            self.lm_head.weight = self.get_input_embeddings().weight

    def forward(self, input_ids, attention_mask, position_ids, *past):
        cfg = self.config
        if len(past) not in (0, 2 * cfg.num_hidden_layers):
            raise ValueError("expected 0 or %d past tensors, got %d" %
                             (2 * cfg.num_hidden_layers, len(past)))
        layer_past = [None] * cfg.num_hidden_layers
        past_len = 0
        if past:
            layer_past = [(past[2 * i], past[2 * i + 1])
                          for i in range(cfg.num_hidden_layers)]
            past_len = past[0].shape[2]
        mask = prepare_4d_causal_attention_mask(attention_mask,
                                                input_ids.shape[1], past_len)
        # embed() gives the hidden states and what every layer needs besides
        # them: (cos, sin) for the rotary families, nothing otherwise.
        hidden_states, layer_args = self.embed(input_ids, position_ids)
        out = [None]
        for layer, cache in zip(self.decoder_layers(), layer_past):
            hidden_states, (key, value) = layer(hidden_states, *layer_args,
                                                mask, cache)
            out += [key, value]
        out[0] = self.lm_head(self.final_norm()(hidden_states))
        return tuple(out)


# --------------------------------------------------------------------------
# Llama (transformers/models/llama/modeling_llama.py)


class RMSNorm(nn.Module):
    """LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * weight, in float32."""

    def __init__(self, hidden_size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance +
                                                    self.variance_epsilon)
        return self.weight * hidden_states


class RotaryAttention(nn.Module):
    """q/k/v projections, (partial) rotary embedding, cache and attention:
    what LlamaAttention and PhiAttention share (output projection apart)."""

    def __init__(self, config, bias):
        super().__init__()
        self.config = config
        self.head_dim = config.head_dim
        self.num_heads = config.num_attention_heads
        self.num_key_value_heads = config.num_key_value_heads
        self.num_key_value_groups = self.num_heads // self.num_key_value_heads
        self.rotary_ndims = int(self.head_dim * config.partial_rotary_factor)
        self.scaling = self.head_dim ** -0.5
        h = config.hidden_size
        self.q_proj = nn.Linear(h, self.num_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(h, self.num_key_value_heads * self.head_dim,
                                bias=bias)
        self.v_proj = nn.Linear(h, self.num_key_value_heads * self.head_dim,
                                bias=bias)

    def attend(self, hidden_states, cos, sin, mask, past):
        q = split_heads(self.q_proj(hidden_states), self.num_heads,
                        self.head_dim)
        k = split_heads(self.k_proj(hidden_states), self.num_key_value_heads,
                        self.head_dim)
        v = split_heads(self.v_proj(hidden_states), self.num_key_value_heads,
                        self.head_dim)
        r = self.rotary_ndims
        if r == self.head_dim:
            q, k = apply_rotary_pos_emb(q, k, cos, sin)
        else:
            # Partial rotary (Phi): only the first rotary_ndims rotate.
            q_rot, q_pass = q[..., :r], q[..., r:]
            k_rot, k_pass = k[..., :r], k[..., r:]
            q_rot, k_rot = apply_rotary_pos_emb(q_rot, k_rot, cos, sin)
            q = torch.cat((q_rot, q_pass), dim=-1)
            k = torch.cat((k_rot, k_pass), dim=-1)
        k, v = append_cache(past, k, v)
        out = eager_attention(q, k, v, mask, self.scaling,
                              self.num_key_value_groups)
        return out, (k, v)


class LlamaAttention(RotaryAttention):

    def __init__(self, config):
        super().__init__(config, bias=False)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim,
                                config.hidden_size, bias=False)

    def forward(self, hidden_states, cos, sin, mask, past):
        out, present = self.attend(hidden_states, cos, sin, mask, past)
        return self.o_proj(out), present


class LlamaMLP(nn.Module):

    def __init__(self, config):
        super().__init__()
        h, i = config.hidden_size, config.intermediate_size
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)
        self.act_fn = nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.self_attn = LlamaAttention(config)
        self.mlp = LlamaMLP(config)
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size,
                                                config.rms_norm_eps)

    def forward(self, hidden_states, cos, sin, mask, past):
        residual = hidden_states
        hidden_states, present = self.self_attn(
            self.input_layernorm(hidden_states), cos, sin, mask, past)
        hidden_states = residual + hidden_states
        residual = hidden_states
        hidden_states = self.mlp(self.post_attention_layernorm(hidden_states))
        return residual + hidden_states, present


class LlamaModel(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size,
                                         config.pad_token_id)
        self.layers = nn.ModuleList(
            [LlamaDecoderLayer(config) for _ in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(config.head_dim, config.rope_theta)


class RotaryCausalLM(ZooPreTrainedModel):
    """Llama and Phi: `model` holds embed_tokens, layers and rotary_emb."""

    def __init__(self, config, inner_class, head_bias):
        super().__init__(config)
        self.model = inner_class(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size,
                                 bias=head_bias)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.embed_tokens

    def embed(self, input_ids, position_ids):
        return (self.model.embed_tokens(input_ids),
                self.model.rotary_emb(position_ids))

    def decoder_layers(self):
        return self.model.layers


class LlamaForCausalLM(RotaryCausalLM):

    def __init__(self, config):
        super().__init__(config, LlamaModel, head_bias=False)

    def final_norm(self):
        return self.model.norm


# --------------------------------------------------------------------------
# GPT-2 (transformers/models/gpt2/modeling_gpt2.py)


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: a Linear with weight [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class GPT2Attention(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = config.head_dim
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)

    def forward(self, hidden_states, mask, past):
        q, k, v = self.c_attn(hidden_states).split(self.embed_dim, dim=2)
        q = split_heads(q, self.num_heads, self.head_dim)
        k = split_heads(k, self.num_heads, self.head_dim)
        v = split_heads(v, self.num_heads, self.head_dim)
        k, v = append_cache(past, k, v)
        out = eager_attention(q, k, v, mask, self.head_dim ** -0.5, 1)
        return self.c_proj(out), (k, v)


class GPT2MLP(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.c_fc = Conv1D(config.intermediate_size, config.hidden_size)
        self.c_proj = Conv1D(config.hidden_size, config.intermediate_size)
        self.act = NewGELUActivation()

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class GPT2Block(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attn = GPT2Attention(config)
        self.ln_2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = GPT2MLP(config)

    def forward(self, hidden_states, mask, past):
        attn_out, present = self.attn(self.ln_1(hidden_states), mask, past)
        hidden_states = attn_out + hidden_states
        hidden_states = hidden_states + self.mlp(self.ln_2(hidden_states))
        return hidden_states, present


class GPT2Model(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.hidden_size)
        self.wpe = nn.Embedding(config.max_position_embeddings,
                                config.hidden_size)
        self.h = nn.ModuleList(
            [GPT2Block(config) for _ in range(config.num_hidden_layers)])
        self.ln_f = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


class GPT2LMHeadModel(ZooPreTrainedModel):

    def __init__(self, config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size,
                                 bias=False)
        self.post_init()
        # GPT-2 paper: residual projections scaled by 1/sqrt(2 * n_layer).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                p.data.normal_(mean=0.0, std=config.initializer_range /
                               math.sqrt(2 * config.num_hidden_layers))

    def get_input_embeddings(self):
        return self.transformer.wte

    def embed(self, input_ids, position_ids):
        t = self.transformer
        return t.wte(input_ids) + t.wpe(position_ids), ()

    def decoder_layers(self):
        return self.transformer.h

    def final_norm(self):
        return self.transformer.ln_f


# --------------------------------------------------------------------------
# OPT (transformers/models/opt/modeling_opt.py; do_layer_norm_before=True)


class OPTLearnedPositionalEmbedding(nn.Embedding):
    """Position embeddings with OPT's offset of 2 rows."""

    def __init__(self, num_embeddings, embedding_dim):
        self.offset = 2
        super().__init__(num_embeddings + self.offset, embedding_dim)

    def forward(self, position_ids):
        return super().forward(position_ids + self.offset)


class OPTAttention(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = config.head_dim
        self.scaling = self.head_dim ** -0.5
        e = self.embed_dim
        self.k_proj = nn.Linear(e, e, bias=True)
        self.v_proj = nn.Linear(e, e, bias=True)
        self.q_proj = nn.Linear(e, e, bias=True)
        self.out_proj = nn.Linear(e, e, bias=True)

    def forward(self, hidden_states, mask, past):
        # OPT scales the query projection before the product.
        q = split_heads(self.q_proj(hidden_states) * self.scaling,
                        self.num_heads, self.head_dim)
        k = split_heads(self.k_proj(hidden_states), self.num_heads,
                        self.head_dim)
        v = split_heads(self.v_proj(hidden_states), self.num_heads,
                        self.head_dim)
        k, v = append_cache(past, k, v)
        out = eager_attention(q, k, v, mask, 1.0, 1)
        return self.out_proj(out), (k, v)


class OPTDecoderLayer(nn.Module):

    def __init__(self, config):
        super().__init__()
        e = config.hidden_size
        self.self_attn = OPTAttention(config)
        self.activation_fn = nn.ReLU()
        self.self_attn_layer_norm = nn.LayerNorm(e)
        self.fc1 = nn.Linear(e, config.intermediate_size, bias=True)
        self.fc2 = nn.Linear(config.intermediate_size, e, bias=True)
        self.final_layer_norm = nn.LayerNorm(e)

    def forward(self, hidden_states, mask, past):
        residual = hidden_states
        hidden_states, present = self.self_attn(
            self.self_attn_layer_norm(hidden_states), mask, past)
        hidden_states = residual + hidden_states
        residual = hidden_states
        hidden_states = self.fc2(self.activation_fn(self.fc1(
            self.final_layer_norm(hidden_states))))
        return residual + hidden_states, present


class OPTDecoder(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size,
                                         config.pad_token_id)
        self.embed_positions = OPTLearnedPositionalEmbedding(
            config.max_position_embeddings, config.hidden_size)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size)
        self.layers = nn.ModuleList(
            [OPTDecoderLayer(config) for _ in range(config.num_hidden_layers)])


class OPTModel(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.decoder = OPTDecoder(config)


class OPTForCausalLM(ZooPreTrainedModel):

    def __init__(self, config):
        super().__init__(config)
        self.model = OPTModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size,
                                 bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.decoder.embed_tokens

    def embed(self, input_ids, position_ids):
        d = self.model.decoder
        return d.embed_tokens(input_ids) + d.embed_positions(position_ids), ()

    def decoder_layers(self):
        return self.model.decoder.layers

    def final_norm(self):
        return self.model.decoder.final_layer_norm


# --------------------------------------------------------------------------
# Phi-2 (transformers/models/phi/modeling_phi.py)


class PhiAttention(RotaryAttention):

    def __init__(self, config):
        super().__init__(config, bias=True)
        self.dense = nn.Linear(self.num_heads * self.head_dim,
                               config.hidden_size, bias=True)

    def forward(self, hidden_states, cos, sin, mask, past):
        out, present = self.attend(hidden_states, cos, sin, mask, past)
        return self.dense(out), present


class PhiMLP(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.activation_fn = NewGELUActivation()
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)

    def forward(self, x):
        return self.fc2(self.activation_fn(self.fc1(x)))


class PhiDecoderLayer(nn.Module):
    """Parallel block: attention and MLP read the same LayerNorm output."""

    def __init__(self, config):
        super().__init__()
        self.self_attn = PhiAttention(config)
        self.mlp = PhiMLP(config)
        self.input_layernorm = nn.LayerNorm(config.hidden_size,
                                            eps=config.layer_norm_eps)

    def forward(self, hidden_states, cos, sin, mask, past):
        residual = hidden_states
        hidden_states = self.input_layernorm(hidden_states)
        attn_out, present = self.self_attn(hidden_states, cos, sin, mask, past)
        return attn_out + self.mlp(hidden_states) + residual, present


class PhiModel(nn.Module):

    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(
            [PhiDecoderLayer(config) for _ in range(config.num_hidden_layers)])
        self.final_layernorm = nn.LayerNorm(config.hidden_size,
                                            eps=config.layer_norm_eps)
        rotary_dim = int(config.head_dim * config.partial_rotary_factor)
        self.rotary_emb = RotaryEmbedding(rotary_dim, config.rope_theta)


class PhiForCausalLM(RotaryCausalLM):

    def __init__(self, config):
        super().__init__(config, PhiModel, head_bias=True)

    def final_norm(self):
        return self.model.final_layernorm


# --------------------------------------------------------------------------

_CLASSES = {
    "llama": LlamaForCausalLM,
    "gpt2": GPT2LMHeadModel,
    "opt": OPTForCausalLM,
    "phi": PhiForCausalLM,
}


def build(family, config=None, seed=0):
    """A freshly initialised model of `family` (deterministic for `seed`)."""
    config = config or default_config(family)
    torch.manual_seed(seed)
    model = _CLASSES[family](config)
    return model.eval()


def load_weights(model, path):
    """Loads a .npz/.pt state dict (names as in model.state_dict())."""
    if path.endswith(".npz"):
        import numpy as np
        with np.load(path) as f:
            state = {k: torch.from_numpy(f[k].astype(np.float32))
                     for k in f.files}
    else:
        state = torch.load(path, map_location="cpu")
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = {"lm_head.weight"} if model.config.tie_word_embeddings else set()
    missing = [m for m in missing if m not in tied]
    if missing or unexpected:
        raise ValueError("weights '%s' do not fit %s: missing %s, unexpected %s"
                         % (path, model.config.family, missing, unexpected))
    return model
