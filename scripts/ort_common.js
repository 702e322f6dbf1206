// Shared by the ONNX Runtime reference scripts (ort_run.js,
// ort_generate.js, ort_perplexity.js): loading onnxruntime-node, .npy
// reading/writing, and the error convention (message on stderr starting
// with "<program>: error: ", exit 2 when onnxruntime-node is not
// installed, 1 otherwise).
'use strict';

const fs = require('fs');
const path = require('path');

let program = 'ort';

// Sets the name error messages start with.
function setProgram(name) {
  program = name;
}

function fail(msg, code = 1) {
  process.stderr.write(`${program}: error: ${msg}\n`);
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

// IEEE binary16 bits -> number (float16 tensors arrive as Uint16Array).
function halfToFloat(h) {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// Parses `--name value` / `--name=value` options (names: flag -> key) and
// positional arguments; -h/--help prints `usage` and exits 0.
function parseOptions(argv, names, usage) {
  const opts = {};
  const positional = [];
  for (let i = 0; i < argv.length; ++i) {
    let a = argv[i];
    let value = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === '-h' || a === '--help') {
      process.stdout.write(usage);
      process.exit(0);
    }
    const key = names[a];
    if (!key) {
      if (a.startsWith('-')) fail(`unexpected argument '${argv[i]}'`);
      positional.push(a);
      continue;
    }
    if (value === null) {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      value = argv[++i];
    }
    opts[key] = value;
  }
  return {opts, positional};
}

// The fixed size of axis `axis` of the input or output `name` (metadata:
// session.inputMetadata or session.outputMetadata), or null when it is
// symbolic or unknown.
function fixedDim(metadata, name, axis) {
  const meta = (metadata || []).find((m) => m.name === name);
  if (!meta || !meta.shape || meta.shape.length <= axis) return null;
  const d = meta.shape[axis];
  return typeof d === 'number' && d >= 0 ? d : null;
}

// Fails unless every token id is in [0, vocab) (vocab null: not checked).
function checkTokens(tokens, vocab) {
  if (vocab === null) return;
  const bad = tokens.findIndex((t) => t < 0 || t >= vocab);
  if (bad >= 0)
    fail(`token ${tokens[bad]} at ${bad} is outside the vocabulary (${vocab})`);
}

module.exports = {
  DTYPES, checkTokens, fail, fixedDim, halfToFloat, loadOrt, parseOptions,
  readNpy, setProgram, writeNpy,
};
