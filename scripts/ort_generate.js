#!/usr/bin/env node
// Greedy generation with ONNX Runtime (CPU) from a prefill graph and a
// decode-with-past graph (Optimum naming, docs/llm.md "ONNX Runtime
// references").
//
//   node scripts/ort_generate.js --prefill P.onnx --decode D.onnx \
//       --prompt prompt.npy --steps N -o generated.npy [--cache MODE]
//
// prompt.npy: int64 token ids [L] or [B, L]. Writes int64 [B, N]: the N
// generated tokens (the first from the prefill logits, then one per decode
// step, argmax with ties to the lowest id); prints a JSON summary.
// --logits L.npy also writes the float32 logits each token was chosen from,
// [B, N, vocab].
//
// Prefill: a prefill graph with a fixed sequence length T > L gets the
// prompt left-padded (token --pad-token, attention_mask 0, position_ids 1
// on pads, 0..L-1 on the prompt, as Hugging Face does).
// --cache growing: the decode graph has a dynamic past axis; each step feeds
//   present.N.* back as past_key_values.N.* and the mask grows by one.
// --cache sliding: the decode graph has a fixed past length C (mask length
//   C + 1). The prefill cache is right-aligned in C slots, empty left slots
//   zero with attention_mask 0; after each step the next past is
//   present[:, :, 1:, :] and the mask shifts left by one. Identical to
//   growing while the context fits (L + N - 2 <= C), a sliding window after.
// Default: sliding when the decode graph's past axis is fixed, else growing.
// Exit code 2 when onnxruntime-node is not installed, 1 on other errors.
'use strict';

const {
  checkTokens,
  fail,
  fixedDim,
  halfToFloat,
  loadOrt,
  parseOptions,
  readNpy,
  setProgram,
  writeNpy
} = require('./ort_common');

setProgram('ort_generate');

const USAGE = 'usage: node ort_generate.js --prefill P.onnx --decode D.onnx ' +
    '--prompt prompt.npy --steps N -o out.npy [--cache growing|sliding] ' +
    '[--pad-token ID] [--logits L.npy]\n';

function parseArgs(argv) {
  const opts = {cache: null, padToken: 0};
  const names = {
    '--prefill': 'prefill',
    '--decode': 'decode',
    '--prompt': 'prompt',
    '--steps': 'steps',
    '-o': 'output',
    '--output': 'output',
    '--cache': 'cache',
    '--pad-token': 'padToken',
    '--logits': 'logits'
  };
  const parsed = parseOptions(argv, names, USAGE);
  if (parsed.positional.length)
    fail(`unexpected argument '${parsed.positional[0]}'`);
  Object.assign(opts, parsed.opts);
  for (const k of ['prefill', 'decode', 'prompt', 'steps', 'output'])
    if (opts[k] === undefined) fail(`missing --${k}\n${USAGE}`);
  opts.steps = Number(opts.steps);
  if (!Number.isInteger(opts.steps) || opts.steps < 1)
    fail(`--steps must be a positive integer`);
  opts.padToken = Number(opts.padToken);
  if (opts.cache !== null && opts.cache !== 'growing' &&
      opts.cache !== 'sliding')
    fail(`--cache must be growing or sliding, not '${opts.cache}'`);
  return opts;
}

async function createSession(ort, file) {
  try {
    return await ort.InferenceSession.create(file);
  } catch (e) {
    fail(`cannot load model '${file}': ${e.message}`);
  }
}

// past_key_values.N.key/value -> present.N.key/value, checked both ways.
function cachePairs(session) {
  const pairs = [];
  for (const name of session.inputNames) {
    const m = /^past_key_values\.(\d+)\.(key|value)$/.exec(name);
    if (!m) continue;
    const out = `present.${m[1]}.${m[2]}`;
    if (!session.outputNames.includes(out))
      fail(`decode model input '${name}' has no output '${out}'`);
    pairs.push([name, out]);
  }
  if (!pairs.length) fail('decode model has no past_key_values.N.* inputs');
  for (const out of session.outputNames) {
    const m = /^present\.(\d+)\.(key|value)$/.exec(out);
    if (m && !pairs.some((p) => p[1] === out))
      fail(
          `decode model output '${out}' has no input ` +
          `'past_key_values.${m[1]}.${m[2]}'`);
  }
  return pairs;
}

