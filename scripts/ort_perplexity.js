#!/usr/bin/env node
// Sliding-window perplexity of a token stream with ONNX Runtime (CPU) on a
// prefill graph (docs/llm.md "Perplexity definition").
//
//   node scripts/ort_perplexity.js model.onnx --tokens tokens.npy \
//       [--window T] [--stride S] [--pad-token ID]
//
// tokens.npy: int64 [N] or [1, N]. Windows start at 0, S, 2S, ... and hold
// tokens[b, min(b + T, N)), right-padded to T (pad token, attention_mask 0);
// position_ids are 0..T-1; a window scores the targets after the previous
// window's end (and never its own first token), so with S < T every token
// but the first is scored once. The last window is the first that reaches
// N. Per target: nll = m + log(sum_v exp(x_v - m)) - x_target in float64,
// m = max_v x_v, the sum in vocabulary order; nll_sum adds them in stream
// order. T defaults to the model's fixed sequence length, S to T / 2.
// Prints JSON {tokens_scored, nll (mean, nats), ppl = exp(nll), nll_sum,
// windows, window, stride}. Exit code 2 when onnxruntime-node is not
// installed, 1 on other errors.
'use strict';

const {
  checkTokens,
  fail,
  fixedDim,
  halfToFloat,
  loadOrt,
  parseOptions,
  readNpy,
  setProgram
} = require('./ort_common');

setProgram('ort_perplexity');

const USAGE = 'usage: node ort_perplexity.js model.onnx --tokens t.npy ' +
    '[--window T] [--stride S] [--pad-token ID]\n';

function parseArgs(argv) {
  const opts =
      {model: null, tokens: null, window: null, stride: null, padToken: '0'};
  const names = {
    '--tokens': 'tokens',
    '--window': 'window',
    '--stride': 'stride',
    '--pad-token': 'padToken'
  };
  const parsed = parseOptions(argv, names, USAGE);
  Object.assign(opts, parsed.opts);
  if (parsed.positional.length > 1)
    fail(`unexpected argument '${parsed.positional[1]}'`);
  opts.model = parsed.positional[0] || null;
  if (!opts.model) fail(`no model given\n${USAGE}`);
  if (!opts.tokens) fail(`missing --tokens\n${USAGE}`);
  return opts;
}

function positiveInt(text, what) {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) fail(`${what} must be a positive integer`);
  return v;
}

// -log softmax(logits[pos])[target] in float64 (documented summation order).
function tokenNll(logits, pos, target) {
  const vocab = Number(logits.dims[2]);
  const base = pos * vocab;
  const half = logits.type === 'float16';
  const x = new Float64Array(vocab);
  for (let v = 0; v < vocab; ++v)
    x[v] = half ? halfToFloat(logits.data[base + v]) : logits.data[base + v];
  let m = -Infinity;
  for (let v = 0; v < vocab; ++v)
    if (x[v] > m) m = x[v];
  let s = 0;
  for (let v = 0; v < vocab; ++v) s += Math.exp(x[v] - m);
  return m + Math.log(s) - x[target];
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const stream = readNpy(opts.tokens);
  if (stream.type !== 'int64') fail(`tokens '${opts.tokens}' must be int64`);
  if (stream.dims.length > 2 ||
      (stream.dims.length === 2 && stream.dims[0] !== 1))
    fail(`tokens must be [N] or [1, N], got [${stream.dims}]`);
  const tokens = Array.from(stream.data, Number);
  const n = tokens.length;
  if (n < 2) fail(`need at least 2 tokens, got ${n}`);
  const padToken = Number(opts.padToken);

  const ort = loadOrt();
  let session;
  try {
    session = await ort.InferenceSession.create(opts.model);
  } catch (e) {
    fail(`cannot load model '${opts.model}': ${e.message}`);
  }
  for (const name of ['input_ids', 'attention_mask', 'position_ids'])
    if (!session.inputNames.includes(name))
      fail(`model has no input '${name}' (a prefill graph is needed)`);
  if (session.inputNames.length !== 3)
    fail(
        'model has inputs besides input_ids, attention_mask, position_ids ' +
        '(a prefill graph is needed)');
  const outName = session.outputNames.includes('logits') ?
      'logits' :
      session.outputNames[0];
  const fixed = fixedDim(session.inputMetadata, 'input_ids', 1);
  const vocab = fixedDim(session.outputMetadata, outName, 2);
  checkTokens(tokens, vocab);
  const window = opts.window ? positiveInt(opts.window, '--window') : fixed;
  if (!window)
    fail('--window is needed for a model with a dynamic sequence axis');
  if (fixed !== null && window !== fixed)
    fail(
        `--window ${window} differs from the model's sequence length ${fixed}`);
  if (window < 2) fail('--window must be at least 2');
  const stride = opts.stride ? positiveInt(opts.stride, '--stride') :
                               Math.max(1, Math.floor(window / 2));
  if (stride > window)
    fail(`--stride ${stride} is larger than --window ${window}`);

  let nllSum = 0;
  let scored = 0;
  let windows = 0;
  let prevEnd = 0;
  for (let begin = 0; begin < n; begin += stride) {
    const end = Math.min(begin + window, n);
    const ids = new BigInt64Array(window).fill(BigInt(padToken));
    const mask = new BigInt64Array(window);
    const positions = new BigInt64Array(window);
    for (let t = 0; t < window; ++t) {
      positions[t] = BigInt(t);
      if (begin + t < end) {
        ids[t] = BigInt(tokens[begin + t]);
        mask[t] = 1n;
      }
    }
    let result;
    try {
      result = await session.run({
        input_ids: new ort.Tensor('int64', ids, [1, window]),
        attention_mask: new ort.Tensor('int64', mask, [1, window]),
        position_ids: new ort.Tensor('int64', positions, [1, window]),
      });
    } catch (e) {
      fail(`window at ${begin}: inference failed: ${e.message}`);
    }
    const logits = result[outName];
    if (windows++ === 0 && vocab === null)
      checkTokens(tokens, Number(logits.dims[2]));
    for (let j = Math.max(prevEnd, begin + 1); j < end; ++j) {
      nllSum += tokenNll(logits, j - 1 - begin, tokens[j]);
      ++scored;
    }
    prevEnd = end;
    if (end === n) break;
  }
  const nll = nllSum / scored;
  process.stdout.write(JSON.stringify({
    tokens_scored: scored,
    nll,
    ppl: Math.exp(nll),
    nll_sum: nllSum,
    windows,
    window,
    stride,
  }) + '\n');
}

main().catch((e) => fail(e.stack || String(e)));
