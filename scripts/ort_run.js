#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (CPU) on .npy inputs.
//
//   node scripts/ort_run.js model.onnx --input name=file.npy ... --output-dir D
//
// Writes D/<output name>.npy for every model output (characters other than
// [A-Za-z0-9_.-] in the name become '_'). onnxruntime-node is resolved from
// third_party/node/node_modules (scripts/setup.sh installs it), then from the
// normal module path. Exit code 2 when onnxruntime-node is not installed,
// 1 on any other error (message on stderr starting with "ort_run: error: ").
'use strict';

const fs = require('fs');
const path = require('path');

function fail(msg, code = 1) {
  process.stderr.write(`ort_run: error: ${msg}\n`);
  process.exit(code);
}

function loadOrt() {
  const local = path.join(__dirname, '..', 'third_party', 'node',
                          'node_modules', 'onnxruntime-node');
  for (const p of [local, 'onnxruntime-node']) {
    try {
      return require(p);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') fail(`cannot load ${p}: ${e.message}`);
    }
  }
  fail('onnxruntime-node is not installed (run scripts/setup.sh)', 2);
}

// descr -> [ort type, TypedArray, bytes]
const DTYPES = {
  f4: ['float32', Float32Array, 4], f8: ['float64', Float64Array, 8],
  f2: ['float16', Uint16Array, 2], i1: ['int8', Int8Array, 1],
  u1: ['uint8', Uint8Array, 1], i2: ['int16', Int16Array, 2],
  u2: ['uint16', Uint16Array, 2], i4: ['int32', Int32Array, 4],
  u4: ['uint32', Uint32Array, 4], i8: ['int64', BigInt64Array, 8],
  u8: ['uint64', BigUint64Array, 8], b1: ['bool', Uint8Array, 1],
};

function readNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(`cannot read '${file}': ${e.message}`);
  }
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
    fail(`'${file}' is not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([<>|=])(\w\d+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) fail(`'${file}': unsupported .npy header`);
  if (/'fortran_order':\s*True/.test(header))
    fail(`'${file}': Fortran-order arrays are not supported`);
  if (descr[1] === '>' && descr[2] !== 'i1' && descr[2] !== 'u1')
    fail(`'${file}': big-endian arrays are not supported`);
  const info = DTYPES[descr[2]];
  if (!info) fail(`'${file}': unsupported dtype '${descr[2]}'`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s)
                   .map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  if (buf.length - off < count * info[2])
    fail(`'${file}': truncated data`);
  const bytes = buf.slice(off, off + count * info[2]);
  const copy = new Uint8Array(bytes); // aligned copy
  return {type: info[0], data: new info[1](copy.buffer, 0, count), dims};
}

function writeNpy(file, tensor) {
  const entry = Object.entries(DTYPES).find(([, v]) => v[0] === tensor.type);
  if (!entry) fail(`output type '${tensor.type}' cannot be written as .npy`);
  const [code, [, , size]] = entry;
  const order = size === 1 ? '|' : '<';
  const dims = tensor.dims.map(Number);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header =
      `{'descr': '${order}${code}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset,
                           tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), data]));
}

async function main() {
  const args = process.argv.slice(2);
  let model = null;
  let outDir = '.';
  const inputs = {};
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    if (a === '--input' || a.startsWith('--input=')) {
      const spec = a === '--input' ? args[++i] : a.slice(8);
      const eq = spec ? spec.indexOf('=') : -1;
      if (eq <= 0) fail(`bad --input '${spec}', expected name=file.npy`);
      inputs[spec.slice(0, eq)] = readNpy(spec.slice(eq + 1));
    } else if (a === '--output-dir' || a.startsWith('--output-dir=')) {
      outDir = a === '--output-dir' ? args[++i] : a.slice(13);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(
          'usage: node ort_run.js model.onnx --input name=file.npy ... ' +
          '--output-dir D\n');
      return;
    } else if (!model) {
      model = a;
    } else {
      fail(`unexpected argument '${a}'`);
    }
  }
  if (!model) fail('no model given');
  const ort = loadOrt();
  let session;
  try {
    session = await ort.InferenceSession.create(model);
  } catch (e) {
    fail(`cannot load model '${model}': ${e.message}`);
  }
  const feeds = {};
  for (const name of session.inputNames) {
    const t = inputs[name];
    if (!t) fail(`missing --input for model input '${name}'`);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  for (const name of Object.keys(inputs))
    if (!session.inputNames.includes(name))
      fail(`model has no input named '${name}' (inputs: ${session.inputNames.join(', ')})`);
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    fail(`inference failed: ${e.message}`);
  }
  fs.mkdirSync(outDir, {recursive: true});
  for (const name of session.outputNames) {
    const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    writeNpy(path.join(outDir, `${safe}.npy`), results[name]);
  }
}

main().catch((e) => fail(e.stack || String(e)));