function int64Tensor(ort, values, dims) {
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
}

// The logits row of batch row `row` at sequence position `pos` (float32).
function logitsAt(logits, row, pos) {
  const [, seq, vocab] = logits.dims.map(Number);
  const base = (row * seq + pos) * vocab;
  const values = new Float32Array(vocab);
  for (let v = 0; v < vocab; ++v) {
    const x = logits.data[base + v];
    values[v] = logits.type === 'float16' ? halfToFloat(x) : x;
  }
  return values;
}

// argmax, ties to the lowest id.
function argmax(values) {
  let best = 0;
  for (let v = 1; v < values.length; ++v)
    if (values[v] > values[best]) best = v;
  return best;
}

async function run(session, feeds, what) {
  try {
    return await session.run(feeds);
  } catch (e) {
    fail(`${what} failed: ${e.message}`);
  }
}

// [B, H, S, D] tensor -> a new [B, H, slots, D] tensor holding the `count`
// source rows from row `from` at rows dst..dst+count-1, zeros elsewhere.
function copyRows(ort, src, from, count, slots, dst) {
  const [b, h, s, d] = src.dims.map(Number);
  const out = new src.data.constructor(b * h * slots * d);
  for (let bh = 0; bh < b * h; ++bh)
    out.set(
        src.data.subarray((bh * s + from) * d, (bh * s + from + count) * d),
        (bh * slots + dst) * d);
  return new ort.Tensor(src.type, out, [b, h, slots, d]);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const prompt = readNpy(opts.prompt);
  if (prompt.type !== 'int64') fail(`prompt '${opts.prompt}' must be int64`);
  const dims = prompt.dims.length === 1 ? [1, prompt.dims[0]] : prompt.dims;
  if (dims.length !== 2 || dims[1] < 1)
    fail(`prompt must be [L] or [B, L] with L >= 1, got [${prompt.dims}]`);
  const [batch, length] = dims;
  const ort = loadOrt();
  const prefill = await createSession(ort, opts.prefill);
  const decode = await createSession(ort, opts.decode);
  const pairs = cachePairs(decode);
  const decodeSeq = fixedDim(decode.inputMetadata, 'input_ids', 1);
  if (decodeSeq !== null && decodeSeq !== 1)
    fail(
        `the decode model takes ${decodeSeq} tokens per step; ` +
        `generation needs 1`);
  checkTokens(
      Array.from(prompt.data, Number),
      fixedDim(prefill.outputMetadata, 'logits', 2));

  // Prefill, left-padded to a fixed sequence length.
  const seq = fixedDim(prefill.inputMetadata, 'input_ids', 1) || length;
  if (length > seq)
    fail(
        `prompt of ${length} tokens is longer than the prefill model's ` +
        `sequence length ${seq}`);
  const pad = seq - length;
  const ids = [];
  const mask = [];
  const positions = [];
  for (let b = 0; b < batch; ++b)
    for (let t = 0; t < seq; ++t) {
      const real = t >= pad;
      ids.push(
          real ? Number(prompt.data[b * length + t - pad]) : opts.padToken);
      mask.push(real ? 1 : 0);
      positions.push(real ? t - pad : 1);
    }
  let result = await run(
      prefill, {
        input_ids: int64Tensor(ort, ids, [batch, seq]),
        attention_mask: int64Tensor(ort, mask, [batch, seq]),
        position_ids: int64Tensor(ort, positions, [batch, seq]),
      },
      'prefill');
  for (const [, out] of pairs)
    if (!result[out]) fail(`prefill model has no output '${out}'`);

  const fixedPast = fixedDim(decode.inputMetadata, pairs[0][0], 2);
  const mode = opts.cache || (fixedPast !== null ? 'sliding' : 'growing');
  if (mode === 'growing' && fixedPast !== null)
    fail(
        `--cache growing needs a dynamic past axis; the decode model's ` +
        `past length is fixed at ${fixedPast}`);
  if (mode === 'sliding' && fixedPast === null)
    fail('--cache sliding needs a decode model with a fixed past length');
  if (mode === 'sliding' && seq > fixedPast)
    fail(
        `the prefill context (${seq}) is longer than the decode model's ` +
        `cache (${fixedPast})`);

  // Cache state: per pair a tensor, and the mask over its slots (per row).
  const past = {};
  let slots = seq;
  if (mode === 'sliding') {
    slots = fixedPast;
    for (const [inp, out] of pairs)
      past[inp] = copyRows(ort, result[out], 0, seq, slots, slots - seq);
  } else {
    for (const [inp, out] of pairs) past[inp] = result[out];
  }
  let slotMask = [];
  for (let b = 0; b < batch; ++b)
    for (let t = 0; t < slots; ++t)
      slotMask.push(t < slots - seq ? 0 : mask[b * seq + t - (slots - seq)]);

  const generated = [];
  const chosenLogits = [];
  // Picks the next token of every row from logits position `pos`.
  const choose = (pos) => {
    const next = [];
    for (let b = 0; b < batch; ++b) {
      const row = logitsAt(result.logits, b, pos);
      chosenLogits.push(row);
      next.push(argmax(row));
    }
    generated.push(next);
    return next;
  };
  let tokens = choose(seq - 1);
  for (let step = 1; step < opts.steps; ++step) {
    const stepMask = [];
    for (let b = 0; b < batch; ++b)
      stepMask.push(...slotMask.slice(b * slots, (b + 1) * slots), 1);
    const feeds = {
      input_ids: int64Tensor(ort, tokens, [batch, 1]),
      attention_mask: int64Tensor(ort, stepMask, [batch, slots + 1]),
      position_ids:
          int64Tensor(ort, tokens.map(() => length + step - 1), [batch, 1]),
      ...past,
    };
    result = await run(decode, feeds, `decode step ${step}`);
    tokens = choose(0);
    if (mode === 'sliding') {
      for (const [inp, out] of pairs)
        past[inp] = copyRows(ort, result[out], 1, slots, slots, 0);
      slotMask = [];
      for (let b = 0; b < batch; ++b)
        slotMask.push(
            ...stepMask.slice(b * (slots + 1) + 1, (b + 1) * (slots + 1)));
    } else {
      for (const [inp, out] of pairs) past[inp] = result[out];
      slotMask = stepMask;
      slots += 1;
    }
  }

  const flat = [];
  for (let b = 0; b < batch; ++b)
    for (let s = 0; s < opts.steps; ++s) flat.push(generated[s][b]);
  writeNpy(opts.output, {
    type: 'int64',
    dims: [batch, opts.steps],
    data: BigInt64Array.from(flat.map(BigInt))
  });
  if (opts.logits) {
    const vocab = chosenLogits[0].length;
    const data = new Float32Array(batch * opts.steps * vocab);
    chosenLogits.forEach((row, i) => {
      const step = Math.floor(i / batch);
      data.set(row, ((i % batch) * opts.steps + step) * vocab);
    });
    writeNpy(
        opts.logits, {type: 'float32', dims: [batch, opts.steps, vocab], data});
  }
  process.stdout.write(JSON.stringify({
    mode,
    cache: mode === 'sliding' ? fixedPast : null,
    prefill_seq: seq,
    prompt_tokens: length,
    steps: opts.steps,
    tokens: generated[0].map((_, b) => generated.map((t) => t[b])),
  }) + '\n');
}

main().catch((e) => fail(e.stack || String(e)));
