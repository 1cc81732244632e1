/**
 * numpy's .npy format: a magic string, a version, a header (a Python dict literal with descr,
 * fortran_order and shape), then the raw data. Versions 1.0, 2.0 and 3.0 are read; 1.0 (or 2.0
 * for long headers) is written.
 */
import { readFileSync } from 'node:fs';
import { NDArray, narrowInt64 } from '../ndarray/ndarray.js';
import { DType, TypedArray } from '../ndarray/dtype.js';
import { sizeOf, stridesOf } from '../ndarray/shape.js';
import { writeFileAtomic } from './atomic.js';
import { ByteBudget, LoadOptions, checkFileSize } from './limits.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
}

/** A tiny parser for the header's Python literal: a dict of strings, booleans, ints and tuples. */
function parseHeader(text: string, where: string): Header {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${where}: bad .npy header (${what}) in ${JSON.stringify(text.trim())}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  // Nesting deeper than any real header is refused, so deep input cannot exhaust the stack.
  const MAX_DEPTH = 16;
  let depth = 0;
  const value = (): unknown => {
    ws();
    if (depth > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} levels deep`);
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: unknown[] = [];
      for (;;) {
        ws();
        if (i >= text.length) fail('unterminated ' + c);
        if (text[i] === close) {
          i++;
          return items;
        }
        depth++;
        items.push(value());
        depth--;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail('expected , or ' + close);
      }
    }
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      for (;;) {
        ws();
        if (i >= text.length) fail('unterminated {');
        if (text[i] === '}') {
          i++;
          return obj;
        }
        depth++;
        const k = value();
        if (typeof k !== 'string') fail('dict keys must be strings');
        ws();
        if (text[i++] !== ':') fail('expected :');
        obj[k as string] = value();
        depth--;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('expected , or }');
      }
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!m) fail(`unexpected ${JSON.stringify(text.slice(i, i + 10))}`);
    i += m![0].length;
    if (m![0] === 'True') return true;
    if (m![0] === 'False') return false;
    if (m![0] === 'None') return null;
    return Number.parseInt(m![0], 10);
  };
  const h = value() as Record<string, unknown>;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) fail('not a dict');
  const { descr, fortran_order: fortran, shape } = h;
  if (typeof descr !== 'string') fail('descr must be a string (structured dtypes are not supported)');
  if (typeof fortran !== 'boolean') fail('fortran_order must be True or False');
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail('shape must be a tuple of non-negative integers');
  if ((shape as unknown[]).length > 64) fail(`shape has ${(shape as unknown[]).length} dimensions; at most 64 are supported`);
  return { descr: descr as string, fortran: fortran as boolean, shape: shape as number[] };
}

interface Kind {
  bytes: number;
  read(view: DataView, off: number, little: boolean): number | bigint;
  dtype: DType;
}

const KINDS: Record<string, Kind> = {
  f8: { bytes: 8, dtype: 'float64', read: (v, o, l) => v.getFloat64(o, l) },
  f4: { bytes: 4, dtype: 'float32', read: (v, o, l) => v.getFloat32(o, l) },
  i8: { bytes: 8, dtype: 'int32', read: (v, o, l) => v.getBigInt64(o, l) },
  i4: { bytes: 4, dtype: 'int32', read: (v, o, l) => v.getInt32(o, l) },
  i2: { bytes: 2, dtype: 'int32', read: (v, o, l) => v.getInt16(o, l) },
  i1: { bytes: 1, dtype: 'int32', read: (v, o) => v.getInt8(o) },
  u1: { bytes: 1, dtype: 'int32', read: (v, o) => v.getUint8(o) },
  u2: { bytes: 2, dtype: 'int32', read: (v, o, l) => v.getUint16(o, l) },
  b1: { bytes: 1, dtype: 'bool', read: (v, o) => (v.getUint8(o) ? 1 : 0) },
};

/**
 * Decode .npy bytes into an NDArray (C order). `where` names the source in errors.
 * @example const a = io.parseNpy(readFileSync('X.npy'));
 */
export function parseNpy(buf: Uint8Array, where = '.npy data', opts: LoadOptions | ByteBudget = {}): NDArray {
  const budget = opts instanceof ByteBudget ? opts : new ByteBudget(where, opts);
  if (buf.length < 10 || !MAGIC.every((b, i) => buf[i] === b)) throw new Error(`${where}: not a .npy file (bad magic string)`);
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${where}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new Error(`${where}: unsupported .npy version ${major}.${buf[7]}`);
  }
  if (start + headerLen > buf.length) throw new Error(`${where}: truncated .npy header (needs ${headerLen} bytes)`);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const h = parseHeader(headerText, where);
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(h.descr);
  const kind = m ? KINDS[`${m[2]}${m[3]}`] : undefined;
  if (!m || !kind) throw new Error(`${where}: unsupported dtype ${JSON.stringify(h.descr)} (supported: float64, float32, int64, int32, int16, int8, uint8, uint16, bool)`);
  const little = m[1] !== '>';
  const n = sizeOf(h.shape);
  const dataStart = start + headerLen;
  const need = n * kind.bytes;
  if (buf.length - dataStart < need) throw new Error(`${where}: truncated data: shape ${JSON.stringify(h.shape)} needs ${need} bytes, the file has ${buf.length - dataStart}`);
  budget.take(n * (kind.dtype === 'float64' ? 8 : kind.dtype === 'bool' ? 1 : 4), `an array of shape ${JSON.stringify(h.shape)}`);
  // Read element by element: handles any alignment and byte order.
  let flat: TypedArray;
  if (kind === KINDS.i8) {
    const big = new BigInt64Array(n);
    for (let k = 0; k < n; k++) big[k] = kind.read(view, dataStart + k * 8, little) as bigint;
    flat = narrowInt64(big, where);
  } else {
    flat = new (kind.dtype === 'float64' ? Float64Array : kind.dtype === 'float32' ? Float32Array : kind.dtype === 'int32' ? Int32Array : Uint8Array)(n);
    for (let k = 0; k < n; k++) flat[k] = kind.read(view, dataStart + k * kind.bytes, little) as number;
  }
  if (h.fortran && h.shape.length > 1) flat = fortranToC(flat, h.shape);
  return new NDArray(flat, h.shape, kind.dtype);
}

/** Reorder Fortran-ordered data (first axis fastest) into C order. */
function fortranToC(src: TypedArray, shape: number[]): TypedArray {
  const out = new (src.constructor as new (n: number) => TypedArray)(src.length);
  const cStrides = stridesOf(shape);
  const fStrides: number[] = [];
  let acc = 1;
  for (const d of shape) {
    fStrides.push(acc);
    acc *= d;
  }
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  for (let k = 0; k < src.length; k++) {
    let f = 0;
    let c = 0;
    for (let a = 0; a < nd; a++) {
      f += idx[a] * fStrides[a];
      c += idx[a] * cStrides[a];
    }
    out[c] = src[f];
    for (let a = nd - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

const DESCR: Record<DType, string> = { float64: '<f8', float32: '<f4', int32: '<i4', bool: '|b1' };

/**
 * Encode an NDArray as .npy bytes (little-endian, C order).
 * @example const bytes = io.encodeNpy(w.getValue());
 */
export function encodeNpy(a: NDArray): Uint8Array {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so that the data starts on a 64-byte boundary, as numpy does.
  let version = 1;
  let pre = 10;
  let total = pre + dict.length + 1;
  if (total > 65535) {
    version = 2;
    pre = 12;
    total = pre + dict.length + 1;
  }
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const header = new Uint8Array(pre + dict.length);
  header.set(MAGIC);
  header[6] = version;
  header[7] = 0;
  const hv = new DataView(header.buffer);
  if (version === 1) hv.setUint16(8, dict.length, true);
  else hv.setUint32(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) header[pre + i] = dict.charCodeAt(i);
  // Typed arrays are little-endian on every platform Node supports.
  const data = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

export function readFileOrThrow(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path}: no such file` : `${path}: ${(e as Error).message}`);
  }
}

/**
 * Read a .npy file (numpy's format): float64, float32, int32, bool, and int64 narrowed with a check.
 * @example const X = io.loadNpy('X.npy');
 */
export function loadNpy(path: string, opts: LoadOptions = {}): NDArray {
  const budget = new ByteBudget(path, opts);
  checkFileSize(path, budget);
  return parseNpy(readFileOrThrow(path), path, budget);
}

/**
 * Write an NDArray as a .npy file, atomically (a temporary file, then a rename).
 * @example io.saveNpy('w.npy', w.getValue());
 */
export function saveNpy(path: string, a: NDArray): void {
  if (!(a instanceof NDArray)) throw new TypeError(`saveNpy(${path}): expected an NDArray`);
  writeFileAtomic(path, [encodeNpy(a)]);
}
