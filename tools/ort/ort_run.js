#!/usr/bin/env node
// ONNX Runtime (CPU, npm onnxruntime-node) as an independent oracle and benchmark peer for onyx.
//
//   node tools/ort/ort_run.js --model M.onnx --inputs in.npz [--outputs out.npz] [--threads N]
//                             [--warmup N] [--iterations N] [--json timing.json]
//
// Inputs/outputs are .npz archives (numpy's format; onyx writes and reads them too) keyed by tensor name.
// With --iterations N it also times N runs after --warmup runs and prints the median/mean latency in ms.
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');
const ort = require('onnxruntime-node');

function die(msg) {
  process.stderr.write(`ort_run: error: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { threads: 0, warmup: 3, iterations: 0 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) die(`${a} needs a value`); return argv[++i]; };
    if (a === '--model') o.model = next();
    else if (a === '--inputs') o.inputs = next();
    else if (a === '--outputs') o.outputs = next();
    else if (a === '--threads') o.threads = parseInt(next(), 10);
    else if (a === '--warmup') o.warmup = parseInt(next(), 10);
    else if (a === '--iterations') o.iterations = parseInt(next(), 10);
    else if (a === '--json') o.json = next();
    else die(`unknown argument ${a}`);
  }
  if (!o.model || !o.inputs) die('usage: ort_run.js --model M --inputs in.npz [--outputs out.npz]');
  return o;
}

// ---- .npy ---------------------------------------------------------------------------------------------------
const DESCR = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array], '<f2': ['float16', Uint16Array],
  '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array], '<i2': ['int16', Int16Array],
  '|i1': ['int8', Int8Array], '<u8': ['uint64', BigUint64Array], '<u4': ['uint32', Uint32Array],
  '<u2': ['uint16', Uint16Array], '|u1': ['uint8', Uint8Array], '|b1': ['bool', Uint8Array],
};

function parseNpy(buf, label) {
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') die(`${label}: not a .npy`);
  const major = buf.readUInt8(6);
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) die(`${label}: bad .npy header`);
  if (/'fortran_order':\s*True/.test(header)) die(`${label}: fortran order not supported`);
  const d = DESCR[descr[1]];
  if (!d) die(`${label}: dtype ${descr[1]} not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const data = buf.subarray(hstart + hlen);
  const n = dims.reduce((a, b) => a * b, 1);
  const copy = Buffer.from(data.subarray(0, n * d[1].BYTES_PER_ELEMENT)); // aligned copy
  let arr = new d[1](copy.buffer, copy.byteOffset, n);
  if (d[0] === 'bool') arr = Uint8Array.from(arr);
  return new ort.Tensor(d[0], d[0] === 'bool' ? Array.from(arr, (v) => v !== 0) : arr, dims);
}

function writeNpy(tensor) {
  const entry = Object.entries(DESCR).find(([, v]) => v[0] === tensor.type);
  if (!entry) die(`output dtype ${tensor.type} not supported`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.writeUInt8(0x93, 0);
  head.write('NUMPY', 1, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  let body;
  if (tensor.type === 'bool') body = Buffer.from(Uint8Array.from(tensor.data, (v) => (v ? 1 : 0)));
  else body = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

// ---- .npz (zip) ---------------------------------------------------------------------------------------------
function readNpz(file) {
  const buf = fs.readFileSync(file);
  const out = {};
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) die(`${file}: not a zip/npz archive`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) die(`${file}: corrupt central directory`);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nlen = buf.readUInt16LE(p + 28), xlen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nlen);
    p += 46 + nlen + xlen + clen;
    const lnlen = buf.readUInt16LE(local + 26), lxlen = buf.readUInt16LE(local + 28);
    const start = local + 30 + lnlen + lxlen;
    const raw = buf.subarray(start, start + csize);
    const data = method === 0 ? raw : method === 8 ? zlib.inflateRawSync(raw) : die(`${file}: zip method ${method}`);
    out[name.replace(/\.npy$/, '')] = parseNpy(data, `${file}:${name}`);
  }
  return out;
}

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function writeNpz(file, tensors) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const data = writeNpy(t);
    const fname = Buffer.from(`${name}.npy`, 'utf8');
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(fname.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(fname.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, fname, data);
    centrals.push(ch, fname);
    offset += 30 + fname.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(tensors).length, 8); end.writeUInt16LE(Object.keys(tensors).length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([...locals, cd, end]));
  fs.renameSync(tmp, file);
}

async function main() {
  const o = parseArgs(process.argv);
  if (!fs.existsSync(o.model)) die(`${o.model}: no such file`);
  const opts = { graphOptimizationLevel: 'all' };
  if (o.threads > 0) { opts.intraOpNumThreads = o.threads; opts.interOpNumThreads = 1; }
  const session = await ort.InferenceSession.create(o.model, opts);
  const feeds = readNpz(o.inputs);
  for (const n of session.inputNames) if (!(n in feeds)) die(`${o.inputs}: no input named '${n}'`);
  const results = await session.run(feeds);
  if (o.outputs) writeNpz(o.outputs, results);
  if (o.iterations > 0) {
    for (let i = 0; i < o.warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < o.iterations; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const timing = {
      iterations: o.iterations, threads: o.threads, median_ms: times[Math.floor(times.length / 2)],
      mean_ms: times.reduce((a, b) => a + b, 0) / times.length, min_ms: times[0], max_ms: times[times.length - 1],
    };
    const line = JSON.stringify(timing);
    if (o.json) fs.writeFileSync(o.json, line + '\n');
    console.log(line);
  }
}

main().catch((e) => die(e.message.split('\n')[0]));
