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
const {fail, loadOrt, readNpy, setProgram, writeNpy} =
    require('./ort_common');

setProgram('ort_run');

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
