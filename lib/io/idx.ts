/** The IDX format of MNIST and Fashion-MNIST (optionally gzipped): big-endian, typed, n-dimensional. */
import { constants, gunzipSync } from 'node:zlib';
import { NDArray } from '../ndarray/ndarray.js';
import { readFileOrThrow } from './npy.js';
import { ByteBudget, LoadOptions, checkFileSize } from './limits.js';

const TYPES: Record<number, { bytes: number; dtype: 'int32' | 'float32' | 'float64'; read: (v: DataView, o: number) => number }> = {
  0x08: { bytes: 1, dtype: 'int32', read: (v, o) => v.getUint8(o) },
  0x09: { bytes: 1, dtype: 'int32', read: (v, o) => v.getInt8(o) },
  0x0b: { bytes: 2, dtype: 'int32', read: (v, o) => v.getInt16(o, false) },
  0x0c: { bytes: 4, dtype: 'int32', read: (v, o) => v.getInt32(o, false) },
  0x0d: { bytes: 4, dtype: 'float32', read: (v, o) => v.getFloat32(o, false) },
  0x0e: { bytes: 8, dtype: 'float64', read: (v, o) => v.getFloat64(o, false) },
};

interface IdxHeader {
  type: (typeof TYPES)[number];
  shape: number[];
  /** Bytes of header plus data, as the header declares them. */
  total: number;
}

/** The header, from the first bytes; null when `head` is too short to hold it. */
function readHeader(head: Uint8Array, where: string): IdxHeader | null {
  if (head.length < 4) return null;
  if (head[0] !== 0 || head[1] !== 0) throw new Error(`${where}: not an IDX file (bad magic number)`);
  const type = TYPES[head[2]];
  if (!type) throw new Error(`${where}: unknown IDX element type 0x${head[2].toString(16)}`);
  const ndim = head[3];
  if (head.length < 4 + 4 * ndim) return null;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(v.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  return { type, shape, total: 4 + 4 * ndim + n * type.bytes };
}

/**
 * Gunzip no more than the header declares: a first bounded pass over a prefix reads the
 * header (deflate expands at most ~1032x, so a 4 KiB prefix stays small), then the whole
 * stream is inflated with its output capped at the declared size.
 */
function gunzipBounded(buf: Uint8Array, where: string, budget: ByteBudget): Uint8Array {
  const inflate = (input: Uint8Array, opts: object) => {
    try {
      return gunzipSync(input, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw new Error(`${where}: corrupt gzip data: ${(e as Error).message}`);
    }
  };
  let header: IdxHeader | null = null;
  for (let prefix = 4096; header === null; prefix *= 4) {
    const head = inflate(buf.subarray(0, prefix), { finishFlush: constants.Z_SYNC_FLUSH })!;
    header = readHeader(head, where);
    if (header === null && prefix >= buf.length) throw new Error(`${where}: truncated IDX header`);
  }
  budget.take(header.total, `the decompressed data (shape [${header.shape.join(', ')}])`);
  const out = inflate(buf, { maxOutputLength: header.total });
  if (out === null) throw new Error(`${where}: the gzip data decompresses to more than the ${header.total} bytes the IDX header declares (shape [${header.shape.join(', ')}])`);
  return out;
}

/** Decode IDX bytes (gzip detected by its magic bytes). Unsigned bytes become int32. */
export function parseIdx(input: Uint8Array, where = 'IDX data', opts: LoadOptions | ByteBudget = {}): NDArray {
  const budget = opts instanceof ByteBudget ? opts : new ByteBudget(where, opts);
  const gz = input.length >= 2 && input[0] === 0x1f && input[1] === 0x8b;
  const buf = gz ? gunzipBounded(input, where, budget) : input;
  if (buf.length >= 4 && (buf[0] !== 0 || buf[1] !== 0)) throw new Error(`${where}: not an IDX file (bad magic number)`);
  const h = readHeader(buf, where);
  if (h === null) throw new Error(buf.length < 4 ? `${where}: not an IDX file (bad magic number)` : `${where}: truncated IDX header`);
  const { type, shape } = h;
  const n = shape.reduce((a, b) => a * b, 1);
  const start = h.total - n * type.bytes;
  if (buf.length < h.total) throw new Error(`${where}: truncated data: shape [${shape.join(', ')}] needs ${n * type.bytes} bytes, the file has ${buf.length - start}`);
  if (buf.length > h.total) throw new Error(`${where}: ${buf.length - h.total} bytes follow the data that shape [${shape.join(', ')}] declares`);
  budget.take(n * (type.dtype === 'float64' ? 8 : 4), `an array of shape [${shape.join(', ')}]`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const data = type.dtype === 'int32' ? new Int32Array(n) : type.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  if (type.bytes === 1 && buf[2] === 0x08) data.set(buf.subarray(start, start + n));
  else for (let i = 0; i < n; i++) data[i] = type.read(v, start + i * type.bytes);
  return new NDArray(data, shape, type.dtype);
}

/**
 * Read an IDX file (MNIST's format; gzipped when it ends in .gz) into an NDArray: bytes become int32, floats stay floats.
 * @example const images = io.loadIdx('train-images-idx3-ubyte.gz');  // shape (60000, 28, 28)
 */
export function loadIdx(path: string, opts: LoadOptions = {}): NDArray {
  const budget = new ByteBudget(path, opts);
  checkFileSize(path, budget);
  return parseIdx(readFileOrThrow(path), path, budget);
}
