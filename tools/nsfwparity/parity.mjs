#!/usr/bin/env node
// Classifies images with nsfwjs on TensorFlow.js's CPU backend and prints
// the five class probabilities per image as JSON on stdout, for
// classifiers/nsfw's TestParityWithNsfwjs.
//
//   node parity.mjs <model dir> [--raw] <file>...
//
// <model dir> holds nsfwjs's model.min.js and group1-shard*.min.js (for
// example <nsfwjs package>/dist/models/mobilenet_v2); they are handed to
// nsfwjs through the globals its browser build reads, so the model that runs
// is exactly the files given. Files are JPEG or PNG (decoded with jpeg-js or
// pngjs), or with --raw the Go test's raw RGB files: the 4 bytes "RGB8",
// uint32 little-endian width and height, then width*height RGB triples.
// Raw input lets both sides start from the same decoded pixels.
import fs from 'node:fs';
import path from 'node:path';

// nsfwjs and tfjs talk on console.info/log; stdout is for the JSON only.
console.log = console.info = (...args) => console.error(...args);

const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-cpu');
const nsfwjs = await import('nsfwjs');
const jpeg = (await import('jpeg-js')).default;
const { PNG } = await import('pngjs');

const LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

function usage(msg) {
  console.error(`parity: ${msg}\nusage: node parity.mjs <model dir> [--raw] <file>...`);
  process.exit(2);
}

// loadBundle evaluates a browserify UMD bundle as CommonJS and returns its
// module.exports (what `require` would give, without Node's module cache).
function loadBundle(file) {
  const src = fs.readFileSync(file, 'utf8');
  const module = { exports: {} };
  new Function('module', 'exports', 'require', src)(module, module.exports, undefined);
  return module.exports;
}

function readRaw(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RGB8') throw new Error(`${file}: not a raw RGB8 file`);
  const width = buf.readUInt32LE(4);
  const height = buf.readUInt32LE(8);
  if (buf.length !== 12 + 3 * width * height) throw new Error(`${file}: ${buf.length - 12} pixel bytes for ${width}x${height}`);
  return { width, height, rgb: buf.subarray(12) };
}

function decode(file) {
  const buf = fs.readFileSync(file);
  let rgba, width, height;
  if (buf[0] === 0x89 && buf.toString('latin1', 1, 4) === 'PNG') {
    const png = PNG.sync.read(buf);
    ({ width, height } = png);
    rgba = png.data;
  } else if (buf[0] === 0xff && buf[1] === 0xd8) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    ({ width, height } = img);
    rgba = img.data;
  } else {
    throw new Error(`${file}: neither JPEG nor PNG`);
  }
  // tf.browser.fromPixels(img) drops alpha without blending; so do we.
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { width, height, rgb };
}

const args = process.argv.slice(2);
if (args.length < 2) usage('need a model directory and at least one file');
const modelDir = args.shift();
const raw = args[0] === '--raw';
if (raw) args.shift();
if (args.length === 0) usage('no files');

const model = loadBundle(path.join(modelDir, 'model.min.js'));
globalThis.model = model;
for (const group of model.weightsManifest) {
  for (const p of group.paths) {
    globalThis[p.replace(/-/g, '_')] = loadBundle(path.join(modelDir, `${p}.min.js`));
  }
}

await tf.setBackend('cpu');
await tf.ready();
const net = await nsfwjs.load('MobileNetV2', { size: 224 });

const results = [];
for (const file of args) {
  const { width, height, rgb } = raw ? readRaw(file) : decode(file);
  // What tf.browser.fromPixels returns: int32 [height, width, 3].
  const pixels = tf.tensor3d(Int32Array.from(rgb), [height, width, 3], 'int32');
  const out = net.infer(pixels);
  const probs = Array.from(await out.data());
  out.dispose();
  pixels.dispose();
  results.push({ file, width, height, probs });
}
const pkg = (name) => JSON.parse(fs.readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;
process.stdout.write(JSON.stringify({
  backend: tf.getBackend(),
  tfjs: pkg('@tensorflow/tfjs'),
  nsfwjs: pkg('nsfwjs'),
  labels: LABELS,
  results,
}, null, 1) + '\n');
