/**
 * Child-process driver for corrupt files: `node driver.mjs <firstSeed> <count> <dir>`. Each case
 * writes a valid .npy, .npz or IDX(.gz) file, corrupts it (bit flips, overwritten bytes,
 * truncation, appended bytes, or a size/count/offset field set to a lie) and loads it. The load
 * must throw an Error naming the file, or return well-formed arrays; where the format carries
 * checksums (npz entries, gzip) a successful load must return the original data. Peak memory
 * is reported, so that a small file that became gigabytes shows up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NDArray, io } from '../../lib/index.js';
import { encodeNpy } from '../../lib/io/npy.js';
import { writeZip } from '../../lib/io/zip.js';
import { Rng } from './random.js';

const [first, count] = process.argv.slice(2, 4).map(Number);
const dir = process.argv[4];

function randomArray(r: Rng): NDArray {
  const nd = r.int(0, 3);
  const shape = Array.from({ length: nd }, () => r.int(0, 4));
  const n = shape.reduce((a, b) => a * b, 1);
  const dtype = r.pick(['float64', 'float32', 'int32', 'bool'] as const);
  const make = { float64: Float64Array, float32: Float32Array, int32: Int32Array, bool: Uint8Array }[dtype];
  return new NDArray(make.from({ length: n }, () => (dtype === 'bool' ? r.int(0, 1) : r.int(-1000, 1000) / 8)), shape, dtype);
}

function idxBytes(r: Rng, a: { shape: number[]; bytes: Uint8Array }): Uint8Array {
  const head = new Uint8Array(4 + 4 * a.shape.length);
  head.set([0, 0, 0x08, a.shape.length]);
  const v = new DataView(head.buffer);
  a.shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  void r;
  return Buffer.concat([head, a.bytes]);
}

interface Original {
  kind: 'npy' | 'npz' | 'idx' | 'idx.gz';
  bytes: Uint8Array;
  arrays: Record<string, NDArray>;
  /** Offsets of the binary size/count/offset fields a liar would edit, with their widths. */
  fields: [number, 2 | 4][];
  /** Successful loads must return the original (the format checks its content). */
  checked: boolean;
}

/** The archives numpy itself wrote (test/fixtures/io), zip64 extra fields and all. */
const numpyArchives = ['plain.npz', 'compressed.npz'].map((f) => {
  const path = join(process.cwd(), 'test/fixtures/io', f);
  return { bytes: new Uint8Array(readFileSync(path)), arrays: io.loadNpz(path) };
});

/** The binary fields of every directory entry and local header of a zip, for the liar. */
function zipFields(bytes: Uint8Array): [number, 2 | 4][] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 22;
  const fields: [number, 2 | 4][] = [[end + 8, 2], [end + 10, 2], [end + 12, 4], [end + 16, 4]];
  let p = v.getUint32(end + 16, true);
  for (let k = 0; k < v.getUint16(end + 10, true); k++) {
    const local = v.getUint32(p + 42, true);
    fields.push([p + 20, 4], [p + 24, 4], [p + 28, 2], [p + 30, 2], [p + 42, 4], [local + 18, 4], [local + 22, 4], [local + 26, 2], [local + 28, 2]);
    p += 46 + v.getUint16(p + 28, true) + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
  }
  return fields;
}

function original(r: Rng): Original {
  const kind = r.pick(['npy', 'npz', 'npz', 'idx', 'idx.gz', 'numpy-npz'] as const);
  if (kind === 'numpy-npz') {
    const a = r.pick(numpyArchives);
    return { kind: 'npz', bytes: a.bytes, arrays: a.arrays, fields: zipFields(a.bytes), checked: true };
  }
  if (kind === 'npy') {
    const a = randomArray(r);
    return { kind, bytes: encodeNpy(a), arrays: { x: a }, fields: [[8, 2]], checked: false };
  }
  if (kind === 'npz') {
    const arrays: Record<string, NDArray> = {};
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++) arrays[`a${i}`] = randomArray(r);
    const chunks = writeZip(Object.entries(arrays).map(([k, a]) => ({ name: `${k}.npy`, data: encodeNpy(a) })), r.chance(0.5));
    const bytes = Buffer.concat(chunks);
    return { kind, bytes, arrays, fields: zipFields(bytes), checked: true };
  }
  const shape = Array.from({ length: r.int(1, 3) }, () => r.int(0, 5));
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Uint8Array.from({ length: n }, () => r.int(0, 255));
  const plain = idxBytes(r, { shape, bytes: data });
  const arr = new NDArray(Int32Array.from(data), shape, 'int32');
  const fields: [number, 2 | 4][] = shape.map((_, i) => [4 + 4 * i, 4]);
  if (kind === 'idx') return { kind, bytes: plain, arrays: { x: arr }, fields, checked: false };
  return { kind, bytes: gzipSync(plain), arrays: { x: arr }, fields: [], checked: true };
}

