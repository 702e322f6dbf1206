"""PyTorch references for generation and perplexity (docs/llm.md).

`greedy_generate` and `perplexity` are what scripts/ort_generate.js and
scripts/ort_perplexity.js compute through ONNX Runtime, written against the
zoo models' flat call (input_ids, attention_mask, position_ids, *past).
"""

import math

import numpy as np


def perplexity_windows(num_tokens, window, stride):
    """The sliding windows of docs/llm.md "Perplexity definition".

    Yields (begin, end, first): the window is tokens[begin:end] (padded on
    the right to `window`), and it scores targets first..end-1, target j
    from the logits row j - 1 - begin. Every target after the first token
    is scored once when stride < window; with stride == window the first
    token of each window is not scored (as in the Hugging Face recipe).
    """
    if window < 2 or not 1 <= stride <= window:
        raise ValueError("need window >= 2 and 1 <= stride <= window "
                         "(window %d, stride %d)" % (window, stride))
    if num_tokens < 2:
        raise ValueError("need at least 2 tokens, got %d" % num_tokens)
    prev_end = 0
    for begin in range(0, num_tokens, stride):
        end = min(begin + window, num_tokens)
        yield begin, end, max(prev_end, begin + 1)
        prev_end = end
        if end == num_tokens:
            break


def token_nll(row, target):
    """-log softmax(row)[target] in float64, the documented summation:
    m = max(row); s = sum_v exp(row_v - m) in index order;
    nll = m + log(s) - row[target]."""
    row = np.asarray(row, dtype=np.float64)
    m = row.max()
    s = 0.0
    for v in np.exp(row - m):
        s += v
    return m + math.log(s) - row[target]


def window_inputs(tokens, begin, end, window, pad_token=0):
    """input_ids, attention_mask, position_ids [1, window] for one window."""
    n = end - begin
    ids = np.full((1, window), pad_token, dtype=np.int64)
    ids[0, :n] = tokens[begin:end]
    mask = np.zeros((1, window), dtype=np.int64)
    mask[0, :n] = 1
    positions = np.arange(window, dtype=np.int64)[None]
    return ids, mask, positions


def perplexity(logits_fn, tokens, window, stride):
    """{tokens_scored, nll, ppl, nll_sum, windows} of `tokens` (int64 [N]);
    logits_fn(ids, mask, positions) -> float logits [1, window, vocab]."""
    tokens = np.asarray(tokens, dtype=np.int64).reshape(-1)
    nll_sum, scored, windows = 0.0, 0, 0
    for begin, end, first in perplexity_windows(len(tokens), window, stride):
        logits = np.asarray(logits_fn(*window_inputs(tokens, begin, end,
                                                     window)))
        windows += 1
        for j in range(first, end):
            nll_sum += token_nll(logits[0, j - 1 - begin], tokens[j])
            scored += 1
    nll = nll_sum / scored
    return {"tokens_scored": scored, "nll": nll, "ppl": math.exp(nll),
            "nll_sum": nll_sum, "windows": windows}


def torch_logits_fn(model):
    """logits_fn for `perplexity` running a zoo model in PyTorch."""
    import torch

    def run(ids, mask, positions):
        with torch.no_grad():
            return model(torch.from_numpy(ids), torch.from_numpy(mask),
                         torch.from_numpy(positions))[0].numpy()
    return run


def greedy_generate(model, prompt, steps):
    """Greedy tokens after `prompt` (int64 [B, L]): one prefill, then
    steps - 1 decode calls growing the cache; returns int64 [B, steps].
    Ties go to the lowest token id."""
    import torch
    prompt = torch.as_tensor(np.asarray(prompt, dtype=np.int64))
    batch, length = prompt.shape
    mask = torch.ones(batch, length, dtype=torch.int64)
    positions = torch.arange(length)[None].expand(batch, length)
    out = []
    with torch.no_grad():
        result = model(prompt, mask, positions)
        for step in range(steps):
            token = _argmax_first(result[0][:, -1])
            out.append(token)
            if step == steps - 1:
                break
            mask = torch.cat([mask, torch.ones(batch, 1, dtype=torch.int64)],
                             dim=1)
            positions = torch.full((batch, 1), length + step,
                                   dtype=torch.int64)
            result = model(token[:, None], mask, positions, *result[1:])
    return torch.stack(out, dim=1).numpy()


def _argmax_first(logits):
    import torch
    best = logits.max(dim=-1, keepdim=True).values
    idx = torch.arange(logits.shape[-1]).expand_as(logits)
    return torch.where(logits == best, idx, logits.shape[-1]).min(dim=-1).values
