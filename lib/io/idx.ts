/** The IDX format of MNIST and Fashion-MNIST (optionally gzipped): big-endian, typed, n-dimensional. */
import { gunzipSync } from 'node:zlib';
import { NDArray } from '../ndarray/ndarray.js';
import { readFileOrThrow } from './npy.js';

const TYPES: Record<number, { bytes: number; dtype: 'int32' | 'float32' | 'float64'; read: (v: DataView, o: number) => number }> = {
  0x08: { bytes: 1, dtype: 'int32', read: (v, o) => v.getUint8(o) },
  0x09: { bytes: 1, dtype: 'int32', read: (v, o) => v.getInt8(o) },
  0x0b: { bytes: 2, dtype: 'int32', read: (v, o) => v.getInt16(o, false) },
  0x0c: { bytes: 4, dtype: 'int32', read: (v, o) => v.getInt32(o, false) },
  0x0d: { bytes: 4, dtype: 'float32', read: (v, o) => v.getFloat32(o, false) },
  0x0e: { bytes: 8, dtype: 'float64', read: (v, o) => v.getFloat64(o, false) },
};

/**
 * Decode IDX bytes (gzip detected by its magic bytes). Unsigned bytes become int32.
 * @example const labels = io.parseIdx(readFileSync('train-labels-idx1-ubyte'));
 */
export function parseIdx(input: Uint8Array, where = 'IDX data'): NDArray {
  let buf = input;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new Error(`${where}: corrupt gzip data: ${(e as Error).message}`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error(`${where}: not an IDX file (bad magic number)`);
  const type = TYPES[buf[2]];
  if (!type) throw new Error(`${where}: unknown IDX element type 0x${buf[2].toString(16)}`);
  const ndim = buf[3];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * ndim) throw new Error(`${where}: truncated IDX header`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(v.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (buf.length - start < n * type.bytes) throw new Error(`${where}: truncated data: shape [${shape.join(', ')}] needs ${n * type.bytes} bytes, the file has ${buf.length - start}`);
  const data = type.dtype === 'int32' ? new Int32Array(n) : type.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  if (type.bytes === 1 && buf[2] === 0x08) data.set(buf.subarray(start, start + n));
  else for (let i = 0; i < n; i++) data[i] = type.read(v, start + i * type.bytes);
  return new NDArray(data, shape, type.dtype);
}

/**
 * Read an IDX file (MNIST's format; gzipped when it ends in .gz) into an NDArray: bytes become int32, floats stay floats.
 * @example const images = io.loadIdx('train-images-idx3-ubyte.gz');  // shape (60000, 28, 28)
 */
export function loadIdx(path: string): NDArray {
  return parseIdx(readFileOrThrow(path), path);
}