function corrupt(r: Rng, o: Original): { bytes: Uint8Array; how: string } {
  const b = Uint8Array.from(o.bytes);
  const how = r.weighted([[4, 'flip'], [2, 'overwrite'], [2, 'truncate'], [1, 'append'], [o.fields.length ? 3 : 0, 'lie']] as const);
  if (how === 'flip') {
    const k = r.int(1, 8);
    for (let i = 0; i < k && b.length; i++) b[r.int(0, b.length - 1)] ^= 1 << r.int(0, 7);
    return { bytes: b, how: `${k} bit flips` };
  }
  if (how === 'overwrite') {
    const at = r.int(0, Math.max(0, b.length - 1));
    const len = r.int(1, 8);
    const v = r.pick([0x00, 0xff, r.int(0, 255)]);
    for (let i = at; i < Math.min(b.length, at + len); i++) b[i] = v;
    return { bytes: b, how: `bytes ${at}..${at + len} set to ${v}` };
  }
  if (how === 'truncate') {
    const at = r.int(0, Math.max(0, b.length - 1));
    return { bytes: b.subarray(0, at), how: `truncated to ${at} bytes` };
  }
  if (how === 'append') {
    const extra = Uint8Array.from({ length: r.int(1, 64) }, () => r.int(0, 255));
    return { bytes: Buffer.concat([b, extra]), how: `${extra.length} bytes appended` };
  }
  const [at, width] = r.pick(o.fields);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const lie = r.pick(width === 2 ? [0, 1, 0xffff, r.int(0, 0xffff)] : [0, 1, 0xffffffff, 0x7fffffff, r.int(0, 0xffffffff), r.int(0, 4096)]);
  if (width === 2) v.setUint16(at, lie, true);
  else if (o.kind === 'idx') v.setUint32(at, lie, false);
  else v.setUint32(at, lie, true);
  return { bytes: b, how: `field at ${at} set to ${lie}` };
}

function load(kind: Original['kind'], path: string): Record<string, NDArray> {
  if (kind === 'npy') return { x: io.loadNpy(path) };
  if (kind === 'npz') return io.loadNpz(path);
  return { x: io.loadIdx(path) };
}

function sameArray(a: NDArray, b: NDArray): boolean {
  return a.dtype === b.dtype && a.shape.join() === b.shape.join() && a.data.every((v, i) => v === b.data[i] || (Number.isNaN(v) && Number.isNaN(b.data[i])));
}

const failures: object[] = [];
const outcomes = { refused: 0, loaded: 0 };
for (let seed = first; seed < first + count; seed++) {
  process.stdout.write(`start ${seed}\n`);
  const r = new Rng(seed);
  const o = original(r);
  const { bytes, how } = corrupt(r, o);
  const path = join(dir, `case${seed}.${o.kind === 'idx.gz' ? 'gz' : o.kind}`);
  writeFileSync(path, bytes);
  const report = (why: string) => {
    failures.push({ seed, kind: o.kind, how, why: why.slice(0, 400) });
    process.stdout.write(`failure ${JSON.stringify(failures[failures.length - 1])}\n`);
  };
  let got: Record<string, NDArray>;
  try {
    got = load(o.kind, path);
  } catch (e) {
    outcomes.refused++;
    if (!(e instanceof Error)) report(`threw a non-Error ${String(e)}`);
    else if (!e.message.includes(path)) report(`error does not name the file: ${e.message}`);
    continue;
  }
  outcomes.loaded++;
  for (const [k, a] of Object.entries(got)) {
    if (!(a instanceof NDArray) || a.shape.reduce((x, y) => x * y, 1) !== a.data.length) report(`entry ${k} is not a well-formed NDArray`);
  }
  if (o.checked) {
    const names = Object.keys(got).sort().join();
    if (names !== Object.keys(o.arrays).sort().join()) report(`loaded entries ${names}, the file had ${Object.keys(o.arrays)}`);
    else for (const k of names.split(',')) if (!sameArray(got[k], o.arrays[k])) report(`entry ${k} differs from what was saved`);
  }
}
const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`summary ${JSON.stringify({ cases: count, failures: failures.length, ...outcomes, maxRssMb })}\n`);
